"""Which items two rule sets compute identically, so a second evaluation can reuse the first's.

`junheng diff 国家 辽宁` evaluates both sets over the same facts; most items are the national
ones, untouched by the province, and their columns come out the same. An item's fingerprint
covers everything its result depends on besides the facts: its declaration (without spans,
titles and sources), the parameter values in force that it or its scope reads, the scopes it
uses, the fingerprints of the items it reads, and one global part for what shapes every frame
(field declarations, 学部 definitions, 学部字段, splits and their weights). Equal fingerprints,
same facts, same date ⇒ the same columns, so the rows line up and the arrays can be shared.
"""

from __future__ import annotations

import dataclasses
import hashlib
from fractions import Fraction
from typing import Any

from engine.interpreter import ast as A
from engine.interpreter.check import Checked, expand_ids, walk

_IGNORED = frozenset({"span", "title", "source", "note", "relax_reason"})  # do not change any value


def signature(node: Any) -> Any:
    """A node as nested tuples of what determines its meaning (no spans or wording)."""
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        return (type(node).__name__, *(signature(getattr(node, f.name)) for f in dataclasses.fields(node)
                                       if f.name not in _IGNORED))
    if isinstance(node, tuple | list):
        return tuple(signature(x) for x in node)
    if isinstance(node, A.Cmp):
        return node.name
    if isinstance(node, Fraction):
        return (node.numerator, node.denominator)
    return node


def _exprs(decl: A.Indicator | A.Conclusion | A.ScopeDecl) -> list[A.Expr]:
    if isinstance(decl, A.ScopeDecl):
        return [*decl.include, *decl.exclude]
    if isinstance(decl, A.Conclusion):
        return []
    out: list[A.Expr] = [decl.calc] if decl.calc is not None else []
    req: Any = decl.requirement
    stack = [req] if req is not None else []
    while stack:
        r = stack.pop()
        if isinstance(r, A.ReqIf):
            out.append(r.cond)
            stack += [r.then, r.otherwise]
        elif r is not None:
            out.append(r.threshold)
    return out


def fingerprints(checked: Checked, params: dict[str, dict[str | None, Fraction]]) -> dict[str, str]:
    """Every item's fingerprint under the parameter values in force (`Env.params`)."""
    rs = checked.ruleset

    def values(name: str) -> Any:
        return tuple(sorted(((s or ""), (v.numerator, v.denominator)) for s, v in params.get(name, {}).items()))

    def field_decls(names: Any) -> Any:
        # a field's declaration (its type) shapes its column; fields nobody reads do not matter
        return tuple(sorted((n, signature(rs.fields[n].decl)) for n in set(names) if n in rs.fields))

    def refs(exprs: Any) -> list[str]:
        return [node.name for e in exprs for node in walk(e) if isinstance(node, A.Ref)]

    shaping = [*(e.decl.condition for e in rs.unit_defs.values()),
               *(x for e in rs.unit_fields.values() for _, x in e.decl.by_stage)]
    split_fields = [n for e in rs.splits.values() for n in (*e.decl.items, *(h for _, h in e.decl.heads))]
    frames = hashlib.sha256(repr((
        tuple((n, signature(e.decl)) for n, e in rs.unit_defs.items()),
        tuple((n, signature(e.decl)) for n, e in sorted(rs.unit_fields.items())),
        tuple((n, signature(e.decl), values(e.decl.weight or "")) for n, e in sorted(rs.splits.items())),
        field_decls([*refs(shaping), *split_fields]),
    )).encode("utf-8")).hexdigest()
    out: dict[str, str] = {}

    def scope_part(name: str | None) -> Any:
        if name is None or name not in rs.scopes:
            return None
        decl = rs.scopes[name].decl
        return signature(decl), reads(_exprs(decl))

    def reads(exprs: list[A.Expr]) -> Any:
        parts: list[Any] = [field_decls(refs(exprs))]
        for e in exprs:
            for node in walk(e):
                if isinstance(node, A.Ref) and node.name in rs.params:
                    parts.append((node.name, values(node.name)))
                if isinstance(node, A.Call) and node.scope is not None:
                    parts.append(("范围", scope_part(node.scope)))
        return tuple(parts)

    def of(name: str) -> str:
        if name not in out:
            decl = rs.items[name].decl
            used = sorted(checked.deps.get(name, set()))
            if isinstance(decl, A.Conclusion) and decl.combo is not None:
                used = sorted({*used, *(n for n, _ in expand_ids(decl.combo.items, list(rs.items)))})
            scope = scope_part(decl.scope) if isinstance(decl, A.Indicator) else None
            key = (frames, signature(decl), reads(_exprs(decl)), scope, tuple((n, of(n)) for n in used if n in rs.items))
            out[name] = hashlib.sha256(repr(key).encode("utf-8")).hexdigest()
        return out[name]

    for name in checked.order:
        of(name)
    return out
