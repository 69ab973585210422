"""How numbers read in Chinese output: thousands separators, %, units, exact decimal strings."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from engine.interpreter.exact import Unknown, Value


def _decimal(x: Fraction, places: int) -> Decimal:
    q = Decimal(1).scaleb(-places)
    return (Decimal(x.numerator) / Decimal(x.denominator)).quantize(q, rounding=ROUND_HALF_UP)


def fmt_number(x: Fraction | float, unit: str | None = None, places: int | None = None, trim: bool = False) -> str:
    """4280 → 4,280; 4.28 → 4.28; 0.9 → 0.90; 0.412345 → 0.412; with unit "%" 0.095 → 9.50%."""
    if isinstance(x, float):
        if math.isnan(x) or math.isinf(x):
            return "—" if math.isnan(x) else ("∞" if x > 0 else "-∞")
        if abs(x) >= 1e15:
            return f"{x:.6g}"
        x = Fraction(Decimal(repr(x)))
    if abs(x) >= 10**15:
        return f"{float(x):.6g}"
    if unit == "%":
        return f"{fmt_number(x * 100, None, None if trim else (2 if places is None else places), trim)}%"
    if trim and places is None:
        # a threshold as the author wrote it: 4.2, 0.50 → 0.5, 2,000
        text = format(_decimal(x, 6).normalize(), ",f")
        return text
    if places is None:
        if x.denominator == 1:
            # no separators for bare integers without a unit: years (2016), codes
            return f"{x.numerator:,}" if unit is not None or abs(x.numerator) >= 10000 else str(x.numerator)
        places = 2 if abs(x) >= 1 else 3
        text = f"{_decimal(x, places):,}"
        while places > 2 and text.endswith("0"):
            text, places = text[:-1], places - 1
        return text
    return f"{_decimal(x, places):,}"


def fmt_value(v: Value | None, unit: str | None = None, with_unit: bool = True, trim: bool = False) -> str:
    """A traced value for people: numbers with units, 是/否, text, or why it is unknown."""
    if v is None:
        return "—"
    if isinstance(v, Unknown):
        return "数据缺失" if v.status != 3 else "不适用"
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, str):
        return v
    text = fmt_number(v, unit, trim=trim)
    if with_unit and unit and unit != "%":
        return f"{text} {unit}"
    return text


def fmt_result(v: Value | None, unit: str | None = None) -> str:
    """A computed indicator value: two decimals (three below 1), 5 → 5.00, 0.4123 → 0.412."""
    if isinstance(v, Fraction) and unit != "%":
        if v.denominator == 1 and (unit is None or "/" not in unit):
            text = f"{v.numerator:,}"  # a count or an amount: 52 人, 2 间
        elif abs(v) >= 1 or v == 0:
            text = fmt_number(v, None, 2)
        else:
            text = fmt_number(v)  # 0.85, 0.412
        return f"{text} {unit}" if unit else text
    return fmt_value(v, unit)


def exact_string(x: float | Fraction | None, places: int = 6) -> str | None:
    """A value for JSON: a decimal string, at most `places` decimals, no float noise."""
    if x is None:
        return None
    if isinstance(x, float):
        if math.isnan(x) or math.isinf(x):
            return None
        if abs(x) >= 1e15:
            return format(Decimal(repr(x)).normalize(), "f")  # beyond any real quantity: no quantizing
        d = Decimal(repr(x))
    else:
        d = Decimal(x.numerator) / Decimal(x.denominator)
    d = d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP).normalize()
    text = format(d, "f")
    return "0" if text in ("-0", "") else text
