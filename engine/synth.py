"""Synthetic 学校表 / 县区表 at any scale: `junheng sample --counties N --seed S -o DIR`.

The data are made up but shaped like the real statistics, so that benchmarks, demos and
external tests see realistic magnitudes and a realistic mix of verdicts:

* counties are named 「某省第M市第K县」 (unique); schools per county follow a log-normal
  (median 50) clipped to 10–400, so 3,000 counties hold ≈ 200,000 schools;
* every 办学类型 appears in roughly national proportions (小学 ≈ 47%, 教学点 ≈ 23%,
  初中 ≈ 17%, 九年一贯制 ≈ 9%, 完全中学 ≈ 3%, 十二年一贯制 ≈ 1%), each with its own 城乡 mix
  and size (rural schools are smaller and have more teachers, rooms and land per student);
* about half the counties are "clean" (every school meets every standard); in the others a
  few percent of schools miss one or two standards — some by a little (still ≥ 85% of the
  standard), some by more — and a few county-level items fail;
* values are internally consistent: 高于规定学历/骨干/体育艺术/中级职称教师 ≤ 专任教师,
  班数 and 最大班额 fit the students, 大班额班数 > 0 exactly when 最大班额 is over the limit,
  持证 ≤ 专任, 入学 + 缓学 ≤ 适龄残疾儿童, county totals are drawn from the schools' totals.

Columns are exactly the canonical ones of the design notes (DESIGN.md §6), in that order,
followed by the extra columns in `SCHOOL_EXTRA` / `COUNTY_EXTRA`. Files are UTF-8 with BOM.

Deterministic: everything is drawn from one `numpy.random.Generator(PCG64(seed))` in a
fixed order, and the CSV text is built without locale- or platform-dependent formatting, so
the same seed (and NumPy version) gives the same bytes. Vectorised: 3,000 counties take a
couple of seconds, most of it turning numbers into text.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.atomic import write_atomic

# ---------------------------------------------------------------- columns

SCHOOL_COLUMNS: tuple[str, ...] = (
    "学校标识码", "学校名称", "县区", "办学类型", "城乡", "寄宿制", "建成年份",
    "小学生数", "初中生数", "高中生数",
    "小学班数", "初中班数",
    "小学最大班额", "初中最大班额",
    "小学大班额班数", "初中大班额班数",
    "小学专任教师数", "初中专任教师数",
    "小学高于规定学历教师数", "初中高于规定学历教师数",
    "小学骨干教师数", "初中骨干教师数",
    "小学体育艺术教师数", "初中体育艺术教师数",
    "持证专任教师数",
    "教学及辅助用房面积", "体育运动场馆面积", "教学仪器设备值", "网络多媒体教室数",
    "音乐专用教室数", "美术专用教室数",
    "音乐专用教室最小面积", "美术专用教室最小面积",
    "公用经费预算", "教师培训经费", "有章程",
)
#: School columns beyond the canonical list (read by other rule sets).
SCHOOL_EXTRA: tuple[str, ...] = ("计算机台数", "图书册数", "小学中级及以上职称教师数", "初中中级及以上职称教师数")

COUNTY_COLUMNS: tuple[str, ...] = (
    "县区", "省份",
    "交流轮岗教师数", "符合交流条件教师数", "交流骨干教师数",
    "优质高中招生计划数", "分配到校招生数",
    "随迁子女数", "公办就读随迁子女数",
    "适龄残疾儿童数", "缓学残疾儿童数", "入学残疾儿童数",
    "初中三年巩固率", "教师培训完成率", "城区就近入学比例", "镇区就近入学比例", "社会认可度",
    "教师平均工资", "公务员平均工资",
    "特教生均公用经费",
    "校际差异率",
    "规划布局合理", "建设标准统一", "编制统筹", "留守儿童关爱体系健全", "信息化教学",
    "德育良好", "课程开齐开足", "无过重课业负担", "质量监测达到III级",
)
#: County columns beyond the canonical list that the national rules read when present.
COUNTY_EXTRA: tuple[str, ...] = ("学校管理信息化", "以考试方式招生", "违规择校", "重点校重点班", "小规模学校公用经费按100人核定")

SCHOOL_FILE, COUNTY_FILE = "学校表.csv", "县区表.csv"
MAX_COUNTIES = 99_999  # the 学校标识码 layout holds 5 digits of county number
BOM = "\ufeff"

# ---------------------------------------------------------------- domain constants

KINDS = ("小学", "初中", "九年一贯制学校", "完全中学", "十二年一贯制学校", "教学点")
P_, J_, NINE, FULL, TWELVE, POINT = range(6)
KIND_SHARE = np.array([0.47, 0.17, 0.09, 0.03, 0.01, 0.23])
AREAS = ("城区", "镇区", "乡村")
URBAN, TOWN, RURAL = range(3)
#: P(城乡 | 办学类型)
AREA_SHARE = np.array([
    [0.25, 0.30, 0.45],  # 小学
    [0.30, 0.50, 0.20],  # 初中
    [0.25, 0.35, 0.40],  # 九年一贯制
    [0.55, 0.40, 0.05],  # 完全中学
    [0.70, 0.30, 0.00],  # 十二年一贯制
    [0.00, 0.08, 0.92],  # 教学点
])
#: Median students (小学部, 初中部, 高中部) by 办学类型 × 城乡.
MEDIAN_STUDENTS = np.array([
    [[1100, 0, 0], [550, 0, 0], [160, 0, 0]],
    [[0, 1000, 0], [0, 650, 0], [0, 280, 0]],
    [[700, 480, 0], [380, 260, 0], [160, 110, 0]],
    [[0, 800, 1000], [0, 600, 800], [0, 300, 400]],
    [[800, 600, 500], [500, 400, 400], [300, 200, 200]],
    [[60, 0, 0], [45, 0, 0], [32, 0, 0]],
], dtype=np.float64)
HAS_PRIMARY = np.array([True, False, True, False, True, True])
HAS_JUNIOR = np.array([False, True, True, True, True, False])

#: Students per full-time teacher (小学部, 初中部) by 城乡; 教学点 use `POINT_RATIO`.
TEACHER_RATIO = np.array([[18.5, 13.5], [16.0, 12.0], [12.0, 10.0]])
POINT_RATIO = 9.0
#: Target students per class (小学, 初中) by 城乡; 教学点 use `POINT_CLASS`.
CLASS_TARGET = np.array([[42.0, 47.0], [38.0, 45.0], [28.0, 38.0]])
POINT_CLASS = 15.0
CLASS_LIMIT = np.array([45, 50])  # 小学 / 初中: more is a 大班额

#: The national standards of the 7 resource indicators, (小学, 初中).
STD_TEACHERS = np.array([[4.2, 5.3], [1.0, 1.0], [0.9, 0.9]])  # 高学历 / 骨干 / 体育艺术, per 100 students
STD_FACILITY = np.array([[4.5, 5.8], [7.5, 10.2], [2000.0, 2500.0], [2.3, 2.4]])  # ㎡, ㎡, 元, 间/100 per student
SPLIT_WEIGHTS = np.array([1.0, 1.1, 1.32])
#: Typical facility level relative to the binding standard, by 城乡 (用房, 场馆, 设备, 多媒体).
FACILITY_LEVEL = np.array([
    [1.14, 1.10, 1.18, 1.06],
    [1.30, 1.45, 1.28, 1.15],
    [1.70, 2.10, 1.45, 1.50],
])
FACILITY_SPREAD = np.array([0.10, 0.20, 0.12, 0.10])

PROVINCE_NAMES = ("甲", "乙", "丙", "丁", "戊", "己", "庚", "辛", "壬", "癸",
                  "子", "丑", "寅", "卯", "辰", "巳", "午", "未", "申", "酉", "戌", "亥")
COUNTIES_PER_PROVINCE = 100
COUNTIES_PER_CITY = 10


# ---------------------------------------------------------------- columns as data


@dataclass(frozen=True)
class Column:
    """One output column: integers, decimals held as scaled integers, yes/no, or text."""

    kind: str  # "int" | "dec" | "yesno" | "text"
    values: np.ndarray | list[str]
    places: int = 0  # for "dec": values are int64 × 10**places

    def strings(self) -> list[str]:
        if self.kind == "text":
            return list(self.values)
        values = np.asarray(self.values)
        if self.kind == "yesno":
            return np.where(values, "是", "否").tolist()  # type: ignore[no-any-return]
        # each distinct value is formatted once (columns repeat values a lot)
        distinct, index = np.unique(values.astype(np.int64), return_inverse=True)
        if self.kind == "int" or self.places == 0:
            texts = [str(v) for v in distinct.tolist()]
        else:
            ints, fracs = np.divmod(distinct, 10 ** self.places)
            width = self.places
            texts = [str(i) if f == 0 else f"{i}.{f:0{width}d}".rstrip("0")
                     for i, f in zip(ints.tolist(), fracs.tolist())]
        return list(map(texts.__getitem__, index.tolist()))


@dataclass(frozen=True)
class Synthetic:
    """A generated data set: both tables as ordered columns, plus what was planted."""

    schools: dict[str, Column]
    counties: dict[str, Column]
    seed: int

    @property
    def n_schools(self) -> int:
        return len(self.schools["学校标识码"].values)

    @property
    def n_counties(self) -> int:
        return len(self.counties["县区"].values)


def _csv_text(columns: dict[str, Column]) -> str:
    header = ",".join(columns)
    cells = [c.strings() for c in columns.values()]
    body = "\n".join(map(",".join, zip(*cells)))
    return f"{BOM}{header}\n{body}\n"


# ---------------------------------------------------------------- generation helpers


def _lognormal(rng: np.random.Generator, median: np.ndarray, sigma: float | np.ndarray) -> np.ndarray:
    return np.asarray(median * np.exp(rng.normal(0.0, 1.0, np.shape(median)) * sigma))


def _ceil_to(x: np.ndarray, places: int) -> np.ndarray:
    """Round up to `places` decimals, as int64 scaled by 10**places (a tiny slack absorbs float noise)."""
    scale = 10.0 ** places
    return np.ceil(x * scale - 1e-9).astype(np.int64)


def _floor_to(x: np.ndarray, places: int) -> np.ndarray:
    scale = 10.0 ** places
    return np.floor(x * scale + 1e-9).astype(np.int64)


def _pick(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One category per row of `probs` (rows sum to 1)."""
    u = rng.random(len(probs))
    return np.minimum((u[:, None] > np.cumsum(probs, axis=1)).sum(axis=1), probs.shape[1] - 1)


def _county_names(n: int) -> tuple[list[str], list[str]]:
    names, provinces = [], []
    for i in range(n):
        p, rest = divmod(i, COUNTIES_PER_PROVINCE)
        city, k = divmod(rest, COUNTIES_PER_CITY)
        stem = PROVINCE_NAMES[p % len(PROVINCE_NAMES)] + (str(p // len(PROVINCE_NAMES) + 1) if p >= len(PROVINCE_NAMES) else "")
        province = f"{stem}省"
        provinces.append(province)
        names.append(f"{province}第{city + 1}市第{k + 1}县")
    return names, provinces


SCHOOL_SUFFIX = ("小学", "初级中学", "学校", "中学", "实验学校", "教学点")


# ---------------------------------------------------------------- the generator


def generate(counties: int, seed: int = 0) -> Synthetic:
    """A synthetic data set of `counties` counties, fully determined by `seed`."""
    if not 1 <= counties <= MAX_COUNTIES:
        raise ValueError(f"counties must be between 1 and {MAX_COUNTIES}")
    if seed < 0:
        raise ValueError("seed must be non-negative")
    rng = np.random.default_rng(seed)
    n_c = counties

    # ---- counties: size and how many problems they have
    sizes = np.clip(np.round(_lognormal(rng, np.full(n_c, 50.0), 0.8)), 10, 400).astype(np.int64)
    weak = rng.random(n_c) < 0.45
    rate = np.where(weak, rng.uniform(0.02, 0.10, n_c), 0.0)  # per-school chance of a planted miss
    n = int(sizes.sum())
    county = np.repeat(np.arange(n_c), sizes)
    srate = rate[county]

    # ---- school kind (grouped within the county: 小学 first), ordinal, 城乡
    kind = rng.choice(6, size=n, p=KIND_SHARE)
    order = np.lexsort((kind, county))
    kind = kind[order]
    key = county * 6 + kind
    first = np.r_[0, np.flatnonzero(np.diff(key)) + 1]
    group_start = np.repeat(first, np.diff(np.r_[first, n]))
    ordinal = np.arange(n) - group_start + 1
    area = _pick(rng, AREA_SHARE[kind])
    point = kind == POINT

    # ---- students by stage
    sigma = np.where(point, 0.7, 0.45)
    med = MEDIAN_STUDENTS[kind, area]  # (n, 3)
    students = np.round(_lognormal(rng, med, sigma[:, None])).astype(np.int64)
    students[:, 0] = np.where(HAS_PRIMARY[kind], np.maximum(students[:, 0], np.where(point, 5, 20)), 0)
    students[:, 1] = np.where(HAS_JUNIOR[kind], np.maximum(students[:, 1], 40), 0)
    students[:, 2] = np.where((kind == FULL) | (kind == TWELVE), np.maximum(students[:, 2], 60), 0)
    # school size: within the limit unless a planted miss (G4)
    cap = np.where((kind == NINE) | (kind == TWELVE), 2500, 2000)
    compulsory = students[:, 0] + students[:, 1]
    over = compulsory > cap
    shrink = np.where(over, rng.uniform(0.70, 0.98, n) * cap / np.maximum(compulsory, 1), 1.0)
    students[:, :2] = np.floor(students[:, :2] * shrink[:, None]).astype(np.int64)
    big = (rng.random(n) < srate * 0.08) & (area == URBAN) & ~point
    grow = np.where(big, (cap + rng.integers(1, 300, n)) / np.maximum(students[:, 0] + students[:, 1], 1), 1.0)
    students[:, :2] = np.ceil(students[:, :2] * grow[:, None]).astype(np.int64)
    n_p, n_j, n_h = students[:, 0], students[:, 1], students[:, 2]
    compulsory = n_p + n_j
    stage_n = students[:, :2]  # (n, 2)
    has = stage_n > 0

    # ---- planted misses of the 7 resource indicators (on one school, one stage or the binding stage)
    # factor[i, k]: 1 = healthy; < 1 = this school's value is that share of the standard
    factor = np.ones((n, 7))
    res = (rng.random(n) < srate) & ~(point & (n_p < 50))
    how = rng.random(n)
    k1 = rng.integers(0, 7, n)
    k2 = (k1 + rng.integers(1, 7, n)) % 7
    mild = rng.uniform(0.86, 0.99, n)
    severe = rng.uniform(0.55, 0.84, n)
    rows = np.flatnonzero(res)
    factor[rows, k1[rows]] = np.where(how[rows] < 0.45, mild[rows], np.where(how[rows] < 0.75, severe[rows], mild[rows]))
    two = rows[how[rows] >= 0.75]
    factor[two, k2[two]] = rng.uniform(0.86, 0.99, len(two))
    # teacher misses land on one stage of a two-stage school
    miss_stage = np.where(has[:, 0] & has[:, 1], rng.integers(0, 2, n), np.where(has[:, 0], 0, 1))

    # ---- classes and class size
    target = np.where(point[:, None], POINT_CLASS, CLASS_TARGET[area]) * rng.uniform(0.85, 1.0, (n, 2))
    classes = np.where(has, np.maximum(1, np.ceil(stage_n / target)), 0).astype(np.int64)
    if_any = np.maximum(classes, 1)
    avg_up = -(-stage_n // if_any)
    room = stage_n - (classes - 1)
    max_class = np.minimum(avg_up + rng.integers(0, 5, (n, 2)), room)
    max_class = np.where(has, np.maximum(np.minimum(max_class, CLASS_LIMIT), avg_up), 0)
    crowded = (rng.random(n) < srate * 0.25)[:, None] & has & (stage_n >= (CLASS_LIMIT + 1) * classes * 0.8)
    crowded &= np.arange(2)[None, :] == miss_stage[:, None]
    over_by = rng.integers(1, 9, (n, 2))
    crowded &= stage_n - (classes - 1) >= CLASS_LIMIT + over_by
    max_class = np.where(crowded, CLASS_LIMIT + over_by, max_class)
    n_big = np.minimum(rng.integers(1, 5, (n, 2)), np.minimum(classes, stage_n // (CLASS_LIMIT + 1)))
    big_classes = np.where(max_class > CLASS_LIMIT, np.maximum(n_big, 1), 0)

    # ---- teachers by stage
    ratio = np.where(point[:, None], POINT_RATIO, TEACHER_RATIO[area]) * np.exp(rng.normal(0, 0.12, (n, 2)))
    teachers = np.where(has, np.maximum(1, np.round(stage_n / ratio)), 0).astype(np.int64)
    natural_share = np.stack([
        np.stack([rng.uniform(0.90, 1.00, n), rng.uniform(0.82, 0.97, n)], axis=1),  # 高于规定学历
        rng.uniform(0.18, 0.35, (n, 2)),  # 骨干
        rng.uniform(0.15, 0.25, (n, 2)),  # 体育艺术
    ])  # (3, n, 2)
    tiny = (point & (n_p < 50))[:, None]
    counts = np.zeros((3, n, 2), dtype=np.int64)
    for k in range(3):
        natural = np.round(teachers * natural_share[k]).astype(np.int64)
        need = STD_TEACHERS[k][None, :] * stage_n / 100.0
        f = factor[:, k]
        f2 = np.where(np.arange(2)[None, :] == miss_stage[:, None], f[:, None], 1.0)
        healthy = np.maximum(natural, np.ceil(need * 1.005 - 1e-9).astype(np.int64))
        missed = np.floor(need * f2 + 1e-9).astype(np.int64)
        value = np.where(f2 < 1.0, missed, healthy)
        value = np.where(tiny, natural, value)
        counts[k] = np.where(has, value, 0)
    teachers = np.where(has, np.maximum(teachers, counts.max(axis=0)), 0)

    # ---- facilities: whole-school, sized so the binding stage's split share meets its standard
    weighted = n_p * SPLIT_WEIGHTS[0] + n_j * SPLIT_WEIGHTS[1] + n_h * SPLIT_WEIGHTS[2]
    per_weight = np.where(has[:, :, None], STD_FACILITY.T[None, :, :] / SPLIT_WEIGHTS[:2][None, :, None], 0.0)
    binding = per_weight.max(axis=1)  # (n, 4): standard per weighted student at the binding stage
    # county disparity: how far rural/town schools sit from urban ones, and how spread out (→ 差异系数)
    spread = np.clip(_lognormal(rng, np.ones(n_c), 0.30), 0.4, 2.0)[county][:, None]
    log_gap = np.log(FACILITY_LEVEL[area]) - np.log(FACILITY_LEVEL[URBAN])[None, :]
    level = FACILITY_LEVEL[URBAN] * np.exp(log_gap * spread + rng.normal(0, 1, (n, 4)) * FACILITY_SPREAD * spread)
    level = np.maximum(level, 1.01)
    level = np.where(factor[:, 3:] < 1.0, factor[:, 3:], level)
    amount = weighted[:, None] * binding * level
    missed_fac = factor[:, 3:] < 1.0
    rooms_area = np.where(missed_fac[:, 0], _floor_to(amount[:, 0], 0), _ceil_to(amount[:, 0], 0))
    sports_area = np.where(missed_fac[:, 1], _floor_to(amount[:, 1], 0), _ceil_to(amount[:, 1], 0))
    equipment = amount[:, 2] / 10000.0  # 元 → 万元
    equipment = np.where(missed_fac[:, 2], _floor_to(equipment, 2), _ceil_to(equipment, 2))
    media_need = amount[:, 3] / 100.0
    media = np.where(missed_fac[:, 3], np.floor(media_need + 1e-9),
                     np.maximum(np.ceil(media_need - 1e-9), classes.sum(axis=1) + rng.integers(0, 3, n) - 2))
    media = np.maximum(media, 0).astype(np.int64)
    if np.any(tiny):  # small 教学点 are not assessed: natural values only
        t = tiny[:, 0]
        natural_amount = weighted[t, None] * binding[t] * FACILITY_LEVEL[RURAL] * np.exp(rng.normal(0, 0.3, (int(t.sum()), 4)))
        rooms_area[t] = _ceil_to(natural_amount[:, 0], 0)
        sports_area[t] = _ceil_to(natural_amount[:, 1], 0)
        equipment[t] = _ceil_to(natural_amount[:, 2] / 10000.0, 2)
        media[t] = np.maximum(1, np.round(natural_amount[:, 3] / 100.0)).astype(np.int64)

    # ---- music and art rooms (one per 12 classes), smallest room area
    all_classes = classes.sum(axis=1)
    need_rooms = -(-all_classes // 12)
    specials = np.zeros((2, n), dtype=np.int64)
    smallest = np.zeros((2, n), dtype=np.int64)
    built = np.where(rng.random(n) < 0.65, rng.integers(1955, 2011, n), rng.integers(2011, 2024, n))
    old = built <= 2016
    for r, std in enumerate((96, 90)):
        count = need_rooms + (rng.random(n) < 0.3)
        area_r = rng.integers(std, std + 35, n)
        short = (rng.random(n) < srate * 0.10) & (need_rooms > 1)
        count = np.where(short, need_rooms - 1, count)
        small = (rng.random(n) < srate * 0.15) | (old & (rng.random(n) < srate * 0.30))
        area_r = np.where(small, rng.integers(np.where(old, 74, 80), std), area_r)
        count = np.where(point, (rng.random(n) < 0.4).astype(np.int64), count)
        area_r = np.where(count == 0, 0, area_r)
        specials[r], smallest[r] = count, area_r

    # ---- certificates, budgets, training, charter, boarding, extras
    total_teachers = teachers.sum(axis=1)
    uncertified = np.where(rng.random(n) < srate * 0.10, np.minimum(rng.integers(1, 3, n), total_teachers), 0)
    certified = total_teachers - uncertified
    per_student = np.stack([rng.uniform(1000, 1500, n), rng.uniform(1250, 1800, n), rng.uniform(1400, 2000, n)], axis=1)
    budget_students = np.where((compulsory < 100)[:, None], 100 * students / np.maximum(compulsory, 1)[:, None], students)
    budget_yuan = (budget_students * per_student).sum(axis=1)
    budget_yuan = np.where(rng.random(n) < srate * 0.10, budget_yuan * rng.uniform(0.60, 0.90, n), budget_yuan)
    budget = np.maximum(_ceil_to(budget_yuan / 10000.0, 2), 1)
    low_training = rng.random(n) < srate * 0.15
    share = np.where(low_training, rng.uniform(0.030, 0.0495, n), rng.uniform(0.05, 0.08, n))
    training = np.where(low_training, _floor_to(budget / 100.0 * share, 2), _ceil_to(budget / 100.0 * share, 2))
    charter = rng.random(n) >= srate * 0.03
    boarding_p = np.where(point, 0.02, np.where(area == URBAN, 0.05, np.where(area == TOWN, 0.30, 0.45)))
    boarding_p = np.where(HAS_JUNIOR[kind] & (area != URBAN), boarding_p + 0.25, boarding_p)
    boarding = rng.random(n) < boarding_p
    n_all = n_p + n_j + n_h
    computers = np.round(n_all * rng.uniform(0.08, 0.20, n) + total_teachers * rng.uniform(0.8, 1.2, n)).astype(np.int64)
    books = np.round(n_p * rng.uniform(25, 40, n) + n_j * rng.uniform(35, 55, n) + n_h * rng.uniform(40, 60, n)).astype(np.int64)
    senior_titles = np.round(teachers * rng.uniform(0.35, 0.75, (n, 2))).astype(np.int64)

    # ---- names and ids
    county_names, provinces = _county_names(n_c)
    kind_text = np.array(KINDS, dtype=object)[kind]
    area_text = np.array(AREAS, dtype=object)[area]
    cn = [county_names[c] for c in county.tolist()]
    names = [f"{c}第{o}{SCHOOL_SUFFIX[k]}" for c, o, k in zip(cn, ordinal.tolist(), kind.tolist())]
    within = np.arange(n) - np.repeat(np.r_[0, np.cumsum(sizes)[:-1]], sizes)
    ids = [f"21{c:05d}{w:03d}" for c, w in zip(county.tolist(), within.tolist())]

    schools: dict[str, Column] = {
        "学校标识码": Column("text", ids),
        "学校名称": Column("text", names),
        "县区": Column("text", cn),
        "办学类型": Column("text", kind_text.tolist()),
        "城乡": Column("text", area_text.tolist()),
        "寄宿制": Column("yesno", boarding),
        "建成年份": Column("int", built),
        "小学生数": Column("int", n_p), "初中生数": Column("int", n_j), "高中生数": Column("int", n_h),
        "小学班数": Column("int", classes[:, 0]), "初中班数": Column("int", classes[:, 1]),
        "小学最大班额": Column("int", max_class[:, 0]), "初中最大班额": Column("int", max_class[:, 1]),
        "小学大班额班数": Column("int", big_classes[:, 0]), "初中大班额班数": Column("int", big_classes[:, 1]),
        "小学专任教师数": Column("int", teachers[:, 0]), "初中专任教师数": Column("int", teachers[:, 1]),
        "小学高于规定学历教师数": Column("int", counts[0, :, 0]), "初中高于规定学历教师数": Column("int", counts[0, :, 1]),
        "小学骨干教师数": Column("int", counts[1, :, 0]), "初中骨干教师数": Column("int", counts[1, :, 1]),
        "小学体育艺术教师数": Column("int", counts[2, :, 0]), "初中体育艺术教师数": Column("int", counts[2, :, 1]),
        "持证专任教师数": Column("int", certified),
        "教学及辅助用房面积": Column("int", rooms_area), "体育运动场馆面积": Column("int", sports_area),
        "教学仪器设备值": Column("dec", equipment, 2), "网络多媒体教室数": Column("int", media),
        "音乐专用教室数": Column("int", specials[0]), "美术专用教室数": Column("int", specials[1]),
        "音乐专用教室最小面积": Column("int", smallest[0]), "美术专用教室最小面积": Column("int", smallest[1]),
        "公用经费预算": Column("dec", budget, 2), "教师培训经费": Column("dec", training, 2),
        "有章程": Column("yesno", charter),
        "计算机台数": Column("int", computers), "图书册数": Column("int", books),
        "小学中级及以上职称教师数": Column("int", senior_titles[:, 0]),
        "初中中级及以上职称教师数": Column("int", senior_titles[:, 1]),
    }
    assert tuple(schools) == SCHOOL_COLUMNS + SCHOOL_EXTRA

    # ---- the county table, from the schools' totals
    def total(x: np.ndarray) -> np.ndarray:
        return np.bincount(county, weights=x, minlength=n_c)

    t_teachers = total(total_teachers.astype(np.float64))
    t_students = total(n_all.astype(np.float64))
    t_junior = total(n_j.astype(np.float64))

    def bad(p: float) -> np.ndarray:
        """Which counties miss one county-level item: only weak counties, each with chance p."""
        return weak & (rng.random(n_c) < p)

    def draw(miss: np.ndarray, good: tuple[float, float], poor: tuple[float, float]) -> np.ndarray:
        return np.where(miss, rng.uniform(*poor, n_c), rng.uniform(*good, n_c))

    def portion(base: np.ndarray, p_miss: float, good: tuple[float, float], poor: tuple[float, float]) -> np.ndarray:
        """A count that is a share of `base`: rounded up when meeting the standard, down when missing it."""
        miss = bad(p_miss)
        x = base * draw(miss, good, poor)
        return np.where(miss, np.floor(x + 1e-9), np.ceil(x - 1e-9)).astype(np.int64)

    def percent(p_miss: float, good: tuple[float, float], poor: tuple[float, float]) -> np.ndarray:
        """A percentage with one decimal, as tenths."""
        miss = bad(p_miss)
        x = draw(miss, good, poor)
        return np.where(miss, _floor_to(x, 1), np.minimum(_ceil_to(x, 1), round(good[1] * 10)))

    eligible = np.maximum(10, np.round(t_teachers * rng.uniform(0.25, 0.45, n_c))).astype(np.int64)
    exchanged = np.maximum(portion(eligible, 0.10, (0.10, 0.20), (0.06, 0.099)), 1)
    exchanged_core = np.minimum(exchanged, portion(exchanged, 0.06, (0.20, 0.40), (0.10, 0.19)))
    plan = np.maximum(10, np.round(t_junior / 3 * rng.uniform(0.35, 0.60, n_c))).astype(np.int64)
    allotted = portion(plan, 0.06, (0.50, 0.70), (0.40, 0.49))
    migrants = np.maximum(5, np.round(t_students * rng.uniform(0.02, 0.15, n_c))).astype(np.int64)
    migrants_public = np.minimum(migrants, portion(migrants, 0.10, (0.85, 1.0), (0.70, 0.84)))
    disabled = np.maximum(5, np.round(t_students * rng.uniform(0.003, 0.008, n_c))).astype(np.int64)
    deferred = np.floor(disabled * rng.uniform(0.0, 0.02, n_c)).astype(np.int64)
    enrolled = np.minimum(portion(disabled, 0.06, (0.95, 1.0), (0.85, 0.94)), disabled - deferred)

    retention = percent(0.05, (95.0, 99.8), (92.0, 94.9))
    trained = np.where(bad(0.06), _floor_to(rng.uniform(96.0, 99.9, n_c), 1), 1000)
    urban_near = np.where(bad(0.05), _floor_to(rng.uniform(97.0, 99.9, n_c), 1), 1000)
    town_near = percent(0.05, (95.0, 100.0), (90.0, 94.9))
    recognition = percent(0.08, (85.5, 97.0), (80.0, 84.9))
    civil_pay: np.ndarray = np.round(rng.uniform(70_000, 130_000, n_c), -2)
    miss = bad(0.06)
    teacher_pay = np.round(civil_pay * draw(miss, (1.0, 1.08), (0.90, 0.99)), -2)
    teacher_pay = np.where(miss, np.minimum(teacher_pay, civil_pay - 100), np.maximum(teacher_pay, civil_pay))
    special_funds = np.round(rng.uniform(6000, 9000, n_c), -2)
    special_funds = np.where(bad(0.04), np.round(rng.uniform(4500, 5900, n_c), -2), special_funds)
    gap_rate = np.where(bad(0.05), rng.integers(15, 21, n_c), rng.integers(5, 15, n_c))

    def yes(p_no: float, weak_only: bool = True) -> np.ndarray:
        return ~((weak if weak_only else True) & (rng.random(n_c) < p_no))

    county_cols: dict[str, Column] = {
        "县区": Column("text", county_names), "省份": Column("text", provinces),
        "交流轮岗教师数": Column("int", exchanged), "符合交流条件教师数": Column("int", eligible),
        "交流骨干教师数": Column("int", exchanged_core),
        "优质高中招生计划数": Column("int", plan), "分配到校招生数": Column("int", allotted),
        "随迁子女数": Column("int", migrants), "公办就读随迁子女数": Column("int", migrants_public),
        "适龄残疾儿童数": Column("int", disabled), "缓学残疾儿童数": Column("int", deferred),
        "入学残疾儿童数": Column("int", enrolled),
        "初中三年巩固率": Column("dec", retention, 1), "教师培训完成率": Column("dec", trained, 1),
        "城区就近入学比例": Column("dec", urban_near, 1), "镇区就近入学比例": Column("dec", town_near, 1),
        "社会认可度": Column("dec", recognition, 1),
        "教师平均工资": Column("int", teacher_pay), "公务员平均工资": Column("int", civil_pay),
        "特教生均公用经费": Column("int", special_funds),
        "校际差异率": Column("dec", gap_rate, 2),
    }
    for name in ("规划布局合理", "建设标准统一", "编制统筹", "留守儿童关爱体系健全", "信息化教学",
                 "德育良好", "课程开齐开足", "无过重课业负担", "质量监测达到III级"):
        county_cols[name] = Column("yesno", yes(0.03))
    county_cols["学校管理信息化"] = Column("yesno", yes(0.03))
    for name in ("以考试方式招生", "违规择校", "重点校重点班"):
        county_cols[name] = Column("yesno", ~yes(0.02))
    county_cols["小规模学校公用经费按100人核定"] = Column("yesno", yes(0.03))
    assert tuple(county_cols) == COUNTY_COLUMNS + COUNTY_EXTRA
    return Synthetic(schools, county_cols, seed)


# ---------------------------------------------------------------- writing


def write_csv(data: Synthetic, out_dir: str | Path) -> tuple[Path, Path]:
    """Write 学校表.csv and 县区表.csv (UTF-8 with BOM) into `out_dir`; return their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    schools, counties = out / SCHOOL_FILE, out / COUNTY_FILE
    write_atomic(schools, _csv_text(data.schools).encode("utf-8"))
    write_atomic(counties, _csv_text(data.counties).encode("utf-8"))
    return schools, counties


def write_sample(out_dir: str | Path, counties: int, seed: int = 0) -> tuple[Path, Path, Synthetic]:
    """Generate and write a data set; return both paths and the data."""
    data = generate(counties, seed)
    schools, county_path = write_csv(data, out_dir)
    return schools, county_path, data
