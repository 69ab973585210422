"""Layering: every operation, every layering error (golden, both locations), chains, the floor."""

from __future__ import annotations

from datetime import date
from fractions import Fraction
from pathlib import Path

import pytest

from engine.interpreter import load_rules
from engine.interpreter.diff import diff_rules, same_meaning
from engine.interpreter.errors import RuleError
from engine.interpreter.parse import parse_text
from engine.render.diagnostics import render_diagnostics

NATIONAL = Path(__file__).resolve().parent.parent / "rules" / "national"
GOLDEN = Path(__file__).resolve().parent / "golden" / "layering"


def make_rules(tmp_path: Path, files: dict[str, str]) -> Path:
    """A rules folder holding the real national pack plus the given province/city files."""
    root = tmp_path / "rules"
    (root / "national").mkdir(parents=True)
    for f in NATIONAL.glob("*.rule"):
        (root / "national" / f.name).write_text(f.read_text(encoding="utf-8"), encoding="utf-8")
    for rel, text in files.items():
        p = root / "provinces" / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    return root


def errors(root: Path, name: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(root.parent)
    with pytest.raises(RuleError) as info:
        load_rules(name, Path("rules"))
    return render_diagnostics(info.value.diagnostics)


def golden(name: str, text: str, request: pytest.FixtureRequest) -> None:
    path = GOLDEN / f"{name}.txt"
    if request.config.getoption("--update-goldens", default=False) or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n", encoding="utf-8")
    assert text + "\n" == path.read_text(encoding="utf-8")


HEAD = '规则集 甲省 "甲省实施细则" 继承 国家 文号 "甲教督〔2020〕1号"\n'


# ---------------------------------------------------------------- operations


def test_modify_parameter_changes_only_the_stages_written(tmp_path: Path) -> None:
    root = make_rules(tmp_path, {"甲省/a.rule": HEAD + '修改 参数 高学历教师标准 = 小学 4.5 依据 "第三条"\n'})
    rs = load_rules("甲省", root).ruleset
    values = {s: n.value for s, n in rs.params["高学历教师标准"].decl.values[0].by_stage}
    assert values == {"小学": Fraction(9, 2), "初中": Fraction(53, 10)}
    history = rs.params["高学历教师标准"].history
    assert [(c.layer, c.op) for c in history] == [("国家", "定义"), ("甲省", "修改")]
    assert history[-1].source == "第三条"


def test_modify_indicator_requirement_and_scope(tmp_path: Path) -> None:
    root = make_rules(tmp_path, {"甲省/a.rule": HEAD + (
        '新增 范围 大学部 "100人以上" 学部 排除 学生数 < 100\n'
        '修改 学部指标 R1 要求 达到 6 以上 范围 大学部 放宽 理由 "范围改为100人以上的学部"\n')})
    rs = load_rules("甲省", root).ruleset
    r1 = rs.items["R1"].decl
    assert r1.scope == "大学部"  # type: ignore[union-attr]
    assert rs.items["R1"].history[-1].layer == "甲省"


def test_add_field_and_indicator(tmp_path: Path) -> None:
    root = make_rules(tmp_path, {"甲省/a.rule": HEAD + (
        '新增 字段 学校 图书册数 "图书册数" 整数 单位 册\n'
        '新增 学校指标 生均图书 "生均图书册数" 计算 图书册数 ÷ (小学生数 + 初中生数) 单位 册/人 要求 不低于 25\n')})
    rs = load_rules("甲省", root).ruleset
    assert "图书册数" in rs.fields and rs.items["生均图书"].history[0].op == "新增"


def test_remove_with_reason_and_fix_the_conclusion(tmp_path: Path) -> None:
    root = make_rules(tmp_path, {"甲省/a.rule": HEAD + (
        '删除 县指标 G6 理由 "本省以生均公用经费标准另行规定"\n'
        '修改 县结论 政府保障程度 要求 所有 G1、G2、G3、G4、G5、G7、G8、G9、G10、G11、G12、G13、G14、G15 达标\n')})
    rs = load_rules("甲省", root).ruleset
    assert "G6" not in rs.items and rs.removed["G6"][1] == "本省以生均公用经费标准另行规定"


def test_chain_national_province_city(tmp_path: Path) -> None:
    root = make_rules(tmp_path, {
        "甲省/a.rule": HEAD + '修改 参数 特教公用经费标准 = 7000 依据 "甲 第六条"\n',
        "甲省/乙市/b.rule": '规则集 乙市 "乙市细则" 继承 甲省 文号 "乙教督〔2021〕2号"\n'
                           '修改 参数 特教公用经费标准 = 8000 依据 "乙 第二条"\n',
    })
    rs = load_rules("乙市", root).ruleset
    assert [layer.name for layer in rs.layers] == ["国家", "甲省", "乙市"]
    assert [c.layer for c in rs.params["特教公用经费标准"].history] == ["国家", "甲省", "乙市"]
    assert rs.params["特教公用经费标准"].decl.values[0].by_stage[0][1].value == 8000


def test_tighten_is_allowed_and_relax_needs_a_reason(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ok = make_rules(tmp_path / "ok", {"甲省/a.rule": HEAD + "修改 参数 班额上限 = 小学 40\n修改 参数 运动场馆标准 = 小学 8\n"})
    assert load_rules("甲省", ok).ruleset.params["班额上限"].history[-1].layer == "甲省"
    with_reason = make_rules(tmp_path / "why", {"甲省/a.rule": HEAD + '修改 参数 运动场馆标准 = 小学 7 放宽 理由 "山区"\n'})
    assert load_rules("甲省", with_reason).ruleset.params["运动场馆标准"].history[-1].relax == "山区"


# ---------------------------------------------------------------- errors (golden, both locations)

ERROR_CASES = {
    "modify_missing": HEAD + "修改 参数 高学历教师标隼 = 小学 4.5\n",
    "remove_missing": HEAD + '删除 县指标 G16 理由 "无"\n',
    "kind_mismatch": HEAD + "修改 县指标 R1 要求 达到 5 以上\n",
    "redefine_without_modify": HEAD + '参数 班额上限 = 小学 40, 初中 45\n',
    "relax_without_reason": HEAD + "修改 参数 运动场馆标准 = 小学 7\n",
    "relax_maximum": HEAD + "修改 参数 班额上限 = 初中 55\n",
    "relax_indicator_formula": HEAD + "修改 学部指标 R4 计算 教学及辅助用房面积 ÷ 学生数 × 1.1\n",
    "relax_indicator_threshold": HEAD + "修改 学部指标 R1 要求 达到 5 以上\n",
    "remove_strict": HEAD + '删除 参数 差异系数上限 理由 "不用"\n',
    "removed_still_used": HEAD + '删除 县指标 G6 理由 "另行规定"\n',
    "unknown_parent": '规则集 甲省 继承 国家队\n修改 参数 班额上限 = 小学 40\n',
}


@pytest.mark.parametrize("name", sorted(ERROR_CASES))
def test_layering_error_golden(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                               request: pytest.FixtureRequest) -> None:
    root = make_rules(tmp_path, {"甲省/a.rule": ERROR_CASES[name]})
    golden(name, errors(root, "甲省", monkeypatch), request)


def test_two_files_of_one_layer_changing_the_same_item(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        request: pytest.FixtureRequest) -> None:
    root = make_rules(tmp_path, {"甲省/a.rule": HEAD + "修改 参数 班额上限 = 小学 40\n",
                                 "甲省/b.rule": "规则集 甲省\n修改 参数 班额上限 = 小学 42\n"})
    text = errors(root, "甲省", monkeypatch)
    assert "E302" in text and "a.rule" in text and "b.rule" in text
    golden("two_files_same_item", text, request)


def test_inheritance_cycle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> None:
    root = make_rules(tmp_path, {"甲省/a.rule": "规则集 甲省 继承 乙省\n", "乙省/b.rule": "规则集 乙省 继承 甲省\n"})
    text = errors(root, "甲省", monkeypatch)
    assert "E303" in text
    golden("inheritance_cycle", text, request)


def test_error_codes_of_each_case(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = {"modify_missing": "E301", "remove_missing": "E301", "kind_mismatch": "E306",
                "redefine_without_modify": "E309", "relax_without_reason": "E311", "relax_maximum": "E311",
                "relax_indicator_formula": "E311", "relax_indicator_threshold": "E311", "remove_strict": "E311", "removed_still_used": "E201",
                "unknown_parent": "E304"}
    for name, code in expected.items():
        root = make_rules(tmp_path / name, {"甲省/a.rule": ERROR_CASES[name]})
        assert code in errors(root, "甲省", monkeypatch), name


# ---------------------------------------------------------------- diff


def test_formulas_written_differently_diff_as_equal() -> None:
    a = parse_text("规则集 甲\n学部指标 X 计算 a × 100 ÷ b 要求 ≥ 1", "a").statements[0]
    b = parse_text("规则集 甲\n学部指标 X 计算 100 × a ÷ b 要求 ≥ 1", "b").statements[0]
    c = parse_text("规则集 甲\n学部指标 X 计算 a ÷ b × 10 要求 ≥ 1", "c").statements[0]
    assert same_meaning(a.calc, b.calc)  # type: ignore[union-attr]
    assert not same_meaning(a.calc, c.calc)  # type: ignore[union-attr]


def test_rewritten_formula_is_no_difference(tmp_path: Path) -> None:
    root = make_rules(tmp_path, {"甲省/a.rule": HEAD + "修改 学部指标 R1 计算 100 × 高于规定学历教师数 ÷ 学生数\n"})
    changes = diff_rules(load_rules("国家", root).checked, load_rules("甲省", root).checked, date(2026, 1, 1))
    assert changes == []


def test_diff_reports_direction(tmp_path: Path) -> None:
    root = make_rules(tmp_path, {"甲省/a.rule": HEAD + "修改 参数 班额上限 = 小学 40\n修改 参数 高学历教师标准 = 初中 5.5\n"})
    changes = {c.name: c for c in diff_rules(load_rules("国家", root).checked, load_rules("甲省", root).checked,
                                             date(2026, 1, 1))}
    assert changes["班额上限"].direction == "更严" and changes["高学历教师标准"].direction == "更严"
    assert "初中 5.3" in changes["高学历教师标准"].detail and "初中 5.5" in changes["高学历教师标准"].detail
