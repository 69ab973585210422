"""Facts from a request: JSON records, or uploaded files saved to a private temporary folder.

Uploaded files are recognised by their content, never by their name: an .xlsx is a zip
holding xl/workbook.xml (and is refused when it would unpack to more than the limit), an old
binary .xls is refused with advice, anything else is read as CSV. Each file is saved under a
fixed name of our own; the client's file name is used only to name the file in messages.
"""

from __future__ import annotations

import re
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from engine.facts import Facts, FieldSpec, load_facts, load_records
from engine.facts.spec import TABLE_NAMES
from engine.interpreter.errors import Diagnostic, FactLocation, FactsError
from engine.service.errors import ServiceError, size_text

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = b"PK\x03\x04"
_UNSAFE = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Upload:
    """One uploaded file as received: the name the client gave (for messages only) and its bytes."""

    filename: str | None
    data: bytes


def shown_name(filename: str | None, fallback: str) -> str:
    """The client's file name, reduced to a harmless label: last path part, no control characters."""
    name = _UNSAFE.sub("", re.split(r"[/\\]", filename or "")[-1]).strip()
    return name[:80] or fallback


def _kind(data: bytes, label: str, max_unzipped: int) -> str:
    """'.xlsx', '.csv' or '.json' from the content; ServiceError(415) for what cannot be read."""
    if data.startswith(_OLE):
        raise ServiceError(415, "E704", f"「{label}」是旧版 Excel(.xls)文件,无法读取",
                           {"文件": label}, "请在 Excel 中「另存为」.xlsx 后再上传")
    if data.startswith(_ZIP):
        try:
            import io

            with zipfile.ZipFile(io.BytesIO(data)) as z:
                names = set(z.namelist())
                unpacked = sum(i.file_size for i in z.infolist())
        except (zipfile.BadZipFile, ValueError, OSError):
            raise ServiceError(415, "E704", f"「{label}」不是有效的 xlsx 文件", {"文件": label},
                               "文件可能已损坏;请重新保存为 .xlsx 或 CSV 后上传") from None
        if "xl/workbook.xml" not in names:
            raise ServiceError(415, "E704", f"「{label}」不是 Excel 工作簿(.xlsx)", {"文件": label},
                               "只能上传 .xlsx 或 .csv 文件")
        if unpacked > max_unzipped:
            raise ServiceError(413, "E701", f"「{label}」解压后太大:不能超过 {size_text(max_unzipped)}",
                               {"文件": label}, "请只保留学校表和县区表两个工作表")
        return ".xlsx"
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    return ".json" if head in (b"{", b"[") else ".csv"


def _sheets(path: Path) -> list[str]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True)
    except Exception:  # a damaged workbook: the loader reports it properly
        return []
    try:
        return list(wb.sheetnames)
    finally:
        wb.close()


def facts_from_uploads(schools: Upload, counties: Upload | None, specs: Sequence[FieldSpec],
                       max_unzipped: int) -> Facts:
    """Save the uploads under our own names in a fresh temporary folder and load them.

    One workbook with sheets 学校表 and 县区表 may stand for both files.
    """
    labels: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="junheng-upload-") as tmp:
        school_label = shown_name(schools.filename, "学校表")
        school_path = Path(tmp) / ("学校表" + _kind(schools.data, school_label, max_unzipped))
        school_path.write_bytes(schools.data)
        labels[str(school_path)] = school_label
        county_path: Path | None = None
        if counties is not None:
            county_label = shown_name(counties.filename, "县区表")
            county_path = Path(tmp) / ("县区表" + _kind(counties.data, county_label, max_unzipped))
            county_path.write_bytes(counties.data)
            labels[str(county_path)] = county_label
        elif school_path.suffix == ".xlsx" and TABLE_NAMES["县区"] in _sheets(school_path):
            county_path = school_path
        try:
            facts = load_facts(school_path, county_path, specs)
        except FactsError as exc:
            raise FactsError([_relabel(d, labels) for d in exc.diagnostics]) from None
    facts.warnings = [_relabel(d, labels) for d in facts.warnings]
    return facts


def _relabel(d: Diagnostic, labels: dict[str, str]) -> Diagnostic:
    """Name a temporary file by the client's label, in the location and in the words."""
    loc = d.location
    message, hint = d.message, d.hint
    for path, label in labels.items():
        message = message.replace(path, label)
        hint = hint.replace(path, label) if hint else hint
    if isinstance(loc, FactLocation) and loc.file in labels:
        loc = replace(loc, file=labels[loc.file])
    return replace(d, location=loc, message=message, hint=hint)


def facts_from_records(schools: list[Any], counties: list[Any] | None, specs: Sequence[FieldSpec],
                       keys: tuple[str, str] = ("schools", "counties")) -> Facts:
    """Load JSON records; a bad value's location becomes its JSON path ($.schools[3].学生数)."""
    try:
        facts = load_records(schools, counties, specs, source="$")
    except FactsError as exc:
        raise FactsError([_json_path(d, keys) for d in exc.diagnostics]) from None
    facts.warnings = [_json_path(d, keys) for d in facts.warnings]
    return facts


def json_path(loc: FactLocation, keys: tuple[str, str]) -> str:
    """A record location ($:学校, row 4, column 学生数) → $.schools[3].学生数."""
    key = keys[0] if loc.file.endswith(":学校") else keys[1]
    path = f"$.{key}"
    if loc.row is not None:
        path += f"[{loc.row - 1}]"
    if loc.column is not None:
        path += f".{loc.column}"
    return path


def _json_path(d: Diagnostic, keys: tuple[str, str]) -> Diagnostic:
    loc = d.location
    if isinstance(loc, FactLocation) and loc.file.startswith("$:"):
        message = d.message.replace(f"第 {loc.row} 行", f"第 {loc.row} 条记录") if loc.row else d.message
        return replace(d, message=message, location=replace(loc, file=json_path(loc, keys)))
    return d


def check_size(data: bytes, limit: int, label: str) -> bytes:
    """An upload's bytes, refused when larger than the limit."""
    if len(data) > limit:
        raise ServiceError(413, "E701", f"上传的文件「{label}」太大:不能超过 {size_text(limit)}", {"文件": label})
    return data
