"""The Pygments lexer: token types, the whole-run keyword rule, and every bundled rule file lexing cleanly."""

from __future__ import annotations

from pathlib import Path

import pytest
from pygments.token import Comment, Error, Keyword, Literal, Name, Number, Operator, Punctuation, String

from engine.editor.lexer import UNIT_TOKEN, JunhengLexer, highlight_rule
from engine.interpreter.parse import keyword_table

RULES = Path(__file__).resolve().parent.parent / "rules"


def tokens(text: str) -> list[tuple[object, str]]:
    """Non-whitespace tokens of `text`."""
    return [(t, v) for t, v in JunhengLexer().get_tokens(text) if v.strip()]


def test_token_types_of_a_real_rule() -> None:
    text = (
        '参数 高学历教师标准 "每百名学生拥有高于规定学历教师数标准" = 小学 4.2, 初中 5.3 单位 人/百名学生  # 注释\n'
        "学部指标 R1\n"
        "  计算 高于规定学历教师数 ÷ 学生数 × 100\n"
        "  要求 达到 高学历教师标准 以上\n"
        "  差异系数(学部: R1, 权重 学生数) ≤ 0.5\n"
    )
    assert tokens(text) == [
        (Keyword.Declaration, "参数"), (Name, "高学历教师标准"), (String.Double, '"每百名学生拥有高于规定学历教师数标准"'),
        (Operator, "="), (Keyword.Constant, "小学"), (Number, "4.2"), (Punctuation, ","),
        (Keyword.Constant, "初中"), (Number, "5.3"), (Keyword, "单位"), (UNIT_TOKEN, "人/百名学生"),
        (Comment.Single, "# 注释"),
        (Keyword.Declaration, "学部指标"), (Name, "R1"),
        (Keyword, "计算"), (Name, "高于规定学历教师数"), (Operator, "÷"), (Name, "学生数"), (Operator, "×"),
        (Number, "100"),
        (Keyword, "要求"), (Operator.Word, "达到"), (Name, "高学历教师标准"), (Operator.Word, "以上"),
        (Name.Builtin, "差异系数"), (Punctuation, "("), (Keyword.Declaration, "学部"), (Punctuation, ":"),
        (Name, "R1"), (Punctuation, ","), (Keyword, "权重"), (Name, "学生数"), (Punctuation, ")"),
        (Operator, "≤"), (Number, "0.5"),
    ]


def test_literals_and_full_width_punctuation() -> None:
    text = '规则集 国家 文号 “教督〔2017〕6号” 发布日期 2017-04-26 2017年4月26日 85% 2万 1,000 ３．５％'
    assert tokens(text) == [
        (Keyword.Declaration, "规则集"), (Name, "国家"), (Keyword, "文号"), (String.Double, "“教督〔2017〕6号”"),
        (Keyword, "发布日期"), (Literal.Date, "2017-04-26"), (Literal.Date, "2017年4月26日"),
        (Number, "85%"), (Number, "2万"), (Number, "1,000"), (Number, "３．５％"),
    ]
    assert tokens("（１＋２）：，≠ >= ＜＝") == [
        (Punctuation, "（"), (Number, "１"), (Operator, "＋"), (Number, "２"), (Punctuation, "）"),
        (Punctuation, "："), (Punctuation, "，"), (Operator, "≠"), (Operator, ">="), (Operator, "＜＝")]


@pytest.mark.parametrize("name", ["高于规定学历教师数", "超过45人班数", "至少6项", "学校名称", "不低于b", "中小学"])
def test_keyword_inside_a_name_stays_one_name(name: str) -> None:
    assert tokens(name) == [(Name, name)]


def test_keyword_separated_by_space_is_a_keyword() -> None:
    assert tokens("要求 不低于 高学历教师标准") == [
        (Keyword, "要求"), (Operator.Word, "不低于"), (Name, "高学历教师标准")]
    assert tokens("R1 至 R7 中 至少 6 项 达标") == [
        (Name, "R1"), (Keyword, "至"), (Name, "R7"), (Keyword, "中"), (Keyword, "至少"), (Number, "6"),
        (Keyword, "项"), (Keyword, "达标")]


def test_every_grammar_keyword_is_highlighted_as_a_keyword() -> None:
    for word in keyword_table().values():
        [(kind, value)] = tokens(word)
        assert value == word and (kind in Keyword or kind in Operator.Word), word


def test_unit_after_keyword_on_the_next_line() -> None:
    assert tokens("单位\n  ㎡/人 依据") == [(Keyword, "单位"), (UNIT_TOKEN, "㎡/人"), (Keyword, "依据")]


def _rule_files() -> list[Path]:
    return sorted(RULES.rglob("*.rule"))


@pytest.mark.parametrize("path", _rule_files(), ids=lambda p: p.relative_to(RULES).as_posix())
def test_every_rule_file_lexes_without_errors(path: Path) -> None:
    text = path.read_text(encoding="utf-8-sig")
    for number, line in enumerate(text.splitlines(), 1):
        bad = [v for t, v in JunhengLexer().get_tokens(line) if t in Error]
        assert not bad, f"{path}:{number}: {bad} in {line!r}"
    whole = list(JunhengLexer().get_tokens(text))
    assert not [v for t, v in whole if t in Error]
    assert "".join(v for _, v in whole).rstrip("\n") == text.rstrip("\n")


def test_rule_files_exist() -> None:
    assert len(_rule_files()) >= 5


def test_highlight_rule() -> None:
    html = highlight_rule("参数 某标准 = 4.2 # 说明\n", "html")
    assert "<span" in html and "某标准" in html
    assert "\x1b[" in highlight_rule("参数 某标准 = 4.2\n")
    with pytest.raises(ValueError, match="未知的输出格式"):
        highlight_rule("参数", "pdf")


def test_registered_as_pygments_plugin() -> None:
    from pygments.lexers import find_lexer_class_by_name, find_lexer_class_for_filename
    from pygments.util import ClassNotFound

    try:
        cls = find_lexer_class_by_name("均衡")
    except ClassNotFound:
        pytest.skip("entry point pygments.lexers: junheng not installed (pip install -e .)")
    assert cls is JunhengLexer
    assert find_lexer_class_for_filename("a.rule", "规则集 国家\n") is JunhengLexer
