"""Rendered diagnostics for broken rule files, compared with tests/golden/diagnostics/*.txt.

Each case is a set of rule files written into a temporary folder (so related locations in
other files can be shown too); the diagnostics of parsing, layering and checking them are
rendered with `render_diagnostic(d, text=…)`. Run `pytest --update-goldens` to rewrite the
golden files after an intended change, then read the diff.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from engine.interpreter.check import check
from engine.interpreter.errors import Diagnostic, RuleError, Span
from engine.interpreter.layer import group_layers, layer
from engine.interpreter.parse import parse_text
from engine.render.diagnostics import render_diagnostic, render_diagnostics

HEAD = '''规则集 国家 "县域义务教育优质均衡发展督导评估办法"
  文号 "教督〔2017〕6号"
  发布日期 2017-04-26

# 学校表字段(每校一行)
字段 学校 县区 "所在县区" 文本 必需
字段 学校 学校名称 "学校名称" 文本 必需
字段 学校 办学类型 "办学类型" 文本 必需
字段 学校 小学生数 "小学在校生数" 整数 单位 人 必需
字段 学校 初中生数 "初中在校生数" 整数 单位 人 必需
字段 学校 小学高于规定学历教师数 "小学高于规定学历教师数" 整数 单位 人 必需
字段 学校 教学及辅助用房面积 "教学及辅助用房面积" 数值 单位 ㎡ 必需
学部 小学 "小学部" 当 办学类型 属于 ("小学", "九年一贯制学校")
学部 初中 "初中部" 当 办学类型 属于 ("初中", "九年一贯制学校")
学部字段 学生数 "在校生数" = 小学 小学生数, 初中 初中生数 单位 人
学部字段 高于规定学历教师数 "高于规定学历教师数" = 小学 小学高于规定学历教师数, 初中 小学高于规定学历教师数 单位 人
参数 高学历教师标准 "每百名学生拥有高于规定学历教师数标准" = 小学 4.2, 初中 5.3 单位 人/百名学生
  依据 "教督〔2017〕6号 第五条(一)" 不得放宽
参数 班额上限 "班级学生数上限" = 小学 45, 初中 50 单位 人
'''

R1 = '''
学部指标 R1 "每百名学生拥有高于规定学历教师数"
  计算 高于规定学历教师数 ÷ 学生数 × 100
  单位 人/百名学生
  要求 达到 高学历教师标准 以上
'''

# name → {relative path: text}; the last file's rule set is the one layered and checked.
CASES: dict[str, dict[str, str]] = {
    # ------------------------------------------------------------ syntax (E1xx)
    "E101_缺少计算式": {"国家.rule": HEAD + '''
学部指标 R1 "每百名学生拥有高于规定学历教师数"
  计算
  要求 达到 高学历教师标准 以上
'''},
    "E101_关键字用作名称": {"国家.rule": HEAD + '''
参数 要求 "每百名学生拥有骨干教师数标准" = 小学 1, 初中 1
'''},
    "E101_至少6项": {"国家.rule": HEAD + R1 + '''
学部结论 资源配置达标 "学校资源配置"
  要求 R1 中 至少1项 达标
'''},
    "E101_学校名称用在实体处": {"国家.rule": HEAD + '''
字段 学校名称 "学校名称" 文本 必需
'''},
    "E101_所有贴着名称": {"国家.rule": HEAD + R1 + '''
学部结论 资源配置达标 "学校资源配置"
  要求 所有R1 达标
'''},
    "E101_关键字贴着名称在式子中": {"国家.rule": HEAD + '''
学部指标 R1 "每百名学生拥有高于规定学历教师数"
  计算 高于规定学历教师数 ÷ 学生数 × 100 规定高于标准
  要求 达到 高学历教师标准 以上
'''},
    "E102_多余字符": {"国家.rule": HEAD + '''
参数 骨干教师标准 "每百名学生拥有县级以上骨干教师数标准" = 小学 1, 初中 1 @
'''},
    "E102_全角分号": {"国家.rule": HEAD + '''
参数 骨干教师标准 = 小学 1；初中 1
'''},
    "E103_字符串未闭合": {"国家.rule": HEAD + '''
参数 骨干教师标准 "每百名学生拥有县级以上骨干教师数标准 = 小学 1, 初中 1
'''},
    "E104_文件在规则中间结束": {"国家.rule": HEAD + '''
学部指标 R1 "每百名学生拥有高于规定学历教师数"
  计算 高于规定学历教师数 ÷ 学生数 × 100
  要求 不低于'''},
    "E104_括号未闭合": {"国家.rule": HEAD + R1 + '''
县指标 R1差异系数 "差异系数" 分学段
  计算 差异系数(学部: R1, 权重 学生数
'''},
    "E107_日期不存在": {"国家.rule": HEAD + '''
参数 骨干教师标准 值 小学 1 自 2017-02-30
'''},
    "E108_项数不是整数": {"国家.rule": HEAD + R1 + '''
学部结论 资源配置达标 要求 R1 中 至少 0.5 项 达标
'''},
    # ------------------------------------------------------------ names, units, types (E2xx)
    "E201_未定义名称_是否想写": {"国家.rule": HEAD + '''
学部指标 R1 "每百名学生拥有高于规定学历教师数"
  计算 高于规定学历教师数 ÷ 学生数 × 100
  单位 人/百名学生
  要求 达到 高学历教师标淮 以上
'''},
    "E201_关键字贴着名称": {"国家.rule": HEAD + '''
学部指标 R1 "每百名学生拥有高于规定学历教师数"
  计算 高于规定学历教师数 ÷ 学生数 × 100
  要求 达到高学历教师标准 以上
'''},
    "E202_重复定义": {"国家.rule": HEAD + '''
参数 高学历教师标准 "重复的标准" = 小学 4.5, 初中 5.5 单位 人/百名学生
'''},
    "E203_单位不一致": {"国家.rule": HEAD + '''
学部指标 生均 "生均面积"
  计算 (教学及辅助用房面积 + 学生数) ÷ 学生数
  要求 不低于 4.5
'''},
    "E204_数值与是否比较": {"国家.rule": HEAD + '''
学校指标 有学生 "有学生"
  计算 小学生数 为 是
  要求 为 是
'''},
    "E205_循环依赖": {"国家.rule": HEAD + '''
学部指标 甲 "甲" 计算 乙 × 2 要求 ≥ 0
学部指标 乙 "乙" 计算 甲 ÷ 2 要求 ≥ 0
'''},
    "E206_按学段参数用在学校指标": {"国家.rule": HEAD + '''
学校指标 规模 "全校小学生数"
  计算 小学生数
  单位 人
  要求 不超过 班额上限
'''},
    "E210_未知函数": {"国家.rule": HEAD + R1 + '''
县指标 R1差异系数 "差异系数" 分学段
  计算 差异系统(学部: R1, 权重 学生数)
  要求 不超过 0.5
'''},
    "多个错误": {"国家.rule": HEAD + '''
学部指标 生均 计算 教学及辅助用房面积 + 学生数 要求 ≥ 0
学校指标 规模 计算 小学生数 + 初中生 要求 ≤ 2000
学校指标 教师 计算 小学高于规定学历教师数 要求 不低于 高学历教师标准
'''},
    # ------------------------------------------------------------ layering (E3xx), two files
    "E309_继承中重新定义": {
        "国家.rule": HEAD + R1,
        "某省/某省.rule": '''规则集 某省 "某省实施细则" 继承 国家
  文号 "某教督〔2020〕1号"

# 本省提高高学历教师标准
参数 高学历教师标准 "每百名学生拥有高于规定学历教师数标准" = 小学 4.5, 初中 5.5
''',
    },
    "E301_修改不存在的参数": {
        "国家.rule": HEAD + R1,
        "某省/某省.rule": '''规则集 某省 继承 国家
修改 参数 高学历教师标淮 = 小学 4.5
''',
    },
    "E302_两个文件修改同一项": {
        "国家.rule": HEAD + R1,
        "某省/甲.rule": "规则集 某省 继承 国家\n修改 参数 高学历教师标准 = 小学 4.5\n",
        "某省/乙.rule": "规则集 某省\n修改 参数 高学历教师标准 = 初中 5.5\n",
    },
    "E307_基础规则集中修改": {"国家.rule": HEAD + R1 + '''
修改 参数 高学历教师标准 = 小学 4.5
'''},
}


def diagnostics_for(files: dict[str, str]) -> list[Diagnostic]:
    parsed, diags = [], []
    for path, text in files.items():
        try:
            parsed.append(parse_text(text, path))
        except RuleError as exc:
            diags.extend(exc.diagnostics)
    if diags:
        return diags
    last = parsed[-1]
    assert last.header is not None
    try:
        check(layer(group_layers(parsed), last.header.name))
    except RuleError as exc:
        return exc.diagnostics
    raise AssertionError("the broken rule files compiled without an error")


def render_case(files: dict[str, str]) -> str:
    diags = diagnostics_for(files)
    parts = []
    for d in diags:
        assert isinstance(d.location, Span)
        parts.append(render_diagnostic(d, text=files[d.location.file]))
    return "\n\n".join(parts)


@pytest.fixture
def case_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Write a case's files under a fresh folder and make it the working directory, so
    related locations (read from disk by the renderer) resolve to short relative paths."""

    def write(name: str, files: dict[str, str]) -> dict[str, str]:
        root = tmp_path / name
        out = {}
        for rel, text in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            out[f"{name}/{rel}"] = text  # unique per case: the renderer caches file lines by path
        monkeypatch.chdir(tmp_path)
        return out

    return write


@pytest.mark.parametrize("name", list(CASES))
def test_diagnostic_rendering_matches_golden(name: str, case_dir, golden) -> None:  # type: ignore[no-untyped-def]
    files = case_dir(name, CASES[name])
    golden(f"diagnostics/{name}.txt", render_case(files))


def test_there_are_at_least_twelve_cases_and_every_code_family() -> None:
    assert len(CASES) >= 12
    codes = {name.split("_")[0] for name in CASES}
    assert {"E101_至少6项", "E107_日期不存在", "E104_文件在规则中间结束", "E102_多余字符"} <= set(CASES)
    assert {"E101", "E102", "E103", "E104", "E107", "E201", "E202", "E203", "E205", "E309"} <= codes


def test_multiple_errors_are_sorted_and_counted() -> None:
    text = CASES["多个错误"]["国家.rule"]
    with pytest.raises(RuleError) as info:
        check(layer(group_layers([parse_text(text, "国家.rule")]), "国家"))
    out = render_diagnostics(info.value.diagnostics, text=text)
    assert out.endswith("共 4 个错误")
    assert [line.split(": ")[1].split()[1] for line in out.splitlines() if line.startswith("国家.rule:")] == [
        "E203", "E201", "E203", "E206"]


# ---------------------------------------------------------------- the caret, by display width


def cells(text: str) -> int:
    """Terminal columns: East Asian wide (W) and full-width (F) characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def caret_of(rendered: str) -> tuple[str, int, int]:
    """(source line with gutter, caret start column in cells, underline width) of a rendering."""
    lines = rendered.splitlines()
    i = next(k for k, line in enumerate(lines) if line.lstrip().startswith("^"))
    source, marks = lines[i - 1], lines[i]
    start = len(marks) - len(marks.lstrip())  # the caret line is spaces and ASCII marks only
    return source, start, len(marks.strip())


@pytest.mark.parametrize(("line", "bad"), [
    ("参数 高学历教师标准 “每百名学生” ＝ 小学 ４．２ 单位 人 @", "@"),
    ("参数 　高学历教师标准 = 小学 4.2 $", "$"),
    ("学部指标 R1 计算 高于规定学历教师数 ÷ 学生数 × 100 要求 不低于 高学历教师标淮", "高学历教师标淮"),
])
def test_caret_sits_under_the_offending_text_by_display_width(line: str, bad: str) -> None:
    text = HEAD + line + "\n"
    try:
        files = [parse_text(text, "宽.rule")]
        check(layer(group_layers(files), "国家"))
    except RuleError as exc:
        d = exc.diagnostics[0]
    else:
        raise AssertionError("expected an error")
    assert isinstance(d.location, Span)
    rendered = render_diagnostic(d, text=text)
    source, start, width = caret_of(rendered)
    gutter = source.index("| ") + 2
    index = line.rindex(bad)
    assert d.location.column == index + 1
    assert start == gutter + cells(line[:index]), rendered
    assert width == cells(bad)
    assert cells(line[:index]) > index  # the line really has wide characters before the error


def test_caret_for_a_full_width_stray_character_is_two_cells_wide() -> None:
    text = "规则集 甲\n参数 骨干教师标准 = 小学 1；初中 1\n"
    with pytest.raises(RuleError) as info:
        parse_text(text, "宽.rule")
    d = info.value.diagnostics[0]
    source, start, width = caret_of(render_diagnostic(d, text=text))
    line = text.splitlines()[1]
    assert start == source.index("| ") + 2 + cells(line[: line.index("；")])
    assert width == 2
