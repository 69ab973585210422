"""Loading facts files into `Table`s: read, match the header, parse columns, validate, report."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from engine.facts.fastparse import Parsed, parse_arrow_column
from engine.facts.header import match_header, missing_columns
from engine.facts.parse import parse_column, parse_text
from engine.facts.read import Cell, RawTable, ReadFailure, raw_from_records, read_raw
from engine.facts.spec import COUNTY, SCHOOL, TEXT, FieldSpec, specs_for
from engine.facts.table import Facts, Table
from engine.facts.validate import check_county_names, check_county_refs, check_ids, check_units, location, row_label
from engine.interpreter.errors import Diagnostic, FactsError


def _empty_column(spec: FieldSpec, n: int) -> np.ndarray:
    if spec.type == TEXT:
        return np.full(n, None, dtype=object)
    return np.full(n, np.nan, dtype=np.float64)


def _shown(cell: Cell) -> str:
    text = parse_text(cell) if not isinstance(cell, str) else cell.strip()
    text = text or ""
    return text if len(text) <= 30 else text[:30] + "…"


def _columns(raw: RawTable) -> Callable[[int, FieldSpec], Parsed]:
    """How to parse the column at a position: from the fast reader's columns, or from the rows."""
    if raw.columns is not None:
        held = raw.columns
        return lambda position, spec: parse_arrow_column(held[position], spec)
    n, width = len(raw.rows), len(raw.header)
    grid = np.empty((n, width), dtype=object)
    for i, row in enumerate(raw.rows):
        if len(row) != width:
            raw.rows[i] = (row + [None] * width)[:width]
    if n and width:
        grid[:, :] = raw.rows

    def parse(position: int, spec: FieldSpec) -> Parsed:
        cells = grid[:, position]
        values, problems = parse_column(cells, spec)
        return values, problems, cells.__getitem__

    return parse


def build_table(raw: RawTable, entity: str, specs: Mapping[str, FieldSpec]) -> tuple[Table, list[Diagnostic]]:
    """A raw table → typed columns and every problem found in it (errors and warnings)."""
    match = match_header(raw, specs)
    _, optional, missing = missing_columns(raw, specs, match)
    diagnostics = match.diagnostics + missing
    n = len(raw.row_numbers)
    column = _columns(raw)
    table = Table(entity, raw.source, n, {}, np.array(raw.row_numbers, dtype=np.int64), (), raw.sheet)
    for position, name in enumerate(match.names):
        if name is None:
            continue
        spec = specs.get(name) or FieldSpec(name, entity, TEXT)
        values, problems, cell = column(position, spec)
        table.columns[name] = values
        for index, bad in problems:
            diagnostics.append(Diagnostic(
                bad.code, f"{row_label(table, index)}列「{name}」的值「{_shown(cell(index))}」{bad.what}",
                location(table, index, name), bad.hint))
    diagnostics += _uncomputed(raw, table, match.names, specs)
    for name in optional:
        table.columns[name] = _empty_column(specs[name], n)
    table.missing_columns = tuple(optional)
    if entity == SCHOOL:
        diagnostics += check_ids(table)
    else:
        diagnostics += check_county_names(table)
    diagnostics += check_units(table, specs)
    return table, diagnostics


def _uncomputed(raw: RawTable, table: Table, names: Sequence[str | None],
                specs: Mapping[str, FieldSpec]) -> list[Diagnostic]:
    """E402 for each formula in a declared column whose result the xlsx file does not store."""
    out: list[Diagnostic] = []
    for (index, position), formula in sorted(raw.uncomputed.items()):
        name = names[position] if position < len(names) else None
        if name is None or name not in specs:
            continue
        shown = formula if len(formula) <= 30 else formula[:30] + "…"
        out.append(Diagnostic(
            "E402", f"{row_label(table, index)}列「{name}」是公式「{shown}」,但文件中没有保存它的计算结果",
            location(table, index, name),
            "该文件可能由程序生成、没有在 Excel 中打开并保存过;请用 Excel 打开后保存(Excel 会计算公式),"
            "或把这些单元格「选择性粘贴 → 数值」"))
    return out


def read_table(path: str | Path, entity: str, specs: Sequence[FieldSpec]) -> tuple[Table, list[Diagnostic]]:
    """Read one facts file for `entity` ("学校" / "县区"); never raises for a bad file.

    Returns the table and all diagnostics, errors and warnings alike; a file that cannot be
    read at all gives an empty table and its E406 / E407. Columns declared required but absent
    are not in `columns`; optional ones are filled with missing values and listed in
    `missing_columns`.
    """
    source = str(path)
    by_name = specs_for(entity, specs)
    try:
        raw = read_raw(Path(path), source, entity)
    except ReadFailure as failure:
        empty = Table(entity, source, 0, {}, np.zeros(0, dtype=np.int64))
        return empty, [failure.diagnostic]
    return build_table(raw, entity, by_name)


def load_records(schools: list[Any], counties: list[Any] | None, specs: Sequence[FieldSpec],
                 source: str = "<记录>") -> Facts:
    """Like `load_facts`, for records already in memory (rule test cases, the HTTP API)."""
    diagnostics: list[Diagnostic] = []
    try:
        school_table, diagnostics = build_table(raw_from_records(schools, f"{source}:学校"), SCHOOL,
                                                specs_for(SCHOOL, specs))
        county_table: Table | None = None
        if counties is not None:
            county_table, more = build_table(raw_from_records(counties, f"{source}:县区"), COUNTY,
                                             specs_for(COUNTY, specs))
            diagnostics += more
            diagnostics += check_county_refs(school_table, county_table)
    except ReadFailure as failure:
        raise FactsError([failure.diagnostic]) from None
    errors = [d for d in diagnostics if d.is_error]
    if errors:
        raise FactsError(errors)
    return Facts(school_table, county_table, sorted((d for d in diagnostics if not d.is_error), key=Diagnostic.sort_key))


def load_facts(schools: str | Path, counties: str | Path | None, specs: Sequence[FieldSpec]) -> Facts:
    """Load the schools file and (optionally) the counties file; check them against each other.

    Raises FactsError carrying every error found in both files at once; warnings are
    returned in `Facts.warnings`, sorted by file and row.
    """
    school_table, diagnostics = read_table(schools, SCHOOL, specs)
    county_table: Table | None = None
    if counties is not None:
        county_table, more = read_table(counties, COUNTY, specs)
        diagnostics += more
        diagnostics += check_county_refs(school_table, county_table)
    errors = [d for d in diagnostics if d.is_error]
    if errors:
        raise FactsError(errors)
    warnings = sorted((d for d in diagnostics if not d.is_error), key=Diagnostic.sort_key)
    return Facts(school_table, county_table, warnings)
