"""Parse stage: every construct of the rule language becomes the right AST node.

The AST is compared structurally with spans removed (`strip_spans`), except where a test
is about spans. Error tests assert the code (E1xx), the place and the hint.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from fractions import Fraction
from pathlib import Path

import pytest

from engine.interpreter import ast as A
from engine.interpreter.ast import Cmp
from engine.interpreter.errors import RuleError, Span
from engine.interpreter.parse import fold, parse_file, parse_text

NATIONAL = sorted((Path(__file__).resolve().parent.parent / "rules" / "national").glob("*.rule"))

# ---------------------------------------------------------------- helpers


def strip_spans(node: object) -> object:
    """The same tree with every Span replaced by None, so trees compare by content only."""
    if isinstance(node, Span):
        return None
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        changes = {f.name: strip_spans(getattr(node, f.name)) for f in dataclasses.fields(node)}
        return dataclasses.replace(node, **changes)
    if isinstance(node, tuple):
        return tuple(strip_spans(x) for x in node)
    if isinstance(node, list):
        return [strip_spans(x) for x in node]
    return node


def stmts(body: str) -> tuple[object, ...]:
    """Parse `body` under a header and return its statements without spans."""
    f = parse_text("规则集 甲\n" + body, "t.rule")
    return strip_spans(f.statements)  # type: ignore[return-value]


def one(body: str) -> object:
    result = stmts(body)
    assert len(result) == 1, result
    return result[0]


def calc_of(expr_text: str) -> A.Expr:
    """The AST of an expression, written as the 计算 of a 学校指标."""
    ind = one(f"学校指标 X 计算 {expr_text} 要求 为 是")
    assert isinstance(ind, A.Indicator)
    assert ind.calc is not None
    return ind.calc


def req_of(req_text: str) -> A.Requirement:
    ind = one(f"学校指标 X 计算 x 要求 {req_text}")
    assert isinstance(ind, A.Indicator) and ind.requirement is not None
    return ind.requirement


def syntax_error(text: str) -> object:
    with pytest.raises(RuleError) as info:
        parse_text(text, "坏.rule")
    assert len(info.value.diagnostics) == 1
    return info.value.diagnostics[0]


def num(value: Fraction | int, text: str) -> A.Num:
    return A.Num(Fraction(value), text, None)  # type: ignore[arg-type]


def ref(name: str) -> A.Ref:
    return A.Ref(name, None)  # type: ignore[arg-type]


def binop(op: str, left: A.Expr, right: A.Expr) -> A.BinOp:
    return A.BinOp(op, left, right, None)  # type: ignore[arg-type]


def text(value: str) -> A.Text:
    return A.Text(value, None)  # type: ignore[arg-type]


# ---------------------------------------------------------------- the shipped rule files


@pytest.mark.parametrize("path", NATIONAL, ids=lambda p: p.name)
def test_every_national_rule_file_parses_with_the_national_header(path: Path) -> None:
    f = parse_file(path)
    assert f.header is not None and f.header.name == "国家"
    assert f.statements


def test_parsing_the_same_text_twice_gives_equal_trees() -> None:
    source = NATIONAL[1].read_text(encoding="utf-8")
    a, b = parse_text(source, "a.rule"), parse_text(source, "b.rule")
    assert strip_spans(a.statements) == strip_spans(b.statements)
    assert a.statements != b.statements  # spans carry the file name


def test_national_resource_file_has_seven_unit_indicators_and_fourteen_cv_rows() -> None:
    f = parse_file(next(p for p in NATIONAL if "资源配置" in p.name))
    unit_inds = [s for s in f.statements if isinstance(s, A.Indicator) and s.level == A.UNIT]
    cvs = [s for s in f.statements if isinstance(s, A.Indicator) and s.level == A.COUNTY]
    assert [s.name for s in unit_inds] == [f"R{i}" for i in range(1, 8)]
    assert all(s.by_stage for s in cvs) and len(cvs) == 7


# ---------------------------------------------------------------- header


def test_header_with_title_docno_parent_and_iso_date() -> None:
    f = parse_text('规则集 某省 "某省实施细则" 文号 "某教督〔2020〕1号" 继承 国家 发布日期 2020-09-01', "h.rule")
    assert strip_spans(f.header) == A.Header("某省", "某省实施细则", "某教督〔2020〕1号", "国家", date(2020, 9, 1), None)
    assert f.statements == ()


def test_header_with_chinese_date_and_no_options() -> None:
    f = parse_text("规则集 国家 发布日期 2017年4月26日", "h.rule")
    assert f.header is not None
    assert (f.header.name, f.header.title, f.header.docno, f.header.inherits) == ("国家", None, None, None)
    assert f.header.issued == date(2017, 4, 26)


def test_header_options_in_any_order() -> None:
    f = parse_text('规则集 乙 发布日期 2020-1-2 继承 国家 文号 "x"', "h.rule")
    assert f.header is not None
    assert (f.header.inherits, f.header.docno, f.header.issued) == ("国家", "x", date(2020, 1, 2))


def test_file_without_header_parses_with_header_none() -> None:
    f = parse_text("参数 p = 1", "h.rule")
    assert f.header is None
    assert len(f.statements) == 1


# ---------------------------------------------------------------- 字段


@pytest.mark.parametrize("type_word", ["整数", "数值", "是否", "文本"])
def test_field_types(type_word: str) -> None:
    field = one(f"字段 学校 x {type_word}")
    assert isinstance(field, A.FieldDecl)
    assert field.type == type_word
    assert (field.unit, field.required, field.title) == (None, False, None)


def test_school_field_with_every_clause() -> None:
    field = one('字段 学校 小学生数 "小学在校生数" 整数 单位 人 必需 依据 "统计报表" 说明 "不含附设班"')
    assert field == A.FieldDecl("学校", "小学生数", "小学在校生数", "整数", "人", True, "统计报表", "不含附设班", None)


def test_county_field_with_percent_unit() -> None:
    field = one('字段 县区 初中三年巩固率 "初中三年巩固率" 数值 单位 % 必需')
    assert isinstance(field, A.FieldDecl)
    assert (field.entity, field.unit, field.required) == ("县区", "%", True)


@pytest.mark.parametrize("unit", ["㎡", "万元", "人/百名学生", "元/年", "间/百名学生", "㎡/人"])
def test_field_unit_text_is_kept_verbatim(unit: str) -> None:
    field = one(f"字段 学校 x 数值 单位 {unit}")
    assert isinstance(field, A.FieldDecl) and field.unit == unit


def test_field_named_like_the_county_column_is_allowed() -> None:
    # 县区 is a keyword only where an entity is expected; as a field name it is a name.
    field = one('字段 学校 县区 "所在县区" 文本 必需')
    assert isinstance(field, A.FieldDecl)
    assert (field.entity, field.name) == ("学校", "县区")


# ---------------------------------------------------------------- 参数


def test_param_with_per_stage_values_unit_source_and_strict() -> None:
    param = one('参数 高学历教师标准 "标准" = 小学 4.2, 初中 5.3 单位 人/百名学生 依据 "第五条" 不得放宽')
    assert isinstance(param, A.ParamDecl)
    assert (param.name, param.title, param.unit, param.source, param.strict) == (
        "高学历教师标准", "标准", "人/百名学生", "第五条", True)
    assert param.values == (A.ParamValues(
        (("小学", num(Fraction(21, 5), "4.2")), ("初中", num(Fraction(53, 10), "5.3"))), None, None),)


def test_param_with_three_stage_weights() -> None:
    param = one("参数 拆分权重 = 小学 1, 初中 1.1, 高中 1.32")
    assert isinstance(param, A.ParamDecl)
    assert [(s, n.value) for s, n in param.values[0].by_stage] == [
        ("小学", 1), ("初中", Fraction(11, 10)), ("高中", Fraction(33, 25))]


def test_param_stage_values_may_be_separated_by_dun_comma() -> None:
    param = one("参数 p = 小学 45、初中 50")
    assert isinstance(param, A.ParamDecl)
    assert [(s, n.value) for s, n in param.values[0].by_stage] == [("小学", 45), ("初中", 50)]


def test_param_with_dated_values_in_both_date_forms() -> None:
    param = one("参数 p 值 小学 1 自 2017-01-01 值 小学 2 自 2020年1月1日")
    assert isinstance(param, A.ParamDecl)
    assert [(v.effective, [(s, n.value) for s, n in v.by_stage]) for v in param.values] == [
        (date(2017, 1, 1), [("小学", 1)]),
        (date(2020, 1, 1), [("小学", 2)]),
    ]


@pytest.mark.parametrize(("written", "value"), [
    ("85%", Fraction(17, 20)),
    ("100%", Fraction(1)),
    ("2万", Fraction(20000)),
    ("1.5万", Fraction(15000)),
    ("1,000", Fraction(1000)),
    ("12,345.5", Fraction(24691, 2)),
    ("0.45", Fraction(9, 20)),
    ("-3", Fraction(-3)),
    ("0", Fraction(0)),
])
def test_number_forms(written: str, value: Fraction) -> None:
    param = one(f"参数 p = {written}")
    assert isinstance(param, A.ParamDecl)
    (stage, n), = param.values[0].by_stage
    assert stage is None
    assert n.value == value
    assert n.text == written
    assert isinstance(n.value, Fraction)


def test_number_forms_inside_expressions() -> None:
    assert calc_of("x × 85%") == binop("×", ref("x"), num(Fraction(17, 20), "85%"))
    assert calc_of("x ÷ 2万") == binop("÷", ref("x"), num(20000, "2万"))
    assert calc_of("x + 1,000") == binop("+", ref("x"), num(1000, "1,000"))


# ---------------------------------------------------------------- 学部, 学部字段, 拆分, 范围


def test_unit_definition_with_membership_condition() -> None:
    unit = one('学部 小学 "小学部" 当 办学类型 属于 ("小学", "教学点") 依据 "办法"')
    assert unit == A.UnitDef("小学", "小学部", A.In(ref("办学类型"), (text("小学"), text("教学点")), False, None),
                             "办法", None)


def test_unit_field_per_stage() -> None:
    uf = one('学部字段 学生数 "在校生数" = 小学 小学生数, 初中 初中生数 单位 人')
    assert uf == A.UnitField("学生数", "在校生数", (("小学", ref("小学生数")), ("初中", ref("初中生数"))), "人",
                             None, None, None)


def test_unit_field_stage_expression_may_be_arithmetic() -> None:
    uf = one("学部字段 教师数 = 小学 a + b, 初中 c")
    assert isinstance(uf, A.UnitField)
    assert uf.by_stage[0] == ("小学", binop("+", ref("a"), ref("b")))


def test_split_with_items_weight_and_heads() -> None:
    split = one('拆分 "设施拆分" 项目 教学及辅助用房面积、体育运动场馆面积, 教学仪器设备值 权重 拆分权重 '
                '人数 小学 小学生数, 初中 初中生数, 高中 高中生数 依据 "测算说明"')
    assert split == A.Split("设施拆分", ("教学及辅助用房面积", "体育运动场馆面积", "教学仪器设备值"), "拆分权重",
                            (("小学", "小学生数"), ("初中", "初中生数"), ("高中", "高中生数")), "测算说明", None, None)


def test_scope_with_include_and_exclude() -> None:
    scope = one('范围 资源配置学部 "参评学部" 学部 包含 学生数 > 0 排除 办学类型 为 "教学点" 且 学生数 < 50')
    assert isinstance(scope, A.ScopeDecl)
    assert (scope.name, scope.title, scope.target) == ("资源配置学部", "参评学部", "学部")
    assert scope.include == (A.Compare(Cmp.GT, ">", ref("学生数"), num(0, "0"), None),)
    assert scope.exclude == (A.Logic(
        "且",
        A.Compare(Cmp.EQ, "为", ref("办学类型"), text("教学点"), None),
        A.Compare(Cmp.LT, "<", ref("学生数"), num(50, "50"), None), None),)


def test_scope_over_schools_with_two_excludes() -> None:
    scope = one('范围 s 学校 排除 办学类型 为 "教学点" 排除 办学类型 不属于 ("小学", "初中")')
    assert isinstance(scope, A.ScopeDecl)
    assert scope.target == "学校" and scope.include == ()
    assert len(scope.exclude) == 2
    assert scope.exclude[1] == A.In(ref("办学类型"), (text("小学"), text("初中")), True, None)


# ---------------------------------------------------------------- indicators and arithmetic


@pytest.mark.parametrize(("keyword", "level"), [("学部指标", "学部"), ("学校指标", "学校"), ("县指标", "县区")])
def test_indicator_levels(keyword: str, level: str) -> None:
    ind = one(f"{keyword} X 计算 1 要求 ≥ 0")
    assert isinstance(ind, A.Indicator) and ind.level == level


def test_indicator_with_every_clause() -> None:
    ind = one('县指标 R1差异系数 "差异系数" 分学段 计算 差异系数(学部: R1, 权重 学生数) 单位 % '
              '要求 不超过 差异系数上限 范围 s 依据 "第五条" 说明 "按学生数加权" 保留 3 位小数 不得放宽 放宽 理由 "试点"')
    assert isinstance(ind, A.Indicator)
    assert (ind.level, ind.name, ind.title, ind.unit, ind.scope, ind.source, ind.note, ind.keep, ind.by_stage,
            ind.strict, ind.relax_reason) == (
        "县区", "R1差异系数", "差异系数", "%", "s", "第五条", "按学生数加权", 3, True, True, "试点")
    assert ind.calc == A.Call("差异系数", "学部", (ref("R1"),), ref("学生数"), None, None, None)
    assert ind.requirement == A.ReqCompare(Cmp.LE, "不超过", ref("差异系数上限"), None)


def test_national_r1_formula() -> None:
    assert calc_of("高于规定学历教师数 ÷ 学生数 × 100") == binop(
        "×", binop("÷", ref("高于规定学历教师数"), ref("学生数")), num(100, "100"))


def test_ascii_operators_are_normalised() -> None:
    assert calc_of("a * b / c") == calc_of("a × b ÷ c")
    assert calc_of("a * b / c") == binop("÷", binop("×", ref("a"), ref("b")), ref("c"))


def test_multiplication_binds_tighter_than_addition() -> None:
    assert calc_of("a + b × c - d") == binop("-", binop("+", ref("a"), binop("×", ref("b"), ref("c"))), ref("d"))


def test_operators_of_equal_precedence_associate_left() -> None:
    assert calc_of("a - b - c") == binop("-", binop("-", ref("a"), ref("b")), ref("c"))
    assert calc_of("a ÷ b ÷ c") == binop("÷", binop("÷", ref("a"), ref("b")), ref("c"))


def test_parentheses_override_precedence() -> None:
    assert calc_of("(a + b) × c") == binop("×", binop("+", ref("a"), ref("b")), ref("c"))
    assert calc_of("a ÷ (b - c)") == binop("÷", ref("a"), binop("-", ref("b"), ref("c")))


def test_unary_minus_and_plus() -> None:
    assert calc_of("-a") == A.Neg(ref("a"), None)  # type: ignore[arg-type]
    assert calc_of("+a") == ref("a")
    assert calc_of("a - -2") == binop("-", ref("a"), num(-2, "-2"))


def test_comparison_in_expression_keeps_the_word() -> None:
    assert calc_of("a 不足 b") == A.Compare(Cmp.LT, "不足", ref("a"), ref("b"), None)
    assert calc_of("a + 1 ≥ b × 2") == A.Compare(
        Cmp.GE, "≥", binop("+", ref("a"), num(1, "1")), binop("×", ref("b"), num(2, "2")), None)


def test_is_compares_with_yes_no_text_and_stage() -> None:
    assert calc_of("有章程 为 否") == A.Compare(Cmp.EQ, "为", ref("有章程"), A.Bool(False, None), None)
    assert calc_of('办学类型 为 "教学点"') == A.Compare(Cmp.EQ, "为", ref("办学类型"), text("教学点"), None)
    assert calc_of("学段 为 初中") == A.Compare(Cmp.EQ, "为", ref("学段"), A.StageLit("初中", None), None)


def test_in_and_not_in() -> None:
    assert calc_of('a 属于 ("x", "y")') == A.In(ref("a"), (text("x"), text("y")), False, None)
    assert calc_of('a 不属于 ("x")') == A.In(ref("a"), (text("x"),), True, None)


def test_and_binds_tighter_than_or_and_not_binds_tightest() -> None:
    expected = A.Logic("或", A.Logic("且", ref("a"), ref("b"), None), A.Not(ref("c"), None), None)
    assert calc_of("a 且 b 或 非 c") == expected
    assert calc_of("a 或 b 且 c") == A.Logic("或", ref("a"), A.Logic("且", ref("b"), ref("c"), None), None)


def test_comparison_binds_tighter_than_and() -> None:
    assert calc_of("a > 1 且 b < 2") == A.Logic(
        "且", A.Compare(Cmp.GT, ">", ref("a"), num(1, "1"), None),
        A.Compare(Cmp.LT, "<", ref("b"), num(2, "2"), None), None)


def test_if_then_else_expression() -> None:
    assert calc_of('若 办学类型 为 "教学点" 则 100 否则 学生数') == A.If(
        A.Compare(Cmp.EQ, "为", ref("办学类型"), text("教学点"), None), num(100, "100"), ref("学生数"), None)


def test_nested_if_in_else_branch() -> None:
    e = calc_of("若 a 则 1 否则 若 b 则 2 否则 3")
    assert isinstance(e, A.If) and isinstance(e.otherwise, A.If)
    assert e.otherwise.then == num(2, "2")


# ---------------------------------------------------------------- aggregates and functions


def test_weighted_cv_aggregate() -> None:
    assert calc_of("差异系数(学部: R1, 权重 学生数)") == A.Call(
        "差异系数", "学部", (ref("R1"),), ref("学生数"), None, None, None)


def test_count_of_schools_with_condition() -> None:
    assert calc_of("计数(学校: 有章程 为 否)") == A.Call(
        "计数", "学校", (A.Compare(Cmp.EQ, "为", ref("有章程"), A.Bool(False, None), None),), None, None, None, None)


def test_sum_over_schools_with_and_without_entity() -> None:
    assert calc_of("合计(学校: x)") == A.Call("合计", "学校", (ref("x"),), None, None, None, None)
    assert calc_of("合计(x + y)") == A.Call("合计", None, (binop("+", ref("x"), ref("y")),), None, None, None, None)


def test_aggregate_with_where_and_scope_arguments() -> None:
    e = calc_of('平均(学校: x, 当 办学类型 为 "小学", 范围 非教学点)')
    assert isinstance(e, A.Call)
    assert e.where == A.Compare(Cmp.EQ, "为", ref("办学类型"), text("小学"), None)
    assert e.scope == "非教学点"
    assert e.args == (ref("x"),)


def test_scalar_function_with_two_arguments() -> None:
    assert calc_of("最小(a, b)") == A.Call("最小", None, (ref("a"), ref("b")), None, None, None, None)


def test_ceiling_inside_requirement() -> None:
    req = req_of("不低于 向上取整((小学班数 + 初中班数) ÷ 专用教室班级基数)")
    assert isinstance(req, A.ReqCompare)
    assert req.threshold == A.Call("向上取整", None, (
        binop("÷", binop("+", ref("小学班数"), ref("初中班数")), ref("专用教室班级基数")),), None, None, None, None)


# ---------------------------------------------------------------- requirements: legal words


@pytest.mark.parametrize(("written", "op", "word"), [
    # inclusive (民法典 第一千二百五十九条: 以上、以下、以内 include the bound; so do 不低于、不超过、达到)
    ("5 以上", Cmp.GE, "以上"),
    ("5 以下", Cmp.LE, "以下"),
    ("5 以内", Cmp.LE, "以内"),
    ("不低于 5", Cmp.GE, "不低于"),
    ("不超过 5", Cmp.LE, "不超过"),
    ("达到 5", Cmp.GE, "达到"),
    ("达到 5 以上", Cmp.GE, "达到…以上"),
    ("不少于 5", Cmp.GE, "不少于"),
    ("不多于 5", Cmp.LE, "不多于"),
    # exclusive
    ("超过 5", Cmp.GT, "超过"),
    ("高于 5", Cmp.GT, "高于"),
    ("低于 5", Cmp.LT, "低于"),
    ("不足 5", Cmp.LT, "不足"),
    ("不满 5", Cmp.LT, "不满"),
    ("少于 5", Cmp.LT, "少于"),
    ("多于 5", Cmp.GT, "多于"),
    ("大于 5", Cmp.GT, "大于"),
    ("小于 5", Cmp.LT, "小于"),
    ("等于 5", Cmp.EQ, "等于"),
    # symbols
    ("≥ 5", Cmp.GE, "≥"),
    (">= 5", Cmp.GE, ">="),
    ("≤ 5", Cmp.LE, "≤"),
    ("<= 5", Cmp.LE, "<="),
    ("> 5", Cmp.GT, ">"),
    ("< 5", Cmp.LT, "<"),
    ("= 5", Cmp.EQ, "="),
    ("≠ 5", Cmp.NE, "≠"),
    ("!= 5", Cmp.NE, "!="),
    ("＞ 5", Cmp.GT, ">"),  # full-width symbol folded
])
def test_requirement_word_maps_to_operator(written: str, op: Cmp, word: str) -> None:
    req = req_of(written)
    assert req == A.ReqCompare(op, word, num(5, "5"), None)


def test_inclusive_and_exclusive_words_differ_only_at_the_bound() -> None:
    inclusive = {w: req_of(f"{w} 45").op for w in ("不超过", "不低于", "达到")}
    exclusive = {w: req_of(f"{w} 45").op for w in ("超过", "高于", "低于", "不足", "不满")}
    assert set(inclusive.values()) <= {Cmp.GE, Cmp.LE}
    assert set(exclusive.values()) <= {Cmp.GT, Cmp.LT}


def test_requirement_threshold_may_be_an_expression() -> None:
    req = req_of("不低于 标准 × 85%")
    assert isinstance(req, A.ReqCompare)
    assert req.threshold == binop("×", ref("标准"), num(Fraction(17, 20), "85%"))


def test_requirement_is_yes_and_is_no() -> None:
    assert req_of("为 是") == A.ReqCompare(Cmp.EQ, "为", A.Bool(True, None), None)
    assert req_of("为 否") == A.ReqCompare(Cmp.EQ, "为", A.Bool(False, None), None)


def test_conditional_requirement() -> None:
    req = req_of('若 办学类型 属于 ("九年一贯制学校", "十二年一贯制学校") 则 不超过 一贯制规模上限 否则 不超过 学校规模上限')
    assert req == A.ReqIf(
        A.In(ref("办学类型"), (text("九年一贯制学校"), text("十二年一贯制学校")), False, None),
        A.ReqCompare(Cmp.LE, "不超过", ref("一贯制规模上限"), None),
        A.ReqCompare(Cmp.LE, "不超过", ref("学校规模上限"), None), None)


def test_conditional_requirement_with_different_words_per_branch() -> None:
    req = req_of("若 a 则 2500 以下 否则 低于 2000")
    assert isinstance(req, A.ReqIf)
    assert (req.then.op, req.otherwise.op) == (Cmp.LE, Cmp.LT)  # type: ignore[union-attr]


@pytest.mark.parametrize(("written", "n"), [("保留 0 位小数", 0), ("保留 2 位小数", 2), ("保留 12 位小数", 12)])
def test_keep_decimals(written: str, n: int) -> None:
    ind = one(f"学校指标 X 计算 x 要求 ≥ 1 {written}")
    assert isinstance(ind, A.Indicator) and ind.keep == n


# ---------------------------------------------------------------- conclusions


def test_all_conclusion_with_list_and_range() -> None:
    con = one('县结论 资源配置 "资源配置" 要求 所有 资源配置达标、R1差异系数 至 R7差异系数 达标 依据 "第五条"')
    assert isinstance(con, A.Conclusion)
    assert (con.level, con.name, con.title, con.source) == ("县区", "资源配置", "资源配置", "第五条")
    assert con.combo == A.Combo("所有", (A.IdRef("资源配置达标", None, None), A.IdRef("R1差异系数", "R7差异系数", None)),
                                None, None, None, None, None)


def test_any_conclusion_with_comma_list_and_by_stage() -> None:
    con = one("学部结论 C 要求 任一 A, B 达标 分学段")
    assert isinstance(con, A.Conclusion)
    assert con.by_stage is True
    assert con.combo == A.Combo("任一", (A.IdRef("A", None, None), A.IdRef("B", None, None)),
                                None, None, None, None, None)


def test_at_least_six_of_seven_with_rest_at_85_percent() -> None:
    con = one("学部结论 资源配置达标 要求 R1 至 R7 中 至少 6 项 达标,其余 不低于 要求 的 85%")
    assert isinstance(con, A.Conclusion)
    assert con.combo == A.Combo("至少", (A.IdRef("R1", "R7", None),), 6, Cmp.GE, "不低于", Fraction(17, 20), None)


def test_at_least_without_rest_clause_and_with_exclusive_rest() -> None:
    plain = one("学部结论 C 要求 A、B、C 中 至少 2 项 达标")
    assert isinstance(plain, A.Conclusion) and plain.combo is not None
    assert (plain.combo.at_least, plain.combo.rest_ratio, plain.combo.rest_op) == (2, None, None)
    strict = one("学部结论 C 要求 A、B 中 至少 1 项 达标 其余 超过 要求 的 90%")
    assert isinstance(strict, A.Conclusion) and strict.combo is not None
    assert (strict.combo.rest_op, strict.combo.rest_ratio) == (Cmp.GT, Fraction(9, 10))


@pytest.mark.parametrize(("keyword", "level"), [("学部结论", "学部"), ("学校结论", "学校"), ("县结论", "县区")])
def test_conclusion_levels(keyword: str, level: str) -> None:
    con = one(f"{keyword} C 要求 所有 A 达标")
    assert isinstance(con, A.Conclusion) and con.level == level


# ---------------------------------------------------------------- layering statements


def test_modify_parameter_values_and_source() -> None:
    mod = one('修改 参数 高学历教师标准 = 小学 4.5 依据 "某省文件"')
    assert isinstance(mod, A.Modify)
    assert (mod.kind, mod.name) == ("参数", "高学历教师标准")
    assert mod.clauses == (
        ("values", (A.ParamValues((("小学", num(Fraction(9, 2), "4.5")),), None, None),)),
        ("source", "某省文件"),
    )


def test_modify_indicator_requirement_and_calc() -> None:
    mod = one("修改 学部指标 R1 要求 达到 5 以上 计算 a")
    assert isinstance(mod, A.Modify)
    assert mod.kind == "学部指标"
    assert dict(mod.clauses) == {"req": A.ReqCompare(Cmp.GE, "达到…以上", num(5, "5"), None), "calc": ref("a")}


def test_modify_conclusion_combo() -> None:
    mod = one("修改 学部结论 资源配置达标 要求 所有 R1 达标")
    assert isinstance(mod, A.Modify)
    assert mod.clauses[0][0] == "combo"


def test_modify_with_dated_values() -> None:
    mod = one("修改 参数 p 值 小学 5 自 2026-09-01")
    assert isinstance(mod, A.Modify)
    (values,) = dict(mod.clauses)["values"]  # type: ignore[misc]
    assert values.effective == date(2026, 9, 1)


def test_add_wraps_any_declaration() -> None:
    added = stmts("新增 参数 新参数 = 1\n新增 县指标 N 计算 1 要求 ≥ 1\n新增 字段 县区 f 是否")
    assert [type(a.decl).__name__ for a in added] == ["ParamDecl", "Indicator", "FieldDecl"]  # type: ignore[attr-defined]
    assert all(isinstance(a, A.Add) for a in added)


@pytest.mark.parametrize("kind", ["参数", "字段", "学部指标", "学校指标", "县指标", "学部结论", "学校结论", "县结论",
                                  "范围", "学部字段"])
def test_remove_with_reason(kind: str) -> None:
    rem = one(f'删除 {kind} X 理由 "本省不适用"')
    assert rem == A.Remove(kind, "X", "本省不适用", None)


def test_remove_without_reason_is_a_syntax_error() -> None:
    d = syntax_error("规则集 乙\n删除 县指标 G6")
    assert d.code == "E104"  # type: ignore[attr-defined]


# ---------------------------------------------------------------- full-width input, comments, BOM, CRLF


def test_full_width_punctuation_and_digits_equal_half_width() -> None:
    wide = stmts("参数 p ＝ 小学 ４．２，初中 ５．３\n"
                 "学部 小学 当 办学类型 属于 （“小学”，“教学点”）\n"
                 "县指标 X 分学段 计算 差异系数（学部：R1，权重 学生数） 要求 ≤ ８５％")
    narrow = stmts('参数 p = 小学 4.2, 初中 5.3\n'
                   '学部 小学 当 办学类型 属于 ("小学", "教学点")\n'
                   "县指标 X 分学段 计算 差异系数(学部: R1, 权重 学生数) 要求 ≤ 85%")
    assert wide == narrow


def test_full_width_quotes_delimit_strings_and_keep_inner_text() -> None:
    param = one("参数 p “每百名学生（含教学点）” = 1")
    assert isinstance(param, A.ParamDecl)
    assert param.title == "每百名学生（含教学点）"


def test_fold_is_length_preserving() -> None:
    s = "（）：，；“”＝＋－＊／＜＞％．！０１２３４５６７８９ＡＺａｚ"
    assert len(fold(s)) == len(s)
    assert fold("４．２％") == "4.2%"


def test_comments_bom_crlf_and_ideographic_space_are_ignored() -> None:
    plain = stmts("参数 p = 1 单位 人\n")
    fancy = parse_text("\ufeff规则集 甲  # 头部注释\r\n\u3000参数 p = 1  # 行尾注释\r\n\t单位 人\r\n", "t.rule")
    assert strip_spans(fancy.statements) == plain


def test_bom_keeps_columns_of_the_first_line() -> None:
    f = parse_text("\ufeff规则集 甲 文号 \"x\"", "t.rule")
    assert f.header is not None and f.header.span.column == 2


# ---------------------------------------------------------------- spans


def test_spans_count_characters_not_bytes_or_cells() -> None:
    f = parse_text("规则集 甲\n学部指标 R1 计算 高于规定学历教师数 ÷ 学生数 要求 ≥ 1", "s.rule")
    ind = f.statements[0]
    assert isinstance(ind, A.Indicator) and isinstance(ind.calc, A.BinOp)
    left, right = ind.calc.left, ind.calc.right
    assert (left.span.line, left.span.column, left.span.end_column) == (2, 12, 21)
    assert (right.span.column, right.span.end_column) == (24, 27)
    assert ind.span.file == "s.rule"


# ---------------------------------------------------------------- the lexing rule for Chinese names


@pytest.mark.parametrize("name", ["高于规定学历教师数", "超过45人班数", "不足50人教学点数", "低于标准数", "达到标准数",
                                  "至少项数", "学部数", "计算值", "要求值", "所有学校数", "以上人数", "非寄宿数"])
def test_names_containing_keywords_are_single_names_in_calc(name: str) -> None:
    assert calc_of(name) == ref(name)
    assert calc_of(f"{name} ÷ 学生数 × 100") == binop("×", binop("÷", ref(name), ref("学生数")), num(100, "100"))
    assert calc_of(f"合计(学校: {name})") == A.Call("合计", "学校", (ref(name),), None, None, None, None)


@pytest.mark.parametrize("name", ["高于规定学历教师数", "超过45人班数", "不足50人教学点数", "整数值", "单位数", "必需品数"])
def test_names_containing_keywords_are_single_names_in_fields(name: str) -> None:
    field = one(f'字段 学校 {name} "标题" 整数 单位 人 必需')
    assert isinstance(field, A.FieldDecl)
    assert (field.name, field.type, field.unit, field.required) == (name, "整数", "人", True)


def test_names_containing_keywords_are_single_names_as_thresholds() -> None:
    assert req_of("不低于 高于规定标准") == A.ReqCompare(Cmp.GE, "不低于", ref("高于规定标准"), None)
    assert req_of("高于规定标准 以上") == A.ReqCompare(Cmp.GE, "以上", ref("高于规定标准"), None)


def test_keyword_separated_by_spaces_is_a_keyword() -> None:
    assert calc_of("a 不低于 b") == A.Compare(Cmp.GE, "不低于", ref("a"), ref("b"), None)


def test_keyword_alone_where_a_name_is_needed_is_e101() -> None:
    d = syntax_error("规则集 甲\n参数 要求 = 1")
    assert d.code == "E101"  # type: ignore[attr-defined]
    assert "要求" in d.message  # type: ignore[attr-defined]
    assert (d.location.line, d.location.column) == (2, 4)  # type: ignore[attr-defined]


def test_calc_missing_its_expression_reports_the_next_keyword() -> None:
    d = syntax_error("规则集 甲\n学部指标 R 计算 要求 ≥ 1")
    assert d.code == "E101"  # type: ignore[attr-defined]
    assert "要求" in d.message  # type: ignore[attr-defined]
    assert (d.location.line, d.location.column) == (2, 11)  # type: ignore[attr-defined]


def test_name_glued_to_keyword_after_an_operand_is_e101_naming_the_whole_run() -> None:
    d = syntax_error("规则集 甲\n学部指标 R 计算 a 规定高于b 要求 为 是")
    assert d.code == "E101"  # type: ignore[attr-defined]
    assert "规定高于b" in d.message  # type: ignore[attr-defined]
    assert (d.location.column, d.location.end_column) == (13, 18)  # type: ignore[attr-defined]


def test_name_glued_to_keyword_hint_asks_for_spaces() -> None:
    d = syntax_error("规则集 甲\n学部指标 R 计算 a 规定高于b 要求 为 是")
    assert "空格" in (d.hint or "")  # type: ignore[attr-defined]
    assert "高于" in (d.hint or "")  # type: ignore[attr-defined]


def test_keyword_glued_to_following_name_in_comparison_is_rejected() -> None:
    d = syntax_error("规则集 甲\n学部指标 R 计算 a 不低于b 要求 为 是")
    assert d.code.startswith("E1")  # type: ignore[attr-defined]
    assert "空格" in (d.hint or "")  # type: ignore[attr-defined]


def test_entity_keyword_glued_to_field_name_is_rejected() -> None:
    with pytest.raises(RuleError) as info:
        parse_text('规则集 甲\n字段 学校名称 "学校名称" 文本', "t.rule")
    assert info.value.diagnostics[0].code == "E101"


def test_glued_at_least_count_is_rejected() -> None:
    d = syntax_error("规则集 甲\n学部结论 C 要求 R1 至 R7 中 至少6项 达标")
    assert d.code.startswith("E1")  # type: ignore[attr-defined]
    assert "空格" in (d.hint or "")  # type: ignore[attr-defined]


def test_glued_range_words_become_one_unknown_id() -> None:
    # `R1至R7` is one name (not the range R1 至 R7); the checker then reports it as undefined.
    con = one("学部结论 C 要求 R1至R7 中 至少 6 项 达标")
    assert isinstance(con, A.Conclusion) and con.combo is not None
    assert con.combo.items == (A.IdRef("R1至R7", None, None),)


# ---------------------------------------------------------------- syntax errors


def test_stray_character_is_e102_at_its_column() -> None:
    d = syntax_error("规则集 甲\n参数 高学历教师标准 = 4.2 @")
    assert d.code == "E102"  # type: ignore[attr-defined]
    assert "@" in d.message  # type: ignore[attr-defined]
    assert (d.location.line, d.location.column) == (2, 18)  # type: ignore[attr-defined]


def test_unclosed_string_is_e103() -> None:
    d = syntax_error('规则集 甲\n参数 p "每百名学生 = 1\n')
    assert d.code == "E103"  # type: ignore[attr-defined]
    assert (d.location.line, d.location.column) == (2, 6)  # type: ignore[attr-defined]


def test_file_ending_mid_rule_is_e104_at_the_end() -> None:
    d = syntax_error("规则集 甲\n学部指标 R 计算 a 要求 不低于")
    assert d.code == "E104"  # type: ignore[attr-defined]
    assert (d.location.line, d.location.column) == (2, 19)  # type: ignore[attr-defined]
    assert "表达式" in (d.hint or "")  # type: ignore[attr-defined]


def test_unclosed_parenthesis_is_e104_asking_for_the_parenthesis() -> None:
    d = syntax_error("规则集 甲\n县指标 X 计算 差异系数(学部: R1, 权重 学生数")
    assert d.code == "E104"  # type: ignore[attr-defined]
    assert ")" in (d.hint or "")  # type: ignore[attr-defined]


@pytest.mark.parametrize("bad_date", ["2017-02-30", "2017-13-01", "2017年2月30日", "2023-02-29"])
def test_impossible_date_is_e107(bad_date: str) -> None:
    d = syntax_error(f"规则集 甲\n参数 p = 1 自 {bad_date}")
    assert d.code == "E107"  # type: ignore[attr-defined]
    assert bad_date in d.message  # type: ignore[attr-defined]


def test_leap_day_is_a_real_date() -> None:
    param = one("参数 p = 1 自 2024-02-29")
    assert isinstance(param, A.ParamDecl) and param.values[0].effective == date(2024, 2, 29)


def test_impossible_issue_date_in_header_is_e107() -> None:
    d = syntax_error("规则集 甲 发布日期 2017-02-30")
    assert d.code == "E107"  # type: ignore[attr-defined]


@pytest.mark.parametrize("written", ["保留 13 位小数", "保留 2.5 位小数"])
def test_bad_decimal_places_is_e108(written: str) -> None:
    d = syntax_error(f"规则集 甲\n学校指标 X 计算 x 要求 ≥ 1 {written}")
    assert d.code == "E108"  # type: ignore[attr-defined]


def test_fractional_item_count_is_e108() -> None:
    d = syntax_error("规则集 甲\n学部结论 C 要求 R1 至 R7 中 至少 6.5 项 达标")
    assert d.code == "E108"  # type: ignore[attr-defined]


@pytest.mark.parametrize("char", ["$", "😀", "；"])
def test_other_stray_characters_are_e102(char: str) -> None:
    d = syntax_error(f"规则集 甲\n参数 p = 1 {char}")
    assert d.code == "E102"  # type: ignore[attr-defined]
    assert d.location.column == 10  # type: ignore[attr-defined]


def test_invisible_stray_character_is_named_by_code_point() -> None:
    d = syntax_error("规则集 甲\n参数 p = 1\u200b")
    assert d.code == "E102"  # type: ignore[attr-defined]
    assert "U+200B" in d.message  # type: ignore[attr-defined]


def test_parse_error_carries_the_path() -> None:
    with pytest.raises(RuleError) as info:
        parse_text("规则集 甲\n参数 p = @", "省/某省.rule")
    assert info.value.diagnostics[0].location.file == "省/某省.rule"  # type: ignore[union-attr]


def test_parse_file_reads_utf8_with_bom_and_rejects_gbk(tmp_path: Path) -> None:
    good = tmp_path / "好.rule"
    good.write_bytes("\ufeff规则集 甲\n参数 p = 1\n".encode())
    assert parse_file(good).header is not None
    bad = tmp_path / "坏.rule"
    bad.write_bytes("规则集 甲\n参数 p = 1\n".encode("gbk"))
    with pytest.raises(RuleError) as info:
        parse_file(bad)
    assert info.value.diagnostics[0].code == "E106"
    with pytest.raises(RuleError) as missing:
        parse_file(tmp_path / "不存在.rule")
    assert missing.value.diagnostics[0].code == "E105"
