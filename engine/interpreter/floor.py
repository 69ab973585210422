"""The national standard is a floor: a layer may tighten a 不得放宽 item, never loosen it silently.

Part of the layer stage. For every change a layer made to a parameter or indicator marked
`不得放宽`, decide whether it tightens: a parameter used as a minimum (要求 不低于/达到/≥ …)
may only go up, one used as a maximum (不超过/≤ …) only down. A change that loosens, or
that cannot be proven not to loosen (a new formula or scope), needs `放宽 理由 "…"`.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from fractions import Fraction

from engine.interpreter import ast as A
from engine.interpreter.equivalence import same_meaning
from engine.interpreter.errors import DiagnosticBag, Related
from engine.interpreter.layer import Change, Entry, RuleSet, format_values

MIN, MAX = "下限", "上限"


def _leaf_requirements(req: A.Requirement | None) -> Iterator[A.ReqCompare]:
    if isinstance(req, A.ReqCompare):
        yield req
    elif isinstance(req, A.ReqIf):
        yield from _leaf_requirements(req.then)
        yield from _leaf_requirements(req.otherwise)


def param_directions(rs: RuleSet) -> dict[str, set[str]]:
    """For each parameter, whether requirements use it as a minimum, a maximum, or both."""
    out: dict[str, set[str]] = {}
    for entry in rs.items.values():
        decl = entry.decl
        if not isinstance(decl, A.Indicator):
            continue
        for req in _leaf_requirements(decl.requirement):
            if isinstance(req.threshold, A.Ref) and req.op in (A.Cmp.GE, A.Cmp.GT, A.Cmp.LE, A.Cmp.LT):
                way = MIN if req.op in (A.Cmp.GE, A.Cmp.GT) else MAX
                out.setdefault(req.threshold.name, set()).add(way)
    return out


def _latest(values: tuple[A.ParamValues, ...]) -> dict[str | None, Fraction]:
    if not values:
        return {}
    chosen = max(values, key=lambda v: v.effective or date.min)
    return {s: n.value for s, n in chosen.by_stage}


def check_floor(rs: RuleSet, bag: DiagnosticBag) -> None:
    """Report every loosening of a 不得放宽 item that carries no 放宽 理由 (E311)."""
    directions = param_directions(rs)
    for name, entry in rs.params.items():
        for change in _changes(entry):
            before = change.before
            if not isinstance(before, A.ParamDecl) or not before.strict:
                continue
            after = _version_after(entry, change)
            assert isinstance(after, A.ParamDecl)
            ways = directions.get(name, set())
            old_values, new_values = _latest(before.values), _latest(after.values)
            written_as_percent = any(n.text.endswith("%") for v in before.values for _, n in v.by_stage)
            unit = "%" if written_as_percent else before.unit
            if len(ways) != 1 and old_values != new_values and not change.relax:
                # used inside a formula, or both as a minimum and a maximum: the direction of
                # "stricter" cannot be read off, so any change must state its reason
                bag.error(
                    "E311", f"「{name}」不得放宽,{change.layer}修改了它,但无法判断是收紧还是放宽:"
                    f"{_show(old_values, unit)} → {_show(new_values, unit)}", change.span,
                    hint="该参数不是直接作为要求的上限或下限使用;若确有依据,请在修改处写明 放宽 理由 \"……\"",
                    related=(Related(entry.history[0].span, f"{entry.history[0].layer} 的标准"),))
                continue
            loosened = _loosened_stages(old_values, new_values, ways, unit)
            if loosened and not change.relax:
                way = "、".join(sorted(ways)) or "标准"
                bag.error(
                    "E311", f"「{name}」不得放宽,{change.layer}把它改松了:{loosened}", change.span,
                    hint=f"该参数在要求中作{way}使用,只能向更严的方向修改;若确有依据,请在修改处写明 放宽 理由 \"……\"",
                    related=(Related(entry.history[0].span, f"{entry.history[0].layer} 的标准:"
                                     f"{format_values(before.values)}"),))
    current = {n: _latest(e.decl.values) for n, e in rs.params.items()}
    strict_params = {n for n, e in rs.params.items() if e.history[0].before is None and _defined_strict(e)}
    for name, item in rs.items.items():
        for change in _changes(item):
            before = change.before
            if not isinstance(before, A.Indicator) or change.relax:
                continue
            # an indicator whose standard is a 不得放宽 parameter is held to the same floor
            guarded = before.strict or any(isinstance(r.threshold, A.Ref) and r.threshold.name in strict_params
                                           for r in _leaf_requirements(before.requirement))
            if not guarded:
                continue
            after = _version_after(item, change)
            assert isinstance(after, A.Indicator)
            problem = _indicator_loosening(before, after, current)
            if problem:
                bag.error("E311", f"「{name}」不得放宽,{change.layer}的修改{problem}", change.span,
                          hint="只能收紧要求;若确有依据,请写明 放宽 理由 \"……\"",
                          related=(Related(item.history[0].span, f"{item.history[0].layer} 的定义"),))


def _defined_strict(entry: Entry) -> bool:  # type: ignore[type-arg]
    first = entry.history[1].before if len(entry.history) > 1 else entry.decl
    return bool(getattr(first, "strict", False))


def _changes(entry: Entry) -> Iterator[Change]:  # type: ignore[type-arg]
    yield from (c for c in entry.history if c.op == "修改")


def _version_after(entry: Entry, change: Change) -> object:  # type: ignore[type-arg]
    """The declaration right after `change` (the next change's `before`, or the current one)."""
    later = entry.history[entry.history.index(change) + 1:]
    nxt = next((c for c in later if c.before is not None), None)
    return nxt.before if nxt is not None else entry.decl


def _loosened_stages(old: dict[str | None, Fraction], new: dict[str | None, Fraction], ways: set[str],
                     unit: str | None = None) -> str:
    parts = []
    stages: list[str | None] = [s for s in dict.fromkeys([*old, *new]) if s is not None] or [None]
    for stage in stages:
        before, after = old.get(stage, old.get(None)), new.get(stage, new.get(None))
        if before is None or after is None:
            continue
        looser = (MIN in ways and after < before) or (MAX in ways and after > before)
        if looser:
            label = f"{stage} " if stage else ""
            parts.append(f"{label}{_num(before, unit)} → {_num(after, unit)}")
    return "、".join(parts)


def _num(x: Fraction, unit: str | None = None) -> str:
    if unit == "%":
        return f"{float(x * 100):g}%"
    return str(x.numerator) if x.denominator == 1 else format(float(x), "g")


def _show(values: dict[str | None, Fraction], unit: str | None) -> str:
    return "、".join(f"{s} {_num(v, unit)}" if s else _num(v, unit) for s, v in values.items())


def _indicator_loosening(before: A.Indicator, after: A.Indicator,
                         params: dict[str, dict[str | None, Fraction]]) -> str | None:
    if not same_meaning(before.calc, after.calc):
        return "改变了计算公式,无法证明没有放宽"
    if before.scope != after.scope:
        return "改变了适用范围,无法证明没有放宽"
    old = list(_leaf_requirements(before.requirement))
    new = list(_leaf_requirements(after.requirement))
    if len(old) != len(new):
        return "改变了要求的结构,无法证明没有放宽"
    for o, n in zip(old, new, strict=True):
        if o.op != n.op:
            return f"把「{o.word}」改成了「{n.word}」,无法证明没有放宽"
        if isinstance(o.threshold, A.Num) and isinstance(n.threshold, A.Num):
            looser = (o.op in (A.Cmp.GE, A.Cmp.GT) and n.threshold.value < o.threshold.value) or \
                     (o.op in (A.Cmp.LE, A.Cmp.LT) and n.threshold.value > o.threshold.value)
            if looser:
                return f"把标准从 {o.threshold.text} 改为 {n.threshold.text},放宽了要求"
        elif not _same_ref(o.threshold, n.threshold):
            old_v, new_v = _values_of(o.threshold, params), _values_of(n.threshold, params)
            if old_v is None or new_v is None:
                return "改变了要求的标准,无法证明没有放宽"
            stages = _loosened_stages(old_v, new_v, {MIN} if o.op in (A.Cmp.GE, A.Cmp.GT) else {MAX})
            if stages:
                return f"放宽了要求:{stages}"
    return None


def _values_of(e: A.Expr, params: dict[str, dict[str | None, Fraction]]) -> dict[str | None, Fraction] | None:
    """A threshold as per-学段 values: a literal, or a parameter's current values."""
    if isinstance(e, A.Num):
        return {None: e.value}
    if isinstance(e, A.Ref) and e.name in params:
        return params[e.name]
    return None


def _same_ref(a: A.Expr, b: A.Expr) -> bool:
    return isinstance(a, A.Ref) and isinstance(b, A.Ref) and a.name == b.name
