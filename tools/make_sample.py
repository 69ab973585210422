#!/usr/bin/env python3
"""Generate the bundled sample county 示例县 (examples/示例县/).

    python tools/make_sample.py

Writes 学校表.csv/.xlsx, 县区表.csv/.xlsx, EXPECTED.md and expected.json.

The school numbers below are written by hand, each one on purpose: most schools pass
everything with natural variation, and a few schools are *planted* cases that test one
rule each (the role of every planted school is in ROLES and in EXPECTED.md).  The
expected figures are computed here independently of the engine, exactly, with
fractions.Fraction (the 差异系数 square root with decimal at 30 digits), and every
planted case is asserted: if an edit to the data breaks a planted case, this script
fails loudly instead of writing a misleading sample.

Deterministic: rerunning gives the same bytes (the xlsx files get fixed document
properties and fixed zip entry timestamps).

Only stdlib + openpyxl.
"""
from __future__ import annotations

import csv
import datetime as _dt
import io
import json
import math
import sys
import zipfile
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction as F
from pathlib import Path

import openpyxl
from openpyxl.styles import Alignment, Font
from openpyxl.xml.functions import tostring

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "examples" / "示例县"

COUNTY = "示例县"
PROVINCE = "示例省"
FIXED_TIME = _dt.datetime(2024, 9, 1, 0, 0, 0)

# --------------------------------------------------------------------------------------
# Columns: exactly DESIGN.md §6, in that order.
# --------------------------------------------------------------------------------------
# The canonical columns are defined once, in the product's generator (engine/synth.py).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from engine.synth import COUNTY_COLUMNS as _CANONICAL_COUNTY  # noqa: E402
from engine.synth import SCHOOL_COLUMNS as _CANONICAL_SCHOOL  # noqa: E402

SCHOOL_COLUMNS = list(_CANONICAL_SCHOOL)
BASE_SCHOOL_COLUMNS = list(SCHOOL_COLUMNS)
# Beyond DESIGN.md §6: the 2012 基本均衡 rule set (rules/基本均衡/) reads these when present.
BASIC_SCHOOL_COLUMNS = ["计算机台数", "图书册数", "小学中级及以上职称教师数", "初中中级及以上职称教师数"]
SCHOOL_COLUMNS += BASIC_SCHOOL_COLUMNS

COUNTY_COLUMNS = [
    *_CANONICAL_COUNTY,
    # Beyond the canonical columns: the national rules read them when present. 小规模学校
    # 公用经费按100人核定 is left out on purpose, so the main job shows a 数据缺失 item.
    "学校管理信息化", "以考试方式招生", "违规择校", "重点校重点班",
    # 2012 基本均衡: the 门槛 (省定办学基本标准, 是/否), 县级政府推进工作得分 (分), 公众满意度 (%)
    "达到办学基本标准", "县级政府推进工作得分", "公众满意度",
]

# --------------------------------------------------------------------------------------
# The schools.
#
# Numbers are int (counts, ㎡) or str (decimals: 万元 amounts), so that every value has
# one exact decimal spelling that csv and xlsx share.
#
#   小 / 初 = (学生数, 班数, 最大班额, 专任教师数, 高于规定学历教师数, 骨干教师数, 体育艺术教师数)
#   用房 ㎡, 场馆 ㎡, 设备 万元, 多媒体 间   (whole school)
#   音美 = (音乐专用教室数, 美术专用教室数, 音乐专用教室最小面积, 美术专用教室最小面积)
#   经费 = (公用经费预算 万元, 教师培训经费 万元)
#   持证 defaults to 小学专任 + 初中专任; 大班额 defaults to (0, 0)
# --------------------------------------------------------------------------------------
NONE = (0, 0, 0, 0, 0, 0, 0)

SCHOOLS: list[dict] = []


def school(sid, name, kind, area, boarding, year, *, 小=NONE, 初=NONE, 高中=0,
           用房, 场馆, 设备, 多媒体, 音美, 经费, 持证=None, 大班额=(0, 0)):
    p, j = 小, 初
    row = {
        "学校标识码": sid, "学校名称": name, "县区": COUNTY, "办学类型": kind,
        "城乡": area, "寄宿制": boarding, "建成年份": year,
        "小学生数": p[0], "初中生数": j[0], "高中生数": 高中,
        "小学班数": p[1], "初中班数": j[1],
        "小学最大班额": p[2], "初中最大班额": j[2],
        "小学大班额班数": 大班额[0], "初中大班额班数": 大班额[1],
        "小学专任教师数": p[3], "初中专任教师数": j[3],
        "小学高于规定学历教师数": p[4], "初中高于规定学历教师数": j[4],
        "小学骨干教师数": p[5], "初中骨干教师数": j[5],
        "小学体育艺术教师数": p[6], "初中体育艺术教师数": j[6],
        "持证专任教师数": (p[3] + j[3]) if 持证 is None else 持证,
        "教学及辅助用房面积": 用房, "体育运动场馆面积": 场馆,
        "教学仪器设备值": 设备, "网络多媒体教室数": 多媒体,
        "音乐专用教室数": 音美[0], "美术专用教室数": 音美[1],
        "音乐专用教室最小面积": 音美[2], "美术专用教室最小面积": 音美[3],
        "公用经费预算": 经费[0], "教师培训经费": 经费[1], "有章程": "是",
    }
    assert list(row) == BASE_SCHOOL_COLUMNS
    SCHOOLS.append(row)


# ---- 小学 (15) -----------------------------------------------------------------------
school("2136010001", "示例县实验小学", "小学", "城区", "否", 1987,
       小=(1860, 42, 45, 108, 106, 46, 20),
       用房=9300, 场馆=14500, 设备="520", 多媒体=48, 音美=(4, 4, 112, 100), 经费=("135", "8.1"))
school("2136010002", "示例县城关第一小学", "小学", "城区", "否", 1992,
       小=(1580, 36, 45, 92, 88, 34, 16),
       用房=7600, 场馆=12400, 设备="340", 多媒体=38, 音美=(3, 2, 100, 92), 经费=("114", "6.5"))
school("2136010003", "示例县城关第二小学", "小学", "城区", "否", 1998,
       小=(2000, 46, 45, 116, 110, 17, 22),
       用房=9800, 场馆=15800, 设备="460", 多媒体=50, 音美=(4, 4, 105, 98), 经费=("144", "8.6"))
school("2136010004", "示例县城关第三小学", "小学", "城区", "否", 2006,
       小=(1240, 28, 45, 74, 72, 26, 14),
       用房=6300, 场馆=10100, 设备="300", 多媒体=31, 音美=(3, 3, 102, 96), 经费=("90", "5.4"))
school("2136010008", "示例县城关第八小学", "小学", "城区", "否", 2012,
       小=(1000, 24, 44, 66, 63, 14, 12),
       用房=4280, 场馆=8000, 设备="220", 多媒体=24, 音美=(2, 2, 98, 92), 经费=("72", "4.3"))
school("2136010011", "示例县东关镇中心小学", "小学", "镇区", "是", 1988,
       小=(980, 24, 43, 62, 55, 13, 11),
       用房=5200, 场馆=9800, 设备="240", 多媒体=26, 音美=(2, 2, 100, 95), 经费=("71", "4"))
school("2136010012", "示例县西河镇中心小学", "小学", "镇区", "否", 1995,
       小=(860, 21, 43, 56, 50, 10, 9),
       用房=4900, 场馆=9000, 设备="210", 多媒体=23, 音美=(2, 2, 98, 92), 经费=("62", "3.5"))
school("2136010013", "示例县南岭镇中心小学", "小学", "镇区", "否", 2001,
       小=(800, 20, 42, 48, 32, 10, 8),
       用房=4000, 场馆=5600, 设备="176", 多媒体=20, 音美=(2, 2, 96, 90), 经费=("58", "3.2"))
school("2136010014", "示例县北山镇中心小学", "小学", "镇区", "是", 1990,
       小=(720, 18, 42, 50, 44, 8, 8),
       用房=4300, 场馆=8600, 设备="190", 多媒体=20, 音美=(2, 2, 98, 90), 经费=("52", "2.08"))
school("2136010015", "示例县柳林镇中心小学", "小学", "镇区", "否", 2010,
       小=(640, 16, 42, 42, 36, 7, 7),
       用房=3700, 场馆=7200, 设备="170", 多媒体=18, 音美=(2, 2, 100, 94), 经费=("46", "2.5"))
school("2136010021", "示例县东关镇王家庄小学", "小学", "乡村", "否", 1987,
       小=(320, 12, 30, 28, 24, 4, 5),
       用房=2600, 场馆=4800, 设备="105", 多媒体=13, 音美=(1, 1, 96, 90), 经费=("23", "1.3"))
school("2136010022", "示例县西河镇张湾小学", "小学", "乡村", "否", 1993,
       小=(260, 8, 38, 24, 21, 3, 4),
       用房=2300, 场馆=4200, 设备="92", 多媒体=11, 音美=(1, 1, 96, 90), 经费=("19", "1"))
school("2136010023", "示例县南岭镇石桥小学", "小学", "乡村", "是", 2003,
       小=(410, 12, 38, 32, 28, 5, 6),
       用房=2900, 场馆=5400, 设备="130", 多媒体=15, 音美=(1, 1, 98, 92), 经费=("30", "1.6"))
school("2136010024", "示例县北山镇杨树沟小学", "小学", "乡村", "否", 1996,
       小=(180, 6, 34, 16, 14, 2, 3),
       用房=1800, 场馆=3200, 设备="72", 多媒体=8, 音美=(1, 1, 96, 90), 经费=("13", "0.8"))
school("2136010025", "示例县柳林镇河口小学", "小学", "乡村", "否", 2015,
       小=(140, 6, 26, 14, 12, 2, 3),
       用房=1400, 场馆=2600, 设备="60", 多媒体=7, 音美=(1, 1, 96, 90), 经费=("10.5", "0.6"))

# ---- 初中 (8) ------------------------------------------------------------------------
school("2136020001", "示例县实验中学", "初中", "城区", "否", 1986,
       初=(1500, 32, 50, 124, 120, 40, 16),
       用房=9300, 场馆=16500, 设备="420", 多媒体=38, 音美=(3, 3, 110, 100), 经费=("142", "7.1"))
school("2136020002", "示例县第二中学", "初中", "城区", "否", 1997,
       初=(1300, 28, 52, 106, 100, 30, 13),
       用房=7900, 场馆=14000, 设备="350", 多媒体=33, 音美=(3, 3, 104, 96), 经费=("123", "7"),
       大班额=(0, 2))
school("2136020003", "示例县第三中学", "初中", "城区", "否", 2008,
       初=(1000, 22, 49, 82, 78, 15, 9),
       用房=6200, 场馆=11000, 设备="237.5", 多媒体=26, 音美=(2, 2, 100, 96), 经费=("95", "5.5"))
school("2136020011", "示例县东关镇中学", "初中", "镇区", "是", 1989,
       初=(900, 20, 48, 72, 56, 11, 10),
       用房=5700, 场馆=7020, 设备="250", 多媒体=24, 音美=(2, 2, 98, 92), 经费=("86", "4.5"))
school("2136020012", "示例县西河镇中学", "初中", "镇区", "是", 1994,
       初=(760, 17, 47, 66, 46, 9, 10),
       用房=5900, 场馆=16800, 设备="260", 多媒体=26, 音美=(2, 2, 98, 90), 经费=("73", "4"),
       持证=65)
school("2136020013", "示例县南岭镇中学", "初中", "镇区", "是", 2005,
       初=(640, 15, 46, 56, 38, 7, 9),
       用房=5600, 场馆=18500, 设备="240", 多媒体=23, 音美=(2, 2, 100, 92), 经费=("62", "3.4"))
school("2136020014", "示例县北山镇初级中学", "初中", "镇区", "是", 2011,
       初=(520, 12, 46, 48, 31, 6, 8),
       用房=4900, 场馆=17000, 设备="205", 多媒体=19, 音美=(1, 1, 98, 92), 经费=("50", "2.8"))
school("2136020015", "示例县柳林镇中学", "初中", "镇区", "否", 2018,
       初=(580, 13, 46, 50, 36, 7, 7),
       用房=4200, 场馆=8200, 设备="190", 多媒体=18, 音美=(2, 2, 100, 92), 经费=("56", "3"))

# ---- 九年一贯制学校 (2) ---------------------------------------------------------------
school("2136030001", "示例县城南学校", "九年一贯制学校", "城区", "否", 2016,
       小=(600, 14, 44, 36, 32, 12, 6), 初=(400, 9, 48, 33, 30, 8, 5),
       用房=5500, 场馆=10400, 设备="240", 多媒体=26, 音美=(3, 3, 100, 96), 经费=("82", "4.5"))
school("2136030002", "示例县石门九年一贯制学校", "九年一贯制学校", "乡村", "是", 2009,
       小=(450, 12, 40, 34, 30, 5, 6), 初=(300, 8, 42, 27, 18, 4, 5),
       用房=6000, 场馆=14000, 设备="230", 多媒体=26, 音美=(2, 2, 98, 92), 经费=("61", "3.3"))

# ---- 完全中学 (1) / 十二年一贯制学校 (1) ------------------------------------------------
school("2136030011", "示例县第一中学", "完全中学", "城区", "是", 1985,
       初=(900, 20, 50, 74, 72, 24, 10), 高中=1000,
       用房=14000, 场馆=26000, 设备="700", 多媒体=60, 音美=(4, 4, 108, 100), 经费=("210", "11"))
school("2136030021", "示例县育才学校", "十二年一贯制学校", "城区", "是", 2020,
       小=(900, 20, 45, 54, 50, 18, 10), 初=(700, 16, 48, 58, 54, 14, 8), 高中=600,
       用房=14000, 场馆=26000, 设备="720", 多媒体=72, 音美=(5, 5, 110, 100), 经费=("200", "11"))

# ---- 教学点 (3) ------------------------------------------------------------------------
school("2136040001", "示例县李家庄教学点", "教学点", "乡村", "否", 1986,
       小=(23, 2, 13, 3, 2, 0, 0),
       用房=500, 场馆=1200, 设备="4.5", 多媒体=1, 音美=(1, 1, 96, 90), 经费=("7.5", "0.4"))
school("2136040002", "示例县西河镇马家沟教学点", "教学点", "乡村", "否", 1991,
       小=(50, 3, 18, 5, 4, 1, 1),
       用房=620, 场馆=1500, 设备="12", 多媒体=3, 音美=(1, 1, 96, 90), 经费=("7.5", "0.4"))
school("2136040003", "示例县北山镇高岭教学点", "教学点", "乡村", "否", 1989,
       小=(80, 4, 22, 7, 6, 1, 1),
       用房=700, 场馆=1800, 设备="18", 多媒体=3, 音美=(1, 1, 96, 90), 经费=("8", "0.45"))

ID = {s["学校名称"]: s["学校标识码"] for s in SCHOOLS}

# ---- 基本均衡 (2012) columns, whole school for 计算机/图书 (split 1:1.1:1.32 like the other
#      facilities), by stage for 中级及以上职称: (计算机台数, 图书册数, 小学中级, 初中中级) ----------
BASIC = {
    "示例县实验小学": (260, 56000, 62, 0), "示例县城关第一小学": (210, 46000, 50, 0),
    "示例县城关第二小学": (250, 56000, 60, 0), "示例县城关第三小学": (170, 37000, 40, 0),
    "示例县城关第八小学": (130, 28000, 34, 0), "示例县东关镇中心小学": (140, 29000, 33, 0),
    "示例县西河镇中心小学": (120, 25000, 30, 0), "示例县南岭镇中心小学": (100, 22000, 24, 0),
    "示例县北山镇中心小学": (105, 21500, 27, 0), "示例县柳林镇中心小学": (90, 19000, 22, 0),
    "示例县东关镇王家庄小学": (45, 9800, 14, 0), "示例县西河镇张湾小学": (38, 8200, 12, 0),
    "示例县南岭镇石桥小学": (60, 12500, 16, 0), "示例县北山镇杨树沟小学": (30, 6000, 8, 0),
    "示例县柳林镇河口小学": (25, 4800, 7, 0),
    "示例县实验中学": (300, 66000, 0, 78), "示例县第二中学": (250, 55000, 0, 62),
    "示例县第三中学": (190, 42000, 0, 46), "示例县东关镇中学": (170, 37000, 0, 40),
    "示例县西河镇中学": (150, 33000, 0, 36), "示例县南岭镇中学": (130, 29000, 0, 30),
    "示例县北山镇初级中学": (110, 24000, 0, 25), "示例县柳林镇中学": (115, 26000, 0, 27),
    "示例县城南学校": (200, 38000, 19, 18), "示例县石门九年一贯制学校": (150, 30000, 17, 14),
    "示例县第一中学": (420, 95000, 0, 44), "示例县育才学校": (400, 90000, 29, 32),
    "示例县李家庄教学点": (4, 700, 1, 0), "示例县西河镇马家沟教学点": (8, 1500, 2, 0),
    "示例县北山镇高岭教学点": (12, 2300, 3, 0),
}
assert set(BASIC) == set(ID)
for _s in SCHOOLS:
    _s.update(zip(BASIC_SCHOOL_COLUMNS, BASIC[_s["学校名称"]], strict=True))
    assert list(_s) == SCHOOL_COLUMNS

# --------------------------------------------------------------------------------------
# 县区表
# --------------------------------------------------------------------------------------
COUNTY_ROW = {
    "县区": COUNTY, "省份": PROVINCE,
    "交流轮岗教师数": 114, "符合交流条件教师数": 1200, "交流骨干教师数": 26,
    "优质高中招生计划数": 2400, "分配到校招生数": 1320,
    "随迁子女数": 2000, "公办就读随迁子女数": 1660,
    "适龄残疾儿童数": 412, "缓学残疾儿童数": 6, "入学残疾儿童数": 398,
    "初中三年巩固率": "98.2", "教师培训完成率": 100, "城区就近入学比例": 100,
    "镇区就近入学比例": "96.5", "社会认可度": "91.3",
    "教师平均工资": 98600, "公务员平均工资": 97200,
    "特教生均公用经费": 6500,
    "校际差异率": "0.1",
    "规划布局合理": "是", "建设标准统一": "是", "编制统筹": "是", "留守儿童关爱体系健全": "是",
    "信息化教学": "是", "德育良好": "是", "课程开齐开足": "是", "无过重课业负担": "是",
    "质量监测达到III级": "是",
    "学校管理信息化": "是", "以考试方式招生": "否", "违规择校": "否", "重点校重点班": "否",
    "达到办学基本标准": "是", "县级政府推进工作得分": 93, "公众满意度": "90.6",
}
assert list(COUNTY_ROW) == COUNTY_COLUMNS

# --------------------------------------------------------------------------------------
# Semantics (the engine implements the same; see the module docstring of EXPECTED.md)
# --------------------------------------------------------------------------------------
INDICATORS = ["R1", "R2", "R3", "R4", "R5", "R6", "R7"]
IND_NAME = {
    "R1": "每百名学生拥有高于规定学历教师数",
    "R2": "每百名学生拥有县级以上骨干教师数",
    "R3": "每百名学生拥有体育、艺术专任教师数",
    "R4": "生均教学及辅助用房面积",
    "R5": "生均体育运动场馆面积",
    "R6": "生均教学仪器设备值",
    "R7": "每百名学生拥有网络多媒体教室数",
}
IND_UNIT = {"R1": "人/百生", "R2": "人/百生", "R3": "人/百生", "R4": "㎡/生",
            "R5": "㎡/生", "R6": "元/生", "R7": "间/百生"}
STANDARD = {
    "小学": {"R1": F("4.2"), "R2": F(1), "R3": F("0.9"), "R4": F("4.5"),
             "R5": F("7.5"), "R6": F(2000), "R7": F("2.3")},
    "初中": {"R1": F("5.3"), "R2": F(1), "R3": F("0.9"), "R4": F("5.8"),
             "R5": F("10.2"), "R6": F(2500), "R7": F("2.4")},
}
FLOOR = F(85, 100)
CV_LIMIT = {"小学": F("0.50"), "初中": F("0.45")}
WEIGHT = {"小学": F(1), "初中": F("1.1"), "高中": F("1.32")}
STAGES_OF = {
    "小学": ["小学"], "教学点": ["小学"], "初中": ["初中"],
    "九年一贯制学校": ["小学", "初中"], "完全中学": ["初中"],
    "十二年一贯制学校": ["小学", "初中"],
}
MIN_STUDENTS_教学点 = 50
FACILITY = {"R4": "教学及辅助用房面积", "R5": "体育运动场馆面积",
            "R6": "教学仪器设备值", "R7": "网络多媒体教室数"}
TEACHER = {"R1": "高于规定学历教师数", "R2": "骨干教师数", "R3": "体育艺术教师数"}


def q(v) -> F:
    """Exact value of a cell (int or decimal string)."""
    return F(str(v))


def share(s: dict, stage: str, weighted: bool = True) -> F:
    """Share of the whole-school facility quantities that goes to `stage`."""
    if len(STAGES_OF[s["办学类型"]]) == 1 and s["高中生数"] == 0:
        return F(1)
    w = WEIGHT if weighted else {k: F(1) for k in WEIGHT}
    denom = (q(s["小学生数"]) * w["小学"] + q(s["初中生数"]) * w["初中"]
             + q(s["高中生数"]) * w["高中"])
    return q(s[f"{stage}生数"]) * w[stage] / denom


def unit_values(s: dict, stage: str, weighted: bool = True) -> dict[str, F]:
    P = q(s[f"{stage}生数"])
    sh = share(s, stage, weighted)
    v = {}
    for r, col in TEACHER.items():
        v[r] = q(s[f"{stage}{col}"]) / P * 100
    v["R4"] = q(s["教学及辅助用房面积"]) * sh / P
    v["R5"] = q(s["体育运动场馆面积"]) * sh / P
    v["R6"] = q(s["教学仪器设备值"]) * 10000 * sh / P
    v["R7"] = q(s["网络多媒体教室数"]) * sh / P * 100
    return v


def judge(stage: str, v: dict[str, F]) -> tuple[list[str], str]:
    std = STANDARD[stage]
    miss = [r for r in INDICATORS if not v[r] >= std[r]]
    ok = len(miss) <= 1 and all(v[r] >= FLOOR * std[r] for r in miss)
    return miss, ("达标" if ok else "未达标")


def in_scope(s: dict, stage: str) -> bool:
    if s["办学类型"] == "教学点" and s["小学生数"] < MIN_STUDENTS_教学点:
        return False
    return True


def build_units(weighted: bool = True, include_all: bool = False, schools=None) -> list[dict]:
    units = []
    for s in SCHOOLS if schools is None else schools:
        for stage in STAGES_OF[s["办学类型"]]:
            u = {"school": s, "学校标识码": s["学校标识码"], "学校名称": s["学校名称"],
                 "学段": stage, "P": q(s[f"{stage}生数"]), "share": share(s, stage, weighted)}
            u["in_scope"] = include_all or in_scope(s, stage)
            u["v"] = unit_values(s, stage, weighted)
            u["miss"], u["verdict"] = judge(stage, u["v"])
            if not u["in_scope"]:
                u["verdict"] = "不适用"
            units.append(u)
    return units


def cv_exact(units: list[dict], stage: str, r: str) -> dict:
    us = [u for u in units if u["学段"] == stage and u["in_scope"]]
    P = sum(u["P"] for u in us)
    mean = sum(u["P"] * u["v"][r] for u in us) / P
    var = sum(u["P"] * (u["v"][r] - mean) ** 2 for u in us) / P
    with localcontext() as ctx:
        ctx.prec = 30
        S = (Decimal(var.numerator) / Decimal(var.denominator)).sqrt()
        cv = S / (Decimal(mean.numerator) / Decimal(mean.denominator))
    lim = CV_LIMIT[stage]
    ok_exact = var <= lim * lim * mean * mean        # S/X̄ ≤ L  ⇔  S² ≤ L²X̄²
    assert ok_exact == (cv <= Decimal(lim.numerator) / Decimal(lim.denominator))
    return {"n": len(us), "P": P, "mean": mean, "var": var, "S": S, "cv": cv,
            "limit": lim, "verdict": "达标" if ok_exact else "未达标"}


def d6(x) -> str:
    """6 decimals, half-up, from an exact Fraction or a Decimal."""
    with localcontext() as ctx:
        ctx.prec = 60
        if isinstance(x, F):
            x = Decimal(x.numerator) / Decimal(x.denominator)
        return str(x.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP))


def dn(x, n=2) -> str:
    with localcontext() as ctx:
        ctx.prec = 60
        if isinstance(x, F):
            x = Decimal(x.numerator) / Decimal(x.denominator)
        return str(x.quantize(Decimal(1).scaleb(-n), rounding=ROUND_HALF_UP))


def pct(x: F, n=2) -> str:
    return dn(x * 100, n) + "%"


# --------------------------------------------------------------------------------------
# Per-school items (政府保障程度 3/4/5/6/12, 教育质量 3/4)
# --------------------------------------------------------------------------------------
SIZE_LIMIT = {"小学": 2000, "初中": 2000, "教学点": 2000, "完全中学": 2000,
              "九年一贯制学校": 2500, "十二年一贯制学校": 2500}
ROOMS_PER = 12
MUSIC_MIN, ART_MIN = 96, 90
TRAINING_SHARE = F(5, 100)
BASE_FUNDING_万 = {"小学": F(720, 10000), "初中": F(940, 10000)}   # 国家生均公用经费基准定额
SMALL_SCHOOL = 100


def school_items(s: dict) -> dict[str, dict]:
    it = {}
    compulsory = s["小学生数"] + s["初中生数"]
    lim = SIZE_LIMIT[s["办学类型"]]
    it["学校规模"] = {"值": compulsory, "要求": f"义务教育阶段学生 ≤ {lim}",
                  "结论": "达标" if compulsory <= lim else "未达标"}
    big = []
    if s["小学生数"] and (s["小学最大班额"] > 45 or s["小学大班额班数"] > 0):
        big.append(f"小学最大班额 {s['小学最大班额']},大班额 {s['小学大班额班数']} 个")
    if s["初中生数"] and (s["初中最大班额"] > 50 or s["初中大班额班数"] > 0):
        big.append(f"初中最大班额 {s['初中最大班额']},大班额 {s['初中大班额班数']} 个")
    mx = "/".join(str(s[f"{st}最大班额"]) for st in STAGES_OF[s["办学类型"]])
    it["班额"] = {"值": "; ".join(big) or f"最大班额 {mx}",
                "要求": "小学 ≤ 45,初中 ≤ 50", "结论": "未达标" if big else "达标"}
    classes = s["小学班数"] + s["初中班数"]
    need = math.ceil(classes / ROOMS_PER)
    need_sep = math.ceil(s["小学班数"] / ROOMS_PER) + math.ceil(s["初中班数"] / ROOMS_PER)
    ok = (s["音乐专用教室数"] >= need and s["美术专用教室数"] >= need
          and s["音乐专用教室最小面积"] >= MUSIC_MIN and s["美术专用教室最小面积"] >= ART_MIN)
    # sample design: where it passes it also passes if 一贯制 stages are counted separately
    if ok:
        assert s["音乐专用教室数"] >= need_sep and s["美术专用教室数"] >= need_sep, s["学校名称"]
    it["音乐美术专用教室"] = {
        "值": f"{classes} 班需各 {need} 间;音乐 {s['音乐专用教室数']} 间(最小 {s['音乐专用教室最小面积']}㎡),"
             f"美术 {s['美术专用教室数']} 间(最小 {s['美术专用教室最小面积']}㎡)",
        "要求": "每 12 班各 1 间以上(⌈班数/12⌉),音乐 ≥ 96㎡,美术 ≥ 90㎡",
        "结论": "达标" if ok else "未达标"}
    total_t = s["小学专任教师数"] + s["初中专任教师数"]
    it["持证上岗"] = {"值": f"{s['持证专任教师数']}/{total_t}", "要求": "持证专任教师数 = 专任教师数",
                  "结论": "达标" if s["持证专任教师数"] >= total_t else "未达标"}
    ratio = q(s["教师培训经费"]) / q(s["公用经费预算"])
    it["教师培训经费占比"] = {"值": pct(ratio, 4), "要求": "≥ 5% 公用经费预算",
                      "结论": "达标" if ratio >= TRAINING_SHARE else "未达标"}
    it["学校章程"] = {"值": s["有章程"], "要求": "是", "结论": "达标" if s["有章程"] == "是" else "未达标"}
    if compulsory < SMALL_SCHOOL:
        need_f = SMALL_SCHOOL * (BASE_FUNDING_万["小学"] if s["小学生数"] else BASE_FUNDING_万["初中"])
        it["小规模学校公用经费"] = {
            "值": f"{s['公用经费预算']} 万元(按 100 人核定需 ≥ {dn(need_f, 1)} 万元)",
            "要求": "不足 100 人按 100 人核定",
            "结论": "达标" if q(s["公用经费预算"]) >= need_f else "未达标"}
    return it


# --------------------------------------------------------------------------------------
# County items
# --------------------------------------------------------------------------------------
def county_items(units, cvs, sitems, c=COUNTY_ROW, schools=None) -> dict[str, dict]:
    schools = SCHOOLS if schools is None else schools
    out: dict[str, dict] = {}

    def put(area, name, value, req, ok, unit="", note=None):
        out[name] = {"领域": area, "值": value, "单位": unit, "要求": req,
                     "结论": ok if isinstance(ok, str) else ("达标" if ok else "未达标")}
        if note:
            out[name]["说明"] = note

    def all_schools(item):
        bad = [s["学校标识码"] for s in schools if sitems[s["学校标识码"]].get(item, {}).get("结论") == "未达标"]
        return bad

    # 资源配置
    scope = [u for u in units if u["in_scope"]]
    bad_units = [f"{u['学校标识码']}/{u['学段']}" for u in scope if u["verdict"] != "达标"]
    put("资源配置", "学部资源配置达标", f"{len(scope) - len(bad_units)}/{len(scope)}",
        "所有学部至少 6 项达标,余项 ≥ 85%", not bad_units, "学部",
        f"未达标学部: {', '.join(bad_units)}" if bad_units else None)
    bad_cv = [f"{st}{r}" for st in cvs for r in cvs[st] if cvs[st][r]["verdict"] != "达标"]
    put("资源配置", "校际差异系数", f"{14 - len(bad_cv)}/14",
        "小学各项 ≤ 0.50,初中各项 ≤ 0.45", not bad_cv, "项",
        f"超标: {', '.join(bad_cv)}" if bad_cv else None)

    G, Q = "政府保障程度", "教育质量"

    def yes(col):
        return c[col] == "是"

    put(G, "规划布局合理", c["规划布局合理"], "是", yes("规划布局合理"))
    put(G, "建设标准统一", c["建设标准统一"], "是", yes("建设标准统一"))
    for item in ("音乐美术专用教室", "学校规模", "班额"):
        bad = all_schools(item)
        put(G, item, f"{len(schools) - len(bad)}/{len(schools)}", "所有学校达标", not bad, "所",
            f"未达标学校: {', '.join(bad)}" if bad else None)
    small = [s for s in schools if "小规模学校公用经费" in sitems[s["学校标识码"]]]
    bad = all_schools("小规模学校公用经费")
    put(G, "小规模学校公用经费", f"{len(small) - len(bad)}/{len(small)}",
        "不足 100 人的学校按 100 人核定公用经费", not bad, "所",
        "按国家基准定额 小学 720 元/生·年 核算(公用经费预算 ≥ 100×720 元 = 7.2 万元);"
        "规则包若未设基准定额参数,本项为 数据缺失")
    put(G, "特教生均公用经费", str(c["特教生均公用经费"]), "≥ 6000", q(c["特教生均公用经费"]) >= 6000, "元")
    put(G, "教师平均工资", f"{c['教师平均工资']} vs {c['公务员平均工资']}", "不低于公务员平均工资",
        c["教师平均工资"] >= c["公务员平均工资"], "元/年")
    put(G, "教师培训完成率", d6(q(c["教师培训完成率"])), "= 100", q(c["教师培训完成率"]) >= 100, "%")
    put(G, "编制统筹", c["编制统筹"], "是", yes("编制统筹"))
    r = F(c["交流轮岗教师数"], c["符合交流条件教师数"]) * 100
    put(G, "交流轮岗教师比例", d6(r), "≥ 10", r >= 10, "%")
    r = F(c["交流骨干教师数"], c["交流轮岗教师数"]) * 100
    put(G, "交流骨干教师比例", d6(r), "≥ 20", r >= 20, "%")
    held = sum(s["持证专任教师数"] for s in schools)
    total = sum(s["小学专任教师数"] + s["初中专任教师数"] for s in schools)
    bad = all_schools("持证上岗")
    put(G, "持证上岗率", d6(F(held, total) * 100), "= 100", held >= total, "%",
        f"{held}/{total};未达标学校: {', '.join(bad)}" if bad else None)
    put(G, "城区就近入学比例", d6(q(c["城区就近入学比例"])), "= 100", q(c["城区就近入学比例"]) >= 100, "%")
    put(G, "镇区就近入学比例", d6(q(c["镇区就近入学比例"])), "≥ 95", q(c["镇区就近入学比例"]) >= 95, "%")
    r = F(c["分配到校招生数"], c["优质高中招生计划数"]) * 100
    put(G, "优质高中招生名额分配比例", d6(r), "≥ 50", r >= 50, "%")
    put(G, "留守儿童关爱体系健全", c["留守儿童关爱体系健全"], "是", yes("留守儿童关爱体系健全"))
    r = F(c["公办就读随迁子女数"], c["随迁子女数"]) * 100
    put(G, "随迁子女公办就读比例", d6(r), "≥ 85", r >= 85, "%")

    put(Q, "初中三年巩固率", d6(q(c["初中三年巩固率"])), "≥ 95", q(c["初中三年巩固率"]) >= 95, "%")
    r = F(c["入学残疾儿童数"], c["适龄残疾儿童数"]) * 100
    r2 = F(c["入学残疾儿童数"], c["适龄残疾儿童数"] - c["缓学残疾儿童数"]) * 100
    assert (r >= 95) == (r2 >= 95)       # sample design: the 缓学 reading does not matter
    put(Q, "残疾儿童少年入学率", d6(r), "≥ 95", r >= 95, "%",
        f"入学 ÷ 适龄;若分母扣除缓学则为 {d6(r2)},结论相同")
    bad = all_schools("学校章程")
    put(Q, "学校章程", f"{len(schools) - len(bad)}/{len(schools)}", "所有学校有章程", not bad, "所")
    bad = all_schools("教师培训经费占比")
    put(Q, "教师培训经费占比", f"{len(schools) - len(bad)}/{len(schools)}",
        "所有学校 ≥ 5% 公用经费预算", not bad, "所",
        f"未达标学校: {', '.join(bad)}" if bad else None)
    for col in ("信息化教学", "德育良好", "课程开齐开足", "无过重课业负担", "质量监测达到III级"):
        put(Q, col, c[col], "是", yes(col))
    put(Q, "校际差异率", d6(q(c["校际差异率"])), "< 0.15", q(c["校际差异率"]) < F("0.15"))
    put("社会认可度", "社会认可度", d6(q(c["社会认可度"])), "≥ 85", q(c["社会认可度"]) >= 85, "%")
    return out


# --------------------------------------------------------------------------------------
# Planted cases
# --------------------------------------------------------------------------------------
ROLES = [
    ("示例县城关第八小学", "小学",
     "单项未达标但 ≥ 85%:R4 = 4,280㎡ ÷ 1,000 人 = 4.28 < 4.5(为要求的 95.1%),其余 6 项达标 → 资源配置 达标"),
    ("示例县东关镇中学", "初中",
     "单项低于 85%:R5 = 7,020㎡ ÷ 900 人 = 7.8 < 8.67(10.2 的 85%),为要求的 76.5% → 资源配置 未达标"),
    ("示例县南岭镇中心小学", "小学",
     "两项未达标(均 ≥ 85%):R1 = 32 ÷ 800 × 100 = 4.0(95.2%),R5 = 5,600 ÷ 800 = 7.0(93.3%)→ 只允许 1 项余项 → 未达标"),
    ("示例县第三中学", "初中",
     "恰好等于标准:R3 = 9 ÷ 1,000 × 100 = 0.9(= 0.9,达标;浮点 0.009×100 = 0.8999…);"
     "另有 R6 = 2,375 元(95%)为余项,所以 R3 判为达标时 资源配置 达标,若误判为未达标则变成 2 项未达标"),
    ("示例县城关第二小学", "小学",
     "恰好 85%:R2 = 17 ÷ 2,000 × 100 = 0.85 = 1 × 85%,唯一余项 → 资源配置 达标;"
     "同时学生数恰为 2,000(学校规模 ≤ 2000,达标)"),
    ("示例县城南学校", "小学+初中",
     "九年一贯制 600 + 400 人,设施按 1 : 1.1 折算:小学部 600/1040,初中部 440/1040。"
     "初中部 R4 = 5,500 × 440/1040 ÷ 400 = 5.817 ≥ 5.8、R6 = 2,538 元 ≥ 2,500 均仅因加权而达标;"
     "若按人数不加权拆分(0.6/0.4),R4 = 5.5、R6 = 2,400,初中部变成 2 项未达标 → 资源配置 未达标"),
    ("示例县第一中学", "初中",
     "完全中学(初中 900 + 高中 1,000):初中部份额 = 990/(990+1320) = 3/7,高中份额不计入任何学部"),
    ("示例县育才学校", "小学+初中",
     "十二年一贯制(900 + 700 + 高中 600):份额 900/2462 与 770/2462,高中 792/2462 不计入"),
    ("示例县李家庄教学点", "小学",
     "23 人 < 50 的教学点:7 项指标与差异系数均 不适用。若被误纳入,R2 = R3 = 0 → 未达标,且各差异系数改变"),
    ("示例县西河镇马家沟教学点", "小学",
     "恰好 50 人的教学点(不是“不足 50 人”)→ 纳入 7 项指标和差异系数"),
    ("示例县北山镇高岭教学点", "小学", "80 人的教学点 → 纳入评估,7 项全部达标"),
]

SCHOOL_ROLES = [   # (学校, 项目, 预期结论, 说明)
    ("示例县第二中学", "班额", "未达标", "初中最大班额 52 > 50,大班额班数 2 → 班额 未达标"),
    ("示例县城关第一小学", "音乐美术专用教室", "未达标",
     "36 个班需音乐、美术专用教室各 ⌈36/12⌉ = 3 间,美术只有 2 间 → 未达标"),
    ("示例县西河镇中学", "持证上岗", "未达标", "专任教师 66 人,持证 65 人 → 未达标(全县持证上岗率 < 100%)"),
    ("示例县北山镇中心小学", "教师培训经费占比", "未达标", "2.08 ÷ 52 = 4% < 5% → 未达标"),
    ("示例县实验中学", "教师培训经费占比", "达标", "恰好 5%:7.1 ÷ 142 = 0.05 → 达标(浮点 7.1/142 = 0.049999…)"),
    ("示例县城关第二小学", "学校规模", "达标", "恰好 2,000 人 → 达标(不超过 2000)"),
    ("示例县北山镇初级中学", "音乐美术专用教室", "达标", "恰好 12 个班,音乐、美术各 1 间 → 达标(⌈12/12⌉ = 1)"),
]

CV_TARGET = ("初中", "R5")     # the one 差异系数 that must fail


def u_of(units, name, stage):
    (u,) = [u for u in units if u["学校名称"] == name and u["学段"] == stage]
    return u


def check_planted(units, cvs, sitems, citems):
    std = STANDARD
    # 2. one miss ≥ 85%
    u = u_of(units, "示例县城关第八小学", "小学")
    assert u["v"]["R4"] == F("4.28") and u["miss"] == ["R4"] and u["verdict"] == "达标", u
    # 3. one miss < 85%
    u = u_of(units, "示例县东关镇中学", "初中")
    assert u["miss"] == ["R5"] and u["v"]["R5"] < FLOOR * std["初中"]["R5"] and u["verdict"] == "未达标"
    # 4. two misses, both ≥ 85%
    u = u_of(units, "示例县南岭镇中心小学", "小学")
    assert u["miss"] == ["R1", "R5"] and u["verdict"] == "未达标"
    assert all(u["v"][r] >= FLOOR * std["小学"][r] for r in u["miss"])
    # 5a. R3 exactly at the standard; its verdict decides the 学部
    u = u_of(units, "示例县第三中学", "初中")
    assert u["v"]["R3"] == std["初中"]["R3"] and u["miss"] == ["R6"] and u["verdict"] == "达标"
    assert 0.009 * 100 < 0.9          # the float trap the case is there for
    # 5b. R2 exactly at 85 %
    u = u_of(units, "示例县城关第二小学", "小学")
    assert u["v"]["R2"] == FLOOR * std["小学"]["R2"] and u["miss"] == ["R2"] and u["verdict"] == "达标"
    # 6. 九年一贯制 split matters
    u = u_of(units, "示例县城南学校", "初中")
    assert u["share"] == F(440, 1040) and u["miss"] == [] and u["verdict"] == "达标"
    un = u_of(build_units(weighted=False), "示例县城南学校", "初中")
    assert un["miss"] == ["R4", "R6"] and un["verdict"] == "未达标"
    assert u_of(units, "示例县城南学校", "小学")["verdict"] == "达标"
    assert u_of(units, "示例县第一中学", "初中")["share"] == F(3, 7)
    # 7. 教学点 scope
    u = u_of(units, "示例县李家庄教学点", "小学")
    assert not u["in_scope"] and u["verdict"] == "不适用"
    wrong = build_units(include_all=True)
    assert u_of(wrong, "示例县李家庄教学点", "小学")["verdict"] == "未达标"
    assert cv_exact(wrong, "小学", "R5")["cv"] != cvs["小学"]["R5"]["cv"]
    assert u_of(units, "示例县西河镇马家沟教学点", "小学")["in_scope"]
    assert u_of(units, "示例县北山镇高岭教学点", "小学")["verdict"] == "达标"
    # 1. every other 学部 passes all 7 comfortably (≥ 1 % above the standard)
    tight = {("示例县城关第八小学", "小学"), ("示例县东关镇中学", "初中"), ("示例县南岭镇中心小学", "小学"),
             ("示例县第三中学", "初中"), ("示例县城关第二小学", "小学"), ("示例县城南学校", "初中")}
    for u in units:
        if (u["学校名称"], u["学段"]) in tight or not u["in_scope"]:
            continue
        for r in INDICATORS:
            assert u["v"][r] >= std[u["学段"]][r] * F(101, 100), (u["学校名称"], u["学段"], r, float(u["v"][r]))
    # CVs: exactly one fails, slightly
    for st in cvs:
        for r, c in cvs[st].items():
            if (st, r) == CV_TARGET:
                assert c["verdict"] == "未达标" and F("0.45") < F(str(c["cv"])) <= F("0.55"), c["cv"]
            else:
                assert c["verdict"] == "达标", (st, r, c["cv"])
                assert F("0.05") <= F(str(c["cv"])) <= F("0.42"), (st, r, c["cv"])
    # per-school items: exactly the planted failures
    fails = {(sid, item) for sid, its in sitems.items() for item, x in its.items() if x["结论"] == "未达标"}
    want = {(ID[n], item) for n, item, verdict, _ in SCHOOL_ROLES if verdict == "未达标"}
    assert fails == want, (fails, want)
    for n, item, verdict, _ in SCHOOL_ROLES:
        assert sitems[ID[n]][item]["结论"] == verdict, (n, item)
    assert 7.1 / 142 < 0.05           # the float trap
    # county items from 县区表: exactly two fail
    county_only = {k for k, v in citems.items() if v["结论"] != "达标"}
    assert county_only == {"学部资源配置达标", "校际差异系数", "音乐美术专用教室", "班额", "持证上岗率",
                           "交流轮岗教师比例", "随迁子女公办就读比例", "教师培训经费占比"}, county_only
    # 学部 verdicts overall: exactly the two planted failures
    bad = {(u["学校名称"], u["学段"]) for u in units if u["verdict"] == "未达标"}
    assert bad == {("示例县东关镇中学", "初中"), ("示例县南岭镇中心小学", "小学")}, bad
    # ids unique, 10 digits; csv numbers plain
    ids = [s["学校标识码"] for s in SCHOOLS]
    assert len(set(ids)) == len(ids) and all(len(i) == 10 and i.isdigit() for i in ids)
    # sizes: no ambiguity about 高中 students either
    for s in SCHOOLS:
        tot = s["小学生数"] + s["初中生数"] + s["高中生数"]
        assert tot <= SIZE_LIMIT[s["办学类型"]], s["学校名称"]


# --------------------------------------------------------------------------------------
# 基本均衡 (教督〔2012〕3号): 8 indicators per 学段, CV of each, 综合 = mean of the 8 unrounded
# CVs (小学 ≤ 0.65, 初中 ≤ 0.55). All 教学点 are left out (《差异系数测算说明》); the five
# facility quantities are split like the 2017 ones; teachers come by stage.
# --------------------------------------------------------------------------------------
BASIC_IND = {   # name: (numerator column or 学段 column suffix, whole-school facility?, factor)
    "生均教学及辅助用房面积": ("教学及辅助用房面积", True, 1),
    "生均体育运动场馆面积": ("体育运动场馆面积", True, 1),
    "生均教学仪器设备值": ("教学仪器设备值", True, 10000),
    "每百名学生拥有计算机台数": ("计算机台数", True, 100),
    "生均图书册数": ("图书册数", True, 1),
    "师生比": ("专任教师数", False, 1),
    "生均高于规定学历教师数": ("高于规定学历教师数", False, 1),
    "生均中级及以上职称教师数": ("中级及以上职称教师数", False, 1),
}
BASIC_LIMIT = {"小学": F("0.65"), "初中": F("0.55")}


def basic_cvs(schools) -> dict[str, dict]:
    """Per 学段: the 8 CVs (exact Decimal, 30 digits), their unrounded mean and the verdict."""
    out = {}
    for st in ("小学", "初中"):
        units = [(s, q(s[f"{st}生数"]), share(s, st)) for s in schools
                 if st in STAGES_OF[s["办学类型"]] and s["办学类型"] != "教学点"]
        cvs = {}
        for name, (col, facility, k) in BASIC_IND.items():
            xs = [(P, (q(s[col]) * sh if facility else q(s[f"{st}{col}"])) * k / P) for s, P, sh in units]
            total = sum(P for P, _ in xs)
            mean = sum(P * x for P, x in xs) / total
            var = sum(P * (x - mean) ** 2 for P, x in xs) / total
            with localcontext() as ctx:
                ctx.prec = 30
                cvs[name] = (Decimal(var.numerator) / Decimal(var.denominator)).sqrt() / (
                    Decimal(mean.numerator) / Decimal(mean.denominator))
        with localcontext() as ctx:
            ctx.prec = 30
            mean8 = sum(cvs.values()) / 8
        lim = Decimal(str(float(BASIC_LIMIT[st])))
        assert abs(mean8 - lim) > Decimal("1e-20")      # never decided by the 30-digit rounding
        out[st] = {"cvs": cvs, "综合": mean8, "n": len(units), "结论": "达标" if mean8 <= lim else "未达标"}
    return out


def basic_county(c: dict, basic: dict) -> dict[str, str]:
    return {"门槛": "达标" if c["达到办学基本标准"] == "是" else "未达标",
            "校际均衡": "达标" if all(basic[st]["结论"] == "达标" for st in basic) else "未达标",
            "推进工作": "达标" if q(c["县级政府推进工作得分"]) >= 85 else "未达标",
            "满意度": "达标" if q(c["公众满意度"]) >= 85 else "未达标"}


def basic_md(basic: dict, verdicts: dict[str, str]) -> list[str]:
    L = ["## 基本均衡(教督〔2012〕3号,规则集 基本均衡)", "",
         "8 项指标逐学段计算(教师类为每名学生,不乘 100;计算机台数为每百名学生),不含全部教学点;5 项设施量按 1 : 1.1 : 1.32 拆分。"
         "差异系数按学生数加权,综合差异系数 = 8 项差异系数(不取舍)的平均值,小学 ≤ 0.65、初中 ≤ 0.55。", "",
         "| 指标 | 小学差异系数 | 初中差异系数 |", "|---|---:|---:|"]
    for name in BASIC_IND:
        L.append(f"| {name} | {d6(basic['小学']['cvs'][name])} | {d6(basic['初中']['cvs'][name])} |")
    L.append(f"| **综合差异系数** | **{d6(basic['小学']['综合'])}**({basic['小学']['结论']}) "
             f"| **{d6(basic['初中']['综合'])}**({basic['初中']['结论']}) |")
    L += ["", "县级项目:" + ",".join(f"{k} {v}" for k, v in verdicts.items())
          + f";基本均衡 {'达标' if all(v == '达标' for v in verdicts.values()) else '未达标'}。", ""]
    return L


def basic_json(basic: dict, verdicts: dict[str, str]) -> dict:
    return {"差异系数": {st: {k: d6(v) for k, v in basic[st]["cvs"].items()} for st in basic},
            "综合差异系数": {st: d6(basic[st]["综合"]) for st in basic},
            "综合差异系数结论": {st: basic[st]["结论"] for st in basic},
            "县": verdicts, "结论": "达标" if all(v == "达标" for v in verdicts.values()) else "未达标"}


# --------------------------------------------------------------------------------------
# The second year (2024). The top-level files are 2023 (学年初统计); examples/示例县/2024/
# holds the next year with a plausible story — town schools grow, village schools shrink,
# village 初中 get a sports hall, computers and books — and the slips `junheng monitor`
# must report (see MONITOR_ROLES).
# --------------------------------------------------------------------------------------
YEAR, NEXT_YEAR = "2023", "2024"
CHANGES_2024: dict[str, dict] = {
    "示例县实验小学": {"小学生数": 1890, "小学专任教师数": 110, "小学高于规定学历教师数": 108,
                  "小学中级及以上职称教师数": 63, "持证专任教师数": 110, "图书册数": 58000},
    "示例县城关第一小学": {"小学生数": 1620},
    "示例县城关第二小学": {"小学生数": 1990},
    "示例县城关第三小学": {"小学生数": 1290, "小学班数": 29},
    "示例县城关第八小学": {"小学生数": 1060, "小学最大班额": 45},
    "示例县东关镇中心小学": {"小学生数": 960},
    "示例县南岭镇中心小学": {"小学生数": 780},
    "示例县东关镇王家庄小学": {"小学生数": 306},
    "示例县西河镇张湾小学": {"小学生数": 248},
    "示例县南岭镇石桥小学": {"小学生数": 394},
    "示例县北山镇杨树沟小学": {"小学生数": 170},
    "示例县柳林镇河口小学": {"小学生数": 132},
    "示例县实验中学": {"初中生数": 1580, "初中班数": 33},
    "示例县第二中学": {"初中生数": 1340, "初中最大班额": 50, "初中大班额班数": 0},
    "示例县西河镇中学": {"初中生数": 726, "持证专任教师数": 66},
    "示例县南岭镇中学": {"初中生数": 588, "初中班数": 14, "体育运动场馆面积": 20500, "计算机台数": 160,
                   "图书册数": 31000},
    "示例县北山镇初级中学": {"初中生数": 478, "初中班数": 11, "计算机台数": 125, "图书册数": 25500},
    "示例县石门九年一贯制学校": {"小学生数": 438, "初中生数": 292},
}
COUNTY_CHANGES_2024 = {
    "交流轮岗教师数": 130, "符合交流条件教师数": 1210, "交流骨干教师数": 30,
    "随迁子女数": 2100, "公办就读随迁子女数": 1760, "社会认可度": "88.9",
    "县级政府推进工作得分": "87.5", "公众满意度": "84.2",
}
MONITOR_ROLES = [   # (规则集, 项目, 测试点)
    ("基本均衡", "满意度", "公众满意度 90.6% → 84.2% < 85%:达标 → 未达标(失去的达标),基本均衡总体结论随之失去"),
    ("基本均衡", "推进工作", "县级政府推进工作得分 93 → 87.5:仍达标,但距 85 分不足 5%(89.25 分)→ 预警"),
    ("基本均衡", "综合差异系数(初中)", "乡村初中学生减少且新建场馆、添置计算机和图书,初中综合差异系数上升超过 0.03 → 预警"),
    ("国家", "资源配置达标(示例县城关第八小学 · 小学部)",
     "学生 1,000 → 1,060:R4 = 4,280 ÷ 1,060 = 4.04、R7 = 24 ÷ 1,060 × 100 = 2.26 两项未达标 → 达标 → 未达标"),
    ("国家", "G11交流比例", "130 ÷ 1,210 = 10.7% ≥ 10%:未达标 → 达标(恢复)"),
    ("国家", "G5(示例县第二中学)", "大班额整改,初中最大班额 52 → 50:未达标 → 达标(恢复)"),
]


def next_year_rows() -> tuple[list[dict], dict]:
    schools = []
    for s in SCHOOLS:
        row = dict(s)
        change = CHANGES_2024.get(s["学校名称"], {})
        assert set(change) <= set(SCHOOL_COLUMNS), change
        row.update(change)
        schools.append(row)
    county = {**COUNTY_ROW, **COUNTY_CHANGES_2024}
    return schools, county


def check_next_year(schools, county, basic_prev, basic_next) -> None:
    """The planted monitoring cases hold, and nothing else slips."""
    # 基本均衡: 满意度 lost, 推进工作 inside the 5 % margin, 初中 综合 up by more than 0.03
    assert q(COUNTY_ROW["公众满意度"]) >= 85 > q(county["公众满意度"])
    assert 85 <= q(county["县级政府推进工作得分"]) < 85 * F(105, 100) <= q(COUNTY_ROW["县级政府推进工作得分"])
    rise = basic_next["初中"]["综合"] - basic_prev["初中"]["综合"]
    assert rise > Decimal("0.03") and basic_next["初中"]["结论"] == "达标", rise
    assert abs(basic_next["小学"]["综合"] - basic_prev["小学"]["综合"]) < Decimal("0.03")
    for st in basic_next:        # far from the limits: no margin warning on 综合
        assert basic_next[st]["综合"] < Decimal(str(float(BASIC_LIMIT[st]))) - Decimal("0.05")
    # 国家: exactly one 学部 loses 资源配置, the planted ones stay as they were
    prev = {(u["学校名称"], u["学段"]): u["verdict"] for u in build_units()}
    now = {(u["学校名称"], u["学段"]): u for u in build_units(schools=schools)}
    lost = {k for k, v in prev.items() if v == "达标" and now[k]["verdict"] != "达标"}
    assert lost == {("示例县城关第八小学", "小学")}, lost
    assert now[("示例县城关第八小学", "小学")]["miss"] == ["R4", "R7"]
    assert {k for k, u in now.items() if u["verdict"] == "未达标"} == {
        ("示例县城关第八小学", "小学"), ("示例县东关镇中学", "初中"), ("示例县南岭镇中心小学", "小学")}
    for s in schools:
        assert s["小学生数"] + s["初中生数"] <= SIZE_LIMIT[s["办学类型"]], s["学校名称"]
        for st in STAGES_OF[s["办学类型"]]:     # classes stay plausible: average ≤ the class-size cap
            assert s[f"{st}生数"] <= s[f"{st}班数"] * (45 if st == "小学" else 50), s["学校名称"]
        assert s["持证专任教师数"] <= s["小学专任教师数"] + s["初中专任教师数"]
    sfails = {(s["学校名称"], k) for s in schools for k, v in school_items(s).items() if v["结论"] == "未达标"}
    assert sfails == {("示例县城关第一小学", "音乐美术专用教室"), ("示例县北山镇中心小学", "教师培训经费占比")}, sfails


NEXT_README = """\
# 示例县 · {year}(第二年)

与上一级目录的 {prev} 年数据同一个县的下一年,用于演示年度监测(`junheng monitor`)。由 `python tools/make_sample.py`
生成,请勿手改。列与口径同上一级目录;只有下列学校和县级数据有变化:

- 城区学校学生增加(实验小学、城关第一/第三/第八小学、实验中学、第二中学),乡村学校学生减少;
- 乡村初中改造:南岭镇中学新建体育馆(场馆 18,500 → 20,500㎡),南岭镇中学、北山镇初级中学添置计算机和图书;
- 第二中学消除大班额,西河镇中学专任教师全部持证;交流轮岗教师 130 人(符合条件 1,210 人)。

## 预设的监测案例

| 规则集 | 项目 | 变化 |
|---|---|---|
{roles}

## 基本均衡的 8 项差异系数

| 指标 | 小学 {prev} | 小学 {year} | 初中 {prev} | 初中 {year} |
|---|---:|---:|---:|---:|
{table}
"""


def write_next_year(schools, county, basic_prev, basic_next) -> None:
    out = OUT / NEXT_YEAR
    out.mkdir(parents=True, exist_ok=True)
    write_csv(out / "学校表.csv", SCHOOL_COLUMNS, schools)
    write_xlsx(out / "学校表.xlsx", "学校表", SCHOOL_COLUMNS, schools, text_columns=("学校标识码",))
    write_csv(out / "县区表.csv", COUNTY_COLUMNS, [county])
    write_xlsx(out / "县区表.xlsx", "县区表", COUNTY_COLUMNS, [county])
    verify_roundtrip(out / "学校表.csv", out / "学校表.xlsx", SCHOOL_COLUMNS, ("学校标识码",))
    verify_roundtrip(out / "县区表.csv", out / "县区表.xlsx", COUNTY_COLUMNS)
    units = build_units(schools=schools)
    cvs = {st: {r: cv_exact(units, st, r) for r in INDICATORS} for st in ("小学", "初中")}
    verdicts = basic_county(county, basic_next)
    doc = {"县区": COUNTY, "年份": NEXT_YEAR, "上一年": YEAR,
           "学部资源配置": {f"{u['学校标识码']}/{u['学段']}": u["verdict"] for u in units},
           "差异系数": {st: {r: d6(cvs[st][r]["cv"]) for r in INDICATORS} for st in cvs},
           "基本均衡": basic_json(basic_next, verdicts),
           "监测案例": [{"规则集": r, "项目": i, "说明": t} for r, i, t in MONITOR_ROLES]}
    (out / "expected.json").write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    rows = [f"| {name} | {d6(basic_prev['小学']['cvs'][name])} | {d6(basic_next['小学']['cvs'][name])} "
            f"| {d6(basic_prev['初中']['cvs'][name])} | {d6(basic_next['初中']['cvs'][name])} |" for name in BASIC_IND]
    rows.append(f"| **综合差异系数** | **{d6(basic_prev['小学']['综合'])}** | **{d6(basic_next['小学']['综合'])}** "
                f"| **{d6(basic_prev['初中']['综合'])}** | **{d6(basic_next['初中']['综合'])}** |")
    (out / "README.md").write_text(NEXT_README.format(
        year=NEXT_YEAR, prev=YEAR, roles="\n".join(f"| {r} | {i} | {t} |" for r, i, t in MONITOR_ROLES),
        table="\n".join(rows)), encoding="utf-8")


# --------------------------------------------------------------------------------------
# Writers
# --------------------------------------------------------------------------------------
def cell_text(v) -> str:
    if isinstance(v, int):
        return str(v)
    return v


def cell_value(v):
    """xlsx value: numbers as numbers (the same decimal spelling as the csv), text as text."""
    if isinstance(v, int):
        return v
    try:
        f = float(v)
    except ValueError:
        return v
    assert repr(f) == v or (f.is_integer() and str(int(f)) == v), v
    return int(f) if f.is_integer() else f


def write_csv(path: Path, columns, rows):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    for r in rows:
        w.writerow([cell_text(r[c]) for c in columns])
    path.write_bytes(buf.getvalue().encode("utf-8-sig"))


def write_xlsx(path: Path, sheet: str, columns, rows, text_columns=()):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(columns)
    for c in ws[1]:
        c.font = Font(bold=True)
        c.alignment = Alignment(horizontal="center", vertical="center")
    for r in rows:
        ws.append([r[c] if c in text_columns else cell_value(r[c]) for c in columns])
    ws.freeze_panes = "A2"
    for i, c in enumerate(columns, start=1):
        width = max(
            [sum(2 if ord(ch) > 0x2E80 else 1 for ch in c)]
            + [sum(2 if ord(ch) > 0x2E80 else 1 for ch in cell_text(r[c])) for r in rows])
        ws.column_dimensions[openpyxl.utils.get_column_letter(i)].width = min(width + 2, 40)
    for c in text_columns:
        col = openpyxl.utils.get_column_letter(columns.index(c) + 1)
        for cell in ws[col][1:]:
            cell.number_format = "@"
    wb.properties.creator = "junheng tools/make_sample.py"
    wb.properties.lastModifiedBy = None
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    raw = io.BytesIO()
    wb.save(raw)
    # openpyxl stamps `modified` with the current time on save: put the fixed time back,
    # and rewrite the zip with fixed entry timestamps so the bytes are stable
    wb.properties.modified = FIXED_TIME
    core_xml = tostring(wb.properties.to_tree())
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zi = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            data = core_xml if info.filename == "docProps/core.xml" else zin.read(info.filename)
            zout.writestr(zi, data)
    path.write_bytes(out.getvalue())


def verify_roundtrip(csv_path: Path, xlsx_path: Path, columns, text_columns=()):
    """The csv and the xlsx hold identical data."""
    with csv_path.open(encoding="utf-8-sig", newline="") as f:
        crow = list(csv.reader(f))
    wb = openpyxl.load_workbook(xlsx_path)
    ws = wb.worksheets[0]
    xrow = [[("" if v is None else (v if isinstance(v, str) else
              (str(v) if isinstance(v, int) else repr(v)))) for v in r]
            for r in ws.iter_rows(values_only=True)]
    assert crow[0] == columns and xrow[0] == columns
    assert crow == xrow, "csv and xlsx differ"
    for r in crow[1:]:
        for v in r:
            assert "," not in v


# --------------------------------------------------------------------------------------
# EXPECTED.md / expected.json
# --------------------------------------------------------------------------------------
def mark(u, r):
    std = STANDARD[u["学段"]][r]
    v = u["v"][r]
    if v >= std:
        return "✓"
    return "△" if v >= FLOOR * std else "✗"


def render_md(units, cvs, sitems, citems) -> str:
    L = []
    a = L.append
    a("# 示例县 · 手工核对结果(EXPECTED)")
    a("")
    a("本文件由 `python tools/make_sample.py` 生成,请勿手改。所有数值在脚本中用 `fractions.Fraction` 精确计算"
      "(差异系数的标准差用 30 位 `decimal` 开方,达标判断用 S² ≤ L²·X̄² 精确比较),打印时按四舍五入保留 6 位小数。"
      "机器可读版本见 `expected.json`。")
    a("")
    a("## 口径")
    a("")
    a("- 学部:小学部来自 小学 / 教学点 / 九年一贯制学校 / 十二年一贯制学校;初中部来自 初中 / 九年一贯制学校 / 完全中学 / 十二年一贯制学校。")
    a("- 学生数与 3 项教师数取对应学段的列;4 项设施量(教学及辅助用房面积、体育运动场馆面积、教学仪器设备值、网络多媒体教室数)"
      "为全校数,按折算学生数拆分:小学 1、初中 1.1、高中 1.32;某学部份额 = 该学段学生数×权重 ÷ (小学生数×1 + 初中生数×1.1 + 高中生数×1.32),"
      "高中份额舍去;单学段学校取全部。拆分值不取整。")
    a("- 标准(达到即达标,含等于):")
    a("")
    a("| 指标 | 名称 | 计算 | 小学 | 初中 |")
    a("|---|---|---|---|---|")
    calc = {"R1": "高于规定学历教师数 ÷ 学生数 × 100", "R2": "骨干教师数 ÷ 学生数 × 100",
            "R3": "体育艺术教师数 ÷ 学生数 × 100", "R4": "教学及辅助用房面积 × 份额 ÷ 学生数",
            "R5": "体育运动场馆面积 × 份额 ÷ 学生数", "R6": "教学仪器设备值(万元) × 10000 × 份额 ÷ 学生数",
            "R7": "网络多媒体教室数 × 份额 ÷ 学生数 × 100"}
    for r in INDICATORS:
        a(f"| {r} | {IND_NAME[r]} | {calc[r]} | {dn(STANDARD['小学'][r], 1) if r != 'R6' else 2000} "
          f"| {dn(STANDARD['初中'][r], 1) if r != 'R6' else 2500} |")
    a("")
    a("- 资源配置(学部):至少 6 项达标,且每一未达标项 ≥ 要求 × 85%(含等于)→ 达标。")
    a("- 不足 50 人的教学点不参加 7 项指标与差异系数(不适用);恰好 50 人参加。")
    a("- 差异系数:同学段纳入学部,以学部学生数 P 加权:X̄ = ΣPX/ΣP,S = √(ΣP(X−X̄)²/ΣP),CV = S/X̄;小学 ≤ 0.50,初中 ≤ 0.45。")
    a("- 学校单项:学校规模 = 小学生数 + 初中生数(义务教育阶段),小学、初中、完全中学、教学点 ≤ 2000,九年/十二年一贯制 ≤ 2500"
      "(本样例中连同高中生也不超限);班额 小学最大班额 ≤ 45、初中最大班额 ≤ 50 且大班额班数为 0;"
      "音乐、美术专用教室各 ≥ ⌈(小学班数 + 初中班数)/12⌉ 间,最小面积 音乐 ≥ 96㎡、美术 ≥ 90㎡"
      "(本样例中达标的一贯制学校按学段分别取整也达标);持证上岗 持证专任教师数 = 小学专任教师数 + 初中专任教师数"
      "(两列均只含义务教育阶段教师);教师培训经费 ≥ 公用经费预算 × 5%(含等于);不足 100 人的学校公用经费预算 ≥ 100 × 720 元。")
    a("")
    a("## 预设案例(哪所学校测什么)")
    a("")
    a("### 资源配置与范围")
    a("")
    a("| 学校 | 标识码 | 学部 | 测试点 |")
    a("|---|---|---|---|")
    for n, st, txt in ROLES:
        a(f"| {n} | {ID[n]} | {st} | {txt} |")
    a(f"| (全县) | — | 初中 | 差异系数:初中 R5 生均体育运动场馆面积 CV = {d6(cvs['初中']['R5']['cv'])} > 0.45 → 未达标;"
      f"其余 13 项 CV 均达标 |")
    a("")
    a("其余学部 7 项指标均至少高出标准 1%,全部达标。")
    a("")
    a("### 学校单项(政府保障程度 / 教育质量)")
    a("")
    a("| 学校 | 标识码 | 项目 | 测试点 |")
    a("|---|---|---|---|")
    for n, item, _, txt in SCHOOL_ROLES:
        a(f"| {n} | {ID[n]} | {item} | {txt} |")
    a("")
    a("### 县级项目(县区表)")
    a("")
    c = COUNTY_ROW
    a(f"- 交流轮岗教师比例 = {c['交流轮岗教师数']} ÷ {c['符合交流条件教师数']} = "
      f"{pct(F(c['交流轮岗教师数'], c['符合交流条件教师数']))} < 10% → 未达标")
    a(f"- 随迁子女公办就读比例 = {c['公办就读随迁子女数']} ÷ {c['随迁子女数']} = "
      f"{pct(F(c['公办就读随迁子女数'], c['随迁子女数']))} < 85% → 未达标")
    a("- 其余县区表项目全部达标(见下文县级项目表)。")
    a("")
    a("## 学部 7 项指标")
    a("")
    a("✓ 达标;△ 未达标但 ≥ 要求的 85%;✗ 低于 85%。")
    a("")
    a("| 标识码 | 学校 | 学段 | 学生数 | 设施份额 | R1 | R2 | R3 | R4 | R5 | R6 | R7 | 未达标 | 资源配置 |")
    a("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|")
    for u in units:
        if not u["in_scope"]:
            vals = ["不适用"] * 7
        else:
            vals = [f"{d6(u['v'][r])} {mark(u, r)}" for r in INDICATORS]
        sh = "1" if u["share"] == 1 else f"{u['share'].numerator}/{u['share'].denominator} = {d6(u['share'])}"
        miss = ", ".join(u["miss"]) if u["in_scope"] else "—"
        a(f"| {u['学校标识码']} | {u['学校名称']} | {u['学段']} | {u['P']} | {sh} | " + " | ".join(vals)
          + f" | {miss or '—'} | {u['verdict']} |")
    a("")
    a("### 一贯制 / 完全中学的拆分明细")
    a("")
    a("| 学校 | 学段 | 份额 | 教学及辅助用房 ㎡ | 体育运动场馆 ㎡ | 教学仪器设备值 万元 | 网络多媒体教室 间 |")
    a("|---|---|---|---:|---:|---:|---:|")
    for u in units:
        if u["share"] == 1:
            continue
        s = u["school"]
        sh = u["share"]
        a(f"| {u['学校名称']} | {u['学段']} | {sh.numerator}/{sh.denominator} | "
          f"{d6(q(s['教学及辅助用房面积']) * sh)} | {d6(q(s['体育运动场馆面积']) * sh)} | "
          f"{d6(q(s['教学仪器设备值']) * sh)} | {d6(q(s['网络多媒体教室数']) * sh)} |")
    a("")
    un = u_of(build_units(weighted=False), "示例县城南学校", "初中")
    a(f"对照(错误做法):示例县城南学校 初中部若按人数不加权拆分(400/1000),R4 = {d6(un['v']['R4'])},"
      f"R6 = {d6(un['v']['R6'])},未达标 {', '.join(un['miss'])} → {un['verdict']}。")
    wrong = u_of(build_units(include_all=True), "示例县李家庄教学点", "小学")
    a("对照(错误做法):示例县李家庄教学点(23 人)若被纳入,R1..R7 = "
      + ", ".join(d6(wrong["v"][r]) for r in INDICATORS) + f",未达标 {', '.join(wrong['miss'])} → {wrong['verdict']}。")
    a("")
    a("## 差异系数(14 项)")
    a("")
    a("| 学段 | 指标 | 学部数 | 学生数 ΣP | 均值 X̄ | 标准差 S | 差异系数 CV | 要求 | 结论 |")
    a("|---|---|---:|---:|---:|---:|---:|---|---|")
    for st in ("小学", "初中"):
        for r in INDICATORS:
            x = cvs[st][r]
            a(f"| {st} | {r} {IND_NAME[r]} | {x['n']} | {x['P']} | {d6(x['mean'])} | {d6(x['S'])} | "
              f"**{d6(x['cv'])}** | ≤ {dn(x['limit'], 2)} | {x['verdict']} |")
    a("")
    a("## 学校单项")
    a("")
    items = ["学校规模", "班额", "音乐美术专用教室", "持证上岗", "教师培训经费占比", "学校章程", "小规模学校公用经费"]
    a("| 标识码 | 学校 | " + " | ".join(items) + " |")
    a("|---|---|" + "---|" * len(items))
    for s in SCHOOLS:
        its = sitems[s["学校标识码"]]
        cells = []
        for it in items:
            if it not in its:
                cells.append("—")
            elif its[it]["结论"] == "达标":
                cells.append("✓")
            else:
                cells.append(f"✗ {its[it]['值']}")
        a(f"| {s['学校标识码']} | {s['学校名称']} | " + " | ".join(cells) + " |")
    a("")
    a("教师培训经费占比(全部学校):" + ",".join(
        f"{s['学校名称'].removeprefix('示例县')} {sitems[s['学校标识码']]['教师培训经费占比']['值']}" for s in SCHOOLS) + "。")
    a("")
    a("## 县级项目")
    a("")
    a("| 领域 | 项目 | 值 | 要求 | 结论 | 说明 |")
    a("|---|---|---|---|---|---|")
    for k, v in citems.items():
        unit = v["单位"]
        val = v["值"] + (f" {unit}" if unit else "")
        a(f"| {v['领域']} | {k} | {val} | {v['要求']} | {v['结论']} | {v.get('说明', '')} |")
    a("")
    overall = "达标" if all(v["结论"] == "达标" for v in citems.values()) else "未达标"
    a(f"**全县结论:{overall}**(资源配置、政府保障程度、教育质量均有未达标项;社会认可度达标)。")
    a("")
    return "\n".join(L)


def render_json(units, cvs, sitems, citems) -> str:
    out = {"县区": COUNTY, "省份": PROVINCE, "学部": [], "差异系数": {}, "差异系数明细": {},
           "学校": {}, "县": citems}
    for u in units:
        e = {"学校标识码": u["学校标识码"], "学校名称": u["学校名称"], "学段": u["学段"],
             "学生数": int(u["P"]),
             "设施份额": f"{u['share'].numerator}/{u['share'].denominator}"}
        for r in INDICATORS:
            e[r] = d6(u["v"][r]) if u["in_scope"] else None
        e["未达标"] = u["miss"] if u["in_scope"] else []
        e["资源配置"] = u["verdict"]
        out["学部"].append(e)
    for st in ("小学", "初中"):
        out["差异系数"][st] = {r: d6(cvs[st][r]["cv"]) for r in INDICATORS}
        out["差异系数明细"][st] = {
            r: {"学部数": cvs[st][r]["n"], "学生数": int(cvs[st][r]["P"]), "均值": d6(cvs[st][r]["mean"]),
                "标准差": d6(cvs[st][r]["S"]), "差异系数": d6(cvs[st][r]["cv"]),
                "要求": f"<= {dn(cvs[st][r]['limit'], 2)}", "结论": cvs[st][r]["verdict"]}
            for r in INDICATORS}
    for sid, its in sitems.items():
        out["学校"][sid] = {k: {"值": str(v["值"]), "结论": v["结论"]} for k, v in its.items()}
    out["县"] = {k: {kk: vv for kk, vv in v.items()} for k, v in citems.items()}
    out["结论"] = "达标" if all(v["结论"] == "达标" for v in citems.values()) else "未达标"
    return json.dumps(out, ensure_ascii=False, indent=2) + "\n"


README = """\
# 示例县(样例数据)

虚构的一个县,用于演示、测试与手工核对 junheng。数据由 `python tools/make_sample.py` 生成(确定性,重复运行结果不变),请勿手改。

## 文件

- `学校表.csv` / `学校表.xlsx`:每校一行,共 {n} 所学校(小学 15、初中 8、九年一贯制 2、完全中学 1、十二年一贯制 1、教学点 3)。csv 为带 BOM 的 UTF-8,两者数据完全相同。
- `县区表.csv` / `县区表.xlsx`:全县一行。
- `EXPECTED.md`:逐学部 7 项指标与结论、14 个差异系数、学校单项与县级项目的预期结果(用分数精确计算)。
- `expected.json`:同一结果的机器可读版本。

列名、单位与口径见 `DESIGN.md` §6。金额单位为万元(教学仪器设备值、公用经费预算、教师培训经费),面积单位为㎡,县区表中的比例为百分数(如 98.2)。

本目录是 2023 年(学年初统计)的数据;`2024/` 是同一个县的下一年,用于年度监测(`junheng monitor`),变化与预设的
监测案例见 `2024/README.md`。

学校表在 DESIGN.md §6 的列之后还有 2012 年基本均衡标准(规则集 基本均衡)用到的 4 列:计算机台数、图书册数(全校数,
一贯制学校按 1 : 1.1 : 1.32 拆分)、小学中级及以上职称教师数、初中中级及以上职称教师数;县区表多 3 列:达到办学基本标准
(是/否)、县级政府推进工作得分(分)、公众满意度(百分数)。国家规则不读这些列。基本均衡的 8 项差异系数与综合差异系数
见 `EXPECTED.md` 末节(说明见 `docs/MONITOR.md`)。

## 预设案例

大多数学校各项指标均达标;以下学校是有意设计的:

| 学校 | 测试点 |
|---|---|
{roles}
| (全县) | 初中 R5 生均体育运动场馆面积差异系数 {cv} > 0.45,其余 13 项差异系数达标 |
| (县区表) | 交流轮岗教师比例 9.5% < 10%;随迁子女公办就读比例 83% < 85%;其余县级项目达标 |

全县结论:未达标。
"""


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    units = build_units()
    cvs = {st: {r: cv_exact(units, st, r) for r in INDICATORS} for st in ("小学", "初中")}
    sitems = {s["学校标识码"]: school_items(s) for s in SCHOOLS}
    citems = county_items(units, cvs, sitems)
    check_planted(units, cvs, sitems, citems)

    write_csv(OUT / "学校表.csv", SCHOOL_COLUMNS, SCHOOLS)
    write_xlsx(OUT / "学校表.xlsx", "学校表", SCHOOL_COLUMNS, SCHOOLS, text_columns=("学校标识码",))
    write_csv(OUT / "县区表.csv", COUNTY_COLUMNS, [COUNTY_ROW])
    write_xlsx(OUT / "县区表.xlsx", "县区表", COUNTY_COLUMNS, [COUNTY_ROW])
    verify_roundtrip(OUT / "学校表.csv", OUT / "学校表.xlsx", SCHOOL_COLUMNS, ("学校标识码",))
    verify_roundtrip(OUT / "县区表.csv", OUT / "县区表.xlsx", COUNTY_COLUMNS)

    basic = basic_cvs(SCHOOLS)
    verdicts = basic_county(COUNTY_ROW, basic)
    assert all(v == "达标" for v in verdicts.values()), verdicts
    (OUT / "EXPECTED.md").write_text(render_md(units, cvs, sitems, citems) + "\n" + "\n".join(basic_md(basic, verdicts)),
                                     encoding="utf-8")
    doc = json.loads(render_json(units, cvs, sitems, citems))
    doc["基本均衡"] = basic_json(basic, verdicts)
    (OUT / "expected.json").write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    schools_next, county_next = next_year_rows()
    basic_next = basic_cvs(schools_next)
    check_next_year(schools_next, county_next, basic, basic_next)
    write_next_year(schools_next, county_next, basic, basic_next)
    roles = "\n".join(f"| {n}({ID[n]}) | {t} |" for n, _, t in ROLES) + "\n" + "\n".join(
        f"| {n}({ID[n]}) | {item}:{t} |" for n, item, _, t in SCHOOL_ROLES)
    (OUT / "README.md").write_text(
        README.format(n=len(SCHOOLS), roles=roles, cv=d6(cvs["初中"]["R5"]["cv"])), encoding="utf-8")

    for st in ("小学", "初中"):
        print(st, " ".join(f"{r}={d6(cvs[st][r]['cv'])}{'' if cvs[st][r]['verdict'] == '达标' else '✗'}"
                           for r in INDICATORS))
    for year, b in ((YEAR, basic), (NEXT_YEAR, basic_next)):
        print(f"基本均衡 {year}", " ".join(f"{st} 综合={d6(b[st]['综合'])}" for st in b))
    print(f"wrote {OUT.relative_to(ROOT)}/ ({len(SCHOOLS)} schools, {len(units)} 学部) and {NEXT_YEAR}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
