"""A fast reader for the plain xlsx: python-calamine (Rust) reads the cells, openpyxl everything else.

The careful reader (`read._read_xlsx`) builds a Python object per cell with openpyxl: about two
seconds for 6,000 schools. calamine reads the same sheet several times faster, but not always the
same values: it cannot see number formats (percent cells), trims strings that openpyxl keeps,
unescapes `_x000D_`, reads error cells as empty and every number as a float. So this reader is
used only when it can be sure of reading exactly what the careful reader would, and declines
(returns None) otherwise; the careful reader then reads, and reports, as before.

Sure means: openpyxl itself reads the workbook's parts other than the cells (package, workbook,
sheet list, styles — a file it refuses is refused as before); every sheet is a worksheet; no cell
uses a format openpyxl reads as a date, time or percentage; the sheet's XML and the shared strings
hold nothing on which the two libraries differ (see `_plain_sheet`, `_plain_strings`); rows are
numbered, in order, and not so sparse that calamine's rectangle would not fit in memory; and each
value calamine returns maps back to openpyxl's: an empty cell None, a boolean "true"/"false", a
whole number int when the file wrote it in digits (assumed below 10**15, checked above).

Unchecked, as no writer in use produces them: XML that quick-xml tolerates and expat rejects
(mismatched tags), cells out of order within a row, a style index past the style table, number or
boolean text such as `<v> 7 </v>` or `<v>true</v>`, and a whole number below 10**15 written "1E3"
or "60.0" (openpyxl reads a float, this reader an int; the loader reads both the same).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

#: Set to False to always use the careful reader (the tests compare the two).
ENABLED = True

_MAIN_NS = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_ROOT = re.compile(rb'(?:\xef\xbb\xbf)?\s*(?:<\?xml([^?>]*)\?>\s*)?<([\w:.-]+)([^>]*)>')
_UTF8 = re.compile(rb"""encoding\s*=\s*["']utf-?8["']""", re.IGNORECASE)
_XML_CHARS = bytes(range(0x20, 0x100)) + b"\t\n\r"
_CHAR_REF = re.compile(rb"&#(?:[xX]([0-9a-fA-F]+)|([0-9]+));")
_ESCAPE = re.compile(rb"_[xX][0-9a-fA-F]{4}_")  # calamine unescapes _x000D_, openpyxl does not
_EDGE_SPACE = re.compile(rb"<t(\s[^>]*+)?>(?:\s|[^<]*+(?<=\s)<)")  # calamine trims these unless preserved
_EMPTY_TEXT = re.compile(rb"<t(?:\s[^>]*)?(?:/>|></t>)|<is\s*/>|<is></is>")
_FORMULA = re.compile(rb"<f[\s/>]")
_ROW = re.compile(rb'<row(?=[\s>/])(?: r="(\d+)")?')
_CELL_COLUMN = re.compile(rb'<c r="([A-Z]{1,3})[0-9]')
_STYLE = re.compile(rb' s="(\d+)"')
#: Writers give a whole number below this in digits ("60", read as int); above it perhaps "1E+15".
_LONG = 1e15
_LONG_DIGITS = re.compile(rb"<v>(-?[0-9]{16,})</v>")  # read by openpyxl as an exact int
_WHOLE_LIMIT = 2.0**53  # beyond, a float no longer holds every integer


@dataclass
class FastXlsx:
    """What the careful reader reads from the sheet, and which rows need its formula check."""

    sheet: str
    header: list[str]
    header_row: int | None
    rows: list[list[Any]] = field(default_factory=list)
    row_numbers: list[int] = field(default_factory=list)
    with_blanks: set[int] = field(default_factory=set)  # sheet rows with an empty cell under the header
    formulas: bool = False  # the sheet has formulas: empty cells may be uncomputed ones


class _NotPlain(Exception):
    pass


def read_fast(path: Path, wanted: str) -> FastXlsx | None:
    """The sheet `wanted` (else the first) as the careful reader would read it; None if not sure."""
    if not ENABLED:
        return None
    try:
        import python_calamine  # noqa: F401
    except ImportError:  # pragma: no cover - a dependency; without it, read carefully
        return None
    try:
        return _read(path, wanted)
    except Exception:  # anything unexpected, from either library: the careful reader decides
        return None


def _read(path: Path, wanted: str) -> FastXlsx | None:
    from python_calamine import CalamineWorkbook

    parts = _parts_class()(path, wanted)
    try:
        parts.read()
        if parts.sheet is None or parts.sheet_xml is None:
            return None
        sheet_xml, strings = parts.sheet_xml, parts.strings
    finally:
        parts.archive.close()
    if strings is not None and not _plain_strings(strings):
        return None
    lengths = _plain_sheet(sheet_xml, parts.risky_styles)
    height, width = max(lengths, default=0), max(lengths.values(), default=0)
    if height * width > len(sheet_xml) // 8 + 2**20:
        return None  # sparse (a stray cell far away): calamine would fill the whole rectangle
    workbook = CalamineWorkbook.from_path(str(path))
    try:
        if list(workbook.sheet_names) != parts.names:
            return None
        values = workbook.get_sheet_by_name(parts.sheet).to_python(skip_empty_area=False)
    finally:
        getattr(workbook, "close", lambda: None)()  # older python-calamine closes on release
    return _table(parts.sheet, values, lengths, sheet_xml)


@cache
def _parts_class() -> Any:
    """openpyxl's ExcelReader, reading all but the cells and shared strings (made on first use)."""
    from openpyxl.packaging.relationship import get_dependents, get_rels_path
    from openpyxl.reader.excel import ExcelReader, _find_workbook_part
    from openpyxl.styles.numbers import BUILTIN_FORMATS, BUILTIN_FORMATS_MAX_SIZE
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet
    from openpyxl.xml.constants import SHARED_STRINGS

    class Unsized(ReadOnlyWorksheet):
        def _get_size(self) -> None:  # openpyxl parses a sheet without <dimension> whole for its size
            pass

    class Parts(ExcelReader):
        def __init__(self, path: Path, wanted: str) -> None:
            super().__init__(path, read_only=True, data_only=True)
            self.wanted = wanted
            self.names: list[str] = []
            self.sheet: str | None = None
            self.sheet_xml: bytes | None = None
            self.strings: bytes | None = None
            self.risky_styles: set[int] = set()

        def read_strings(self) -> None:  # calamine reads them; only the part's place is checked here
            names = {n.lower(): n for n in self.valid_files}
            if len(names) != len(self.valid_files) or _find_workbook_part(self.package).PartName != "/xl/workbook.xml":
                raise _NotPlain  # calamine finds parts by fixed, case-insensitive names
            part = self.package.find(SHARED_STRINGS)
            if part is not None and part.PartName != "/xl/sharedStrings.xml":
                raise _NotPlain
            if part is None and "xl/sharedstrings.xml" in names:
                raise _NotPlain
            if part is not None:
                self.strings = self.archive.read("xl/sharedStrings.xml")  # also checks the part's CRC

        def read_worksheets(self) -> None:  # as openpyxl's read-only branch, the chosen sheet unsized
            found = list(self.parser.find_sheets())
            if not found or any(rel.target not in self.valid_files or "/worksheet" not in rel.Type
                                or not rel.target.startswith("xl/worksheets/") for _, rel in found):
                raise _NotPlain  # openpyxl skips a missing sheet and reads a chartsheet; calamine does not
            self.names = [sheet.name for sheet, _ in found]
            self.sheet = self.wanted if self.wanted in self.names else self.names[0]
            for sheet, rel in found:
                rels_path = get_rels_path(rel.target)
                if rels_path in self.valid_files:
                    get_dependents(self.archive, rels_path)
                kind = Unsized if sheet.name == self.sheet else ReadOnlyWorksheet
                ws = kind(self.wb, sheet.name, rel.target, self.shared_strings)
                ws.sheet_state = sheet.state
                self.wb._sheets.append(ws)
                if sheet.name == self.sheet:
                    self.sheet_xml = self.archive.read(rel.target)
            self.risky_styles = risky(self.wb)

    def risky(wb: Any) -> set[int]:
        """Styles whose numbers openpyxl reads as dates, times or percentages (`read._xlsx_cell`)."""
        out = set(wb._date_formats) | set(wb._timedelta_formats)
        for index, style in enumerate(wb._cell_styles):
            number_format = (BUILTIN_FORMATS.get(style.numFmtId, "General") if style.numFmtId < BUILTIN_FORMATS_MAX_SIZE
                             else wb._number_formats[style.numFmtId - BUILTIN_FORMATS_MAX_SIZE])
            if "%" in number_format:
                out.add(index)
        return out

    return Parts


def _plain_xml(data: bytes, root: bytes) -> bool:
    """UTF-8 XML with `root` in the main namespace, unprefixed, that expat would parse as quick-xml does:
    no DOCTYPE, comment or CDATA, no control character, raw or as a reference."""
    head = _ROOT.match(data)
    if head is None or head.group(2) != root or _MAIN_NS not in head.group(3):
        return False
    if head.group(1) and b"encoding" in head.group(1) and not _UTF8.search(head.group(1)):
        return False
    if (b"!" in data and b"<!" in data) or data.translate(None, _XML_CHARS):  # one byte: memchr-fast
        return False
    for ref in _CHAR_REF.finditer(data) if b"#" in data else ():
        code = int(ref.group(1), 16) if ref.group(1) else int(ref.group(2))
        if not (code >= 0x20 or code in (0x9, 0xA, 0xD)) or 0xD800 <= code <= 0xDFFF or code in (0xFFFE, 0xFFFF):
            return False
    return True


def _plain_text(data: bytes) -> bool:
    """Strings calamine reads as openpyxl does: no `_xHHHH_` escape, no untrimmed edge space."""
    if b"_" in data and _ESCAPE.search(data):
        return False
    return all(b'xml:space="preserve"' in (m.group(1) or b"") for m in _EDGE_SPACE.finditer(data))


def _plain_strings(data: bytes) -> bool:
    """The shared strings: each `<si>` a plain `<t>` or rich runs, none empty (calamine may drop an
    empty one and shift every later index), no `x005F_` (openpyxl deletes it)."""
    if not _plain_xml(data, b"sst") or not _plain_text(data) or b"x005F_" in data or _EMPTY_TEXT.search(data):
        return False
    items = data.count(b"<si>") + data.count(b"<si ") + data.count(b"<si/")
    plain = sum(data.count(start) for start in (b"<si><t>", b"<si><t ", b"<si><r>", b"<si><r "))
    return items == plain


def _plain_sheet(data: bytes, risky_styles: set[int]) -> dict[int, int]:
    """Each row's number → its length as openpyxl reads it: the column of its last cell, even an
    empty one (0 for a row without cells). Raises _NotPlain unless the XML is plain: numbered rows
    in order, each row's last cell numbered, no style in use that openpyxl reads as a date or
    percentage, strings as in `_plain_text` (inline ones, and formula results)."""
    if not _plain_xml(data, b"worksheet") or (b"_" in data and _ESCAPE.search(data)):
        raise _NotPlain
    if b"<is>" in data and not _plain_text(data):
        raise _NotPlain
    if risky_styles and (0 in risky_styles or b" s='" in data
                         or risky_styles & {int(s) for s in set(_STYLE.findall(data))}):
        raise _NotPlain
    end = data.rfind(b"</sheetData>")
    lengths: dict[int, int] = {}
    last_row = 0
    row = None
    for following in _ROW.finditer(data, 0, max(end, 0)):
        if row is not None:
            lengths[last_row] = _last_column(data, row.end(), following.start())
        if following.group(1) is None:
            raise _NotPlain  # a row without its number (or not as its first attribute)
        number = int(following.group(1))
        if number <= last_row:
            raise _NotPlain  # openpyxl drops a row that comes after a later one; calamine places it
        last_row, row = number, following
    if row is not None:
        lengths[last_row] = _last_column(data, row.end(), end)
    return lengths


def _last_column(data: bytes, start: int, end: int) -> int:
    """The column of a row's last cell (cells are in order); raises _NotPlain if it has no reference."""
    at = data.rfind(b"<c", start, end)
    if at < 0:
        return 0
    cell = _CELL_COLUMN.match(data, at)
    if cell is None:
        raise _NotPlain  # calamine places it after the one before; its column is unknown here
    return _column(cell.group(1))


def _column(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def _table(sheet: str, values: list[list[Any]], lengths: dict[int, int], sheet_xml: bytes) -> FastXlsx | None:
    """calamine's grid → the careful reader's header, rows (of openpyxl's `lengths`), row numbers
    and the rows with an empty cell under the header."""
    table = FastXlsx(sheet, [], None)
    first = next((i for i, row in enumerate(values) if not _blank(row)), None)
    if first is None:
        return None if values and _errors_or_empty_strings(sheet_xml) else table
    width = len(values[first])
    written = cache(lambda: {float(n) for n in _LONG_DIGITS.findall(sheet_xml)})
    header = np.empty((1, width), dtype=object)
    header[0, :] = values[first]
    if _openpyxl_values(header, written) is None or any(v.__class__ is int for v in header[0]):
        return None  # str() of a whole number depends on how the file wrote it: "2023" or "2023.0"
    header_cells = _fitted(header[0].tolist(), lengths.get(first + 1, 0))
    table.header = ["" if v is None else str(v) for v in header_cells]
    table.header_row = first + 1
    grid = np.empty((len(values) - first - 1, width), dtype=object)
    if len(grid):
        grid[:, :] = values[first + 1:]
    with_none = _openpyxl_values(grid, written)
    if with_none is None:
        return None
    rows = grid.tolist()
    numbers = range(first + 2, first + 2 + len(rows))
    cut = np.fromiter((lengths.get(n, 0) != width for n in numbers), dtype=bool, count=len(rows))
    # Only these rows can be blank, short or other than calamine's: an empty cell, a first cell of
    # whitespace (the rest may be too), a length other than the grid's.
    spaces = np.fromiter((isinstance(v, str) and not v.strip() for v in grid[:, 0]), dtype=bool, count=len(rows))
    blank: set[int] = set()
    columns = len(table.header)
    empty = first > 0 or None in header_cells or bool(with_none.any())
    for i in np.flatnonzero(with_none | spaces | cut).tolist():
        row = rows[i] = _fitted(rows[i], lengths.get(numbers[i], 0))
        empty = empty or len(row) > width  # a cell calamine left out: empty, or an uncomputed formula
        if _blank(row):
            blank.add(i)
        elif len(row) < columns or None in row[:columns]:
            table.with_blanks.add(numbers[i])
    table.rows = [row for i, row in enumerate(rows) if i not in blank] if blank else rows
    table.row_numbers = [n for i, n in enumerate(numbers) if i not in blank] if blank else list(numbers)
    if empty:
        if _errors_or_empty_strings(sheet_xml):
            return None
        table.formulas = _FORMULA.search(sheet_xml) is not None
    return table


def _fitted(row: list[Any], length: int) -> list[Any]:
    """A grid row cut or padded to openpyxl's length for it (what is cut is empty: no cell there)."""
    if length <= len(row):
        if any(v is not None for v in row[length:]):
            raise _NotPlain
        return row[:length]
    return row + [None] * (length - len(row))


def _errors_or_empty_strings(sheet_xml: bytes) -> bool:
    """Whether an empty cell from calamine may be one openpyxl reads otherwise: an error ("#N/A",
    which calamine reads as empty) or an empty inline string ("")."""
    if b't="e"' in sheet_xml or b"t='e'" in sheet_xml:
        return True
    return b"<is" in sheet_xml and _EMPTY_TEXT.search(sheet_xml) is not None


def _blank(row: list[Any]) -> bool:
    """As the careful reader skips a row: every cell empty or whitespace (calamine's empty is "")."""
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in row)


def _openpyxl_values(grid: np.ndarray, written: Callable[[], set[float]]) -> np.ndarray | None:
    """calamine's values as openpyxl's, in place, column by column: which rows have an empty cell;
    None if a value has no counterpart here (a date, time, infinity; see `_openpyxl_number` for
    `written`, the long whole numbers the file wrote in digits)."""
    with_none = np.zeros(grid.shape[0], dtype=bool)
    for j in range(grid.shape[1]):
        column = grid[:, j]  # a view: assignments change the grid
        kinds = set(map(type, column))
        if kinds == {str}:
            empty = column == ""
            if empty.any():
                column[empty] = None
                with_none |= empty
        elif kinds == {float}:
            if not _whole_to_int(column, written):
                return None
        elif kinds <= {str, float, bool}:
            cells = [_openpyxl_value(v, written) for v in column]
            if any(c is _NotPlain for c in cells):
                return None
            column[:] = cells
            with_none |= np.fromiter((c is None for c in cells), dtype=bool, count=len(cells))
        else:  # a date, time or anything else: the careful reader's conversions apply
            return None
    return with_none


def _whole_to_int(column: np.ndarray, written: Callable[[], set[float]]) -> bool:
    """Whole floats → int, as openpyxl parses "60"; False if one is infinite or cannot be decided."""
    numbers = column.astype(np.float64)
    if not np.isfinite(numbers).all():
        return False
    whole = numbers == np.trunc(numbers)
    for k in np.flatnonzero(whole & (np.abs(numbers) >= _LONG)).tolist():
        number = _openpyxl_number(float(numbers[k]), written)
        if number is _NotPlain:
            return False
        whole[k] = number.__class__ is int
    at = np.flatnonzero(whole)
    column[at] = numbers[at].astype(np.int64)  # stored as Python ints
    return True


def _openpyxl_value(value: Any, written: Callable[[], set[float]]) -> Any:
    """One cell of a mixed column, as `_whole_to_int` and the str column case do it."""
    if value.__class__ is str:
        return value or None
    if value.__class__ is bool:
        return "true" if value else "false"  # as read._xlsx_cell
    if not math.isfinite(value):
        return _NotPlain
    if not value.is_integer():
        return value
    return int(value) if abs(value) < _LONG else _openpyxl_number(value, written)


def _openpyxl_number(value: float, written: Callable[[], set[float]]) -> Any:
    """A whole number of 16 digits or more: int if the file wrote its digits (openpyxl parses them
    exactly), float if "1E+15"; beyond 2**53 the digits may not be the float's: _NotPlain."""
    if value not in written():
        return value
    return int(value) if abs(value) < _WHOLE_LIMIT else _NotPlain
