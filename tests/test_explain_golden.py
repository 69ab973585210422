"""Rendered explanations of the bundled sample under the national rules, compared with
tests/golden/explain/*.txt (`pytest --update-goldens` rewrites them; read the diff).

Besides the golden comparison each case asserts the sentences a reader relies on, so a
golden regenerated carelessly still cannot drop them.
"""

from __future__ import annotations

import pytest

from engine.interpreter.evaluate import Results
from engine.interpreter.explain import explain, find_school
from engine.interpreter.frames import FAIL, NOT_APPLICABLE, PASS
from engine.render.explanation import render_trace


def unit_of(results: Results, school: str, stage: str) -> int:
    s = find_school(results, school)
    assert s is not None, school
    frame = results.env.frames["学部"]
    (row,) = [i for i in range(frame.n) if frame.up["学校"][i] == s and frame.stage[i] == stage]
    return row


def county_stage_row(results: Results, stage: str) -> int:
    return list(results.env.frames["县区学段"].stage).index(stage)


# name → (item, how to find the row, the verdict, sentences that must appear)
CASES = {
    "示例县实验小学_小学部_资源配置达标": (
        "资源配置达标", lambda r: ("学部", unit_of(r, "示例县实验小学", "小学")), PASS,
        ["示例县实验小学 · 小学部 · 资源配置达标 学校资源配置 —— 达标(7 项达到要求)",
         "= 106 人 ÷ 1,860 人 × 100 = 5.70 人/百名学生",
         "要求 ≥ 4.2 人/百名学生   [国家 · rules/national/1-资源配置.rule:12 · 教督〔2017〕6号 第五条(一)]"]),
    "示例县城关第八小学_小学部_资源配置达标": (
        "资源配置达标", lambda r: ("学部", unit_of(r, "示例县城关第八小学", "小学")), PASS,
        ["—— 达标(6 项达到要求,1 项不低于要求的 85%)",
         "✗ R4 生均教学及辅助用房面积",
         "= 4,280 ㎡ ÷ 1,000 人 = 4.28 ㎡/人",
         "差 0.22 ㎡/人,为要求的 95.1%(≥85%),计为余项"]),
    "示例县东关镇中学_初中部_资源配置达标": (
        "资源配置达标", lambda r: ("学部", unit_of(r, "示例县东关镇中学", "初中")), FAIL,
        ["—— 未达标(6 项达到要求,1 项低于要求的 85%)",
         "= 7,020 ㎡ ÷ 900 人 = 7.80 ㎡/人",
         "要求 ≥ 10.2 ㎡/人",
         "差 2.40 ㎡/人,为要求的 76.5%(低于 85%)"]),
    "示例县城南学校_初中部_资源配置达标": (
        "资源配置达标", lambda r: ("学部", unit_of(r, "示例县城南学校", "初中")), PASS,
        ["示例县城南学校 · 初中部 · 资源配置达标",
         "其中 教学及辅助用房面积 按学段拆分:全校 5,500 ㎡ × 初中份额 42.31%(400×1.1 ÷ (600×1 + 400×1.1 + 0×1.32)) = 2,326.92 ㎡",
         "= 2,326.92 ㎡ ÷ 400 人 = 5.82 ㎡/人",
         "其中 教学仪器设备值 按学段拆分:全校 240 万元 × 初中份额 42.31%(400×1.1 ÷ (600×1 + 400×1.1 + 0×1.32)) = 101.54 万元"]),
    "示例县城南学校_初中部_R4": (
        "R4", lambda r: ("学部", unit_of(r, "示例县城南学校", "初中")), PASS,
        ["示例县城南学校 · 初中部 · R4 生均教学及辅助用房面积 —— 达标", "初中份额 42.31%", "要求 ≥ 5.8 ㎡/人"]),
    "示例县_G11交流比例": (
        "G11交流比例", lambda r: ("县区", 0), FAIL,
        ["示例县 · G11交流比例 全县每年交流轮岗教师占符合交流条件教师总数的比例 —— 未达标",
         "= 114 人 ÷ 1,200 人 = 9.50%",
         "要求 ≥ 10%"]),
    "示例县_初中_R5差异系数": (
        "R5差异系数", lambda r: ("县区学段", county_stage_row(r, "初中")), FAIL,
        ["示例县 · 初中 · R5差异系数 生均体育运动场馆面积差异系数 —— 未达标",
         "参与计算的学部 12 个:",
         "示例县东关镇中学 · 初中部:7.80 ㎡/人,权重 900",
         "要求 ≤ 0.45",
         "= 0.477"]),
    "示例县李家庄教学点_小学部_资源配置达标": (
        "资源配置达标", lambda r: ("学部", unit_of(r, "示例县李家庄教学点", "小学")), NOT_APPLICABLE,
        ["—— 不适用", "不在范围「参加资源配置评估的学部」内:办学类型(教学点) 为 \"教学点\" 且 学生数(23 人) < 50,不参加本项评估"]),
    "示例县_G6": (
        "G6", lambda r: ("县区", 0), 3,
        ["—— 数据缺失", "数据缺失:小规模学校公用经费按100人核定"]),
    "示例县城南学校_G4": (
        "G4", lambda r: ("学校", find_school(r, "示例县城南学校")), PASS,
        ["= 600 人 + 400 人 = 1,000 人", "要求 ≤ 2,500 人"]),
    "示例县实验中学_Q4": (
        "Q4", lambda r: ("学校", find_school(r, "示例县实验中学")), PASS,
        ["= 7.10 万元 ÷ 142 万元 = 5.00%", "要求 ≥ 5%"]),
    "示例县城关第一小学_G3": (
        "G3", lambda r: ("学校", find_school(r, "示例县城关第一小学")), FAIL,
        ["—— 未达标(3 项达标,1 项未达标)", "✗ G3美术教室数", "计算 美术专用教室数 = 2 间", "要求 ≥ 向上取整((36 班 + 0 班) ÷ 12 班/间) = 3 间"]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_explanation_matches_golden(name: str, sample_results: Results, golden) -> None:  # type: ignore[no-untyped-def]
    item, where, verdict, sentences = CASES[name]
    fkey, row = where(sample_results)
    trace = explain(sample_results, item, fkey, row)
    assert trace.verdict == verdict
    text = "\n".join(render_trace(trace))
    for sentence in sentences:
        assert sentence in text, sentence
    golden(f"explain/{name}.txt", text)


def test_there_are_at_least_five_explanations() -> None:
    assert len(CASES) >= 5


def test_explanation_of_a_conclusion_lists_all_seven_indicators(sample_results: Results) -> None:
    row = unit_of(sample_results, "示例县城关第八小学", "小学")
    trace = explain(sample_results, "资源配置达标", "学部", row)
    assert [c.item for c in trace.children] == [f"R{i}" for i in range(1, 8)]
    assert [c.verdict for c in trace.children] == [PASS, PASS, PASS, FAIL, PASS, PASS, PASS]


def test_explanation_depth_zero_has_no_children(sample_results: Results) -> None:
    row = unit_of(sample_results, "示例县城关第八小学", "小学")
    assert explain(sample_results, "资源配置达标", "学部", row, depth=0).children == []


def test_every_row_of_every_item_can_be_explained(sample_results: Results) -> None:
    for name, item in sample_results.items.items():
        for row in range(len(item.verdict)):
            lines = render_trace(explain(sample_results, name, item.fkey, row, depth=1))
            assert lines and lines[0].strip()
