"""Remedies (engine/interpreter/remedy.py), checked by re-evaluating the facts with them applied.

For every failing unit of each of the 7 resource indicators, every alternative is applied to
the facts and the whole rule set evaluated again: the unit then passes, and with one grid
step less (one person, one room, 0.01 ㎡, 0.01 万元) it still fails.
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction
from typing import Any

import pytest
from conftest import compile_texts, make_facts, sample_facts

from engine.interpreter import CompiledRules, evaluate
from engine.interpreter.exact import aggregate
from engine.interpreter.explain import explain, find_school
from engine.interpreter.frames import FAIL, PASS
from engine.interpreter.remedy import Change, Goal, Remedier, apply_changes
from engine.render.remedies import render_remedies

DAY = date(2024, 9, 1)
RESOURCE = ["R1", "R2", "R3", "R4", "R5", "R6", "R7"]

# A 小学 of 1,000 pupils and a 九年一贯制 of 600 + 400 that pass all seven indicators …
BASE = {"县区": "测试县", "城乡": "城区", "寄宿制": "否", "建成年份": 2000, "高中生数": 0, "小学班数": 24, "初中班数": 0,
        "小学最大班额": 45, "初中最大班额": 0, "小学大班额班数": 0, "初中大班额班数": 0, "持证专任教师数": 60,
        "音乐专用教室数": 2, "美术专用教室数": 2, "音乐专用教室最小面积": 100, "美术专用教室最小面积": 100,
        "公用经费预算": 100, "教师培训经费": 6, "有章程": "是"}
PRIMARY = {**BASE, "学校标识码": "1000000001", "学校名称": "测试县第一小学", "办学类型": "小学", "小学生数": 1000,
           "初中生数": 0, "小学专任教师数": 60, "初中专任教师数": 0, "小学高于规定学历教师数": 60, "初中高于规定学历教师数": 0,
           "小学骨干教师数": 15, "初中骨干教师数": 0, "小学体育艺术教师数": 12, "初中体育艺术教师数": 0,
           "教学及辅助用房面积": 5000, "体育运动场馆面积": 8000, "教学仪器设备值": 250, "网络多媒体教室数": 25}
MIXED = {**BASE, "学校标识码": "1000000002", "学校名称": "测试县九年一贯制学校", "办学类型": "九年一贯制学校",
         "小学生数": 600, "初中生数": 400, "初中班数": 8, "初中最大班额": 50, "小学专任教师数": 40, "初中专任教师数": 30,
         "小学高于规定学历教师数": 40, "初中高于规定学历教师数": 30, "小学骨干教师数": 10, "初中骨干教师数": 8,
         "小学体育艺术教师数": 10, "初中体育艺术教师数": 8, "教学及辅助用房面积": 7000, "体育运动场馆面积": 12000,
         "教学仪器设备值": 300, "网络多媒体教室数": 30}
# … and, per indicator, the inputs that make the 小学 and the mixed school's 初中部 fail it
FAILING = {
    "R1": ({"小学高于规定学历教师数": 40}, {"初中高于规定学历教师数": 20}),
    "R2": ({"小学骨干教师数": 8}, {"初中骨干教师数": 3}),
    "R3": ({"小学体育艺术教师数": 8}, {"初中体育艺术教师数": 3}),
    "R4": ({"教学及辅助用房面积": 4280}, {"教学及辅助用房面积": 5000}),
    "R5": ({"体育运动场馆面积": 7000}, {"体育运动场馆面积": 9000}),
    "R6": ({"教学仪器设备值": 180}, {"教学仪器设备值": 220}),
    "R7": ({"网络多媒体教室数": 21}, {"网络多媒体教室数": 21}),
}
COUNTY = {"县区": "测试县", "省份": "测试省", "交流轮岗教师数": 114, "符合交流条件教师数": 1200}


def failing_facts(national: CompiledRules, item: str) -> Any:
    primary, mixed = FAILING[item]
    return make_facts([{**PRIMARY, **primary}, {**MIXED, **mixed}], [COUNTY], national.ruleset)


def verdict(national: CompiledRules, facts: Any, item: str, fkey: str, row: int) -> int:
    return int(evaluate(national, facts, DAY).items[item].verdict[row])


def one_step_less(ch: Change) -> Change:
    back = ch.var.step if ch.delta > 0 else -ch.var.step
    return Change(ch.var, ch.new - back)


def failing_rows(results: Any, item: str) -> list[int]:
    return [r for r, v in enumerate(results.items[item].verdict) if v == FAIL]


@pytest.mark.parametrize("item", RESOURCE)
def test_each_resource_remedy_passes_and_one_step_less_fails(national: CompiledRules, item: str) -> None:
    facts = failing_facts(national, item)
    results = evaluate(national, facts, DAY)
    rows = failing_rows(results, item)
    assert rows, "the hand-made facts must fail the indicator"
    rem = Remedier(results)
    for row in rows:
        remedies = rem.remedies(Goal(item, "学部", row))
        assert len(remedies) >= 2, (item, row)  # the resource itself, or fewer pupils
        assert remedies[0].changes[0].delta > 0, "adding resources comes first"
        for r in remedies:
            (ch,) = r.changes
            assert ch.new >= 0 and ch.delta % ch.var.step == 0
            assert verdict(national, apply_changes(facts, [ch]), item, "学部", row) == PASS, (item, row, ch)
            assert verdict(national, apply_changes(facts, [one_step_less(ch)]), item, "学部", row) == FAIL, (item, row)


def test_primary_r4_gives_the_figures_of_the_design(national: CompiledRules) -> None:
    results = evaluate(national, failing_facts(national, "R4"), DAY)
    area, pupils = Remedier(results).remedies(Goal("R4", "学部", 0))
    assert (area.changes[0].var.name, area.changes[0].delta) == ("教学及辅助用房面积", 220)
    assert (pupils.changes[0].var.name, pupils.changes[0].delta) == ("小学生数", -49)  # 4,280 ÷ 951 ≥ 4.5 > 4,280 ÷ 952


def test_split_quantity_is_changed_as_the_whole_school_value(national: CompiledRules) -> None:
    results = evaluate(national, failing_facts(national, "R4"), DAY)
    (row,) = [r for r in failing_rows(results, "R4") if results.env.frames["学部"].stage[r] == "初中"]
    best = Remedier(results).remedies(Goal("R4", "学部", row))[0]
    (ch,) = best.changes
    # 初中部 share 400×1.1 ÷ (600 + 440): T × 440/1040 ÷ 400 ≥ 5.8 ⇔ T ≥ 5,483.6363… → 5,483.64 ㎡
    assert ch.var.name == "教学及辅助用房面积" and ch.var.share == Fraction(440, 1040)
    assert ch.new == Fraction("5483.64")
    assert "全校数,按加权学生数份额 42.31% 计入初中部" in render_remedies(explain(results, "R4", "学部", row), results)[0]


# ---------------------------------------------------------------- rounding


def test_integer_inputs_round_in_the_passing_direction(national: CompiledRules) -> None:
    results = evaluate(national, failing_facts(national, "R7"), DAY)
    rem = Remedier(results)
    # units: 0 = the 小学, 1 = the mixed school's 小学部, 2 = its 初中部 (all fail R7 with 21 rooms)
    new = [rem.remedies(Goal("R7", "学部", r))[0].changes[0].new for r in (0, 1, 2)]
    # 2.3 × 1,000 ÷ 100 = 23 exactly; 小学部 2.3 × 6 × 1040/600 = 23.92 → 24; 初中部 2.4 × 4 × 1040/440 = 22.69 → 23
    assert new == [23, 24, 23]


def test_pupils_round_down_and_teachers_up(national: CompiledRules) -> None:
    results = evaluate(national, failing_facts(national, "R1"), DAY)
    teachers, pupils = Remedier(results).remedies(Goal("R1", "学部", 0))
    assert teachers.changes[0].new == 42  # 42 ÷ 1,000 × 100 = 4.2 exactly: 达到 includes the bound
    assert pupils.changes[0].new == 952  # 40 ÷ 952 × 100 = 4.2017 ≥ 4.2 > 40 ÷ 953 × 100


def test_money_rounds_to_a_hundredth_of_wan_yuan(national: CompiledRules) -> None:
    results = evaluate(national, failing_facts(national, "R6"), DAY)
    (row,) = [r for r in failing_rows(results, "R6") if results.env.frames["学部"].stage[r] == "初中"]
    (ch,) = Remedier(results).remedies(Goal("R6", "学部", row))[0].changes
    assert ch.new == Fraction("236.37")  # 2,500 × 400 × 1040/440 ÷ 10,000 = 236.3636… 万元


def test_never_a_negative_count(national: CompiledRules) -> None:
    facts = make_facts([{**PRIMARY, "小学骨干教师数": 0}], [COUNTY], national.ruleset)
    results = evaluate(national, facts, DAY)
    remedies = Remedier(results).remedies(Goal("R2", "学部", 0))
    assert [r.changes[0].var.name for r in remedies] == ["小学骨干教师数"]  # no number of pupils gives 0 ÷ n ≥ 1
    assert remedies[0].changes[0].new == 10


def test_an_upper_bound_is_met_by_reducing(national: CompiledRules) -> None:
    results = evaluate(national, make_facts([{**MIXED, "初中最大班额": 53}], [COUNTY], national.ruleset), DAY)
    row = failing_rows(results, "G5")[0]
    (ch,) = Remedier(results).remedies(Goal("G5", "学部", row))[0].changes
    assert (ch.var.name, ch.new) == ("初中最大班额", 50)


# ---------------------------------------------------------------- any formula a rule author writes

CUSTOM = """
规则集 测试
字段 学校 学校标识码 "学校标识码" 文本 必需
字段 学校 学校名称 "学校名称" 文本 必需
字段 学校 县区 "所在县区" 文本 必需
字段 学校 房间数 "房间数" 整数 单位 间 必需
字段 学校 边长 "边长" 数值 必需
字段 学校 有章程 "是否制定学校章程" 是否 必需
学校指标 X "每两间一组的组数"
  计算 向上取整(房间数 ÷ 2)
  要求 不低于 3
学校指标 Y "边长的平方"
  计算 边长 × 边长
  要求 不低于 200
学校指标 Z "章程"
  计算 有章程
  要求 为 是
"""


def test_custom_formulas_without_a_closed_form_are_searched() -> None:
    rules = compile_texts(CUSTOM)
    row = {"学校标识码": "1", "学校名称": "甲校", "县区": "测试县", "房间数": 3, "边长": 10, "有章程": "否"}
    facts = make_facts([row], [{"县区": "测试县"}], rules.ruleset)
    results = evaluate(rules, facts, DAY)
    rem = Remedier(results)
    (rooms,) = rem.remedies(Goal("X", "学校", 0))
    assert rooms.searched and rooms.changes[0].new == 5  # ⌈5 ÷ 2⌉ = 3; sympy cannot solve ⌈x/2⌉ = 3
    (side,) = rem.remedies(Goal("Y", "学校", 0))
    assert not side.searched and side.changes[0].new == Fraction("14.15")  # √200 = 14.142…; 14.14² < 200
    (charter,) = rem.remedies(Goal("Z", "学校", 0))
    assert charter.changes[0].new == 1
    for r, item in ((rooms, "X"), (side, "Y"), (charter, "Z")):
        assert int(evaluate(rules, apply_changes(facts, r.changes), DAY).items[item].verdict[0]) == PASS


# ---------------------------------------------------------------- combined rule, 差异系数, county items


def unit_row(results: Any, school: str, stage: str) -> int:
    s = find_school(results, school)
    frame = results.env.frames["学部"]
    return next(i for i in range(frame.n) if frame.up["学校"][i] == s and frame.stage[i] == stage)


def test_combined_rule_cheapest_plan_makes_the_unit_pass(national: CompiledRules, sample_results: Any) -> None:
    facts = sample_facts(national.ruleset)
    rem = Remedier(sample_results)
    row = unit_row(sample_results, "示例县南岭镇中心小学", "小学")
    combo = rem.combo("资源配置达标", row)
    assert combo is not None and combo.failing == ("R1", "R5") and not combo.below
    best = combo.options[0]
    assert [(g.item, g.ratio) for g in best.goals] == [("R1", None)]  # one of R1, R5 to its standard
    assert [(c.var.name, c.delta) for c in best.changes] == [("小学高于规定学历教师数", 2)]
    for option in combo.options:
        after = evaluate(national, apply_changes(facts, option.changes), DAY)
        assert int(after.items["资源配置达标"].verdict[row]) == PASS, option


def test_combined_rule_lifts_the_weakest_above_85_percent(national: CompiledRules, sample_results: Any) -> None:
    facts = sample_facts(national.ruleset)
    row = unit_row(sample_results, "示例县东关镇中学", "初中")
    combo = Remedier(sample_results).combo("资源配置达标", row)
    assert combo is not None and combo.below == ("R5",)
    (ch,) = combo.options[0].changes
    assert (ch.var.name, ch.delta) == ("体育运动场馆面积", 783)  # 7,803 ÷ 900 = 8.67 = 85% of 10.2 (not +2,160)
    assert int(evaluate(national, apply_changes(facts, [ch]), DAY).items["资源配置达标"].verdict[row]) == PASS
    less = apply_changes(facts, [one_step_less(ch)])
    assert int(evaluate(national, less, DAY).items["资源配置达标"].verdict[row]) == FAIL


def test_cv_contributions_and_the_floor(national: CompiledRules, sample_results: Any) -> None:
    row = list(sample_results.env.frames["县区学段"].stage).index("初中")
    cv = Remedier(sample_results).cv("R5差异系数", row)
    assert cv is not None and cv.floor is not None
    assert sum(c.share for c in cv.contributions) == 1
    assert cv.contributions[0].subject == "示例县北山镇初级中学 · 初中部"  # 32.69 ㎡/人, far above the mean
    xs, ws = [c.value for c in cv.contributions], [c.weight for c in cv.contributions]
    lo, hi, precision = cv.searched
    assert (lo, hi) == (min(xs), max(xs))
    # the floor is the lowest on its grid that works: one step lower the 差异系数 is still too high
    assert aggregate("差异系数", [max(x, cv.floor - precision) for x in xs], ws) > cv.limit  # type: ignore[operator]
    raised = {r.goals[0].row for r in cv.raises}
    assert raised == {c.row for c in cv.contributions if c.value < cv.floor}
    changes = [c for r in cv.raises for c in r.changes]
    after = evaluate(national, apply_changes(sample_facts(national.ruleset), changes), DAY)
    assert int(after.items["R5差异系数"].verdict[row]) == PASS
    assert isinstance(cv.after, Fraction) and float(cv.after) == pytest.approx(after.items["R5差异系数"].col.v[row])


@pytest.mark.parametrize(("item", "field", "delta"), [("G11交流比例", "交流轮岗教师数", 6),
                                                      ("G15随迁子女", "公办就读随迁子女数", 40)])
def test_county_items_say_how_many_more(national: CompiledRules, sample_results: Any, item: str, field: str,
                                        delta: int) -> None:
    facts = sample_facts(national.ruleset)
    (ch,) = Remedier(sample_results).remedies(Goal(item, "县区", 0))[0].changes
    assert (ch.var.name, ch.delta) == (field, delta)
    assert int(evaluate(national, apply_changes(facts, [ch]), DAY).items[item].verdict[0]) == PASS
    assert int(evaluate(national, apply_changes(facts, [one_step_less(ch)]), DAY).items[item].verdict[0]) == FAIL


def test_explain_lines(sample_results: Any) -> None:
    row = unit_row(sample_results, "示例县城关第八小学", "小学")
    lines = render_remedies(explain(sample_results, "R4", "学部", row), sample_results)
    assert lines == ["整改:增加教学及辅助用房面积 220 ㎡(增至 4,500 ㎡),或 小学在校生数减少 49 人(减至 951 人)"]
    missing = render_remedies(explain(sample_results, "G6", "县区", 0), sample_results)
    assert missing == ["整改:补报数据:小规模学校公用经费按100人核定"]
    assert render_remedies(explain(sample_results, "R1", "学部", row), sample_results) == []  # it passes


def test_every_problem_of_every_rule_pack_gets_an_answer(national: CompiledRules, sample_results: Any) -> None:
    problems = Remedier(sample_results).problems()
    assert len(problems) == 16
    for p in problems:
        assert p.remedies or p.combo or p.cv or p.missing, p
