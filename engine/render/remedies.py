"""Remedies in Chinese: one change, the alternatives, a combined plan, a 差异系数 plan.

`render_remedies(trace, results)` gives the 「整改:…」 lines shown under a failure in
`junheng explain`; the ledger and the report reuse the same sentences.
"""

from __future__ import annotations

import weakref
from decimal import Decimal
from fractions import Fraction

from engine.interpreter import ast as A
from engine.interpreter.evaluate import Results
from engine.interpreter.exact import Value
from engine.interpreter.explain import Trace
from engine.interpreter.frames import DATA_MISSING, FAIL
from engine.interpreter.remedy import Change, ComboRemedy, CvRemedy, Goal, Remedier, Remedy
from engine.render.numbers import fmt_number, fmt_result

OP = {A.Cmp.GE: "≥", A.Cmp.GT: ">", A.Cmp.LE: "≤", A.Cmp.LT: "<"}
CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩"
_REMEDIERS: dict[int, tuple[weakref.ref[Results], Remedier]] = {}


def remedier_for(results: Results) -> Remedier:
    """One `Remedier` per evaluation, so explain, ledger and report share its cache."""
    key = id(results)
    hit = _REMEDIERS.get(key)
    if hit is not None and hit[0]() is results:
        return hit[1]
    rem = Remedier(results)
    _REMEDIERS[key] = (weakref.ref(results), rem)
    weakref.finalize(results, _REMEDIERS.pop, key, None)
    return rem


def num(x: Fraction) -> str:
    """An exact amount without float noise or padding zeros: 220, 0.52, 4,513.5."""
    if x.denominator == 1:
        return f"{x.numerator:,}"
    d = Decimal(x.numerator) / Decimal(x.denominator)
    text = f"{d.quantize(Decimal('0.0001')):,f}".rstrip("0").rstrip(".")
    return text


def amount(x: Fraction, unit: str | None) -> str:
    if unit == "%":
        return f"{num(x * 100)}%"
    return f"{num(x)} {unit}" if unit else num(x)


def change_text(ch: Change) -> str:
    """增加教学及辅助用房面积 220 ㎡(增至 4,500 ㎡) / 小学在校生数减少 49 人(减至 951 人)."""
    v, d = ch.var, ch.delta
    if v.boolean:
        want, now = ("是" if ch.new else "否"), ("是" if v.value else "否")
        return f"「{v.title}」应为「{want}」(现为「{now}」)"
    if v.unit == "%":
        verb = "提高" if d > 0 else "降低"
        return f"{v.title}{verb} {num(abs(d) * 100)} 个百分点(达到 {amount(ch.new, '%')})"
    share = ""
    if v.share is not None and v.share != 1:
        share = f";全校数,按加权学生数份额 {fmt_number(v.share * 100, None, 2)}% 计入{v.stage}部"
    if d > 0:
        return f"增加{v.title} {amount(d, v.unit)}(增至 {amount(ch.new, v.unit)}{share})"
    return f"{v.title}减少 {amount(-d, v.unit)}(减至 {amount(ch.new, v.unit)}{share})"


def remedy_text(r: Remedy) -> str:
    return ",并".join(change_text(c) for c in r.changes)


def alternatives(rems: list[Remedy] | tuple[Remedy, ...], limit: int = 4) -> str:
    """增加…,或 小学在校生数减少 …"""
    return ",或 ".join(remedy_text(r) for r in list(rems)[:limit])


def goal_text(results: Results, g: Goal) -> str:
    if g.floor is not None:
        unit = results.checked.ruleset.items[g.item].decl
        return f"{g.item} 提高到 {fmt_result(g.floor, getattr(unit, 'unit', None))}"
    if g.ratio is not None:
        return f"{g.item} 不低于要求的 {fmt_number(g.ratio * 100, None, 0)}%"
    return f"{g.item} 达到要求"


def option_text(results: Results, o: Remedy) -> str:
    """把 R1 达到要求:增加…;R5 不低于要求的 85%:…"""
    goals = "、".join(goal_text(results, g) for g in o.goals)
    return f"{goals}:{remedy_text(o)}"


def combo_lines(results: Results, c: ComboRemedy) -> list[str]:
    pct = fmt_number(c.ratio * 100, None, 0) if c.ratio is not None else None
    need = max(0, c.at_least - len(c.passing))
    head = f"现 {len(c.passing)} 项达到要求(需至少 {c.at_least} 项)"
    if c.missing:
        return [f"整改:{head};{'、'.join(c.missing)} 数据缺失,先补报数据再测算"]
    parts = [head + (f",还需 {need} 项达到要求" if need else "")]
    if c.below:
        parts.append(f"{'、'.join(c.below)} 低于要求的 {pct}%,须至少提高到 {pct}%")
    elif pct and need:
        parts.append(f"其余项须不低于要求的 {pct}%")
    lines = [f"整改:{';'.join(parts)}。"]
    if not c.options:
        lines.append("  没有找到只调整这些指标公式中数据的方案")
        return lines
    lines.append(f"  最省的方案:{option_text(results, c.options[0])}")
    others = [f"{CIRCLED[i] if i < len(CIRCLED) else '·'} {option_text(results, o)}"
              for i, o in enumerate(c.options[1:4])]
    if others:
        lines.append("  其他方案:" + ";".join(others))
    lines.append("  (方案的比较:优先增加配置而不减少学生,其次改动的数据项少,再次改动幅度相对现值小)")
    return lines


def cv_lines(results: Results, c: CvRemedy) -> list[str]:
    rs = results.checked.ruleset
    unit = getattr(rs.items[c.indicator].decl, "unit", None) if c.indicator else None
    top = [f"{x.subject.split(' · ')[0]} {fmt_number(x.share * 100, None, 1)}%"
           f"({fmt_result(x.value, unit)},{'低于' if x.value < c.mean else '高于'}均值)" for x in c.contributions[:3]]
    lines = [f"整改:差异系数 {fmt_number(c.value, None, 4)} {'超过' if c.op is A.Cmp.LE else '不低于'} "
             f"{fmt_number(c.limit, None, 2, trim=True)}。加权均值 {fmt_result(c.mean, unit)};"
             f"对加权方差贡献最大的学部:{'、'.join(top)}"]
    lo, hi, precision = c.searched
    if c.floor is None:
        return lines
    after = fmt_number(c.after, None, 4) if isinstance(c.after, Fraction) else "—"
    lines.append(f"  搜索:在 [{fmt_result(lo, unit)}, {fmt_result(hi, unit)}] 内以 {num(precision)} 为精度搜索最低线 L,"
                 f"把低于 L 的学部提高到 L;L = {fmt_result(c.floor, unit)} 时,按整改后的数据重算差异系数为 {after}")
    for r in c.raises:
        g = r.goals[0]
        before = rem_value(results, g)
        lines.append(f"  {r_subject(results, g)}:{fmt_result(before, unit)} → "
                     f"{fmt_result(r.after[0], unit)},{remedy_text(r)}")
    return lines


def rem_value(results: Results, g: Goal) -> Value:
    rem = remedier_for(results)
    return rem.value(rem.exact, g.item, g.fkey, g.row)


def r_subject(results: Results, g: Goal) -> str:
    from engine.interpreter.explain import subject_of

    return subject_of(results, g.fkey, g.row)


def render_remedies(trace: Trace, results: Results) -> list[str]:
    """The 「整改:…」 lines for one trace (a failing indicator, a failing 至少 N 项 conclusion,
    a failing 差异系数, or missing data); [] when there is nothing to remedy."""
    rem = remedier_for(results)
    decl = results.checked.ruleset.items[trace.item].decl
    if trace.verdict == DATA_MISSING and trace.kind == "indicator":
        missing = "、".join(trace.missing) or "分母为零的数据"
        return [f"整改:补报数据:{missing}"]
    if trace.verdict != FAIL:
        return []
    if isinstance(decl, A.Conclusion):
        combo = rem.combo(trace.item, trace.row) if trace.kind == "conclusion" else None
        return combo_lines(results, combo) if combo is not None else []
    if isinstance(decl.calc, A.Call) and decl.calc.func == "差异系数":
        cv = rem.cv(trace.item, trace.row)
        return cv_lines(results, cv) if cv is not None else []
    rems = rem.remedies(Goal(trace.item, trace.fkey, trace.row))
    if not rems:
        return ["整改:无法只靠调整本项公式中的数据达到要求"]
    return [f"整改:{alternatives(rems)}"]
