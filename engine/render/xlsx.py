"""Result rows → an Excel workbook, one sheet per 对象 (学部 / 学校 / 县区), header frozen."""

from __future__ import annotations

import io
import itertools
import re
import shutil
from collections.abc import Iterable
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill

from engine.render.diagnostics import display_width

COLUMNS = ["对象", "县区", "学校标识码", "学校名称", "学段", "编号", "名称", "值", "要求", "结论", "缺失字段"]
SHEETS = ["县区", "学校", "学部"]
_FAIL = PatternFill("solid", fgColor="FDE2E1")
_MISSING = PatternFill("solid", fgColor="FFF4CE")
_BOLD = Font(bold=True)
_FORMULA_START = ("=", "+", "-", "@")


MAX_ROWS = 1_048_576  # Excel's limit per sheet, header included: more rows go on to 学部(2), …
WIDTH_SAMPLE = 10_000  # column widths are fitted to the first rows (the workbook is streamed)


def rows_to_xlsx(rows: Iterable[dict[str, Any]]) -> bytes:
    """The same rows as the JSON output, as .xlsx bytes (deterministic: fixed workbook dates).

    Written in openpyxl's streaming mode, so a national run (millions of rows) neither holds
    a cell object per value nor exceeds Excel's row limit: a full sheet continues on a new one.
    """
    wb = Workbook(write_only=True)
    it = iter(rows)
    head = list(itertools.islice(it, WIDTH_SAMPLE))
    widths: dict[str, list[int]] = {name: [display_width(c) for c in COLUMNS] for name in SHEETS}
    for row in head:
        w = widths[row["对象"]]
        for i, c in enumerate(COLUMNS):
            w[i] = min(60, max(w[i], display_width(str(_cell(row.get(c)) or ""))))
    current: dict[str, tuple[Any, int]] = {}  # 对象 → (sheet being written, rows in it)
    counts: dict[str, int] = {}

    def new_sheet(name: str) -> Any:
        counts[name] = counts.get(name, 0) + 1
        ws = wb.create_sheet(name if counts[name] == 1 else f"{name}({counts[name]})")
        for i, width in enumerate(widths[name]):
            ws.column_dimensions[chr(ord("A") + i)].width = width + 2
        ws.freeze_panes = "A2"
        ws.append([_styled(ws, c, font=_BOLD) for c in COLUMNS])
        current[name] = (ws, 1)
        return ws

    for name in SHEETS:
        new_sheet(name)
    for row in itertools.chain(head, it):
        name = row["对象"]
        ws, used = current[name]
        if used >= MAX_ROWS:
            ws, used = new_sheet(name), 1
        fill = _FAIL if row["结论"] == "未达标" else _MISSING if row["结论"] == "数据缺失" else None
        values = [_cell(row.get(c)) for c in COLUMNS]
        if fill is None and not any(isinstance(v, str) and v.startswith(_FORMULA_START) for v in values):
            ws.append(values)  # most rows: plain values, no cell objects
        else:
            ws.append([_styled(ws, v, fill=fill) for v in values])
        current[name] = (ws, used + 1)
    return stable_xlsx(wb)


def _styled(ws: Any, value: Any, font: Font | None = None, fill: PatternFill | None = None) -> Any:
    cell = WriteOnlyCell(ws, value=value)
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        cell.data_type = "s"  # text from the data stays text, never a formula
    if font is not None:
        cell.font = font
    if fill is not None:
        cell.fill = fill
    return cell


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
            if info.filename == "docProps/core.xml":
                # openpyxl stamps the save time into dcterms:modified; pin it like the rest
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                              rb"\g<1>2017-04-26T00:00:00Z\g<2>", src.read(info.filename))
                dst.writestr(entry, data)
                continue
            # sheets of a national run are hundreds of MB unpacked: copy them through in pieces
            with src.open(info) as piece_in, dst.open(entry, "w", force_zip64=True) as piece_out:
                shutil.copyfileobj(piece_in, piece_out, 1 << 20)
    return out.getvalue()


def _cell(v: Any) -> Any:
    if isinstance(v, list):
        return "、".join(map(str, v))
    return v
