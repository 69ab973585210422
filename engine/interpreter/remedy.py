"""Remedy stage (整改测算): what it takes for a failed requirement to pass.

For one row of an indicator the formula is rebuilt as a sympy expression in the facts it
reads: a 学部's fields resolve to its school's columns and a split quantity to the
whole-school quantity × the 学部's weighted share, so a remedy is always a change to a
number the school or county reports. sympy solves `formula = requirement` for each input
that can change (the formula's fact leaves, never parameters); the root is moved onto the
input's grid (whole people, rooms, classes; 0.01 ㎡; 0.01 万元; never below zero) in the
direction that passes, and settled with the exact evaluator on the changed facts: the
remedy passes and one grid step less does not. Without a closed form (向上取整 …) the same
grid is searched numerically.

Combined requirements (至少 N 项 … 其余 ≥ p%) get the cheapest set of changes that makes the
unit pass; a failing 差异系数 gets each unit's share of the weighted variance and the floor
the lowest units must reach (a numeric search, described in the result).
"""

from __future__ import annotations

import copy
import dataclasses
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from fractions import Fraction
from itertools import combinations
from typing import Any

import numpy as np
import sympy as sp

from engine.interpreter import ast as A
from engine.interpreter.check import expand_ids, walk
from engine.interpreter.evaluate import Results
from engine.interpreter.exact import Exact, Unknown, Value, aggregate, compare, round_half_up, to_fraction
from engine.interpreter.explain import subject_of
from engine.interpreter.frames import COUNTY_STAGE, DATA_MISSING, FAIL, OK, PASS, Col, Env, param_value
from engine.interpreter.printer import expr_text

INTEGER_UNITS = ("人", "间", "班", "个", "所", "台", "套", "册")
TOTAL = "合计"  # Var.level of a county-wide total (合计 over schools), changed as a whole
MAX_DOUBLINGS = 48
SCALAR_FUNCS: dict[str, Callable[..., Any]] = {"向上取整": sp.ceiling, "向下取整": sp.floor, "绝对值": sp.Abs,
                                           "最小": sp.Min, "最大": sp.Max}


class _NoForm(Exception):
    """The formula cannot be written over numeric inputs for this row."""


@dataclass(frozen=True)
class Var:
    """An input of a formula: a facts cell (level 学校/县区, column, row) or a county total."""

    level: str
    name: str
    row: int
    title: str
    unit: str | None
    step: Fraction  # the grid a change moves on: 1 for counts, 0.01 for ㎡ and 万元
    value: Fraction
    share: Fraction | None = None  # a split quantity: the 学部's share of the whole-school value
    stage: str | None = None
    boolean: bool = False  # a 是否 fact (changed from 否 to 是 or back)

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.level, self.name, self.row)


@dataclass(frozen=True)
class Change:
    """Set one input to a new value."""

    var: Var
    new: Fraction

    @property
    def delta(self) -> Fraction:
        return self.new - self.var.value


@dataclass(frozen=True)
class Goal:
    """What a row of an indicator must reach: its requirement, p% of it, or a floor value."""

    item: str
    fkey: str
    row: int
    ratio: Fraction | None = None
    ratio_op: A.Cmp = A.Cmp.GE
    floor: Fraction | None = None


@dataclass(frozen=True)
class Remedy:
    """Changes that make the goals hold, with sympy's boundary for the input when it had one."""

    goals: tuple[Goal, ...]
    changes: tuple[Change, ...]
    after: tuple[Value | None, ...]  # each goal's indicator value once the changes are made
    bound: Any = None  # sympy's exact root for the changed input (a sympy number), or None
    searched: bool = False  # found by a numeric search (no closed form)

    @property
    def cost(self) -> tuple[int, int, float]:
        """Adding resources first, then fewer changes, then the smallest change relative to now."""
        down = sum(1 for c in self.changes if c.delta < 0)
        rel = sum(float(abs(c.delta) / c.var.value) if c.var.value else 1.0 for c in self.changes)
        return (down, len(self.changes), rel)


@dataclass(frozen=True)
class ComboRemedy:
    """A unit failing 至少 N 项 … 其余 ≥ p%: its standing and the ways to pass, cheapest first."""

    conclusion: str
    fkey: str
    row: int
    at_least: int
    ratio: Fraction | None
    passing: tuple[str, ...]
    failing: tuple[str, ...]
    below: tuple[str, ...]  # failing items under p% of their standard
    missing: tuple[str, ...]
    options: tuple[Remedy, ...]


@dataclass(frozen=True)
class Contribution:
    """One unit in a 差异系数: value, weight, and its share of the weighted variance."""

    subject: str
    fkey: str
    row: int
    value: Fraction
    weight: Fraction
    share: Fraction


@dataclass(frozen=True)
class CvRemedy:
    """A failing 差异系数: who contributes, and the floor the lowest units must rise to."""

    item: str
    fkey: str
    row: int
    value: Fraction
    limit: Fraction
    op: A.Cmp
    indicator: str | None  # the unit indicator it is taken over (R5), when it is one
    mean: Fraction
    contributions: tuple[Contribution, ...]  # largest share first
    floor: Fraction | None
    searched: tuple[Fraction, Fraction, Fraction]  # the interval searched and the precision
    raises: tuple[Remedy, ...]
    after: Value  # the 差异系数 once every raise is made


@dataclass(frozen=True)
class Problem:
    """One row the ledger lists: a failing or missing indicator, or a failing combined unit."""

    item: str
    fkey: str
    row: int
    verdict: int
    remedies: tuple[Remedy, ...] = ()
    combo: ComboRemedy | None = None
    cv: CvRemedy | None = None
    missing: tuple[str, ...] = ()


def _step(type_: str | None, unit: str | None) -> Fraction:
    if type_ == "整数" or unit in INTEGER_UNITS:
        return Fraction(1)
    if unit == "%":
        return Fraction(1, 10000)  # 0.01 个百分点
    return Fraction(1, 100)  # ㎡, 万元, 元 …


def _rat(x: Fraction) -> sp.Rational:
    return sp.Rational(x.numerator, x.denominator)


def _frac(x: Any) -> Fraction | None:
    if isinstance(x, sp.Rational):
        return Fraction(int(x.p), int(x.q))
    return None


def patched(env: Env, changes: Iterable[Change]) -> Env:
    """A copy of `env` whose fact columns carry the changes (totals cannot be patched)."""
    fields = env.fields.copy()  # keeps the columns not converted yet
    for ch in changes:
        col = fields[(ch.var.level, ch.var.name)]
        v, s = col.v.copy(), col.s.copy()
        v[ch.var.row], s[ch.var.row] = float(ch.new), OK
        fields[(ch.var.level, ch.var.name)] = Col(v, s)
    return dataclasses.replace(env, fields=fields, cache={})  # cached scopes read the old columns


def apply_changes(facts: Any, changes: Iterable[Change]) -> Any:
    """A copy of the facts (schools / counties tables) with the changes made, for re-evaluation."""
    out = copy.copy(facts)
    for ch in changes:
        attr = "schools" if ch.var.level == A.SCHOOL else "counties"
        if ch.var.level not in (A.SCHOOL, A.COUNTY):
            raise ValueError(f"{ch.var.title} 是合计数,不能直接写入某一行")
        table = copy.copy(getattr(out, attr))
        table.columns = dict(table.columns)
        col = np.array(table.columns[ch.var.name], dtype=np.float64)
        col[ch.var.row] = float(ch.new)
        table.columns[ch.var.name] = col
        setattr(out, attr, table)
    return out


class _Formula:
    """One row's formula and target as sympy expressions over its inputs."""

    def __init__(self, rem: Remedier) -> None:
        self.r = rem
        self.vars: dict[tuple[str, str, int], Var] = {}
        self.syms: dict[tuple[str, str, int], sp.Symbol] = {}
        self.changeable: list[tuple[str, str, int]] = []

    def var(self, v: Var, leaf: bool) -> sp.Expr:
        if v.key not in self.vars or (v.share is not None and self.vars[v.key].share is None):
            self.vars[v.key] = v
            self.syms.setdefault(v.key, sp.Symbol(f"x{len(self.syms)}", nonnegative=True))
        if leaf and v.key not in self.changeable:
            self.changeable.append(v.key)
        return self.syms[v.key]

    def current(self) -> dict[sp.Symbol, sp.Rational]:
        return {self.syms[k]: _rat(v.value) for k, v in self.vars.items()}

    def build(self, e: A.Expr, fkey: str, row: int, leaf: bool) -> sp.Expr:
        if isinstance(e, A.Num):
            return _rat(e.value)
        if isinstance(e, A.Neg):
            return -self.build(e.operand, fkey, row, leaf)
        if isinstance(e, A.BinOp):
            a, b = self.build(e.left, fkey, row, leaf), self.build(e.right, fkey, row, leaf)
            return {"+": lambda: a + b, "-": lambda: a - b, "×": lambda: a * b, "÷": lambda: a / b}[e.op]()
        if isinstance(e, A.If):
            cond = self.r.exact.value(e.cond, fkey, row)
            if not isinstance(cond, bool):
                raise _NoForm
            return self.build(e.then if cond else e.otherwise, fkey, row, leaf)
        if isinstance(e, A.Ref):
            return self._ref(e, fkey, row, leaf)
        if isinstance(e, A.Call):
            if e.func in SCALAR_FUNCS and (e.func not in ("最小", "最大") or len(e.args) > 1):
                return SCALAR_FUNCS[e.func](*(self.build(a, fkey, row, leaf) for a in e.args))  # type: ignore[no-any-return]
            return self._aggregate(e, fkey, row, leaf)
        raise _NoForm

    def _aggregate(self, e: A.Call, fkey: str, row: int, leaf: bool) -> sp.Expr:
        """An aggregate is a number here; a 合计 is an input the county can change as a whole."""
        value = self.r.exact.value(e, fkey, row)
        if not isinstance(value, Fraction):
            raise _NoForm
        if e.func != "合计":
            return _rat(value)
        arg, fields = e.args[0], self.r.checked.ruleset.fields
        decls = [fields[n.name].decl for n in walk(arg) if isinstance(n, A.Ref) and n.name in fields]
        units = {d.unit for d in decls}
        unit = units.pop() if len(units) == 1 else None
        step = Fraction(1) if decls and all(_step(d.type, d.unit) == 1 for d in decls) else Fraction(1, 100)
        if isinstance(arg, A.Ref) and decls:
            title = f"全县{decls[0].title or arg.name}合计"
        else:
            title = f"全县({expr_text(arg)})合计"
        return self.var(Var(TOTAL, expr_text(e), row, title, unit, step, value), leaf)

    def _ref(self, e: A.Ref, fkey: str, row: int, leaf: bool) -> sp.Expr:
        ex, rs, env = self.r.exact, self.r.checked.ruleset, self.r.env
        sym = self.r.checked.lookup(e.name, ex.ctx(fkey))
        if sym is None or sym.kind in ("builtin", "conclusion"):
            raise _NoForm
        if sym.kind == "param":
            pv = param_value(env.params, e.name, ex.stage_of(fkey, row))
            if pv is None:
                raise _NoForm
            return _rat(pv)
        if sym.kind == "field":
            fd = rs.fields[e.name].decl
            if fd.type not in ("整数", "数值"):
                raise _NoForm
            prow = ex.parent_row(fkey, row, sym.level)
            return self.var(self.r.fact_var(sym.level, e.name, prow), leaf)
        if sym.kind == "unit_field":
            school = int(env.frames[A.UNIT].up[A.SCHOOL][row])
            stage = ex.stage_of(A.UNIT, row) or ""
            if e.name in rs.unit_fields:
                expr = dict(rs.unit_fields[e.name].decl.by_stage).get(stage)
                if expr is None:
                    raise _NoForm
                return self.build(expr, A.SCHOOL, school, leaf)
            return self._split(e.name, school, stage, leaf)
        item = env.items[e.name]  # an indicator: inline its formula
        decl = rs.items[e.name].decl
        if not isinstance(decl, A.Indicator) or decl.calc is None:
            raise _NoForm
        prow = row if item.fkey == fkey else ex.parent_row(fkey, row, item.fkey)
        return self.build(decl.calc, item.fkey, prow, leaf)

    def _split(self, name: str, school: int, stage: str, leaf: bool) -> sp.Expr:
        ex, rs = self.r.exact, self.r.checked.ruleset
        split = next(s.decl for s in rs.splits.values() if name in s.decl.items)
        weights = self.r.env.params.get(split.weight or "", {})
        share = ex.split_share(split, school, stage)
        if not isinstance(share, Fraction):
            raise _NoForm
        whole = dataclasses.replace(self.r.fact_var(A.SCHOOL, name, school), share=share, stage=stage)
        parts = {st: _rat(weights.get(st, Fraction(0))) * self.var(self.r.fact_var(A.SCHOOL, head, school), False)
                 for st, head in split.heads}
        return self.var(whole, leaf) * parts.get(stage, sp.Integer(0)) / sum(parts.values(), sp.Integer(0))


class Remedier:
    """Computes remedies over one evaluation's results (exact, on changed copies of the facts)."""

    def __init__(self, results: Results) -> None:
        self.results = results
        self.checked = results.checked
        self.env = results.env
        self.exact = Exact(self.checked, self.env)
        self._cache: dict[Goal, list[Remedy]] = {}

    # ------------------------------------------------------------ inputs and checks
    def fact_var(self, level: str, name: str, row: int) -> Var:
        fd = self.checked.ruleset.fields[name].decl
        col = self.env.fields[(level, name)]
        if int(col.s[row]) != OK:
            raise _NoForm
        return Var(level, name, row, fd.title or name, fd.unit, _step(fd.type, fd.unit), to_fraction(float(col.v[row])))

    def indicator(self, name: str) -> A.Indicator:
        decl = self.checked.ruleset.items[name].decl
        assert isinstance(decl, A.Indicator)
        return decl

    def requirement(self, exact: Exact, decl: A.Indicator, fkey: str, row: int) -> A.ReqCompare | None:
        req = decl.requirement
        while isinstance(req, A.ReqIf):
            cond = exact.value(req.cond, fkey, row)
            if not isinstance(cond, bool):
                return None
            req = req.then if cond else req.otherwise
        return req

    def value(self, exact: Exact, name: str, fkey: str, row: int) -> Value:
        decl = self.indicator(name)
        assert decl.calc is not None
        v = exact.value(decl.calc, fkey, row)
        if decl.keep is not None and isinstance(v, Fraction) and not isinstance(v, bool):
            v = round_half_up(v, decl.keep)
        return v

    def target(self, exact: Exact, g: Goal) -> Value:
        """The bound the goal's value is compared with (threshold, p% of it, or the floor)."""
        if g.floor is not None:
            return g.floor
        req = self.requirement(exact, self.indicator(g.item), g.fkey, g.row)
        if req is None:
            return Unknown(DATA_MISSING)
        th = exact.value(req.threshold, g.fkey, g.row)
        if g.ratio is not None and isinstance(th, Fraction) and not isinstance(th, bool):
            return th * g.ratio
        return th

    def holds(self, exact: Exact, g: Goal) -> bool:
        """Whether the goal holds in `exact`'s facts (in scope, computable, and compared)."""
        decl = self.indicator(g.item)
        if decl.scope is not None and exact.in_scope(self.checked.ruleset.scopes[decl.scope].decl,
                                                     g.fkey, g.row) is not True:
            return False
        v, th = self.value(exact, g.item, g.fkey, g.row), self.target(exact, g)
        if isinstance(v, Unknown) or isinstance(th, Unknown):
            return False
        if g.floor is not None:
            return bool(v >= th)  # type: ignore[operator]
        if g.ratio is not None:
            return compare(g.ratio_op, v, th)
        req = self.requirement(exact, decl, g.fkey, g.row)
        return req is not None and compare(req.op, v, th)

    def exact_with(self, changes: Iterable[Change]) -> Exact:
        return Exact(self.checked, patched(self.env, changes))

    # ------------------------------------------------------------ one indicator row
    def formula(self, g: Goal) -> tuple[_Formula, sp.Expr, sp.Expr]:
        decl = self.indicator(g.item)
        f = _Formula(self)
        assert decl.calc is not None
        calc = f.build(decl.calc, g.fkey, g.row, True)
        if g.floor is not None:
            return f, calc, _rat(g.floor)
        req = self.requirement(self.exact, decl, g.fkey, g.row)
        if req is None:
            raise _NoForm
        target = f.build(req.threshold, g.fkey, g.row, False)
        return f, calc, target * _rat(g.ratio) if g.ratio is not None else target

    def remedies(self, g: Goal) -> list[Remedy]:
        """Every single-input remedy for the goal, the preferred first (see `Remedy.cost`)."""
        if g not in self._cache:
            self._cache[g] = self._remedies(g)
        return self._cache[g]

    def _remedies(self, g: Goal) -> list[Remedy]:
        if self.holds(self.exact, g):
            return []
        if self.checked.item_types.get(g.item) == "是否":
            return self._boolean(g)
        try:
            f, _, _ = self.formula(g)
        except _NoForm:
            return []
        out = [r for key in f.changeable if (r := self.solve([g], key)) is not None]
        return sorted(out, key=lambda r: r.cost)

    def _boolean(self, g: Goal) -> list[Remedy]:
        decl = self.indicator(g.item)
        req = self.requirement(self.exact, decl, g.fkey, g.row)
        calc = decl.calc
        if not isinstance(calc, A.Ref) or req is None or not isinstance(req.threshold, A.Bool):
            return []
        sym = self.checked.lookup(calc.name, self.exact.ctx(g.fkey))
        if sym is None or sym.kind != "field":
            return []
        prow = self.exact.parent_row(g.fkey, g.row, sym.level)
        want = req.threshold.value if req.op is A.Cmp.EQ else not req.threshold.value
        fd = self.checked.ruleset.fields[calc.name].decl
        col = self.env.fields[(sym.level, calc.name)]
        old = Fraction(int(col.v[prow])) if int(col.s[prow]) == OK else Fraction(1 - int(want))
        var = Var(sym.level, calc.name, prow, fd.title or calc.name, None, Fraction(1), old, boolean=True)
        ch = Change(var, Fraction(int(want)))
        return [Remedy((g,), (ch,), (want,))]

    def solve(self, goals: list[Goal], key: tuple[str, str, int]) -> Remedy | None:
        """The smallest change to one input that makes every goal hold, or None."""
        hints: list[tuple[int, int]] = []
        bound: Any = None
        var: Var | None = None
        forms: list[tuple[_Formula, sp.Expr, sp.Expr]] = []
        for g in goals:
            try:
                f, calc, target = self.formula(g)
            except _NoForm:
                return None
            if key not in f.vars:
                return None
            var = f.vars[key]
            forms.append((f, calc, target))
            hint = self._root(f, key, calc, target)
            if hint is None:
                continue
            if hint[0] == 0:
                return None  # the input does not move this value
            hints.append(hint[:2])
            bound = hint[2] if bound is None or len(goals) == 1 else bound
        assert var is not None
        dirs = {d for d, _ in hints}
        if len(dirs) > 1:
            return None
        pred = self._predicate(goals, var, forms)
        searched = not hints or len(hints) < len(goals)
        for direction in (list(dirs) or [1, -1]):
            k = _search(pred, var, direction, max((k for _, k in hints), default=None))
            if k is not None:
                ch = Change(var, var.value + direction * k * var.step)
                after = tuple(self._after(g, ch) for g in goals)
                return Remedy(tuple(goals), (ch,), after, bound if len(goals) == 1 else None, searched)
        return None

    def _root(self, f: _Formula, key: tuple[str, str, int], calc: sp.Expr,
              target: sp.Expr) -> tuple[int, int, Any] | None:
        """sympy's boundary for the input: (direction, grid steps to it, root); (0, 0, None) when
        the input does not appear; None without a closed form."""
        x, var = f.syms[key], f.vars[key]
        others = {s: v for s, v in f.current().items() if s != x}
        eq = (calc - target).subs(others)
        if x not in eq.free_symbols:
            return (0, 0, None)
        try:
            roots = [r for r in sp.solve(eq, x) if r.is_number and r.is_real is True]
        except (NotImplementedError, ValueError, TypeError):
            return None
        x0 = _rat(var.value)
        roots = sorted((r for r in roots if r != x0), key=lambda r: abs(r - x0))
        if not roots:
            return None
        r = roots[0]
        direction = 1 if r > x0 else -1
        steps = int(sp.ceiling(abs(r - x0) / _rat(var.step)))
        return (direction, max(1, steps), r)

    def _predicate(self, goals: list[Goal], var: Var,
                   forms: list[tuple[_Formula, sp.Expr, sp.Expr]]) -> Callable[[Fraction], bool]:
        if var.level in (A.SCHOOL, A.COUNTY):
            return lambda new: all(self.holds(self.exact_with([Change(var, new)]), g) for g in goals)

        def by_sympy(new: Fraction) -> bool:  # a county total: evaluate the formula itself
            for g, (f, calc, target) in zip(goals, forms, strict=True):
                subs = {**f.current(), f.syms[var.key]: _rat(new)}
                try:
                    v, th = _frac(calc.subs(subs)), _frac(target.subs(subs))
                except (ZeroDivisionError, TypeError):
                    return False
                req = self.requirement(self.exact, self.indicator(g.item), g.fkey, g.row)
                if v is None or th is None or req is None:
                    return False
                keep = self.indicator(g.item).keep
                v = round_half_up(v, keep) if keep is not None else v
                op = A.Cmp.GE if g.floor is not None else g.ratio_op if g.ratio is not None else req.op
                if not compare(op, v, th):
                    return False
            return True
        return by_sympy

    def _after(self, g: Goal, ch: Change) -> Value | None:
        if ch.var.level in (A.SCHOOL, A.COUNTY):
            return self.value(self.exact_with([ch]), g.item, g.fkey, g.row)
        return None

    # ------------------------------------------------------------ combined requirements
    def combo(self, name: str, row: int) -> ComboRemedy | None:
        """For a row failing 至少 N 项 … 其余 ≥ p%: the ways to pass, cheapest first."""
        decl = self.checked.ruleset.items[name].decl
        if not isinstance(decl, A.Conclusion) or decl.combo is None or decl.combo.kind != "至少":
            return None
        combo, fkey = decl.combo, self.results.items[name].fkey
        kids = [n for n, _ in expand_ids(combo.items, list(self.checked.ruleset.items))
                if self.results.items[n].fkey == fkey]
        codes = {n: int(self.results.items[n].verdict[row]) for n in kids}
        passing = tuple(n for n in kids if codes[n] == PASS)
        failing = tuple(n for n in kids if codes[n] == FAIL)
        missing = tuple(n for n in kids if codes[n] == DATA_MISSING)
        ratio = combo.rest_ratio
        rest_op = combo.rest_op or A.Cmp.GE
        below = tuple(n for n in failing if ratio is not None and not self.holds(
            self.exact, Goal(n, fkey, row, ratio, rest_op)))
        need = max(0, (combo.at_least or 0) - len(passing))
        options: list[Remedy] = []
        if not missing and need <= len(failing):
            for chosen in combinations(failing, need):
                goals = [Goal(n, fkey, row) for n in chosen]
                goals += [Goal(n, fkey, row, ratio, rest_op) for n in below if n not in chosen]
                options.extend(self._options(goals))
        ok = [o for o in options if self._combo_holds(name, row, o.changes)]
        unique: dict[tuple[tuple[tuple[str, str, int], Fraction], ...], Remedy] = {}
        for o in sorted(ok, key=lambda o: o.cost):
            unique.setdefault(tuple(sorted((c.var.key, c.new) for c in o.changes)), o)
        return ComboRemedy(name, fkey, row, combo.at_least or 0, ratio, passing, failing, below, missing,
                           tuple(unique.values()))

    def _options(self, goals: list[Goal]) -> list[Remedy]:
        if not goals:
            return []
        out: list[Remedy] = []
        firsts = [self.remedies(g) for g in goals]
        if all(firsts):  # each goal by its preferred remedy; one input asked twice is solved jointly
            by_key: dict[tuple[str, str, int], list[Goal]] = {}
            for g, rems in zip(goals, firsts, strict=True):
                by_key.setdefault(rems[0].changes[0].var.key, []).append(g)
            parts = [self.solve(gs, k) if len(gs) > 1 else self.remedies(gs[0])[0] for k, gs in by_key.items()]
            if all(p is not None for p in parts):
                out.append(_merge(goals, [p for p in parts if p is not None]))
        common = set.intersection(*({c.var.key for r in rems for c in r.changes} for rems in firsts))
        for key in sorted(common):
            joint = self.solve(goals, key)
            if joint is not None:
                out.append(joint)
        return out

    def _combo_holds(self, name: str, row: int, changes: tuple[Change, ...]) -> bool:
        if any(c.var.level not in (A.SCHOOL, A.COUNTY) for c in changes):
            return False
        decl = self.checked.ruleset.items[name].decl
        assert isinstance(decl, A.Conclusion) and decl.combo is not None
        combo, fkey = decl.combo, self.results.items[name].fkey
        ex = self.exact_with(changes)
        kids = [n for n, _ in expand_ids(combo.items, list(self.checked.ruleset.items))
                if self.results.items[n].fkey == fkey and int(self.results.items[n].verdict[row]) != 2]
        met = [self.holds(ex, Goal(n, fkey, row)) for n in kids]
        rest = [m or combo.rest_ratio is None or self.holds(ex, Goal(n, fkey, row, combo.rest_ratio,
                                                                       combo.rest_op or A.Cmp.GE))
                for n, m in zip(kids, met, strict=True)]
        return sum(met) >= (combo.at_least or 0) and all(rest)

    # ------------------------------------------------------------ 差异系数
    def contributions(self, name: str, row: int) -> tuple[Fraction, list[Contribution]] | None:
        """A 差异系数 row's weighted mean and each unit's share of the weighted variance."""
        call = self.indicator(name).calc
        if not isinstance(call, A.Call) or call.func != "差异系数":
            return None
        rows = self._cv_rows(call, self.results.items[name].fkey, row)
        if rows is None:
            return None
        child, used, xs, ws = rows
        total = sum(ws, Fraction(0))
        if not total:
            return None
        mean = sum((w * x for x, w in zip(xs, ws, strict=True)), Fraction(0)) / total
        dev = [w * (x - mean) ** 2 for x, w in zip(xs, ws, strict=True)]
        var_sum = sum(dev, Fraction(0)) or Fraction(1)
        return mean, sorted((Contribution(subject_of(self.results, child, r), child, r, x, w, d / var_sum)
                             for r, x, w, d in zip(used, xs, ws, dev, strict=True)), key=lambda c: -c.share)

    def cv(self, name: str, row: int) -> CvRemedy | None:
        """Contributions to a failing 差异系数 and the floor the lowest units must reach."""
        decl = self.indicator(name)
        call, fkey = decl.calc, self.results.items[name].fkey
        req = self.requirement(self.exact, decl, fkey, row)
        parts = self.contributions(name, row)
        if not isinstance(call, A.Call) or req is None or parts is None:
            return None
        limit = self.exact.value(req.threshold, fkey, row)
        value = self.value(self.exact, name, fkey, row)
        if not isinstance(limit, Fraction) or not isinstance(value, Fraction):
            return None
        mean, contribs = parts
        child = contribs[0].fkey
        used, xs, ws = [c.row for c in contribs], [c.value for c in contribs], [c.weight for c in contribs]
        arg = call.args[0]
        indicator = arg.name if isinstance(arg, A.Ref) and arg.name in self.results.items else None
        lo, hi = min(xs), max(xs)
        precision = Fraction(10) ** (math.floor(math.log10(float(max(abs(hi), Fraction(1, 10**6))))) - 3)
        floor, raises, after = self._floor(req.op, limit, xs, ws, (lo, hi, precision), indicator, child, used,
                                           name, fkey, row)
        return CvRemedy(name, fkey, row, value, limit, req.op, indicator, mean, tuple(contribs), floor,
                        (lo, hi, precision), tuple(raises), after)

    def _cv_rows(self, call: A.Call, fkey: str, row: int) -> tuple[str, list[int], list[Fraction], list[Fraction]] | None:
        seen: dict[str, Any] = {}

        def tracer(node: A.Expr, fk: str, r: int, value: Value, info: dict[str, Any]) -> None:
            if node is call and fk == fkey and r == row:
                seen.update(info)
        Exact(self.checked, self.env, tracer).value(call, fkey, row)
        if "rows" not in seen:
            return None
        child, used = seen["child"], [int(r) for r in seen["rows"]]
        wexpr = call.weight if call.weight is not None else A.Ref("学生数", call.span)
        xs = [self.exact.value(call.args[0], child, r) for r in used]
        ws = [self.exact.value(wexpr, child, r) for r in used]
        if not all(isinstance(v, Fraction) and not isinstance(v, bool) for v in (*xs, *ws)):
            return None
        return child, used, xs, ws  # type: ignore[return-value]

    def _floor(self, op: A.Cmp, limit: Fraction, xs: list[Fraction], ws: list[Fraction],
               searched: tuple[Fraction, Fraction, Fraction], indicator: str | None, child: str,
               used: list[int], name: str, fkey: str, row: int) -> tuple[Fraction | None, list[Remedy], Value]:
        """Search the lowest floor L in [lo, hi] such that lifting every unit below L to L passes;
        then turn each lift into changes of the unit's inputs and recompute the 差异系数 exactly."""
        lo, hi, precision = searched
        def ok(cv: Value) -> bool:
            return isinstance(cv, Fraction) and compare(op, cv, limit)

        def cv_at(level: Fraction) -> Value:
            return aggregate("差异系数", [max(x, level) for x in xs], ws)  # type: ignore[arg-type]
        x = np.array([float(v) for v in xs])
        w = np.array([float(v) for v in ws])

        def cv_float(level: float) -> float:
            y = np.maximum(x, level)
            m = float((w * y).sum() / w.sum())
            return float(np.sqrt((w * (y - m) ** 2).sum() / w.sum()) / m) if m else math.inf
        grid = np.linspace(float(lo), float(hi), 401)
        first = next((i for i, g in enumerate(grid) if cv_float(g) <= float(limit)), len(grid) - 1)
        a, b = float(grid[max(0, first - 1)]), float(grid[first])
        while b - a > float(precision) / 2:
            mid = (a + b) / 2
            a, b = (a, mid) if cv_float(mid) <= float(limit) else (mid, b)
        level = Fraction(math.ceil(Fraction(b) / precision)) * precision
        while level - precision >= lo and ok(cv_at(level - precision)):  # settle the float search exactly
            level -= precision
        raises: list[Remedy] = []
        after: Value = Unknown(DATA_MISSING)
        for _ in range(200):
            while not ok(cv_at(level)) and level < hi:
                level += precision
            if indicator is None:
                return level, [], cv_at(level)
            found = [self._raise(indicator, child, r, level)
                     for r, v in sorted(zip(used, xs, strict=True), key=lambda t: t[1]) if v < level]
            raises = [r for r in found if r is not None]
            if len(raises) < len(found):
                return level, [], cv_at(level)
            after = self.value(self.exact_with([c for r in raises for c in r.changes]), name, fkey, row)
            if ok(after):
                break
            level += precision
        return level, raises, after

    def _raise(self, indicator: str, fkey: str, row: int, level: Fraction) -> Remedy | None:
        rems = self.remedies(Goal(indicator, fkey, row, floor=level))
        ups = [r for r in rems if all(c.delta > 0 and c.var.level != TOTAL for c in r.changes)]
        return (ups or rems)[0] if rems else None

    # ------------------------------------------------------------ everything to hand in
    def problems(self) -> list[Problem]:
        """Every failing or missing indicator row and failing combined row, county items first."""
        out: list[Problem] = []
        rs = self.checked.ruleset
        for name, entry in rs.items.items():
            item = self.results.items[name]
            decl = entry.decl
            for row in map(int, np.nonzero(np.isin(item.verdict, (FAIL, DATA_MISSING)))[0]):
                verdict = int(item.verdict[row])
                if isinstance(decl, A.Conclusion):
                    if verdict == FAIL and decl.combo is not None and decl.combo.kind == "至少":
                        out.append(Problem(name, item.fkey, row, verdict, combo=self.combo(name, row)))
                elif verdict == DATA_MISSING:
                    v = self.value(self.exact, name, item.fkey, row)
                    out.append(Problem(name, item.fkey, row, verdict, missing=getattr(v, "fields", ())))
                elif isinstance(decl.calc, A.Call) and decl.calc.func == "差异系数":
                    out.append(Problem(name, item.fkey, row, verdict, cv=self.cv(name, row)))
                else:
                    out.append(Problem(name, item.fkey, row, verdict, tuple(self.remedies(Goal(name, item.fkey, row)))))
        return sorted(out, key=self._order)

    def _order(self, p: Problem) -> tuple[int, int, int, int]:
        names = list(self.checked.ruleset.items)
        if p.fkey in (A.COUNTY, COUNTY_STAGE):
            county = p.row if p.fkey == A.COUNTY else int(self.env.frames[COUNTY_STAGE].up[A.COUNTY][p.row])
            return (county, -1, 0, names.index(p.item))
        school = p.row if p.fkey == A.SCHOOL else int(self.env.frames[A.UNIT].up[A.SCHOOL][p.row])
        county = int(self.env.frames[A.SCHOOL].up[A.COUNTY][school])
        return (county, school, 0 if p.fkey == A.SCHOOL else 1 + p.row, names.index(p.item))


def _merge(goals: list[Goal], parts: list[Remedy]) -> Remedy:
    changes = tuple(c for p in parts for c in p.changes)
    after = tuple(a for p in parts for a in p.after)
    return Remedy(tuple(goals), changes, after, None, any(p.searched for p in parts))


def _search(pred: Callable[[Fraction], bool], var: Var, direction: int, hint: int | None) -> int | None:
    """The fewest grid steps k ≥ 1 in `direction` after which `pred` holds (never below zero).

    Starts from sympy's hint when there is one (usually settled in two checks), else doubles
    k until it passes; then bisects for the smallest k, so one step less fails."""
    limit = math.floor(var.value / var.step) if direction < 0 else None

    def at(k: int) -> bool:
        if limit is not None and k > limit:
            return False
        return pred(var.value + direction * k * var.step)
    hi: int | None = None
    if hint is not None:
        for k in (hint, hint + 1, hint + 2):
            if at(k):
                hi = k
                break
        if hi is not None and (hi == 1 or not at(hi - 1)):
            return hi
    if hi is None:
        k = 1
        while not at(k):
            k *= 2
            if k > 2 ** MAX_DOUBLINGS or (limit is not None and k > 2 * max(limit, 1)):
                return None
        hi = k
    lo = 0
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if at(mid) else (mid, hi)
    return hi
