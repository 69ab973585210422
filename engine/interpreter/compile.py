"""Compile stage: a `Checked` rule set → a `Plan` of columnar (numpy) operations.

Each expression becomes a closure over whole columns: one call evaluates it for every row
of a frame. Comparisons are made in float64 and then settled exactly (`exact.py`) for the
few rows whose two sides lie within a hair of each other, so a bound is never missed by
rounding error.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from engine.interpreter import ast as A
from engine.interpreter.check import LEVEL_RANK, Checked, Ctx, walk
from engine.interpreter.exact import Unknown, aggregate_child, compare, round_half_up, to_fraction
from engine.interpreter.frames import COUNTY_STAGE, MISSING, NA, OK, ZERO, Col, Env, const, frame_key, param_value

Fn = Callable[[Env], Col]
NEAR = 1e-9  # relative distance under which a float comparison is re-done exactly


@dataclass(frozen=True)
class Step:
    """One item of the plan: its frame, compiled calculation, requirement and scope."""

    name: str
    decl: A.Indicator | A.Conclusion
    fkey: str
    calc: Fn | None
    requirement: Callable[[Env, Col], tuple[np.ndarray, np.ndarray, np.ndarray]] | None
    scope: Fn | None


@dataclass(frozen=True)
class Plan:
    """The compiled rule set: steps in dependency order."""

    checked: Checked
    steps: tuple[Step, ...]


def compile_plan(checked: Checked) -> Plan:
    """Compile every item of a checked rule set, dependencies first."""
    steps = []
    for name in checked.order:
        decl = checked.ruleset.items[name].decl
        fkey = frame_key(decl.level, decl.by_stage)
        if isinstance(decl, A.Indicator):
            assert decl.calc is not None and decl.requirement is not None
            calc = compile_expr(checked, decl.calc, fkey)
            req = _compile_requirement(checked, decl.requirement, fkey, decl.calc, decl.keep)
            scope = None
            if decl.scope is not None:
                scope = compile_scope(checked, checked.ruleset.scopes[decl.scope].decl, fkey)
            steps.append(Step(name, decl, fkey, calc, req, scope))
        else:
            steps.append(Step(name, decl, fkey, None, None, None))
    return Plan(checked, tuple(steps))


@functools.cache
def _ctx(fkey: str) -> Ctx:
    return Ctx(A.COUNTY if fkey == COUNTY_STAGE else fkey, fkey in (A.UNIT, COUNTY_STAGE))


def _merge_status(*cols: Col) -> np.ndarray:
    s = cols[0].s.copy()
    for c in cols[1:]:
        np.maximum(s, c.s, out=s)
    return s


def compile_scope(checked: Checked, scope: A.ScopeDecl, fkey: str) -> Fn:
    """A scope → a boolean column (status MISSING where the condition cannot be decided)."""
    includes = [compile_expr(checked, c, fkey) for c in scope.include]
    excludes = [compile_expr(checked, c, fkey) for c in scope.exclude]
    key = ("范围", scope.name, fkey)

    def cached(env: Env) -> Col:
        # one scope serves many items (资源配置学部: 7 indicators and 7 CVs): compute it once
        col = env.cache.get(key)
        if col is None:
            col = env.cache[key] = run(env)
        return col

    def run(env: Env) -> Col:
        n = env.frames[fkey].n
        inside = np.ones(n, dtype=bool)
        unknown = np.zeros(n, dtype=bool)
        for fn in includes:
            c = fn(env)
            known = c.s == OK
            inside &= ~(known & (c.v == 0))
            unknown |= ~known
        for fn in excludes:
            c = fn(env)
            known = c.s == OK
            inside &= ~(known & (c.v != 0))
            unknown |= ~known
        status = np.where(unknown & inside, MISSING, OK).astype(np.int8)
        return Col(inside.astype(np.float64), status)

    return cached


def compile_expr(checked: Checked, e: A.Expr, fkey: str) -> Fn:
    """An expression → a closure computing it for every row of frame `fkey`."""
    ctx = _ctx(fkey)
    if isinstance(e, A.Num):
        value = float(e.value)
        return lambda env: const(env.frames[fkey].n, value)
    if isinstance(e, A.Bool):
        b = 1.0 if e.value else 0.0
        return lambda env: const(env.frames[fkey].n, b)
    if isinstance(e, A.Text | A.StageLit):
        text = e.value if isinstance(e, A.Text) else e.stage
        return lambda env: const(env.frames[fkey].n, text, object)
    if isinstance(e, A.Ref):
        return _compile_ref(checked, e, fkey, ctx)
    home = _condition_home(checked, e, ctx)
    if home is not None:
        # a condition on a school's own columns, used per 学部: decide it once per school
        inner = compile_expr(checked, e, home)
        return lambda env: inner(env).take(env.frames[fkey].up[home])
    if isinstance(e, A.Neg):
        inner = compile_expr(checked, e.operand, fkey)
        return lambda env: (lambda c: Col(-c.v, c.s))(inner(env))
    if isinstance(e, A.BinOp):
        return _compile_binop(checked, e, fkey)
    if isinstance(e, A.Compare):
        return _compile_compare(checked, e, fkey)
    if isinstance(e, A.In):
        operand = compile_expr(checked, e.operand, fkey)
        options = [_literal(o) if _literal(o) is not None else compile_expr(checked, o, fkey) for o in e.options]

        literal_texts = all(isinstance(o, str) for o in options)

        def run_in(env: Env) -> Col:
            a = operand(env)
            if literal_texts and a.v.dtype == object:
                hit = _text_in(env, a.v, options)  # type: ignore[arg-type]
            else:
                hit = np.zeros(len(a.v), dtype=bool)
                for fn in options:
                    # a literal option is compared as a scalar: no column of copies to build
                    hit |= a.v == (fn if not callable(fn) else fn(env).v)
            if e.negate:
                hit = ~hit
            return Col(hit.astype(np.float64), a.s.copy())

        return run_in
    if isinstance(e, A.Logic):
        return _compile_logic(checked, e, fkey)
    if isinstance(e, A.Not):
        inner = compile_expr(checked, e.operand, fkey)
        return lambda env: (lambda c: Col(1.0 - c.v, c.s))(inner(env))
    if isinstance(e, A.If):
        cond = compile_expr(checked, e.cond, fkey)
        then = compile_expr(checked, e.then, fkey)
        other = compile_expr(checked, e.otherwise, fkey)

        def run_if(env: Env) -> Col:
            c, a, b = cond(env), then(env), other(env)
            pick = c.v != 0
            v = np.where(pick, a.v, b.v)
            s = np.where(pick, a.s, b.s)
            s = np.where(c.s != OK, c.s, s).astype(np.int8)
            return Col(v, s)

        return run_if
    assert isinstance(e, A.Call)
    return _compile_call(checked, e, fkey, ctx)


def _condition_home(checked: Checked, e: A.Expr, ctx: Ctx) -> str | None:
    """The higher level a condition can be decided at, when it reads only that level's facts.

    `办学类型 为 "教学点"` in a 学部 scope reads the school's column: deciding it per school and
    handing each 学部 its school's answer gives the same column, without copying text per row.
    """
    if not isinstance(e, A.Compare | A.In | A.Logic | A.Not):
        return None
    return _memo(checked, "home", e, ctx, _find_home)  # type: ignore[no-any-return]


def _memo(checked: Checked, what: str, e: A.Expr, ctx: Ctx, compute: Callable[[Checked, A.Expr, Ctx], Any]) -> Any:
    """A static analysis of one node, computed once per checked rule set (compile asks again
    and again of the same subtrees). Keyed by the node's identity; the node is kept alongside
    so that identity stays its own."""
    key = (what, id(e), ctx)
    if key not in checked.memo:
        checked.memo[key] = (compute(checked, e, ctx), e)
    return checked.memo[key][0]


def _find_home(checked: Checked, e: A.Expr, ctx: Ctx) -> str | None:
    levels = set()
    for node in walk(e):
        if isinstance(node, A.Call):
            return None
        if isinstance(node, A.Ref):
            sym = checked.lookup(node.name, ctx)
            if sym is None or sym.kind != "field":
                return None
            levels.add(sym.level)
    if len(levels) != 1:
        return None
    (level,) = levels
    return level if LEVEL_RANK[level] > LEVEL_RANK[ctx.level] else None


def _text_in(env: Env, values: np.ndarray, options: list[str]) -> np.ndarray:
    """`办学类型 属于 ("小学", …)` over a text column: each distinct text is looked up once.

    The column is coded once per evaluation (its few distinct texts → small integers) and the
    codes are shared by every 属于 on it, instead of one string comparison per row per option.
    """
    key = ("文本编码", str(id(values)))
    coded = env.cache.get(key)
    if coded is None or coded[0] is not values:  # type: ignore[index]
        texts = values.tolist()
        index = {t: i for i, t in enumerate(dict.fromkeys(texts))}
        codes = np.fromiter(map(index.__getitem__, texts), dtype=np.int32, count=len(texts))
        coded = env.cache[key] = (values, index, codes)  # type: ignore[assignment]
    _, index, codes = coded  # type: ignore[misc]
    wanted = np.zeros(len(index) + 1, dtype=bool)
    for option in options:
        if option in index:
            wanted[index[option]] = True
    return wanted[codes]


def _literal(e: A.Expr) -> str | float | None:
    """The value of a literal option of 属于 (text, 学段, number), else None."""
    if isinstance(e, A.Text):
        return e.value
    if isinstance(e, A.StageLit):
        return e.stage
    if isinstance(e, A.Num):
        return float(e.value)
    return None


def _compile_ref(checked: Checked, e: A.Ref, fkey: str, ctx: Ctx) -> Fn:
    sym = checked.lookup(e.name, ctx)
    assert sym is not None, e.name
    name = e.name
    if sym.kind == "builtin":
        return lambda env: Col(env.frames[fkey].stage, np.zeros(env.frames[fkey].n, dtype=np.int8))  # type: ignore[arg-type]
    if sym.kind == "param":
        def run_param(env: Env) -> Col:
            # parameters are fixed for an evaluation: one column per frame, shared by every use
            key = ("参数", name, fkey)
            col = env.cache.get(key)
            if col is None:
                col = env.cache[key] = param_column(env)
            return col

        def param_column(env: Env) -> Col:
            values = env.params.get(name, {})
            n = env.frames[fkey].n
            if set(values) == {None}:
                return const(n, float(values[None]))
            frame = env.frames[fkey]
            default = values.get(None)
            if frame.codes is not None:
                # one lookup per row in a table of the 学段's values (a stage's own value wins)
                picked = [values.get(st, default) for st in frame.stages]
                table_v = np.array([np.nan if x is None else float(x) for x in picked])
                table_s = np.array([MISSING if x is None else OK for x in picked], dtype=np.int8)
                return Col(table_v[frame.codes], table_s[frame.codes])
            v = np.full(n, np.nan if default is None else float(default))
            s = np.full(n, MISSING if default is None else OK, dtype=np.int8)
            for st, val in values.items():
                if st is None:
                    continue
                hit = frame.is_stage(st)
                v[hit] = float(val)
                s[hit] = OK
            return Col(v, s)
        return run_param
    if sym.kind in ("field", "unit_field"):
        home = sym.level

        def run_field(env: Env) -> Col:
            col = env.fields[(home, name)]
            return col if home == fkey else col.take(env.frames[fkey].up[home])
        return run_field

    def run_item(env: Env) -> Col:
        item = env.items[name]
        col = item.as_value() if sym.kind == "indicator" else item.as_bool()
        return col if item.fkey == fkey else col.take(env.frames[fkey].up[item.fkey])
    return run_item


def _compile_binop(checked: Checked, e: A.BinOp, fkey: str) -> Fn:
    left = compile_expr(checked, e.left, fkey)
    right = compile_expr(checked, e.right, fkey)
    op = e.op
    if isinstance(e.right, A.Num) and not (op == "÷" and e.right.value == 0):
        # x × 100, x ÷ 12: a scalar, so no column of copies and no status to merge
        k = float(e.right.value)
        scalar = {"+": np.add, "-": np.subtract, "×": np.multiply, "÷": np.true_divide}[op]

        def run_scalar(env: Env) -> Col:
            a = left(env)
            with np.errstate(invalid="ignore", over="ignore"):
                return Col(scalar(a.v, k), a.s)

        return run_scalar
    if isinstance(e.left, A.Num) and op in "+×":
        k_left = float(e.left.value)
        commuted = np.add if op == "+" else np.multiply

        def run_scalar_left(env: Env) -> Col:
            b = right(env)
            with np.errstate(invalid="ignore", over="ignore"):
                return Col(commuted(k_left, b.v), b.s)

        return run_scalar_left

    def run(env: Env) -> Col:
        a, b = left(env), right(env)
        s = _merge_status(a, b)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if op == "+":
                v = a.v + b.v
            elif op == "-":
                v = a.v - b.v
            elif op == "×":
                v = a.v * b.v
            else:
                zero = b.v == 0
                if zero.any():  # only then is the slow, careful path needed
                    zero &= b.s == OK
                    v = np.where(zero, np.nan, a.v / np.where(zero, 1.0, b.v))
                    s = np.where(zero & (s < ZERO), ZERO, s).astype(np.int8)
                else:
                    v = a.v / b.v
        return Col(v, s)

    return run


_NUMPY_CMP = {
    A.Cmp.GE: np.greater_equal, A.Cmp.GT: np.greater, A.Cmp.LE: np.less_equal,
    A.Cmp.LT: np.less, A.Cmp.EQ: np.equal, A.Cmp.NE: np.not_equal,
}


def integral(checked: Checked, e: A.Expr, ctx: Ctx) -> bool:
    """Whether an expression is a whole number (or 是/否, text) by construction.

    Such values are exact in float64 (below 2^53), so comparing them needs no exact re-check —
    the check that would otherwise run for every row sitting on its bound (rooms = ⌈班数÷12⌉).
    Memoised per node: compiling asks it of the same subtrees again and again.
    """
    return bool(_memo(checked, "integral", e, ctx, _integral))


def _integral(checked: Checked, e: A.Expr, ctx: Ctx) -> bool:
    if isinstance(e, A.Num):
        return e.value.denominator == 1
    if isinstance(e, A.Bool | A.Text | A.StageLit):
        return True
    if isinstance(e, A.Ref):
        sym = checked.lookup(e.name, ctx)
        if sym is None:
            return False
        if sym.kind == "field":
            entry = checked.ruleset.fields.get(e.name)
            return entry is not None and entry.decl.type in ("整数", "是否", "文本")
        if sym.kind == "unit_field" and e.name in checked.ruleset.unit_fields:
            uf = checked.ruleset.unit_fields[e.name].decl
            return all(integral(checked, x, Ctx(A.SCHOOL, False)) for _, x in uf.by_stage)
        if sym.kind == "param":
            return all(v.value.denominator == 1 for pv in checked.ruleset.params[e.name].decl.values
                       for _, v in pv.by_stage)
        return sym.kind in ("builtin", "conclusion")
    if isinstance(e, A.BinOp):
        return e.op != "÷" and integral(checked, e.left, ctx) and integral(checked, e.right, ctx)
    if isinstance(e, A.Neg):
        return integral(checked, e.operand, ctx)
    if isinstance(e, A.Call):
        if e.func == "合计" and len(e.args) == 1:
            return integral(checked, e.args[0], Ctx(e.entity or ctx.level, (e.entity or ctx.level) == A.UNIT))
        return e.func in ("向上取整", "向下取整", "计数")
    if isinstance(e, A.If):
        return integral(checked, e.then, ctx) and integral(checked, e.otherwise, ctx)
    return isinstance(e, A.Compare | A.Logic | A.Not | A.In)


class Ratio:
    """A formula of the form k × (product of whole numbers) ÷ (product of whole numbers).

    Its factors are compiled on first use: most rule sets never have a row near the bound.
    """

    def __init__(self, checked: Checked, fkey: str, const: Fraction, num: list[A.Expr], den: list[A.Expr]) -> None:
        self.const = const
        self._parts = (checked, fkey, num, den)
        self._fns: tuple[tuple[Fn, ...], tuple[Fn, ...]] | None = None

    def _compiled(self) -> tuple[tuple[Fn, ...], tuple[Fn, ...]]:
        if self._fns is None:
            checked, fkey, num, den = self._parts
            self._fns = (tuple(compile_expr(checked, x, fkey) for x in num),
                         tuple(compile_expr(checked, x, fkey) for x in den))
        return self._fns

    @property
    def numerator(self) -> tuple[Fn, ...]:
        return self._compiled()[0]

    @property
    def denominator(self) -> tuple[Fn, ...]:
        return self._compiled()[1]


def _ratio(checked: Checked, e: A.Expr, fkey: str) -> Ratio | None:
    ctx = _ctx(fkey)
    num: list[A.Expr] = []
    den: list[A.Expr] = []
    const = Fraction(1)

    def walk(node: A.Expr, up: bool) -> bool:
        nonlocal const
        if isinstance(node, A.Num):
            const = const * node.value if up else const / node.value if node.value else const
            return node.value != 0
        if isinstance(node, A.BinOp) and node.op in "×÷":
            return walk(node.left, up) and walk(node.right, up if node.op == "×" else not up)
        if integral(checked, node, ctx):
            (num if up else den).append(node)
            return True
        return False

    if not walk(e, True) or not den:
        return None
    return Ratio(checked, fkey, const, num, den)


def _rational_threshold(checked: Checked, e: A.Expr, fkey: str) -> Callable[[Env, int], Fraction | None] | None:
    """A threshold that is a literal or a parameter, as an exact value per row (else None)."""
    if isinstance(e, A.Num):
        value = e.value
        return lambda env, row: value
    if isinstance(e, A.Ref) and checked.lookup(e.name, _ctx(fkey)) is not None and e.name in checked.ruleset.params:
        name = e.name

        def per_row(env: Env, row: int) -> Fraction | None:
            stage = env.frames[fkey].stage
            return param_value(env.params, name, None if stage is None else str(stage[row]))
        return per_row
    return None


def _reads_facts_column(checked: Checked, e: A.Expr, fkey: str) -> bool:
    """Is `e` a column of the facts as typed in (whose exact value is its float's shortest repr)?"""
    if not isinstance(e, A.Ref):
        return False
    sym = checked.lookup(e.name, _ctx(fkey))
    return sym is not None and sym.kind == "field"


def _round_trips(x: Fraction) -> bool:
    return to_fraction(float(x)) == x


def _threshold_round_trips(env: Env, e: A.Expr) -> bool:
    """Is every value the bound can take a decimal that float64 stores faithfully (0.9, 60, 85%)?

    Then, for a value that is itself a typed-in decimal, comparing the two floats gives exactly
    the answer comparing the two decimals would: shortest-repr decimals keep the floats' order.
    """
    if isinstance(e, A.Num):
        return _round_trips(e.value)
    if isinstance(e, A.Ref) and e.name in env.params:
        return all(_round_trips(v) for v in env.params[e.name].values())
    return False


def _settle_ratios(env: Env, ratio: Ratio, threshold: Callable[[Env, int], Fraction | None], op: A.Cmp,
                   rows: np.ndarray, passed: np.ndarray) -> np.ndarray:
    """Decide near-bound rows exactly by integer arithmetic; return the rows still undecided."""
    top, bottom, fit = _ratio_terms(env, ratio, rows)
    left: list[int] = []
    for row, t, b, ok in zip(rows.tolist(), top.tolist(), bottom.tolist(), fit.tolist(), strict=True):
        th = threshold(env, row) if ok else None
        if th is None:
            left.append(row)
            continue
        passed[row] = 1.0 if compare(op, Fraction(t, b), th) else 0.0
    return np.array(left, dtype=np.int64)


def _ratio_terms(env: Env, ratio: Ratio, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Numerator and denominator of a whole-number ratio at `rows`, as int64, and where they fit.

    Rows whose product could overflow int64 (or are not whole) are marked unfit; the caller
    settles those with Fractions.
    """
    top = np.full(len(rows), ratio.const.numerator, dtype=np.int64)
    bottom = np.full(len(rows), ratio.const.denominator, dtype=np.int64)
    magnitude = np.full(len(rows), float(abs(ratio.const.numerator)) + float(ratio.const.denominator))
    fit = np.ones(len(rows), dtype=bool)
    for fns, acc in ((ratio.numerator, top), (ratio.denominator, bottom)):
        for fn in fns:
            x = fn(env).v[rows]
            fit &= np.isfinite(x) & (x == np.round(x))
            x = np.where(fit, x, 0.0)
            magnitude *= np.abs(x) + 1.0
            acc *= x.astype(np.int64)
    fit &= (magnitude < 2.0**62) & (bottom != 0)
    return top, bottom, fit


def _settle_rounding(env: Env, ratio: Ratio, up: bool, rows: np.ndarray, out: np.ndarray) -> np.ndarray:
    """⌈a÷b⌉ / ⌊a÷b⌋ of whole numbers by integer division at `rows`; return the rows left over."""
    top, bottom, fit = _ratio_terms(env, ratio, rows)
    b = np.where(fit, bottom, 1)
    t = np.where(b < 0, -top, top)
    b = np.abs(b)
    exact = -((-t) // b) if up else t // b
    out[rows[fit]] = exact[fit].astype(np.float64)
    return rows[~fit]


def near(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Rows whose float values are too close to trust a float comparison:
    |a − b| ≤ NEAR · max(1, |a|, |b|).

    It runs once per comparison over every row, so it is done in two passes: rows within
    NEAR · (the largest magnitude in either column) are candidates — a superset, found with
    one subtraction and a few reductions — and only candidates get the per-row bound.
    """
    with np.errstate(invalid="ignore", over="ignore"):
        a, b = np.broadcast_arrays(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64))
        gap = np.subtract(a, b)
        np.abs(gap, out=gap)
        if not gap.size:
            return np.zeros(gap.shape, dtype=bool)
        # fmax/fmin skip NaN (missing rows); an all-NaN column reduces to NaN, which max() skips
        ends = [abs(float(f.reduce(x, axis=None))) for x in (a, b) for f in (np.fmax, np.fmin)]
        top = max([1.0, *(e for e in ends if e == e)])
        out = np.less_equal(gap, NEAR * top)
        if top == np.inf:  # an infinite value: every row is a candidate, as the formula says
            out = np.ones(gap.shape, dtype=bool)
        rows = np.flatnonzero(out)
        if len(rows):
            scale = np.maximum(np.maximum(np.abs(a[rows]), np.abs(b[rows])), 1.0)
            out[rows] = gap[rows] <= NEAR * scale
        return out


def _compile_compare(checked: Checked, e: A.Compare, fkey: str) -> Fn:
    left = compile_expr(checked, e.left, fkey)
    right = compile_expr(checked, e.right, fkey)
    text = _literal(e.right)
    if e.op in (A.Cmp.EQ, A.Cmp.NE) and isinstance(text, str):
        general = _compile_general_compare(checked, e, fkey, left, right)
        equal = e.op is A.Cmp.EQ

        def run_text(env: Env) -> Col:
            a = left(env)
            if a.v.dtype != object:
                return general(env)
            hit = _text_in(env, a.v, [text])  # the column's codes, shared with every 属于 on it
            return Col((hit if equal else ~hit).astype(np.float64), a.s)

        return run_text
    return _compile_general_compare(checked, e, fkey, left, right)


def _compile_general_compare(checked: Checked, e: A.Compare, fkey: str, left: Fn, right: Fn) -> Fn:
    ufunc = _NUMPY_CMP[e.op]
    whole = integral(checked, e.left, _ctx(fkey)) and integral(checked, e.right, _ctx(fkey))

    def run(env: Env) -> Col:
        a, b = left(env), right(env)
        s = _merge_status(a, b)
        numeric = a.v.dtype != object and b.v.dtype != object and not whole
        with np.errstate(invalid="ignore"):
            v = ufunc(a.v, b.v).astype(np.float64)
        if numeric:
            for row in np.nonzero((s == OK) & near(a.v, b.v))[0]:
                exact = env.exact.value(e, fkey, int(row))  # type: ignore[attr-defined]
                if not isinstance(exact, Unknown):
                    v[row] = 1.0 if exact else 0.0
        return Col(v, s)

    return run


def _compile_logic(checked: Checked, e: A.Logic, fkey: str) -> Fn:
    left = compile_expr(checked, e.left, fkey)
    right = compile_expr(checked, e.right, fkey)
    decisive = 1.0 if e.op == "或" else 0.0

    def run(env: Env) -> Col:
        a, b = left(env), right(env)
        a_dec = (a.s == OK) & (a.v == decisive)
        b_dec = (b.s == OK) & (b.v == decisive)
        decided = a_dec | b_dec
        both_ok = (a.s == OK) & (b.s == OK)
        v = np.where(decided, decisive, 1.0 - decisive)
        s = np.where(decided | both_ok, OK, _merge_status(a, b)).astype(np.int8)
        return Col(v, s)

    return run


def _compile_call(checked: Checked, e: A.Call, fkey: str, ctx: Ctx) -> Fn:
    if e.func in ("向上取整", "向下取整", "绝对值") or (e.func in ("最小", "最大") and len(e.args) > 1):
        args = [compile_expr(checked, a, fkey) for a in e.args]
        func = {"向上取整": np.ceil, "向下取整": np.floor, "绝对值": np.abs}.get(e.func)
        rounding = e.func in ("向上取整", "向下取整")
        ratio = _ratio(checked, e.args[0], fkey) if rounding else None

        def run_scalar(env: Env) -> Col:
            cols = [fn(env) for fn in args]
            s = _merge_status(*cols)
            if func is not None:
                # ceil/floor of a value a hair under an integer (e.g. 23.999…) is settled exactly
                v = func(cols[0].v)
                if rounding:
                    rows = np.nonzero((s == OK) & near(cols[0].v, np.round(cols[0].v)))[0]
                    if len(rows) and ratio is not None:
                        # ⌈班数÷12⌉ sits on an integer for every multiple of 12: integer division
                        rows = _settle_rounding(env, ratio, e.func == "向上取整", rows, v)
                    for row in rows:
                        ex = env.exact.value(e, fkey, int(row))  # type: ignore[attr-defined]
                        if not isinstance(ex, Unknown):
                            v[row] = float(ex)
                return Col(v, s)
            stack = np.vstack([c.v for c in cols])
            return Col(stack.min(axis=0) if e.func == "最小" else stack.max(axis=0), s)

        return run_scalar
    child = aggregate_child(checked, e, ctx)
    arg = compile_expr(checked, e.args[0], child)
    where = compile_expr(checked, e.where, child) if e.where is not None else None
    weight_expr = e.weight if e.weight is not None else (A.Ref("学生数", e.span) if e.func == "差异系数" else None)
    weight = compile_expr(checked, weight_expr, child) if weight_expr is not None else None
    scope = compile_scope(checked, checked.ruleset.scopes[e.scope].decl, child) if e.scope else None
    func_name = e.func

    def run_agg(env: Env) -> Col:
        n = env.frames[fkey].n
        group = env.frames[child].up[fkey]
        x = arg(env)
        use = x.s != NA
        bad = (x.s != OK) & use
        if scope is not None:
            sc = scope(env)
            use &= sc.v != 0
            bad |= (sc.s != OK)
        if where is not None:
            w = where(env)
            bad |= (w.s != OK) & use
            use &= (w.v != 0) | (w.s != OK)
        wv = np.ones(len(x.v))
        if weight is not None:
            wc = weight(env)
            bad |= (wc.s != OK) & use
            wv = wc.v
        mask = use & ~bad
        g = group[mask]
        # rows in the mask have every input known, so the values are taken as they are
        xs = x.v[mask] if x.v.dtype != object else np.zeros(len(g))
        xs = xs if xs.dtype == np.float64 else xs.astype(np.float64)
        ws = wv[mask]
        count = np.bincount(g, minlength=n).astype(np.float64)
        unknown = bad & use
        status = np.zeros(n, dtype=np.int8)
        if unknown.any():
            status[np.bincount(group[unknown], minlength=n) > 0] = MISSING
        v: np.ndarray
        with np.errstate(divide="ignore", invalid="ignore"):
            if func_name == "计数":
                v = np.bincount(g, weights=(xs != 0).astype(np.float64), minlength=n)
            elif func_name == "比例":
                v = np.bincount(g, weights=(xs != 0).astype(np.float64), minlength=n) / count
                status = np.where((count == 0) & (status == OK), ZERO, status).astype(np.int8)
            elif func_name in ("所有", "任一"):
                trues = np.bincount(g, weights=(xs != 0).astype(np.float64), minlength=n)
                v = ((trues == count) if func_name == "所有" else (trues > 0)).astype(np.float64)
            elif func_name == "合计":
                v = np.bincount(g, weights=xs, minlength=n)
            elif func_name in ("最小", "最大"):
                v = np.full(n, np.inf if func_name == "最小" else -np.inf)
                (np.minimum if func_name == "最小" else np.maximum).at(v, g, xs)
                status = np.where((count == 0) & (status == OK), ZERO, status).astype(np.int8)
                v[count == 0] = np.nan
            else:
                sw = np.bincount(g, weights=ws, minlength=n)
                mean = np.bincount(g, weights=ws * xs, minlength=n) / sw
                if func_name == "平均":
                    v = mean
                    status = np.where((sw == 0) & (status == OK), ZERO, status).astype(np.int8)
                else:
                    dev = xs - mean[g]
                    var = np.bincount(g, weights=ws * dev * dev, minlength=n) / sw
                    v = np.sqrt(var) / mean
                    status = np.where(((sw == 0) | (mean == 0)) & (status == OK), ZERO, status).astype(np.int8)
        if func_name not in ("合计", "计数"):
            # nothing to aggregate (e.g. a county without 初中 units): not applicable, not missing
            status = np.where((count == 0) & (status != MISSING), NA, status).astype(np.int8)
        return Col(np.asarray(v, dtype=np.float64), status)

    return run_agg


def _compile_requirement(
    checked: Checked, req: A.Requirement, fkey: str, calc: A.Expr, keep: int | None
) -> Callable[[Env, Col], tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """A requirement → fn(env, value) giving (pass as float 1/0, threshold, status) per row."""
    if isinstance(req, A.ReqIf):
        cond = compile_expr(checked, req.cond, fkey)
        then = _compile_requirement(checked, req.then, fkey, calc, keep)
        other = _compile_requirement(checked, req.otherwise, fkey, calc, keep)

        def run_if(env: Env, value: Col) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            c = cond(env)
            p1, t1, s1 = then(env, value)
            p2, t2, s2 = other(env, value)
            pick = c.v != 0
            s = np.where(c.s != OK, c.s, np.where(pick, s1, s2)).astype(np.int8)
            # an undecidable condition does not matter when both branches agree (Kleene)
            agree = (c.s != OK) & (s1 == OK) & (s2 == OK) & (p1 == p2)
            s[agree] = OK
            return np.where(pick, p1, p2), np.where(pick, t1, t2), s

        return run_if
    threshold = compile_expr(checked, req.threshold, fkey)
    ufunc = _NUMPY_CMP[req.op]
    whole = keep is None and integral(checked, calc, _ctx(fkey)) and integral(checked, req.threshold, _ctx(fkey))
    ratio = _ratio(checked, calc, fkey) if keep is None and not whole else None
    rational_threshold = _rational_threshold(checked, req.threshold, fkey)
    faithful = keep is None and _reads_facts_column(checked, calc, fkey)

    def run(env: Env, value: Col) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        t = threshold(env)
        s = _merge_status(value, t)
        if value.v.dtype == object or t.v.dtype == object:
            passed = (value.v == t.v) if req.op is A.Cmp.EQ else (value.v != t.v)
            return passed.astype(np.float64), np.full(len(s), np.nan), s
        with np.errstate(invalid="ignore"):
            passed = ufunc(value.v, t.v).astype(np.float64)
        rows = np.nonzero((s == OK) & near(value.v, t.v))[0] if not whole else np.empty(0, dtype=np.int64)
        if len(rows) and faithful and _threshold_round_trips(env, req.threshold):
            # a typed-in number against a short decimal bound: the float comparison is the exact one
            rows = rows[:0]
        if len(rows) and ratio is not None and rational_threshold is not None:
            # whole numbers over whole numbers: decide exactly from the columns, no Fractions per row
            rows = _settle_ratios(env, ratio, rational_threshold, req.op, rows, passed)
        for row in rows:
            ev = env.exact
            v = ev.value(calc, fkey, int(row))  # type: ignore[attr-defined]
            if keep is not None and isinstance(v, Fraction):
                v = round_half_up(v, keep)
            th = ev.value(req.threshold, fkey, int(row))  # type: ignore[attr-defined]
            if not isinstance(v, Unknown) and not isinstance(th, Unknown):
                passed[row] = 1.0 if compare(req.op, v, th) else 0.0
        return passed, np.asarray(t.v, dtype=np.float64), s

    return run

