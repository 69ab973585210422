"""Exact bounds and the two hand-computed formulas (weighted CV, 1:1.1 split), end to end."""

from __future__ import annotations

import math
from fractions import Fraction
from types import SimpleNamespace

import numpy as np
import pytest

from engine.interpreter import evaluate as run
from engine.interpreter import load_rules
from engine.interpreter.frames import FAIL, NOT_APPLICABLE, PASS

RULES = load_rules("国家")

BASE = {
    "学校标识码": "2100000001", "学校名称": "甲小学", "县区": "测试县", "办学类型": "小学", "城乡": "城区",
    "寄宿制": 0.0, "建成年份": 2000, "小学生数": 1000, "初中生数": 0, "高中生数": 0, "小学班数": 24,
    "初中班数": 0, "小学最大班额": 45, "初中最大班额": 0, "小学大班额班数": 0, "初中大班额班数": 0,
    "小学专任教师数": 60, "初中专任教师数": 0, "小学高于规定学历教师数": 50, "初中高于规定学历教师数": 0,
    "小学骨干教师数": 12, "初中骨干教师数": 0, "小学体育艺术教师数": 9, "初中体育艺术教师数": 0,
    "持证专任教师数": 60, "教学及辅助用房面积": 5000, "体育运动场馆面积": 8000, "教学仪器设备值": 250,
    "网络多媒体教室数": 25, "音乐专用教室数": 2, "美术专用教室数": 2, "音乐专用教室最小面积": 96,
    "美术专用教室最小面积": 90, "公用经费预算": 100, "教师培训经费": 5, "有章程": 1.0,
}


def facts(*schools: dict[str, object]) -> SimpleNamespace:
    def table(rows: list[dict[str, object]]) -> SimpleNamespace:
        cols: dict[str, np.ndarray] = {}
        for key in rows[0]:
            values = [r[key] for r in rows]
            if all(isinstance(v, (int, float)) for v in values):
                cols[key] = np.array(values, dtype=np.float64)
            else:
                cols[key] = np.array(values, dtype=object)
        return SimpleNamespace(columns=cols, n=len(rows))

    rows = [{**BASE, **s} for s in schools]
    return SimpleNamespace(schools=table(rows), counties=None)


def verdicts(f: SimpleNamespace, item: str) -> list[int]:
    return [int(v) for v in run(RULES, f).items[item].verdict]


def test_nine_sport_art_teachers_per_thousand_is_exactly_point_nine() -> None:
    assert verdicts(facts({"小学体育艺术教师数": 9, "小学生数": 1000}), "R3") == [PASS]
    assert verdicts(facts({"小学体育艺术教师数": 8, "小学生数": 1000}), "R3") == [FAIL]


def test_exactly_85_percent_of_the_standard_counts_as_the_rest_item() -> None:
    # R2 = 17 / 2000 × 100 = 0.85 = 85% of 1: the only miss, exactly at the floor → unit passes
    f = facts({"小学骨干教师数": 17, "小学生数": 2000, "小学高于规定学历教师数": 100, "小学体育艺术教师数": 18,
               "教学及辅助用房面积": 10000, "体育运动场馆面积": 16000, "教学仪器设备值": 500, "网络多媒体教室数": 50})
    assert verdicts(f, "R2") == [FAIL]
    assert verdicts(f, "资源配置达标") == [PASS]
    g = facts({"小学骨干教师数": 16, "小学生数": 2000, "小学高于规定学历教师数": 100, "小学体育艺术教师数": 18,
               "教学及辅助用房面积": 10000, "体育运动场馆面积": 16000, "教学仪器设备值": 500, "网络多媒体教室数": 50})
    assert verdicts(g, "资源配置达标") == [FAIL]


@pytest.mark.parametrize(("size", "expected"), [(45, PASS), (46, FAIL)])
def test_class_size_45_meets_not_more_than_45(size: int, expected: int) -> None:
    assert verdicts(facts({"小学最大班额": size}), "G5") == [expected]


def test_weighted_cv_matches_hand_calculation() -> None:
    schools = [{"学校标识码": f"210000000{i}", "学校名称": f"校{i}", "小学生数": n, "教学及辅助用房面积": a}
               for i, (n, a) in enumerate([(100, 500), (200, 800), (300, 1500)], start=1)]
    res = run(RULES, facts(*schools))
    xs = [Fraction(500, 100), Fraction(800, 200), Fraction(1500, 300)]
    ps = [100, 200, 300]
    mean = sum(p * x for p, x in zip(ps, xs)) / sum(ps)
    var = sum(p * (x - mean) ** 2 for p, x in zip(ps, xs)) / sum(ps)
    cv = math.sqrt(var) / float(mean)
    assert res.items["R4差异系数"].col.v[0] == pytest.approx(cv, abs=1e-12)


def test_nine_year_school_splits_facilities_one_to_one_point_one() -> None:
    f = facts({"办学类型": "九年一贯制学校", "小学生数": 600, "初中生数": 400, "教学及辅助用房面积": 10000,
               "初中班数": 8, "初中最大班额": 50})
    res = run(RULES, f)
    r4 = res.items["R4"].col.v  # units: 小学部, 初中部
    assert r4[0] == pytest.approx(10000 * 600 / (600 + 1.1 * 400) / 600, abs=1e-12)
    assert r4[1] == pytest.approx(10000 * 440 / (600 + 1.1 * 400) / 400, abs=1e-12)


def test_small_teaching_point_is_out_of_scope_and_out_of_the_cv() -> None:
    f = facts({}, {"学校标识码": "2100000002", "学校名称": "乙教学点", "办学类型": "教学点", "小学生数": 23,
                   "小学骨干教师数": 0})
    res = run(RULES, f)
    assert [int(v) for v in res.items["R2"].verdict] == [PASS, NOT_APPLICABLE]
    assert res.items["R2差异系数"].col.v[0] == pytest.approx(0.0)
