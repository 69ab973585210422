"""The 2012 基本均衡 standard (rules/基本均衡/): a second base rule set written as rule files only.

The sample's 综合差异系数 is recomputed here from the CSV, independently of the engine:
exact fractions for the per-student values and means, a 40-digit decimal square root for
each CV, and the unrounded mean of the 8 CVs.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from datetime import date
from decimal import Decimal, localcontext
from fractions import Fraction
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import RULES_DIR, SAMPLE_DIR, make_facts

from cli.main import cli
from engine.interpreter import ast as A
from engine.interpreter import evaluate, load_rules
from engine.render.rows import result_rows

REPO = Path(__file__).resolve().parent.parent
WEIGHT = {"小学": Fraction(1), "初中": Fraction(11, 10), "高中": Fraction(132, 100)}
STAGES = {"小学": ("小学", "九年一贯制学校", "十二年一贯制学校"),  # 教学点 are left out of the 2012 CVs
          "初中": ("初中", "九年一贯制学校", "完全中学", "十二年一贯制学校")}
# (numerator, whole-school facility shared by weighted students?, factor)
EIGHT = [("教学及辅助用房面积", True, 1), ("体育运动场馆面积", True, 1), ("教学仪器设备值", True, 10000),
         ("计算机台数", True, 100), ("图书册数", True, 1), ("专任教师数", False, 1),
         ("高于规定学历教师数", False, 1), ("中级及以上职称教师数", False, 1)]


def _rows(folder: Path, table: str = "学校表") -> list[dict[str, str]]:
    with (folder / f"{table}.csv").open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def _cv(pairs: list[tuple[Fraction, Fraction]]) -> Decimal:
    total = sum(p for p, _ in pairs)
    mean = sum(p * x for p, x in pairs) / total
    var = sum(p * (x - mean) ** 2 for p, x in pairs) / total
    with localcontext() as ctx:
        ctx.prec = 40
        return (Decimal(var.numerator) / Decimal(var.denominator)).sqrt() / (
            Decimal(mean.numerator) / Decimal(mean.denominator))


def hand_composite(folder: Path) -> dict[str, tuple[Decimal, list[Decimal]]]:
    """综合差异系数 per 学段 and its 8 CVs, from the sample's 学校表.csv."""
    out = {}
    for stage, kinds in STAGES.items():
        per_ind: list[list[tuple[Fraction, Fraction]]] = [[] for _ in EIGHT]
        for s in _rows(folder):
            if s["办学类型"] not in kinds:
                continue
            n = {st: Fraction(s[f"{st}生数"]) for st in WEIGHT}
            share = n[stage] * WEIGHT[stage] / sum(n[st] * WEIGHT[st] for st in WEIGHT)
            for i, (col, facility, k) in enumerate(EIGHT):
                amount = Fraction(s[col]) * share if facility else Fraction(s[f"{stage}{col}"])
                per_ind[i].append((n[stage], amount * k / n[stage]))
        cvs = [_cv(pairs) for pairs in per_ind]
        with localcontext() as ctx:
            ctx.prec = 40
            out[stage] = (sum(cvs) / 8, cvs)
    return out


@pytest.fixture(scope="module")
def basic():  # type: ignore[no-untyped-def]
    return load_rules("基本均衡", RULES_DIR)


def _eval_json(*args: str) -> dict[str, object]:
    out = CliRunner().invoke(cli, ["eval", "--format", "json", "--date", "2024-12-31", *args])
    assert out.exit_code == 0, out.output
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def test_a_separate_base_rule_set_not_inheriting_national(basic) -> None:  # type: ignore[no-untyped-def]
    rs = basic.ruleset
    assert [layer.name for layer in rs.layers] == ["基本均衡"]
    assert rs.docno == "教督〔2012〕3号" and rs.title == "县域义务教育均衡发展督导评估暂行办法"
    assert not any(name.startswith("R") and name[1:].isdigit() for name in rs.items)
    # the new columns are optional, so data in the 2017 template still load
    optional = {"计算机台数", "图书册数", "小学中级及以上职称教师数", "初中中级及以上职称教师数",
                "达到办学基本标准", "县级政府推进工作得分", "公众满意度"}
    assert all(not rs.fields[name].decl.required for name in optional)
    # five facility quantities are split, teachers are not
    (split,) = rs.splits.values()
    assert set(split.decl.items) == {"教学及辅助用房面积", "体育运动场馆面积", "教学仪器设备值", "计算机台数", "图书册数"}


@pytest.mark.parametrize("folder", [SAMPLE_DIR, SAMPLE_DIR / "2024"], ids=["2023", "2024"])
def test_composite_cv_matches_the_hand_calculation(basic, folder: Path) -> None:  # type: ignore[no-untyped-def]
    facts = make_facts(_rows(folder), _rows(folder, "县区表"), basic.ruleset)
    results = evaluate(basic, facts, date(2024, 12, 31))
    rows = {(r["编号"], r["学段"]): r for r in result_rows(results)}
    exact = results.exact()
    item = results.items["综合差异系数"]
    decl = basic.ruleset.items["综合差异系数"].decl
    assert isinstance(decl, A.Indicator) and decl.calc is not None
    for stage, (mean8, cvs) in hand_composite(folder).items():
        row = rows[("综合差异系数", stage)]
        assert abs(Decimal(row["值"]) - mean8) < Decimal("0.0000005"), stage   # 6 decimals, half up
        assert row["结论"] == "达标"
        # the engine's exact value (40-digit roots) agrees far beyond the printed decimals
        r = list(results.env.frames[item.fkey].stage).index(stage)
        engine = exact.value(decl.calc, item.fkey, r)
        assert isinstance(engine, Fraction)
        assert abs(Decimal(engine.numerator) / Decimal(engine.denominator) - mean8) < Decimal("1e-25")
        assert all(Decimal("0.03") < cv < Decimal("0.7") for cv in cvs)


def test_sample_figures_are_the_published_expected_ones() -> None:
    expected = json.loads((SAMPLE_DIR / "expected.json").read_text(encoding="utf-8"))["基本均衡"]
    hand = hand_composite(SAMPLE_DIR)
    for stage, (mean8, cvs) in hand.items():
        assert expected["综合差异系数"][stage] == str(mean8.quantize(Decimal("0.000001")))
        assert list(expected["差异系数"][stage].values()) == [str(cv.quantize(Decimal("0.000001"))) for cv in cvs]
    doc = _eval_json("--rules", "基本均衡")
    got = {r["学段"]: r["值"] for r in doc["结果"] if r["编号"] == "综合差异系数"}  # type: ignore[attr-defined, index]
    assert got == {"小学": "0.154673", "初中": "0.132998"}
    county = {r["编号"]: r["结论"] for r in doc["结果"] if r["学段"] is None}  # type: ignore[attr-defined, index]
    assert county == {"校际均衡": "达标", "门槛": "达标", "推进工作": "达标", "满意度": "达标", "基本均衡": "达标"}


def _two_schools(basic, a: Fraction | int, b: Fraction | int, books: tuple[int, int] | None = None):  # type: ignore[no-untyped-def]
    """Two 1000-student 小学 whose 8 per-student values are a and b (times a scale), so each CV = |a−b| ÷ (a+b)."""
    def school(sid: str, x: int, book: int) -> dict[str, object]:
        return {"学校标识码": sid, "学校名称": sid, "县区": "测试县", "办学类型": "小学", "小学生数": 1000,
                "初中生数": 0, "高中生数": 0, "小学专任教师数": x, "初中专任教师数": 0, "小学高于规定学历教师数": x,
                "初中高于规定学历教师数": 0, "小学中级及以上职称教师数": x, "初中中级及以上职称教师数": 0,
                "教学及辅助用房面积": x * 100, "体育运动场馆面积": x * 100, "教学仪器设备值": x,
                "计算机台数": x, "图书册数": book}
    ba, bb = books or (int(a) * 100, int(b) * 100)
    facts = make_facts([school("2100000001", int(a), ba), school("2100000002", int(b), bb)],
                       [{"县区": "测试县", "达到办学基本标准": "是", "县级政府推进工作得分": 90, "公众满意度": 90}],
                       basic.ruleset)
    results = evaluate(basic, facts, date(2024, 12, 31))
    return {(r["编号"], r["学段"]): r for r in result_rows(results)}


def test_exactly_at_the_bound_passes_and_just_over_fails(basic) -> None:  # type: ignore[no-untyped-def]
    # 165 vs 35 per 1000 students: each CV = 130 / 200 = 0.65 exactly; the mean is 0.65 → 不超过 passes
    rows = _two_schools(basic, 165, 35)
    assert rows[("综合差异系数", "小学")]["值"] == "0.65"
    assert rows[("综合差异系数", "小学")]["结论"] == "达标"
    assert rows[("基本均衡", None)]["结论"] == "达标"
    # one CV a hair higher (books 16,501 vs 3,500): the mean exceeds 0.65 → 未达标
    rows = _two_schools(basic, 165, 35, books=(16501, 3500))
    over = Fraction(7, 8) * Fraction(13, 20) + Fraction(1, 8) * Fraction(13001, 20001)
    assert over > Fraction(65, 100)
    assert rows[("综合差异系数", "小学")]["结论"] == "未达标"
    assert rows[("校际均衡", None)]["结论"] == "未达标"


def test_single_cvs_have_no_cap(basic) -> None:  # type: ignore[no-untyped-def]
    # books 0.9 apart and everything else equal: one CV of 0.9, composite 0.1125 → passes
    rows = _two_schools(basic, 100, 100, books=(57000, 3000))
    assert rows[("综合差异系数", "小学")]["值"] == "0.1125"
    assert rows[("综合差异系数", "小学")]["结论"] == "达标"


def test_data_without_the_new_columns_still_evaluate(tmp_path: Path) -> None:
    """A 2017-template 学校表 (no 计算机台数 …) loads under 基本均衡: 数据缺失 and a warning, not an error."""
    new = {"计算机台数", "图书册数", "小学中级及以上职称教师数", "初中中级及以上职称教师数"}
    rows = _rows(SAMPLE_DIR)
    columns = [c for c in rows[0] if c not in new]
    with (tmp_path / "学校表.csv").open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.DictWriter(f, columns, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    doc = _eval_json("--rules", "基本均衡", "--schools", str(tmp_path / "学校表.csv"),
                     "--counties", str(SAMPLE_DIR / "县区表.csv"))
    verdicts = {(r["编号"], r["学段"]): r["结论"] for r in doc["结果"]}  # type: ignore[attr-defined, index]
    assert verdicts[("综合差异系数", "小学")] == "数据缺失" and verdicts[("基本均衡", None)] == "数据缺失"
    assert any("W452" in w and "计算机台数" in w for w in doc["警告"])  # type: ignore[attr-defined]
    out = CliRunner().invoke(cli, ["diff", "国家", "基本均衡", "--schools", str(tmp_path / "学校表.csv"),
                                   "--counties", str(SAMPLE_DIR / "县区表.csv")])
    assert out.exit_code == 0, out.output


def test_diff_between_the_2017_and_2012_standards_reads_sensibly() -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, "-m", "cli.main", "diff", "国家", "基本均衡", "--date", "2024-12-31"],
                         cwd=REPO, env=env, capture_output=True, text=True, encoding="utf-8", check=False)
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert text.startswith("规则集比较:国家 → 基本均衡")
    assert "新增 参数 综合差异系数上限:= 小学 0.65、初中 0.55" in text
    assert "新增 指标 综合差异系数:综合差异系数" in text
    assert "删除 指标 R1:B 中没有此项" in text and "删除 结论 优质均衡" in text
    assert "新增 字段 计算机台数" in text and "新增 范围 差异系数学部" in text
    # the shared columns (学生数, 专任教师 …) are the same declaration in both: not listed
    assert "字段 小学生数" not in text
    assert "没有任何结论发生变化" in text  # no item is common to both standards


def test_hebei_threshold_replaces_the_national_hook() -> None:
    hebei = load_rules("河北基本均衡", RULES_DIR)
    rs = hebei.ruleset
    assert [layer.name for layer in rs.layers] == ["基本均衡", "河北基本均衡"]
    assert isinstance(rs.items["门槛"].decl, A.Conclusion)           # was a 县指标 reading 是/否
    assert "达到办学基本标准" in rs.removed and "达到办学基本标准" not in rs.fields
    combo = rs.items["办学基本标准"].decl.combo  # type: ignore[union-attr]
    assert combo is not None and combo.at_least == 8 and combo.rest_ratio == Fraction(60, 100)
    doc = _eval_json("--rules", "河北基本均衡")
    county = {r["编号"]: r["结论"] for r in doc["结果"] if r["对象"] == "县区" and r["学段"] is None}  # type: ignore[attr-defined, index]
    # the sample (示例省) has no 河北 columns: the 门槛 is 数据缺失, the rest as under 基本均衡
    assert county["门槛"] == "数据缺失" and county["校际均衡"] == "达标"
