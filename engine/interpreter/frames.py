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


def frame_key(level: str, staged: bool) -> str:
    """The frame an item lives in: county items 分学段 live in 县区学段."""
    return COUNTY_STAGE if level == A.COUNTY and staged else level


@dataclass
class Env:
    """Everything evaluation reads and writes: frames, fact columns, parameters, item results."""

    frames: dict[str, Frame]
    fields: dict[tuple[str, str], Col]  # (home level, name) → column at that level
    params: dict[str, dict[str | None, Fraction]]  # resolved for the evaluation date
    as_of: date
    items: dict[str, Any] = field(default_factory=dict)  # name → ItemResult
    stages: tuple[str, ...] = A.STAGES
    exact: Any = None  # the Exact evaluator for this Env (set by evaluate; settles near-bound rows)
    text_columns: dict[str, np.ndarray] = field(default_factory=dict)


def const(n: int, value: object, dtype: object = np.float64) -> Col:
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
