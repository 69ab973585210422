"""Errors as JSON: a code, a Chinese message, where it happened, and every diagnostic.

Every error body has the same shape (see docs/SERVICE.md):

    {"规则集": …, "内容哈希": …, "评估日期": …,
     "错误": {"代码": "E401", "消息": "…", "位置": {…} | null, "提示": "…" | null},
     "诊断": [ … every diagnostic, as `junheng check --format json` prints them … ]}
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from engine.interpreter.errors import Diagnostic, FactsError, JunhengError, RuleError, UsageError
from engine.render.diagnostics import diagnostics_json

#: HTTP status for the engine's own usage errors, by code.
_USAGE_STATUS = {"E502": 404, "E503": 404, "E504": 404}


def size_text(n: int) -> str:
    """A byte count for messages: 20 MB, 512 KB, 900 字节."""
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.3g} MB"
    if n >= 1024:
        return f"{n / 1024:.3g} KB"
    return f"{n} 字节"


class ServiceError(Exception):
    """An error the service reports on purpose, with its HTTP status."""

    def __init__(self, status: int, code: str, message: str, location: dict[str, Any] | None = None,
                 hint: str | None = None, diagnostics: Sequence[Diagnostic] = (),
                 context: dict[str, Any] | None = None) -> None:
        super().__init__(f"{code} {message}")
        self.status = status
        self.code = code
        self.message = message
        self.location = location
        self.hint = hint
        self.diagnostics = list(diagnostics)
        self.context = context or {}

    def body(self) -> dict[str, Any]:
        """The JSON error document."""
        doc: dict[str, Any] = {"规则集": None, "内容哈希": None, "评估日期": None}
        doc.update(self.context)
        doc["错误"] = {"代码": self.code, "消息": self.message, "位置": self.location, "提示": self.hint}
        doc["诊断"] = diagnostics_doc(self.diagnostics)
        return doc


def diagnostics_doc(diags: Sequence[Diagnostic]) -> list[dict[str, object]]:
    """Diagnostics as JSON; a record of a JSON request is located by its JSON path."""
    out = diagnostics_json(list(diags))
    for item in out:
        loc = item.get("位置")
        if isinstance(loc, dict) and str(loc.get("文件", "")).startswith("$"):
            item["位置"] = {"JSON路径": loc["文件"]}
    return out


def from_engine(exc: JunhengError, context: dict[str, Any] | None = None) -> ServiceError:
    """An engine error (rules, facts, usage) → a ServiceError led by its first diagnostic."""
    first = exc.diagnostics[0] if exc.diagnostics else Diagnostic("E500", "错误")
    if isinstance(exc, FactsError):
        status = 422
    elif isinstance(exc, UsageError):
        status = _USAGE_STATUS.get(first.code, 400)
    elif isinstance(exc, RuleError):
        status = 422
    else:
        status = 400
    location = diagnostics_doc([first])[0].get("位置")
    return ServiceError(status, first.code, first.message, location,  # type: ignore[arg-type]
                        first.hint, exc.diagnostics, context)


#: pydantic error types → Chinese.
_PYDANTIC = {
    "missing": "缺少此项", "string_type": "应为文字", "list_type": "应为列表", "dict_type": "应为对象",
    "model_type": "应为对象", "model_attributes_type": "应为对象", "date_type": "应为日期(YYYY-MM-DD)",
    "date_parsing": "应为日期(YYYY-MM-DD)", "date_from_datetime_parsing": "应为日期(YYYY-MM-DD)",
    "date_from_datetime_inexact": "应为日期(YYYY-MM-DD)", "json_invalid": "不是有效的 JSON",
    "string_too_long": "太长", "string_too_short": "不能为空", "too_long": "条目太多", "too_short": "条目太少",
    "literal_error": "取值不在允许范围内", "enum": "取值不在允许范围内", "extra_forbidden": "不认识的项",
    "bool_type": "应为 true 或 false", "bool_parsing": "应为 true 或 false", "int_type": "应为整数",
    "int_parsing": "应为整数", "value_error": "取值不合法", "string_pattern_mismatch": "格式不对",
    "date_future": "日期不合法", "date_past": "日期不合法",
}


def validation_error(errors: Sequence[Any], form: bool = False) -> ServiceError:
    """FastAPI's request validation errors → E703 with the JSON path (or form field) of the first one."""
    items: list[tuple[str, str]] = []
    for err in errors:
        loc = tuple(err.get("loc", ()))
        what = _PYDANTIC.get(str(err.get("type", "")), "不符合要求")
        items.append((_where(loc, form), what))
    if not items:
        items.append(("$", "不符合要求"))
    where, what = items[0]
    more = f"(另有 {len(items) - 1} 处问题)" if len(items) > 1 else ""
    diags = [Diagnostic("E703", f"{w}:{m}") for w, m in items[:50]]
    location: dict[str, Any] = {"JSON路径": where} if where.startswith("$") else {"参数": where}
    return ServiceError(422, "E703", f"请求内容不符合要求:{where} {what}{more}", location,
                        "请对照 /docs 中的接口说明检查请求", diags)


def _where(loc: tuple[Any, ...], form: bool = False) -> str:
    """A pydantic location → $.schools[3].学校名称 for a JSON body, or the field's or parameter's name."""
    if not loc:
        return "$"
    head, rest = loc[0], loc[1:]
    if head == "body" and form:
        return "表单字段 " + ".".join(str(p) for p in rest)
    if head == "body":
        path = "$"
        for part in rest:
            path += f"[{part}]" if isinstance(part, int) else f".{part}"
        return path
    kind = {"query": "查询参数", "path": "路径参数", "header": "请求头", "cookie": "Cookie"}.get(str(head), "参数")
    return f"{kind} " + ".".join(str(p) for p in rest)
