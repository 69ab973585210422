"""Result rows → an Excel workbook, one sheet per 对象 (学部 / 学校 / 县区), header frozen."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from engine.render.diagnostics import display_width

COLUMNS = ["对象", "县区", "学校标识码", "学校名称", "学段", "编号", "名称", "值", "要求", "结论", "缺失字段"]
SHEETS = ["县区", "学校", "学部"]
_FAIL = PatternFill("solid", fgColor="FDE2E1")
_MISSING = PatternFill("solid", fgColor="FFF4CE")


def rows_to_xlsx(rows: Iterable[dict[str, Any]]) -> bytes:
    """The same rows as the JSON output, as .xlsx bytes (deterministic: fixed workbook dates)."""
    wb = Workbook()
    wb.remove(wb.active)  # type: ignore[arg-type]
    sheets = {name: wb.create_sheet(name) for name in SHEETS}
    widths: dict[str, list[int]] = {name: [display_width(c) for c in COLUMNS] for name in SHEETS}
    for ws in sheets.values():
        ws.append(COLUMNS)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        ws.freeze_panes = "A2"
    for row in rows:
        name = row["对象"]
        values = [_cell(row.get(c)) for c in COLUMNS]
        ws = sheets[name]
        ws.append(values)
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, str) and cell.value.startswith(("=", "+", "-", "@")):
                cell.data_type = "s"  # text from the data stays text, never a formula
        fill = _FAIL if row["结论"] == "未达标" else _MISSING if row["结论"] == "数据缺失" else None
        if fill is not None:
            for cell in ws[ws.max_row]:
                cell.fill = fill
        w = widths[name]
        for i, v in enumerate(values):
            w[i] = min(60, max(w[i], display_width(str(v or ""))))
    for name, ws in sheets.items():
        for i, width in enumerate(widths[name]):
            ws.column_dimensions[chr(ord("A") + i)].width = width + 2
    return stable_xlsx(wb)


def stable_xlsx(wb: Workbook) -> bytes:
    """A workbook's bytes, identical on every run: fixed document dates and zip entry times."""
    import datetime as _dt
    import zipfile

    fixed = _dt.datetime(2017, 4, 26)
    wb.properties.created = fixed
    wb.properties.modified = fixed
    raw = io.BytesIO()
    wb.save(raw)
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=(2017, 4, 26, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                # openpyxl stamps the save time into dcterms:modified; pin it like the rest
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                              rb"\g<1>2017-04-26T00:00:00Z\g<2>", data)
            dst.writestr(entry, data)
    return out.getvalue()


def _cell(v: Any) -> Any:
    if isinstance(v, list):
        return "、".join(map(str, v))
    return v
