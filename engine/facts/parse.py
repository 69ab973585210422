"""Interpreting raw cells by declared type, one column at a time (each distinct value parsed once)."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time

import numpy as np

from engine.facts.read import Cell, FractionCell
from engine.facts.spec import INTEGER, TEXT, YES_NO, FieldSpec


@dataclass(frozen=True, slots=True)
class Bad:
    """Why a cell was rejected: the code (E402 / E403), the end of the message, and a hint."""

    code: str
    what: str
    hint: str


_MISSING = frozenset({"", "-", "--", "—", "——", "–", "/", "\\", "NA", "N/A", "NULL", "NONE", "NAN"})
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_GROUPED = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?")
_DIGITS = re.compile(r"\d+(?:\.\d+)?")
_EXCEL_ERRORS = frozenset({"#DIV/0!", "#N/A", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!"})
_YES = frozenset({"是", "有", "y", "yes", "true", "1", "✓", "✔", "√", "对"})
_NO = frozenset({"否", "无", "n", "no", "false", "0", "✗", "✘", "×", "x", "错"})
_INVISIBLE = "\ufeff\u200b\u200c\u200d\u2060"


def normalize(text: str) -> str:
    """Full-width forms to ASCII (NFKC), a Unicode minus to "-", invisible marks and spaces trimmed."""
    return unicodedata.normalize("NFKC", text).replace("\u2212", "-").strip().strip(_INVISIBLE).strip()


def is_missing_text(text: str) -> bool:
    return normalize(text).upper() in _MISSING


def _number_hint(text: str, spec: FieldSpec) -> str:
    found = _DIGITS.search(text)
    example = found.group(0) if found else "300"
    hint = f"请填写阿拉伯数字,如 {example};千位分隔符「,」可以保留"
    if spec.percent:
        hint += f";百分数写作 {example} 或 {example}%"
    elif spec.unit:
        hint += f";该列单位为「{spec.unit}」,只填数字"
    return hint


def _finish_number(value: float, spec: FieldSpec, scaled: bool) -> float | Bad:
    """Checks shared by numbers from text and numbers from cells; percent columns become fractions."""
    if math.isnan(value):
        return math.nan
    if math.isinf(value):
        return Bad("E402", "不是有限的数", _number_hint("", spec))
    if spec.type == INTEGER and not scaled and abs(value - round(value)) > 1e-9 * max(1.0, abs(value)):
        return Bad("E402", "应为整数", "该列只能填整数(人数、班数等没有小数);请核对原始数据")
    if spec.nonnegative and value < 0:
        return Bad("E403", "不应为负数", "该列的值不能小于 0;请核对原始数据(不明的值请留空)")
    if spec.type == INTEGER and not scaled:
        value = float(round(value))
    if spec.percent and not scaled:
        value = value / 100.0
    return value + 0.0  # -0.0 → 0.0


def parse_number(cell: Cell, spec: FieldSpec) -> float | Bad:
    """One cell of an 整数/数值 column → float (NaN when empty) or the reason it is not a number."""
    if cell is None:
        return math.nan
    if isinstance(cell, FractionCell):
        return _finish_number(cell.value, spec, scaled=True)
    if isinstance(cell, int | float):
        return _finish_number(float(cell), spec, scaled=False)
    if isinstance(cell, datetime | date | time):
        return Bad("E402", "是日期/时间,不是数字", "该单元格被设成了日期格式;请把单元格格式改为「常规」或「数值」后重新填写")
    text = normalize(cell)
    if text.upper() in _MISSING:
        return math.nan
    if text.upper() in _EXCEL_ERRORS:
        return Bad("E402", "是 Excel 公式错误", "请检查该单元格的公式,或直接填写数值")
    body = text
    if spec.percent and body.endswith("%"):
        body = body[:-1].rstrip()
    elif spec.unit and not spec.percent:
        unit = normalize(spec.unit)
        if body.endswith(unit) and len(body) > len(unit):
            body = body[: -len(unit)].rstrip()
    if _GROUPED.fullmatch(body):
        body = body.replace(",", "")
    if not _NUMBER.fullmatch(body):
        return Bad("E402", "不是数字", _number_hint(text, spec))
    return _finish_number(float(body), spec, scaled=False)


def parse_yes_no(cell: Cell, spec: FieldSpec) -> float | Bad:
    """One cell of a 是否 column → 1.0 / 0.0 (NaN when empty) or the reason it is not yes/no."""
    if cell is None:
        return math.nan
    if isinstance(cell, FractionCell):
        cell = cell.value
    if isinstance(cell, int | float):
        if cell in (0, 1):
            return float(cell)
        text = f"{cell:g}"
    elif isinstance(cell, str):
        text = normalize(cell)
        if text.upper() in _MISSING:
            return math.nan
        key = text.lower()
        if key in ("1.0", "0.0"):
            key = key[0]
        if key in _YES:
            return 1.0
        if key in _NO:
            return 0.0
    else:
        text = str(cell)
    return Bad("E402", "不是「是/否」", "请填写「是」或「否」(也可用 有/无、Y/N、1/0、✓/✗)")


def parse_text(cell: Cell) -> str | None:
    """One cell of a 文本 column → stripped text, or None when empty; numbers without a spurious ".0"."""
    if cell is None:
        return None
    if isinstance(cell, str):
        text = cell.strip().strip(_INVISIBLE).strip()
        return None if normalize(text).upper() in _MISSING else text
    if isinstance(cell, FractionCell):
        return f"{cell.value * 100:g}%"
    if isinstance(cell, float):
        if math.isnan(cell):
            return None
        return str(int(cell)) if cell.is_integer() and abs(cell) < 1e16 else repr(cell)
    if isinstance(cell, int):
        return str(cell)
    if isinstance(cell, datetime) and cell.time() == time(0):
        return cell.date().isoformat()
    return cell.isoformat()


def parse_column(cells: Sequence[Cell], spec: FieldSpec) -> tuple[np.ndarray, list[tuple[int, Bad]]]:
    """A whole column → its array (float64 or object) and the bad cells as (index, reason).

    Each distinct raw value is parsed once; mapping cells to results is a dictionary lookup,
    so a column of hundreds of thousands of cells costs a few milliseconds.
    """
    n = len(cells)
    if spec.type == TEXT:
        texts = {c: parse_text(c) for c in set(cells)}
        out = np.empty(n, dtype=object)
        out[:] = [texts[c] for c in cells]
        return out, []
    parse = parse_yes_no if spec.type == YES_NO else parse_number
    values: dict[Cell, float] = {}
    bad: dict[Cell, Bad] = {}
    for c in set(cells):
        result = parse(c, spec)
        if isinstance(result, Bad):
            bad[c] = result
            values[c] = math.nan
        else:
            values[c] = result
    array = np.fromiter(map(values.__getitem__, cells), dtype=np.float64, count=n)
    problems = [(i, bad[c]) for i, c in enumerate(cells) if c in bad] if bad else []
    return array, problems
