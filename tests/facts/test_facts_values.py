"""Value parsing by declared type: numbers, percents, 是否, text, missing values; the record model."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from engine.facts import FieldSpec, read_table, record_model
from engine.facts.parse import Bad, parse_column, parse_number, parse_yes_no

COUNT = FieldSpec("小学生数", "学校", "整数", "人", required=True)
AREA = FieldSpec("教学及辅助用房面积", "学校", "数值", "㎡")
RATE = FieldSpec("初中三年巩固率", "县区", "数值", "%")
DIFF = FieldSpec("差值", "县区", "数值", nonnegative=False)
FLAG = FieldSpec("寄宿制", "学校", "是否")
TEXT = FieldSpec("学校名称", "学校", "文本")


@pytest.mark.parametrize(("text", "value"), [
    ("1,234", 1234.0), ("1，234", 1234.0), ("１２３４", 1234.0), ("１，２３４", 1234.0), (" 12 ", 12.0),
    ("\u300012\u3000", 12.0), ("300人", 300.0), ("+7", 7.0), ("1,234,567", 1234567.0), (1234, 1234.0), (12.0, 12.0),
])
def test_counts_accepted(text: object, value: float) -> None:
    assert parse_number(text, COUNT) == value  # type: ignore[arg-type]


@pytest.mark.parametrize(("text", "value"), [("１２．５", 12.5), ("1,234.75", 1234.75), ("0.5", 0.5), (".5", 0.5), ("1.5e3", 1500.0)])
def test_decimals_accepted(text: str, value: float) -> None:
    assert parse_number(text, AREA) == value


@pytest.mark.parametrize(("text", "what"), [
    ("约300", "不是数字"), ("三百", "不是数字"), ("12a", "不是数字"), ("12,5", "不是数字"), ("1,23", "不是数字"),
    ("12.5", "应为整数"), ("98.5%", "不是数字"), ("#DIV/0!", "Excel 公式错误"), ("inf", "不是数字"), ("300元", "不是数字"),
])
def test_counts_rejected(text: str, what: str) -> None:
    result = parse_number(text, COUNT)
    assert isinstance(result, Bad) and result.code == "E402" and result.what.endswith(what)


def test_negative_rejected_unless_allowed() -> None:
    bad = parse_number("-3", COUNT)
    assert isinstance(bad, Bad) and bad.code == "E403"
    assert parse_number("-3", DIFF) == -3.0
    assert parse_number("－3", DIFF) == -3.0  # full-width minus
    assert parse_number("−0", COUNT) == 0.0 and math.copysign(1, parse_number("−0", COUNT)) == 1  # type: ignore[arg-type]


@pytest.mark.parametrize("cell", [98.5, "98.5", "98.5%", " 98.5 % ", "９８．５％"])
def test_percent_becomes_fraction(cell: object) -> None:
    assert parse_number(cell, RATE) == pytest.approx(0.985, abs=1e-15)  # type: ignore[arg-type]


@pytest.mark.parametrize("cell", [None, "", "  ", "-", "—", "——", "/", "NA", "n/a", "N/A", "null"])
def test_empty_cells_are_missing(cell: object) -> None:
    assert math.isnan(parse_number(cell, COUNT))  # type: ignore[arg-type]
    assert math.isnan(parse_yes_no(cell, FLAG))  # type: ignore[arg-type]
    values, problems = parse_column([cell, "x"], TEXT)  # type: ignore[list-item]
    assert values[0] is None and values[1] == "x" and problems == []


@pytest.mark.parametrize(("cell", "value"), [
    ("是", 1.0), ("否", 0.0), ("有", 1.0), ("无", 0.0), ("Y", 1.0), ("n", 0.0), ("yes", 1.0), ("No", 0.0),
    ("TRUE", 1.0), ("false", 0.0), ("1", 1.0), ("0", 0.0), (1, 1.0), (0, 0.0), ("✓", 1.0), ("✗", 0.0), ("√", 1.0), ("×", 0.0),
])
def test_yes_no_variants(cell: object, value: float) -> None:
    assert parse_yes_no(cell, FLAG) == value  # type: ignore[arg-type]


@pytest.mark.parametrize("cell", ["也许", "2", 0.5, "是的吧"])
def test_yes_no_rejects(cell: object) -> None:
    result = parse_yes_no(cell, FLAG)  # type: ignore[arg-type]
    assert isinstance(result, Bad) and result.code == "E402" and "是/否" in result.what


def test_column_mixes_fast_and_careful_paths() -> None:
    values, problems = parse_column(["1", "", "2,000", None, "约3", 4, "-1"], COUNT)
    np.testing.assert_array_equal(values, [1.0, np.nan, 2000.0, np.nan, np.nan, 4.0, np.nan])
    assert sorted((i, b.code) for i, b in problems) == [(4, "E402"), (6, "E403")]


def test_empty_cells_in_a_loaded_table(write, specs) -> None:
    rows = [write.school(1, primary="", equipment="-", boarding="—"), write.school(2, junior="/")]
    rows[1][1] = " "
    table, diagnostics = read_table(write.csv("s.csv", write.header, rows), "学校", specs)
    assert [d for d in diagnostics if d.is_error] == []
    assert math.isnan(table.columns["小学生数"][0]) and math.isnan(table.columns["教学仪器设备值"][0])
    assert math.isnan(table.columns["寄宿制"][0]) and math.isnan(table.columns["初中生数"][1])
    assert table.columns["学校名称"][1] is None


@given(st.integers(min_value=0, max_value=10**12))
def test_grouped_integers_round_trip(n: int) -> None:
    assert parse_number(f"{n:,}", COUNT) == float(n)
    assert parse_number(f"{n:,}".replace(",", "，"), COUNT) == float(n)
    full_width = "".join(chr(ord(ch) + 0xFEE0) for ch in str(n))
    assert parse_number(full_width, COUNT) == float(n)


@given(st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False))
def test_percent_text_and_number_agree(d: object) -> None:
    text = str(d)
    assert parse_number(text + "%", RATE) == parse_number(text, RATE) == parse_number(float(text), RATE)  # type: ignore[arg-type]


def test_record_model_parses_like_the_loader(specs) -> None:
    model = record_model(specs, "县区")
    record = model.model_validate({"县区": " 甲县 ", "初中三年巩固率": "98.5%", "教师平均工资": "98,000", "备注": "x"})
    dumped = record.model_dump(by_alias=True)
    assert dumped["县区"] == "甲县" and dumped["初中三年巩固率"] == pytest.approx(0.985) and dumped["教师平均工资"] == 98000.0
    with pytest.raises(ValidationError) as caught:
        model.model_validate({"县区": "甲县", "初中三年巩固率": "约98"})
    assert "「初中三年巩固率」的值「约98」不是数字" in str(caught.value)
    with pytest.raises(ValidationError):
        model.model_validate({"初中三年巩固率": 98})  # 县区 is required
    schema = model.model_json_schema(by_alias=True)
    assert schema["properties"]["初中三年巩固率"]["unit"] == "%"
