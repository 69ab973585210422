"""Layer and check stages: names, types, units, cycles, levels and layering, with error codes.

Each broken rule set is a small base (`BASE`) plus the line under test; the tests assert
the code, the line and column it points at, and the hint or related location it carries.
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction
from pathlib import Path

import pytest
from conftest import RULES_DIR, compile_texts, make_facts

from engine.interpreter import check_paths, evaluate
from engine.interpreter.errors import Diagnostic, RuleError
from engine.interpreter.frames import FAIL, PASS
from engine.interpreter.layer import group_layers
from engine.interpreter.parse import parse_text

BASE = """规则集 国家 "测试办法" 文号 "教督〔2017〕6号"
字段 学校 县区 "所在县区" 文本 必需
字段 学校 学校标识码 "学校标识码" 文本 必需
字段 学校 学校名称 "学校名称" 文本 必需
字段 学校 办学类型 "办学类型" 文本 必需
字段 学校 小学生数 "小学在校生数" 整数 单位 人 必需
字段 学校 初中生数 "初中在校生数" 整数 单位 人 必需
字段 学校 教学及辅助用房面积 "教学及辅助用房面积" 数值 单位 ㎡ 必需
字段 学校 有章程 "是否制定学校章程" 是否 必需
字段 学校 高于规定学历教师数 "高于规定学历教师数" 整数 单位 人 必需
学部 小学 "小学部" 当 办学类型 属于 ("小学", "九年一贯制学校")
学部 初中 "初中部" 当 办学类型 属于 ("初中", "九年一贯制学校")
学部字段 学生数 "在校生数" = 小学 小学生数, 初中 初中生数 单位 人
学部字段 高学历教师数 "高学历教师数" = 小学 高于规定学历教师数, 初中 高于规定学历教师数 单位 人
参数 高学历教师标准 "每百名学生拥有高于规定学历教师数标准" = 小学 4.2, 初中 5.3 单位 人/百名学生
参数 班额上限 "班额上限" = 小学 45, 初中 50 单位 人
参数 学校规模上限 "学校规模上限" = 2000 单位 人
学部指标 R1 "每百名学生拥有高于规定学历教师数"
  计算 高学历教师数 ÷ 学生数 × 100
  单位 人/百名学生
  要求 达到 高学历教师标准 以上
"""
BASE_LINES = BASE.count("\n")  # the first line after BASE is line BASE_LINES + 1
NEXT = BASE_LINES + 1


def errors(*texts: str, name: str | None = None) -> list[Diagnostic]:
    """Every diagnostic of compiling the texts (file i is t{i}.rule); fails if they compile."""
    with pytest.raises(RuleError) as info:
        compile_texts(*texts, name=name)
    return info.value.diagnostics


def only(*texts: str, name: str | None = None) -> Diagnostic:
    diags = errors(*texts, name=name)
    assert len(diags) == 1, [f"{d.code} {d.message}" for d in diags]
    return diags[0]


def at(d: Diagnostic) -> tuple[str, int, int]:
    loc = d.location
    assert loc is not None and hasattr(loc, "line")
    return (loc.file, loc.line, loc.column)  # type: ignore[union-attr]


def test_the_base_rule_set_compiles() -> None:
    rules = compile_texts(BASE)
    assert list(rules.ruleset.items) == ["R1"]
    assert rules.checked.order == ["R1"]


# ---------------------------------------------------------------- E201 undefined names


def test_misspelled_parameter_is_e201_with_did_you_mean() -> None:
    d = only(BASE + "学部指标 R2 计算 高学历教师数 ÷ 学生数 × 100 要求 不低于 高学历教师标淮")
    assert d.code == "E201"
    assert "高学历教师标淮" in d.message
    assert d.hint is not None and "是否想写" in d.hint and "高学历教师标准" in d.hint
    assert at(d) == ("t0.rule", NEXT, 38)


def test_misspelled_field_in_calc_suggests_the_field() -> None:
    d = only(BASE + "学校指标 X 计算 小学生树 + 初中生数 要求 不超过 学校规模上限")
    assert d.code == "E201"
    assert d.hint is not None and "小学生数" in d.hint


def test_unknown_name_without_close_match_asks_to_declare_it() -> None:
    d = only(BASE + "学校指标 X 计算 完全无关 要求 ≥ 1")
    assert d.code == "E201"
    assert d.hint == "先声明这个名称"


def test_conclusion_naming_an_unknown_item_is_e201() -> None:
    d = only(BASE + "学部结论 C 要求 所有 R1、R8 达标")
    assert d.code == "E201"
    assert "R8" in d.message
    assert d.hint is not None and "R1" in d.hint


def test_glued_range_in_conclusion_is_an_undefined_name() -> None:
    d = only(BASE + "学部指标 R2 计算 1 要求 ≥ 1\n学部结论 C 要求 R1至R2 中 至少 1 项 达标")
    assert d.code == "E201"
    assert "R1至R2" in d.message


def test_undefined_scope_is_e201() -> None:
    d = only(BASE + "学部指标 R2 计算 1 要求 ≥ 1 范围 不存在的范围")
    assert d.code == "E201"


# ---------------------------------------------------------------- E202 duplicates


def test_duplicate_parameter_is_e202_with_related_first_definition() -> None:
    d = only(BASE + "参数 高学历教师标准 = 小学 5")
    assert d.code == "E202"
    assert at(d) == ("t0.rule", NEXT, 1)
    assert len(d.related) == 1
    first = d.related[0].location
    assert (first.file, first.line) == ("t0.rule", 15)  # type: ignore[union-attr]
    assert "首次定义" in d.related[0].message


def test_duplicate_indicator_is_e202() -> None:
    d = only(BASE + "学部指标 R1 计算 1 要求 ≥ 1")
    assert d.code == "E202"
    assert d.related[0].location.line == 18  # type: ignore[union-attr]


def test_one_name_for_a_parameter_and_a_field_is_e202() -> None:
    d = only(BASE + "参数 小学生数 = 1")
    assert d.code == "E202"
    assert "已被另一个项目使用" in d.message


def test_unit_field_may_share_the_name_of_its_school_field() -> None:
    compile_texts(BASE + "学部字段 教学及辅助用房面积 = 小学 教学及辅助用房面积, 初中 教学及辅助用房面积 单位 ㎡")


# ---------------------------------------------------------------- E203 units


def test_area_plus_people_is_e203() -> None:
    d = only(BASE + "学校指标 X 计算 教学及辅助用房面积 + 小学生数 要求 ≥ 0")
    assert d.code == "E203"
    assert "㎡" in d.message and "人" in d.message
    assert at(d) == ("t0.rule", NEXT, 11)


def test_declared_unit_contradicting_the_formula_is_e203() -> None:
    d = only(BASE + "学部指标 R4 计算 教学及辅助用房面积 ÷ 学生数 单位 人 要求 ≥ 0")
    assert d.code == "E203"
    assert "㎡/人" in d.message


def test_area_per_student_matches_its_declared_unit() -> None:
    compile_texts(BASE + "学部指标 R4 计算 教学及辅助用房面积 ÷ 学生数 单位 ㎡/人 要求 ≥ 4.5")


def test_comparing_area_with_people_is_e203() -> None:
    d = only(BASE + "学校指标 X 计算 教学及辅助用房面积 > 小学生数 要求 为 是")
    assert d.code == "E203"


# ---------------------------------------------------------------- E204 types


def test_number_compared_with_yes_is_e204() -> None:
    d = only(BASE + "学校指标 X 计算 小学生数 为 是 要求 为 是")
    assert d.code == "E204"
    assert "数值" in d.message and "是否" in d.message


def test_numeric_indicator_required_to_be_yes_is_e204() -> None:
    d = only(BASE + "学校指标 X 计算 小学生数 要求 为 是")
    assert d.code == "E204"
    assert d.hint is not None and "为 是" in d.hint


def test_yes_no_indicator_with_inequality_is_e204() -> None:
    d = only(BASE + "学校指标 X 计算 有章程 要求 不低于 是")
    assert d.code == "E204"
    assert "不低于" in d.message


def test_logic_on_numbers_is_e204() -> None:
    d = only(BASE + "学校指标 X 计算 小学生数 且 有章程 要求 为 是")
    assert d.code == "E204"


def test_at_least_more_items_than_listed_is_e204() -> None:
    d = only(BASE + "学部结论 C 要求 R1 中 至少 2 项 达标")
    assert d.code == "E204"


# ---------------------------------------------------------------- E205 cycles


def test_two_indicators_referring_to_each_other_is_e205() -> None:
    d = only(BASE + "学部指标 A 计算 B + 1 要求 ≥ 0\n学部指标 B 计算 A + 1 要求 ≥ 0")
    assert d.code == "E205"
    assert "A → B → A" in d.message
    assert at(d) == ("t0.rule", NEXT, 1)


def test_conclusion_naming_itself_is_e205() -> None:
    d = only(BASE + "学部结论 C 要求 所有 R1、C 达标")
    assert d.code == "E205"


def test_dependency_order_puts_dependencies_first() -> None:
    rules = compile_texts(BASE + "学部指标 R0 计算 R1 × 2 要求 ≥ 0\n学部结论 C 要求 所有 R0、R1 达标")
    order = rules.checked.order
    assert order.index("R1") < order.index("R0") < order.index("C")


# ---------------------------------------------------------------- E206 per-stage parameters


def test_per_stage_parameter_in_a_school_indicator_is_e206() -> None:
    d = only(BASE + "学校指标 X 计算 小学生数 要求 不超过 班额上限")
    assert d.code == "E206"
    assert "班额上限" in d.message
    assert at(d) == ("t0.rule", NEXT, 23)


def test_per_stage_parameter_in_a_by_stage_county_indicator_is_fine() -> None:
    compile_texts(BASE + "县指标 X 分学段 计算 最大(学部: 学生数) 要求 不超过 班额上限")


def test_per_stage_parameter_in_a_plain_county_indicator_is_e206() -> None:
    d = only(BASE + "县指标 X 计算 最大(学部: 学生数) 要求 不超过 班额上限")
    assert d.code == "E206"


def test_single_valued_parameter_in_a_school_indicator_is_fine() -> None:
    compile_texts(BASE + "学校指标 X 计算 小学生数 + 初中生数 要求 不超过 学校规模上限")


# ---------------------------------------------------------------- E207–E210


def test_indicator_without_requirement_is_e207() -> None:
    d = only(BASE + "学校指标 X 计算 小学生数")
    assert d.code == "E207"


def test_county_indicator_using_a_school_field_directly_is_e208() -> None:
    d = only(BASE + "县指标 X 计算 小学生数 要求 ≥ 0")
    assert d.code == "E208"
    assert d.hint is not None and "合计(学校: 小学生数)" in d.hint


def test_by_stage_on_a_school_indicator_is_e208() -> None:
    d = only(BASE + "学校指标 X 分学段 计算 小学生数 要求 ≥ 0")
    assert d.code == "E208"


def test_unit_field_for_an_undefined_stage_is_e209() -> None:
    base = BASE.replace('学部 初中 "初中部" 当 办学类型 属于 ("初中", "九年一贯制学校")\n', "")
    diags = errors(base + "学部字段 y = 初中 初中生数")
    assert {d.code for d in diags} == {"E209"}
    assert (NEXT - 1, 13) in {(d.location.line, d.location.column) for d in diags}  # type: ignore[union-attr]


@pytest.mark.parametrize(("func", "suggestion"), [("差异系统", "差异系数"), ("和计", "合计"), ("向上取証", "向上取整")])
def test_unknown_function_is_e210_with_a_suggestion(func: str, suggestion: str) -> None:
    d = only(BASE + f"县指标 X 分学段 计算 {func}(学部: R1, 权重 学生数) 要求 ≥ 0")
    assert d.code == "E210"
    assert func in d.message
    assert d.hint is not None and suggestion in d.hint


def test_all_errors_of_a_rule_set_are_reported_at_once() -> None:
    diags = errors(BASE + "学校指标 X 计算 教学及辅助用房面积 + 小学生数 要求 ≥ 0\n"
                          "学校指标 Y 计算 未知名 要求 ≥ 0\n"
                          "学校指标 Z 计算 小学生数 要求 不超过 班额上限")
    assert [d.code for d in diags] == ["E203", "E201", "E206"]
    assert [d.location.line for d in diags] == [NEXT, NEXT + 1, NEXT + 2]  # type: ignore[union-attr]


# ---------------------------------------------------------------- layering E3xx

PROVINCE = '规则集 某省 "某省实施细则" 继承 国家 文号 "某教督〔2020〕1号"\n'


def test_modifying_a_parameter_that_does_not_exist_is_e301() -> None:
    d = only(BASE, PROVINCE + "修改 参数 不存在的标准 = 1")
    assert d.code == "E301"
    assert at(d) == ("t1.rule", 2, 1)


def test_modifying_a_misspelled_parameter_suggests_the_right_one() -> None:
    d = only(BASE, PROVINCE + "修改 参数 高学历教师标淮 = 小学 4.5")
    assert d.code == "E301"
    assert d.hint is not None and "高学历教师标准" in d.hint


def test_modifying_with_the_wrong_kind_is_e306() -> None:
    d = only(BASE, PROVINCE + "修改 县指标 R1 要求 ≥ 1")
    assert d.code == "E306"
    assert d.hint is not None and "修改 学部指标 R1" in d.hint


def test_modify_in_a_base_rule_set_is_e307() -> None:
    d = only(BASE + "修改 参数 高学历教师标准 = 小学 5")
    assert d.code == "E307"
    assert "国家" in d.message


def test_remove_in_a_base_rule_set_is_e307() -> None:
    d = only(BASE + '删除 学部指标 R1 理由 "x"')
    assert d.code == "E307"


def test_remove_with_an_empty_reason_is_e308() -> None:
    d = only(BASE, PROVINCE + '删除 参数 班额上限 理由 "  "')
    assert d.code == "E308"


def test_plain_redefinition_in_an_inheriting_layer_is_e309_with_both_locations() -> None:
    d = only(BASE, PROVINCE + "参数 高学历教师标准 = 小学 4.5, 初中 5.5 单位 人/百名学生")
    assert d.code == "E309"
    assert at(d) == ("t1.rule", 2, 1)
    assert d.hint is not None and "修改 参数 高学历教师标准" in d.hint
    (rel,) = d.related
    assert (rel.location.file, rel.location.line) == ("t0.rule", 15)  # type: ignore[union-attr]
    assert "国家" in rel.message


def test_unknown_parent_is_e304_listing_known_rule_sets() -> None:
    d = only(BASE, "规则集 某省 继承 国家二\n", name="某省")
    assert d.code == "E304"
    assert d.hint is not None and "国家" in d.hint


def test_inheritance_cycle_is_e303() -> None:
    d = only(BASE, "规则集 某省 继承 某市\n", "规则集 某市 继承 某省\n", name="某省")
    assert d.code == "E303"


def test_inheritance_cycle_message_follows_the_inheritance() -> None:
    d = only(BASE, "规则集 某省 继承 某市\n", "规则集 某市 继承 某省\n", name="某省")
    assert "某省 → 某市 → 某省" in d.message


def test_two_files_of_one_layer_modifying_one_item_is_e302() -> None:
    d = only(BASE, PROVINCE + "修改 参数 班额上限 = 小学 40", "规则集 某省\n修改 参数 班额上限 = 初中 45", name="某省")
    assert d.code == "E302"
    assert d.related and d.related[0].location.file == "t1.rule"  # type: ignore[union-attr]


def test_file_without_header_is_e310() -> None:
    with pytest.raises(RuleError) as info:
        group_layers([parse_text("参数 p = 1", "无头.rule")])
    assert info.value.diagnostics[0].code == "E310"


# ---------------------------------------------------------------- layering that works

SCHOOL = {"县区": "甲县", "学校标识码": "1", "学校名称": "第一小学", "办学类型": "小学", "小学生数": 1000, "初中生数": 0,
          "教学及辅助用房面积": 5000, "有章程": "是", "高于规定学历教师数": 44}


def evaluate_r1(*texts: str) -> tuple[int, float]:
    rules = compile_texts(*texts)
    facts = make_facts([SCHOOL], [{"县区": "甲县"}], rules.ruleset)
    item = evaluate(rules, facts, date(2024, 9, 1)).items["R1"]
    return int(item.verdict[0]), float(item.threshold[0])


def test_province_override_changes_the_threshold_and_the_verdict() -> None:
    # 44 teachers per 1,000 students = 4.4 per 100: passes the national 4.2, fails the province's 4.5.
    assert evaluate_r1(BASE) == (PASS, 4.2)
    assert evaluate_r1(BASE, PROVINCE + "修改 参数 高学历教师标准 = 小学 4.5") == (FAIL, 4.5)


def test_province_override_keeps_the_stages_it_does_not_name() -> None:
    rules = compile_texts(BASE, PROVINCE + "修改 参数 高学历教师标准 = 小学 4.5")
    values = rules.ruleset.params["高学历教师标准"].decl.values
    assert [(s, n.value) for s, n in values[0].by_stage] == [("小学", Fraction(9, 2)), ("初中", Fraction(53, 10))]


def test_override_provenance_shows_both_layers() -> None:
    rules = compile_texts(BASE, PROVINCE + "修改 参数 高学历教师标准 = 小学 4.5")
    history = rules.ruleset.params["高学历教师标准"].history
    assert [(h.layer, h.op, h.span.file, h.span.line, h.docno) for h in history] == [
        ("国家", "定义", "t0.rule", 15, "教督〔2017〕6号"),
        ("某省", "修改", "t1.rule", 2, "某教督〔2020〕1号"),
    ]
    assert history[-1].what == "小学 4.2、初中 5.3 → 小学 4.5、初中 5.3"
    assert rules.ruleset.params["高学历教师标准"].layer == "某省"


def test_override_provenance_reaches_the_explanation() -> None:
    from engine.interpreter.explain import explain
    from engine.render.explanation import render_trace

    rules = compile_texts(BASE, PROVINCE + "修改 参数 高学历教师标准 = 小学 4.5")
    results = evaluate(rules, make_facts([SCHOOL], [{"县区": "甲县"}], rules.ruleset), date(2024, 9, 1))
    lines = render_trace(explain(results, "R1", "学部", 0))
    text = "\n".join(lines)
    assert "要求 ≥ 4.5 人/百名学生   [某省 · t1.rule:2]" in text
    assert "国家标准 小学 4.2、初中 5.3 → 某省修改为 小学 4.5、初中 5.3(某教督〔2020〕1号)" in text


def test_province_can_add_and_remove_items() -> None:
    rules = compile_texts(BASE, PROVINCE + '删除 学部指标 R1 理由 "本省另行规定"\n'
                                           "新增 学校指标 规模 计算 小学生数 + 初中生数 要求 不超过 学校规模上限")
    assert list(rules.ruleset.items) == ["规模"]
    assert rules.ruleset.removed["R1"][:2] == ("某省", "本省另行规定")
    assert rules.ruleset.items["规模"].history[0].op == "新增"


def test_province_can_modify_a_requirement() -> None:
    verdict, threshold = evaluate_r1(BASE, PROVINCE + "修改 学部指标 R1 要求 达到 4.5 以上")
    assert (verdict, threshold) == (FAIL, 4.5)


# ---------------------------------------------------------------- the shipped rules


def test_shipped_rules_check_cleanly() -> None:
    compiled = check_paths([RULES_DIR])
    names = {c.ruleset.name for c in compiled}
    assert "国家" in names
    national = next(c for c in compiled if c.ruleset.name == "国家")
    items = national.ruleset.items
    assert [f"R{i}" for i in range(1, 8)] == [n for n in items if n in {f"R{i}" for i in range(1, 8)}]
    assert "优质均衡" in items and "资源配置达标" in items
    assert national.checked.order[-1] == "优质均衡"


def test_shipped_rules_check_from_a_relative_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(RULES_DIR.parent)
    compiled = check_paths([Path("rules")])
    assert any(c.ruleset.name == "国家" for c in compiled)


# ---------------------------------------------------------------- the national floor (E311)


def national_with(province: str) -> list[Diagnostic]:
    """Diagnostics of layering and checking the national pack with one province file on top."""
    from engine.interpreter.check import check
    from engine.interpreter.layer import layer
    from engine.interpreter.parse import parse_file

    files = [parse_file(p) for p in sorted((RULES_DIR / "national").glob("*.rule"))]
    files.append(parse_text('规则集 某省 继承 国家 文号 "某教督〔2020〕1号"\n' + province, "某省.rule"))
    try:
        check(layer(group_layers(files), "某省"))
    except RuleError as exc:
        return exc.diagnostics
    return []


@pytest.mark.parametrize("change", [
    "修改 参数 高学历教师标准 = 小学 4.5",  # a minimum raised
    "修改 参数 班额上限 = 小学 40",  # a maximum lowered
    "修改 参数 差异系数上限 = 初中 0.4",
    '修改 参数 高学历教师标准 = 小学 4.0 放宽 理由 "经国务院教育督导委员会办公室同意试点"',
])
def test_tightening_or_a_stated_relaxation_passes_the_floor(change: str) -> None:
    assert national_with(change) == []


@pytest.mark.parametrize(("change", "shown"), [
    ("修改 参数 高学历教师标准 = 小学 4.0", "小学 4.2 → 4"),
    ("修改 参数 班额上限 = 小学 50", "小学 45 → 50"),
    ("修改 参数 差异系数上限 = 小学 0.55", "小学 0.5 → 0.55"),
    ("修改 参数 高学历教师标准 值 小学 4.0 自 2026-09-01", "小学 4.2 → 4"),
])
def test_loosening_a_strict_parameter_is_e311(change: str, shown: str) -> None:
    (d,) = national_with(change)
    assert d.code == "E311"
    assert shown in d.message
    assert d.hint is not None and "放宽 理由" in d.hint
    assert at(d)[:2] == ("某省.rule", 2)
    assert d.related and "national" in d.related[0].location.file  # type: ignore[union-attr]
    assert d.related[0].message.startswith("国家")


def test_deleting_a_strict_parameter_is_e311() -> None:
    (d,) = national_with('删除 参数 高学历教师标准 理由 "本省另定"')
    assert d.code == "E311"


def test_loosening_a_strict_parameter_used_inside_a_formula_is_e311() -> None:
    diags = national_with("修改 参数 专用教室班级基数 = 24")
    assert [d.code for d in diags] == ["E311"]


def test_rewriting_a_requirement_below_its_strict_standard_is_e311() -> None:
    diags = national_with("修改 学部指标 R1 要求 达到 4 以上")
    assert [d.code for d in diags] == ["E311"]
