"""Reading a facts file (csv, xlsx or json) into a header and raw cells, values uninterpreted."""

from __future__ import annotations

import codecs
import csv
import io
import json
import math
import os
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, cast

from engine.facts.fastcsv import read_fast
from engine.facts.fastxlsx import read_fast as read_fast_xlsx
from engine.facts.spec import TABLE_KEYS_EN, TABLE_NAMES
from engine.interpreter.errors import Diagnostic, FactLocation


@dataclass(frozen=True, slots=True)
class FractionCell:
    """A number from an xlsx cell formatted as a percentage: already a fraction (98.5% → 0.985)."""

    value: float


#: What a raw cell can be. Booleans never appear: readers turn them into "true"/"false".
Cell = str | int | float | datetime | date | time | FractionCell | None


@dataclass
class RawTable:
    """A file's header and data rows as read, before any value is interpreted."""

    source: str
    kind: str  # "csv" | "xlsx" | "json"
    sheet: str | None
    header: list[str]
    header_row: int | None  # None for JSON (no header row)
    rows: list[list[Cell]] = field(default_factory=list)
    row_numbers: list[int] = field(default_factory=list)
    #: xlsx cells holding a formula whose result the file does not store: (index in rows, column
    #: position) → the formula. Read as empty; the loader reports those in declared columns.
    uncomputed: dict[tuple[int, int], str] = field(default_factory=dict)
    #: From the fast CSV reader: one pyarrow string column per header cell (null = empty cell)
    #: instead of `rows`, which is then empty. Saves building 200,000 lists of str.
    columns: list[Any] | None = None

    def head(self, count: int) -> list[list[Cell]]:
        """The first `count` data rows, however the table is held."""
        if self.columns is None:
            return self.rows[:count]
        firsts = [column.slice(0, count).fill_null("").to_pylist() for column in self.columns]
        return [list(row) for row in zip(*firsts)]


class ReadFailure(Exception):
    """The file cannot be read at all (E406 / E407); carries the diagnostic."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


_SAVE_AS = "请在 Excel 中「另存为」.xlsx 或「CSV UTF-8(逗号分隔)」后再读取;也可以使用 JSON"


def _fail(source: str, message: str, hint: str | None = None, code: str = "E406") -> ReadFailure:
    return ReadFailure(Diagnostic(code, message, FactLocation(source), hint))


#: Environment variable: the largest facts file read, in MB (default `DEFAULT_MAX_MB`).
MAX_MB_ENV = "JUNHENG_MAX_FACTS_MB"
#: Files are read whole; measured peak memory is about 20 times a CSV's size (100 MB → ~2 GB),
#: and a county's tables are well under 1 MB (a whole province's a few MB).
DEFAULT_MAX_MB = 100.0
#: An xlsx is a zip: its unpacked parts may be this many times the limit (XML is ~8× a CSV).
XLSX_UNPACKED_FACTOR = 10


def max_facts_bytes(source: str) -> int:
    """The size limit from JUNHENG_MAX_FACTS_MB; a malformed value is an error, not a silent default."""
    text = os.environ.get(MAX_MB_ENV, "").strip()
    if not text:
        return int(DEFAULT_MAX_MB * 1024 * 1024)
    try:
        mb = float(text)
    except ValueError:
        mb = math.nan
    if not (math.isfinite(mb) and mb > 0):
        raise _fail(source, f"环境变量 {MAX_MB_ENV} 的值「{text}」不是正数",
                    f"它是数据文件的大小上限(单位 MB,默认 {DEFAULT_MAX_MB:g});请写成如 {MAX_MB_ENV}=500,或删除该变量")
    return int(mb * 1024 * 1024)


def _mb(n: float) -> str:
    return f"{n / 1024 / 1024:,.1f} MB"


def _check_size(path: Path, source: str) -> None:
    """Refuse a file larger than the limit before reading a byte of it (E406, with the limit and the way out)."""
    limit = max_facts_bytes(source)
    try:
        size = path.stat().st_size
    except OSError as e:
        raise _fail(source, f"无法读取文件「{source}」:{e.strerror or e}", "请检查文件是否存在、是否有读取权限") from e
    hint = (f"junheng 把整个文件读入内存;一个县的学校表通常不到 1 MB。请确认选对了文件(不是数据库导出或备份),"
            f"或删去无关的工作表、行和列;确需读取更大的文件时,设置环境变量 {MAX_MB_ENV}(单位 MB,"
            f"例如 {MAX_MB_ENV}={max(1000, int(size / 1024 / 1024) + 1)})")
    if size > limit:
        raise _fail(source, f"文件「{source}」有 {_mb(size)},超过读取上限 {_mb(limit)}", hint)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        try:
            with zipfile.ZipFile(path) as archive:
                unpacked = sum(info.file_size for info in archive.infolist())
        except (zipfile.BadZipFile, OSError, ValueError):
            return  # not a zip: the xlsx reader reports it
        if unpacked > limit * XLSX_UNPACKED_FACTOR:
            raise _fail(source, f"「{source}」解压后有 {_mb(unpacked)},超过读取上限 {_mb(limit * XLSX_UNPACKED_FACTOR)}"
                        f"(xlsx 为压缩文件,解压后的上限是 {MAX_MB_ENV} 的 {XLSX_UNPACKED_FACTOR} 倍)", hint)


def read_raw(path: Path, source: str, entity: str) -> RawTable:
    """Read one file by its extension; raise ReadFailure when it cannot be read."""
    suffix = path.suffix.lower()
    readers = {".csv": _read_csv, ".xlsx": _read_xlsx, ".xlsm": _read_xlsx, ".json": _read_json}
    reader = readers.get(suffix)
    if reader is None:
        shown = suffix or "(无扩展名)"
        raise _fail(source, f"不支持的文件格式「{shown}」:只能读取 .xlsx、.csv 或 .json", _SAVE_AS)
    if not path.exists():
        raise _fail(source, f"找不到文件「{source}」", "请检查文件路径和文件名是否正确")
    if not path.is_file():
        raise _fail(source, f"「{source}」不是文件", "请给出表格文件的路径,而不是文件夹")
    _check_size(path, source)
    return reader(path, source, entity)


def _read_bytes(path: Path, source: str) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as e:
        raise _fail(source, f"无法读取文件「{source}」:{e.strerror or e}", "请检查文件是否存在、是否有读取权限") from e
    if not data or data.isspace():  # as `not data.strip()`, without copying a large file
        raise _fail(source, f"文件「{source}」是空的", "第 1 行应为表头,其后每行一条记录")
    return data


def decode(data: bytes) -> str | None:
    """Bytes → text: UTF-8 (with or without BOM), UTF-16 with BOM, GB18030/GBK; None if none fits.

    A UTF-8 BOM in front of GBK text (a GBK file "saved as UTF-8" by a tool that only added
    the mark) is dropped before trying GB18030, so the first column keeps its name.
    """
    candidates: list[tuple[str, bytes]] = []
    if data.startswith(codecs.BOM_UTF8):
        candidates.append(("utf-8-sig", data))
        data = data[len(codecs.BOM_UTF8):]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates.append(("utf-16", data))
    candidates += [("utf-8", data), ("gb18030", data)]
    for encoding, body in candidates:
        try:
            text = body.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" not in text:
            return text
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - optional dependency
        return None
    best = from_bytes(data).best()
    if best is None:
        return None
    text = str(best)
    return None if "\x00" in text else text


def mixed_utf8_line(data: bytes) -> int | None:
    """The first line that is not UTF-8 in a file that otherwise is (two files pasted together).

    Such a file cannot be decoded as a whole without turning part of it into nonsense, so it is
    reported at that line instead. None when the file is not mostly UTF-8 (e.g. all GBK).
    """
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    good = 0
    bad: list[int] = []
    for number, line in enumerate(data.split(b"\n"), start=1):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            bad.append(number)
        else:
            good += 1
    return bad[0] if bad and good >= len(bad) else None


def _read_csv(path: Path, source: str, entity: str) -> RawTable:
    data = _read_bytes(path, source)
    fast = read_fast(data)
    if fast is not None:
        return RawTable(source, "csv", None, fast.header, fast.header_row, row_numbers=fast.row_numbers,
                        columns=fast.columns)
    text = None
    if not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-8-sig")
            text = None if "\x00" in text else text
        except UnicodeDecodeError:
            line = mixed_utf8_line(data)
            if line is not None:
                raise ReadFailure(Diagnostic(
                    "E407", f"「{source}」第 {line} 行不是 UTF-8 编码,而文件的其余部分是", FactLocation(source, line),
                    "文件可能由两个编码不同的文件拼接而成;请在编辑器中把这些行改为 UTF-8 后另存,"
                    "或在 Excel 中重新录入后「另存为 → CSV UTF-8(逗号分隔)」")) from None
    text = text if text is not None else decode(data)
    if text is None:
        raise _fail(
            source, f"无法识别文件「{source}」的编码", "请保存为 UTF-8 编码的 CSV(Excel:另存为 →「CSV UTF-8(逗号分隔)」)"
            ",或 GB18030/GBK 编码;若它其实是 Excel 文件,请另存为 .xlsx", code="E407")
    first_line = text.lstrip("\ufeff").split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    table = RawTable(source, "csv", None, [], None)
    try:
        records, lines = _csv_records(text, delimiter)
    except csv.Error as e:
        raise _fail(source, f"CSV 格式错误:{e}", "请检查引号是否成对;" + _SAVE_AS) from e
    for record, line in zip(records, lines, strict=True):
        if not "".join(record).strip():
            continue
        if table.header_row is None:
            table.header, table.header_row = record, line
        else:
            table.rows.append(cast("list[Cell]", record))  # str is a Cell; no copy
            table.row_numbers.append(line)
    if table.header_row is None:
        raise _fail(source, f"文件「{source}」是空的", "第 1 行应为表头,其后每行一条记录")
    return table


def _csv_records(text: str, delimiter: str) -> tuple[list[list[str]], Sequence[int]]:
    """All records and the file line each starts on (a quoted field may span lines)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records: list[list[str]] = list(reader)
    if reader.line_num == len(records):  # one line per record: the common, fast case
        return records, range(1, len(records) + 1)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    starts: list[int] = []
    last = 0
    for _ in reader:
        starts.append(last + 1)
        last = reader.line_num
    return records, starts


def _xlsx_cell(value: Any, number_format: str | None) -> Cell:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        if number_format and "%" in number_format:
            return FractionCell(float(value))
        return value
    if isinstance(value, datetime | date | time):
        return value
    return str(value)


def _read_xlsx(path: Path, source: str, entity: str) -> RawTable:
    import openpyxl

    _read_bytes(path, source)  # existence, permission and emptiness, with the same messages
    fast = read_fast_xlsx(path, TABLE_NAMES[entity])
    if fast is not None:  # the same table, read by calamine; formulas checked only where cells are empty
        table = RawTable(source, "xlsx", fast.sheet, fast.header, fast.header_row, fast.rows, fast.row_numbers)
        return _finish_xlsx(path, source, fast.sheet, table, fast.with_blanks if fast.formulas else set())
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many kinds of errors on a damaged file
        raise _fail(source, f"「{source}」不是有效的 xlsx 文件", "文件可能已损坏,或是改了扩展名的其他格式;" + _SAVE_AS) from e
    with_blanks: set[int] = set()  # sheet rows with an empty cell under the header: formulas?
    try:
        wanted = TABLE_NAMES[entity]
        ws = wb[wanted] if wanted in wb.sheetnames else wb.worksheets[0]
        sheet = str(ws.title)
        if hasattr(ws, "reset_dimensions"):
            ws.reset_dimensions()  # the stored dimensions are often wrong; read every row
        table = RawTable(source, "xlsx", sheet, [], None)
        for number, cells in enumerate(ws.iter_rows(), start=1):
            row = [_xlsx_cell(c.value, getattr(c, "number_format", None)) for c in cells]
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in row):
                continue
            if table.header_row is None:
                table.header = ["" if v is None else str(v) for v in row]
                table.header_row = number
                continue
            if len(row) < len(table.header) or None in row[: len(table.header)]:
                with_blanks.add(number)
            table.rows.append(row)
            table.row_numbers.append(number)
    except ReadFailure:
        raise
    except Exception as e:
        raise _fail(source, f"读取「{source}」时出错:{e}", "文件可能已损坏;" + _SAVE_AS) from e
    finally:
        wb.close()
    return _finish_xlsx(path, source, sheet, table, with_blanks)


def _finish_xlsx(path: Path, source: str, sheet: str, table: RawTable, with_blanks: set[int]) -> RawTable:
    if table.header_row is None:
        raise _fail(source, f"「{source}」的工作表「{sheet}」是空的", "第 1 行应为表头,其后每行一条记录")
    if with_blanks:
        table.uncomputed = _uncomputed_formulas(path, source, sheet, table, with_blanks)
    return table


def _uncomputed_formulas(path: Path, source: str, sheet: str, table: RawTable, rows: set[int]) -> dict[tuple[int, int], str]:
    """Formulas in the cells that read as empty: a file written by a program (openpyxl, pandas…)
    stores `=B2*2` without its result, which only Excel computes on saving. Read as values these
    would silently be missing; the loader names each one instead."""
    import openpyxl

    index = {number: i for i, number in enumerate(table.row_numbers) if number in rows}
    last = max(rows)
    found: dict[tuple[int, int], str] = {}
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except Exception as e:  # pragma: no cover - it opened a moment ago
        raise _fail(source, f"「{source}」不是有效的 xlsx 文件", _SAVE_AS) from e
    try:
        ws = wb[sheet]
        if hasattr(ws, "reset_dimensions"):
            ws.reset_dimensions()
        for number, cells in enumerate(ws.iter_rows(max_row=last), start=1):
            i = index.get(number)
            if i is None:
                continue
            values = table.rows[i]
            for position, cell in enumerate(cells[: len(table.header)]):
                formula = cell.value
                if (isinstance(formula, str) and formula.startswith("=")
                        and (position >= len(values) or values[position] is None)):
                    found[(i, position)] = formula
    except Exception as e:
        raise _fail(source, f"读取「{source}」时出错:{e}", "文件可能已损坏;" + _SAVE_AS) from e
    finally:
        wb.close()
    return found


def _json_cell(value: Any) -> Cell:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) else value
    return json.dumps(value, ensure_ascii=False)  # a list or object: reported as a bad value


def _read_json(path: Path, source: str, entity: str) -> RawTable:
    text = decode(_read_bytes(path, source))
    if text is None:
        raise _fail(source, f"无法识别文件「{source}」的编码", "JSON 文件应为 UTF-8 编码", code="E407")
    try:
        doc = json.loads(text.lstrip("\ufeff"))
    except json.JSONDecodeError as e:
        raise _fail(source, f"「{source}」不是有效的 JSON:第 {e.lineno} 行第 {e.colno} 列附近有错误", f"解析器报告:{e.msg}") from e
    name = TABLE_NAMES[entity]
    records: Any = doc
    if isinstance(doc, dict):
        key = next((k for k in (name, TABLE_KEYS_EN[entity]) if k in doc), None)
        if key is None:
            raise _fail(source, f"JSON 中没有「{name}」", f"顶层应为记录列表,或形如 {{\"{name}\": [...]}} 的对象")
        records = doc[key]
    if not isinstance(records, list):
        raise _fail(source, f"JSON 中的「{name}」应为记录列表", '形如 [{"列名": 值, …}, …]')
    return raw_from_records(records, source)


def raw_from_records(records: list[Any], source: str) -> RawTable:
    """Records (dicts of column → value, as from JSON or TOML) → a raw table; row i is record i."""
    table = RawTable(source, "json", None, [], None)
    columns: dict[str, int] = {}
    for index, record in enumerate(records, start=1):
        if not isinstance(record, dict):
            raise _fail(source, f"JSON 第 {index} 条记录不是对象", '每条记录应形如 {"列名": 值, …}')
        row: list[Cell] = [None] * len(columns)
        for key, value in record.items():
            position = columns.setdefault(str(key), len(columns))
            if position == len(row):
                row.append(None)
            row[position] = _json_cell(value)
        table.rows.append(row)
        table.row_numbers.append(index)
    table.header = list(columns)
    return table
