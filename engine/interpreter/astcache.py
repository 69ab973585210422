"""A data-only encoding of the AST for the parse cache: JSON, decoded only into AST classes.

Unlike pickle, a planted cache file can at worst fail to decode (and is then re-parsed); it
can never run code.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from enum import Enum
from fractions import Fraction
from typing import Any

import orjson

from engine.interpreter import ast as A
from engine.interpreter.errors import Span

_CLASSES: dict[str, type] = {
    name: obj for name, obj in vars(A).items()
    if isinstance(obj, type) and dataclasses.is_dataclass(obj)
}
_CLASSES["Span"] = Span


# Compact tagged lists: [tag, ...]. Nodes are positional ("n", class, *fields), which decodes
# several times faster than keyword dicts; the cache key covers ast.py and this module, so a
# changed field list never meets an old file.


def encode(node: Any) -> Any:
    """AST → JSON-ready data."""
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        return ["n", type(node).__name__, *(encode(getattr(node, f.name)) for f in dataclasses.fields(node))]
    if isinstance(node, tuple):
        return ["t", *(encode(x) for x in node)]
    if isinstance(node, list):
        return ["l", *(encode(x) for x in node)]
    if isinstance(node, Fraction):
        return ["f", node.numerator, node.denominator]
    if isinstance(node, date):
        return ["d", node.isoformat()]
    if isinstance(node, Enum):
        return ["c", node.name]
    return node


_SCALARS = (str, int, float, bool, type(None))


def decode(data: Any) -> Any:
    """JSON data → AST; raises ValueError (or TypeError/KeyError) on anything not an AST shape."""
    if type(data) is not list:
        if isinstance(data, _SCALARS):
            return data
        raise ValueError("unexpected value")
    tag = data[0]
    if tag == "n":
        cls = _CLASSES[data[1]]
        return cls(*[decode(x) for x in data[2:]])
    if tag == "t":
        return tuple([decode(x) for x in data[1:]])
    if tag == "l":
        return [decode(x) for x in data[1:]]
    if tag == "f":
        return Fraction(int(data[1]), int(data[2]))
    if tag == "d":
        return date.fromisoformat(str(data[1]))
    if tag == "c":
        return A.Cmp[str(data[1])]
    raise ValueError("unknown tag")


def dumps(rule_file: A.RuleFile) -> bytes:
    return orjson.dumps(encode(rule_file))


def loads(raw: bytes) -> A.RuleFile:
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ValueError(str(exc)) from None
    result = decode(data)
    if not isinstance(result, A.RuleFile):
        raise ValueError("not a rule file")
    return result
