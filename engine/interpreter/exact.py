"""Exact evaluation of one row: AST + stored columns → Fraction / bool / str, or `Unknown`.

Used where floats are not good enough — values within a hair of a threshold, rounding at
a half — and by the explain stage, which passes a tracer to see every intermediate value.
Split quantities are recomputed from their definition here, never taken from the float
columns, so 1:1.1 shares stay exact.
"""

from __future__ import annotations

import decimal
import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np

from engine.interpreter import ast as A
from engine.interpreter.check import Checked, Ctx
from engine.interpreter.frames import COUNTY_STAGE, MISSING, NA, NOT_APPLICABLE, OK, ZERO, Env, frame_key, param_value


@dataclass(frozen=True)
class Unknown:
    """A value that cannot be computed: missing facts (naming them), a zero divisor, or n/a."""

    status: int
    fields: tuple[str, ...] = ()


Value = Fraction | bool | str | Unknown
Tracer = Callable[[A.Expr, str, int, Value, dict[str, Any]], None]


def to_fraction(x: float) -> Fraction:
    """A stored float → the decimal the user typed (shortest repr round-trips for ≤15 digits)."""
    return Fraction(Decimal(repr(float(x))))


def sqrt(x: Fraction) -> Fraction:
    """Square root to 40 significant digits (enough to decide any comparison in practice)."""
    with decimal.localcontext() as ctx:
        ctx.prec = 40
        return Fraction((Decimal(x.numerator) / Decimal(x.denominator)).sqrt())


def round_half_up(x: Fraction, digits: int) -> Fraction:
    """四舍五入 to `digits` decimals, exactly."""
    q = Fraction(10) ** digits
    scaled = x * q
    sign = -1 if scaled < 0 else 1
    return sign * Fraction(math.floor(abs(scaled) + Fraction(1, 2))) / q


def _merge(*vals: Value) -> Unknown:
    unknowns = [v for v in vals if isinstance(v, Unknown)]
    status = max(u.status for u in unknowns)
    fields = tuple(dict.fromkeys(f for u in unknowns for f in u.fields))
    return Unknown(status, fields)


class Exact:
    """Evaluates expressions of a checked rule set for single rows, exactly."""

    def __init__(self, checked: Checked, env: Env, tracer: Tracer | None = None) -> None:
        self.c = checked
        self.env = env
        self.tracer = tracer
        self._groups: dict[tuple[str, str], dict[int, np.ndarray]] = {}

    # ------------------------------------------------------------ public
    def value(self, expr: A.Expr, fkey: str, row: int) -> Value:
        v, info = self._eval(expr, fkey, row)
        if self.tracer is not None:
            self.tracer(expr, fkey, row, v, info)
        return v

    def stage_of(self, fkey: str, row: int) -> str | None:
        st = self.env.frames[fkey].stage
        return None if st is None else str(st[row])

    def ctx(self, fkey: str) -> Ctx:
        level = A.COUNTY if fkey == COUNTY_STAGE else fkey
        return Ctx(level, fkey in (A.UNIT, COUNTY_STAGE))

    def children(self, child_key: str, fkey: str, row: int) -> np.ndarray:
        groups = self._groups.get((child_key, fkey))
        if groups is None:
            up = self.env.frames[child_key].up[fkey]
            order = np.argsort(up, kind="stable")
            bounds = np.searchsorted(up[order], np.arange(self.env.frames[fkey].n + 1))
            groups = {g: order[bounds[g]: bounds[g + 1]] for g in range(self.env.frames[fkey].n)}
            self._groups[(child_key, fkey)] = groups
        return groups.get(row, np.empty(0, dtype=np.int64))

    def parent_row(self, fkey: str, row: int, home: str) -> int:
        return row if fkey == home else int(self.env.frames[fkey].up[home][row])

    # ------------------------------------------------------------ evaluation
    def _eval(self, e: A.Expr, fkey: str, row: int) -> tuple[Value, dict[str, Any]]:
        if isinstance(e, A.Num):
            return e.value, {}
        if isinstance(e, A.Text):
            return e.value, {}
        if isinstance(e, A.Bool):
            return e.value, {}
        if isinstance(e, A.StageLit):
            return e.stage, {}
        if isinstance(e, A.Ref):
            return self._ref(e, fkey, row)
        if isinstance(e, A.Neg):
            v = self.value(e.operand, fkey, row)
            if isinstance(v, Unknown) or not isinstance(v, Fraction):
                return v, {}
            return -v, {}
        if isinstance(e, A.BinOp):
            a, b = self.value(e.left, fkey, row), self.value(e.right, fkey, row)
            if isinstance(a, Unknown) or isinstance(b, Unknown):
                return _merge(a, b), {}
            assert isinstance(a, Fraction) and isinstance(b, Fraction)
            if e.op == "+":
                return a + b, {}
            if e.op == "-":
                return a - b, {}
            if e.op == "×":
                return a * b, {}
            if b == 0:
                return Unknown(ZERO, ()), {"zero": True}
            return a / b, {}
        if isinstance(e, A.Compare):
            a, b = self.value(e.left, fkey, row), self.value(e.right, fkey, row)
            if isinstance(a, Unknown) or isinstance(b, Unknown):
                return _merge(a, b), {}
            return compare(e.op, a, b), {}
        if isinstance(e, A.In):
            a = self.value(e.operand, fkey, row)
            if isinstance(a, Unknown):
                return a, {}
            opts = [self.value(o, fkey, row) for o in e.options]
            return (a in opts) != e.negate, {}
        if isinstance(e, A.Logic):
            a, b = self.value(e.left, fkey, row), self.value(e.right, fkey, row)
            decisive = e.op == "或"
            if a is decisive or b is decisive:
                return decisive, {}
            if isinstance(a, Unknown) or isinstance(b, Unknown):
                return _merge(a, b), {}
            return (not decisive), {}
        if isinstance(e, A.Not):
            a = self.value(e.operand, fkey, row)
            return (a if isinstance(a, Unknown) else not a), {}
        if isinstance(e, A.If):
            cond = self.value(e.cond, fkey, row)
            if isinstance(cond, Unknown):
                return cond, {}
            return self.value(e.then if cond else e.otherwise, fkey, row), {"branch": bool(cond)}
        assert isinstance(e, A.Call)
        return self._call(e, fkey, row)

    def _ref(self, e: A.Ref, fkey: str, row: int) -> tuple[Value, dict[str, Any]]:
        ctx = self.ctx(fkey)
        sym = self.c.lookup(e.name, ctx)
        assert sym is not None, e.name
        if sym.kind == "builtin":
            return self.stage_of(fkey, row) or "", {}
        if sym.kind == "param":
            stage = self.stage_of(fkey, row)
            pv = param_value(self.env.params, e.name, stage)
            info = {"param": e.name, "stage": stage}
            return (pv if pv is not None else Unknown(MISSING, (e.name,))), info
        if sym.kind == "field":
            prow = self.parent_row(fkey, row, sym.level)
            col = self.env.fields[(sym.level, e.name)]
            cell: Value = _cell(col, prow, e.name)
            if sym.type == "是否" and isinstance(cell, Fraction):
                cell = bool(cell)
            return cell, {"field": e.name, "level": sym.level}
        if sym.kind == "unit_field":
            return self._unit_field(e.name, row)
        # an indicator or conclusion: its value (indicators) or verdict (conclusions)
        item = self.env.items[e.name]
        prow = row if item.fkey == fkey else self.parent_row(fkey, row, item.fkey)
        if sym.kind == "conclusion":
            return item.verdict_value(prow), {"item": e.name}
        decl = self.c.ruleset.items[e.name].decl
        if item.col.s[prow] == NA or item.verdict[prow] == NOT_APPLICABLE:
            # out of the indicator's 范围: it takes no part (e.g. in a 差异系数), as in evaluation
            return Unknown(NA, ()), {"item": e.name}
        assert isinstance(decl, A.Indicator) and decl.calc is not None
        value = self.value(decl.calc, item.fkey, prow)
        if decl.keep is not None and isinstance(value, Fraction):
            value = round_half_up(value, decl.keep)
        return value, {"item": e.name}

    def _unit_field(self, name: str, row: int) -> tuple[Value, dict[str, Any]]:
        rs = self.c.ruleset
        school = int(self.env.frames[A.UNIT].up[A.SCHOOL][row])
        stage = self.stage_of(A.UNIT, row)
        if name in rs.unit_fields:
            by_stage = dict(rs.unit_fields[name].decl.by_stage)
            expr = by_stage.get(stage or "")
            if expr is None:
                return Unknown(NA, ()), {}
            return self.value(expr, A.SCHOOL, school), {"unit_field": name, "stage": stage}
        for entry in rs.splits.values():
            split = entry.decl
            if name in split.items:
                total = _cell(self.env.fields[(A.SCHOOL, name)], school, name)
                share = self.split_share(split, school, stage or "")
                if not isinstance(total, Fraction) or not isinstance(share, Fraction):
                    return _merge(total, share), {}
                return total * share, {"split": name, "total": total, "share": share, "stage": stage,
                                       "parts": self.split_parts(split, school)}
        raise KeyError(name)

    def split_parts(self, split: A.Split, school: int) -> dict[str, tuple[Fraction, Fraction]] | Unknown:
        """Each 学段's (weight, students) for a school, as the split weighs them."""
        weights = self.env.params.get(split.weight or "", {})
        parts: dict[str, tuple[Fraction, Fraction]] = {}
        for st, head in split.heads:
            n = _cell(self.env.fields[(A.SCHOOL, head)], school, head)
            if not isinstance(n, Fraction):
                return n if isinstance(n, Unknown) else Unknown(MISSING, (head,))
            parts[st] = (weights.get(st, Fraction(0)), n)
        return parts

    def split_share(self, split: A.Split, school: int, stage: str) -> Value:
        """The 学段's share of a school's quantity: w_s·n_s / Σ w_t·n_t."""
        parts = self.split_parts(split, school)
        if isinstance(parts, Unknown):
            return parts
        total = sum((w * n for w, n in parts.values()), Fraction(0))
        if total == 0:
            return Unknown(ZERO, ())
        w, n = parts.get(stage, (Fraction(0), Fraction(0)))
        return w * n / total

    def _call(self, e: A.Call, fkey: str, row: int) -> tuple[Value, dict[str, Any]]:
        if e.func in ("向上取整", "向下取整", "绝对值") or (e.func in ("最小", "最大") and len(e.args) > 1):
            vals = [self.value(a, fkey, row) for a in e.args]
            if any(isinstance(v, Unknown) for v in vals):
                return _merge(*vals), {}
            fr = [v for v in vals if isinstance(v, Fraction)]
            if e.func == "向上取整":
                return Fraction(math.ceil(fr[0])), {}
            if e.func == "向下取整":
                return Fraction(math.floor(fr[0])), {}
            if e.func == "绝对值":
                return abs(fr[0]), {}
            return (min(fr) if e.func == "最小" else max(fr)), {}
        child = aggregate_child(self.c, e, self.ctx(fkey))
        ckey = child
        rows = self.children(ckey, fkey, row)
        used: list[int] = []
        xs: list[Value] = []
        ws: list[Value] = []
        scope = self.c.ruleset.scopes.get(e.scope).decl if e.scope else None  # type: ignore[union-attr]
        for r in rows:
            r = int(r)
            if scope is not None and not self.in_scope(scope, ckey, r):
                continue
            if e.where is not None:
                cond = self.value(e.where, ckey, r)
                if isinstance(cond, Unknown):
                    return cond, {}
                if not cond:
                    continue
            x = self.value(e.args[0], ckey, r)
            if isinstance(x, Unknown) and x.status == NA:
                continue
            used.append(r)
            xs.append(x)
            if e.func in ("差异系数", "平均"):
                w = e.weight if e.weight is not None else (A.Ref("学生数", e.span) if e.func == "差异系数" else None)
                ws.append(self.value(w, ckey, r) if w is not None else Fraction(1))
        info: dict[str, Any] = {"rows": used, "child": ckey}
        bad = [v for v in (*xs, *ws) if isinstance(v, Unknown)]
        if bad:
            return _merge(*bad), info
        return aggregate(e.func, xs, ws), info  # type: ignore[arg-type]

    def in_scope(self, scope: A.ScopeDecl, fkey: str, row: int) -> bool | Unknown:
        for cond in scope.include:
            v = self.value(cond, fkey, row)
            if isinstance(v, Unknown) or not v:
                return v if isinstance(v, Unknown) else False
        for cond in scope.exclude:
            v = self.value(cond, fkey, row)
            if isinstance(v, Unknown) or v:
                return v if isinstance(v, Unknown) else False
        return True


def aggregate_child(checked: Checked, e: A.Call, ctx: Ctx) -> str:
    """The level an aggregate runs over (written, or the lowest level its names live at)."""
    if e.entity:
        return e.entity
    from engine.interpreter.check import LEVEL_RANK, walk

    best = None
    for node in (n for a in (*e.args, *(x for x in (e.weight, e.where) if x)) for n in walk(a)):
        if isinstance(node, A.Ref):
            for sym in checked.symbols.get(node.name, []):
                if sym.kind not in ("param", "builtin") and (best is None or LEVEL_RANK[sym.level] < LEVEL_RANK[best]):
                    best = sym.level
    assert best is not None
    return best


def aggregate(func: str, xs: list[Fraction | bool], ws: list[Fraction]) -> Value:
    """The exact value of an aggregate over the rows that entered it."""
    if not xs and func not in ("合计", "计数"):
        return Unknown(NA, ())
    if func == "计数":
        return Fraction(sum(1 for x in xs if x))
    if func == "比例":
        return Fraction(sum(1 for x in xs if x), len(xs)) if xs else Unknown(ZERO, ())
    if func == "所有":
        return all(bool(x) for x in xs)
    if func == "任一":
        return any(bool(x) for x in xs)
    nums = [x for x in xs if isinstance(x, Fraction)]
    if func == "合计":
        return sum(nums, Fraction(0))
    if not nums:
        return Unknown(ZERO, ())
    if func == "最小":
        return min(nums)
    if func == "最大":
        return max(nums)
    total_w = sum(ws, Fraction(0))
    if total_w == 0:
        return Unknown(ZERO, ())
    mean = sum((w * x for w, x in zip(ws, nums, strict=True)), Fraction(0)) / total_w
    if func == "平均":
        return mean
    # 差异系数: student-weighted coefficient of variation (population form, no n−1).
    if mean == 0:
        return Unknown(ZERO, ())
    var = sum((w * (x - mean) ** 2 for w, x in zip(ws, nums, strict=True)), Fraction(0)) / total_w
    return sqrt(var) / mean


def compare(op: A.Cmp, a: Any, b: Any) -> bool:
    if op is A.Cmp.GE:
        return bool(a >= b)
    if op is A.Cmp.GT:
        return bool(a > b)
    if op is A.Cmp.LE:
        return bool(a <= b)
    if op is A.Cmp.LT:
        return bool(a < b)
    if op is A.Cmp.EQ:
        return bool(a == b)
    return bool(a != b)


def _cell(col: Any, row: int, name: str) -> Value:
    s = int(col.s[row])
    if s != OK:
        return Unknown(s, (name,) if s == MISSING else ())
    v = col.v[row]
    if col.v.dtype == object:
        return str(v)
    return to_fraction(float(v))


def frame_of(decl: A.Indicator | A.Conclusion) -> str:
    return frame_key(decl.level, decl.by_stage)
