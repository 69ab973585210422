"""Diff stage: two checked rule sets → their semantic differences, and (with facts) the impact.

Semantic, not textual: parameters compare by value per 学段 (stricter or looser, judged by
how requirements use them), formulas compare by meaning (sympy decides `a×100÷b` equals
`100×a÷b`), items compare clause by clause. The impact evaluates both rule sets on the same
facts and lists every verdict that flips, with the rule changes it depends on.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from typing import Any

import numpy as np

from engine.interpreter import ast as A
from engine.interpreter.check import Checked, walk
from engine.interpreter.equivalence import same_meaning
from engine.interpreter.floor import MAX, MIN, param_directions
from engine.interpreter.frames import resolve_params
from engine.interpreter.printer import expr_text, requirement_text


@dataclass(frozen=True)
class Change:
    """One semantic difference between rule set A and rule set B."""

    kind: str  # 参数 / 指标 / 结论 / 字段 / 范围 / 学部字段
    name: str
    what: str  # 修改 / 新增 / 删除
    detail: str  # Chinese description
    direction: str | None = None  # 更严 / 更宽 / None (cannot tell)
    where_b: str | None = None  # file:line in B
    where_a: str | None = None


@dataclass
class Flip:
    """A verdict that differs between A and B for one row."""

    item: str
    title: str
    row: dict[str, Any]
    before: str
    after: str
    causes: list[str]


@dataclass
class Impact:
    flips: list[Flip] = field(default_factory=list)
    rates: list[dict[str, Any]] = field(default_factory=list)


def _same_requirement(a: A.Requirement | None, b: A.Requirement | None) -> bool:
    if a is None or b is None:
        return a is b
    if isinstance(a, A.ReqCompare) and isinstance(b, A.ReqCompare):
        return a.op == b.op and same_meaning(a.threshold, b.threshold)
    if isinstance(a, A.ReqIf) and isinstance(b, A.ReqIf):
        return (same_meaning(a.cond, b.cond) and _same_requirement(a.then, b.then)
                and _same_requirement(a.otherwise, b.otherwise))
    return False


# ---------------------------------------------------------------- rule differences


def _where(entry: Any) -> str:
    span = entry.history[-1].span
    return f"{span.file}:{span.line}"


def diff_rules(a: Checked, b: Checked, as_of: date) -> list[Change]:
    """Every semantic difference from rule set A to rule set B, in a stable order."""
    ra, rb = a.ruleset, b.ruleset
    out: list[Change] = []
    pa, pb = resolve_params(ra.params, as_of), resolve_params(rb.params, as_of)
    directions = param_directions(rb)
    for name in _union(ra.params, rb.params):
        if name not in rb.params:
            out.append(Change("参数", name, "删除", f"B 中没有参数「{name}」", where_a=_where(ra.params[name])))
            continue
        if name not in ra.params:
            out.append(Change("参数", name, "新增", f"= {_values(pb[name])}", where_b=_where(rb.params[name])))
            continue
        if pa[name] != pb[name]:
            out.append(Change("参数", name, "修改", f"{_values(pa[name])} → {_values(pb[name])}",
                              _direction(pa[name], pb[name], directions.get(name, set())),
                              _where(rb.params[name]), _where(ra.params[name])))
    for kind, ta, tb in (("字段", ra.fields, rb.fields), ("学部字段", ra.unit_fields, rb.unit_fields),
                         ("范围", ra.scopes, rb.scopes)):
        for name in _union(ta, tb):
            if name not in tb:
                out.append(Change(kind, name, "删除", f"B 中没有{kind}「{name}」", where_a=_where(ta[name])))
            elif name not in ta:
                out.append(Change(kind, name, "新增", tb[name].decl.title or "", where_b=_where(tb[name])))
            elif _strip(ta[name].decl) != _strip(tb[name].decl):
                out.append(Change(kind, name, "修改", _decl_change(ta[name].decl, tb[name].decl), None,
                                  _where(tb[name]), _where(ta[name])))
    for name in _union(ra.items, rb.items):
        kind = "结论" if isinstance((ra.items.get(name) or rb.items[name]).decl, A.Conclusion) else "指标"
        if name not in rb.items:
            reason = rb.removed.get(name)
            text = f"{reason[0]}删除,理由:{reason[1]}" if reason else "B 中没有此项"
            where_b = f"{reason[2].file}:{reason[2].line}" if reason else None
            out.append(Change(kind, name, "删除", text, where_b=where_b, where_a=_where(ra.items[name])))
        elif name not in ra.items:
            out.append(Change(kind, name, "新增", rb.items[name].decl.title or "", where_b=_where(rb.items[name])))
        else:
            detail = _item_change(ra.items[name].decl, rb.items[name].decl)
            if detail:
                out.append(Change(kind, name, "修改", detail, None, _where(rb.items[name]), _where(ra.items[name])))
    return out


def _union(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    return list(a) + [n for n in b if n not in a]


def _values(v: dict[str | None, Fraction]) -> str:
    def num(x: Fraction) -> str:
        return str(x.numerator) if x.denominator == 1 else format(float(x), "g")
    return "、".join(f"{s} {num(x)}" if s else num(x) for s, x in v.items())


def _direction(old: dict[str | None, Fraction], new: dict[str | None, Fraction], ways: set[str]) -> str | None:
    if len(ways) != 1:
        return None
    up = any(new.get(s, x) > x for s, x in old.items())
    down = any(new.get(s, x) < x for s, x in old.items())
    if up == down:
        return None
    stricter = up if MIN in ways else down if MAX in ways else None
    return None if stricter is None else ("更严" if stricter else "更宽")


def _strip(decl: Any) -> Any:
    """A declaration with its spans removed, so equal text in other places compares equal."""
    if dataclasses.is_dataclass(decl) and not isinstance(decl, type):
        return tuple((f.name, _strip(getattr(decl, f.name))) for f in dataclasses.fields(decl) if f.name != "span")
    if isinstance(decl, tuple):
        return tuple(_strip(x) for x in decl)
    return decl


_FIELD_WORDS = {"title": "名称", "source": "依据", "note": "说明", "unit": "单位", "type": "类型", "required": "必需",
                "include": "包含条件", "exclude": "排除条件", "target": "对象", "by_stage": "各学段取值",
                "entity": "所属表", "condition": "条件", "items": "项目", "weight": "权重", "heads": "人数"}


def _decl_change(a: Any, b: Any) -> str:
    names = [f.name for f in dataclasses.fields(a) if f.name != "span" and _strip(getattr(a, f.name)) != _strip(getattr(b, f.name))]
    return "修改了" + "、".join(_FIELD_WORDS.get(n, n) for n in names)


def combo_text(combo: A.Combo | None) -> str:
    """A conclusion's combining rule in words: 所有 G1、G2 达标 / R1 至 R7 中至少 6 项达标…"""
    if combo is None:
        return "—"
    names = "、".join(r.first + (f" 至 {r.last}" if r.last else "") for r in combo.items)
    if combo.kind == "至少":
        text = f"{names} 中至少 {combo.at_least} 项达标"
        if combo.rest_ratio is not None:
            text += f",其余{combo.rest_word}要求的 {float(combo.rest_ratio * 100):g}%"
        return text
    return f"{combo.kind} {names} 达标"


def _item_change(a: A.Indicator | A.Conclusion, b: A.Indicator | A.Conclusion) -> str | None:
    parts: list[str] = []
    if isinstance(a, A.Indicator) and isinstance(b, A.Indicator):
        if not same_meaning(a.calc, b.calc):
            parts.append(f"计算:{expr_text(a.calc) if a.calc else '—'} → {expr_text(b.calc) if b.calc else '—'}")
        if not _same_requirement(a.requirement, b.requirement):
            ra = requirement_text(a.requirement) if a.requirement else "—"
            rb = requirement_text(b.requirement) if b.requirement else "—"
            parts.append(f"要求:{ra} → {rb}")
        if a.scope != b.scope:
            parts.append(f"范围:{a.scope or '—'} → {b.scope or '—'}")
        if a.keep != b.keep:
            parts.append(f"保留位数:{a.keep} → {b.keep}")
    elif isinstance(a, A.Conclusion) and isinstance(b, A.Conclusion):
        if _strip(a.combo) != _strip(b.combo):
            parts.append(f"要求:{combo_text(a.combo)} → {combo_text(b.combo)}")
    else:
        parts.append("由指标改为结论" if isinstance(b, A.Conclusion) else "由结论改为指标")
    return ";".join(parts) or None


# ---------------------------------------------------------------- what each item depends on


def dependencies(checked: Checked) -> dict[str, set[str]]:
    """Every name (item, parameter, field, scope) each item depends on, transitively."""
    rs = checked.ruleset
    direct: dict[str, set[str]] = {}
    for name, entry in rs.items.items():
        names: set[str] = set(checked.deps.get(name, set()))
        decl = entry.decl
        exprs: list[A.Expr] = []
        if isinstance(decl, A.Indicator):
            exprs += [decl.calc] if decl.calc else []
            if decl.requirement is not None:
                from engine.interpreter.check import requirement_exprs

                exprs += list(requirement_exprs(decl.requirement))
            if decl.scope:
                names.add(decl.scope)
                sc = rs.scopes.get(decl.scope)
                if sc is not None:
                    exprs += [*sc.decl.include, *sc.decl.exclude]
        for e in exprs:
            for node in walk(e):
                if isinstance(node, A.Ref):
                    names.add(node.name)
                    names |= _unit_field_sources(checked, node.name)
                if isinstance(node, A.Call) and node.scope:
                    names.add(node.scope)
        direct[name] = names
    out: dict[str, set[str]] = {}
    for name in checked.order:
        closure = set(direct[name])
        for dep in direct[name]:
            closure |= out.get(dep, set())
        out[name] = closure
    return out


def _unit_field_sources(checked: Checked, name: str) -> set[str]:
    rs = checked.ruleset
    found: set[str] = set()
    for split in rs.splits.values():
        if name in split.decl.items:
            found |= {split.decl.weight or "", *(h for _, h in split.decl.heads)}
    return found


def iter_change_names(changes: list[Change]) -> Iterator[str]:
    yield from (c.name for c in changes)


# ---------------------------------------------------------------- impact on facts

_VERDICT = {0: "达标", 1: "未达标", 2: "不适用", 3: "数据缺失"}


def row_keys(results: Any, fkey: str) -> list[tuple[str, ...]]:
    """A stable key per row of a frame (school id, 学段, county), to match rows across rule sets."""
    env = results.env
    frame = env.frames[fkey]
    ids = env.fields[(A.SCHOOL, "学校标识码")].v
    counties = env.fields[(A.COUNTY, "县区")].v
    if fkey == A.UNIT:
        return [(str(ids[frame.up[A.SCHOOL][r]]), str(frame.stage[r])) for r in range(frame.n)]
    if fkey == A.SCHOOL:
        return [(str(ids[r]),) for r in range(frame.n)]
    if fkey == A.COUNTY:
        return [(str(counties[r]),) for r in range(frame.n)]
    return [(str(counties[frame.up[A.COUNTY][r]]), str(frame.stage[r])) for r in range(frame.n)]


def _describe_row(results: Any, fkey: str, r: int) -> dict[str, Any]:
    env = results.env
    frame = env.frames[fkey]
    names = env.fields[(A.SCHOOL, "学校名称")].v
    ids = env.fields[(A.SCHOOL, "学校标识码")].v
    counties = env.fields[(A.COUNTY, "县区")].v
    school = int(frame.up[A.SCHOOL][r]) if fkey == A.UNIT else r if fkey == A.SCHOOL else None
    county = int(frame.up[A.COUNTY][r]) if fkey != A.COUNTY else r
    return {"对象": {"县区学段": "县区"}.get(fkey, fkey), "县区": str(counties[county]),
            "学校标识码": None if school is None else str(ids[school]),
            "学校名称": None if school is None else str(names[school]),
            "学段": None if frame.stage is None or fkey == A.SCHOOL else str(frame.stage[r])}


def impact(ra: Any, rb: Any, changes: list[Change]) -> Impact:
    """Flips from results A to results B (same facts), with the changes each flip depends on."""
    out = Impact()
    deps = dependencies(rb.checked)
    changed = {c.name for c in changes}
    items_a, items_b = ra.items, rb.items
    causes_by_item: dict[str, set[str]] = {}
    cache: dict[str, np.ndarray] = {}
    order = list(changed)
    for name in rb.checked.order:
        entry = rb.checked.ruleset.items[name]
        if name not in items_a:
            continue
        # A conclusion flips because of what flipped beneath it, not everything it depends on.
        beneath = [d for d in rb.checked.deps.get(name, set()) if d in causes_by_item]
        if isinstance(entry.decl, A.Conclusion) and beneath:
            cause_set = (changed & {name}).union(*(causes_by_item[d] for d in beneath))
        else:
            cause_set = changed & (deps.get(name, set()) | {name})
        ia, ib = items_a[name], items_b[name]
        if ia is ib or ia.fkey != ib.fkey:  # shared by reuse: computed once, nothing can flip
            continue
        index_a = _row_map(ra, rb, ia.fkey, cache)
        b_rows = np.arange(len(ib.verdict))
        a_rows = index_a[b_rows]
        matched = a_rows >= 0
        differs = np.zeros(len(b_rows), dtype=bool)
        differs[matched] = ia.verdict[a_rows[matched]] != ib.verdict[b_rows[matched]]
        for r in np.flatnonzero(differs).tolist():
            before, after = int(ia.verdict[a_rows[r]]), int(ib.verdict[r])
            if before != after:
                causes_by_item[name] = cause_set
                out.flips.append(Flip(name, entry.decl.title or name, _describe_row(rb, ib.fkey, r),
                                      _VERDICT[before], _VERDICT[after], sorted(cause_set, key=order.index)))
    flipped = {f.item for f in out.flips}
    for name in flipped:
        ib = items_b[name]
        if ib.fkey not in (A.UNIT, A.SCHOOL):
            continue
        out.rates.extend(_rates(ra, rb, name))
    return out


def _row_map(ra: Any, rb: Any, fkey: str, cache: dict[str, np.ndarray]) -> np.ndarray:
    """For each row of B's frame, the matching row of A's (−1 when none); identity when equal."""
    if fkey not in cache:
        keys_a, keys_b = row_keys(ra, fkey), row_keys(rb, fkey)
        if keys_a == keys_b:
            cache[fkey] = np.arange(len(keys_b))
        else:
            where = {k: i for i, k in enumerate(keys_a)}
            cache[fkey] = np.array([where.get(k, -1) for k in keys_b], dtype=np.int64)
    return cache[fkey]


def _rates(ra: Any, rb: Any, name: str) -> list[dict[str, Any]]:
    """Pass rates of one item by 县区, 学段 and 城乡, in A and in B (rows 不适用 left out)."""
    table: dict[tuple[str, str], dict[str, list[int]]] = {}
    for results, side in ((ra, "A"), (rb, "B")):
        item = results.items[name]
        env = results.env
        frame = env.frames[item.fkey]
        school = frame.up[A.SCHOOL] if item.fkey == A.UNIT else np.arange(frame.n)
        counties = env.fields[(A.COUNTY, "县区")].v
        groups: list[tuple[str, np.ndarray]] = [("县区", counties[frame.up[A.COUNTY]].astype(str))]
        if frame.stage is not None and item.fkey == A.UNIT:
            groups.append(("学段", frame.stage.astype(str)))
        if (A.SCHOOL, "城乡") in env.fields:
            groups.append(("城乡", env.fields[(A.SCHOOL, "城乡")].v[school].astype(str)))
        applicable = item.verdict != 2
        passed = item.verdict == 0
        for by, labels in groups:
            values, inverse = np.unique(labels[applicable], return_inverse=True)
            totals = np.bincount(inverse, minlength=len(values))
            passes = np.bincount(inverse, weights=passed[applicable].astype(float), minlength=len(values))
            for value, total, ok in zip(values.tolist(), totals.tolist(), passes.tolist(), strict=True):
                cell = table.setdefault((by, value), {"A": [0, 0], "B": [0, 0]})
                cell[side] = [int(ok), int(total)]
    out = []
    for (by, value), cell in table.items():
        pa = Fraction(cell["A"][0], cell["A"][1]) if cell["A"][1] else None
        pb = Fraction(cell["B"][0], cell["B"][1]) if cell["B"][1] else None
        if pa != pb:
            out.append({"编号": name, "分组": by, "组": value, "A达标": cell["A"][0], "A总数": cell["A"][1],
                        "B达标": cell["B"][0], "B总数": cell["B"][1]})
    return out
