"""Regression tests for the crashes the fuzzers found outside engine/facts, one per bug.

Each is a minimal reproducer, marked strict xfail while the bug is open (it is reported with
this reproducer); when the bug is fixed the test passes, strict xfail turns that into a
failure, and the marker — and the bug's entry in `harness.KNOWN_BUGS` — are removed.
Beside them, tests of what already holds at the same edges (so a fix cannot regress them).
"""

from __future__ import annotations

import io
import warnings
from datetime import date
from pathlib import Path

import pytest

from engine.interpreter import CompiledRules, evaluate, field_specs
from engine.interpreter.errors import JunhengError
from engine.interpreter.parse import parse_text
from engine.render.rulefmt import format_text

from .harness import KNOWN_BUGS, SAMPLE, Case, meaning, run_case

HEADER = '规则集 测试 继承 国家\n'


def over_national(text: str) -> CompiledRules:
    from .test_no_escape import compile_over_national

    return compile_over_national(text)


def results_of(text: str):  # type: ignore[no-untyped-def]
    from engine.facts import load_facts

    rules = over_national(text)
    facts = load_facts(SAMPLE / "学校表.csv", SAMPLE / "县区表.csv", field_specs(rules))
    return evaluate(rules, facts, date(2024, 9, 1))


def our_error_or_result(text: str) -> None:
    """The input gives a result or a JunhengError — nothing else."""
    try:
        over_national(text)
    except JunhengError:
        pass


def test_every_known_bug_has_a_regression_test_here() -> None:
    source = Path(__file__).read_text(encoding="utf-8")
    for bug in KNOWN_BUGS:
        assert f"[{bug.key}]" in source, bug.key


# ---------------------------------------------------------------- what holds at these edges


def test_five_thousand_plain_parentheses_parse() -> None:
    text = f'{HEADER}新增 学部指标 F1 "x" 计算 {"(" * 5000}学生数{")" * 5000} 要求 ≥ 0\n'
    over_national(text)


@pytest.mark.parametrize("depth", [50, 150])
def test_moderately_deep_expressions_go_through_every_stage(depth: int) -> None:
    for shape in ("right-nested", "left-chain", "neg", "if", "call"):
        import random

        from .harness import nested_case

        rng = random.Random(0)
        case = nested_case(rng, depth)
        while shape not in case.label:
            case = nested_case(rng, depth)
        outcome = run_case(case)
        assert outcome.kind in ("ok", "diagnostic"), outcome.detail


def test_division_by_zero_and_negative_divisors_on_the_sample() -> None:
    from engine.interpreter.frames import DATA_MISSING, ZERO

    results = results_of(f'{HEADER}新增 学部指标 F1 "x" 计算 学生数 ÷ 0 要求 ≥ 0\n'
                         f'新增 学部指标 F2 "y" 计算 学生数 ÷ (学生数 - 学生数) 要求 ≥ 0\n'
                         f'新增 学部指标 F3 "z" 计算 学生数 ÷ -2 要求 ≤ 0\n')
    for name in ("F1", "F2"):
        item = results.items[name]
        assert (item.verdict == DATA_MISSING).all() and (item.col.s == ZERO).all(), name
    f3 = results.items["F3"]
    assert (f3.col.v <= 0).all() and set(f3.verdict.tolist()) == {0}  # 达标: a negative divisor is arithmetic


def test_numbers_past_float_written_in_exponent_form_are_syntax_errors() -> None:
    with pytest.raises(JunhengError) as raised:
        parse_text("规则集 国家\n参数 P = 1e309\n")
    assert raised.value.diagnostics[0].code == "E101"


# ---------------------------------------------------------------- parser: depth and size of literals


@pytest.mark.parametrize("expr", [
    "(学生数 + " * 1000 + "学生数" + ")" * 1000,
    "学生数" + " + 学生数" * 1000,
    "-" * 1000 + "学生数",
    "绝对值(" * 1000 + "学生数" + ")" * 1000,
], ids=["right-nested", "left-chain", "negations", "calls"])
def test_deep_expression_gives_our_own_error(expr: str) -> None:
    our_error_or_result(f'{HEADER}新增 学部指标 F1 "x" 计算 {expr} 要求 ≥ 0\n')


def test_number_with_ten_thousand_digits_gives_our_own_error() -> None:
    try:
        parse_text("规则集 国家\n参数 P = " + "9" * 10_000 + "\n")
    except JunhengError:
        pass


# ---------------------------------------------------------------- compile / evaluate: huge values


def test_huge_number_in_formula_gives_our_own_error() -> None:
    our_error_or_result(f'{HEADER}新增 学部指标 F1 "x" 计算 学生数 × 1{"0" * 400} 要求 ≥ 0\n')


def test_overflowing_formula_emits_no_numpy_warning() -> None:
    # literals stop below 10^15 (E108), but a product of allowed ones can still overflow float64
    big = " × ".join(["100000000000000"] * 30)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        results_of(f'{HEADER}新增 学部指标 F1 "x" 计算 学生数 × {big} 要求 ≥ 0\n')


def test_a_literal_beyond_any_quantity_is_e108() -> None:
    with pytest.raises(JunhengError) as raised:
        parse_text("规则集 国家\n参数 P = 1" + "0" * 25 + "\n")
    assert raised.value.diagnostics[0].code == "E108"


@pytest.mark.parametrize("text", [
    f'{HEADER}新增 学部指标 F1 "x" 计算 学生数 × 100000000000000 × 100000000000 要求 ≥ 0\n',
    f'{HEADER}新增 县指标 F1 "x" 计算 0 要求 不超过 合计(学校: {" × ".join(["100000000000000"] * 30)})\n',
], ids=["value 1e25", "threshold inf"])
def test_huge_result_renders_as_json(text: str) -> None:
    from engine.render.rows import result_rows

    rows = [r for r in result_rows(results_of(text)) if r["编号"] == "F1"]
    assert rows and rows[0]["要求"]


def test_exact_string_limits_today() -> None:
    from engine.render.numbers import exact_string

    assert exact_string(1e20) == "100000000000000000000"
    assert exact_string(float("inf")) is None


# ---------------------------------------------------------------- explain


def test_explain_average_over_schools() -> None:
    from engine.interpreter.explain import explain
    from engine.render.explanation import render_trace

    results = results_of(f'{HEADER}新增 县指标 F1 "平均初中生数" 计算 平均(学校: 初中生数) 要求 ≥ 0\n')
    render_trace(explain(results, "F1", "县区", 0))


# ---------------------------------------------------------------- the formatter (junheng fmt rewrites files)


@pytest.mark.xfail(strict=True, reason="已报告 [fmt-repeated-clause]:重复的子句被静默取最后一个,fmt 删掉前一个;"
                                       "应报错(子句重复)或全部保留")
@pytest.mark.parametrize("text", [
    '规则集 乙 继承 甲\n修改 参数 p\n  说明 "第一句"\n  说明 "第二句"\n',
    '规则集 甲\n参数 p = 1\n  说明 "第一句"\n  说明 "第二句"\n',
    '规则集 甲\n字段 学校 x "x" 数值\n学校指标 R "r"\n  计算 x\n  要求 ≥ 1\n  要求 ≥ 2\n',
], ids=["修改", "参数", "两个要求"])
def test_repeated_clause_is_refused_or_kept(text: str) -> None:
    try:
        parse_text(text)
    except JunhengError:
        return
    formatted = format_text(text)
    assert ("第一句" in formatted and "第二句" in formatted) or ("≥ 1" in formatted and "≥ 2" in formatted)


@pytest.mark.parametrize("odd", ["\x85", "\x0c", "\u2028", "\x1c"], ids=["NEL", "FF", "LS", "FS"])
def test_formatter_keeps_comments_after_odd_line_breaks(odd: str) -> None:
    text = f'规则集 甲\n参数 p "a{odd}b" = 1\n# 注释\n参数 q = 2\n'
    assert "# 注释" in format_text(text)


def test_lone_carriage_return_ends_a_comment() -> None:
    rf = parse_text("规则集 甲\r# 注释\r参数 p = 1\r")
    assert [s.name for s in rf.statements] == ["p"]


def test_formatting_an_empty_split_parses_again() -> None:
    parse_text(format_text("规则集 甲\n拆分\n"))


def test_formatter_keeps_a_comment_between_clauses() -> None:
    assert "出处待核" in format_text('规则集 甲\n参数 p = 1\n  # 出处待核\n  依据 "x"\n')


def test_formatter_keeps_a_first_line_comment_after_a_bom() -> None:
    assert "注释" in format_text("\ufeff# 注释\n规则集 甲\n")


def test_formatter_keeps_an_empty_title() -> None:
    text = '规则集 甲\n参数 p "" = 1\n'
    assert meaning(parse_text(format_text(text))) == meaning(parse_text(text))


def test_formatting_an_empty_comment_is_idempotent() -> None:
    once = format_text("规则集 甲\n参数 p = 1 #\n")
    assert format_text(once) == once


def test_formatter_fuzz_case_replays() -> None:
    """Odd line breaks inside strings no longer trip the formatter (fmt-splitlines, fixed)."""
    outcome = run_case(Case('规则集 甲\n参数 p "a\x85b" = 1\n# 注释\n参数 q = 2\n'), evaluate=False)
    assert outcome.kind == "ok"
    assert run_case(Case("规则集 甲\n参数 p = 1\n# 注释\n参数 q = 2\n"), evaluate=False).kind == "ok"


# ---------------------------------------------------------------- xlsx output


def test_xlsx_output_never_contains_formulas(tmp_path: Path) -> None:
    import csv

    import openpyxl

    from engine.facts import load_facts
    from engine.interpreter import load_rules
    from engine.render.rows import result_rows
    from engine.render.xlsx import rows_to_xlsx

    with (SAMPLE / "学校表.csv").open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    rows[1][rows[0].index("学校名称")] = '=HYPERLINK("http://example.invalid","点我")'
    schools = tmp_path / "学校表.csv"
    with schools.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    rules = load_rules("国家", SAMPLE.parents[1] / "rules")
    facts = load_facts(schools, SAMPLE / "县区表.csv", field_specs(rules))
    book = openpyxl.load_workbook(io.BytesIO(rows_to_xlsx(result_rows(evaluate(rules, facts, date(2024, 9, 1))))))
    formulas = [c.coordinate for ws in book for row in ws.iter_rows() for c in row if c.data_type == "f"]
    assert formulas == []
