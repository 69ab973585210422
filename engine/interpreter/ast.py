"""The rule language's syntax tree: frozen, slotted dataclasses, each with its source span.

Nothing here knows about Lark; `parse.py` builds these nodes and every later stage reads
them. Nodes are values: two parses of the same text compare equal apart from spans
(`strip_spans` in the tests).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import Enum
from fractions import Fraction
from typing import Union

from engine.interpreter.errors import Span

# Entity levels. 县区学段 is a county seen per 学段 (used by 分学段 county items).
UNIT = "学部"
SCHOOL = "学校"
COUNTY = "县区"
LEVELS = (UNIT, SCHOOL, COUNTY)
STAGES = ("小学", "初中")
ALL_STAGES = ("小学", "初中", "高中")


class Cmp(Enum):
    """A comparison operator, after the legal word has fixed whether the bound is included."""

    GE = "≥"
    GT = ">"
    LE = "≤"
    LT = "<"
    EQ = "="
    NE = "≠"


# The legal words, with the operator each one means (民法典 第一千二百五十九条: 以上、以下、
# 以内 include the bound; so do 不低于、不超过、达到; 超过、高于、低于、不足、不满 exclude it).
WORD_OPS: dict[str, Cmp] = {
    "不低于": Cmp.GE, "不少于": Cmp.GE, "达到": Cmp.GE, "以上": Cmp.GE,
    "不超过": Cmp.LE, "不多于": Cmp.LE, "以下": Cmp.LE, "以内": Cmp.LE,
    "高于": Cmp.GT, "超过": Cmp.GT, "多于": Cmp.GT, "大于": Cmp.GT,
    "低于": Cmp.LT, "不足": Cmp.LT, "不满": Cmp.LT, "少于": Cmp.LT, "小于": Cmp.LT,
    "等于": Cmp.EQ, "为": Cmp.EQ,
    ">=": Cmp.GE, "≥": Cmp.GE, "<=": Cmp.LE, "≤": Cmp.LE, ">": Cmp.GT, "<": Cmp.LT,
    "=": Cmp.EQ, "≠": Cmp.NE, "!=": Cmp.NE,
}


# ---------------------------------------------------------------- expressions


@dataclass(frozen=True, slots=True)
class Num:
    """A number literal; `text` is what the author wrote (4.2, 85%, 1,000, 2万)."""

    value: Fraction
    text: str
    span: Span


@dataclass(frozen=True, slots=True)
class Text:
    """A string literal used as a value, e.g. "教学点"."""

    value: str
    span: Span


@dataclass(frozen=True, slots=True)
class Bool:
    """是 / 否."""

    value: bool
    span: Span


@dataclass(frozen=True, slots=True)
class StageLit:
    """小学 / 初中 / 高中 used as a value (compared with the 学段 of a unit)."""

    stage: str
    span: Span


@dataclass(frozen=True, slots=True)
class Ref:
    """A name: a field, unit field, parameter, indicator or conclusion."""

    name: str
    span: Span


@dataclass(frozen=True, slots=True)
class BinOp:
    """Arithmetic: op is one of + - × ÷ (normalised from * and /)."""

    op: str
    left: Expr
    right: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class Neg:
    """Unary minus."""

    operand: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class Compare:
    """A comparison inside an expression; `word` is the author's word (不足, <, 为…)."""

    op: Cmp
    word: str
    left: Expr
    right: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class In:
    """`x 属于 (a, b)` / `x 不属于 (a, b)`."""

    operand: Expr
    options: tuple[Expr, ...]
    negate: bool
    span: Span


@dataclass(frozen=True, slots=True)
class Logic:
    """且 / 或 (Kleene three-valued logic: missing data stays missing unless decided)."""

    op: str  # "且" or "或"
    left: Expr
    right: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class Not:
    """非."""

    operand: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class If:
    """若 cond 则 a 否则 b."""

    cond: Expr
    then: Expr
    otherwise: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class Call:
    """A built-in function or an aggregate over a county's schools or units.

    `entity` is the level aggregated over (学部 / 学校) when written as `合计(学校: …)`;
    `weight`, `where` and `scope` are the optional 权重 / 当 / 范围 arguments.
    """

    func: str
    entity: str | None
    args: tuple[Expr, ...]
    weight: Expr | None
    where: Expr | None
    scope: str | None
    span: Span


Expr = Union[Num, Text, Bool, StageLit, Ref, BinOp, Neg, Compare, In, Logic, Not, If, Call]


# ---------------------------------------------------------------- requirements


@dataclass(frozen=True, slots=True)
class ReqCompare:
    """要求 不低于 X / X 以上 / ≥ X: the value compared with a threshold expression."""

    op: Cmp
    word: str  # as written, for explanations: "不低于", "以上", "≥"
    threshold: Expr
    span: Span


@dataclass(frozen=True, slots=True)
class ReqIf:
    """要求 若 cond 则 <要求> 否则 <要求>."""

    cond: Expr
    then: Requirement
    otherwise: Requirement
    span: Span


Requirement = Union[ReqCompare, ReqIf]


@dataclass(frozen=True, slots=True)
class IdRef:
    """One entry in a conclusion's list: a name, or a range `R1 至 R7` in declaration order."""

    first: str
    last: str | None
    span: Span


@dataclass(frozen=True, slots=True)
class Combo:
    """How a conclusion combines items: 所有 / 任一 / 至少 N 项 (其余 ≥ p% of their standard)."""

    kind: str  # "所有" | "任一" | "至少"
    items: tuple[IdRef, ...]
    at_least: int | None
    rest_op: Cmp | None
    rest_word: str | None
    rest_ratio: Fraction | None
    span: Span


# ---------------------------------------------------------------- declarations


@dataclass(frozen=True, slots=True)
class Header:
    """规则集 NAME "title" 文号 "…" 继承 PARENT 发布日期 DATE."""

    name: str
    title: str | None
    docno: str | None
    inherits: str | None
    issued: date | None
    span: Span


@dataclass(frozen=True, slots=True)
class FieldDecl:
    """字段 学校|县区 NAME "title" TYPE 单位 U 必需: a column of the facts tables."""

    entity: str
    name: str
    title: str | None
    type: str
    unit: str | None
    required: bool
    source: str | None
    note: str | None
    span: Span


@dataclass(frozen=True, slots=True)
class ParamValues:
    """One dated set of a parameter's values: per 学段 (stage) or one value (stage None)."""

    by_stage: tuple[tuple[str | None, Num], ...]
    effective: date | None
    span: Span


@dataclass(frozen=True, slots=True)
class ParamDecl:
    """参数 NAME = 小学 4.2, 初中 5.3 单位 U 依据 "…" [不得放宽]."""

    name: str
    title: str | None
    values: tuple[ParamValues, ...]
    unit: str | None
    source: str | None
    note: str | None
    strict: bool
    span: Span


@dataclass(frozen=True, slots=True)
class UnitDef:
    """学部 小学 当 COND: which schools have a unit (学部) of this 学段."""

    stage: str
    title: str | None
    condition: Expr
    source: str | None
    span: Span


@dataclass(frozen=True, slots=True)
class UnitField:
    """学部字段 NAME = 小学 EXPR, 初中 EXPR: a unit's value, taken from its school per 学段."""

    name: str
    title: str | None
    by_stage: tuple[tuple[str, Expr], ...]
    unit: str | None
    source: str | None
    note: str | None
    span: Span


@dataclass(frozen=True, slots=True)
class Split:
    """拆分: whole-school quantities shared among a school's units by weighted students."""

    title: str | None
    items: tuple[str, ...]
    weight: str | None  # a parameter with a value per 学段 (高中 included)
    heads: tuple[tuple[str, str], ...]  # (学段, student-count field)
    source: str | None
    note: str | None
    span: Span


@dataclass(frozen=True, slots=True)
class ScopeDecl:
    """范围 NAME 学部|学校 包含 COND 排除 COND: which units or schools an indicator covers."""

    name: str
    title: str | None
    target: str
    include: tuple[Expr, ...]
    exclude: tuple[Expr, ...]
    source: str | None
    note: str | None
    span: Span


@dataclass(frozen=True, slots=True)
class Indicator:
    """学部指标 / 学校指标 / 县指标: a value computed per row and its requirement."""

    level: str
    name: str
    title: str | None
    calc: Expr | None
    requirement: Requirement | None
    unit: str | None
    scope: str | None
    source: str | None
    note: str | None
    keep: int | None
    by_stage: bool
    strict: bool
    relax_reason: str | None
    span: Span


@dataclass(frozen=True, slots=True)
class Conclusion:
    """学部结论 / 学校结论 / 县结论: combines indicators' verdicts."""

    level: str
    name: str
    title: str | None
    combo: Combo | None
    source: str | None
    note: str | None
    by_stage: bool
    span: Span


Decl = Union[FieldDecl, ParamDecl, UnitDef, UnitField, Split, ScopeDecl, Indicator, Conclusion]


@dataclass(frozen=True, slots=True)
class Modify:
    """修改 KIND NAME clauses…: replace the named clauses of an inherited item."""

    kind: str
    name: str
    clauses: tuple[tuple[str, object], ...]
    span: Span


@dataclass(frozen=True, slots=True)
class Add:
    """新增 DECL: an item a province adds on top of what it inherits."""

    decl: Decl
    span: Span


@dataclass(frozen=True, slots=True)
class Remove:
    """删除 KIND NAME 理由 "…": drop an inherited item, with the reason on record."""

    kind: str
    name: str
    reason: str
    span: Span


Statement = Union[Decl, Modify, Add, Remove]


@dataclass(frozen=True, slots=True)
class RuleFile:
    """One parsed .rule file."""

    path: str
    header: Header | None
    statements: tuple[Statement, ...]


def decl_kind(decl: Decl) -> str:
    """The Chinese kind word of a declaration, as used by 修改 / 删除 (参数, 学部指标…)."""
    if isinstance(decl, FieldDecl):
        return "字段"
    if isinstance(decl, ParamDecl):
        return "参数"
    if isinstance(decl, UnitField):
        return "学部字段"
    if isinstance(decl, ScopeDecl):
        return "范围"
    if isinstance(decl, Indicator):
        return {UNIT: "学部指标", SCHOOL: "学校指标", COUNTY: "县指标"}[decl.level]
    if isinstance(decl, Conclusion):
        return {UNIT: "学部结论", SCHOOL: "学校结论", COUNTY: "县结论"}[decl.level]
    if isinstance(decl, UnitDef):
        return "学部"
    return "拆分"


def decl_name(decl: Decl) -> str:
    """The name other rules use for a declaration (a 学部 definition is named by its 学段)."""
    if isinstance(decl, UnitDef):
        return decl.stage
    if isinstance(decl, Split):
        return "拆分:" + "、".join(decl.items)
    return decl.name
