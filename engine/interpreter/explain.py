"""Explain stage: (results, item, row) → a `Trace` tree, rebuilt on demand for that row.

The trace holds data, not text: the formula's AST with the exact value of every node the
evaluation touched, the threshold and the requirement it came from, provenance of the
item and of every parameter, the verdict and the gap. `engine.render` turns it into words.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from engine.interpreter import ast as A
from engine.interpreter.check import expand_ids
from engine.interpreter.evaluate import Results
from engine.interpreter.exact import Exact, Unknown, Value, round_half_up
from engine.interpreter.frames import COUNTY_STAGE, DATA_MISSING, FAIL, ID_COLUMN, NAME_COLUMN, NOT_APPLICABLE, PASS
from engine.interpreter.layer import Change, Entry


@dataclass
class Leaf:
    """A value the formula read: a fact, a unit's share of a split quantity, or a parameter."""

    name: str
    title: str | None
    value: Value
    unit: str | None
    kind: str  # field / unit_field / split / param / item
    history: tuple[Change, ...] = ()
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class Trace:
    """Why one row of one item got its verdict."""

    item: str
    title: str | None
    kind: str  # indicator / conclusion
    fkey: str
    row: int
    subject: str
    verdict: int
    unit: str | None = None
    calc: A.Expr | None = None
    node_values: dict[int, tuple[Value, str | None]] = field(default_factory=dict)
    value: Value | None = None
    requirement: A.ReqCompare | None = None  # the branch that applied
    requirement_rule: A.Requirement | None = None
    threshold: Value | None = None
    leaves: list[Leaf] = field(default_factory=list)
    history: tuple[Change, ...] = ()
    source: str | None = None
    missing: tuple[str, ...] = ()
    zero_divisor: bool = False
    scope_note: str | None = None
    combo: A.Combo | None = None
    children: list[Trace] = field(default_factory=list)
    aggregate: dict[str, Any] | None = None
    aggregates: list[dict[str, Any]] = field(default_factory=list)
    branches: list[tuple[A.Expr, bool]] = field(default_factory=list)  # 若 conditions of the requirement
    threshold_values: dict[int, tuple[Value, str | None]] = field(default_factory=dict)
    scope_values: dict[int, tuple[Value, str | None]] = field(default_factory=dict)
    scope_decl: A.ScopeDecl | None = None


def subject_of(results: Results, fkey: str, row: int) -> str:
    """A row in words: 城关第八小学 · 小学部 / 示例县 · 初中."""
    env = results.env
    if fkey == A.UNIT:
        school = int(env.frames[A.UNIT].up[A.SCHOOL][row])
        return f"{env.fields[(A.SCHOOL, NAME_COLUMN)].v[school]} · {env.frames[A.UNIT].stage[row]}部"  # type: ignore[index]
    if fkey == A.SCHOOL:
        return str(env.fields[(A.SCHOOL, NAME_COLUMN)].v[row])
    if fkey == COUNTY_STAGE:
        county = int(env.frames[COUNTY_STAGE].up[A.COUNTY][row])
        return f"{env.fields[(A.COUNTY, '县区')].v[county]} · {env.frames[COUNTY_STAGE].stage[row]}"  # type: ignore[index]
    return str(env.fields[(A.COUNTY, "县区")].v[row])


def find_school(results: Results, key: str) -> int | None:
    """A school row by 学校标识码 or exact 学校名称 (then by a unique partial name)."""
    env = results.env
    ids = env.fields[(A.SCHOOL, ID_COLUMN)].v
    names = env.fields[(A.SCHOOL, NAME_COLUMN)].v
    exact = np.flatnonzero((ids == key) | (names == key))
    if len(exact):
        return int(exact[0])
    partial = [i for i, n in enumerate(names.tolist()) if n is not None and key in str(n)]
    return partial[0] if len(partial) == 1 else None


def explain(results: Results, item: str, fkey: str, row: int, depth: int = 1) -> Trace:
    """Rebuild the trace of `item` for one row of its frame."""
    entry = results.checked.ruleset.items[item]
    decl = entry.decl
    verdict = int(results.items[item].verdict[row])
    trace = Trace(item, decl.title, "indicator" if isinstance(decl, A.Indicator) else "conclusion", fkey, row,
                  subject_of(results, fkey, row), verdict, history=entry.history, source=decl.source)
    if isinstance(decl, A.Indicator):
        _explain_indicator(results, decl, trace)
    else:
        _explain_conclusion(results, decl, trace, depth)
    return trace


def _explain_indicator(results: Results, decl: A.Indicator, trace: Trace) -> None:
    rs = results.checked.ruleset
    recorded: dict[int, tuple[Value, str | None]] = {}
    leaves: dict[str, Leaf] = {}
    aggregates: list[dict[str, Any]] = []

    def tracer(node: A.Expr, fkey: str, row: int, value: Value, info: dict[str, Any]) -> None:
        if fkey != trace.fkey or row != trace.row:
            return  # values of child rows inside aggregates are summarised, not listed
        recorded[id(node)] = (value, _unit_of(results, node))
        if isinstance(node, A.Ref) and node.name not in leaves:
            leaves[node.name] = _leaf(results, node.name, value, info)
        if isinstance(node, A.Call) and "rows" in info and all(a["call"] is not node for a in aggregates):
            aggregates.append({**info, "call": node})

    exact = Exact(results.checked, results.env, tracer)
    trace.unit = decl.unit
    trace.calc = decl.calc
    if decl.scope is not None:
        scope = rs.scopes[decl.scope]
        inside = exact.in_scope(scope.decl, trace.fkey, trace.row)
        if inside is False:
            trace.scope_note = f"不在范围「{scope.decl.title or scope.decl.name}」内"
            trace.scope_decl = scope.decl
            trace.scope_values = dict(recorded)
            trace.node_values = recorded
            return
        recorded.clear()
        leaves.clear()
    assert decl.calc is not None
    value = exact.value(decl.calc, trace.fkey, trace.row)
    if decl.keep is not None and isinstance(value, Fraction):
        value = round_half_up(value, decl.keep)
    trace.value = value
    req = decl.requirement
    trace.requirement_rule = req
    calc_values = dict(recorded)
    while isinstance(req, A.ReqIf):
        cond = exact.value(req.cond, trace.fkey, trace.row)
        if isinstance(cond, Unknown):
            break
        trace.branches.append((req.cond, bool(cond)))
        req = req.then if cond else req.otherwise
    if isinstance(req, A.ReqCompare):
        trace.requirement = req
        trace.threshold = exact.value(req.threshold, trace.fkey, trace.row)
    trace.threshold_values = {k: v for k, v in recorded.items() if k not in calc_values}
    recorded.update(calc_values)
    if isinstance(value, Unknown):
        trace.missing = value.fields
        trace.zero_divisor = value.status == 2
    trace.node_values = recorded
    trace.leaves = list(leaves.values())
    trace.aggregates = [_aggregate_detail(results, a, exact) for a in aggregates]
    trace.aggregate = trace.aggregates[0] if trace.aggregates else None


def _unit_of(results: Results, node: A.Expr) -> str | None:
    if not isinstance(node, A.Ref):
        return None
    rs = results.checked.ruleset
    for table in (rs.unit_fields, rs.fields, rs.params):
        if node.name in table:
            return table[node.name].decl.unit  # type: ignore[no-any-return]
    if node.name in rs.items and isinstance(rs.items[node.name].decl, A.Indicator):
        return rs.items[node.name].decl.unit  # type: ignore[union-attr]
    return None


def _leaf(results: Results, name: str, value: Value, info: dict[str, Any]) -> Leaf:
    rs = results.checked.ruleset
    if "param" in info:
        p: Entry[A.ParamDecl] = rs.params[name]
        return Leaf(name, p.decl.title, value, p.decl.unit, "param", p.history, {"stage": info.get("stage")})
    if "split" in info:
        f = rs.fields[name]
        return Leaf(name, f.decl.title, value, f.decl.unit, "split", (), info)
    if "unit_field" in info:
        uf = rs.unit_fields[name]
        return Leaf(name, uf.decl.title, value, uf.decl.unit, "unit_field", (), info)
    if "item" in info:
        it = rs.items[name]
        unit = it.decl.unit if isinstance(it.decl, A.Indicator) else None
        return Leaf(name, it.decl.title, value, unit, "item", it.history)
    if name in rs.fields:
        f = rs.fields[name]
        return Leaf(name, f.decl.title, value, f.decl.unit, "field", (), info)
    return Leaf(name, None, value, None, "builtin")


def _aggregate_detail(results: Results, info: dict[str, Any], exact: Exact) -> dict[str, Any]:
    """For 差异系数 and friends: every row that entered, with its value and weight."""
    call: A.Call = info["call"]
    child = info["child"]
    rows = []
    for r in info["rows"]:
        x = exact.value(call.args[0], child, r)
        w: Value = Fraction(1)
        if call.func == "差异系数" or (call.func == "平均" and call.weight is not None):
            wexpr = call.weight if call.weight is not None else A.Ref("学生数", call.span)
            w = exact.value(wexpr, child, r)
        rows.append((subject_of(results, child, r), x, w))
    out: dict[str, Any] = {"func": call.func, "rows": rows, "child": child, "call": call,
                           "unit": _unit_of(results, call.args[0]) if call.args else None}
    pairs = [(x, w) for _, x, w in rows if isinstance(x, Fraction) and isinstance(w, Fraction)]
    if call.func == "差异系数" and rows and len(pairs) == len(rows):
        total = sum((w for _, w in pairs), Fraction(0))
        if total:
            mean = sum((w * x for x, w in pairs), Fraction(0)) / total
            var = sum((w * (x - mean) ** 2 for x, w in pairs), Fraction(0)) / total
            out.update({"total_weight": total, "mean": mean, "variance": var})
    return out


def _explain_conclusion(results: Results, decl: A.Conclusion, trace: Trace, depth: int) -> None:
    rs = results.checked.ruleset
    trace.combo = decl.combo
    if decl.combo is None or depth <= 0:
        return
    env = results.env
    for name, _span in expand_ids(decl.combo.items, list(rs.items)):
        item = results.items[name]
        if item.fkey == trace.fkey:
            trace.children.append(explain(results, name, item.fkey, trace.row, depth - 1))
            continue
        # a lower-level item: list the rows under this one that did not pass
        up = env.frames[item.fkey].up[trace.fkey]
        rows = [int(r) for r in range(len(up)) if up[r] == trace.row]
        codes = [int(item.verdict[r]) for r in rows]
        if item.fkey in (COUNTY_STAGE,) or not rows:
            for r in rows:
                trace.children.append(explain(results, name, item.fkey, r, 0))
            continue
        child = Trace(name, rs.items[name].decl.title, "group", item.fkey, trace.row, trace.subject,
                      _group_verdict(codes), history=rs.items[name].history, source=rs.items[name].decl.source)
        child.children = [explain(results, name, item.fkey, r, 1) for r, c in zip(rows, codes, strict=True)
                          if c in (FAIL, DATA_MISSING)]
        child.aggregate = {"counts": {c: codes.count(c) for c in (PASS, FAIL, NOT_APPLICABLE, DATA_MISSING)}}
        trace.children.append(child)


def _group_verdict(codes: list[int]) -> int:
    if FAIL in codes:
        return FAIL
    if DATA_MISSING in codes:
        return DATA_MISSING
    return PASS if PASS in codes else NOT_APPLICABLE
