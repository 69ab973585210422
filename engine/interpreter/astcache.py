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


def encode(node: Any) -> Any:
    """AST → JSON-ready data."""
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        return {"_t": type(node).__name__, **{f.name: encode(getattr(node, f.name)) for f in dataclasses.fields(node)}}
    if isinstance(node, tuple):
        return {"_tuple": [encode(x) for x in node]}
    if isinstance(node, Fraction):
        return {"_frac": [node.numerator, node.denominator]}
    if isinstance(node, date):
        return {"_date": node.isoformat()}
    if isinstance(node, Enum):
        return {"_cmp": node.name}
    return node


def decode(data: Any) -> Any:
    """JSON data → AST; raises ValueError on anything that is not an AST shape."""
    if isinstance(data, list):
        return [decode(x) for x in data]
    if not isinstance(data, dict):
        if data is None or isinstance(data, str | int | float | bool):
            return data
        raise ValueError("unexpected value")
    if "_tuple" in data:
        return tuple(decode(x) for x in data["_tuple"])
    if "_frac" in data:
        num, den = data["_frac"]
        return Fraction(int(num), int(den))
    if "_date" in data:
        return date.fromisoformat(str(data["_date"]))
    if "_cmp" in data:
        return A.Cmp[str(data["_cmp"])]
    cls = _CLASSES.get(str(data.get("_t")))
    if cls is None:
        raise ValueError("unknown node")
    return cls(**{k: decode(v) for k, v in data.items() if k != "_t"})


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
