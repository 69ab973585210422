"""What every endpoint shares: the app's state, running work under the limits, turning it into a response."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from engine.interpreter.errors import JunhengError
from engine.service.errors import ServiceError, from_engine
from engine.service.limits import Limits, Runner
from engine.service.registry import Registry, RuleSetInfo

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Workbook:
    """An .xlsx answer and the name it is offered under."""

    data: bytes
    filename: str


@dataclass(frozen=True)
class Services:
    """The app's only shared state: the rule registry (swapped atomically) and the worker pool."""

    registry: Registry
    runner: Runner
    limits: Limits


def services(request: Request) -> Services:
    return request.app.state.services  # type: ignore[no-any-return]


def today() -> date:
    return date.today()


async def answer(request: Request, info: RuleSetInfo | None, day: date, work: Callable[[], Any]) -> Response:
    """Run `work` in the pool under the time limit; engine errors become JSON errors naming the rules."""
    context = ({"规则集": info.name, "内容哈希": info.digest, "评估日期": day.isoformat()} if info
               else {"评估日期": day.isoformat()})

    def guarded() -> Any:
        try:
            return work()
        except JunhengError as exc:
            raise from_engine(exc, context) from None

    try:
        result = await services(request).runner.run(guarded)
    except ServiceError as exc:
        for key, value in context.items():
            exc.context.setdefault(key, value)
        raise
    if isinstance(result, Workbook):
        return workbook_response(result, info, day)
    return JSONResponse(result)


def workbook_response(book: Workbook, info: RuleSetInfo | None, day: date) -> Response:
    """An .xlsx download; the rule set, its hash and the date travel in headers (and in its 说明 sheet)."""
    headers = {"Content-Disposition": f"attachment; filename=\"junheng.xlsx\"; filename*=UTF-8''{quote(book.filename)}",
               "X-Junheng-Date": day.isoformat()}
    if info is not None:
        headers["X-Junheng-Ruleset"] = quote(info.name)
        headers["X-Junheng-Digest"] = info.digest
    return Response(book.data, media_type=XLSX, headers=headers)
