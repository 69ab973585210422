"""Render a monitoring report (engine.interpreter.monitor.Report) as Chinese text, JSON or an Excel workbook."""

from __future__ import annotations

import datetime as _dt
import io
import json
from collections import defaultdict
from fractions import Fraction
from typing import Any

from engine.interpreter.monitor import CV_MARGIN, NEAR, UPPER, Change, Margin, Point, Report, Row, Trend, Warning
from engine.render.diagnostics import display_width
from engine.render.numbers import exact_string, fmt_number, fmt_result

MARK = {"达标": "✓", "未达标": "✗", "不适用": "·", "数据缺失": "?"}
SCHOOL_WARNINGS_SHOWN = 8  # per item in the text report; JSON and Excel list them all


def _pad(text: str, width: int) -> str:
    return text + " " * max(1, width - display_width(text))


def _value(v: Fraction | str | None, unit: str | None, is_cv: bool = False) -> str:
    if v is None:
        return "—"
    if isinstance(v, str):
        return v
    if is_cv:
        return fmt_number(v, None, 3)
    return fmt_result(v, unit)


def _limit(op: str | None, limit: Fraction | None, unit: str | None) -> str:
    if limit is None:
        return ""
    text = fmt_number(limit, unit, trim=True)
    return f"{op or ''} {text}".strip() + (f" {unit}" if unit and unit != "%" else "")


def _who(row: Row) -> str:
    if row.school:
        return f"{row.school} · {row.stage}部" if row.stage else row.school
    return f"{row.county}({row.stage})" if row.stage else row.county


def _margin_text(m: Margin) -> str:
    values = "、".join(f"{s} {fmt_number(v, None, trim=True)}" if s else fmt_number(v, None, trim=True)
                      for s, v in m.values.items())
    if m.name != CV_MARGIN and "比例" in m.name:
        values = "、".join(f"{s} {fmt_number(v, '%', trim=True)}" if s else fmt_number(v, "%", trim=True)
                          for s, v in m.values.items())
    return f"{m.name} = {values}  {m.title}  [{m.source}]"


def _threshold_text(w: Warning) -> str:
    """How big the trigger is: 0.03, or 标准的 5% = 4.25 分."""
    amount = _value(w.margin, w.unit, w.is_cv)
    if w.is_cv or w.limit == 0:
        return f"{w.margin_name} {amount}"
    share = fmt_number(w.margin / abs(w.limit), "%", trim=True)
    return f"{w.margin_name}:标准的 {share} = {amount}"


def _warning_text(w: Warning) -> str:
    value = _value(w.value, w.unit, w.is_cv)
    bound = "上限" if w.direction == UPPER else "标准"
    limit = _limit(None, w.limit, w.unit)
    if w.kind == NEAR:
        return f"{value},距{bound} {limit} 仅 {_value(w.gap, w.unit, w.is_cv)}({_threshold_text(w)})"
    assert w.change is not None and w.previous is not None
    verb = "上升" if (w.value > w.previous) else "下降"
    return (f"{_value(w.previous, w.unit, w.is_cv)} → {value},一年内{verb} {_value(w.change, w.unit, w.is_cv)},"
            f"向{bound} {limit} 靠近({_threshold_text(w)})")


def _point_text(p: Point | None, unit: str | None, is_cv: bool) -> str:
    if p is None:
        return "—"
    if p.value is None:
        return p.verdict
    return f"{_value(p.value, unit, is_cv)} {p.verdict}"


def _change_text(c: Change) -> str:
    cv = c.item.endswith("差异系数")
    before = _point_text(c.before, c.unit, cv)
    after = _point_text(c.after, c.unit, cv)
    req = _limit(c.op, c.after.limit, c.unit)
    return f"{c.item} {c.title}:{before} → {after}" + (f"(要求 {req})" if req else "")


def render_text(report: Report) -> str:
    """The report for people: per county the lost verdicts, the warnings of the latest year, the trends."""
    years = report.years
    latest = years[-1]
    lines = [f"动态监测:{report.ruleset}({report.title or ''}{' · ' + report.docno if report.docno else ''})"
             f"  年份:{' → '.join(years)}",
             "预警尺度:", *(f"  {_margin_text(m)}" for m in report.margins)]
    counties = list(dict.fromkeys([t.row.county for t in report.trends] + [t.county for t in report.tallies]))
    for county in counties:
        lines += ["", f"━━ {county} ━━"]
        lost = [c for c in report.lost if c.row.county == county]
        lines.append("")
        if lost:
            lines.append(f"失去的达标({len(lost)} 处):")
            for c in lost:
                who = f"{_who(c.row)} · " if c.row.school or c.row.stage else ""
                lines.append(f"  ✗ [{c.year_from} → {c.year_to}] {who}{_change_text(c)}")
        else:
            lines.append("失去的达标:无。")
        warnings = [w for w in report.warnings if w.row.county == county and w.year == latest]
        lines.append("")
        if warnings:
            lines.append(f"预警({latest} 年,{len(warnings)} 条):")
            lines.extend(_warning_lines(warnings))
        else:
            lines.append(f"预警({latest} 年):无。")
        regained = [c for c in report.regained if c.row.county == county]
        if regained:
            lines += ["", f"恢复达标({len(regained)} 处):"]
            for c in regained:
                who = f"{_who(c.row)} · " if c.row.school or c.row.stage else ""
                lines.append(f"  ✓ [{c.year_from} → {c.year_to}] {who}{_change_text(c)}")
        lines += ["", "趋势(值与结论):", _trend_header(years)]
        for t in (t for t in report.trends if t.row.county == county):
            lines.extend(_trend_lines(t))
        tallies = [t for t in report.tallies if t.county == county]
        if tallies:
            lines += ["", "学校、学部项目(达标数 / 参评数):", _trend_header(years)]
            for tally in tallies:
                label = f"  {tally.item} {tally.title}"
                cells = "".join(_pad(f"{p}/{a}" if a else "—", 22)
                                for p, a in zip(tally.passed, tally.applicable, strict=True))
                lines.append((_pad(_clip(label, 50), 52) + _pad(tally.stage or "", 6) + cells).rstrip())
    earlier = [w for w in report.warnings if w.year != latest]
    if earlier:
        lines += ["", f"更早年份的预警 {len(earlier)} 条见 JSON 或 Excel 输出。"]
    if report.notes:
        lines += ["", "提示:"]
        for year, notes in report.notes.items():
            lines.extend(f"  · {year}:{n}" for n in notes)
    return "\n".join(lines)


def _clip(text: str, width: int) -> str:
    if display_width(text) <= width:
        return text
    out = ""
    for ch in text:
        if display_width(out + ch + "…") > width:
            break
        out += ch
    return out + "…"


def _trend_header(years: tuple[str, ...]) -> str:
    return (_pad("  项目", 52) + _pad("学段", 6) + "".join(_pad(y, 22) for y in years)).rstrip()


def _trend_lines(t: Trend) -> list[str]:
    label = f"  {t.item} {t.title}" if t.title != t.item else f"  {t.item}"
    cells = "".join(_pad(_point_text(p, t.unit, t.is_cv), 22) for p in t.points)
    out = [(_pad(_clip(label, 50), 52) + _pad(t.row.stage or "", 6) + cells).rstrip()]
    for c in t.components:
        cells = "".join(_pad("—" if v is None else fmt_number(v, None, 3), 22) for v in c.values)
        out.append((_pad(_clip(f"      差异系数:{c.label}", 50), 52) + _pad("", 6) + cells).rstrip())
    return out


def _warning_lines(warnings: list[Warning]) -> list[str]:
    out: list[str] = []
    county_level = [w for w in warnings if w.row.level == "县区"]
    for w in county_level:
        stage = f"({w.row.stage})" if w.row.stage else ""
        out.append(f"  ⚠ {w.kind} {w.item}{stage} {w.title}:{_warning_text(w)}")
    by_item: dict[tuple[str, str], list[Warning]] = defaultdict(list)
    for w in warnings:
        if w.row.level != "县区":
            by_item[(w.item, w.kind)].append(w)
    for (item, kind), ws in by_item.items():
        out.append(f"  ⚠ {kind} {item} {ws[0].title}:{len(ws)} 个{ws[0].row.level}")
        for w in ws[:SCHOOL_WARNINGS_SHOWN]:
            out.append(f"      {_who(w.row)}:{_warning_text(w)}")
        if len(ws) > SCHOOL_WARNINGS_SHOWN:
            out.append(f"      ……另有 {len(ws) - SCHOOL_WARNINGS_SHOWN} 个(完整名单见 JSON 或 Excel 输出)")
    return out


# ---------------------------------------------------------------- JSON


def _num(x: Fraction | str | None) -> str | None:
    if x is None or isinstance(x, str):
        return x
    return exact_string(x)


def _row_json(row: Row) -> dict[str, Any]:
    return {"对象": row.level, "县区": row.county, "学校标识码": row.school_id, "学校名称": row.school, "学段": row.stage}


def _point_json(year: str, p: Point | None) -> dict[str, Any]:
    if p is None:
        return {"年份": year, "结论": None, "值": None, "限值": None}
    return {"年份": year, "结论": p.verdict, "值": _num(p.value), "限值": _num(p.limit)}


def _change_json(c: Change) -> dict[str, Any]:
    return {**_row_json(c.row), "编号": c.item, "名称": c.title, "单位": c.unit, "比较": c.op,
            "上一年": c.year_from, "本年": c.year_to,
            "变化前": {"结论": c.before.verdict, "值": _num(c.before.value)},
            "变化后": {"结论": c.after.verdict, "值": _num(c.after.value)}}


def _warning_json(w: Warning) -> dict[str, Any]:
    return {"年份": w.year, "种类": w.kind, **_row_json(w.row), "编号": w.item, "名称": w.title, "单位": w.unit,
            "差异系数": w.is_cv, "方向": w.direction, "值": _num(w.value), "限值": _num(w.limit),
            "距限值": _num(w.gap), "上一年值": _num(w.previous), "变化": _num(w.change),
            "预警阈值": _num(w.margin), "参数": w.margin_name}


def report_json(report: Report) -> dict[str, Any]:
    """The report as plain data (the JSON output; the Excel sheets hold the same rows)."""
    years = report.years
    return {
        "规则集": report.ruleset, "名称": report.title, "文号": report.docno, "年份": list(years),
        "预警参数": [{"名称": m.name, "说明": m.title, "值": {s or "全部": _num(v) for s, v in m.values.items()},
                   "来源": m.source} for m in report.margins],
        "失去的达标": [_change_json(c) for c in report.lost],
        "恢复达标": [_change_json(c) for c in report.regained],
        "预警": [_warning_json(w) for w in report.warnings],
        "趋势": [{**_row_json(t.row), "编号": t.item, "名称": t.title, "单位": t.unit, "方向": t.direction,
                "比较": t.op, "差异系数": t.is_cv,
                "各年": [_point_json(y, p) for y, p in zip(years, t.points, strict=True)],
                "分项差异系数": [{"计算": c.label, "各年": [{"年份": y, "值": _num(v)}
                                                        for y, v in zip(years, c.values, strict=True)]}
                           for c in t.components]}
               for t in report.trends],
        "达标数": [{"对象": t.level, "县区": t.county, "学段": t.stage, "编号": t.item, "名称": t.title,
                 "各年": [{"年份": y, "达标": p, "参评": a}
                        for y, p, a in zip(years, t.passed, t.applicable, strict=True)]}
                for t in report.tallies],
        "提示": {y: list(n) for y, n in report.notes.items()},
    }


def render_json(report: Report) -> str:
    return json.dumps(report_json(report), ensure_ascii=False, indent=1)


# ---------------------------------------------------------------- Excel


def render_xlsx(report: Report) -> bytes:
    """One sheet per part of the report: 失去的达标, 预警, 趋势, 达标数, 预警参数 (fixed dates: same bytes)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    doc = report_json(report)
    years = report.years
    wb = Workbook()
    wb.remove(wb.active)  # type: ignore[arg-type]
    sheets: dict[str, tuple[list[str], list[list[Any]]]] = {
        "失去的达标": (["上一年", "本年", "对象", "县区", "学校标识码", "学校名称", "学段", "编号", "名称",
                    "变化前结论", "变化前值", "变化后结论", "变化后值"],
                   [[c["上一年"], c["本年"], c["对象"], c["县区"], c["学校标识码"], c["学校名称"], c["学段"],
                     c["编号"], c["名称"], c["变化前"]["结论"], c["变化前"]["值"], c["变化后"]["结论"],
                     c["变化后"]["值"]] for c in doc["失去的达标"]]),
        "恢复达标": (["上一年", "本年", "对象", "县区", "学校标识码", "学校名称", "学段", "编号", "名称",
                  "变化前结论", "变化前值", "变化后结论", "变化后值"],
                 [[c["上一年"], c["本年"], c["对象"], c["县区"], c["学校标识码"], c["学校名称"], c["学段"],
                   c["编号"], c["名称"], c["变化前"]["结论"], c["变化前"]["值"], c["变化后"]["结论"],
                   c["变化后"]["值"]] for c in doc["恢复达标"]]),
        "预警": (["年份", "种类", "对象", "县区", "学校标识码", "学校名称", "学段", "编号", "名称", "值", "限值",
                "方向", "距限值", "上一年值", "变化", "预警阈值", "参数"],
               [[w["年份"], w["种类"], w["对象"], w["县区"], w["学校标识码"], w["学校名称"], w["学段"], w["编号"],
                 w["名称"], w["值"], w["限值"], w["方向"], w["距限值"], w["上一年值"], w["变化"], w["预警阈值"],
                 w["参数"]] for w in doc["预警"]]),
        "趋势": (["县区", "学段", "编号", "名称", "分项"] + [f"{y}{k}" for y in years for k in ("值", "结论")],
               _trend_rows(doc, years)),
        "达标数": (["对象", "县区", "学段", "编号", "名称"] + [f"{y}{k}" for y in years for k in ("达标", "参评")],
                [[t["对象"], t["县区"], t["学段"], t["编号"], t["名称"]]
                 + [x for e in t["各年"] for x in (e["达标"], e["参评"])] for t in doc["达标数"]]),
        "预警参数": (["名称", "说明", "值", "来源"],
                 [[m["名称"], m["说明"], "、".join(f"{k} {v}" for k, v in m["值"].items()), m["来源"]]
                  for m in doc["预警参数"]]),
    }
    red, yellow = PatternFill("solid", fgColor="FDE2E1"), PatternFill("solid", fgColor="FFF4CE")
    for name, (header, rows) in sheets.items():
        ws = wb.create_sheet(name)
        ws.append(header)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        ws.freeze_panes = "A2"
        widths = [display_width(h) for h in header]
        for row in rows:
            ws.append(row)
            fill = red if name == "失去的达标" else yellow if name == "预警" else None
            if fill is not None:
                for cell in ws[ws.max_row]:
                    cell.fill = fill
            widths = [min(50, max(w, display_width(str(v or "")))) for w, v in zip(widths, row, strict=False)]
        for i, w in enumerate(widths, start=1):
            from openpyxl.utils import get_column_letter

            ws.column_dimensions[get_column_letter(i)].width = w + 2
    fixed = _dt.datetime(2012, 1, 20)
    wb.properties.created = fixed
    wb.properties.modified = fixed
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _trend_rows(doc: dict[str, Any], years: tuple[str, ...]) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for t in doc["趋势"]:
        rows.append([t["县区"], t["学段"], t["编号"], t["名称"], None]
                    + [x for e in t["各年"] for x in (e["值"], e["结论"])])
        for c in t["分项差异系数"]:
            rows.append([t["县区"], t["学段"], t["编号"], t["名称"], f"差异系数({c['计算']})"]
                        + [x for e in c["各年"] for x in (e["值"], None)])
    return rows


__all__ = ["render_json", "render_text", "render_xlsx", "report_json"]
