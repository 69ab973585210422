"""Parse stage: rule-file text → `RuleFile` AST (frozen dataclasses with spans).

Lark's trees and exceptions stay inside this module: syntax errors leave as `RuleError`
with Chinese messages (codes E1xx), and the tree is turned into AST nodes by one
Transformer.
"""

from __future__ import annotations

import contextvars
import functools
import hashlib
import os
import re
from collections.abc import Callable
from datetime import date
from fractions import Fraction
from pathlib import Path
from typing import Any

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from engine.interpreter import ast as A
from engine.interpreter import astcache
from engine.interpreter.errors import Diagnostic, RuleError, Span

GRAMMAR_PATH = Path(__file__).resolve().parent.parent / "grammar.lark"

# Full-width punctuation and digits folded to half-width, one character for one, so every
# column in an error message still points at the author's own text.
_FOLD = {ord(a): b for a, b in zip("（）：，；“”＝＋－＊／＜＞％．！", '():,;""=+-*/<>%.!', strict=True)}
_FOLD.update({0xFF10 + i: str(i) for i in range(10)})
_FOLD.update({0xFF21 + i: chr(0x41 + i) for i in range(26)})
_FOLD.update({0xFF41 + i: chr(0x61 + i) for i in range(26)})


def fold(text: str) -> str:
    """Fold full-width punctuation and digits to half-width (length-preserving)."""
    return text.translate(_FOLD)


# Entity and 学段 words are keywords only where the grammar asks for an entity or a 学段;
# elsewhere they are ordinary names (县区 is also a column of both tables).
SOFT_KEYWORDS = frozenset({"学校", "县区", "学部"})


class _KeywordAsName(Exception):
    """Raised by the lexer when a keyword arrives where only a name may stand."""

    def __init__(self, token: Token) -> None:
        super().__init__(str(token))
        self.token = token


def _check_name(tok: Token) -> Token:
    # The contextual lexer only turns a name into a keyword where the parser can take that
    # keyword; elsewhere `要求` would silently become a name. Stop it at the lexer.
    if str(tok) in _keywords() and str(tok) not in SOFT_KEYWORDS:
        raise _KeywordAsName(tok)
    return tok


class _GluedKeyword(Exception):
    """Raised by the lexer when a keyword touches a name: `不低于b`, `学校名称`, `至少6项`."""

    def __init__(self, token: Token, neighbour: str) -> None:
        super().__init__(str(token))
        self.token = token
        self.neighbour = neighbour


_TEXT: contextvars.ContextVar[str] = contextvars.ContextVar("junheng_lex_text", default="")


def _check_keyword(tok: Token) -> Token:
    # The contextual lexer matches a keyword wherever only keywords can stand, even at the
    # start of a longer run (`学校名称` → 学校 + 名称). The rule is the whole run or nothing,
    # everywhere, so a keyword touching a letter, CJK character or digit is an error.
    text = _TEXT.get()
    start, end = tok.start_pos, tok.end_pos
    if start is None or end is None or not text:
        return tok
    after = text[end] if end < len(text) else ""
    before = text[start - 1] if start > 0 else ""
    if after and (after.isalnum() or after == "_"):
        raise _GluedKeyword(tok, after)
    if before and (before.isalpha() or before == "_"):
        raise _GluedKeyword(tok, before)
    return tok


@functools.lru_cache(maxsize=1)
def _parser() -> Lark:
    return Lark(
        GRAMMAR_PATH.read_text(encoding="utf-8"),
        parser="lalr",
        lexer="contextual",
        propagate_positions=True,
        maybe_placeholders=True,
        lexer_callbacks=_callbacks(),
        # Lark stores the built LALR tables in the temp folder, keyed by the grammar's hash:
        # the second process to load rules skips building them
        cache=True,
    )


def _callbacks() -> dict[str, Callable[[Token], Token]]:
    grammar = GRAMMAR_PATH.read_text(encoding="utf-8")
    kws = re.findall(r"^(KW_[A-Z0-9_]+):", grammar, flags=re.M)
    callbacks: dict[str, Callable[[Token], Token]] = {k: _check_keyword for k in kws}
    callbacks["NAME"] = _check_name
    return callbacks


def keyword_table() -> dict[str, str]:
    """Terminal name → the keyword text it stands for (for messages and the formatter)."""
    out: dict[str, str] = {}
    for term in _parser().terminals:
        if term.name.startswith("KW_") and term.pattern.type == "str":
            out[term.name] = term.pattern.value
    return out


def parse_text(text: str, path: str = "<文本>") -> A.RuleFile:
    """Parse one rule file's text. Raises RuleError (E1xx) on a syntax error."""
    if text.startswith("\ufeff"):
        text = " " + text[1:]  # keep columns: a BOM becomes one ignorable space
    folded = fold(text)
    token = _TEXT.set(folded)
    try:
        tree = _parser().parse(folded)
        return _ToAst(path, text).transform(tree)  # type: ignore[no-any-return]
    except UnexpectedInput as exc:
        raise RuleError(_syntax_diagnostic(exc, path, text)) from None
    except _GluedKeyword as exc:
        tok = exc.token
        raise RuleError(Diagnostic(
            "E101", f"关键字「{tok}」与「{exc.neighbour}」连在一起", _tok_span(tok, path),
            hint=f"这里只能是关键字「{tok}」,它和后面的文字之间要加空格,例如「{tok} {exc.neighbour}…」")) from None
    except _KeywordAsName as exc:
        tok = exc.token
        raise RuleError(Diagnostic(
            "E101", f"此处不应出现关键字「{tok}」", _tok_span(tok, path),
            hint="前面的式子或子句可能不完整;关键字不能用作名称")) from None
    except VisitError as exc:
        if isinstance(exc.orig_exc, RuleError):
            raise exc.orig_exc from None
        if isinstance(exc.orig_exc, RecursionError):
            raise RuleError(_too_deep(path)) from None
        raise
    except RecursionError:
        raise RuleError(_too_deep(path)) from None
    finally:
        _TEXT.reset(token)


def _cache_dir() -> Path | None:
    if os.environ.get("JUNHENG_NO_CACHE"):
        return None
    base = os.environ.get("JUNHENG_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "junheng")
    return Path(base) / "ast"


@functools.lru_cache(maxsize=1)
def _grammar_digest() -> str:
    # the grammar, the parser, the AST classes and the cache's encoding: any change re-parses
    here = Path(__file__).resolve().parent
    sources = [GRAMMAR_PATH, Path(__file__), here / "ast.py", here / "astcache.py", here / "errors.py"]
    return hashlib.sha256(b"".join(p.read_bytes() for p in sources)).hexdigest()[:16]


def parse_file(path: str | Path, shown: str | None = None) -> A.RuleFile:
    """Read and parse a rule file (UTF-8, with or without BOM); `shown` names it in messages.

    Parsed files are cached by content hash (with the grammar's and this module's) as plain JSON
    data, so a second process skips parsing and a planted cache file cannot run code.
    """
    p = Path(path)
    name = shown or str(path)
    try:
        raw_bytes = p.read_bytes()
    except OSError:
        raw_bytes = None
    cache = _cache_dir()
    key = None
    if cache is not None and raw_bytes is not None:
        key = cache / (hashlib.sha256(raw_bytes + name.encode("utf-8")).hexdigest() + _grammar_digest() + ".json")
        try:
            return astcache.loads(key.read_bytes())
        except (OSError, ValueError, TypeError, KeyError, RecursionError):
            pass  # absent, stale or tampered with: parse again
    result = _parse_file(p, name)
    if key is not None:
        try:
            key.parent.mkdir(parents=True, exist_ok=True)
            tmp = key.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_bytes(astcache.dumps(result))
            os.replace(tmp, key)
        except (OSError, RecursionError):
            pass
    return result


def _parse_file(p: Path, name: str) -> A.RuleFile:
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise RuleError(Diagnostic("E105", f"无法读取规则文件:{exc.strerror or exc}", None,
                                   hint=f"检查路径 {p} 是否存在")) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise RuleError(Diagnostic("E106", "规则文件不是 UTF-8 编码", Span(name, line, 1, line, 2),
                                   hint="请将文件另存为 UTF-8 编码")) from None
    return parse_text(text, name)


# ---------------------------------------------------------------- syntax errors

_TERMINAL_WORDS = {
    "NAME": "名称", "STRING": "带引号的文字", "NUMBER": "数字", "PERCENT": "百分数", "DATE": "日期",
    "UNIT_TEXT": "单位", "ADDOP": "+ 或 -", "MULOP": "× 或 ÷", "CMP_SYM": "比较符号",
    "LPAR": "(", "RPAR": ")", "COMMA": ",", "COLON": ":", "EQUAL": "=", "$END": "文件结尾",
    "__ANON_0": "、",
}


def _describe_expected(expected: set[str]) -> str:
    kws = keyword_table()
    if "NAME" in expected and "NUMBER" in expected:
        return "一个数值、名称或括号内的表达式"
    words = []
    for name in sorted(expected):
        if name in kws:
            words.append(f"「{kws[name]}」")
        elif name in _TERMINAL_WORDS:
            words.append(_TERMINAL_WORDS[name])
    words = sorted(set(words))
    if len(words) > 12:
        words = [*words[:12], "…"]
    return "、".join(words)


@functools.lru_cache(maxsize=1)
def _keywords() -> frozenset[str]:
    return frozenset(keyword_table().values())


_KEYWORD_RE: re.Pattern[str] | None = None


def _keyword_inside(name: str) -> str | None:
    """The longest keyword that a would-be name contains, for the 'add spaces' hint."""
    global _KEYWORD_RE
    if _KEYWORD_RE is None:
        kws = sorted(set(keyword_table().values()), key=len, reverse=True)
        _KEYWORD_RE = re.compile("|".join(re.escape(k) for k in kws if len(k) >= 2))
    found = _KEYWORD_RE.search(name)
    return found.group(0) if found else None


def _syntax_diagnostic(exc: UnexpectedInput, path: str, text: str) -> Diagnostic:
    line = getattr(exc, "line", 1) or 1
    column = getattr(exc, "column", 1) or 1
    if isinstance(exc, UnexpectedCharacters):
        pos = exc.pos_in_stream or 0
        ch = text[pos] if pos < len(text) else ""
        span = Span(path, line, column, line, column + 1)
        if ch in "\"“”":
            return Diagnostic("E103", "字符串缺少结尾的引号", span, hint="在同一行内用 \" 结束这段文字")
        shown = ch if ch.isprintable() and not ch.isspace() else f"U+{ord(ch):04X}"
        if ch in ";；":
            return Diagnostic("E102", f"无法识别的字符「{shown}」", span,
                              hint="各学段的值之间用「,」或「、」分隔,例如:小学 1, 初中 1")
        expected = _describe_expected(set(exc.allowed or ()))
        return Diagnostic("E102", f"无法识别的字符「{shown}」", span,
                          hint=f"此处可以是:{expected}" if expected else "删除这个字符")
    if isinstance(exc, UnexpectedEOF) or (isinstance(exc, UnexpectedToken) and exc.token.type == "$END"):
        lines = text.splitlines() or [""]
        last = len(lines)
        col = len(lines[-1]) + 1
        expected = _describe_expected(set(getattr(exc, "expected", ()) or ()))
        return Diagnostic("E104", "规则文件意外结束,最后一条规则不完整", Span(path, last, col, last, col + 1),
                          hint=f"还需要:{expected}" if expected else None)
    assert isinstance(exc, UnexpectedToken)
    tok = exc.token
    if tok.type == "UNIT_TEXT" and tok.start_pos is not None:
        # The fallback lexer read stray characters as unit text: point at the first odd one.
        word = text[tok.start_pos: tok.end_pos]
        bad = next((i for i, c in enumerate(word) if not (c.isalnum() or c == "_")), None)
        if bad is None:
            kw = _keyword_inside(word)
            hint: str | None = (f"「{word}」被读作一个名称,其中含有关键字「{kw}」;关键字前后请加空格" if kw and kw != word
                    else f"此处可以是:{_describe_expected(set(exc.expected))}")
            return Diagnostic("E101", f"此处不应出现名称「{word}」", Span(path, line, column, line, column + len(word)),
                              hint=hint)
        col = column + bad
        ch = word[bad]
        shown = ch if ch.isprintable() and not ch.isspace() else f"U+{ord(ch):04X}"
        return Diagnostic("E102", f"无法识别的字符「{shown}」", Span(path, line, col, line, col + 1),
                          hint="名称只能由汉字、字母和数字组成;单位只能写在「单位」之后")
    value = text[tok.start_pos: tok.end_pos] if tok.start_pos is not None else str(tok)
    end_col = (tok.end_column or column + len(value))
    span = Span(path, line, column, tok.end_line or line, end_col)
    expected = _describe_expected(set(exc.expected))
    hint = f"此处可以是:{expected}" if expected else None
    if tok.type in ("NAME", "UNIT_TEXT"):
        glued = _keyword_inside(value)
        if glued and glued != value:
            hint = f"「{value}」被读作一个名称,其中含有关键字「{glued}」;关键字前后请加空格"
        elif value[:1].isdigit() or re.match(r"^\d", value):
            hint = "数字与后面的文字之间请加空格"
        return Diagnostic("E101", f"此处不应出现名称「{value}」", span, hint=hint)
    return Diagnostic("E101", f"此处不应出现「{value}」", span, hint=hint)


# ---------------------------------------------------------------- tree → AST


MAX_DIGITS = 30  # no standard needs more; bigger numbers would overflow float64 arithmetic


def _too_deep(path: str) -> Diagnostic:
    return Diagnostic("E109", "表达式嵌套太深或太长,无法处理", Span(path, 1, 1, 1, 2),
                      hint="把很长的式子拆成几个指标,或减少括号的层数")


def _num(text: str) -> Fraction:
    t = text.replace(",", "")
    if len(t.replace(".", "")) > MAX_DIGITS + 2:
        raise _NumberTooLarge(text)
    scale = Fraction(1)
    if t.endswith("%"):
        t, scale = t[:-1], Fraction(1, 100)
    elif t.endswith("万"):
        t, scale = t[:-1], Fraction(10000)
    return Fraction(t) * scale


def _date(tok: Token, path: str) -> date:
    m = re.match(r"(\d{4})\D(\d{1,2})\D(\d{1,2})", str(tok))
    assert m is not None  # the DATE terminal guarantees the shape
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        raise RuleError(Diagnostic("E107", f"日期「{tok}」不存在", _tok_span(tok, path),
                                   hint="日期写作 2017-04-26 或 2017年4月26日")) from None


def _tok_span(tok: Token, path: str) -> Span:
    return Span(path, tok.line or 1, tok.column or 1, tok.end_line or tok.line or 1,
                tok.end_column or (tok.column or 1) + len(tok))


_OPS = {"×": "×", "*": "×", "÷": "÷", "/": "÷", "+": "+", "-": "-"}
_LEVEL_OF = {"学部指标": A.UNIT, "学校指标": A.SCHOOL, "县指标": A.COUNTY,
             "学部结论": A.UNIT, "学校结论": A.SCHOOL, "县结论": A.COUNTY}


def _toks(children: list[Any]) -> list[Any]:
    """Children without keyword tokens (they carry no information once the rule matched)."""
    return [c for c in children if not (isinstance(c, Token) and c.type.startswith("KW_"))]


class _NumberTooLarge(ValueError):
    """A numeral longer than any standard needs (E108)."""


class _Tagged(tuple):  # type: ignore[type-arg]
    """(tag, value) produced by clause rules; declarations collect them by tag."""


def _tag(tag: str, value: object) -> _Tagged:
    return _Tagged((tag, value))


@v_args(meta=True)
class _ToAst(Transformer[Token, A.RuleFile]):
    def __init__(self, path: str, original: str) -> None:
        super().__init__()
        self.path = path
        self.original = original
        self._line_starts = [0] + [i + 1 for i, c in enumerate(original) if c == "\n"]

    # --- helpers
    def _span(self, meta: Any) -> Span:
        if getattr(meta, "empty", True):
            return Span(self.path, 1, 1, 1, 1)
        return Span(self.path, meta.line, meta.column, meta.end_line, meta.end_column)

    def _str(self, tok: Token | None) -> str | None:
        if tok is None:
            return None
        raw = self.original[tok.start_pos: tok.end_pos] if tok.start_pos is not None else str(tok)
        return raw[1:-1]

    def _opts(self, children: list[Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for c in children:
            if isinstance(c, _Tagged):
                tag, value = c
                if tag == "values":
                    out.setdefault("values", []).append(value)
                else:
                    out[tag] = value
        return out

    # --- file
    def start(self, meta: Any, children: list[Any]) -> A.RuleFile:
        header = next((c for c in children if isinstance(c, A.Header)), None)
        stmts = tuple(c for c in children if not isinstance(c, A.Header))
        return A.RuleFile(self.path, header, stmts)

    def header(self, meta: Any, children: list[Any]) -> A.Header:
        ch = _toks(children)
        name, title = ch[0], ch[1]
        opts = self._opts(ch[2:])
        return A.Header(str(name), self._str(title), opts.get("docno"), opts.get("inherit"),
                        opts.get("issued"), self._span(meta))

    def docno(self, meta: Any, ch: list[Any]) -> _Tagged:
        return _tag("docno", self._str(_toks(ch)[0]))

    def inherit(self, meta: Any, ch: list[Any]) -> _Tagged:
        return _tag("inherit", str(_toks(ch)[0]))

    def issued(self, meta: Any, ch: list[Any]) -> _Tagged:
        return _tag("issued", _date(_toks(ch)[0], self.path))

    # --- small clauses
    def unit(self, meta: Any, ch: list[Any]) -> _Tagged:
        return _tag("unit", str(_toks(ch)[0]))

    def source(self, meta: Any, ch: list[Any]) -> _Tagged:
        return _tag("source", self._str(_toks(ch)[0]))

    def title(self, meta: Any, ch: list[Any]) -> _Tagged:
        return _tag("title", self._str(_toks(ch)[0]))

    def note(self, meta: Any, ch: list[Any]) -> _Tagged:
        return _tag("note", self._str(_toks(ch)[0]))

    def required(self, meta: Any, ch: list[Any]) -> _Tagged:
        return _tag("required", True)

    def strict(self, meta: Any, ch: list[Any]) -> _Tagged:
        return _tag("strict", True)

    def by_stage(self, meta: Any, ch: list[Any]) -> _Tagged:
        return _tag("by_stage", True)

    def relax(self, meta: Any, ch: list[Any]) -> _Tagged:
        return _tag("relax", self._str(_toks(ch)[0]))

    def calc(self, meta: Any, ch: list[Any]) -> _Tagged:
        return _tag("calc", _toks(ch)[0])

    def req(self, meta: Any, ch: list[Any]) -> _Tagged:
        return _tag("req", _toks(ch)[0])

    def combo_req(self, meta: Any, ch: list[Any]) -> _Tagged:
        return _tag("combo", _toks(ch)[0])

    def use_scope(self, meta: Any, ch: list[Any]) -> _Tagged:
        return _tag("scope", str(_toks(ch)[0]))

    def keep(self, meta: Any, ch: list[Any]) -> _Tagged:
        tok = _toks(ch)[0]
        n = _num(str(tok))
        if n.denominator != 1 or n > 12:
            raise RuleError(Diagnostic("E108", f"保留的小数位数「{tok}」应为 0 到 12 的整数",
                                       _tok_span(tok, self.path)))
        return _tag("keep", int(n))

    def values(self, meta: Any, ch: list[Any]) -> _Tagged:
        items = [c for c in ch if isinstance(c, tuple) and not isinstance(c, _Tagged)]
        dates = [c for c in ch if isinstance(c, Token) and c.type == "DATE"]
        eff = _date(dates[0], self.path) if dates else None
        return _tag("values", A.ParamValues(tuple(items), eff, self._span(meta)))

    def staged_value(self, meta: Any, ch: list[Any]) -> tuple[str | None, A.Num]:
        return (ch[0], ch[1])

    def signed_number(self, meta: Any, ch: list[Any]) -> A.Num:
        sign, tok = ch
        value = self._checked_num(tok)
        text = str(tok)
        if sign is not None and str(sign) == "-":
            value, text = -value, "-" + text
        return A.Num(value, text, self._span(meta))

    def stage(self, meta: Any, ch: list[Any]) -> str:
        return str(ch[0])

    def type_name(self, meta: Any, ch: list[Any]) -> str:
        return str(ch[0])

    def entity(self, meta: Any, ch: list[Any]) -> str:
        return str(ch[0])

    def ind_kw(self, meta: Any, ch: list[Any]) -> str:
        return str(ch[0])

    con_kw = ind_kw

    def cmp_word(self, meta: Any, ch: list[Any]) -> str:
        return str(ch[0])

    def req_kw(self, meta: Any, ch: list[Any]) -> str:
        return str(ch[0])

    def bound(self, meta: Any, ch: list[Any]) -> str:
        return str(ch[0])

    def target_kind(self, meta: Any, ch: list[Any]) -> str:
        return str(ch[0])

    def scope_target(self, meta: Any, ch: list[Any]) -> str:
        return str(ch[0])

    # --- declarations
    def field(self, meta: Any, ch: list[Any]) -> A.FieldDecl:
        c = _toks(ch)
        entity, name, title, typ = c[0], c[1], c[2], c[3]
        o = self._opts(c[4:])
        return A.FieldDecl(entity, self._name(name), self._str(title), typ, o.get("unit"), o.get("required", False),
                           o.get("source"), o.get("note"), self._span(meta))

    def param(self, meta: Any, ch: list[Any]) -> A.ParamDecl:
        c = _toks(ch)
        o = self._opts(c[2:])
        return A.ParamDecl(self._name(c[0]), self._str(c[1]), tuple(o.get("values", [])), o.get("unit"),
                           o.get("source"), o.get("note"), o.get("strict", False), self._span(meta))

    def unit_def(self, meta: Any, ch: list[Any]) -> A.UnitDef:
        c = _toks(ch)
        stage, title, cond = c[0], c[1], c[2]
        src = c[3][1] if len(c) > 3 and c[3] is not None else None
        return A.UnitDef(stage, self._str(title), cond, src, self._span(meta))

    def stage_expr(self, meta: Any, ch: list[Any]) -> tuple[str, A.Expr]:
        return (ch[0], ch[1])

    def unit_field(self, meta: Any, ch: list[Any]) -> A.UnitField:
        c = [x for x in _toks(ch) if not (isinstance(x, Token) and x.type == "EQUAL")]
        name, title = c[0], c[1]
        pairs = tuple(x for x in c[2:] if isinstance(x, tuple) and not isinstance(x, _Tagged))
        o = self._opts(c[2:])
        return A.UnitField(self._name(name), self._str(title), pairs, o.get("unit"), o.get("source"), o.get("note"),
                           self._span(meta))

    def split_items(self, meta: Any, ch: list[Any]) -> _Tagged:
        return _tag("items", tuple(str(t) for t in _toks(ch)))

    def split_weight(self, meta: Any, ch: list[Any]) -> _Tagged:
        return _tag("weight", str(_toks(ch)[0]))

    def split_heads(self, meta: Any, ch: list[Any]) -> _Tagged:
        return _tag("heads", tuple(_toks(ch)))

    def stage_name(self, meta: Any, ch: list[Any]) -> tuple[str, str]:
        return (ch[0], str(ch[1]))

    def split(self, meta: Any, ch: list[Any]) -> A.Split:
        c = _toks(ch)
        o = self._opts(c[1:])
        return A.Split(self._str(c[0]), o.get("items", ()), o.get("weight"), o.get("heads", ()),
                       o.get("source"), o.get("note"), self._span(meta))

    def include(self, meta: Any, ch: list[Any]) -> _Tagged:
        return _tag("include", _toks(ch)[0])

    def exclude(self, meta: Any, ch: list[Any]) -> _Tagged:
        return _tag("exclude", _toks(ch)[0])

    def scope(self, meta: Any, ch: list[Any]) -> A.ScopeDecl:
        c = _toks(ch)
        name, title, target = c[0], c[1], c[2]
        inc = tuple(v for t, v in (x for x in c[3:] if isinstance(x, _Tagged)) if t == "include")
        exc = tuple(v for t, v in (x for x in c[3:] if isinstance(x, _Tagged)) if t == "exclude")
        o = self._opts(c[3:])
        return A.ScopeDecl(self._name(name), self._str(title), target, inc, exc, o.get("source"), o.get("note"),
                           self._span(meta))

    def indicator(self, meta: Any, ch: list[Any]) -> A.Indicator:
        kw, name, title = ch[0], ch[1], ch[2]
        o = self._opts(ch[3:])
        return A.Indicator(_LEVEL_OF[kw], self._name(name), self._str(title), o.get("calc"), o.get("req"),
                           o.get("unit"), o.get("scope"), o.get("source"), o.get("note"), o.get("keep"),
                           o.get("by_stage", False), o.get("strict", False), o.get("relax"), self._span(meta))

    def conclusion(self, meta: Any, ch: list[Any]) -> A.Conclusion:
        kw, name, title = ch[0], ch[1], ch[2]
        o = self._opts(ch[3:])
        return A.Conclusion(_LEVEL_OF[kw], self._name(name), self._str(title), o.get("combo"), o.get("source"),
                            o.get("note"), o.get("by_stage", False), self._span(meta))

    # --- layering
    def modify(self, meta: Any, ch: list[Any]) -> A.Modify:
        c = _toks(ch)
        kind, name = c[0], c[1]
        clauses: list[tuple[str, object]] = []
        values: list[A.ParamValues] = []
        for x in c[2:]:
            if isinstance(x, _Tagged):
                if x[0] == "values":
                    values.append(x[1])
                else:
                    clauses.append((x[0], x[1]))
        if values:
            clauses.insert(0, ("values", tuple(values)))
        return A.Modify(kind, str(name), tuple(clauses), self._span(meta))

    def add(self, meta: Any, ch: list[Any]) -> A.Add:
        return A.Add(_toks(ch)[0], self._span(meta))

    def remove(self, meta: Any, ch: list[Any]) -> A.Remove:
        c = _toks(ch)
        return A.Remove(c[0], str(c[1]), self._str(c[2]) or "", self._span(meta))

    # --- requirements and combos
    def req_word(self, meta: Any, ch: list[Any]) -> A.ReqCompare:
        word, threshold, bound = ch
        op = A.WORD_OPS[word]
        shown = word
        if bound is not None:
            # 达到 X 以上 / 不低于 X 以上: the suffix can only confirm an inclusive bound.
            op = A.WORD_OPS[bound] if word == "达到" else op
            shown = f"{word}…{bound}"
        return A.ReqCompare(op, shown, threshold, self._span(meta))

    def req_sym(self, meta: Any, ch: list[Any]) -> A.ReqCompare:
        sym, threshold = ch
        return A.ReqCompare(A.WORD_OPS[str(sym)], str(sym), threshold, self._span(meta))

    def req_bound(self, meta: Any, ch: list[Any]) -> A.ReqCompare:
        threshold, bound = ch
        return A.ReqCompare(A.WORD_OPS[bound], bound, threshold, self._span(meta))

    def req_is(self, meta: Any, ch: list[Any]) -> A.ReqCompare:
        return A.ReqCompare(A.Cmp.EQ, "为", _toks(ch)[0], self._span(meta))

    def req_if(self, meta: Any, ch: list[Any]) -> A.ReqIf:
        c = _toks(ch)
        return A.ReqIf(c[0], c[1], c[2], self._span(meta))

    def id_ref(self, meta: Any, ch: list[Any]) -> A.IdRef:
        c = _toks(ch)
        return A.IdRef(self._name(c[0]), self._name(c[1]) if c[1] is not None else None, self._span(meta))

    def id_list(self, meta: Any, ch: list[Any]) -> tuple[A.IdRef, ...]:
        return tuple(ch)

    def combo_all(self, meta: Any, ch: list[Any]) -> A.Combo:
        return A.Combo("所有", _toks(ch)[0], None, None, None, None, self._span(meta))

    def combo_any(self, meta: Any, ch: list[Any]) -> A.Combo:
        return A.Combo("任一", _toks(ch)[0], None, None, None, None, self._span(meta))

    def rest_clause(self, meta: Any, ch: list[Any]) -> tuple[str, Fraction]:
        c = [x for x in _toks(ch) if x is not None and not (isinstance(x, Token) and x.type == "COMMA")]
        return (c[0], _num(str(c[1])))

    def combo_atleast(self, meta: Any, ch: list[Any]) -> A.Combo:
        c = _toks(ch)
        items, n, rest = c[0], c[1], c[2]
        count = _num(str(n))
        if count.denominator != 1:
            raise RuleError(Diagnostic("E108", f"项数「{n}」应为整数", _tok_span(n, self.path)))
        if rest is None:
            return A.Combo("至少", items, int(count), None, None, None, self._span(meta))
        word, ratio = rest
        return A.Combo("至少", items, int(count), A.WORD_OPS[word], word, ratio, self._span(meta))

    # --- expressions
    def number(self, meta: Any, ch: list[Any]) -> A.Num:
        return A.Num(self._checked_num(ch[0]), str(ch[0]), self._span(meta))

    def _checked_num(self, tok: Token) -> Fraction:
        try:
            value = _num(str(tok))
        except _NumberTooLarge:
            value = Fraction(10) ** 400
        if abs(value) >= Fraction(10) ** 15:
            raise RuleError(Diagnostic("E108", f"数字「{str(tok)[:20]}{'…' if len(str(tok)) > 20 else ''}」太大",
                                       _tok_span(tok, self.path), hint="数值应小于 10 的 15 次方"))
        return value

    def text(self, meta: Any, ch: list[Any]) -> A.Text:
        return A.Text(self._str(ch[0]) or "", self._span(meta))

    def yes(self, meta: Any, ch: list[Any]) -> A.Bool:
        return A.Bool(True, self._span(meta))

    def no(self, meta: Any, ch: list[Any]) -> A.Bool:
        return A.Bool(False, self._span(meta))

    def ref(self, meta: Any, ch: list[Any]) -> A.Ref:
        return A.Ref(self._name(ch[0]), self._span(meta))

    def _name(self, tok: Token) -> str:
        """A NAME token's text; a keyword read as a name (the parser allowed no keyword
        there) is an error rather than a silently unknown name."""
        value = str(tok)
        if value in _keywords() and value not in SOFT_KEYWORDS:
            raise RuleError(Diagnostic("E101", f"「{value}」是关键字,不能用作名称", _tok_span(tok, self.path),
                                       hint="前面的式子或子句可能不完整;或为名称另取一个不与关键字相同的名字"))
        return value

    def stage_lit(self, meta: Any, ch: list[Any]) -> A.StageLit:
        return A.StageLit(ch[0], self._span(meta))

    def binop(self, meta: Any, ch: list[Any]) -> A.BinOp:
        return A.BinOp(_OPS[str(ch[1])], ch[0], ch[2], self._span(meta))

    def neg(self, meta: Any, ch: list[Any]) -> A.Expr:
        operand = ch[1]
        if str(ch[0]) == "+":
            return operand  # type: ignore[no-any-return]
        if isinstance(operand, A.Num):
            return A.Num(-operand.value, "-" + operand.text, self._span(meta))
        return A.Neg(operand, self._span(meta))

    def compare(self, meta: Any, ch: list[Any]) -> A.Compare:
        word = str(ch[1])
        return A.Compare(A.WORD_OPS[word], word, ch[0], ch[2], self._span(meta))

    def is_op(self, meta: Any, ch: list[Any]) -> A.Compare:
        c = _toks(ch)
        return A.Compare(A.Cmp.EQ, "为", c[0], c[1], self._span(meta))

    def in_op(self, meta: Any, ch: list[Any]) -> A.In:
        negate = any(isinstance(x, Token) and x.type == "KW_NOTIN" for x in ch)
        c = [x for x in _toks(ch) if not isinstance(x, Token)]
        return A.In(c[0], tuple(c[1:]), negate, self._span(meta))

    def and_op(self, meta: Any, ch: list[Any]) -> A.Logic:
        c = _toks(ch)
        return A.Logic("且", c[0], c[1], self._span(meta))

    def or_op(self, meta: Any, ch: list[Any]) -> A.Logic:
        c = _toks(ch)
        return A.Logic("或", c[0], c[1], self._span(meta))

    def not_op(self, meta: Any, ch: list[Any]) -> A.Not:
        return A.Not(_toks(ch)[0], self._span(meta))

    def if_expr(self, meta: Any, ch: list[Any]) -> A.If:
        c = _toks(ch)
        return A.If(c[0], c[1], c[2], self._span(meta))

    def agg_entity(self, meta: Any, ch: list[Any]) -> _Tagged:
        return _tag("entity", str(ch[0]))

    def pos_arg(self, meta: Any, ch: list[Any]) -> _Tagged:
        return _tag("arg", ch[0])

    def weight_arg(self, meta: Any, ch: list[Any]) -> _Tagged:
        return _tag("weight", _toks(ch)[0])

    def scope_arg(self, meta: Any, ch: list[Any]) -> _Tagged:
        return _tag("scope", str(_toks(ch)[0]))

    def where_arg(self, meta: Any, ch: list[Any]) -> _Tagged:
        return _tag("where", _toks(ch)[0])

    def call(self, meta: Any, ch: list[Any]) -> A.Call:
        func = str(ch[0])
        entity = None
        args: list[A.Expr] = []
        weight = where = None
        scope = None
        for x in ch[1:]:
            if not isinstance(x, _Tagged):
                continue
            tag, value = x
            if tag == "entity":
                entity = value
            elif tag == "arg":
                args.append(value)
            elif tag == "weight":
                weight = value
            elif tag == "where":
                where = value
            elif tag == "scope":
                scope = value
        return A.Call(func, entity, tuple(args), weight, where, scope, self._span(meta))
