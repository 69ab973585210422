"""AST → rule-language text: formulas in explanations, with or without numbers put in."""

from __future__ import annotations

from collections.abc import Callable

from engine.interpreter import ast as A

_PREC = {"或": 1, "且": 2, "cmp": 4, "+": 5, "-": 5, "×": 6, "÷": 6}

Subst = Callable[[A.Expr], str | None]


def expr_text(e: A.Expr, subst: Subst | None = None) -> str:
    """Print an expression; `subst` may replace a node (e.g. a name by its value)."""
    return _p(e, subst, 0)


def _p(e: A.Expr, subst: Subst | None, parent: int) -> str:
    if subst is not None:
        replaced = subst(e)
        if replaced is not None:
            return replaced
    if isinstance(e, A.Num):
        return e.text
    if isinstance(e, A.Text):
        return f'"{e.value}"'
    if isinstance(e, A.Bool):
        return "是" if e.value else "否"
    if isinstance(e, A.StageLit):
        return e.stage
    if isinstance(e, A.Ref):
        return e.name
    if isinstance(e, A.Neg):
        return "-" + _p(e.operand, subst, 7)
    if isinstance(e, A.BinOp):
        prec = _PREC[e.op]
        # the right operand of an equal-precedence operator keeps its parentheses, so the text
        # parses back to the same tree: a + (b + c) stays as written
        text = f"{_p(e.left, subst, prec)} {e.op} {_p(e.right, subst, prec + 1)}"
        return f"({text})" if prec < parent else text
    if isinstance(e, A.Compare):
        prec = _PREC["cmp"]
        text = f"{_p(e.left, subst, prec + 1)} {e.word} {_p(e.right, subst, prec + 1)}"
        return f"({text})" if prec < parent else text
    if isinstance(e, A.In):
        opts = ", ".join(_p(o, subst, 0) for o in e.options)
        word = "不属于" if e.negate else "属于"
        return f"{_p(e.operand, subst, 5)} {word} ({opts})"
    if isinstance(e, A.Logic):
        prec = _PREC[e.op]
        text = f"{_p(e.left, subst, prec)} {e.op} {_p(e.right, subst, prec + 1)}"
        return f"({text})" if prec < parent else text
    if isinstance(e, A.Not):
        return "非 " + _p(e.operand, subst, 3)
    if isinstance(e, A.If):
        text = f"若 {_p(e.cond, subst, 0)} 则 {_p(e.then, subst, 0)} 否则 {_p(e.otherwise, subst, 0)}"
        return f"({text})" if parent > 0 else text
    assert isinstance(e, A.Call)
    parts = [_p(a, subst, 0) for a in e.args]
    if e.weight is not None:
        parts.append("权重 " + _p(e.weight, subst, 0))
    if e.where is not None:
        parts.append("当 " + _p(e.where, subst, 0))
    if e.scope is not None:
        parts.append("范围 " + e.scope)
    head = f"{e.entity}: " if e.entity else ""
    return f"{e.func}({head}{', '.join(parts)})"


def requirement_text(req: A.Requirement, subst: Subst | None = None) -> str:
    """A requirement as written: 达到 高学历教师标准 以上 / 不超过 2000 / 若 … 则 … 否则 …."""
    if isinstance(req, A.ReqIf):
        return (f"若 {expr_text(req.cond, subst)} 则 {requirement_text(req.then, subst)} "
                f"否则 {requirement_text(req.otherwise, subst)}")
    threshold = expr_text(req.threshold, subst)
    word = req.word
    if "…" in word:
        first, last = word.split("…")
        return f"{first} {threshold} {last}"
    if word in ("以上", "以下", "以内"):
        return f"{threshold} {word}"
    return f"{word} {threshold}"
