"""Check stage: a layered `RuleSet` → a `Checked` rule set, or every problem at once.

Resolves every name at the level it is used (学部 / 学校 / 县区, 分学段 or not), infers
types and dimensions, checks aggregates, conclusions, splits and scopes, orders items by
dependency and rejects cycles. Errors carry codes E2xx, spans and did-you-mean hints.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from engine.interpreter import ast as A
from engine.interpreter import units as U
from engine.interpreter.errors import DiagnosticBag, Related, RuleError, Span
from engine.interpreter.layer import Entry, RuleSet

NUM, BOOL, TEXT, STAGE = "数值", "是否", "文本", "学段"
TYPE_OF_FIELD = {"整数": NUM, "数值": NUM, "是否": BOOL, "文本": TEXT}
LEVEL_RANK = {A.UNIT: 0, A.SCHOOL: 1, A.COUNTY: 2}

AGGREGATES = {"差异系数", "合计", "平均", "计数", "比例", "最小", "最大", "所有", "任一"}
SCALAR_FUNCS = {"向上取整": 1, "向下取整": 1, "绝对值": 1, "最小": -2, "最大": -2}


@dataclass(frozen=True, slots=True)
class Symbol:
    """What a name means at some level: its kind, home level, type and dimension."""

    name: str
    kind: str  # field / unit_field / param / indicator / conclusion / builtin
    level: str  # home level; "" for parameters
    type: str
    dim: U.Dim | None
    by_stage: bool = False


@dataclass(frozen=True, slots=True)
class Ctx:
    """Where an expression is evaluated: a level, and whether rows carry a 学段."""

    level: str
    staged: bool


@dataclass
class Checked:
    """A rule set that passed every check, with its symbol table and dependency order."""

    ruleset: RuleSet
    symbols: dict[str, list[Symbol]]
    order: list[str]  # item names, dependencies first
    item_types: dict[str, str]
    item_dims: dict[str, U.Dim | None]
    deps: dict[str, set[str]]
    warnings: list = field(default_factory=list)  # type: ignore[type-arg]
    memo: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)  # compile's static analyses

    def lookup(self, name: str, ctx: Ctx) -> Symbol | None:
        return _lookup(self.symbols, name, ctx)


def _lookup(symbols: dict[str, list[Symbol]], name: str, ctx: Ctx) -> Symbol | None:
    best: Symbol | None = None
    for sym in symbols.get(name, []):
        if sym.kind == "param":
            best = best or sym
            continue
        if sym.kind == "builtin":
            if ctx.staged:
                return sym
            continue
        # A name is visible at its own level and at every level below it (broadcast).
        if LEVEL_RANK[sym.level] >= LEVEL_RANK[ctx.level]:
            if best is None or best.kind == "param" or LEVEL_RANK[sym.level] < LEVEL_RANK[best.level]:
                best = sym
    return best


def walk(expr: A.Expr) -> Iterator[A.Expr]:
    """Every node of an expression, parents first."""
    yield expr
    if isinstance(expr, A.BinOp | A.Compare | A.Logic):
        yield from walk(expr.left)
        yield from walk(expr.right)
    elif isinstance(expr, A.Neg | A.Not):
        yield from walk(expr.operand)
    elif isinstance(expr, A.In):
        yield from walk(expr.operand)
        for o in expr.options:
            yield from walk(o)
    elif isinstance(expr, A.If):
        yield from walk(expr.cond)
        yield from walk(expr.then)
        yield from walk(expr.otherwise)
    elif isinstance(expr, A.Call):
        for a in expr.args:
            yield from walk(a)
        for extra in (expr.weight, expr.where):
            if extra is not None:
                yield from walk(extra)


def requirement_exprs(req: A.Requirement) -> Iterator[A.Expr]:
    if isinstance(req, A.ReqCompare):
        yield req.threshold
    else:
        yield req.cond
        yield from requirement_exprs(req.then)
        yield from requirement_exprs(req.otherwise)


def expand_ids(items: tuple[A.IdRef, ...], order: list[str]) -> list[tuple[str, Span]]:
    """Expand `R1 至 R7` using declaration order; unknown names are left for the checker."""
    out: list[tuple[str, Span]] = []
    for ref in items:
        if ref.last is None:
            out.append((ref.first, ref.span))
            continue
        if ref.first in order and ref.last in order:
            i, j = order.index(ref.first), order.index(ref.last)
            if i <= j:
                out.extend((n, ref.span) for n in order[i: j + 1])
                continue
        out.append((ref.first, ref.span))
        out.append((ref.last, ref.span))
    return out


def build_symbols(rs: RuleSet) -> dict[str, list[Symbol]]:
    syms: dict[str, list[Symbol]] = {}

    def add(sym: Symbol) -> None:
        syms.setdefault(sym.name, []).append(sym)

    for name, e in rs.fields.items():
        add(Symbol(name, "field", e.decl.entity, TYPE_OF_FIELD[e.decl.type], U.parse_unit(e.decl.unit)))
    for name, pe in rs.params.items():
        staged = any(s is not None for v in pe.decl.values for s, _ in v.by_stage)
        add(Symbol(name, "param", "", NUM, U.parse_unit(pe.decl.unit), staged))
    for name, ue in rs.unit_fields.items():
        add(Symbol(name, "unit_field", A.UNIT, NUM, U.parse_unit(ue.decl.unit)))
    for se in rs.splits.values():
        for item in se.decl.items:
            f = rs.fields.get(item)
            add(Symbol(item, "unit_field", A.UNIT, NUM, U.parse_unit(f.decl.unit) if f else None))
    add(Symbol("学段", "builtin", A.UNIT, STAGE, None))
    return syms


def check(rs: RuleSet) -> Checked:
    """Check a layered rule set; raise RuleError with every E2xx problem found."""
    return _Checker(rs).run()


class _Checker:
    def __init__(self, rs: RuleSet) -> None:
        self.rs = rs
        self.bag = DiagnosticBag()
        self.symbols = build_symbols(rs)
        self.item_types: dict[str, str] = {}
        self.item_dims: dict[str, U.Dim | None] = {}
        self.deps: dict[str, set[str]] = {}
        self._current: set[str] = set()

    # ------------------------------------------------------------ driver
    def run(self) -> Checked:
        rs = self.rs
        for name, item in rs.items.items():
            d = item.decl
            if isinstance(d, A.Indicator):
                self.symbols.setdefault(name, []).append(
                    Symbol(name, "indicator", d.level, NUM, U.parse_unit(d.unit), d.by_stage))
            else:
                self.symbols.setdefault(name, []).append(Symbol(name, "conclusion", d.level, BOOL, None, d.by_stage))
        for ud in rs.unit_defs.values():
            self._expect(ud.decl.condition, Ctx(A.SCHOOL, False), BOOL, "学部的条件")
        for uf in rs.unit_fields.values():
            for stage, expr in uf.decl.by_stage:
                if stage not in rs.unit_defs and stage != "高中":
                    self.bag.error("E209", f"学段「{stage}」没有「学部」定义", expr.span,
                                   hint=f"先写:学部 {stage} 当 …")
                self._expect(expr, Ctx(A.SCHOOL, False), NUM, "学部字段")
        for se in rs.splits.values():
            self._check_split(se)
        for sc in rs.scopes.values():
            ctx = Ctx(sc.decl.target, sc.decl.target == A.UNIT)
            for cond in (*sc.decl.include, *sc.decl.exclude):
                self._current = set()
                self._expect(cond, ctx, BOOL, "范围条件")
        order = list(rs.items)
        for name, item in rs.items.items():
            self._current = set()
            if isinstance(item.decl, A.Indicator):
                self._check_indicator(item.decl)
            else:
                self._check_conclusion(item.decl, order)
            self.deps[name] = self._current
        topo = self._toposort(order)
        self.bag.raise_if_errors(RuleError)
        return Checked(rs, self.symbols, topo, self.item_types, self.item_dims, self.deps, self.bag.warnings)

    # ------------------------------------------------------------ declarations
    def _check_split(self, se: Entry[A.Split]) -> None:
        d = se.decl
        for item in d.items:
            f = self.rs.fields.get(item)
            if f is None or f.decl.entity != A.SCHOOL:
                self._undefined(item, d.span, "学校字段", list(self.rs.fields))
        if d.weight is None or d.weight not in self.rs.params:
            self._undefined(d.weight or "(未写权重)", d.span, "参数", list(self.rs.params))
        else:
            stages = {s for v in self.rs.params[d.weight].decl.values for s, _ in v.by_stage}
            missing = [s for s, _ in d.heads if s not in stages]
            if missing:
                self.bag.error("E206", f"拆分权重「{d.weight}」缺少学段 {'、'.join(missing)} 的值", d.span,
                               related=(Related(self.rs.params[d.weight].span, "权重参数的定义"),))
        for _stage, head in d.heads:
            if head not in self.rs.fields:
                self._undefined(head, d.span, "学校字段", list(self.rs.fields))
        if not d.heads:
            self.bag.error("E207", "拆分缺少「人数」子句", d.span, hint="写作:人数 小学 小学生数, 初中 初中生数")

    def _check_indicator(self, d: A.Indicator) -> None:
        ctx = Ctx(d.level, d.level == A.UNIT or d.by_stage)
        if d.by_stage and d.level != A.COUNTY:
            self.bag.error("E208", "只有县指标可以「分学段」", d.span, hint="学部指标本身已按学段计算")
        if d.calc is None:
            self.bag.error("E207", f"指标「{d.name}」缺少「计算」", d.span, hint="写作:计算 <式子>")
            return
        if d.requirement is None:
            self.bag.error("E207", f"指标「{d.name}」缺少「要求」", d.span, hint="写作:要求 不低于 <标准>")
        if d.scope is not None:
            sc = self.rs.scopes.get(d.scope)
            if sc is None:
                self._undefined(d.scope, d.span, "范围", list(self.rs.scopes))
            elif sc.decl.target != (A.UNIT if d.level == A.UNIT else A.SCHOOL) or d.level == A.COUNTY:
                self.bag.error("E208", f"范围「{d.scope}」适用于{sc.decl.target},不能用于{d.level}级指标", d.span,
                               related=(Related(sc.span, "范围的定义"),))
        t, dim = self._infer(d.calc, ctx)
        self.item_types[d.name] = t
        declared = U.parse_unit(d.unit)
        if declared is not None and dim is not None and declared != dim:
            self.bag.error("E203", f"指标「{d.name}」声明的单位「{d.unit}」与计算结果的单位「{U.show(dim)}」不一致",
                           d.calc.span, hint="检查计算式或「单位」子句")
        self.item_dims[d.name] = declared if declared is not None else dim
        if d.requirement is not None:
            self._check_requirement(d.requirement, ctx, t, self.item_dims[d.name], d)
        if d.keep is not None and t != NUM:
            self.bag.error("E204", "只有数值指标可以「保留 N 位小数」", d.span)

    def _check_requirement(self, req: A.Requirement, ctx: Ctx, t: str, dim: U.Dim | None, d: A.Indicator) -> None:
        if isinstance(req, A.ReqIf):
            self._expect(req.cond, ctx, BOOL, "要求的条件")
            self._check_requirement(req.then, ctx, t, dim, d)
            self._check_requirement(req.otherwise, ctx, t, dim, d)
            return
        tt, tdim = self._infer(req.threshold, ctx)
        if "?" in (tt, t):
            pass  # already reported where the unknown name is
        elif tt != t and not (t == STAGE and tt == TEXT):
            self.bag.error("E204", f"要求的类型({tt})与计算结果的类型({t})不一致", req.threshold.span,
                           hint="是否类指标写作:要求 为 是")
        elif t in (BOOL, TEXT) and req.op not in (A.Cmp.EQ, A.Cmp.NE):
            self.bag.error("E204", f"{t}类的值只能比较「为」,不能用「{req.word}」", req.span)
        if dim is not None and tdim is not None and dim != tdim:
            self.bag.error("E203", f"要求的单位「{U.show(tdim)}」与指标的单位「{U.show(dim)}」不一致",
                           req.threshold.span, hint="检查参数的「单位」或指标的计算式")

    def _check_conclusion(self, d: A.Conclusion, order: list[str]) -> None:
        if d.combo is None:
            self.bag.error("E207", f"结论「{d.name}」缺少「要求」", d.span, hint="写作:要求 所有 A、B 达标")
            return
        self.item_types[d.name] = BOOL
        self.item_dims[d.name] = None
        names = expand_ids(d.combo.items, order)
        for name, span in names:
            item = self.rs.items.get(name)
            if item is None:
                self._undefined(name, span, "指标或结论", list(self.rs.items))
                continue
            if name == d.name:
                self.bag.error("E205", f"结论「{name}」引用了自己", span)
                continue
            self._current.add(name)
            lvl = item.decl.level
            if LEVEL_RANK[lvl] > LEVEL_RANK[d.level]:
                self.bag.error("E208", f"{d.level}结论不能引用更高一级的{lvl}项目「{name}」", span)
            if d.combo.kind == "至少" and lvl != d.level:
                self.bag.error("E208", f"「至少 N 项」只能组合同一级的项目,「{name}」是{lvl}级", span)
            if d.combo.rest_ratio is not None:
                req = item.decl.requirement if isinstance(item.decl, A.Indicator) else None
                if not isinstance(req, A.ReqCompare) or req.op not in (A.Cmp.GE, A.Cmp.GT):
                    self.bag.error("E204", f"「其余不低于要求的 p%」要求「{name}」是「不低于/达到」类的数值要求", span,
                                   related=(Related(item.span, "该项目的定义"),))
        if d.combo.at_least is not None and d.combo.at_least > len(names):
            self.bag.error("E204", f"要求至少 {d.combo.at_least} 项,但只列出了 {len(names)} 项", d.combo.span)

    # ------------------------------------------------------------ expressions
    def _expect(self, expr: A.Expr, ctx: Ctx, want: str, what: str) -> None:
        t, _ = self._infer(expr, ctx)
        if t != want and t != "?":
            self.bag.error("E204", f"{what}应为{want},这里是{t}", expr.span)

    def _undefined(self, name: str, span: Span, what: str, candidates: list[str]) -> None:
        if name in self.rs.removed:
            layer, reason, where = self.rs.removed[name]
            self.bag.error("E201", f"「{name}」已被{layer}删除,这里仍在引用它", span,
                           hint=f"在{layer}的规则中同时修改引用它的项目(删除理由:{reason})",
                           related=(Related(where, f"{layer} 删除了「{name}」"),))
            return
        close = difflib.get_close_matches(name, candidates, n=3, cutoff=0.4)
        hint = f"是否想写:{'、'.join(close)}" if close else f"先声明这个{what}"
        self.bag.error("E201", f"未定义的{what}「{name}」", span, hint=hint)

    def _infer(self, e: A.Expr, ctx: Ctx) -> tuple[str, U.Dim | None]:
        if isinstance(e, A.Num):
            return NUM, None
        if isinstance(e, A.Text):
            return TEXT, None
        if isinstance(e, A.Bool):
            return BOOL, None
        if isinstance(e, A.StageLit):
            return STAGE, None
        if isinstance(e, A.Ref):
            return self._infer_ref(e, ctx)
        if isinstance(e, A.Neg):
            t, d = self._infer(e.operand, ctx)
            self._want(t, NUM, e.operand.span)
            return NUM, d
        if isinstance(e, A.BinOp):
            lt, ld = self._infer(e.left, ctx)
            rt, rd = self._infer(e.right, ctx)
            self._want(lt, NUM, e.left.span)
            self._want(rt, NUM, e.right.span)
            if e.op in "+-":
                if ld is not None and rd is not None and ld != rd:
                    self.bag.error("E203", f"单位不一致:「{U.show(ld)}」{e.op}「{U.show(rd)}」", e.span,
                                   hint="只有单位相同的量才能相加减")
                return NUM, ld if ld is not None else rd
            # A literal (or a quantity without a declared unit) counts as dimensionless here.
            if ld is None and rd is None:
                return NUM, None
            return NUM, U.multiply(ld or (), rd or (), 1 if e.op == "×" else -1)
        if isinstance(e, A.Compare):
            lt, ld = self._infer(e.left, ctx)
            rt, rd = self._infer(e.right, ctx)
            compatible = lt == rt or {lt, rt} == {STAGE, TEXT} or "?" in (lt, rt)
            if not compatible:
                self.bag.error("E204", f"不能比较{lt}与{rt}", e.span)
            elif lt in (BOOL, TEXT, STAGE) and e.op not in (A.Cmp.EQ, A.Cmp.NE):
                self.bag.error("E204", f"{lt}只能用「为」比较,不能用「{e.word}」", e.span)
            elif ld is not None and rd is not None and ld != rd:
                self.bag.error("E203", f"单位不一致:「{U.show(ld)}」与「{U.show(rd)}」不能比较", e.span)
            return BOOL, None
        if isinstance(e, A.In):
            t, _ = self._infer(e.operand, ctx)
            for o in e.options:
                ot, _ = self._infer(o, ctx)
                if ot != t and {ot, t} != {STAGE, TEXT} and "?" not in (ot, t):
                    self.bag.error("E204", f"「属于」的选项应为{t},这里是{ot}", o.span)
            return BOOL, None
        if isinstance(e, A.Logic):
            self._want(self._infer(e.left, ctx)[0], BOOL, e.left.span)
            self._want(self._infer(e.right, ctx)[0], BOOL, e.right.span)
            return BOOL, None
        if isinstance(e, A.Not):
            self._want(self._infer(e.operand, ctx)[0], BOOL, e.operand.span)
            return BOOL, None
        if isinstance(e, A.If):
            self._want(self._infer(e.cond, ctx)[0], BOOL, e.cond.span)
            tt, td = self._infer(e.then, ctx)
            ot, od = self._infer(e.otherwise, ctx)
            if tt != ot and "?" not in (tt, ot):
                self.bag.error("E204", f"「则」与「否则」的结果类型不同({tt} / {ot})", e.span)
            if td is not None and od is not None and td != od:
                self.bag.error("E203", f"「则」与「否则」的单位不同({U.show(td)} / {U.show(od)})", e.span)
            return tt, td if td is not None else od
        assert isinstance(e, A.Call)
        return self._infer_call(e, ctx)

    def _want(self, got: str, want: str, span: Span) -> None:
        if got != want and got != "?":
            self.bag.error("E204", f"此处应为{want},这里是{got}", span)

    def _infer_ref(self, e: A.Ref, ctx: Ctx) -> tuple[str, U.Dim | None]:
        sym = _lookup(self.symbols, e.name, ctx)
        if sym is None:
            lower = [s for s in self.symbols.get(e.name, []) if s.kind != "builtin"]
            if lower:
                self.bag.error("E208", f"「{e.name}」是{lower[0].level}级的量,在{ctx.level}级只能通过汇总函数使用",
                               e.span, hint=f"例如:合计({lower[0].level}: {e.name})")
            else:
                visible = [n for n, ss in self.symbols.items() if _lookup(self.symbols, n, ctx)]
                self._undefined(e.name, e.span, "名称", visible)
            return "?", None
        if sym.kind == "param" and sym.by_stage and not ctx.staged:
            self.bag.error("E206", f"参数「{e.name}」按学段取值,但{ctx.level}级的行没有学段", e.span,
                           hint="在学部指标中使用,或给县指标加上「分学段」")
        if sym.kind in ("indicator", "conclusion"):
            self._current.add(e.name)
            if sym.kind == "indicator" and sym.by_stage and not ctx.staged:
                self.bag.error("E206", f"「{e.name}」是分学段的县指标,这里的行没有学段", e.span)
            return self.item_types.get(e.name, NUM if sym.kind == "indicator" else BOOL), \
                self.item_dims.get(e.name, sym.dim)
        return sym.type, sym.dim

    def _infer_call(self, e: A.Call, ctx: Ctx) -> tuple[str, U.Dim | None]:
        if e.func in SCALAR_FUNCS and not (e.func in AGGREGATES and (e.entity or len(e.args) == 1)):
            want = SCALAR_FUNCS[e.func]
            if (want > 0 and len(e.args) != want) or (want < 0 and len(e.args) < -want):
                self.bag.error("E204", f"函数「{e.func}」的参数个数不对", e.span)
            dims = [self._infer(a, ctx) for a in e.args]
            for (t, _), a in zip(dims, e.args, strict=True):
                self._want(t, NUM, a.span)
            return NUM, next((d for _, d in dims if d is not None), None)
        if e.func not in AGGREGATES:
            close = difflib.get_close_matches(e.func, sorted(AGGREGATES | set(SCALAR_FUNCS)), n=3, cutoff=0.3)
            self.bag.error("E210", f"未知的函数「{e.func}」", e.span,
                           hint=f"是否想写:{'、'.join(close)}" if close else "可用的函数见 docs/LANGUAGE.md")
            return "?", None
        child = e.entity or self._guess_child(e, ctx)
        if child is None:
            return "?", None
        if LEVEL_RANK[child] >= LEVEL_RANK[ctx.level]:
            self.bag.error("E208", f"汇总函数「{e.func}」只能汇总比{ctx.level}更低一级的行,这里是{child}", e.span)
            return "?", None
        if ctx.staged and ctx.level == A.COUNTY and child == A.SCHOOL:
            self.bag.error("E208", f"分学段的县指标只能汇总学部,「{e.func}」这里汇总的是学校", e.span,
                           hint=f"写作 {e.func}(学部: …),或去掉「分学段」")
            return "?", None
        cctx = Ctx(child, child == A.UNIT)
        if e.scope is not None:
            sc = self.rs.scopes.get(e.scope)
            if sc is None:
                self._undefined(e.scope, e.span, "范围", list(self.rs.scopes))
            elif sc.decl.target != child:
                self.bag.error("E208", f"范围「{e.scope}」适用于{sc.decl.target},这里汇总的是{child}", e.span)
        if e.where is not None:
            self._want(self._infer(e.where, cctx)[0], BOOL, e.where.span)
        if e.func in ("计数", "比例", "所有", "任一"):
            if len(e.args) != 1:
                self.bag.error("E204", f"「{e.func}」需要一个条件,例如 {e.func}(学校: 有章程 为 是)", e.span)
                return NUM if e.func in ("计数", "比例") else BOOL, None
            self._want(self._infer(e.args[0], cctx)[0], BOOL, e.args[0].span)
            return (NUM, None) if e.func in ("计数", "比例") else (BOOL, None)
        if len(e.args) != 1:
            self.bag.error("E204", f"「{e.func}」需要一个数值参数", e.span)
            return NUM, None
        t, d = self._infer(e.args[0], cctx)
        self._want(t, NUM, e.args[0].span)
        if e.func == "差异系数":
            if e.weight is None and _lookup(self.symbols, "学生数", cctx) is None:
                self.bag.error("E204", "「差异系数」需要权重", e.span, hint="写作:差异系数(学部: R1, 权重 学生数)")
            if e.weight is not None:
                self._want(self._infer(e.weight, cctx)[0], NUM, e.weight.span)
            return NUM, ()
        if e.weight is not None and e.func != "平均":
            self.bag.error("E204", f"「{e.func}」不接受权重", e.weight.span)
        elif e.weight is not None:
            self._want(self._infer(e.weight, cctx)[0], NUM, e.weight.span)
        return NUM, d

    def _guess_child(self, e: A.Call, ctx: Ctx) -> str | None:
        """The level an aggregate runs over when not written: the lowest level it names."""
        best: str | None = None
        for node in (n for a in (*e.args, *(x for x in (e.weight, e.where) if x)) for n in walk(a)):
            if isinstance(node, A.Ref):
                for sym in self.symbols.get(node.name, []):
                    if sym.kind in ("param", "builtin"):
                        continue
                    if best is None or LEVEL_RANK[sym.level] < LEVEL_RANK[best]:
                        best = sym.level
        if best is None or LEVEL_RANK[best] >= LEVEL_RANK[ctx.level]:
            self.bag.error("E204", f"无法确定「{e.func}」汇总的是学部还是学校", e.span,
                           hint=f"写作:{e.func}(学校: …) 或 {e.func}(学部: …)")
            return None
        return best

    # ------------------------------------------------------------ order
    def _toposort(self, order: list[str]) -> list[str]:
        state: dict[str, int] = {}
        out: list[str] = []
        stack: list[str] = []

        def visit(n: str) -> None:
            if state.get(n) == 2:
                return
            if state.get(n) == 1:
                cycle = [*stack[stack.index(n):], n]
                item = self.rs.items[n]
                self.bag.error("E205", f"循环依赖:{' → '.join(cycle)}", item.decl.span,
                               hint="指标之间不能互相引用成环")
                return
            state[n] = 1
            stack.append(n)
            for dep in sorted(self.deps.get(n, ()), key=order.index):
                if dep in self.rs.items:
                    visit(dep)
            stack.pop()
            state[n] = 2
            out.append(n)

        for n in order:
            visit(n)
        return out
