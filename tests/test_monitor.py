"""`junheng monitor`: trends, verdicts lost since the year before, early warnings (docs/MONITOR.md).

The bundled sample has two years (examples/示例县 = 2023, examples/示例县/2024); the planted
slips are listed in examples/示例县/2024/README.md.
"""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import RULES_DIR, SAMPLE_DIR, compile_texts, make_facts
from openpyxl import load_workbook

from cli.monitor_cmd import monitor_cmd
from engine.interpreter import evaluate
from engine.interpreter.monitor import NEAR, TOWARDS, Year, monitor

NEXT = json.loads((SAMPLE_DIR / "2024" / "expected.json").read_text(encoding="utf-8"))
PREV = json.loads((SAMPLE_DIR / "expected.json").read_text(encoding="utf-8"))


def run(*args: str) -> Any:
    out = CliRunner().invoke(monitor_cmd, list(args))
    return out


def run_json(*args: str) -> dict[str, Any]:
    out = run("--format", "json", *args)
    assert out.exit_code == 0, out.output
    return json.loads(out.stdout)  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def basic() -> dict[str, Any]:
    return run_json()


@pytest.fixture(scope="module")
def national() -> dict[str, Any]:
    return run_json("--rules", "国家")


def _warnings(doc: dict[str, Any]) -> set[tuple[Any, ...]]:
    return {(w["年份"], w["种类"], w["编号"], w["学段"], w["学校名称"]) for w in doc["预警"]}


def test_default_run_is_the_two_bundled_years_under_2012(basic: dict[str, Any]) -> None:
    assert basic["规则集"] == "基本均衡" and basic["年份"] == ["2023", "2024"]
    sources = {m["名称"]: m["来源"] for m in basic["预警参数"]}
    assert all(s.startswith("基本均衡 · rules/基本均衡/3-动态监测.rule:") for s in sources.values())


def test_the_planted_lost_verdicts(basic: dict[str, Any]) -> None:
    lost = {(c["编号"], c["变化前"]["结论"], c["变化后"]["结论"]) for c in basic["失去的达标"]}
    assert lost == {("满意度", "达标", "未达标"), ("基本均衡", "达标", "未达标")}
    (satisfaction,) = [c for c in basic["失去的达标"] if c["编号"] == "满意度"]
    assert satisfaction["变化前"]["值"] == "0.906" and satisfaction["变化后"]["值"] == "0.842"
    assert basic["恢复达标"] == []


def test_the_planted_warnings(basic: dict[str, Any]) -> None:
    assert _warnings(basic) == {
        ("2024", TOWARDS, "综合差异系数", "初中", None),   # rose by more than 预警变化量 0.03
        ("2024", NEAR, "推进工作", None, None),          # 87.5 within 5% of 85
        ("2024", TOWARDS, "推进工作", None, None),       # fell 5.5 > 5% of 85
    }
    (cv,) = [w for w in basic["预警"] if w["编号"] == "综合差异系数"]
    assert cv["上一年值"] == PREV["基本均衡"]["综合差异系数"]["初中"]
    assert cv["值"] == NEXT["基本均衡"]["综合差异系数"]["初中"]
    assert float(cv["变化"]) > 0.03 and cv["参数"] == "预警变化量" and cv["限值"] == "0.55"
    (near,) = [w for w in basic["预警"] if w["种类"] == NEAR]
    assert (near["值"], near["限值"], near["距限值"], near["预警阈值"]) == ("87.5", "85", "2.5", "4.25")


def test_trends_carry_value_limit_verdict_and_the_eight_cvs(basic: dict[str, Any]) -> None:
    trends = {(t["编号"], t["学段"]): t for t in basic["趋势"]}
    for stage in ("小学", "初中"):
        t = trends[("综合差异系数", stage)]
        assert [e["值"] for e in t["各年"]] == [PREV["基本均衡"]["综合差异系数"][stage],
                                              NEXT["基本均衡"]["综合差异系数"][stage]]
        assert [e["结论"] for e in t["各年"]] == ["达标", "达标"] and t["方向"] == "上限" and t["差异系数"]
        assert len(t["分项差异系数"]) == 8
        expected = [list(PREV["基本均衡"]["差异系数"][stage].values()), list(NEXT["基本均衡"]["差异系数"][stage].values())]
        for i, part in enumerate(t["分项差异系数"]):
            for year, e in enumerate(part["各年"]):
                assert abs(float(e["值"]) - float(expected[year][i])) < 1e-6
    assert [e["结论"] for e in trends[("满意度", None)]["各年"]] == ["达标", "未达标"]
    assert [e["值"] for e in trends[("推进工作", None)]["各年"]] == ["93", "87.5"]


def test_text_report_in_chinese() -> None:
    out = run()
    assert out.exit_code == 0, out.output
    text = out.stdout
    assert text.startswith("动态监测:基本均衡")
    assert "失去的达标(2 处):" in text
    assert "满意度 公众满意度达到85%以上:90.60% 达标 → 84.20% 未达标(要求 ≥ 85%)" in text
    assert "预警(2024 年,3 条):" in text
    assert "⚠ 向限值变化 综合差异系数(初中)" in text and "0.133 → 0.168,一年内上升 0.035" in text
    assert "⚠ 接近限值 推进工作" in text and "距标准 85 分 仅 2.50 分" in text
    assert "差异系数:图书册数 ÷ 学生数" in text


def test_national_rules_on_the_same_two_years(national: dict[str, Any]) -> None:
    sources = {m["来源"] for m in national["预警参数"]}
    assert sources == {"默认值(规则集未设此参数)"}          # 国家 declares no margins
    lost = {(c["编号"], c["学校名称"], c["学段"]) for c in national["失去的达标"]}
    assert lost == {("R7", "示例县城关第八小学", "小学"), ("资源配置达标", "示例县城关第八小学", "小学")}
    regained = {(c["编号"], c["学校名称"]) for c in national["恢复达标"]}
    assert {("G11交流比例", None), ("G12", None), ("G5", "示例县第二中学")} <= regained
    warnings = _warnings(national)
    for item in ("R3差异系数", "R4差异系数", "R6差异系数", "R7差异系数"):
        assert ("2024", TOWARDS, item, "初中", None) in warnings
    assert ("2024", TOWARDS, "R5差异系数", "初中", None) not in warnings   # already failing: not a warning
    assert ("2024", NEAR, "R4", "初中", "示例县城南学校") in warnings       # 5.82 ㎡/人, standard 5.8
    assert not any(w[2] in ("G9", "G12", "G13城区") for w in warnings)    # held at 100%: nothing to warn of
    tallies = {(t["编号"], t["学段"]): t["各年"] for t in national["达标数"]}
    assert [(e["达标"], e["参评"]) for e in tallies[("资源配置达标", "小学")]] == [(19, 20), (18, 20)]


def test_xlsx_has_a_sheet_per_part_of_the_report(tmp_path: Path) -> None:
    path = tmp_path / "监测.xlsx"
    out = run("--format", "xlsx", "-o", str(path))
    assert out.exit_code == 0, out.output
    wb = load_workbook(path)
    assert wb.sheetnames == ["失去的达标", "恢复达标", "预警", "趋势", "达标数", "预警参数"]
    lost = [[c.value for c in row] for row in wb["失去的达标"].iter_rows(min_row=2)]
    assert {row[7] for row in lost} == {"满意度", "基本均衡"}
    assert wb["预警"].max_row == 4 and wb["趋势"].max_row == 1 + 7 + 16   # 7 items, 8 CVs under each 综合


def test_explicit_years_equal_the_default(basic: dict[str, Any]) -> None:
    doc = run_json("--year", f"2024={SAMPLE_DIR / '2024'}", "--year", f"2023={SAMPLE_DIR}")
    assert doc["年份"] == ["2023", "2024"]             # sorted by year
    assert doc["失去的达标"] == basic["失去的达标"] and doc["预警"] == basic["预警"]


@pytest.mark.parametrize(("args", "code"), [
    (["--year", "2023"], "E510"),
    (["--year", "去年=examples"], "E510"),
    (["--year", "2023=不存在的目录"], "E501"),
    (["--format", "xlsx"], "E506"),
    (["--rules", "不存在"], "E502"),
])
def test_usage_errors(args: list[str], code: str) -> None:
    out = run(*args)
    assert out.exit_code == 1 and code in out.output


def test_a_city_sets_its_own_margins(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(RULES_DIR, rules)
    city = rules / "基本均衡" / "provinces" / "某市"
    city.mkdir(parents=True)
    (city / "某市.rule").write_text(
        "规则集 某市 继承 基本均衡\n"
        "修改 参数 预警余量比例 = 2%\n"
        "修改 参数 预警变化量 = 小学 0.03, 初中 0.04\n", encoding="utf-8")
    doc = run_json("--rules", "某市", "--rules-dir", str(rules))
    sources = {m["名称"]: m["来源"] for m in doc["预警参数"]}
    assert sources["预警余量比例"].startswith("某市 · ") and sources["预警余量"].startswith("基本均衡 · ")
    # 87.5 is 2.5 above 85 > 2% × 85 = 1.7: no longer "near"; 0.035 < 0.04: the 初中 rise is no longer a warning
    assert _warnings(doc) == {("2024", TOWARDS, "推进工作", None, None)}


RULE = """
规则集 测 "测试"
字段 学校 学校标识码 文本 必需
字段 学校 学校名称 文本 必需
字段 学校 县区 文本 必需
字段 县区 得分 数值 单位 分
字段 县区 完成率 数值 单位 %
参数 预警余量比例 = 0
县指标 K1 "得分" 计算 得分 单位 分 要求 不低于 80
县指标 K2 "完成率" 计算 完成率 单位 % 要求 达到 100%
"""


def _year(rules: Any, label: str, score: float, rate: float) -> Year:
    facts = make_facts([{"学校标识码": "2100000001", "学校名称": "甲", "县区": "县"}],
                       [{"县区": "县", "得分": score, "完成率": rate}], rules.ruleset)
    day = date(int(label), 12, 31)
    return Year(label, evaluate(rules, facts, day), day)


def test_margin_zero_turns_a_warning_off_and_a_rate_held_at_100_is_not_near() -> None:
    rules = compile_texts(RULE)
    report = monitor([_year(rules, "2023", 90, 100), _year(rules, "2024", 80, 100)])
    kinds = {(w.item, w.kind) for w in report.warnings}
    assert (("K1", NEAR) not in kinds) and ("K1", TOWARDS) in kinds   # 90 → 80: fell 10 > 5% of 80
    assert not any(w.item == "K2" for w in report.warnings)
    assert report.lost == []


def test_lost_includes_data_going_missing() -> None:
    rules = compile_texts(RULE)
    report = monitor([_year(rules, "2023", 90, 100), _year(rules, "2024", float("nan"), 100)])
    assert [(c.item, c.before.verdict, c.after.verdict) for c in report.lost] == [("K1", "达标", "数据缺失")]
