"""Whether two formulas mean the same: equal text, or sympy proves their difference is zero.

Shared by the layer stage (a rewritten formula is not a relaxation) and the diff stage.
sympy is imported on first use only, so loading rules stays fast when nothing needs it.
"""

from __future__ import annotations

from typing import Any

from engine.interpreter import ast as A
from engine.interpreter.printer import expr_text


def to_sympy(e: A.Expr) -> Any:
    """An arithmetic expression as a sympy expression; other parts become opaque symbols."""
    import sympy

    if isinstance(e, A.Num):
        return sympy.Rational(e.value.numerator, e.value.denominator)
    if isinstance(e, A.Ref):
        return sympy.Symbol(e.name)
    if isinstance(e, A.Neg):
        return -to_sympy(e.operand)
    if isinstance(e, A.BinOp):
        a, b = to_sympy(e.left), to_sympy(e.right)
        return {"+": a + b, "-": a - b, "×": a * b, "÷": a / b}[e.op]
    if isinstance(e, A.Call):
        inner = [to_sympy(x) for x in e.args]
        extras = [sympy.Symbol("权重:" + expr_text(e.weight))] if e.weight is not None else []
        extras += [sympy.Symbol("当:" + expr_text(e.where))] if e.where is not None else []
        extras += [sympy.Symbol("范围:" + e.scope)] if e.scope else []
        return sympy.Function(f"{e.func}[{e.entity or ''}]")(*inner, *extras)
    return sympy.Symbol("«" + expr_text(e) + "»")


def same_meaning(a: A.Expr | None, b: A.Expr | None) -> bool:
    """Whether two formulas compute the same thing (a×100÷b and 100×a÷b do)."""
    if a is None or b is None:
        return a is b
    if expr_text(a) == expr_text(b):
        return True
    import sympy

    try:
        return bool(sympy.simplify(to_sympy(a) - to_sympy(b)) == 0)
    except (TypeError, ValueError, ZeroDivisionError, sympy.SympifyError):
        return False
