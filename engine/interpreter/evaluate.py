"""Evaluate stage: a `Plan` + facts → `Results` (a verdict, value and threshold per row).

Builds the frames (学校, 学部 by splitting schools per 学段, 县区, 县区学段), computes unit
fields and split quantities, then runs the plan's steps over whole columns. Traces are not
built here: `explain` rebuilds them for the rows asked about.
"""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from engine.interpreter import ast as A
from engine.interpreter.compile import Plan, compile_expr, near
from engine.interpreter.exact import Exact, Unknown, round_half_up
from engine.interpreter.frames import (
    COUNTY_COLUMN,
    COUNTY_STAGE,
    DATA_MISSING,
    FAIL,
    MISSING,
    NA,
    NOT_APPLICABLE,
    OK,
    PASS,
    ZERO,
    Col,
    Env,
    Fields,
    Frame,
    resolve_params,
)
from engine.interpreter.reuse import fingerprints


@dataclass
class ItemResult:
    """One item's results over its frame: value, threshold, verdict, and why data is missing."""

    name: str
    fkey: str
    col: Col  # the computed value (after 保留 N 位小数), status per row
    threshold: np.ndarray
    verdict: np.ndarray  # int8 verdict codes

    def as_value(self) -> Col:
        s = self.col.s.copy()
        s[self.verdict == NOT_APPLICABLE] = NA
        return Col(self.col.v, s)

    def as_bool(self) -> Col:
        v = (self.verdict == PASS).astype(np.float64)
        s = np.where(self.verdict == NOT_APPLICABLE, NA,
                     np.where(self.verdict == DATA_MISSING, MISSING, OK)).astype(np.int8)
        return Col(v, s)

    def verdict_value(self, row: int) -> bool | Unknown:
        code = int(self.verdict[row])
        if code == NOT_APPLICABLE:
            return Unknown(NA)
        if code == DATA_MISSING:
            return Unknown(MISSING)
        return code == PASS


@dataclass
class Results:
    """Everything one evaluation produced; rows are rendered from these columns on demand."""

    plan: Plan
    env: Env
    facts: Any = None  # what was evaluated (reuse needs the very same facts)
    items: dict[str, ItemResult] = field(default_factory=dict)
    _fingerprints: dict[str, str] | None = field(default=None, repr=False)

    @property
    def checked(self):  # type: ignore[no-untyped-def]
        return self.plan.checked

    def fingerprints(self) -> dict[str, str]:
        """Each item's fingerprint (see reuse.py), computed on first use."""
        if self._fingerprints is None:
            self._fingerprints = fingerprints(self.plan.checked, self.env.params)
        return self._fingerprints

    def exact(self, tracer: Any = None) -> Exact:
        return Exact(self.plan.checked, self.env, tracer)


def _column(arr: np.ndarray) -> Col:
    # status is MISSING (1) exactly where the cell is empty: a bool mask viewed as int8
    if arr.dtype == object:
        # the loader gives None for an empty text cell; compare whole columns, not cells
        missing = (arr == None) | (arr == "")  # noqa: E711
        return Col(arr, missing.view(np.int8))
    v = arr if arr.dtype == np.float64 else arr.astype(np.float64)
    return Col(v, np.isnan(v).view(np.int8))


def _table_cols(table: Any, level: str, into: Fields) -> None:
    """Every column of a facts table, converted when a rule (or a renderer) first reads it."""
    for name, arr in table.columns.items():
        into.defer((level, name), lambda arr=arr: _column(arr))


def build_env(plan: Plan, facts: Any, as_of: date) -> Env:
    """Frames and columns for one evaluation: schools → units (per 学段) → counties."""
    checked = plan.checked
    rs = checked.ruleset
    fields = Fields()
    _table_cols(facts.schools, A.SCHOOL, fields)
    n_schools = facts.schools.n
    # Declared fields absent from the facts become all-missing columns (the loader warned).
    for name, entry in rs.fields.items():
        level = entry.decl.entity
        n = n_schools if level == A.SCHOOL else (facts.counties.n if facts.counties is not None else 0)
        if level == A.SCHOOL and (level, name) not in fields:
            fields[(level, name)] = _missing_col(n, entry.decl.type)

    # counties: from the 县区表, or (when none given) from the schools' 县区 column
    # the raw column: the map below needs only the names, not the column's status
    school_county = facts.schools.columns[COUNTY_COLUMN] if COUNTY_COLUMN in facts.schools.columns \
        else fields[(A.SCHOOL, COUNTY_COLUMN)].v
    if facts.counties is not None:
        _table_cols(facts.counties, A.COUNTY, fields)
        names = [str(x) for x in facts.counties.columns[COUNTY_COLUMN]]
    else:
        names = sorted({str(x) for x in school_county if x is not None})
        fields[(A.COUNTY, COUNTY_COLUMN)] = Col(np.array(names, dtype=object), np.zeros(len(names), dtype=np.int8))
    n_counties = len(names)
    for name, entry in rs.fields.items():
        if entry.decl.entity == A.COUNTY and (A.COUNTY, name) not in fields:
            fields[(A.COUNTY, name)] = _missing_col(n_counties, entry.decl.type)
    county_index = {n: i for i, n in enumerate(names)}
    school_up = np.fromiter(map(county_index.get, school_county.tolist(), itertools.repeat(-1)), dtype=np.int64,
                            count=len(school_county))

    params = resolve_params(rs.params, as_of)
    stages = tuple(s for s in A.STAGES if s in rs.unit_defs)
    frames: dict[str, Frame] = {
        A.SCHOOL: Frame(A.SCHOOL, n_schools, {A.COUNTY: school_up}),
        A.COUNTY: Frame(A.COUNTY, n_counties),
    }
    n_cs = n_counties * max(1, len(stages))
    cs_codes = np.arange(n_cs) % max(1, len(stages))
    frames[COUNTY_STAGE] = Frame(
        COUNTY_STAGE, n_cs, {A.COUNTY: np.arange(n_cs) // max(1, len(stages))},
        np.array(stages, dtype=object)[cs_codes] if stages else np.full(n_cs, None, dtype=object),
        codes=cs_codes if stages else None, stages=stages)
    env = Env(frames, fields, params, as_of, stages=stages)
    env.exact = Exact(checked, env)  # type: ignore[attr-defined]

    # units: one row per school per 学段 whose condition holds, ordered by school then 学段
    school_rows: list[np.ndarray] = []
    stage_rows: list[np.ndarray] = []
    for stage in stages:
        cond = compile_expr(checked, rs.unit_defs[stage].decl.condition, A.SCHOOL)(env)
        rows = np.nonzero((cond.s == OK) & (cond.v != 0))[0]
        school_rows.append(rows)
        stage_rows.append(np.full(len(rows), stages.index(stage)))
    srows = np.concatenate(school_rows) if school_rows else np.empty(0, dtype=np.int64)
    sidx = np.concatenate(stage_rows) if stage_rows else np.empty(0, dtype=np.int64)
    # by school, then 学段: the pieces are concatenated in 学段 order, so a stable sort suffices
    order = np.argsort(srows, kind="stable")
    srows, sidx = srows[order].astype(np.int64), sidx[order]
    unit_stage = np.array(stages, dtype=object)[sidx] if stages else np.empty(0, dtype=object)
    frames[A.UNIT] = Frame(A.UNIT, len(srows), {
        A.SCHOOL: srows, A.COUNTY: school_up[srows],
        COUNTY_STAGE: school_up[srows] * max(1, len(stages)) + sidx,
    }, unit_stage, codes=sidx, stages=stages)
    _unit_fields(plan, env, srows, frames[A.UNIT])
    return env


def _missing_col(n: int, typ: str) -> Col:
    v = np.full(n, None, dtype=object) if typ == "文本" else np.full(n, np.nan)
    return Col(v, np.full(n, MISSING, dtype=np.int8))


def _unit_fields(plan: Plan, env: Env, srows: np.ndarray, units: Frame) -> None:
    """学部字段 and split quantities: one value per unit, from its school's columns.

    Each is computed when first read (a rule set often declares more than it uses).
    """
    checked = plan.checked
    rs = checked.ruleset
    n = len(srows)
    placed: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def at(stage: str) -> tuple[np.ndarray, np.ndarray]:
        # the units of a 学段 and their schools, as integer indices (cheaper than masks, reused)
        if stage not in placed:
            index = np.flatnonzero(units.is_stage(stage))
            placed[stage] = index, srows[index]
        return placed[stage]

    def unit_field(by_stage: tuple[tuple[str, A.Expr], ...]) -> Col:
        v = np.full(n, np.nan)
        s = np.full(n, NA, dtype=np.int8)
        for stage, expr in by_stage:
            col = compile_expr(checked, expr, A.SCHOOL)(env)
            index, rows = at(stage)
            v[index] = col.v[rows]
            s[index] = col.s[rows]
        return Col(v, s)

    for name, entry in rs.unit_fields.items():
        env.fields.defer((A.UNIT, name), functools.partial(unit_field, entry.decl.by_stage))
    for split_entry in rs.splits.values():
        shares = functools.cache(functools.partial(_split_shares, env, split_entry.decl, at))
        for item in split_entry.decl.items:
            env.fields.defer((A.UNIT, item), functools.partial(_split_item, env, item, n, shares))


Share = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _split_shares(env: Env, split: A.Split, at: Any) -> list[Share]:
    """Per 学段: the units, their schools, the share's numerator and denominator, zero, status."""
    weights = env.params.get(split.weight or "", {})
    parts: dict[str, Col] = {}
    for stage, head in split.heads:
        col = env.fields[(A.SCHOOL, head)]
        parts[stage] = Col(col.v * float(weights.get(stage, 0)), col.s)
    total = sum((p.v for p in parts.values()), np.zeros(len(env.fields[(A.SCHOOL, COUNTY_COLUMN)].v)))
    bad = np.zeros(len(total), dtype=np.int8)
    for p in parts.values():
        bad = np.maximum(bad, p.s)
    shares = []
    for stage, part in parts.items():
        index, rows = at(stage)
        t = total[rows]
        shares.append((index, rows, part.v[rows], t, t == 0, bad[rows]))
    return shares


def _split_item(env: Env, item: str, n: int, shares: Any) -> Col:
    whole = env.fields[(A.SCHOOL, item)]
    v = np.full(n, np.nan)
    s = np.full(n, NA, dtype=np.int8)
    for index, rows, part_v, t, zero, share_bad in shares():
        with np.errstate(divide="ignore", invalid="ignore"):
            v[index] = whole.v[rows] * part_v / t
        st = np.maximum(whole.s[rows], share_bad)
        st[zero & (st == OK)] = ZERO
        s[index] = st
    return Col(v, s)


def evaluate(plan: Plan, facts: Any, as_of: date, reuse: Results | None = None) -> Results:
    """Run every step of the plan over the facts; return the results columns.

    With `reuse` (another rule set's results on the same facts and date, as `diff` has), items
    whose fingerprints match are taken from it instead of being computed again.
    """
    env = build_env(plan, facts, as_of)
    results = Results(plan, env, facts)
    env.items = results.items
    same: set[str] = set()
    if reuse is not None and reuse.env.as_of == as_of and reuse.facts is facts:
        mine, theirs = fingerprints(plan.checked, env.params), reuse.fingerprints()
        same = {name for name, key in mine.items() if theirs.get(name) == key}
        results._fingerprints = mine
    for step in plan.steps:
        if step.name in same:
            results.items[step.name] = reuse.items[step.name]  # type: ignore[union-attr]
        elif isinstance(step.decl, A.Indicator):
            results.items[step.name] = _run_indicator(step, env)
        else:
            results.items[step.name] = _run_conclusion(step, env, plan)
    return results


def _run_indicator(step: Any, env: Env) -> ItemResult:
    decl: A.Indicator = step.decl
    col = step.calc(env)
    if decl.keep is not None and col.v.dtype != object:
        col = Col(_round_column(env, step, col, decl.keep), col.s)
    passed, threshold, status = step.requirement(env, col)
    verdict = (passed == 0).astype(np.int8)  # PASS 0, FAIL 1
    unknown = status != OK
    if unknown.any():  # most rows of most items are known: skip the masked writes then
        verdict[unknown] = DATA_MISSING
        verdict[status == NA] = NOT_APPLICABLE
    if step.scope is not None:
        sc = step.scope(env)
        verdict[(sc.s == OK) & (sc.v == 0)] = NOT_APPLICABLE
        undecided = sc.s != OK
        if undecided.any():
            verdict[undecided] = DATA_MISSING
    return ItemResult(step.name, step.fkey, col, threshold, verdict)


def _round_column(env: Env, step: Any, col: Col, keep: int) -> np.ndarray:
    q = 10.0 ** keep
    scaled = np.abs(col.v) * q
    out = np.sign(col.v) * np.floor(scaled + 0.5) / q
    frac = scaled - np.floor(scaled)
    for row in np.nonzero((col.s == OK) & near(frac, np.full(len(frac), 0.5)))[0]:
        v = env.exact.value(step.decl.calc, step.fkey, int(row))  # type: ignore[attr-defined]
        if not isinstance(v, Unknown):
            out[row] = float(round_half_up(v, keep))  # type: ignore[arg-type]
    return out


def _lift(verdict: np.ndarray, up: np.ndarray, n: int) -> np.ndarray:
    """Verdicts of child rows → one per parent row: any 未达标 → 未达标, else any 数据缺失 → 数据缺失,
    else any 达标 → 达标, else 不适用."""
    out = np.full(n, NOT_APPLICABLE, dtype=np.int8)
    for code in (PASS, DATA_MISSING, FAIL):  # later codes win
        hit = np.bincount(up[verdict == code], minlength=n) > 0
        out[hit] = code
    return out


def _run_conclusion(step: Any, env: Env, plan: Plan) -> ItemResult:
    from engine.interpreter.check import expand_ids

    decl: A.Conclusion = step.decl
    assert decl.combo is not None
    checked = plan.checked
    n = env.frames[step.fkey].n
    names = [name for name, _ in expand_ids(decl.combo.items, list(checked.ruleset.items))]
    verdicts = []
    for name in names:
        item = env.items[name]
        v = item.verdict
        if item.fkey != step.fkey:
            v = _lift(v, env.frames[item.fkey].up[step.fkey], n)
        verdicts.append(v)
    stack = np.vstack(verdicts) if verdicts else np.empty((0, n), dtype=np.int8)
    n_pass = (stack == PASS).sum(axis=0)
    n_fail = (stack == FAIL).sum(axis=0)
    n_missing = (stack == DATA_MISSING).sum(axis=0)
    n_applicable = n_pass + n_fail + n_missing
    combo = decl.combo
    if combo.kind == "所有":
        verdict = np.where(n_fail > 0, FAIL, np.where(n_missing > 0, DATA_MISSING, PASS))
    elif combo.kind == "任一":
        verdict = np.where(n_pass > 0, PASS, np.where(n_missing > 0, DATA_MISSING, FAIL))
    else:
        need = combo.at_least or 0
        rest_bad = np.zeros(n, dtype=bool)
        if combo.rest_ratio is not None:
            for name, v in zip(names, verdicts, strict=True):
                rest_bad |= (v == FAIL) & ~_rest_ok(env, env.items[name], combo)
        # without a 其余 clause, once N items pass the missing ones cannot change the outcome
        settled = (n_missing == 0) | (combo.rest_ratio is None)
        ok = (n_pass >= need) & ~rest_bad & settled
        fail = (n_pass + n_missing < need) | rest_bad
        verdict = np.where(ok, PASS, np.where(fail, FAIL, DATA_MISSING))
    verdict = np.where(n_applicable == 0, NOT_APPLICABLE, verdict).astype(np.int8)
    col = Col((verdict == PASS).astype(np.float64), np.zeros(n, dtype=np.int8))
    return ItemResult(step.name, step.fkey, col, np.full(n, np.nan), verdict)


def _rest_ok(env: Env, item: ItemResult, combo: A.Combo) -> np.ndarray:
    """Whether each failing row still reaches p% of its standard (exact near the bound)."""
    assert combo.rest_ratio is not None and combo.rest_op is not None
    ratio = combo.rest_ratio
    bound = item.threshold * float(ratio)
    v = item.col.v
    with np.errstate(invalid="ignore"):
        ok = (v >= bound) if combo.rest_op is A.Cmp.GE else (v > bound)
    for row in np.nonzero(near(v, bound) & (item.col.s == OK))[0]:
        exact = env.exact  # type: ignore[attr-defined]
        decl = exact.c.ruleset.items[item.name].decl
        value = exact.value(decl.calc, item.fkey, int(row))
        if decl.keep is not None and not isinstance(value, Unknown):
            value = round_half_up(value, decl.keep)
        th = exact.value(decl.requirement.threshold, item.fkey, int(row))
        if not isinstance(value, Unknown) and not isinstance(th, Unknown):
            ok[row] = value >= th * ratio if combo.rest_op is A.Cmp.GE else value > th * ratio
    return ok

