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


def _number_hint(text: str, spec: FieldSpec) -> str:
    found = _DIGITS.search(text)
    example = found.group(0) if found else "300"
    hint = f"请填写阿拉伯数字,如 {example};千位分隔符「,」可以保留"
    if spec.percent:
        hint += f";百分数写作 {example} 或 {example}%"
    elif spec.unit:
        hint += f";该列单位为「{spec.unit}」,只填数字"
    return hint


def _raw_number(cell: Cell, spec: FieldSpec) -> float | Bad:
    """A cell's number as written (percent sign and unit suffix dropped, not yet scaled or checked)."""
    if cell is None:
        return math.nan
    if isinstance(cell, FractionCell):
        return cell.value
    if isinstance(cell, int | float):
        return float(cell)
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
    value = float(body)
    return value if math.isfinite(value) else Bad("E402", "不是有限的数", _number_hint("", spec))


def _fast_numbers(cells: np.ndarray) -> np.ndarray | None:
    """The common case in C: every cell a number, plain decimal text or empty; None if any is not."""
    try:
        array = cells.astype(np.float64)  # float() on each cell
    except (ValueError, TypeError):
        blank = cells == ""
        if not blank.any():
            return None
        cells = cells.copy()
        cells[blank] = None
        try:
            array = cells.astype(np.float64)
        except (ValueError, TypeError):
            return None
    return None if np.isinf(array).any() else array


def _careful_numbers(cells: np.ndarray, spec: FieldSpec) -> tuple[np.ndarray, list[tuple[int, Bad]], np.ndarray | None]:
    """Each distinct cell read by `_raw_number`; also which cells were percentages already scaled."""
    values: dict[Cell, float] = {}
    bad: dict[Cell, Bad] = {}
    for c in set(cells):
        result = _raw_number(c, spec)
        if isinstance(result, Bad):
            bad[c], values[c] = result, math.nan
        else:
            values[c] = result
    array = np.fromiter(map(values.__getitem__, cells), dtype=np.float64, count=len(cells))
    problems = [(i, bad[c]) for i, c in enumerate(cells) if c in bad] if bad else []
    scaled = None
    if any(isinstance(c, FractionCell) for c in values):
        scaled = np.fromiter((isinstance(c, FractionCell) for c in cells), dtype=bool, count=len(cells))
    return array, problems, scaled


def parse_number(cell: Cell, spec: FieldSpec) -> float | Bad:
    """One cell of an 整数/数值 column → float (NaN when empty) or the reason it is not a number."""
    column = np.empty(1, dtype=object)
    column[0] = cell
    values, problems = _number_column(column, spec)
    return problems[0][1] if problems else float(values[0])


#: No count, area, amount or rate in these tables comes near this; beyond it a float no longer
#: holds every digit, and results would be meaningless (and too long to print).
MAX_MAGNITUDE = 1e15
_TOO_LARGE = Bad("E402", "数值过大(绝对值不小于 10 的 15 次方),不可能是真实数据",
                 "请核对该单元格:是否多打了数字,或把身份证号等编号填进了数值列")
_NOT_INTEGER = Bad("E402", "应为整数", "该列只能填整数(人数、班数等没有小数);请核对原始数据")
_NEGATIVE = Bad("E403", "不应为负数", "该列的值不能小于 0;请核对原始数据(不明的值请留空)")


def _number_column(cells: np.ndarray, spec: FieldSpec) -> tuple[np.ndarray, list[tuple[int, Bad]]]:
    """Numbers of a column, then integer, sign and percent handled on the whole array."""
    array = _fast_numbers(cells)
    problems: list[tuple[int, Bad]] = []
    scaled: np.ndarray | None = None
    if array is None:
        array, problems, scaled = _careful_numbers(cells, spec)
    return check_numbers(array, problems, scaled, spec)


def check_numbers(array: np.ndarray, problems: list[tuple[int, Bad]], scaled: np.ndarray | None,
                  spec: FieldSpec) -> tuple[np.ndarray, list[tuple[int, Bad]]]:
    """Magnitude, integer, sign and percent of a column's numbers as written (also used by the fast CSV path)."""
    with np.errstate(invalid="ignore"):
        huge = np.abs(array) >= MAX_MAGNITUDE
        if huge.any():
            problems += [(int(i), _TOO_LARGE) for i in np.flatnonzero(huge)]
            array = np.where(huge, np.nan, array)
        if spec.type == INTEGER:
            rounded = np.round(array)
            wrong = np.abs(array - rounded) > 1e-9 * np.maximum(1.0, np.abs(array))
            if scaled is not None:
                wrong &= ~scaled
            problems += [(int(i), _NOT_INTEGER) for i in np.flatnonzero(wrong)]
            array = np.where(wrong, np.nan, rounded if scaled is None else np.where(scaled, array, rounded))
        if spec.nonnegative:
            negative = array < 0
            problems += [(int(i), _NEGATIVE) for i in np.flatnonzero(negative)]
            array[negative] = np.nan
    if spec.percent:
        array = array / 100.0 if scaled is None else np.where(scaled, array, array / 100.0)
    return array + 0.0, problems  # + 0.0 turns -0.0 into 0.0


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
        return None if len(text) <= 4 and normalize(text).upper() in _MISSING else text
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


def as_cells(values: Sequence[Cell] | np.ndarray) -> np.ndarray:
    """A sequence of cells as a 1-D object array (never split into characters or nested)."""
    if isinstance(values, np.ndarray) and values.dtype == object and values.ndim == 1:
        return values
    out = np.empty(len(values), dtype=object)
    out[:] = list(values)
    return out


def parse_column(values: Sequence[Cell] | np.ndarray, spec: FieldSpec) -> tuple[np.ndarray, list[tuple[int, Bad]]]:
    """A whole column → its array (float64 or object) and the bad cells as (index, reason).

    Each distinct raw value is parsed once and mapped back by dictionary lookup; the checks
    on numbers run on the array. Problems are not in row order.
    """
    cells = as_cells(values)
    if spec.type == TEXT:
        texts = {c: parse_text(c) for c in set(cells)}
        out = np.empty(len(cells), dtype=object)
        out[:] = list(map(texts.__getitem__, cells))
        return out, []
    if spec.type != YES_NO:
        return _number_column(cells, spec)
    flags = {c: parse_yes_no(c, spec) for c in set(cells)}
    array = np.fromiter((math.nan if isinstance(f, Bad) else f for f in map(flags.__getitem__, cells)),
                        dtype=np.float64, count=len(cells))
    problems = [(i, f) for i, f in enumerate(map(flags.__getitem__, cells)) if isinstance(f, Bad)]
    return array, problems
