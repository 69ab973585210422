"""Pygments lexer for .rule files; keywords come from the grammar via `keyword_table()`."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

from pygments import highlight
from pygments.formatters import HtmlFormatter, Terminal256Formatter, TerminalFormatter
from pygments.lexer import ExtendedRegexLexer, LexerContext, default
from pygments.token import (
    Comment,
    Keyword,
    Literal,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    Whitespace,
    _TokenType,
)

__all__ = ["UNIT_TOKEN", "JunhengLexer", "highlight_rule", "keyword_tokens"]

UNIT_TOKEN = Name.Constant  # the unit text after 单位 (人/百名学生, ㎡/人…)

# Terminal name → token type; keywords not listed here are plain `Keyword`, so a keyword
# added to the grammar is highlighted without touching this file.
_KINDS: dict[str, _TokenType] = {
    **{k: Keyword.Declaration for k in (
        "KW_RULESET", "KW_FIELD", "KW_PARAM", "KW_UNITDEF", "KW_UNITFIELD", "KW_SPLIT", "KW_SCOPE",
        "KW_UNIT_IND", "KW_SCHOOL_IND", "KW_COUNTY_IND", "KW_UNIT_CON", "KW_SCHOOL_CON", "KW_COUNTY_CON",
        "KW_MODIFY", "KW_ADD", "KW_REMOVE")},
    **{k: Keyword.Type for k in ("KW_INT", "KW_NUM", "KW_BOOL", "KW_TEXT")},
    **{k: Keyword.Constant for k in ("KW_YES", "KW_NO", "KW_PRIMARY", "KW_JUNIOR", "KW_SENIOR",
                                      "KW_SCHOOL", "KW_COUNTY")},
    **{k: Operator.Word for k in (
        "KW_AND", "KW_OR", "KW_NOT", "KW_IS", "KW_IN", "KW_NOTIN", "KW_REACH", "KW_ABOVE", "KW_BELOW",
        "KW_WITHIN", "KW_GE1", "KW_LE1", "KW_GE2", "KW_LE2", "KW_GT1", "KW_LT1", "KW_GT2", "KW_LT2",
        "KW_LT3", "KW_LT4", "KW_GT3", "KW_GT4", "KW_LT5", "KW_EQ")},
}


@functools.lru_cache(maxsize=1)
def keyword_tokens() -> dict[str, _TokenType]:
    """Keyword text → token type, built from the grammar on first use (building the parser is slow)."""
    from engine.interpreter.parse import keyword_table

    return {text: _KINDS.get(term, Keyword) for term, text in keyword_table().items()}


@functools.lru_cache(maxsize=1)
def _builtins() -> frozenset[str]:
    from engine.interpreter.check import AGGREGATES, SCALAR_FUNCS

    return frozenset(AGGREGATES) | frozenset(SCALAR_FUNCS)


@functools.lru_cache(maxsize=1)
def _unit_keyword() -> str:
    from engine.interpreter.parse import keyword_table

    return keyword_table()["KW_UNIT"]


def _word(lexer: ExtendedRegexLexer, match: re.Match[str], ctx: LexerContext) -> Iterator[tuple[int, _TokenType, str]]:
    # A whole run of letters, digits and CJK characters: a keyword only if the entire run is one.
    text = match.group()
    kind = keyword_tokens().get(text) or (Name.Builtin if text in _builtins() else Name)
    yield match.start(), kind, text
    ctx.pos = match.end()
    if text == _unit_keyword():
        ctx.stack.append("unit")


_NUM = r"\d+(?:[,，]\d{3})*(?:[.．]\d+)?"


class JunhengLexer(ExtendedRegexLexer):
    """Lexer for junheng rule files (均衡规则语言)."""

    name = "junheng"
    aliases = ["junheng", "均衡"]
    filenames = ["*.rule"]
    mimetypes = ["text/x-junheng"]
    url = "https://example.invalid/junheng"

    tokens = {
        "root": [
            (r"[ \t\f\r\n\u3000\ufeff]+", Whitespace),
            (r"#[^\n]*", Comment.Single),
            (r"[\"“”][^\"“”\n]*[\"“”]", String.Double),
            (r"\d{4}-\d{1,2}-\d{1,2}|\d{4}年\d{1,2}月\d{1,2}日", Literal.Date),
            (_NUM + r"[%％]", Number),
            (_NUM + r"万?", Number),
            (r"[^\W\d]\w*", _word),
            (r"[<>!＜＞！][=＝]|[≥≤≠<>=+\-×÷*/＝＋－＊／＜＞]", Operator),
            (r"[(),、:;（），：；]", Punctuation),
        ],
        "unit": [
            (r"[ \t\f\r\n\u3000\ufeff]+", Whitespace),
            (r"#[^\n]*", Comment.Single),
            (r"[^\s,、;#\"()=，；（）＝“”]+", UNIT_TOKEN, "#pop"),
            default("#pop"),
        ],
    }

    def analyse_text(text: str) -> float:  # type: ignore[misc]  # pygments calls it as a static method
        return 0.5 if re.search(r"^\s*规则集\s", text, re.M) else 0.0


def highlight_rule(text: str, formatter: str = "terminal") -> str:
    """Highlight rule text for a terminal ("terminal", "terminal256") or as an HTML fragment ("html")."""
    formatters = {"terminal": TerminalFormatter, "terminal256": Terminal256Formatter}
    if formatter == "html":
        return highlight(text, JunhengLexer(), HtmlFormatter(noclasses=True))
    if formatter not in formatters:
        raise ValueError(f"未知的输出格式「{formatter}」,可用:terminal、terminal256、html")
    return highlight(text, JunhengLexer(), formatters[formatter]())
