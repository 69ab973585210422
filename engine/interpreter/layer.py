"""Layer stage: parsed files of a chain of rule sets (国家 → 省 → 市) → one `RuleSet`.

Each layer is the set of files whose header names it. A layer that `继承`s another may only
change what it inherits explicitly: `修改`, `新增`, `删除 … 理由 "…"`. Every item keeps its
provenance: the layer, file and line that defined it and every later change.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from engine.interpreter import ast as A
from engine.interpreter.errors import DiagnosticBag, Related, RuleError, Span

D = TypeVar("D")


@dataclass(frozen=True, slots=True)
class Change:
    """One step in an item's history: which layer defined or changed it, where, and how."""

    layer: str
    op: str  # 定义 / 新增 / 修改
    span: Span
    docno: str | None
    what: str  # a short Chinese description, e.g. "小学 4.2 → 4.5"
    source: str | None = None  # the 依据 the change cites (a province's article)
    relax: str | None = None  # the stated reason when the change relaxes a 不得放宽 item
    before: object = None  # the declaration as it was before this change (None for a definition)


@dataclass(frozen=True, slots=True)
class Entry(Generic[D]):
    """A declaration after layering, with the chain of changes that produced it."""

    decl: D
    history: tuple[Change, ...]

    @property
    def layer(self) -> str:
        return self.history[-1].layer

    @property
    def span(self) -> Span:
        return self.history[-1].span

    @property
    def origin(self) -> Change:
        return self.history[0]


@dataclass(frozen=True, slots=True)
class LayerInfo:
    """One layer of a rule set: its name, title, 文号, parent and files."""

    name: str
    title: str | None
    docno: str | None
    inherits: str | None
    files: tuple[str, ...]


@dataclass
class RuleSet:
    """The layered result: every item by name, in declaration order, with provenance."""

    name: str
    layers: tuple[LayerInfo, ...]
    fields: dict[str, Entry[A.FieldDecl]] = field(default_factory=dict)
    params: dict[str, Entry[A.ParamDecl]] = field(default_factory=dict)
    unit_defs: dict[str, Entry[A.UnitDef]] = field(default_factory=dict)
    unit_fields: dict[str, Entry[A.UnitField]] = field(default_factory=dict)
    splits: dict[str, Entry[A.Split]] = field(default_factory=dict)
    scopes: dict[str, Entry[A.ScopeDecl]] = field(default_factory=dict)
    items: dict[str, Entry[A.Indicator | A.Conclusion]] = field(default_factory=dict)
    removed: dict[str, tuple[str, str, Span]] = field(default_factory=dict)  # name → (layer, reason, span)

    @property
    def title(self) -> str | None:
        return next((info.title for info in reversed(self.layers) if info.title), None)

    @property
    def docno(self) -> str | None:
        """The 文号 of the rule set's own (top) layer; an inheriting set without one has none."""
        return self.layers[-1].docno if self.layers else None

    @property
    def base_docno(self) -> str | None:
        return self.layers[0].docno if self.layers else None

    def table_for(self, decl: A.Decl) -> dict[str, Entry]:  # type: ignore[type-arg]
        if isinstance(decl, A.FieldDecl):
            return self.fields
        if isinstance(decl, A.ParamDecl):
            return self.params
        if isinstance(decl, A.UnitDef):
            return self.unit_defs
        if isinstance(decl, A.UnitField):
            return self.unit_fields
        if isinstance(decl, A.Split):
            return self.splits
        if isinstance(decl, A.ScopeDecl):
            return self.scopes
        return self.items

    def table_for_kind(self, kind: str) -> dict[str, Entry]:  # type: ignore[type-arg]
        tables: dict[str, dict[str, Entry]] = {  # type: ignore[type-arg]
            "字段": self.fields, "参数": self.params, "学部字段": self.unit_fields, "范围": self.scopes,
        }
        return tables.get(kind, self.items)

    def all_names(self) -> list[str]:
        names: list[str] = []
        for table in (self.fields, self.params, self.unit_fields, self.scopes, self.items):
            names.extend(table)
        return names


# ---------------------------------------------------------------- assembling layers


def group_layers(files: Sequence[A.RuleFile]) -> dict[str, list[A.RuleFile]]:
    """Group parsed files by the rule-set name in their header (E310 when one is missing)."""
    bag = DiagnosticBag()
    groups: dict[str, list[A.RuleFile]] = {}
    for f in files:
        if f.header is None:
            bag.error("E310", "规则文件缺少开头的「规则集」声明", Span(f.path, 1, 1, 1, 2),
                      hint="在文件第一行写明所属规则集,例如:规则集 国家")
            continue
        groups.setdefault(f.header.name, []).append(f)
    bag.raise_if_errors()
    return groups


def _layer_info(name: str, files: list[A.RuleFile], bag: DiagnosticBag) -> LayerInfo:
    title = docno = inherits = None
    inherit_span: Span | None = None
    for f in files:
        h = f.header
        assert h is not None
        title = title or h.title
        docno = docno or h.docno
        if h.inherits:
            if inherits and h.inherits != inherits:
                bag.error("E303", f"规则集「{name}」的文件声明了不同的上级:「{inherits}」与「{h.inherits}」", h.span,
                          related=(Related(inherit_span, "另一处声明"),) if inherit_span else ())
            inherits, inherit_span = h.inherits, h.span
    return LayerInfo(name, title, docno, inherits, tuple(f.path for f in files))


def chain_for(name: str, groups: dict[str, list[A.RuleFile]]) -> list[str]:
    """The inheritance chain from the base layer to `name` (E304 unknown parent, E303 cycle)."""
    bag = DiagnosticBag()
    chain: list[str] = []
    current: str | None = name
    while current is not None:
        if current in chain:
            first = groups[current][0]
            assert first.header is not None
            others = tuple(Related(h.span, f"「{n}」继承「{h.inherits}」") for n in chain[chain.index(current) + 1:]
                           for h in [groups[n][0].header] if h is not None)
            bag.error("E303", f"继承关系形成循环:{' → '.join([*chain, current])}", first.header.span,
                      hint="每个规则集只能直接或间接继承到一个不继承任何规则集的基础规则集(如 国家)",
                      related=others)
            break
        if current not in groups:
            known = "、".join(sorted(groups)) or "(无)"
            child = groups[chain[-1]][0].header if chain else None
            bag.error("E304", f"找不到规则集「{current}」", child.span if child else None,
                      hint=f"已知的规则集:{known}")
            break
        chain.append(current)
        info = _layer_info(current, groups[current], DiagnosticBag())
        current = info.inherits
    bag.raise_if_errors()
    return list(reversed(chain))


def layer(groups: dict[str, list[A.RuleFile]], name: str) -> RuleSet:
    """Build the rule set `name` by applying its chain of layers in order."""
    chain = chain_for(name, groups)
    bag = DiagnosticBag()
    infos = tuple(_layer_info(n, groups[n], bag) for n in chain)
    rs = RuleSet(name=name, layers=infos)
    for index, info in enumerate(infos):
        _apply_layer(rs, info, groups[info.name], is_base=index == 0, bag=bag)
    from engine.interpreter.floor import check_floor

    check_floor(rs, bag)
    bag.raise_if_errors(RuleError)
    return rs


def _did_you_mean(name: str, candidates: list[str]) -> str | None:
    close = difflib.get_close_matches(name, candidates, n=3, cutoff=0.5)
    return f"是否想写:{'、'.join(close)}" if close else None


def _apply_layer(rs: RuleSet, info: LayerInfo, files: list[A.RuleFile], is_base: bool, bag: DiagnosticBag) -> None:
    touched: dict[tuple[str, str], Span] = {}  # items this layer changed, to catch two files changing one

    def note_touch(key: tuple[str, str], span: Span) -> bool:
        if key in touched and touched[key].file != span.file:
            bag.error("E302", f"同一规则集「{info.name}」的两个文件都修改了「{key[1]}」", span,
                      hint="把对同一项目的修改合并到一个文件中",
                      related=(Related(touched[key], "另一处修改"),))
            return False
        touched[key] = span
        return True

    for f in files:
        for stmt in f.statements:
            if isinstance(stmt, A.Modify | A.Remove) and is_base:
                bag.error("E307", f"基础规则集「{info.name}」没有上级,不能使用「修改」或「删除」", stmt.span,
                          hint="直接写出该项目的定义")
                continue
            if isinstance(stmt, A.Add):
                _define(rs, info, stmt.decl, "新增", bag, note_touch)
            elif isinstance(stmt, A.Modify):
                _modify(rs, info, stmt, bag, note_touch)
            elif isinstance(stmt, A.Remove):
                _remove(rs, info, stmt, bag, note_touch)
            else:
                if not is_base and _exists(rs, stmt):
                    table = rs.table_for(stmt)
                    old = table[A.decl_name(stmt)]
                    bag.error("E309", f"「{A.decl_name(stmt)}」已在上级规则集中定义;要改变它请用「修改」", stmt.span,
                              hint=f"写作:修改 {A.decl_kind(stmt)} {A.decl_name(stmt)} …",
                              related=(Related(old.span, f"{old.layer}中的定义"),))
                    continue
                _define(rs, info, stmt, "定义" if is_base else "新增", bag, note_touch)


def _exists(rs: RuleSet, decl: A.Decl) -> bool:
    return A.decl_name(decl) in rs.table_for(decl)


def _define(rs: RuleSet, info: LayerInfo, decl: A.Decl, op: str, bag: DiagnosticBag, note_touch) -> None:  # type: ignore[no-untyped-def]
    name = A.decl_name(decl)
    table = rs.table_for(decl)
    span = decl.span
    if name in table:
        old = table[name]
        bag.error("E202", f"「{name}」重复定义", span, hint="删除其中一处,或改用另一个名称",
                  related=(Related(old.span, f"首次定义({old.layer})"),))
        return
    if not isinstance(decl, A.UnitDef | A.Split):
        for other in (rs.fields, rs.params, rs.unit_fields, rs.scopes, rs.items):
            if other is not table and name in other and not _may_share(decl, other[name].decl):
                bag.error("E202", f"名称「{name}」已被另一个项目使用", span, hint="每个名称只能指代一个项目",
                          related=(Related(other[name].span, "已有的定义"),))
                return
    note_touch((A.decl_kind(decl), name), span)
    rs.removed.pop(name, None)
    table[name] = Entry(decl, (Change(info.name, op, span, info.docno, _summary(decl)),))


def _may_share(a: object, b: object) -> bool:
    # A 学部字段 may carry the name of the 学校 field it is taken from (e.g. 教学及辅助用房面积).
    return {type(a), type(b)} == {A.FieldDecl, A.UnitField}


_CLAUSE_FIELDS = {
    "values": "values", "unit": "unit", "source": "source", "note": "note", "strict": "strict",
    "calc": "calc", "req": "requirement", "scope": "scope", "keep": "keep", "relax": "relax_reason",
    "combo": "combo", "title": "title",
}


def _modify(rs: RuleSet, info: LayerInfo, stmt: A.Modify, bag: DiagnosticBag, note_touch) -> None:  # type: ignore[no-untyped-def]
    table = rs.table_for_kind(stmt.kind)
    if stmt.name not in table:
        hint = _did_you_mean(stmt.name, list(table)) or f"上级规则集中没有名为「{stmt.name}」的{stmt.kind}"
        bag.error("E301", f"要修改的{stmt.kind}「{stmt.name}」不存在", stmt.span, hint=hint)
        return
    entry = table[stmt.name]
    if A.decl_kind(entry.decl) != stmt.kind:
        bag.error("E306", f"「{stmt.name}」是{A.decl_kind(entry.decl)},不是{stmt.kind}", stmt.span,
                  hint=f"写作:修改 {A.decl_kind(entry.decl)} {stmt.name} …",
                  related=(Related(entry.span, "它的定义"),))
        return
    if not note_touch((stmt.kind, stmt.name), stmt.span):
        return
    decl = entry.decl
    changes: dict[str, object] = {}
    relax: str | None = None
    for tag, value in stmt.clauses:
        if tag == "relax":
            relax = str(value)  # recorded on the change, checked by the floor stage
            continue
        attr = _CLAUSE_FIELDS.get(tag)
        if attr is None or not hasattr(decl, attr):
            bag.error("E306", f"{stmt.kind}没有可修改的「{_TAG_WORDS.get(tag, tag)}」子句", stmt.span)
            continue
        if attr == "values":
            assert isinstance(decl, A.ParamDecl)
            value = _merge_values(decl.values, value)  # type: ignore[arg-type]
        changes[attr] = value
    new_decl = dataclasses.replace(decl, **changes)  # type: ignore[type-var]
    what = _describe_change(decl, new_decl)
    change = Change(info.name, "修改", stmt.span, info.docno, what, dict(stmt.clauses).get("source"),  # type: ignore[arg-type]
                    relax, decl)
    table[stmt.name] = Entry(new_decl, (*entry.history, change))


_TAG_WORDS = {"title": "名称", "values": "值", "calc": "计算", "req": "要求", "combo": "要求", "scope": "范围", "keep": "保留",
              "unit": "单位", "relax": "放宽理由"}


def _merge_values(old: tuple[A.ParamValues, ...], new: tuple[A.ParamValues, ...]) -> tuple[A.ParamValues, ...]:
    """A province's values replace the stages it names; stages it does not name are kept.

    Undated new values apply to every inherited dated set; dated ones start a new set
    from their date (inheriting the latest stage values in force before it).
    """
    result = list(old)
    for nv in new:
        if nv.effective is None:
            result = [_overlay(v, nv, keep_date=True) for v in result] or [nv]
        else:
            base = max((v for v in result if v.effective is None or v.effective <= nv.effective),
                       key=lambda v: v.effective or _EPOCH, default=None)
            merged = _overlay(base, nv, keep_date=False) if base else nv
            result = [v for v in result if v.effective != nv.effective] + [merged]
    return tuple(sorted(result, key=lambda v: v.effective or _EPOCH))


_EPOCH = __import__("datetime").date(1900, 1, 1)


def _overlay(base: A.ParamValues, new: A.ParamValues, keep_date: bool) -> A.ParamValues:
    values = dict(base.by_stage)
    values.update(dict(new.by_stage))
    if None in dict(new.by_stage):
        values = {None: dict(new.by_stage)[None]}
    return A.ParamValues(tuple(values.items()), base.effective if keep_date else new.effective, new.span)


def _remove(rs: RuleSet, info: LayerInfo, stmt: A.Remove, bag: DiagnosticBag, note_touch) -> None:  # type: ignore[no-untyped-def]
    table = rs.table_for_kind(stmt.kind)
    if stmt.name not in table or A.decl_kind(table[stmt.name].decl) != stmt.kind:
        hint = _did_you_mean(stmt.name, list(table)) or f"上级规则集中没有名为「{stmt.name}」的{stmt.kind}"
        bag.error("E301", f"要删除的{stmt.kind}「{stmt.name}」不存在", stmt.span, hint=hint)
        return
    if not stmt.reason.strip():
        bag.error("E308", f"删除「{stmt.name}」必须写明理由", stmt.span, hint='写作:删除 … 理由 "……"')
        return
    if getattr(table[stmt.name].decl, "strict", False):
        bag.error("E311", f"「{stmt.name}」不得放宽,不能删除", stmt.span,
                  hint="只能收紧;若确有依据改变它,请用「修改 … 放宽 理由 \"……\"」写明",
                  related=(Related(table[stmt.name].history[0].span, "它的定义"),))
        return
    if not note_touch((stmt.kind, stmt.name), stmt.span):
        return
    del table[stmt.name]
    rs.removed[stmt.name] = (info.name, stmt.reason, stmt.span)


# ---------------------------------------------------------------- descriptions for provenance


def format_values(values: tuple[A.ParamValues, ...]) -> str:
    parts = []
    for v in values:
        inner = "、".join(f"{s} {n.text}" if s else n.text for s, n in v.by_stage)
        parts.append(f"{inner}(自 {v.effective.isoformat()})" if v.effective else inner)
    return ";".join(parts)


def _summary(decl: A.Decl) -> str:
    if isinstance(decl, A.ParamDecl):
        return format_values(decl.values)
    return ""


def _describe_change(old: A.Decl, new: A.Decl) -> str:
    if isinstance(old, A.ParamDecl) and isinstance(new, A.ParamDecl) and old.values != new.values:
        return f"{format_values(old.values)} → {format_values(new.values)}"
    changed = [f.name for f in dataclasses.fields(old) if f.name != "span"
               and getattr(old, f.name) != getattr(new, f.name)]
    words = {"calc": "计算", "requirement": "要求", "scope": "范围", "keep": "保留位数", "unit": "单位",
             "source": "依据", "note": "说明", "combo": "要求", "strict": "不得放宽", "relax_reason": "放宽理由"}
    return "修改了" + "、".join(words.get(c, c) for c in changed) if changed else "未改变"
