"""Monitoring stage: one rule set's `Results` for several years → trends, lost verdicts and early warnings.

Each year is evaluated on its own (same rule set, that year's facts); rows are matched across
years by their keys (学校标识码 + 学段, 县区, 县区 + 学段). A verdict is *lost* when a row was
达标 the year before and is not now. An *early warning* is raised for a row that is still
达标 when its value lies within a margin of its limit, or moved towards the limit by more than
a set amount since the year before. The margins are parameters of the rule set — 预警余量 and
预警变化量 (absolute, for 差异系数 items), 预警余量比例 and 预警变化比例 (a share of the
standard, for every other indicator with a numeric limit) — so a city sets its own; a rule
set without them gets the defaults below, and the report says which were used. A margin of 0
turns that kind of warning off.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction

import numpy as np

from engine.interpreter import ast as A
from engine.interpreter.check import walk
from engine.interpreter.compile import compile_expr
from engine.interpreter.diff import row_keys
from engine.interpreter.evaluate import Results
from engine.interpreter.frames import (
    COUNTY_STAGE,
    DATA_MISSING,
    FAIL,
    NOT_APPLICABLE,
    OK,
    PASS,
    VERDICT_TEXT,
    resolve_params,
)

CV_MARGIN, CV_CHANGE, MARGIN_RATIO, CHANGE_RATIO = "预警余量", "预警变化量", "预警余量比例", "预警变化比例"
DEFAULTS: dict[str, tuple[Fraction, str]] = {
    CV_MARGIN: (Fraction(5, 100), "差异系数距上限的预警余量"),
    CV_CHANGE: (Fraction(3, 100), "差异系数一年内向上限变化的预警幅度"),
    MARGIN_RATIO: (Fraction(5, 100), "指标距标准的预警余量(占标准的比例)"),
    CHANGE_RATIO: (Fraction(5, 100), "指标一年内向标准变化的预警幅度(占标准的比例)"),
}
UPPER, LOWER = "上限", "下限"  # the limit is a maximum (≤, <) or a minimum (≥, >)
NEAR, TOWARDS = "接近限值", "向限值变化"
LEVEL = {A.UNIT: "学部", A.SCHOOL: "学校", A.COUNTY: "县区", COUNTY_STAGE: "县区"}


@dataclass(frozen=True)
class Year:
    """One year of the monitoring: its label (e.g. 2023), the results and the evaluation date."""

    label: str
    results: Results
    as_of: date
    warnings: tuple[str, ...] = ()  # the facts loader's warnings, shown with the report


@dataclass(frozen=True)
class Margin:
    """A warning margin in force: from the rule set (file:line) or the default."""

    name: str
    title: str
    values: dict[str | None, Fraction]
    source: str

    def at(self, stage: str | None) -> Fraction:
        """The value for a 学段 (a stage's own value first, then the all-stage one, then the default)."""
        value = self.values.get(stage) if stage is not None else None
        if value is None:
            value = self.values.get(None)
        return value if value is not None else DEFAULTS[self.name][0]


@dataclass(frozen=True)
class Row:
    """Who a result row is about."""

    level: str  # 学部 / 学校 / 县区
    county: str
    school_id: str | None = None
    school: str | None = None
    stage: str | None = None


@dataclass(frozen=True)
class Point:
    """One item on one row in one year."""

    verdict: str
    value: Fraction | str | None  # a number, 是/否 or text; None when it could not be computed
    limit: Fraction | None = None


@dataclass(frozen=True)
class Component:
    """A 差异系数 inside a composite item (e.g. one of the 8 in 综合差异系数), per year."""

    label: str
    values: tuple[Fraction | None, ...]


@dataclass(frozen=True)
class Trend:
    """A county-level item over the years (value, limit and verdict per year)."""

    item: str
    title: str
    unit: str | None
    row: Row
    points: tuple[Point | None, ...]  # None: the row does not exist that year
    direction: str | None = None  # 上限 / 下限 / None (是否, text, mixed)
    op: str | None = None  # ≥ > ≤ < when every branch of the requirement uses it
    is_cv: bool = False
    components: tuple[Component, ...] = ()


@dataclass(frozen=True)
class Tally:
    """A school- or 学部-level item summarised per county (and 学段): how many rows pass each year."""

    item: str
    title: str
    level: str
    county: str
    stage: str | None
    passed: tuple[int, ...]
    applicable: tuple[int, ...]  # 达标 + 未达标 + 数据缺失


@dataclass(frozen=True)
class Change:
    """A verdict that changed between two consecutive years (lost, or regained)."""

    item: str
    title: str
    unit: str | None
    row: Row
    year_from: str
    year_to: str
    before: Point
    after: Point
    op: str | None = None


@dataclass(frozen=True)
class Warning:
    """An early warning: a row still 达标, but near its limit or moving towards it."""

    kind: str  # 接近限值 / 向限值变化
    year: str
    item: str
    title: str
    unit: str | None
    row: Row
    value: Fraction
    limit: Fraction
    direction: str
    is_cv: bool
    gap: Fraction  # distance to the limit (≥ 0)
    margin: Fraction  # the distance or change that triggers the warning, in the item's own terms
    margin_name: str
    previous: Fraction | None = None
    change: Fraction | None = None  # the move towards the limit since the year before (> 0)


@dataclass
class Report:
    ruleset: str
    title: str | None
    docno: str | None
    years: tuple[str, ...]
    margins: tuple[Margin, ...]
    trends: list[Trend] = field(default_factory=list)
    tallies: list[Tally] = field(default_factory=list)
    lost: list[Change] = field(default_factory=list)
    regained: list[Change] = field(default_factory=list)
    warnings: list[Warning] = field(default_factory=list)
    notes: dict[str, tuple[str, ...]] = field(default_factory=dict)  # year → facts warnings


# ---------------------------------------------------------------- helpers over the rule set


def _frac(x: float) -> Fraction | None:
    """A stored float → a Fraction, at 10 decimals (so 90.6 ÷ 100 is 0.906, not 0.90599…)."""
    if math.isnan(x) or math.isinf(x):
        return None
    return Fraction(round(Decimal(repr(float(x))), 10))


def _leaves(req: A.Requirement | None) -> list[A.ReqCompare]:
    if req is None:
        return []
    if isinstance(req, A.ReqIf):
        return _leaves(req.then) + _leaves(req.otherwise)
    return [req]


_OP = {A.Cmp.GE: "≥", A.Cmp.GT: ">", A.Cmp.LE: "≤", A.Cmp.LT: "<"}


def comparison(decl: A.Indicator | A.Conclusion) -> str | None:
    """The comparison every branch of an indicator's requirement uses (≥ > ≤ <), else None."""
    if not isinstance(decl, A.Indicator):
        return None
    ops = {_OP.get(leaf.op) for leaf in _leaves(decl.requirement)}
    return ops.pop() if len(ops) == 1 else None


def direction(decl: A.Indicator) -> str | None:
    """上限 when every branch of the requirement is ≤/<, 下限 when every branch is ≥/>, else None."""
    ways = set()
    for leaf in _leaves(decl.requirement):
        if isinstance(leaf.threshold, A.Bool) or leaf.op in (A.Cmp.EQ, A.Cmp.NE):
            return None
        ways.add(UPPER if leaf.op in (A.Cmp.LE, A.Cmp.LT) else LOWER)
    return ways.pop() if len(ways) == 1 else None


def cv_calls(decl: A.Indicator) -> list[A.Call]:
    """The 差异系数 aggregates in an indicator's formula, in order."""
    if decl.calc is None:
        return []
    return [n for n in walk(decl.calc) if isinstance(n, A.Call) and n.func == "差异系数"]


def margins(results: Results, as_of: date) -> tuple[Margin, ...]:
    """The four warning margins in force on `as_of`: the rule set's parameters, else the defaults."""
    rs = results.checked.ruleset
    values = resolve_params(rs.params, as_of)
    out = []
    for name, (default, title) in DEFAULTS.items():
        entry = rs.params.get(name)
        if entry is None or not values.get(name):
            out.append(Margin(name, title, {None: default}, "默认值(规则集未设此参数)"))
        else:
            span = entry.span
            out.append(Margin(name, entry.decl.title or title, values[name], f"{entry.layer} · {span.file}:{span.line}"))
    return tuple(out)


def _rows(results: Results, fkey: str) -> list[Row]:
    env = results.env
    frame = env.frames[fkey]
    counties = env.fields[(A.COUNTY, "县区")].v
    ids = env.fields[(A.SCHOOL, "学校标识码")].v
    names = env.fields[(A.SCHOOL, "学校名称")].v
    out = []
    for r in range(frame.n):
        county = str(counties[r if fkey == A.COUNTY else frame.up[A.COUNTY][r]])
        school = int(frame.up[A.SCHOOL][r]) if fkey == A.UNIT else r if fkey == A.SCHOOL else None
        stage = str(frame.stage[r]) if frame.stage is not None and fkey in (A.UNIT, COUNTY_STAGE) else None
        out.append(Row(LEVEL[fkey], county, None if school is None else str(ids[school]),
                       None if school is None else str(names[school]), stage))
    return out


def _point(results: Results, name: str, r: int) -> Point:
    item = results.items[name]
    verdict = VERDICT_TEXT[int(item.verdict[r])]
    decl = results.checked.ruleset.items[name].decl
    if not isinstance(decl, A.Indicator) or item.col.s[r] != OK:
        return Point(verdict, None)
    raw = item.col.v[r]
    if item.col.v.dtype == object:
        return Point(verdict, str(raw))
    if results.checked.item_types.get(name) == "是否":
        return Point(verdict, "是" if raw else "否")
    return Point(verdict, _frac(float(raw)), _frac(float(item.threshold[r])))


# ---------------------------------------------------------------- the monitoring job


class _Index:
    """Per year and frame: row keys, who each row is, and each row's match in the year before (cached)."""

    def __init__(self, years: Sequence[Year]) -> None:
        self.years = years
        self._keys: dict[tuple[int, str], list[tuple[str, ...]]] = {}
        self._rows: dict[tuple[int, str], list[Row]] = {}
        self._prev: dict[tuple[int, str], np.ndarray] = {}
        self._groups: dict[tuple[int, str], np.ndarray] = {}
        self.group_labels: dict[tuple[str, str | None], int] = {}

    def keys(self, i: int, fkey: str) -> list[tuple[str, ...]]:
        if (i, fkey) not in self._keys:
            self._keys[(i, fkey)] = row_keys(self.years[i].results, fkey)
        return self._keys[(i, fkey)]

    def row(self, i: int, fkey: str, r: int) -> Row:
        if (i, fkey) not in self._rows:
            self._rows[(i, fkey)] = _rows(self.years[i].results, fkey)
        return self._rows[(i, fkey)][r]

    def previous(self, i: int, fkey: str) -> np.ndarray:
        """For each row of year i, its row in year i − 1 (−1 when it did not exist)."""
        if (i, fkey) not in self._prev:
            before = {k: r for r, k in enumerate(self.keys(i - 1, fkey))}
            self._prev[(i, fkey)] = np.array([before.get(k, -1) for k in self.keys(i, fkey)], dtype=np.int64)
        return self._prev[(i, fkey)]

    def groups(self, i: int, fkey: str) -> np.ndarray:
        """Each row's (县区, 学段) group, numbered the same way in every year."""
        if (i, fkey) not in self._groups:
            out = np.empty(len(self.keys(i, fkey)), dtype=np.int64)
            for r in range(len(out)):
                row = self.row(i, fkey, r)
                label = (row.county, row.stage if fkey == A.UNIT else None)
                out[r] = self.group_labels.setdefault(label, len(self.group_labels))
            self._groups[(i, fkey)] = out
        return self._groups[(i, fkey)]


def monitor(years: Sequence[Year]) -> Report:
    """Trends, lost and regained verdicts, and early warnings over `years` (oldest first).

    Every year must be evaluated under the same rule set (item names are matched). Whole
    columns are compared with numpy; Python objects are built only for the rows reported."""
    if not years:
        raise ValueError("monitor() needs at least one year")
    last = years[-1].results
    rs = last.checked.ruleset
    report = Report(rs.name, rs.title, rs.docno, tuple(y.label for y in years), margins(last, years[-1].as_of))
    report.notes = {y.label: y.warnings for y in years if y.warnings}
    index = _Index(years)
    for name, entry in rs.items.items():
        decl = entry.decl
        fkey = last.items[name].fkey
        present = [name in y.results.items and y.results.items[name].fkey == fkey for y in years]
        info = _ItemInfo(name, decl)
        if fkey in (A.COUNTY, COUNTY_STAGE):
            report.trends.extend(_trends(years, index, info, fkey, present))
        else:
            report.tallies.extend(_tallies(years, index, info, fkey, present))
        for i in range(len(years)):
            if not present[i]:
                continue
            has_prev = i > 0 and present[i - 1]
            prev_rows = index.previous(i, fkey) if has_prev else None
            _changes(report, years, index, info, fkey, i, prev_rows)
            if info.warnable:
                _warn(report, years, index, info, fkey, i, prev_rows)
    report.warnings.sort(key=lambda w: (report.years.index(w.year), w.row.county, _level_order(w.row.level)))
    return report


@dataclass(frozen=True)
class _ItemInfo:
    name: str
    decl: A.Indicator | A.Conclusion

    @property
    def title(self) -> str:
        return self.decl.title or self.name

    @property
    def unit(self) -> str | None:
        return self.decl.unit if isinstance(self.decl, A.Indicator) else None

    @property
    def way(self) -> str | None:
        return direction(self.decl) if isinstance(self.decl, A.Indicator) else None

    @property
    def calls(self) -> list[A.Call]:
        return cv_calls(self.decl) if isinstance(self.decl, A.Indicator) else []

    @property
    def warnable(self) -> bool:
        return isinstance(self.decl, A.Indicator) and self.way is not None


def _trends(years: Sequence[Year], index: _Index, info: _ItemInfo, fkey: str, present: list[bool]) -> list[Trend]:
    calls = info.calls
    decl = info.decl
    composite = len(calls) > 1 or bool(calls and not (isinstance(decl, A.Indicator) and isinstance(decl.calc, A.Call)
                                                      and decl.calc.func == "差异系数"))
    comps = _components(years, info.name, calls, fkey) if composite else {}
    per_year = [{k: r for r, k in enumerate(index.keys(i, fkey))} if present[i] else {} for i in range(len(years))]
    out = []
    for k in dict.fromkeys(k for d in per_year for k in d):
        i_last = max(i for i, d in enumerate(per_year) if k in d)
        row = index.row(i_last, fkey, per_year[i_last][k])
        points = tuple(_point(y.results, info.name, d[k]) if k in d else None
                       for y, d in zip(years, per_year, strict=True))
        components = tuple(Component(label, tuple(vals.get(k) for vals in per_year_vals))
                           for label, per_year_vals in comps.items())
        out.append(Trend(info.name, info.title, info.unit, row, points, info.way, comparison(decl), bool(calls),
                         components))
    return out


def _changes(report: Report, years: Sequence[Year], index: _Index, info: _ItemInfo, fkey: str, i: int,
             prev_rows: np.ndarray | None) -> None:
    if prev_rows is None:
        return
    now = years[i].results.items[info.name].verdict
    before = np.full(len(now), -1, dtype=np.int64)
    has = prev_rows >= 0
    before[has] = years[i - 1].results.items[info.name].verdict[prev_rows[has]]
    lost = (before == PASS) & ((now == FAIL) | (now == DATA_MISSING))
    regained = (before == FAIL) & (now == PASS)
    op = comparison(info.decl)
    for mask, out in ((lost, report.lost), (regained, report.regained)):
        for r in map(int, np.nonzero(mask)[0]):
            out.append(Change(info.name, info.title, info.unit, index.row(i, fkey, r), years[i - 1].label,
                              years[i].label, _point(years[i - 1].results, info.name, int(prev_rows[r])),
                              _point(years[i].results, info.name, r), op))


def _warn(report: Report, years: Sequence[Year], index: _Index, info: _ItemInfo, fkey: str, i: int,
          prev_rows: np.ndarray | None) -> None:
    """Candidate rows by float arithmetic (with a little slack), then each decided exactly in `_warnings`."""
    res = years[i].results
    item = res.items[info.name]
    if item.col.v.dtype == object:
        return
    by_name = {m.name: m for m in report.margins}
    is_cv = bool(info.calls)
    near_name, move_name = (CV_MARGIN, CV_CHANGE) if is_cv else (MARGIN_RATIO, CHANGE_RATIO)
    stages = res.env.frames[fkey].stage if fkey in (A.UNIT, COUNTY_STAGE) else None
    n = len(item.verdict)

    def per_row(margin: Margin) -> np.ndarray:
        if stages is None:
            return np.full(n, float(margin.at(None)))
        by_stage = {st: float(margin.at(str(st))) for st in set(stages)}
        return np.array([by_stage[st] for st in stages], dtype=np.float64)

    near, move = per_row(by_name[near_name]), per_row(by_name[move_name])
    value, limit = item.col.v.astype(np.float64), item.threshold.astype(np.float64)
    if not is_cv:
        near, move = near * np.abs(limit), move * np.abs(limit)
    ok = (item.verdict == PASS) & (item.col.s == OK) & ~np.isnan(limit)
    slack = 1e-9 * np.maximum(1.0, np.abs(limit))
    with np.errstate(invalid="ignore"):
        gap = (limit - value) if info.way == UPPER else (value - limit)
        candidate = ok & (near > 0) & (gap <= near + slack)
        if prev_rows is not None:
            prev = years[i - 1].results.items[info.name]
            has = prev_rows >= 0
            before = np.full(n, np.nan)
            before[has] = np.where(prev.col.s[prev_rows[has]] == OK, prev.col.v[prev_rows[has]], np.nan)
            change = (value - before) if info.way == UPPER else (before - value)
            candidate |= ok & (move > 0) & (change > move - slack)
    for r in map(int, np.nonzero(candidate)[0]):
        now = _point(res, info.name, r)
        prior = _point(years[i - 1].results, info.name, int(prev_rows[r])) if (
            prev_rows is not None and prev_rows[r] >= 0) else None
        report.warnings.extend(_warnings(years[i].label, info.name, info.title, info.unit, index.row(i, fkey, r), now,
                                         prior, info.way or LOWER, is_cv, by_name))


def _level_order(level: str) -> int:
    return {"县区": 0, "学校": 1, "学部": 2}[level]


def _components(years: Sequence[Year], name: str, calls: list[A.Call],
                fkey: str) -> dict[str, list[dict[tuple[str, ...], Fraction | None]]]:
    """Each 差异系数 in a composite formula, per year and row, computed over whole columns."""
    from engine.interpreter.printer import expr_text

    out: dict[str, list[dict[tuple[str, ...], Fraction | None]]] = {}
    for call in calls:
        label = expr_text(call.args[0])
        per_year: list[dict[tuple[str, ...], Fraction | None]] = []
        for y in years:
            res = y.results
            if name not in res.items:
                per_year.append({})
                continue
            col = compile_expr(res.checked, call, fkey)(res.env)
            keys = row_keys(res, fkey)
            per_year.append({k: (_frac(float(col.v[i])) if col.s[i] == OK else None) for i, k in enumerate(keys)})
        out[label] = per_year
    return out


def _tallies(years: Sequence[Year], index: _Index, info: _ItemInfo, fkey: str, present: list[bool]) -> list[Tally]:
    """达标 and applicable rows per (县区, 学段) and year, by bincount."""
    counts: list[tuple[np.ndarray, np.ndarray]] = []
    for i, y in enumerate(years):
        if not present[i]:
            counts.append((np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)))
            continue
        groups = index.groups(i, fkey)
        verdict = y.results.items[info.name].verdict
        size = len(index.group_labels)
        counts.append((np.bincount(groups[verdict == PASS], minlength=size),
                       np.bincount(groups[verdict != NOT_APPLICABLE], minlength=size)))
    out = []
    for (county, stage), g in index.group_labels.items():
        passed = tuple(int(p[g]) if g < len(p) else 0 for p, _ in counts)
        applicable = tuple(int(a[g]) if g < len(a) else 0 for _, a in counts)
        if any(applicable):
            out.append(Tally(info.name, info.title, LEVEL[fkey], county, stage, passed, applicable))
    return out


def _warnings(year: str, name: str, title: str, unit: str | None, row: Row, now: Point, before: Point | None,
              way: str, is_cv: bool, margins: dict[str, Margin]) -> list[Warning]:
    value, limit = now.value, now.limit
    if not isinstance(value, Fraction) or limit is None:
        return []
    gap = (limit - value) if way == UPPER else (value - limit)
    if is_cv:
        near_name, move_name = CV_MARGIN, CV_CHANGE
        near = margins[near_name].at(row.stage)
        move = margins[move_name].at(row.stage)
    else:
        near_name, move_name = MARGIN_RATIO, CHANGE_RATIO
        near = margins[near_name].at(row.stage) * abs(limit)
        move = margins[move_name].at(row.stage) * abs(limit)
    out = []
    # a value held at a bound it cannot pass (100% of a rate, 0 of a count) is not "close to slipping"
    at_bound = gap == 0 and ((way == LOWER and unit == "%" and limit >= 1) or (way == UPPER and limit <= 0))
    if near > 0 and gap <= near and not at_bound:
        out.append(Warning(NEAR, year, name, title, unit, row, value, limit, way, is_cv, gap, near, near_name))
    previous = before.value if before is not None else None
    if isinstance(previous, Fraction):
        change = (value - previous) if way == UPPER else (previous - value)
        if move > 0 and change > move:
            out.append(Warning(TOWARDS, year, name, title, unit, row, value, limit, way, is_cv, gap, move, move_name,
                               previous, change))
    return out
