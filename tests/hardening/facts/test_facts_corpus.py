"""A corpus of malformed facts files: each gives the right table or an error that names the file,
the row and the column (asserted), never a crash, a silent 0 or a silently wrong number.

The files are made from the sample county's 学校表 / 县区表 (examples/示例县) at test time —
csv in several encodings, xlsx with merged headers, formulas, dates, percent formats — plus a
few small checked-in csv files beside this module. The national rules declare the columns.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pytest

from engine.facts import FieldSpec, load_facts, read_table
from engine.facts.read import DEFAULT_MAX_MB, MAX_MB_ENV
from engine.interpreter import evaluate, field_specs, load_rules
from engine.interpreter.errors import Diagnostic, FactLocation, FactsError

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]
SAMPLE = REPO / "examples" / "示例县"
RULES = load_rules("国家", REPO / "rules")
SPECS = field_specs(RULES)


def _sample(name: str) -> tuple[list[str], list[list[str]]]:
    with (SAMPLE / name).open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], [r for r in rows[1:] if r]


HEADER, ROWS = _sample("学校表.csv")
C_HEADER, C_ROWS = _sample("县区表.csv")
COL = {name: i for i, name in enumerate(HEADER)}
C_COL = {name: i for i, name in enumerate(C_HEADER)}


def first_row_of(kind: str) -> int:
    """Index (in ROWS) of the first school of a 办学类型."""
    return next(i for i, r in enumerate(ROWS) if r[COL["办学类型"]] == kind)


def csv_bytes(header: list[str], rows: list[list[Any]], encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([header, *rows])
    return buffer.getvalue().encode(encoding)


def write_csv(path: Path, header: list[str], rows: list[list[Any]], encoding: str = "utf-8") -> Path:
    path.write_bytes(csv_bytes(header, rows, encoding))
    return path


def write_xlsx(path: Path, rows: list[list[Any]], sheet: str = "学校表") -> tuple[Path, Any]:
    """An xlsx of `rows` (row 1 first); returns the path and the sheet for further styling (saved again)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path, (wb, ws)


def numeric(rows: list[list[str]]) -> list[list[Any]]:
    """Sample rows with numeric text turned into numbers (as a spreadsheet holds them)."""
    out = []
    for r in rows:
        cells: list[Any] = []
        for name, v in zip(HEADER, r):
            spec = next((s for s in SPECS if s.name == name and s.entity == "学校"), None)
            cells.append(float(v) if spec is not None and spec.numeric and v not in ("",) else v)
        out.append(cells)
    return out


def codes(diagnostics: list[Diagnostic]) -> list[str]:
    return [d.code for d in diagnostics]


def only(diagnostics: list[Diagnostic], code: str) -> Diagnostic:
    found = [d for d in diagnostics if d.code == code]
    assert len(found) == 1, [(d.code, d.message) for d in diagnostics]
    return found[0]


def located(d: Diagnostic, file: Path, row: int | None, column: str | None) -> None:
    """The diagnostic names the file, the spreadsheet row and the column."""
    assert isinstance(d.location, FactLocation), d
    assert d.location.file == str(file)
    assert d.location.row == row, (d.location, d.message)
    assert d.location.column == column, (d.location, d.message)


def school_table(path: Path) -> tuple[Any, list[Diagnostic]]:
    return read_table(path, "学校", SPECS)


def errors(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    return [d for d in diagnostics if d.is_error]


REFERENCE, _ = read_table(SAMPLE / "学校表.csv", "学校", SPECS)


def same_as_reference(table: Any) -> None:
    assert table.n == REFERENCE.n
    assert list(table.columns["学校名称"]) == list(REFERENCE.columns["学校名称"])
    for name in ("小学生数", "教学仪器设备值", "寄宿制", "建成年份"):
        np.testing.assert_array_equal(table.columns[name], REFERENCE.columns[name])


# ---------------------------------------------------------------- encodings


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_csv_in_each_encoding_reads_the_same(tmp_path: Path, encoding: str) -> None:
    table, diagnostics = school_table(write_csv(tmp_path / "学校表.csv", HEADER, ROWS, encoding))
    assert errors(diagnostics) == []
    same_as_reference(table)


def test_gbk_text_behind_a_utf8_bom_reads_correctly(tmp_path: Path) -> None:
    """A GBK file a tool "saved as UTF-8" by only adding the BOM: the first column keeps its name."""
    path = tmp_path / "学校表.csv"
    path.write_bytes(codecs.BOM_UTF8 + csv_bytes(HEADER, ROWS, "gbk"))
    table, diagnostics = school_table(path)
    assert errors(diagnostics) == []
    same_as_reference(table)


def test_utf8_file_with_gbk_lines_pasted_in_is_e407_at_that_line(tmp_path: Path) -> None:
    data = csv_bytes(HEADER, ROWS[:3], "utf-8") + csv_bytes(HEADER, ROWS[3:4], "gbk").split(b"\n", 1)[1] \
        + csv_bytes(HEADER, ROWS[4:], "utf-8").split(b"\n", 1)[1]
    path = tmp_path / "学校表.csv"
    path.write_bytes(data)
    table, diagnostics = school_table(path)
    d = only(diagnostics, "E407")
    located(d, path, 5, None)  # header on line 1, ROWS[3] on line 5
    assert "第 5 行不是 UTF-8 编码" in d.message
    assert table.n == 0


SMALL_SPECS = [FieldSpec("学校标识码", "学校", "文本", required=True), FieldSpec("学校名称", "学校", "文本", required=True),
               FieldSpec("县区", "学校", "文本", required=True), FieldSpec("小学生数", "学校", "整数", "人", required=True)]


def test_checked_in_gbk_fixture() -> None:
    """A small file as a GBK-locale Excel saves it (checked in as bytes: GBK, CRLF, quoted "1,860")."""
    path = HERE / "学校表_gbk.csv"
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    table, diagnostics = read_table(path, "学校", SMALL_SPECS)
    assert table.n == 2 and list(table.columns["学校名称"]) == ["甲县第一小学", "甲县第二小学"]
    assert list(table.columns["小学生数"]) == [1860.0, 520.0]  # "1,860" with a thousands separator
    assert diagnostics == []
    assert list(table.columns["备注"]) == ["城区", "乡村"]  # an undeclared column, kept as text


def test_xlsx_that_is_really_a_csv_is_e406(tmp_path: Path) -> None:
    path = tmp_path / "学校表.xlsx"
    path.write_bytes(csv_bytes(HEADER, ROWS, "gbk"))
    _, diagnostics = school_table(path)
    d = only(diagnostics, "E406")
    assert "不是有效的 xlsx 文件" in d.message and d.location == FactLocation(str(path))


# ---------------------------------------------------------------- headers and rows


def test_merged_group_titles_above_the_header_are_e401_pointing_at_the_real_header(tmp_path: Path) -> None:
    """Row 1 holds merged group titles (基本信息 over A:G, 学生数 over H:J); the header is row 2."""
    titles: list[Any] = [None] * len(HEADER)
    titles[0], titles[7] = "基本信息", "在校生数"
    path, (wb, ws) = write_xlsx(tmp_path / "学校表.xlsx", [titles, HEADER, *numeric(ROWS)])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=7)
    ws.merge_cells(start_row=1, start_column=8, end_row=1, end_column=10)
    wb.save(path)
    _, diagnostics = school_table(path)
    d = only(diagnostics, "E401")
    located(d, path, 1, None)
    assert d.location.sheet == "学校表"
    assert d.hint is not None and "表头似乎在第 2 行" in d.hint


def test_header_cells_merged_down_two_rows_read_correctly(tmp_path: Path) -> None:
    """Each header cell merged with the empty cell below it: the empty row is skipped."""
    path, (wb, ws) = write_xlsx(tmp_path / "学校表.xlsx", [HEADER, [None] * len(HEADER), *numeric(ROWS)])
    for column in range(1, len(HEADER) + 1):
        ws.merge_cells(start_row=1, start_column=column, end_row=2, end_column=column)
    wb.save(path)
    table, diagnostics = school_table(path)
    assert errors(diagnostics) == []
    same_as_reference(table)
    assert table.row_of(0) == 3


def test_header_below_blank_rows_and_blank_rows_between_records(tmp_path: Path) -> None:
    rows: list[list[Any]] = [[], [], HEADER, *numeric(ROWS[:2]), [], [None, "  "], *numeric(ROWS[2:])]
    path, _ = write_xlsx(tmp_path / "学校表.xlsx", rows)
    table, diagnostics = school_table(path)
    assert errors(diagnostics) == []
    same_as_reference(table)
    assert [table.row_of(i) for i in range(3)] == [4, 5, 8]  # file rows, not record numbers


def test_title_row_above_the_header_is_e401_with_the_hint(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "学校表.csv", ["示例县 2024 年义务教育学校基本情况统计表"], [HEADER, *ROWS])
    _, diagnostics = school_table(path)
    d = only(diagnostics, "E401")
    located(d, path, 1, None)
    assert "缺少必需的列" in d.message and "表头似乎在第 2 行" in (d.hint or "")


def test_an_error_after_blank_lines_names_the_file_line(tmp_path: Path) -> None:
    rows = [list(r) for r in ROWS]
    rows[2][COL["小学生数"]] = "很多"
    text = csv_bytes(HEADER, rows[:2]).decode() + "\n,,\n\n" + csv_bytes(HEADER, rows[2:]).decode().split("\n", 1)[1]
    path = tmp_path / "学校表.csv"
    path.write_text(text, encoding="utf-8")
    _, diagnostics = school_table(path)
    d = only(diagnostics, "E402")
    located(d, path, 7, "小学生数")  # header 1, two records, three blank lines, then this record
    assert "「很多」不是数字" in d.message


# ---------------------------------------------------------------- formulas


def _set_formula(path: Path, cell: str, formula: str, cached: str | None = None) -> None:
    """Put a formula in a cell of the saved workbook; with `cached`, also its stored result
    (as Excel would after computing it — openpyxl itself never writes one)."""
    wb = openpyxl.load_workbook(path)
    wb.active[cell] = formula
    wb.save(path)
    if cached is None:
        return
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    xml = parts[sheet].decode("utf-8")
    body = formula[1:]
    assert f"<f>{body}</f><v></v>" in xml or f"<f>{body}</f><v />" in xml, xml[:500]
    xml = xml.replace(f"<f>{body}</f><v></v>", f"<f>{body}</f><v>{cached}</v>")
    xml = xml.replace(f"<f>{body}</f><v />", f"<f>{body}</f><v>{cached}</v>")
    parts[sheet] = xml.encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)


def test_formula_without_a_stored_result_is_a_located_e402_not_a_silent_blank(tmp_path: Path) -> None:
    """openpyxl and pandas write `=…` without the result (only Excel computes it on saving). Read
    as values that cell would be empty — the loader says which cell it is instead."""
    path, _ = write_xlsx(tmp_path / "学校表.xlsx", [HEADER, *numeric(ROWS)])
    letter = openpyxl.utils.get_column_letter(COL["小学生数"] + 1)
    _set_formula(path, f"{letter}3", f"={letter}2+1")
    _, diagnostics = school_table(path)
    d = only(diagnostics, "E402")
    located(d, path, 3, "小学生数")
    assert f"是公式「={letter}2+1」,但文件中没有保存它的计算结果" in d.message
    assert "用 Excel 打开后保存" in (d.hint or "")


def test_formula_with_its_stored_result_reads_the_result(tmp_path: Path) -> None:
    path, _ = write_xlsx(tmp_path / "学校表.xlsx", [HEADER, *numeric(ROWS)])
    letter = openpyxl.utils.get_column_letter(COL["小学生数"] + 1)
    _set_formula(path, f"{letter}2", "=1000+860", cached="1860")
    table, diagnostics = school_table(path)
    assert errors(diagnostics) == []
    assert table.columns["小学生数"][0] == 1860.0


def test_formula_in_a_column_no_rule_reads_is_ignored(tmp_path: Path) -> None:
    path, _ = write_xlsx(tmp_path / "学校表.xlsx", [[*HEADER, "备注"], *[[*r, None] for r in numeric(ROWS)]])
    letter = openpyxl.utils.get_column_letter(len(HEADER) + 1)
    _set_formula(path, f"{letter}2", '="见"&B2')
    table, diagnostics = school_table(path)
    assert errors(diagnostics) == []
    same_as_reference(table)


def test_excel_error_value_is_e402(tmp_path: Path) -> None:
    rows = numeric(ROWS)
    rows[0][COL["教学仪器设备值"]] = "#DIV/0!"
    path, _ = write_xlsx(tmp_path / "学校表.xlsx", [HEADER, *rows])
    d = only(school_table(path)[1], "E402")
    located(d, path, 2, "教学仪器设备值")
    assert "是 Excel 公式错误" in d.message


# ---------------------------------------------------------------- numbers written as text


@pytest.mark.parametrize(("written", "value"), [
    ("1,860", 1860.0), ("１８６０", 1860.0), ("1，860", 1860.0), (" 1860 ", 1860.0), ("1860人", 1860.0),
    ("1,860.0", 1860.0), ("\u200b1860", 1860.0),
])
def test_counts_written_as_text_are_read(tmp_path: Path, written: str, value: float) -> None:
    rows = [list(r) for r in ROWS]
    i = first_row_of("小学")
    rows[i][COL["小学生数"]] = written
    table, diagnostics = school_table(write_csv(tmp_path / "学校表.csv", HEADER, rows))
    assert errors(diagnostics) == []
    assert table.columns["小学生数"][i] == value


@pytest.mark.parametrize(("written", "what"), [
    ("1,86", "不是数字"), ("1.860,5", "不是数字"), ("一千八百", "不是数字"), ("1860.5", "应为整数"),
    ("-3", "不应为负数"), ("1" + "0" * 400, "不是有限的数"), ("1e30", "数值过大"), ("10000000000000000", "数值过大"),
])
def test_bad_numbers_are_located_errors(tmp_path: Path, written: str, what: str) -> None:
    rows = [list(r) for r in ROWS]
    rows[1][COL["小学生数"]] = written
    path = write_csv(tmp_path / "学校表.csv", HEADER, rows)
    (d,) = errors(school_table(path)[1])
    located(d, path, 3, "小学生数")
    assert what in d.message


def test_wrong_type_in_a_whole_column_names_every_row(tmp_path: Path) -> None:
    """寄宿制 (是否) filled with the school type by a shifted paste: one E402 per row, nothing read."""
    rows = [list(r) for r in ROWS]
    for r in rows:
        r[COL["寄宿制"]] = r[COL["办学类型"]]
    path = write_csv(tmp_path / "学校表.csv", HEADER, rows)
    table, diagnostics = school_table(path)
    found = errors(diagnostics)
    assert codes(found) == ["E402"] * len(ROWS)
    assert sorted(d.location.row for d in found) == list(range(2, len(ROWS) + 2))
    assert all(d.location.column == "寄宿制" and "不是「是/否」" in d.message for d in found)
    assert np.isnan(table.columns["寄宿制"]).all()


# ---------------------------------------------------------------- percentages


def county_with(tmp_path: Path, value: Any, xlsx_format: str | None = None) -> tuple[Path, Any, list[Diagnostic]]:
    rows = [list(r) for r in C_ROWS]
    rows[0][C_COL["初中三年巩固率"]] = value
    if xlsx_format is None:
        path = write_csv(tmp_path / "县区表.csv", C_HEADER, rows)
    else:
        path, (wb, ws) = write_xlsx(tmp_path / "县区表.xlsx", [C_HEADER, rows[0]], sheet="县区表")
        ws.cell(row=2, column=C_COL["初中三年巩固率"] + 1).number_format = xlsx_format
        wb.save(path)
    table, diagnostics = read_table(path, "县区", SPECS)
    return path, table, [d for d in diagnostics if d.code != "W452"]  # the sample lacks optional columns


@pytest.mark.parametrize("written", ["98.2%", "98.2", "98.2 %", "９８.２％"])
def test_percent_written_as_percent_is_a_fraction(tmp_path: Path, written: str) -> None:
    _, table, diagnostics = county_with(tmp_path, written)
    assert diagnostics == []
    assert table.columns["初中三年巩固率"][0] == pytest.approx(0.982)


def test_percent_cell_in_xlsx_is_already_a_fraction(tmp_path: Path) -> None:
    _, table, diagnostics = county_with(tmp_path, 0.982, xlsx_format="0.0%")
    assert diagnostics == []
    assert table.columns["初中三年巩固率"][0] == pytest.approx(0.982)


def test_percent_written_as_a_fraction_is_read_as_written_with_w451(tmp_path: Path) -> None:
    """0.982 in a 百分比 column is 0.982%, as written — but almost surely meant 98.2%: W451 says so."""
    path, table, diagnostics = county_with(tmp_path, "0.982")
    d = only(diagnostics, "W451")
    located(d, path, 2, "初中三年巩固率")
    assert "疑似按小数填写" in d.message and "请乘以 100" in (d.hint or "")
    assert table.columns["初中三年巩固率"][0] == pytest.approx(0.00982)


@pytest.mark.parametrize("written", ["0", "1", "100", "0%", "1%"])
def test_zero_one_and_whole_percents_are_not_ambiguous(tmp_path: Path, written: str) -> None:
    _, table, diagnostics = county_with(tmp_path, written)
    assert diagnostics == []
    assert table.columns["初中三年巩固率"][0] == pytest.approx(float(written.rstrip("%")) / 100)


# ---------------------------------------------------------------- dates in a year column (建成年份)


@pytest.mark.parametrize(("written", "what"), [
    ("2005年", "不是数字"), ("2005-09-01", "不是数字"), ("2005/9/1", "不是数字"), ("二〇〇五", "不是数字"),
    ("2005.5", "应为整数"),
])
def test_year_column_takes_only_a_year(tmp_path: Path, written: str, what: str) -> None:
    rows = [list(r) for r in ROWS]
    rows[0][COL["建成年份"]] = written
    path = write_csv(tmp_path / "学校表.csv", HEADER, rows)
    (d,) = errors(school_table(path)[1])
    located(d, path, 2, "建成年份")
    assert what in d.message
    assert written[0] != "2" or "2005" in (d.hint or "") or what == "应为整数"  # the hint shows the year to write


def test_year_column_as_plain_number_reads(tmp_path: Path) -> None:
    rows = [list(r) for r in ROWS]
    rows[0][COL["建成年份"]] = "2005"
    table, diagnostics = school_table(write_csv(tmp_path / "学校表.csv", HEADER, rows))
    assert errors(diagnostics) == [] and table.columns["建成年份"][0] == 2005.0


@pytest.mark.parametrize("cell", [datetime(2005, 9, 1), date(2005, 9, 1), 2005])
def test_excel_date_cell_in_year_column_is_e402_not_a_wrong_year(tmp_path: Path, cell: Any) -> None:
    """A date cell — or the number 2005 in a cell formatted as a date, which Excel shows as
    1905-06-27 — is never silently taken as a year."""
    rows = numeric(ROWS)
    rows[0][COL["建成年份"]] = cell
    path, (wb, ws) = write_xlsx(tmp_path / "学校表.xlsx", [HEADER, *rows])
    ws.cell(row=2, column=COL["建成年份"] + 1).number_format = "yyyy-mm-dd"
    wb.save(path)
    (d,) = errors(school_table(path)[1])
    located(d, path, 2, "建成年份")
    assert "是日期/时间,不是数字" in d.message


# ---------------------------------------------------------------- ids and zero students


def test_duplicate_school_id_names_both_rows(tmp_path: Path) -> None:
    rows = [list(r) for r in ROWS]
    rows[4][COL["学校标识码"]] = rows[1][COL["学校标识码"]]
    path = write_csv(tmp_path / "学校表.csv", HEADER, rows)
    d = only(school_table(path)[1], "E404")
    located(d, path, 6, "学校标识码")
    assert "重复" in d.message and d.related and d.related[0].location.row == 3


def test_school_with_no_students_is_data_missing_by_zero_divisor(tmp_path: Path) -> None:
    """A 小学 with 0 students: its per-student indicators are 数据缺失 (分母为零), nothing crashes."""
    from engine.interpreter.frames import DATA_MISSING, ZERO
    from engine.render.rows import result_rows

    rows = [list(r) for r in ROWS]
    i = first_row_of("小学")
    for column in ("小学生数", "小学班数", "小学最大班额", "小学大班额班数"):
        rows[i][COL[column]] = "0"
    schools = write_csv(tmp_path / "学校表.csv", HEADER, rows)
    counties = write_csv(tmp_path / "县区表.csv", C_HEADER, C_ROWS)
    facts = load_facts(schools, counties, SPECS)
    results = evaluate(RULES, facts, date(2024, 9, 1))
    unit = next(u for u in range(results.env.frames["学部"].n) if results.env.frames["学部"].up["学校"][u] == i)
    for name in ("R1", "R4", "R6"):
        item = results.items[name]
        assert item.verdict[unit] == DATA_MISSING and item.col.s[unit] == ZERO, name
    school_id = rows[i][COL["学校标识码"]]
    r1 = next(r for r in result_rows(results) if r["编号"] == "R1" and r["学校标识码"] == school_id)
    assert r1["结论"] == "数据缺失" and r1["值"] is None and r1["缺失字段"] == ["(分母为零)"]


# ---------------------------------------------------------------- the size guard


def test_file_over_the_limit_is_refused_before_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MAX_MB_ENV, "0.001")  # 1 KB; the sample is several KB
    path = write_csv(tmp_path / "学校表.csv", HEADER, ROWS)
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail("read a file over the limit"))
    table, diagnostics = school_table(path)
    d = only(diagnostics, "E406")
    located(d, path, None, None)
    assert "超过读取上限 0.0 MB" in d.message and MAX_MB_ENV in (d.hint or "")
    assert table.n == 0


def test_one_gigabyte_file_is_refused_quickly_without_reading_it(tmp_path: Path) -> None:
    """A sparse 1 GB file (no disk used): refused by its size under the default limit."""
    path = tmp_path / "学校表.csv"
    with path.open("wb") as f:
        f.write(csv_bytes(HEADER, ROWS[:1]))
        f.truncate(1024 ** 3)
    if path.stat().st_blocks * 512 > 64 * 1024 * 1024:  # pragma: no cover - a filesystem without sparse files
        path.unlink()
        pytest.skip("filesystem does not support sparse files")
    assert DEFAULT_MAX_MB < 1024
    for suffix in (".csv", ".json", ".xlsx"):
        target = path.rename(path.with_suffix(suffix))
        d = only(school_table(target)[1], "E406")
        assert d.message == f"文件「{target}」有 1,024.0 MB,超过读取上限 {DEFAULT_MAX_MB:,.1f} MB"
        path = target
    with pytest.raises(FactsError) as raised:
        load_facts(path, None, SPECS)
    assert raised.value.diagnostics[0].code == "E406"


def test_xlsx_that_unpacks_past_the_limit_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A zip bomb in miniature: a part of 20 MB of spaces packs into a few KB."""
    path, _ = write_xlsx(tmp_path / "学校表.xlsx", [HEADER, *numeric(ROWS)])
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/padding.xml", b" " * (20 * 1024 * 1024))
    size_mb = path.stat().st_size / 1024 / 1024
    assert size_mb < 1
    monkeypatch.setenv(MAX_MB_ENV, f"{size_mb * 1.01:.6f}")  # the file fits, its unpacked XML does not
    d = only(school_table(path)[1], "E406")
    assert "解压后有" in d.message and "10 倍" in d.message


@pytest.mark.parametrize("value", ["abc", "0", "-5", "nan"])
def test_malformed_limit_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(MAX_MB_ENV, value)
    d = only(school_table(write_csv(tmp_path / "学校表.csv", HEADER, ROWS))[1], "E406")
    assert f"环境变量 {MAX_MB_ENV} 的值「{value}」不是正数" == d.message


def test_raised_limit_reads_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MAX_MB_ENV, "2048")
    table, diagnostics = school_table(write_csv(tmp_path / "学校表.csv", HEADER, ROWS))
    assert errors(diagnostics) == []
    same_as_reference(table)


# ---------------------------------------------------------------- json


def test_json_with_numbers_as_strings_nested_values_and_nulls(tmp_path: Path) -> None:
    records = [dict(zip(HEADER, r)) for r in ROWS]
    records[0]["小学生数"] = "1,860"
    records[1]["教学仪器设备值"] = {"值": 5}
    records[2]["寄宿制"] = None
    path = tmp_path / "学校表.json"
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    table, diagnostics = school_table(path)
    d = only(diagnostics, "E402")
    located(d, path, 2, "教学仪器设备值")
    assert "第 2 条记录" in d.message
    assert table.columns["小学生数"][0] == 1860.0 and np.isnan(table.columns["寄宿制"][2])
