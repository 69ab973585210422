"""A fast reader for the common CSV: UTF-8, no quotes, one record per line, every record as wide as the header.

The careful reader (`read._read_csv`, Python's csv module into lists of str) takes seconds on a
national table of 200,000 schools. This one lets pyarrow split the file into columns of strings
in C, and declines (returns None) whenever a file is anything but plain, so the careful reader
still handles — and reports — everything unusual. What it returns is what the careful reader
would have read: the same header, the same cells, the same row numbers.

Plain means: no NUL and no double quote anywhere (so no field spans lines and the csv module's
quoting rules never apply), no carriage return except in CRLF line ends, at most one BOM, valid
UTF-8, no line longer than the csv module's field size limit, and every non-blank line with as
many fields as the header. Blank lines (empty, whitespace or delimiters only) are dropped
as the careful reader drops them, and the others keep their line numbers.
"""

from __future__ import annotations

import codecs
import csv
from dataclasses import dataclass
from typing import Any

import numpy as np

#: Set to False to always use the careful reader (the tests compare the two).
ENABLED = True


@dataclass
class FastCsv:
    """The header, its line, one pyarrow string column per header cell (data rows only) and row numbers."""

    header: list[str]
    header_row: int
    columns: list[Any]  # pyarrow.ChunkedArray of string, nulls for empty cells
    row_numbers: list[int]


def _plain(data: bytes) -> bool:
    """No NUL, no quote, and every carriage return part of a CRLF (memchr-fast on large files)."""
    if b"\x00" in data or b'"' in data:
        return False
    return b"\r" not in data or data.count(b"\r") == data.count(b"\r\n")


def _lines(body: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each line's first byte, its end without the line break, and where the next line starts."""
    breaks = np.flatnonzero(body == 0x0A)
    if body[-1] == 0x0A:  # a final line break ends the last line; it starts no new one
        starts, ends, nexts = np.concatenate(([0], breaks[:-1] + 1)), breaks, breaks + 1
    else:
        starts = np.concatenate(([0], breaks + 1))
        ends = np.concatenate((breaks, [len(body)]))
        nexts = np.concatenate((breaks + 1, [len(body)]))
    crlf = (ends > starts) & (body[ends - 1] == 0x0D)
    return starts, ends - crlf, nexts


#: First bytes that certainly start a non-blank line: visible ASCII, and the UTF-8 lead bytes of
#: U+4000–U+9FFF (CJK ideographs, none of them whitespace). The delimiter is excluded per file.
_CONTENT = np.zeros(256, dtype=bool)
_CONTENT[0x21:0x7F] = True
_CONTENT[0xE4:0xEA] = True
#: Lines that may be blank checked one by one in Python; beyond this, every byte is looked at first.
_FEW = 2000


def _blank_lines(body: np.ndarray, raw: memoryview, starts: np.ndarray, ends: np.ndarray, delimiter: int) -> np.ndarray | None:
    """Which lines the careful reader skips: nothing but whitespace and delimiters (None: not UTF-8)."""
    content = _CONTENT.copy()
    content[delimiter] = False
    blank = ends == starts
    maybe = ~blank & ~content[body[starts]]  # a line starting with a delimiter, a space, other text
    if np.count_nonzero(maybe) > _FEW:
        visible = (body > 0x20) & (body < 0x7F) & (body != delimiter)
        maybe &= ~np.logical_or.reduceat(visible, starts)  # a line's bytes and its line break
    separator = chr(delimiter)
    for i in np.flatnonzero(maybe):
        try:
            line = bytes(raw[starts[i]:ends[i]]).decode("utf-8")
        except UnicodeDecodeError:
            return None
        blank[i] = not line.replace(separator, "").strip()
    return blank


def read_fast(data: bytes) -> FastCsv | None:
    """The file's header and columns as the careful reader would read them; None if it is not plain."""
    if not ENABLED or not _plain(data):
        return None
    try:
        import pyarrow as pa
        import pyarrow.csv as pacsv
    except ImportError:  # pragma: no cover - pyarrow is a dependency; without it, read carefully
        return None
    bom = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    if len(data) == bom or data.startswith(codecs.BOM_UTF8, bom):
        return None
    raw = memoryview(data)[bom:]  # no copy of a large file
    newline = data.find(b"\n", bom)
    first_line = data[bom:newline if newline >= 0 else len(data)]
    delimiter = b"\t" if b"\t" in first_line and b"," not in first_line else b","  # as the careful reader decides
    body = np.frombuffer(raw, dtype=np.uint8)
    starts, ends, nexts = _lines(body)
    if int((ends - starts).max()) > csv.field_size_limit():
        return None
    blank = _blank_lines(body, raw, starts, ends, delimiter[0])
    if blank is None or blank.all():
        return None
    kept = np.flatnonzero(~blank)
    first, last = int(kept[0]), int(kept[-1])
    inner = blank[first:last] & (ends > starts)[first:last]  # arrow skips empty lines itself
    if inner.any():
        keep = np.repeat(~blank | (ends == starts), nexts - starts)
        text = pa.py_buffer(body[keep].tobytes())
    else:
        text = pa.py_buffer(raw[starts[first]:nexts[last]])
    width = bytes(raw[starts[first]:ends[first]]).count(delimiter) + 1
    names = [f"f{i}" for i in range(width)]
    try:
        table = pacsv.read_csv(
            text,
            read_options=pacsv.ReadOptions(column_names=names),
            parse_options=pacsv.ParseOptions(delimiter=delimiter.decode(), quote_char=False, double_quote=False,
                                             escape_char=False, newlines_in_values=False, ignore_empty_lines=True),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names}, null_values=[""],
                                                 strings_can_be_null=True, check_utf8=True))
    except (pa.ArrowException, ValueError):  # a ragged row, invalid UTF-8…: the careful reader says what
        return None
    if table.num_rows != len(kept) or table.num_columns != width:
        return None
    header = ["" if v is None else v for v in table.slice(0, 1).to_pylist()[0].values()]
    columns = [table.column(i).slice(1) for i in range(width)]
    return FastCsv(header, first + 1, columns, (kept[1:] + 1).tolist())
