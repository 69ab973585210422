"""File formats: csv encodings, xlsx (numbers as text, sheets, percent cells), both JSON shapes."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engine.facts import Facts, Table, load_facts, read_table

ROWS_OK = 3  # schools in the sample below


def sample(write_school) -> list[list[object]]:  # type: ignore[no-untyped-def]
    return [write_school(1, primary=120), write_school(2, primary=45, junior=300, boarding="是"), write_school(3, county="乙县")]


def assert_sample(table: Table) -> None:
    assert table.n == ROWS_OK
    assert list(table.columns["学校名称"]) == ["第1小学", "第2小学", "第3小学"]
    np.testing.assert_array_equal(table.columns["小学生数"], [120.0, 45.0, 300.0])
    np.testing.assert_array_equal(table.columns["初中生数"], [0.0, 300.0, 0.0])
    np.testing.assert_array_equal(table.columns["寄宿制"], [0.0, 1.0, 0.0])
    assert table.columns["小学生数"].dtype == np.float64
    assert table.columns["学校名称"].dtype == object


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig", "utf-8"])
def test_csv_encodings(write, specs, encoding: str) -> None:
    path = write.csv("s.csv", write.header, sample(write.school), encoding=encoding)
    table, diagnostics = read_table(path, "学校", specs)
    assert [d.code for d in diagnostics if d.is_error] == []
    assert list(table.columns)[:3] == ["学校标识码", "学校名称", "县区"]  # the BOM is not part of the first name
    assert_sample(table)
    assert table.columns["县区"][2] == "乙县"


def test_csv_blank_lines_skipped_rows_keep_file_numbers(write, specs) -> None:
    text = ",".join(write.header) + "\n\n" + ",".join(map(str, write.school(1))) + "\n,,,,,,\n\n" \
        + ",".join(map(str, write.school(2, primary="x"))) + "\n"
    table, diagnostics = read_table(write.text("s.csv", text), "学校", specs)
    assert table.n == 2
    assert list(table.row_numbers) == [3, 6]
    assert [(d.code, d.location.row) for d in diagnostics if d.is_error] == [("E402", 6)]  # type: ignore[union-attr]


def test_csv_multiline_quoted_field_keeps_row_numbers(write, specs) -> None:
    rows = [write.school(1), write.school(2), write.school(3, primary="?")]
    rows[0][1] = "第一\n小学"
    table, diagnostics = read_table(write.csv("s.csv", write.header, rows), "学校", specs)
    assert table.columns["学校名称"][0] == "第一\n小学"
    assert list(table.row_numbers) == [2, 4, 5]
    assert [d.location.row for d in diagnostics if d.code == "E402"] == [5]  # type: ignore[union-attr]


def test_tab_separated_csv(write, specs) -> None:
    text = "\t".join(write.header) + "\n" + "\t".join(map(str, write.school(1, primary="1,234"))) + "\n"
    table, _ = read_table(write.text("s.csv", text), "学校", specs)
    assert table.columns["小学生数"][0] == 1234.0


def test_xlsx_numbers_stored_as_text(write, specs) -> None:
    rows = [write.header, write.school(1, primary="1,234", equipment=" 60.5 "), write.school(2, primary=45, equipment=12.25)]
    path = write.xlsx("s.xlsx", {"Sheet1": rows})
    table, diagnostics = read_table(path, "学校", specs)
    assert [d for d in diagnostics if d.is_error] == []
    np.testing.assert_array_equal(table.columns["小学生数"], [1234.0, 45.0])
    np.testing.assert_array_equal(table.columns["教学仪器设备值"], [60.5, 12.25])
    assert table.sheet == "Sheet1"


def test_xlsx_numeric_ids_become_text_without_decimal(write, specs) -> None:
    row = write.school(1)
    row[0] = 4101010001
    table, diagnostics = read_table(write.xlsx("s.xlsx", {"学校表": [write.header, row]}), "学校", specs)
    assert table.columns["学校标识码"][0] == "4101010001"
    assert [d.code for d in diagnostics] == ["W452"]


def test_xlsx_prefers_named_sheet_and_reports_it(write, specs) -> None:
    sheets = {
        "说明": [["本工作簿包含学校表与县区表"]],
        "县区表": [["县区", "初中三年巩固率"], ["甲县", 98.5], ["乙县", "97%"]],
        "学校表": [write.header, [], *sample(write.school)[:2], write.school(3, primary="约300", county="乙县")],
    }
    path = write.xlsx("all.xlsx", sheets)
    schools, diagnostics = read_table(path, "学校", specs)
    (e402,) = [d for d in diagnostics if d.is_error]
    assert e402.location.sheet == "学校表" and e402.location.row == 5  # type: ignore[union-attr]
    assert list(schools.row_numbers) == [3, 4, 5]  # the empty row 2 is skipped, not renumbered
    counties, _ = read_table(path, "县区", specs)
    np.testing.assert_allclose(counties.columns["初中三年巩固率"], [0.985, 0.97])


def test_xlsx_percent_formatted_cell_is_already_a_fraction(write, specs) -> None:
    rows = [["县区", "初中三年巩固率"], ["甲县", 0.985], ["乙县", 96]]
    path = write.xlsx("c.xlsx", {"县区表": rows}, formats={("县区表", "B2"): "0.0%"})
    counties, diagnostics = read_table(path, "县区", specs)
    assert [d for d in diagnostics if d.is_error] == []
    np.testing.assert_allclose(counties.columns["初中三年巩固率"], [0.985, 0.96])


def test_xlsx_date_in_number_column_is_e402(write, specs) -> None:
    from datetime import datetime

    row = write.school(1, primary=datetime(2024, 3, 1))
    _, diagnostics = read_table(write.xlsx("s.xlsx", {"学校表": [write.header, row]}), "学校", specs)
    (e402,) = [d for d in diagnostics if d.code == "E402"]
    assert (e402.location.row, e402.location.column) == (2, "小学生数") and "日期" in e402.message  # type: ignore[union-attr]


def test_json_list_of_records(write, specs) -> None:
    records = [dict(zip(write.header, r, strict=True)) for r in sample(write.school)]
    records[1]["小学生数"] = "45"
    records[2]["寄宿制"] = False
    records[2]["教学仪器设备值"] = None
    path = write.json("s.json", records)
    table, diagnostics = read_table(path, "学校", specs)
    assert [d for d in diagnostics if d.is_error] == []
    assert_sample(table)
    assert math.isnan(table.columns["教学仪器设备值"][2])
    assert list(table.row_numbers) == [1, 2, 3]


def test_json_object_with_both_tables_and_record_numbers(write, specs) -> None:
    records = [dict(zip(write.header, r, strict=True)) for r in sample(write.school)]
    records[2]["小学生数"] = "约300"
    doc = {"学校表": records, "县区表": [{"县区": "甲县", "初中三年巩固率": "98.5%"}, {"县区": "乙县", "初中三年巩固率": 97}]}
    path = write.json("facts.json", doc)
    _, diagnostics = read_table(path, "学校", specs)
    (e402,) = [d for d in diagnostics if d.is_error]
    assert (e402.location.row, e402.location.column) == (3, "小学生数")  # type: ignore[union-attr]
    assert e402.message.startswith("第 3 条记录")
    counties, _ = read_table(path, "县区", specs)
    np.testing.assert_allclose(counties.columns["初中三年巩固率"], [0.985, 0.97])


def test_load_facts_returns_both_tables(write, specs) -> None:
    schools = write.csv("s.csv", write.header, sample(write.school))
    counties = write.csv("c.csv", ["县区", "初中三年巩固率", "教师平均工资"], [["甲县", "98.5", "98,000"], ["乙县", "97%", ""]])
    facts = load_facts(schools, counties, specs)
    assert isinstance(facts, Facts) and facts.counties is not None
    assert_sample(facts.schools)
    np.testing.assert_allclose(facts.counties.columns["初中三年巩固率"], [0.985, 0.97])
    assert facts.counties.columns["教师平均工资"][0] == 98000.0 and math.isnan(facts.counties.columns["教师平均工资"][1])
    assert [w.code for w in facts.warnings] == ["W452"]  # schools lack the optional 高中生数, 建成年份


def test_unknown_columns_kept_as_text(write, specs) -> None:
    header = [*write.header, "备注", "校长电话"]
    rows = [[*write.school(1), "新建", 13800000000], [*write.school(2), "", None]]
    table, diagnostics = read_table(write.xlsx("s.xlsx", {"学校表": [header, *rows]}), "学校", specs)
    assert [d for d in diagnostics if d.is_error] == []
    assert list(table.columns["备注"]) == ["新建", None]
    assert list(table.columns["校长电话"]) == ["13800000000", None]
    assert table.columns["备注"].dtype == object


def test_header_variants_map_to_declared_names(write, specs) -> None:
    header = ["学校标识码", " 学校 名称 ", "县区", "小学生数(人)", "初中生数（人）", "教学仪器设备值(万元)", "寄宿制", "学校建成年份"]
    rows = [[*write.school(1), 1998]]
    table, diagnostics = read_table(write.csv("s.csv", header, rows), "学校", specs)
    assert [d for d in diagnostics if d.is_error] == []
    assert {"学校名称", "小学生数", "初中生数", "教学仪器设备值", "建成年份"} <= set(table.columns)
    assert table.columns["建成年份"][0] == 1998.0
    assert table.missing_columns == ("高中生数",)
