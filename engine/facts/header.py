"""Matching a file's header to the declared fields; missing-column diagnostics (E401, W452)."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from engine.facts.read import RawTable
from engine.facts.spec import FieldSpec
from engine.interpreter.errors import Diagnostic, FactLocation, Severity

_SPACE = re.compile(r"[\s\u3000\ufeff\u200b]+")
_WITH_UNIT = re.compile(r"(.+?)[(（\[【]([^()（）\[\]【】]*)[)）\]】]")


def header_key(text: str) -> str:
    """A header cell as compared with field names: all whitespace removed."""
    return _SPACE.sub("", str(text))


def _unit_key(unit: str) -> str:
    return unicodedata.normalize("NFKC", unit).replace(" ", "").lower()


@dataclass
class HeaderMatch:
    """For each file column, the table column it becomes (None = ignored), and what went wrong."""

    names: list[str | None]
    present: set[str]
    diagnostics: list[Diagnostic] = field(default_factory=list)
    wrong_unit: dict[str, str] = field(default_factory=dict)  # field name → header with another unit


def match_header(raw: RawTable, specs: Mapping[str, FieldSpec]) -> HeaderMatch:
    """Header cells → column names: exact names, declared titles, or a name with its unit in brackets.

    "教学仪器设备值(万元)" matches 教学仪器设备值 (unit 万元); "教学仪器设备值(元)" does not — the
    values would be 10,000 times too large — and is named in the missing-column hint instead.
    """
    titles: dict[str, str] = {}
    for spec in specs.values():
        if spec.title and spec.title not in specs:
            titles[header_key(spec.title)] = spec.name
    match = HeaderMatch([], set())
    seen: dict[str, list[int]] = {}
    for position, text in enumerate(raw.header):
        key = header_key(text)
        name: str | None = key if key in specs else titles.get(key)
        bracket = _WITH_UNIT.fullmatch(key) if name is None else None
        if bracket:
            base = bracket.group(1)
            base = base if base in specs else titles.get(base, "")
            declared = specs.get(base)
            if declared is not None:
                if declared.unit is not None and _unit_key(declared.unit) == _unit_key(bracket.group(2)):
                    name = base
                else:
                    match.wrong_unit[base] = key
        if name is None and key:
            name = key  # an undeclared column: kept as text, ignored by the rules
        if name is not None:
            seen.setdefault(name, []).append(position)
            if len(seen[name]) > 1:
                name = None
        match.names.append(name)
    match.present = {n for n in match.names if n is not None}
    location = FactLocation(raw.source, raw.header_row, None, raw.sheet)
    for name, positions in seen.items():
        if len(positions) > 1 and name in specs:
            where = "、".join(f"第 {p + 1} 列" for p in positions)
            match.diagnostics.append(Diagnostic(
                "E406", f"表头中列「{name}」出现了 {len(positions)} 次({where}),无法确定用哪一列",
                location, "请删除多余的列,或给它们改用不同的列名"))
    return match


def _suggestions(missing: Sequence[str], raw: RawTable, match: HeaderMatch, specs: Mapping[str, FieldSpec]) -> list[str]:
    unmatched = [header_key(h) for h in raw.header if header_key(h) and header_key(h) not in specs]
    out: list[str] = []
    for name in missing:
        if name in match.wrong_unit:
            unit = specs[name].unit or "无单位"
            out.append(f"列「{match.wrong_unit[name]}」的单位与规定的「{unit}」不同,请换算后把列名改为「{name}」")
            continue
        close = difflib.get_close_matches(name, unmatched, n=1, cutoff=0.6)
        if close:
            out.append(f"「{close[0]}」是否应为「{name}」?")
    return out[:6]


def _title_row_hint(raw: RawTable, names: Sequence[str]) -> str | None:
    """When the header matched nothing, look for the real header a few rows further down."""
    if raw.header_row is None:
        return None
    wanted = set(names)
    for cells, number in zip(raw.head(10), raw.row_numbers[:10], strict=False):
        hits = sum(1 for c in cells if isinstance(c, str) and header_key(c) in wanted)
        if hits >= max(2, len(wanted) // 2):
            return f"表头似乎在第 {number} 行:请删除它上方的标题行,让表头位于第 1 行"
    return None


def missing_columns(raw: RawTable, specs: Mapping[str, FieldSpec], match: HeaderMatch) -> tuple[list[str], list[str], list[Diagnostic]]:
    """Required and optional declared columns absent from the file, with one E401 and one W452."""
    required = [s.name for s in specs.values() if s.required and s.name not in match.present]
    optional = [s.name for s in specs.values() if not s.required and s.name not in match.present]
    location = FactLocation(raw.source, raw.header_row, None, raw.sheet)
    diagnostics: list[Diagnostic] = []
    if required:
        listed = "、".join(f"「{n}」" for n in required)
        where = "每条记录都应包含这些键" if raw.header_row is None else f"第 {raw.header_row} 行应为表头,列名须与模板一致(不带单位和空格)"
        parts = [where, *_suggestions(required, raw, match, specs)]
        if not (match.present & set(specs)):
            title_hint = _title_row_hint(raw, list(specs))
            if title_hint:
                parts.append(title_hint)
        diagnostics.append(Diagnostic("E401", f"缺少必需的列(共 {len(required)} 列):{listed}", location, ";".join(parts)))
    if optional:
        listed = "、".join(f"「{n}」" for n in optional)
        hint = ";".join(["如有这些数据,请按列名补上这些列", *_suggestions(optional, raw, match, specs)])
        diagnostics.append(Diagnostic(
            "W452", f"以下列缺失,用到它们的指标将记为数据缺失:{listed}", location, hint, severity=Severity.WARNING))
    return required, optional, diagnostics
