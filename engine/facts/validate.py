"""Checks across rows and tables: duplicate ids, odd ids, unknown 县区, implausible units."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import numpy as np

from engine.facts.spec import COUNTY, COUNTY_COLUMN, ID_COLUMN, SCHOOL, STUDENT_COLUMNS, FieldSpec
from engine.facts.table import Table
from engine.interpreter.errors import Diagnostic, FactLocation, Related, Severity

#: Warnings of one kind in one column beyond this many are summarised in one more warning.
MAX_WARNINGS_PER_COLUMN = 20
#: 万元 per student above which a value was probably written in 元 (5 万元 = 50,000 元).
MAX_WAN_PER_STUDENT = 5.0
#: 万元 per student below which (but above 0) the magnitude is probably wrong (1 元).
MIN_WAN_PER_STUDENT = 0.0001


def _ten_digits(value: str) -> bool:
    """Ten decimal digits of any script, exactly what the regex \\d{10} matches (str.isdecimal is
    Unicode category Nd, as \\d is), several times faster on 200,000 ids."""
    return len(value) == 10 and value.isdecimal()


def location(table: Table, index: int | None, column: str | None = None) -> FactLocation:
    row = None if index is None else table.row_of(index)
    return FactLocation(table.source, row, column, table.sheet)


def row_label(table: Table, index: int) -> str:
    """How a record is named in messages: 第 12 行 (csv/xlsx), 第 3 条记录 (JSON list positions)."""
    row = table.row_of(index)
    return f"第 {row} 条记录" if table.source.lower().endswith(".json") else f"第 {row} 行"


def number_text(value: float) -> str:
    return f"{value:.4f}".rstrip("0").rstrip(".")


def _warning(code: str, message: str, loc: FactLocation, hint: str | None) -> Diagnostic:
    return Diagnostic(code, message, loc, hint, severity=Severity.WARNING)


def _capped(table: Table, column: str, indices: np.ndarray, make: Callable[[int], Diagnostic], what: str) -> list[Diagnostic]:
    out = [make(int(i)) for i in indices[:MAX_WARNINGS_PER_COLUMN]]
    rest = len(indices) - MAX_WARNINGS_PER_COLUMN
    if rest > 0:
        first = out[0]
        out.append(_warning(first.code, f"列「{column}」另有 {rest} 行{what}(未逐一列出)", location(table, None, column), first.hint))
    return out


def _first_seen(values: Iterable[Any]) -> Iterator[tuple[int, int, Any]]:
    """(row, row of the value's first occurrence, value) for every non-empty value."""
    first: dict[Any, int] = {}
    for i, value in enumerate(values):
        if value is not None:
            yield i, first.setdefault(value, i), value


def check_ids(table: Table) -> list[Diagnostic]:
    """E404 for each repeated 学校标识码 (naming the first row too); W453 for ids not of 10 digits."""
    ids = table.columns.get(ID_COLUMN)
    if ids is None:
        return []
    out: list[Diagnostic] = []
    odd: list[int] = []
    values = ids.tolist()
    if len(set(values)) == len(values) - max(0, values.count(None) - 1):  # no repeats, the usual case
        odd = [i for i, value in enumerate(values) if value is not None and not _ten_digits(value)]
    else:
        for i, j, value in _first_seen(ids):
            if j != i:
                out.append(Diagnostic(
                    "E404", f"学校标识码「{value}」重复:{row_label(table, i)}与{row_label(table, j)}相同",
                    location(table, i, ID_COLUMN), "每所学校的学校标识码应唯一;请核对是否重复录入了同一所学校",
                    (Related(location(table, j, ID_COLUMN), "第一次出现在这里"),)))
            elif not _ten_digits(value):
                odd.append(i)
    out += _capped(table, ID_COLUMN, np.array(odd, dtype=np.int64), lambda i: _warning(
        "W453", f"{row_label(table, i)}列「{ID_COLUMN}」的值「{ids[i]}」不是 10 位数字",
        location(table, i, ID_COLUMN), "学校标识码一般为 10 位数字;若确为特殊编码,可忽略此警告"), "学校标识码不是 10 位数字")
    return out


def check_county_names(table: Table) -> list[Diagnostic]:
    """E409 for a 县区 listed twice in the counties table (its rows could not be told apart)."""
    names = table.columns.get(COUNTY_COLUMN)
    if names is None:
        return []
    out: list[Diagnostic] = []
    for i, j, value in _first_seen(names):
        if j != i:
            out.append(Diagnostic(
                "E409", f"县区「{value}」在县区表中重复:{row_label(table, i)}与{row_label(table, j)}相同",
                location(table, i, COUNTY_COLUMN), "县区表中每个县区只能有一行",
                (Related(location(table, j, COUNTY_COLUMN), "第一次出现在这里"),)))
    return out


def check_county_refs(schools: Table, counties: Table) -> list[Diagnostic]:
    """E405 once per unknown 县区 name: at its first school, the other schools as related rows."""
    school_names, county_names = schools.columns.get(COUNTY_COLUMN), counties.columns.get(COUNTY_COLUMN)
    if school_names is None or county_names is None:
        return []
    known = {c for c in county_names if c is not None}
    unknown: dict[str, list[int]] = {}
    for i, value in enumerate(school_names):
        if value is not None and value not in known:
            unknown.setdefault(value, []).append(i)
    out: list[Diagnostic] = []
    for name, rows in unknown.items():
        close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
        listed = "、".join(sorted(known)[:10]) + ("等" if len(known) > 10 else "") or "(空)"
        guess = f"是否应为「{close[0]}」?" if close else ""
        hint = f"{guess}县区表中的县区:{listed}"
        count = f"(共 {len(rows)} 所学校)" if len(rows) > 1 else ""
        related = tuple(Related(location(schools, i, COUNTY_COLUMN), "同一县区") for i in rows[1:MAX_WARNINGS_PER_COLUMN])
        out.append(Diagnostic(
            "E405", f"{row_label(schools, rows[0])}列「{COUNTY_COLUMN}」的值「{name}」不在县区表中{count}",
            location(schools, rows[0], COUNTY_COLUMN), f"{hint};县区名称须与县区表「{counties.source}」完全一致", related))
    return out


def check_units(table: Table, specs: Mapping[str, FieldSpec]) -> list[Diagnostic]:
    """W451: 万元 columns far off per student, 元/年 values that look like 万元, percents written as fractions."""
    out: list[Diagnostic] = []
    students = np.zeros(table.n)
    for column in STUDENT_COLUMNS:
        if column in table.columns and table.columns[column].dtype == np.float64:
            students += np.nan_to_num(table.columns[column])
    for name, spec in specs.items():
        values = table.columns.get(name)
        if values is None or values.dtype != np.float64 or not spec.numeric:
            continue
        if spec.unit == "万元" and table.entity == SCHOOL:
            out += _wan_yuan(table, name, values, students)
        elif spec.unit in ("元/年", "元") and table.entity == COUNTY:
            out += _yuan(table, name, spec.unit, values)
        elif spec.percent:
            out += _percent(table, name, values)
    return out


def _yuan(table: Table, name: str, unit: str, values: np.ndarray) -> list[Diagnostic]:
    with np.errstate(invalid="ignore"):
        small = np.flatnonzero((values > 0) & (values < 1000))

    def make(i: int) -> Diagnostic:
        return _warning(
            "W451", f"{row_label(table, i)}列「{name}」的值 {number_text(values[i])} 疑似按万元填写(应为{unit})",
            location(table, i, name), f"该列单位为「{unit}」;若填的是万元,请乘以 10000")

    return _capped(table, name, small, make, "疑似单位错误")


def _percent(table: Table, name: str, values: np.ndarray) -> list[Diagnostic]:
    written = values * 100.0
    with np.errstate(invalid="ignore"):
        fractions = np.flatnonzero((written > 0) & (written < 1) & (np.abs(written - np.round(written)) > 1e-9))

    def make(i: int) -> Diagnostic:
        shown = number_text(written[i])
        return _warning(
            "W451", f"{row_label(table, i)}列「{name}」的值 {shown} 疑似按小数填写(应为百分数)",
            location(table, i, name), f"该列按百分数填写,如 98.5 表示 98.5%;若 {shown} 是小数,请乘以 100")

    return _capped(table, name, fractions, make, "疑似单位错误")


def _wan_yuan(table: Table, name: str, values: np.ndarray, students: np.ndarray) -> list[Diagnostic]:
    with np.errstate(divide="ignore", invalid="ignore"):
        per = np.where(students > 0, values / students, np.nan)
        high = np.flatnonzero(per > MAX_WAN_PER_STUDENT)
        low = np.flatnonzero((per > 0) & (per < MIN_WAN_PER_STUDENT))

    def too_high(i: int) -> Diagnostic:
        return _warning(
            "W451", f"{row_label(table, i)}列「{name}」的值 {number_text(values[i])} 疑似按元填写(应为万元):"
            f"折合生均 {number_text(per[i] * 10000)} 元", location(table, i, name),
            "该列单位为万元(1 万元 = 10000 元);若填的是元,请除以 10000")

    def too_low(i: int) -> Diagnostic:
        return _warning(
            "W451", f"{row_label(table, i)}列「{name}」的值 {number_text(values[i])} 疑似数量级错误:"
            f"折合生均不足 1 元", location(table, i, name), "该列单位为万元;请核对是否填成了亿元或漏了数位")

    return _capped(table, name, high, too_high, "疑似按元填写") + _capped(table, name, low, too_low, "疑似数量级错误")
