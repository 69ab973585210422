"""Runtime data shared by compile, evaluate and explain: columns with status, and frames.

A `Col` is one value per row plus a status per row (ok / missing / zero divisor / not
applicable); a `Frame` is the rows of one level (学校, 学部, 县区, 县区学段) and the index of
each row's parent at every higher level.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from typing import Any

import numpy as np

from engine.interpreter import ast as A

OK, MISSING, ZERO, NA = 0, 1, 2, 3  # status codes; combine by max so NA dominates

PASS, FAIL, NOT_APPLICABLE, DATA_MISSING = 0, 1, 2, 3  # verdict codes
VERDICT_TEXT = {PASS: "达标", FAIL: "未达标", NOT_APPLICABLE: "不适用", DATA_MISSING: "数据缺失"}

COUNTY_STAGE = "县区学段"  # the frame of county rows split by 学段 (分学段 county items)

ID_COLUMN, NAME_COLUMN, COUNTY_COLUMN = "学校标识码", "学校名称", "县区"


@dataclass
class Col:
    """Values of one expression over a frame; `v` float64 (or object for text), `s` int8 status."""

    v: np.ndarray
    s: np.ndarray

    def take(self, index: np.ndarray) -> Col:
        return Col(self.v[index], self.s[index])


@dataclass
class Frame:
    """The rows of one level and, for each, the row index of its parent at higher levels."""

    key: str
    n: int
    up: dict[str, np.ndarray] = field(default_factory=dict)
    stage: np.ndarray | None = None  # object array of 学段 for 学部 and 县区学段 rows
    _masks: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    codes: np.ndarray | None = None  # each row's 学段 as its index in `stages` (when known)
    stages: tuple[str, ...] = ()

    def is_stage(self, stage: str) -> np.ndarray:
        """Rows of this 学段, computed once per frame (comparing object arrays is slow)."""
        mask = self._masks.get(stage)
        if mask is None:
            if self.codes is not None:  # integer codes: no string comparisons
                mask = self.codes == self.stages.index(stage) if stage in self.stages else np.zeros(self.n, dtype=bool)
            elif self.stage is not None:
                mask = self.stage == stage
            else:
                mask = np.zeros(self.n, dtype=bool)
            self._masks[stage] = mask
        return mask


class Fields(dict[tuple[str, str], Col]):
    """Fact columns by (level, name), each turned into a `Col` on first use.

    A facts table carries every column of the file, most of which a given rule set never
    reads; converting (and status-checking) them all up front was a tenth of a national run.
    """

    def __init__(self) -> None:
        super().__init__()
        self._pending: dict[tuple[str, str], Any] = {}

    def defer(self, key: tuple[str, str], make: Any) -> None:
        self._pending[key] = make

    def __missing__(self, key: tuple[str, str]) -> Col:
        make = self._pending.pop(key, None)
        if make is None:
            raise KeyError(key)
        col: Col = make()
        self[key] = col
        return col

    def __contains__(self, key: object) -> bool:
        return super().__contains__(key) or key in self._pending

    def get(self, key: tuple[str, str], default: Any = None) -> Any:  # type: ignore[override]
        return self[key] if key in self else default

    def copy(self) -> Fields:  # type: ignore[override]
        out = Fields()
        out.update(self)
        out._pending.update(self._pending)
        return out


def frame_key(level: str, staged: bool) -> str:
    """The frame an item lives in: county items 分学段 live in 县区学段."""
    return COUNTY_STAGE if level == A.COUNTY and staged else level


@dataclass
class Env:
    """Everything evaluation reads and writes: frames, fact columns, parameters, item results."""

    frames: dict[str, Frame]
    fields: Fields  # (home level, name) → column at that level
    params: dict[str, dict[str | None, Fraction]]  # resolved for the evaluation date
    as_of: date
    items: dict[str, Any] = field(default_factory=dict)  # name → ItemResult
    stages: tuple[str, ...] = A.STAGES
    exact: Any = None  # the Exact evaluator for this Env (set by evaluate; settles near-bound rows)
    text_columns: dict[str, np.ndarray] = field(default_factory=dict)
    cache: dict[tuple[str, ...], Any] = field(default_factory=dict)  # columns fixed for the evaluation


def const(n: int, value: object, dtype: object = np.float64) -> Col:
    if dtype is object:
        # np.full would build one new str per row; fill shares the one object
        v = np.empty(n, dtype=object)
        v.fill(value)
    else:
        v = np.full(n, value, dtype=dtype)  # type: ignore[call-overload]
    return Col(v, np.zeros(n, dtype=np.int8))


def resolve_params(params: dict[str, Any], as_of: date) -> dict[str, dict[str | None, Fraction]]:
    """Each parameter's values in force on `as_of` (the latest set that started by then)."""
    out: dict[str, dict[str | None, Fraction]] = {}
    for name, entry in params.items():
        chosen = None
        for values in entry.decl.values:
            if values.effective is None or values.effective <= as_of:
                if chosen is None or (values.effective or date.min) >= (chosen.effective or date.min):
                    chosen = values
        out[name] = {s: n.value for s, n in chosen.by_stage} if chosen else {}
    return out


def param_value(env_params: dict[str, dict[str | None, Fraction]], name: str, stage: str | None) -> Fraction | None:
    values = env_params.get(name, {})
    # a value for the row's 学段 wins over the value for all 学段 (a province may set one stage)
    if stage is not None and stage in values:
        return values[stage]
    return values.get(None)
