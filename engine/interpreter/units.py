"""Units of measure as dimensions: ㎡/人, 元/人, 人/百名学生 … → {atom: exponent}.

Only the dimension is checked (㎡ + 人 is an error); scale words are conventions of the
texts (每百名学生, 万元) and are the formula's business (× 100, × 10000).
"""

from __future__ import annotations

import functools
import re

Dim = tuple[tuple[str, int], ...]  # sorted (atom, exponent) pairs; () is dimensionless

_ALIASES = {
    "人": "人", "名": "人", "名学生": "人", "百名学生": "人", "学生": "人", "生": "人", "名教师": "人", "人次": "人",
    "㎡": "㎡", "m2": "㎡", "m²": "㎡", "平方米": "㎡",
    "元": "元", "万元": "元", "千元": "元",
    "间": "间", "班": "班", "个": "个", "所": "所", "册": "册", "台": "台", "学时": "学时", "年": "年",
}
_DIMENSIONLESS = {"", "%", "‰", "1", "比例", "倍"}


@functools.lru_cache(maxsize=1024)  # the same few unit texts recur in every rule set
def parse_unit(text: str | None) -> Dim | None:
    """A unit text → its dimension, or None when the text is not understood (never checked)."""
    if text is None:
        return None
    num, _, den = text.strip().partition("/")
    exps: dict[str, int] = {}
    for part, sign in ((num, 1), (den, -1)):
        for atom in filter(None, re.split(r"[·*×]", part)):
            atom = atom.strip()
            if atom in _DIMENSIONLESS:
                continue
            base = _ALIASES.get(atom)
            if base is None:
                return None
            exps[base] = exps.get(base, 0) + sign
    return normalize(exps)


def normalize(exps: dict[str, int]) -> Dim:
    return tuple(sorted((k, v) for k, v in exps.items() if v != 0))


def multiply(a: Dim, b: Dim, sign: int = 1) -> Dim:
    exps = dict(a)
    for k, v in b:
        exps[k] = exps.get(k, 0) + sign * v
    return normalize(exps)


def show(d: Dim) -> str:
    """A dimension for messages: ㎡/人, 人, 无量纲."""
    if not d:
        return "无量纲"
    num = "·".join(k if v == 1 else f"{k}^{v}" for k, v in d if v > 0) or "1"
    den = "·".join(k if v == -1 else f"{k}^{-v}" for k, v in d if v < 0)
    return f"{num}/{den}" if den else num
