"""A plain-NumPy reference implementation of the resource-allocation part (资源配置).

Written straight from rules/national/1-资源配置.rule and examples/示例县/EXPECTED.md, without
junheng: it is the yardstick junheng's evaluator is timed against ("how close to hand-written
NumPy is the rule engine?") and a second, independent implementation its verdicts are
checked against.

Semantics:
* 学部: a 小学 unit for 小学 / 教学点 / 九年一贯制学校 / 十二年一贯制学校, an 初中 unit for
  初中 / 九年一贯制学校 / 完全中学 / 十二年一贯制学校; units ordered by school, then 学段.
* the four facility quantities are split by weighted students (小学 1 : 初中 1.1 : 高中 1.32);
  a unit's share = w·n / Σ w·n over the school's three stages.
* 7 indicators per unit against the national standards (达到 … 以上: ≥, exact at the bound);
  教学点 with fewer than 50 students are not assessed (不适用).
* 资源配置达标: at least 6 of 7 pass and every failing one is ≥ 85% of its standard.
* 14 差异系数: per county × 学段, over the assessed units, weighted by students:
  X̄ = ΣPX/ΣP, S = √(ΣP(X−X̄)²/ΣP), CV = S/X̄ ≤ 0.50 (小学) / 0.45 (初中).
* county 资源配置: all units 达标 and all 14 CVs 达标.

Floats are used throughout; a comparison whose two sides are within 1e-9 (relative) is redone
exactly with `fractions.Fraction` from the input decimals, as junheng does, so 9 ÷ 1000 × 100
is exactly 0.9. Missing input values make a unit's indicator 数据缺失 (the synthetic data has
none; this path is kept simple).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

PASS, FAIL, NOT_APPLICABLE, DATA_MISSING = 0, 1, 2, 3  # the same codes as junheng's frames
NEAR = 1e-9

PRIMARY_KINDS = ("小学", "教学点", "九年一贯制学校", "十二年一贯制学校")
JUNIOR_KINDS = ("初中", "九年一贯制学校", "完全中学", "十二年一贯制学校")
KINDS = ("小学", "初中", "九年一贯制学校", "完全中学", "十二年一贯制学校", "教学点")
POINT = KINDS.index("教学点")

WEIGHTS = (Fraction(1), Fraction("1.1"), Fraction("1.32"))
#: name, numerator columns per stage (小学, 初中), split?, scale, standard per stage
INDICATORS: tuple[tuple[str, tuple[str, str], bool, int, tuple[Fraction, Fraction]], ...] = (
    ("R1", ("小学高于规定学历教师数", "初中高于规定学历教师数"), False, 100, (Fraction("4.2"), Fraction("5.3"))),
    ("R2", ("小学骨干教师数", "初中骨干教师数"), False, 100, (Fraction(1), Fraction(1))),
    ("R3", ("小学体育艺术教师数", "初中体育艺术教师数"), False, 100, (Fraction("0.9"), Fraction("0.9"))),
    ("R4", ("教学及辅助用房面积", "教学及辅助用房面积"), True, 1, (Fraction("4.5"), Fraction("5.8"))),
    ("R5", ("体育运动场馆面积", "体育运动场馆面积"), True, 1, (Fraction("7.5"), Fraction("10.2"))),
    ("R6", ("教学仪器设备值", "教学仪器设备值"), True, 10000, (Fraction(2000), Fraction(2500))),
    ("R7", ("网络多媒体教室数", "网络多媒体教室数"), True, 100, (Fraction("2.3"), Fraction("2.4"))),
)
CV_LIMITS = (Fraction("0.50"), Fraction("0.45"))
REST_RATIO = Fraction(85, 100)
AT_LEAST = 6


@dataclass
class Reference:
    """The reference results, in junheng's row orders (units: school then 学段; county × 学段)."""

    unit_school: np.ndarray  # school row of each unit
    unit_stage: np.ndarray  # 0 = 小学, 1 = 初中
    values: np.ndarray  # (7, units)
    verdicts: np.ndarray  # (7, units) int8
    unit_verdict: np.ndarray  # 资源配置达标 per unit
    cv: np.ndarray  # (7, counties × 2)
    cv_verdicts: np.ndarray  # (7, counties × 2)
    county_verdict: np.ndarray  # 资源配置 per county
    exact_checks: int = 0  # comparisons redone exactly


def _near(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return np.abs(a - b) <= NEAR * np.maximum(1.0, np.maximum(np.abs(a), np.abs(b)))


def _q(x: float) -> Fraction:
    """An input value as the decimal it was written as."""
    return Fraction(repr(float(x)))


def _lift(verdict: np.ndarray, parent: np.ndarray, n: int) -> np.ndarray:
    """Child verdicts → one per parent: any fail → fail, else missing, else pass, else n/a."""
    out = np.full(n, NOT_APPLICABLE, dtype=np.int8)
    for code in (PASS, DATA_MISSING, FAIL):
        out[np.bincount(parent[verdict == code], minlength=n) > 0] = code
    return out


def resource_allocation(s: Mapping[str, np.ndarray], county_names: Sequence[str]) -> Reference:
    """Evaluate the resource-allocation part over whole columns of the 学校表."""
    exact_checks = 0
    code_of = {k: i for i, k in enumerate(KINDS)}
    kind = np.fromiter(map(code_of.get, s["办学类型"], (-1,) * len(s["办学类型"])), dtype=np.int64,
                       count=len(s["办学类型"]))
    in_p = np.array([k in PRIMARY_KINDS for k in KINDS] + [False])
    in_j = np.array([k in JUNIOR_KINDS for k in KINDS] + [False])
    county_of = {name: i for i, name in enumerate(county_names)}
    school_county = np.fromiter(map(county_of.__getitem__, s["县区"]), dtype=np.int64, count=len(kind))
    n_counties = len(county_names)

    # units: school then stage
    p_rows, j_rows = np.flatnonzero(in_p[kind]), np.flatnonzero(in_j[kind])
    school = np.concatenate([p_rows, j_rows])
    stage = np.concatenate([np.zeros(len(p_rows), np.int64), np.ones(len(j_rows), np.int64)])
    order = np.lexsort((stage, school))
    school, stage = school[order], stage[order]
    is_p = stage == 0
    students_by_stage = (s["小学生数"], s["初中生数"])
    n = np.where(is_p, students_by_stage[0][school], students_by_stage[1][school])
    weighted = s["小学生数"] * 1.0 + s["初中生数"] * 1.1 + s["高中生数"] * 1.32
    w = np.where(is_p, 1.0, 1.1)
    share = w * n / weighted[school]
    assessed = ~((kind[school] == POINT) & (n < 50))
    scoped_missing = np.isnan(n)

    def exact_value(k: int, u: int) -> Fraction | None:
        _, cols, split, scale, _ = INDICATORS[k]
        r = int(school[u])
        st = int(stage[u])
        students = _q(n[u])
        if students == 0:
            return None
        amount = _q(s[cols[st]][r])
        if split:
            total = sum((_q(c[r]) * wt for c, wt in zip((s["小学生数"], s["初中生数"], s["高中生数"]), WEIGHTS)),
                        Fraction(0))
            if total == 0:
                return None
            amount = amount * WEIGHTS[st] * students / total
        return amount * scale / students

    values = np.empty((7, len(school)))
    verdicts = np.empty((7, len(school)), dtype=np.int8)
    with np.errstate(divide="ignore", invalid="ignore"):
        for k, (_, cols, split, scale, std) in enumerate(INDICATORS):
            amount = np.where(is_p, s[cols[0]][school], s[cols[1]][school])
            if split:
                amount = amount * share
            v = amount * scale / n
            threshold = np.where(is_p, float(std[0]), float(std[1]))
            ok = v >= threshold
            for u in np.flatnonzero(_near(v, threshold) & np.isfinite(v)):
                exact_checks += 1
                x = exact_value(k, int(u))
                if x is not None:
                    ok[u] = x >= std[int(stage[u])]
            verdict = np.where(ok, PASS, FAIL).astype(np.int8)
            verdict[~np.isfinite(v)] = DATA_MISSING
            verdict[~assessed] = NOT_APPLICABLE
            verdict[scoped_missing] = DATA_MISSING
            values[k], verdicts[k] = v, verdict

    # 资源配置达标: at least 6 of 7, the rest ≥ 85% of the standard
    n_pass = (verdicts == PASS).sum(axis=0)
    n_missing = (verdicts == DATA_MISSING).sum(axis=0)
    n_applicable = n_pass + n_missing + (verdicts == FAIL).sum(axis=0)
    rest_bad = np.zeros(len(school), dtype=bool)
    with np.errstate(invalid="ignore"):
        for k, (_, _, _, _, std) in enumerate(INDICATORS):
            failing = verdicts[k] == FAIL
            bound = np.where(is_p, float(std[0] * REST_RATIO), float(std[1] * REST_RATIO))
            low = values[k] < bound
            for u in np.flatnonzero(failing & _near(values[k], bound)):
                exact_checks += 1
                x = exact_value(k, int(u))
                if x is not None:
                    low[u] = x < std[int(stage[u])] * REST_RATIO
            rest_bad |= failing & low
    good = (n_pass >= AT_LEAST) & ~rest_bad & (n_missing == 0)
    bad = (n_pass + n_missing < AT_LEAST) | rest_bad
    unit_verdict = np.where(good, PASS, np.where(bad, FAIL, DATA_MISSING)).astype(np.int8)
    unit_verdict[n_applicable == 0] = NOT_APPLICABLE

    # 14 差异系数 over assessed units, weighted by students, per county × 学段
    group = school_county[school] * 2 + stage
    n_groups = n_counties * 2
    cv = np.empty((7, n_groups))
    cv_verdicts = np.empty((7, n_groups), dtype=np.int8)
    limit = np.tile([float(CV_LIMITS[0]), float(CV_LIMITS[1])], n_counties)
    for k in range(7):
        use = verdicts[k] != NOT_APPLICABLE
        missing = use & (verdicts[k] == DATA_MISSING)
        take = use & ~missing
        g, x, p = group[take], values[k][take], n[take]
        count = np.bincount(g, minlength=n_groups)
        with np.errstate(divide="ignore", invalid="ignore"):
            sp = np.bincount(g, weights=p, minlength=n_groups)
            mean = np.bincount(g, weights=p * x, minlength=n_groups) / sp
            dev = x - mean[g]
            var = np.bincount(g, weights=p * dev * dev, minlength=n_groups) / sp
            value = np.sqrt(var) / mean
            ok = value <= limit
        for gi in np.flatnonzero(_near(value, limit) & np.isfinite(value)):
            exact_checks += 1
            units = np.flatnonzero(take & (group == gi))
            xs = [exact_value(k, int(u)) for u in units]
            if any(x_ is None for x_ in xs):
                continue
            ps = [_q(n[u]) for u in units]
            total = sum(ps, Fraction(0))
            m = sum((pi * xi for pi, xi in zip(ps, xs)), Fraction(0)) / total  # type: ignore[operator]
            s2 = sum((pi * (xi - m) ** 2 for pi, xi in zip(ps, xs)), Fraction(0)) / total  # type: ignore[operator]
            ok[gi] = s2 <= CV_LIMITS[gi % 2] ** 2 * m * m
        verdict = np.where(ok, PASS, FAIL).astype(np.int8)
        verdict[~np.isfinite(value)] = DATA_MISSING
        verdict[np.bincount(group[missing], minlength=n_groups) > 0] = DATA_MISSING
        verdict[count == 0] = NOT_APPLICABLE
        cv[k], cv_verdicts[k] = value, verdict

    # county 资源配置: every unit 达标 and every CV 达标
    parts = [_lift(unit_verdict, school_county[school], n_counties)]
    parts += [_lift(cv_verdicts[k], np.arange(n_groups) // 2, n_counties) for k in range(7)]
    stack = np.vstack(parts)
    county = np.where((stack == FAIL).any(axis=0), FAIL,
                      np.where((stack == DATA_MISSING).any(axis=0), DATA_MISSING, PASS)).astype(np.int8)
    county[(stack == NOT_APPLICABLE).all(axis=0)] = NOT_APPLICABLE
    return Reference(school, stage, values, verdicts, unit_verdict, cv, cv_verdicts, county, exact_checks)
