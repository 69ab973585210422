"""The 整改台账 (rectification ledger): one row per problem, as Excel and as Markdown.

Columns: 序号, 县区, 学校, 学段, 指标, 现值, 要求, 差距, 整改建议 (the preferred change first,
then the alternatives), 依据, 责任单位, 整改时限 (left blank for the county to fill in).
"""

from __future__ import annotations

import datetime as _dt
import io
import re
import zipfile
from fractions import Fraction

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

from engine.interpreter import ast as A
from engine.interpreter.check import expand_ids
from engine.interpreter.diff import combo_text
from engine.interpreter.evaluate import Results
from engine.interpreter.explain import Trace
from engine.interpreter.frames import COUNTY_STAGE, DATA_MISSING, ID_COLUMN, NAME_COLUMN, PASS
from engine.interpreter.remedy import Goal, Problem, Remedier, Remedy
from engine.render.diagnostics import display_width
from engine.render.explanation import provenance
from engine.render.numbers import fmt_number, fmt_result, fmt_value
from engine.render.remedies import OP, combo_lines, cv_lines, remedier_for, remedy_text
from engine.render.remedies import render_remedies as _render_remedies

COLUMNS = ["序号", "县区", "学校", "学段", "指标", "现值", "要求", "差距", "整改建议", "依据", "责任单位", "整改时限"]
MAX_WIDTH = {"整改建议": 70, "依据": 40, "指标": 36, "差距": 36, "现值": 30, "要求": 30}
COUNTY_OWNER = "县级人民政府(教育行政部门)"
_HEAD_FILL = PatternFill("solid", fgColor="1F4E79")
_THIN = Side(style="thin", color="B7B7B7")


def render_remedies(trace: Trace, results: Results) -> list[str]:
    """The 「整改:…」 lines under a failure in `junheng explain` (see engine.render.remedies)."""
    return _render_remedies(trace, results)


def ledger_rows(results: Results, problems: list[Problem] | None = None) -> list[dict[str, str]]:
    """Every problem of the evaluation as a ledger row (strings, in COLUMNS order)."""
    rem = remedier_for(results)
    rows = []
    for i, p in enumerate(problems if problems is not None else rem.problems(), start=1):
        county, school, stage, owner = _who(results, p)
        decl = results.checked.ruleset.items[p.item].decl
        entry = results.checked.ruleset.items[p.item]
        now, req, gap = _figures(results, rem, p)
        rows.append({
            "序号": str(i), "县区": county, "学校": school, "学段": stage,
            "指标": f"{p.item} {decl.title}" if decl.title and decl.title != p.item else p.item,
            "现值": now, "要求": req, "差距": gap, "整改建议": "\n".join(_advice(results, rem, p)),
            "依据": provenance(entry.history, decl.source), "责任单位": owner, "整改时限": "",
        })
    return rows


def _who(results: Results, p: Problem) -> tuple[str, str, str, str]:
    env = results.env
    up = env.frames[p.fkey].up
    county_row = p.row if p.fkey == A.COUNTY else int(up[A.COUNTY][p.row])
    county = str(env.fields[(A.COUNTY, "县区")].v[county_row])
    stage = str(env.frames[p.fkey].stage[p.row]) if p.fkey in (A.UNIT, COUNTY_STAGE) else ""  # type: ignore[index]
    if p.fkey in (A.COUNTY, COUNTY_STAGE):
        return county, "(全县)", stage, COUNTY_OWNER
    school = p.row if p.fkey == A.SCHOOL else int(up[A.SCHOOL][p.row])
    name = str(env.fields[(A.SCHOOL, NAME_COLUMN)].v[school])
    code = env.fields[(A.SCHOOL, ID_COLUMN)].v[school]
    return county, name, stage, f"{name}({code})" if code else name


def _figures(results: Results, rem: Remedier, p: Problem) -> tuple[str, str, str]:
    """现值, 要求, 差距 of a problem."""
    decl = results.checked.ruleset.items[p.item].decl
    if isinstance(decl, A.Conclusion):
        c = p.combo
        if c is None:
            return "未达标", combo_text(decl.combo), ""
        now = f"{len(c.passing)} 项达到要求,{len(c.failing)} 项未达标"
        pct = fmt_number(c.ratio * 100, None, 0) if c.ratio is not None else ""
        gaps = []
        if c.at_least > len(c.passing):
            gaps.append(f"还需 {c.at_least - len(c.passing)} 项达到要求")
        if c.below:
            gaps.append(f"{'、'.join(c.below)} 低于要求的 {pct}%")
        return now, combo_text(decl.combo), ";".join(gaps) or "—"
    g = Goal(p.item, p.fkey, p.row)
    value, threshold = rem.value(rem.exact, p.item, p.fkey, p.row), rem.target(rem.exact, g)
    req = rem.requirement(rem.exact, decl, p.fkey, p.row)
    unit = decl.unit
    if req is None:
        return fmt_value(value, unit), "—", ""
    op = OP.get(req.op, "为")
    req_text = f"{op} {fmt_value(threshold, unit if op != '为' else None, trim=True)}"
    if p.verdict == DATA_MISSING:
        return "数据缺失", req_text, f"缺少:{'、'.join(p.missing) or '分母为零'}"
    return fmt_result(value, unit), req_text, _gap(results, p, value, threshold, req.op, unit)


def _gap(results: Results, p: Problem, v: object, th: object, op: A.Cmp, unit: str | None) -> str:
    if not isinstance(v, Fraction) or not isinstance(th, Fraction) or isinstance(v, bool):
        return "不符合要求"
    if op in (A.Cmp.GE, A.Cmp.GT):
        diff = f"{fmt_number((th - v) * 100)} 个百分点" if unit == "%" else fmt_value(th - v, unit)
        text = f"差 {diff}" + (f",为要求的 {fmt_number(v / th * 100, None, 1)}%" if th > 0 else "")
    else:
        diff = f"{fmt_number((v - th) * 100)} 个百分点" if unit == "%" else fmt_value(v - th, unit)
        text = f"超出 {diff}"
    return text + _counted_as_rest(results, p)


def _counted_as_rest(results: Results, p: Problem) -> str:
    """;计为余项,学校资源配置达标 — when a passing 至少 N 项 conclusion absorbs this failure."""
    rs = results.checked.ruleset
    for name, entry in rs.items.items():
        d = entry.decl
        if not isinstance(d, A.Conclusion) or d.combo is None or d.combo.kind != "至少":
            continue
        if results.items[name].fkey != p.fkey or int(results.items[name].verdict[p.row]) != PASS:
            continue
        if p.item in [n for n, _ in expand_ids(d.combo.items, list(rs.items))]:
            return f";计为余项,{d.title or name}仍达标"
    return ""


def _advice(results: Results, rem: Remedier, p: Problem) -> list[str]:
    if p.verdict == DATA_MISSING:
        return [f"补报数据:{'、'.join(p.missing) or '分母为零的数据'}"]
    if p.combo is not None:
        return [line.strip().removeprefix("整改:") for line in combo_lines(results, p.combo)]
    if p.cv is not None:
        return [line.strip().removeprefix("整改:") for line in cv_lines(results, p.cv)]
    if not p.remedies:
        return ["无法只靠调整本项公式中的数据达到要求,需按要求逐项整改"]
    return [f"{i}. {'或 ' if i > 1 else ''}{_with_after(results, r)}" for i, r in enumerate(p.remedies[:4], start=1)]


def _with_after(results: Results, r: Remedy) -> str:
    g, after = r.goals[0], r.after[0]
    decl = results.checked.ruleset.items[g.item].decl
    if after is None or isinstance(after, bool) or not isinstance(decl, A.Indicator):
        return remedy_text(r)
    return f"{remedy_text(r)},整改后 {g.item} = {fmt_result(after, decl.unit)}"


# ---------------------------------------------------------------- writers


def ledger_xlsx(rows: list[dict[str, str]], title: str = "整改台账") -> bytes:
    """The rows as .xlsx: styled header, frozen first row, filters, widths for Chinese text."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = title[:31]
    ws.append(COLUMNS)
    for cell in ws[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = _HEAD_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = Border(_THIN, _THIN, _THIN, _THIN)
    widths = [display_width(c) for c in COLUMNS]
    for row in rows:
        ws.append([int(row["序号"]) if c == "序号" else row[c] for c in COLUMNS])
        for i, c in enumerate(COLUMNS):
            cell = ws.cell(ws.max_row, i + 1)
            cell.alignment = Alignment(vertical="top", wrap_text=True)
            cell.border = Border(_THIN, _THIN, _THIN, _THIN)
            longest = max((display_width(x) for x in str(row[c]).split("\n")), default=0)
            widths[i] = min(MAX_WIDTH.get(c, 24), max(widths[i], longest))
    for i, width in enumerate(widths):
        ws.column_dimensions[chr(ord("A") + i)].width = width + 2
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{chr(ord('A') + len(COLUMNS) - 1)}{max(1, ws.max_row)}"
    fixed = _dt.datetime(2017, 4, 26)  # deterministic bytes for the same rows
    wb.properties.created = fixed
    wb.properties.modified = fixed
    buf = io.BytesIO()
    wb.save(buf)
    return _fixed_times(buf.getvalue())


def _fixed_times(data: bytes) -> bytes:
    """The same zip with every member dated 2017-04-26 and the same 修改时间 in docProps/core.xml
    (openpyxl stamps the time of saving there), so equal rows give equal bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            member = zipfile.ZipInfo(info.filename, (2017, 4, 26, 0, 0, 0))
            member.compress_type = zipfile.ZIP_DEFLATED
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2017-04-26T00:00:00Z", body)
            dst.writestr(member, body)
    return out.getvalue()


def ledger_markdown(rows: list[dict[str, str]], heading: str = "整改台账") -> str:
    """The rows as a Markdown table (line breaks inside a cell become <br>)."""
    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", "<br>") or " "
    lines = [f"# {heading}", "", f"共 {len(rows)} 个问题。整改时限由县里填写。", "",
             "| " + " | ".join(COLUMNS) + " |", "|" + "|".join("---" for _ in COLUMNS) + "|"]
    lines += ["| " + " | ".join(cell(r[c]) for c in COLUMNS) + " |" for r in rows]
    return "\n".join(lines) + "\n"
