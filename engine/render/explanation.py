"""Render a `Trace` as Chinese text: formula, numbers put in, requirement, provenance, gap."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from fractions import Fraction

from engine.interpreter import ast as A
from engine.interpreter.exact import Value
from engine.interpreter.explain import Leaf, Trace
from engine.interpreter.frames import DATA_MISSING, FAIL, NOT_APPLICABLE, PASS, VERDICT_TEXT
from engine.interpreter.layer import Change
from engine.interpreter.printer import expr_text
from engine.render.numbers import fmt_number, fmt_result, fmt_value

MARK = {PASS: "✓", FAIL: "✗", NOT_APPLICABLE: "–", DATA_MISSING: "?"}
OP_TEXT = {A.Cmp.GE: "≥", A.Cmp.GT: ">", A.Cmp.LE: "≤", A.Cmp.LT: "<", A.Cmp.EQ: "为", A.Cmp.NE: "不为"}


def where(change: Change) -> str:
    return f"{change.span.file}:{change.span.line}"


def provenance(history: tuple[Change, ...], source: str | None) -> str:
    """国家 · rules/national/1-资源配置.rule:13 · 教督〔2017〕6号 第五条(一)."""
    last = history[-1]
    parts = [last.layer, where(last)]
    if source:
        parts.append(source)
    return " · ".join(parts)


def chain(history: tuple[Change, ...]) -> str | None:
    """国家标准 4.2 → 某省修改为 4.5(某省文号), when a parameter was changed by a layer."""
    if len(history) < 2:
        return None
    first = history[0]
    steps = [f"{first.layer}标准 {first.what}"]
    for ch in history[1:]:
        new = ch.what.split(" → ")[-1]
        cite = ch.source if ch.source and ch.docno and ch.source.startswith(ch.docno) else \
            " ".join(x for x in (ch.docno, ch.source) if x) or where(ch)
        relax = f",放宽理由:{ch.relax}" if ch.relax else ""
        steps.append(f"{ch.layer}修改为 {new}({cite}{relax})")
    return " → ".join(steps)


def render_trace(t: Trace, indent: int = 0, in_combo: A.Combo | None = None, header: bool = True,
                 remedies: Callable[[Trace], list[str]] | None = None) -> list[str]:
    """A trace as lines of text (the first line names the row, the item and the verdict).

    With `remedies` (engine.render.remedies.render_remedies bound to the results), its
    「整改:…」 lines follow each failure."""
    pad = "  " * indent
    lines: list[str] = []
    verdict = VERDICT_TEXT[t.verdict]
    name = f"{t.item} {t.title}" if t.title and t.title != t.item else t.item
    if not header and " · " in t.subject and t.fkey == "县区学段":
        name += f"({t.subject.split(' · ')[-1]})"  # a 分学段 county row: say which 学段
    if t.kind == "indicator":
        if header:
            lines.append(f"{pad}{t.subject} · {name} —— {verdict}")
            lines.extend(_indicator_body(t, pad + "  ", in_combo))
            lines.extend(f"{pad}  {r}" for r in (remedies(t) if remedies else []))
        else:
            body = _indicator_body(t, pad + "      ", in_combo, detailed=False)
            lines.append(f"{pad}{MARK[t.verdict]} {name}")
            lines.extend(body)
            lines.extend(f"{pad}      {r}" for r in (remedies(t) if remedies else []))
        return lines
    if t.kind == "group":
        counts = (t.aggregate or {}).get("counts", {})
        summary = f"达标 {counts.get(PASS, 0)},未达标 {counts.get(FAIL, 0)}"
        if counts.get(DATA_MISSING):
            summary += f",数据缺失 {counts[DATA_MISSING]}"
        lines.append(f"{pad}{MARK[t.verdict]} {name}({summary})")
        for child in t.children:
            lines.extend(render_trace(child, indent + 2, child.combo, header=True, remedies=remedies))
        return lines
    # a conclusion
    detail = _combo_detail(t) if t.verdict != NOT_APPLICABLE else _na_reason(t)
    head = f"{t.subject} · {name} —— {verdict}{detail}" if header else f"{MARK[t.verdict]} {name} —— {verdict}{detail}"
    lines.append(pad + head)
    if t.history:
        lines.append(f"{pad}    [{provenance(t.history, t.source)}]")
    for child in t.children:
        lines.extend(render_trace(child, indent + 1, t.combo, header=False, remedies=remedies))
    lines.extend(f"{pad}  {r}" for r in (remedies(t) if remedies else []))
    return lines


def _combo_detail(t: Trace) -> str:
    if not t.children or t.combo is None:
        return ""
    codes = [c.verdict for c in t.children]
    n_pass, n_fail = codes.count(PASS), codes.count(FAIL)
    if t.combo.kind == "至少" and t.combo.rest_ratio is not None:
        pct = fmt_number(t.combo.rest_ratio * 100)
        within = sum(1 for c in t.children if c.verdict == FAIL and _rest_ok(c, t.combo))
        text = f"({n_pass} 项达到要求"
        if within:
            text += f",{within} 项不低于要求的 {pct}%"
        if n_fail - within:
            text += f",{n_fail - within} 项低于要求的 {pct}%"
        missing = codes.count(DATA_MISSING)
        return text + (f",{missing} 项数据缺失)" if missing else ")")
    parts = [f"{n_pass} 项达标"]
    if n_fail:
        parts.append(f"{n_fail} 项未达标")
    if codes.count(DATA_MISSING):
        parts.append(f"{codes.count(DATA_MISSING)} 项数据缺失")
    return "(" + ",".join(parts) + ")"


def _rest_ok(t: Trace, combo: A.Combo) -> bool:
    if not isinstance(t.value, Fraction) or not isinstance(t.threshold, Fraction) or combo.rest_ratio is None:
        return False
    bound = t.threshold * combo.rest_ratio
    return t.value >= bound if combo.rest_op is A.Cmp.GE else t.value > bound


def _fmt_node(t: Trace):  # type: ignore[no-untyped-def]
    def subst(node: A.Expr) -> str | None:
        if isinstance(node, A.Ref | A.Call) and id(node) in t.node_values:
            value, unit = t.node_values[id(node)]
            return fmt_value(value, unit)
        return None
    return subst


def _indicator_body(t: Trace, pad: str, combo: A.Combo | None, detailed: bool = True) -> list[str]:
    lines: list[str] = []
    unit = t.unit
    if t.scope_note:
        return [f"{pad}{t.scope_note}:{_scope_reason(t)},不参加本项评估"]
    if t.calc is not None:
        formula = expr_text(t.calc)
        substituted = expr_text(t.calc, _fmt_node(t))
        value = fmt_result(t.value, unit)
        if substituted in (formula, value, fmt_value(t.value, unit)):
            lines.append(f"{pad}计算 {formula} = {value}")
        else:
            lines.append(f"{pad}计算 {formula}")
            lines.append(f"{pad}   = {substituted} = {value}")
    for leaf in t.leaves:
        extra = _leaf_line(leaf)
        if extra:
            lines.append(f"{pad}{extra}")
    if detailed:
        for agg in t.aggregates:
            lines.extend(_aggregate_lines(agg, pad, len(t.aggregates) > 1))
    for cond, holds in t.branches:
        lines.append(f"{pad}适用条件:若 {expr_text(cond, _fmt_values(t.threshold_values, named=True))}"
                     f"——{'成立' if holds else '不成立'}")
    if t.requirement is not None:
        threshold = fmt_value(t.threshold, unit if t.requirement.op not in (A.Cmp.EQ, A.Cmp.NE) else None, trim=True)
        ref = t.requirement.threshold
        prov = provenance(t.history, t.source)
        param_chain = None
        if isinstance(ref, A.Ref):
            param = next((lf for lf in t.leaves if lf.name == ref.name and lf.kind == "param"), None)
            if param is not None and param.history:
                cited = next((c.source for c in reversed(param.history) if c.source), None)
                prov = provenance(param.history, cited or t.source)
                param_chain = chain(param.history)
        if not isinstance(ref, A.Ref | A.Num | A.Bool | A.Text):
            shown = expr_text(ref, _fmt_values(t.threshold_values))
            threshold = f"{shown} = {threshold}"
        lines.append(f"{pad}要求 {OP_TEXT[t.requirement.op]} {threshold}   [{prov}]")
        if param_chain:
            lines.append(f"{pad}     {param_chain}")
    if t.missing:
        lines.append(f"{pad}数据缺失:{'、'.join(t.missing)}")
    elif t.zero_divisor:
        lines.append(f"{pad}数据缺失:分母为零,无法计算")
    gap = _gap(t, combo)
    if gap:
        lines.append(f"{pad}{gap}")
    return lines


def _leaf_line(leaf: Leaf) -> str | None:
    if leaf.kind != "split":
        return None
    d = leaf.detail
    share = d.get("share")
    total = d.get("total")
    if not isinstance(share, Fraction) or not isinstance(total, Fraction) or share == 1:
        return None
    parts = d.get("parts")
    how = ""
    if isinstance(parts, dict):
        stage = d.get("stage")
        w, n = parts.get(stage, (0, 0))
        terms = " + ".join(f"{fmt_number(Fraction(pn))}×{fmt_number(Fraction(pw), trim=True)}" for pw, pn in parts.values())
        how = f"({fmt_number(Fraction(n))}×{fmt_number(Fraction(w), trim=True)} ÷ ({terms}))"
    return (f"  其中 {leaf.name} 按学段拆分:全校 {fmt_value(total, leaf.unit)} × {d.get('stage')}份额 "
            f"{fmt_number(share * 100, None, 2)}%{how} = {fmt_value(leaf.value, leaf.unit)}")


def _aggregate_lines(agg: dict[str, object], pad: str, named: bool) -> list[str]:
    rows = agg.get("rows", [])
    assert isinstance(rows, list)
    unit = agg.get("unit")
    call = agg.get("call")
    what = f"{expr_text(call)}:" if named and isinstance(call, A.Call) else ""
    lines = [f"{pad}{what}参与计算的{agg.get('child')} {len(rows)} 个:"]
    for subject, x, w in rows:
        weight = f",权重 {fmt_value(w)}" if agg.get("func") in ("差异系数", "平均") else ""
        lines.append(f"{pad}  {subject}:{fmt_result(x, unit if isinstance(unit, str) else None)}{weight}")
    if "mean" in agg:
        from engine.interpreter.exact import sqrt

        mean, variance, total = agg["mean"], agg["variance"], agg["total_weight"]
        assert isinstance(mean, Fraction) and isinstance(variance, Fraction) and isinstance(total, Fraction)
        sd = sqrt(variance)
        lines.append(f"{pad}总权重 ΣP = {fmt_value(total)};加权平均 X̄ = ΣPX ÷ ΣP = {fmt_number(mean, None, 4)}")
        lines.append(f"{pad}加权标准差 S = √(ΣP(X−X̄)² ÷ ΣP) = {fmt_number(sd, None, 4)};"
                     f"差异系数 = S ÷ X̄ = {fmt_number(sd / mean, None, 6) if mean else '—'}")
    return lines


def _fmt_values(values: Mapping[int, tuple[Value, str | None]], named: bool = False):  # type: ignore[no-untyped-def]
    """Put each name's value in its place (named: 办学类型(教学点), else just 教学点)."""
    def subst(node: A.Expr) -> str | None:
        if isinstance(node, A.Ref) and id(node) in values:
            value, unit = values[id(node)]
            shown = fmt_value(value, unit)
            return f"{node.name}({shown})" if named else shown
        return None
    return subst


def _scope_reason(t: Trace) -> str:
    """Why a row is outside a 范围: the condition that excluded it, with the row's values."""
    scope = t.scope_decl
    if scope is None:
        return ""
    conds = [*scope.exclude, *scope.include]
    parts = [expr_text(c, _fmt_values(t.scope_values, named=True)) for c in conds]
    return ";".join(parts)


def _na_reason(t: Trace) -> str:
    notes = {c.scope_note for c in t.children if c.scope_note}
    return f"({'、'.join(sorted(notes))})" if notes else ""


def _gap(t: Trace, combo: A.Combo | None) -> str | None:
    if t.verdict != FAIL or t.requirement is None:
        return None
    v, th = t.value, t.threshold
    if not isinstance(v, Fraction) or not isinstance(th, Fraction):
        return None
    unit = t.unit
    op = t.requirement.op
    if op in (A.Cmp.GE, A.Cmp.GT):
        text = f"差 {fmt_number((th - v) * 100)} 个百分点" if unit == "%" else f"差 {fmt_value(th - v, unit)}"
        if th > 0:
            ratio = v / th
            text += f",为要求的 {fmt_number(ratio * 100, None, 1)}%"
            if combo is not None and combo.rest_ratio is not None:
                pct = fmt_number(combo.rest_ratio * 100)
                ok = v >= th * combo.rest_ratio if combo.rest_op is A.Cmp.GE else v > th * combo.rest_ratio
                text += f"(≥{pct}%),计为余项" if ok else f"(低于 {pct}%)"
        return text
    if op in (A.Cmp.LE, A.Cmp.LT):
        return f"超出 {fmt_number((v - th) * 100)} 个百分点" if unit == "%" else f"超出 {fmt_value(v - th, unit)}"
    return None
