"""Loading errors and warnings: each names the file, the row and the column."""

from __future__ import annotations

import math

import pytest

from engine.facts import load_facts, read_table
from engine.interpreter.errors import Diagnostic, FactLocation, FactsError, Severity


def only(diagnostics: list[Diagnostic], code: str) -> Diagnostic:
    found = [d for d in diagnostics if d.code == code]
    assert len(found) == 1, f"expected one {code}, got {[(d.code, d.message) for d in diagnostics]}"
    return found[0]


def at(d: Diagnostic) -> tuple[int | None, str | None]:
    assert isinstance(d.location, FactLocation)
    return d.location.row, d.location.column


def test_missing_required_columns_listed_in_one_error(write, specs) -> None:
    path = write.csv("s.csv", ["学校标识码", "学校名称", "县区", "小学学生数", "寄宿制"], [["4101010001", "一小", "甲县", 3, "是"]])
    with pytest.raises(FactsError) as caught:
        load_facts(path, None, specs)
    e401 = only(caught.value.diagnostics, "E401")
    for name in ("小学生数", "初中生数", "教学仪器设备值"):
        assert f"「{name}」" in e401.message
    assert "共 3 列" in e401.message
    assert at(e401) == (1, None) and e401.location.file == str(path)
    assert e401.hint is not None and "第 1 行" in e401.hint
    assert "「小学学生数」是否应为「小学生数」" in e401.hint


def test_optional_columns_missing_is_one_warning_and_filled(write, specs) -> None:
    path = write.csv("s.csv", write.header, [write.school(1)])
    facts = load_facts(path, None, specs)
    w452 = only(facts.warnings, "W452")
    assert w452.severity is Severity.WARNING
    assert "「高中生数」" in w452.message and "「建成年份」" in w452.message
    assert "数据缺失" in w452.message
    assert facts.schools.missing_columns == ("高中生数", "建成年份")
    assert math.isnan(facts.schools.columns["高中生数"][0])


def test_non_number_is_e402_with_row_column_and_text(write, specs) -> None:
    rows = [write.school(1), write.school(2, primary="约300")]
    path = write.csv("s.csv", write.header, rows)
    with pytest.raises(FactsError) as caught:
        load_facts(path, None, specs)
    e402 = only(caught.value.diagnostics, "E402")
    assert at(e402) == (3, "小学生数")
    assert e402.message == "第 3 行列「小学生数」的值「约300」不是数字"
    assert e402.hint is not None and "如 300" in e402.hint


@pytest.mark.parametrize("text", ["三百", "12a", "1.2.3", "12,5"])
def test_other_non_numbers_are_e402(write, specs, text: str) -> None:
    path = write.csv("s.csv", write.header, [write.school(1, primary=text)])
    _, diagnostics = read_table(path, "学校", specs)
    e402 = only(diagnostics, "E402")
    assert at(e402) == (2, "小学生数") and f"「{text}」" in e402.message


def test_non_integer_in_integer_column(write, specs) -> None:
    path = write.csv("s.csv", write.header, [write.school(1, primary="12.5")])
    _, diagnostics = read_table(path, "学校", specs)
    e402 = only(diagnostics, "E402")
    assert at(e402) == (2, "小学生数") and "应为整数" in e402.message


def test_negative_count_is_e403(write, specs) -> None:
    path = write.csv("s.csv", write.header, [write.school(1), write.school(2), write.school(3, junior=-5)])
    with pytest.raises(FactsError) as caught:
        load_facts(path, None, specs)
    e403 = only(caught.value.diagnostics, "E403")
    assert at(e403) == (4, "初中生数") and "「-5」不应为负数" in e403.message


def test_duplicate_school_id_names_both_rows(write, specs) -> None:
    rows = [write.school(1), write.school(2), write.school(1)]
    path = write.csv("s.csv", write.header, rows)
    with pytest.raises(FactsError) as caught:
        load_facts(path, None, specs)
    e404 = only(caught.value.diagnostics, "E404")
    assert at(e404) == (4, "学校标识码")
    assert "4101010001" in e404.message and "第 4 行与第 2 行" in e404.message
    assert len(e404.related) == 1
    related = e404.related[0].location
    assert isinstance(related, FactLocation) and (related.row, related.column) == (2, "学校标识码")


def test_school_with_unknown_county_is_e405(write, specs) -> None:
    schools = write.csv("s.csv", write.header, [write.school(1), write.school(2, county="乙县"), write.school(3, county="乙县")])
    counties = write.csv("c.csv", ["县区", "初中三年巩固率"], [["甲县", 98.5], ["乙区", 97]])
    with pytest.raises(FactsError) as caught:
        load_facts(schools, counties, specs)
    e405 = only(caught.value.diagnostics, "E405")
    assert at(e405) == (3, "县区") and e405.location.file == str(schools)
    assert "「乙县」不在县区表中" in e405.message and "共 2 所学校" in e405.message
    assert [r.location.row for r in e405.related] == [4]  # type: ignore[union-attr]
    assert e405.hint is not None and "乙区" in e405.hint


def test_wan_yuan_written_in_yuan_is_w451(write, specs) -> None:
    # 600000 "万元" for 300 students = 2000 万元 per student: surely written in 元
    path = write.csv("s.csv", write.header, [write.school(1), write.school(2, equipment=600000)])
    facts = load_facts(path, None, specs)
    w451 = only(facts.warnings, "W451")
    assert at(w451) == (3, "教学仪器设备值")
    assert "疑似按元填写(应为万元)" in w451.message
    assert facts.schools.columns["教学仪器设备值"][1] == 600000.0  # a warning: the value is kept


def test_wan_yuan_uses_all_student_columns(write, specs) -> None:
    # 1000 万元 for 100 + 150 + 50 students = 3.3 万元 each: plausible, because 高中生数 counts
    header = [*write.header, "高中生数"]
    path = write.csv("s.csv", header, [[*write.school(1, primary=100, junior=150, equipment=1000), 50]])
    _, diagnostics = read_table(path, "学校", specs)
    assert [d.code for d in diagnostics if d.code == "W451"] == []
    path = write.csv("t.csv", header, [[*write.school(1, primary=100, junior=150, equipment=1600), 50]])
    _, diagnostics = read_table(path, "学校", specs)
    assert at(only(diagnostics, "W451")) == (2, "教学仪器设备值")


def test_odd_school_id_is_a_warning(write, specs) -> None:
    row = write.school(1)
    row[0] = "41010"
    facts = load_facts(write.csv("s.csv", write.header, [row]), None, specs)
    w453 = only(facts.warnings, "W453")
    assert w453.severity is Severity.WARNING and at(w453) == (2, "学校标识码") and "「41010」" in w453.message


def test_duplicate_county_is_e409(write, specs) -> None:
    schools = write.csv("s.csv", write.header, [write.school(1)])
    counties = write.csv("c.csv", ["县区", "初中三年巩固率"], [["甲县", 98], ["甲县", 99]])
    with pytest.raises(FactsError) as caught:
        load_facts(schools, counties, specs)
    assert at(only(caught.value.diagnostics, "E409")) == (3, "县区")


def test_unreadable_files_are_e406(write, tmp_path, specs) -> None:
    cases = {
        tmp_path / "nope.csv": "找不到文件",
        write.text("s.xls", "x"): "不支持的文件格式「.xls」",
        write.text("s.xlsx", "not a zip"): "不是有效的 xlsx 文件",
        write.text("s.json", '[{"县区": 1,}]'): "不是有效的 JSON",
        write.text("t.json", '{"县区表": []}'): "JSON 中没有「学校表」",
        write.text("e.csv", ""): "是空的",
    }
    for path, expected in cases.items():
        table, diagnostics = read_table(path, "学校", specs)
        e406 = only(diagnostics, "E406")
        assert expected in e406.message, e406.message
        assert isinstance(e406.location, FactLocation) and e406.location.file == str(path)
        assert table.n == 0


def test_undecodable_csv_is_e407(write, specs) -> None:
    path = write.root / "s.csv"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00\x00\xff\xfe\x80\x81")  # an old .xls renamed
    _, diagnostics = read_table(path, "学校", specs)
    e407 = only(diagnostics, "E407")
    assert e407.location == FactLocation(str(path))


def test_duplicate_declared_header_is_an_error(write, specs) -> None:
    path = write.csv("s.csv", [*write.header, "小学生数"], [[*write.school(1), 5]])
    _, diagnostics = read_table(path, "学校", specs)
    e406 = only(diagnostics, "E406")
    assert "「小学生数」出现了 2 次" in e406.message and "第 4 列、第 8 列" in e406.message


def test_title_row_above_header_gets_a_hint(write, specs) -> None:
    path = write.csv("s.csv", ["2024 年某县学校统计表"], [write.header, write.school(1)])
    _, diagnostics = read_table(path, "学校", specs)
    e401 = only(diagnostics, "E401")
    assert e401.hint is not None and "表头似乎在第 2 行" in e401.hint


def test_header_with_wrong_unit_is_not_taken(write, specs) -> None:
    header = [h if h != "教学仪器设备值" else "教学仪器设备值(元)" for h in write.header]
    _, diagnostics = read_table(write.csv("s.csv", header, [write.school(1)]), "学校", specs)
    e401 = only(diagnostics, "E401")
    assert "「教学仪器设备值」" in e401.message
    assert e401.hint is not None and "「教学仪器设备值(元)」的单位与规定的「万元」不同" in e401.hint


def test_several_errors_in_both_files_in_one_facts_error(write, specs) -> None:
    schools = write.csv("s.csv", write.header, [
        write.school(1, primary="约300"),
        write.school(2, junior=-1),
        write.school(1, boarding="也许"),
        write.school(4, county="丙县"),
    ])
    counties = write.csv("c.csv", ["县区", "初中三年巩固率"], [["甲县", "九十八"]])
    with pytest.raises(FactsError) as caught:
        load_facts(schools, counties, specs)
    got = [(d.code, d.location.file, d.location.row, d.location.column) for d in caught.value.diagnostics]  # type: ignore[union-attr]
    assert got == [  # sorted by file, then row
        ("E402", str(counties), 2, "初中三年巩固率"),
        ("E402", str(schools), 2, "小学生数"),
        ("E403", str(schools), 3, "初中生数"),
        ("E404", str(schools), 4, "学校标识码"),
        ("E402", str(schools), 4, "寄宿制"),
        ("E405", str(schools), 5, "县区"),
    ]
    assert all(d.is_error for d in caught.value.diagnostics)
