"""Bounded fuzzing of rule files (hypothesis): parser, checker, compiler, evaluator on the sample,
renderers, explain and the formatter see random text and Unicode, cuts and splices of the
shipped rule files, random formulas (zero and negative divisors, huge numbers), deep nesting
and very long lines. Only our own diagnostics may come out, within `harness.TIME_LIMIT` per
input; every input that parses must format to the same meaning, idempotently.

The budget here is ~2,400 examples, about 25 s of CPU, derandomized so CI is repeatable
(JUNHENG_FUZZ_SCALE=10 runs ten times as many). `benchmarks/fuzz.py` runs the same
generators for as long as you like, with atheris as an option (docs/HARDENING.md).
"""

from __future__ import annotations

import os
import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .harness import (
    CJK,
    GENERATORS,
    KEYWORD_SAMPLE,
    ODD,
    Case,
    cut_or_splice,
    describe,
    expression_case,
    long_line_case,
    nested_case,
    run_case,
)

SCALE = float(os.environ.get("JUNHENG_FUZZ_SCALE", "1"))


def budget(n: int) -> settings:
    return settings(max_examples=max(1, int(n * SCALE)), deadline=None, database=None, derandomize=True,
                    suppress_health_check=list(HealthCheck))


def check(case: Case, evaluate: bool = True) -> None:
    outcome = run_case(case, evaluate=evaluate)
    assert outcome.kind in ("ok", "diagnostic", "known"), describe(case, outcome)


#: Generator inputs are drawn from a seed (cheap, and replayed by `benchmarks/fuzz.py --replay GEN:SEED`).
SEEDS = st.integers(min_value=0, max_value=2**32 - 1)

PIECES = st.one_of(
    st.sampled_from(list(CJK)), st.sampled_from(ODD), st.sampled_from([k + " " for k in KEYWORD_SAMPLE]),
    st.characters(codec="utf-8"), st.characters(categories=["Cc", "Cf", "Zs", "Zl", "Zp", "So", "Sk"]),
)


@budget(1000)
@given(st.lists(PIECES, max_size=120).map("".join), st.booleans(), st.sampled_from(["\n", "\r\n", "\r"]))
def test_random_unicode_text(text: str, header: bool, newline: str) -> None:
    check(Case((("规则集 国家\n" if header else "") + text).replace("\n", newline), label="随机文本"))


@budget(500)
@given(SEEDS)
def test_random_text_generator(seed: int) -> None:
    check(GENERATORS["text"](random.Random(seed)))


@budget(300)
@given(SEEDS)
def test_cuts_and_splices_of_the_shipped_rule_files(seed: int) -> None:
    check(cut_or_splice(random.Random(seed)))


@budget(400)
@given(SEEDS)
def test_random_formulas_evaluated_on_the_sample(seed: int) -> None:
    check(expression_case(random.Random(seed)))


@budget(30)
@given(SEEDS, st.sampled_from([1, 10, 50, 150, 400, 1000]))
def test_deep_nesting(seed: int, depth: int) -> None:
    check(nested_case(random.Random(seed), depth))


@budget(8)
@given(SEEDS)
def test_very_long_lines(seed: int) -> None:
    check(long_line_case(random.Random(seed)), evaluate=False)


@budget(120)
@given(st.sampled_from(["0", "-1", "-0", "(1 - 1)", "0.0", "0%", "-0.5", "1" + "0" * 30, "0." + "0" * 30 + "1"]),
       st.sampled_from(["学生数", "班数", "教学仪器设备值 × 10000", "专任教师数 - 学生数", "0"]),
       st.sampled_from(["学部指标", "学校指标"]), st.sampled_from(["≥ 0", "不超过 1", "为 是", "达到 高学历教师标准 以上"]))
def test_zero_and_negative_divisors(divisor: str, numerator: str, level: str, requirement: str) -> None:
    if level == "学校指标":
        numerator = numerator.replace("学生数", "小学生数").replace("班数", "小学班数").replace("专任教师数", "持证专任教师数")
    text = (f'规则集 测试 继承 国家\n新增 {level} F1 "除法" 计算 {numerator} ÷ {divisor} 要求 {requirement} 保留 2 位小数\n')
    check(Case(text, over_national=True, label="除数"))
