"""Reading a facts file (csv, xlsx or json) into a header and raw cells, values uninterpreted."""

from __future__ import annotations

import codecs
import csv
import io
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, cast

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


class ReadFailure(Exception):
    """The file cannot be read at all (E406 / E407); carries the diagnostic."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic


_SAVE_AS = "请在 Excel 中「另存为」.xlsx 或「CSV UTF-8(逗号分隔)」后再读取;也可以使用 JSON"


def _fail(source: str, message: str, hint: str | None = None, code: str = "E406") -> ReadFailure:
    return ReadFailure(Diagnostic(code, message, FactLocation(source), hint))


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
    return reader(path, source, entity)


def _read_bytes(path: Path, source: str) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as e:
        raise _fail(source, f"无法读取文件「{source}」:{e.strerror or e}", "请检查文件是否存在、是否有读取权限") from e
    if not data.strip():
        raise _fail(source, f"文件「{source}」是空的", "第 1 行应为表头,其后每行一条记录")
    return data


def decode(data: bytes) -> str | None:
    """Bytes → text: UTF-8 (with or without BOM), UTF-16 with BOM, GB18030/GBK; None if none fits."""
    candidates: list[str] = []
    if data.startswith(codecs.BOM_UTF8):
        candidates.append("utf-8-sig")
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates.append("utf-16")
    candidates += ["utf-8", "gb18030"]
    for encoding in candidates:
        try:
            text = data.decode(encoding)
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


def _read_csv(path: Path, source: str, entity: str) -> RawTable:
    data = _read_bytes(path, source)
    text = decode(data)
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
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many kinds of errors on a damaged file
        raise _fail(source, f"「{source}」不是有效的 xlsx 文件", "文件可能已损坏,或是改了扩展名的其他格式;" + _SAVE_AS) from e
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
            table.rows.append(row)
            table.row_numbers.append(number)
    except ReadFailure:
        raise
    except Exception as e:
        raise _fail(source, f"读取「{source}」时出错:{e}", "文件可能已损坏;" + _SAVE_AS) from e
    finally:
        wb.close()
    if table.header_row is None:
        raise _fail(source, f"「{source}」的工作表「{sheet}」是空的", "第 1 行应为表头,其后每行一条记录")
    return table


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
