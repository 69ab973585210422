"""Limits: request size (413), a time limit per request (504), bounded concurrency (503).

Work runs in a fixed pool of threads. A request waits for a thread at most until its time
limit; a request that runs past its limit is answered 504 at once and its thread finishes
in the background (Python cannot stop a thread), still holding its place in the pool, so
runaway work can never grow the number of threads.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from engine.service.errors import ServiceError, size_text

T = TypeVar("T")
MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """The service's limits; every one can be set when the app is made (`junheng serve` options)."""

    max_request_bytes: int = 10 * MB  # a JSON request body
    max_upload_bytes: int = 20 * MB  # a multipart request (all its files together)
    max_unzipped_bytes: int = 200 * MB  # an uploaded .xlsx, unpacked
    timeout_seconds: float = 30.0
    workers: int = 4
    max_waiting: int = 32  # requests waiting for a thread beyond this are refused with 503


class Runner:
    """Runs blocking work in the pool under the time limit; refuses work when too much waits."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self._pool = ThreadPoolExecutor(max_workers=limits.workers, thread_name_prefix="junheng")
        self._pending = 0
        self._lock = threading.Lock()

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        with self._lock:
            if self._pending >= self.limits.workers + self.limits.max_waiting:
                raise ServiceError(503, "E706", "服务繁忙:正在处理的请求太多,请稍后再试")
            self._pending += 1
        future = self._pool.submit(fn, *args)
        future.add_done_callback(self._done)
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), self.limits.timeout_seconds)
        except TimeoutError:
            future.cancel()  # only takes effect if it had not started
            raise ServiceError(504, "E702", f"处理超时:超过了 {self.limits.timeout_seconds:g} 秒的时间限制",
                               hint="数据量很大时请分县提交,或请管理员调高时间限制") from None

    def _done(self, _future: object) -> None:
        with self._lock:
            self._pending -= 1

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


class _TooLarge(Exception):
    pass


def _too_large(limit: int, upload: bool) -> bytes:
    what = "上传的文件" if upload else "请求内容"
    err = ServiceError(413, "E701", f"{what}太大:不能超过 {size_text(limit)}",
                       hint="请只上传本县的学校表和县区表;数据很多时可分县提交")
    return json.dumps(err.body(), ensure_ascii=False).encode("utf-8")


class BodyLimitMiddleware:
    """ASGI middleware: refuse bodies over the limit, by Content-Length or while they stream in."""

    def __init__(self, app: Callable[..., Awaitable[None]], limits: Limits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: dict[str, Any], receive: Callable[[], Awaitable[dict[str, Any]]],
                       send: Callable[[dict[str, Any]], Awaitable[None]]) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        upload = headers.get(b"content-type", b"").lower().startswith(b"multipart/")
        limit = self.limits.max_upload_bytes if upload else self.limits.max_request_bytes
        length = headers.get(b"content-length")
        if length is not None and (not length.strip().isdigit() or int(length) > limit):
            await _reply(send, _too_large(limit, upload))
            return
        seen = 0
        over = False
        started = False

        async def limited_receive() -> dict[str, Any]:
            nonlocal seen, over
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    over = True
                    raise _TooLarge()
            return message

        async def guarded_send(message: dict[str, Any]) -> None:
            nonlocal started
            if over:
                return  # whatever the app says about a body we stopped reading is replaced below
            started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except _TooLarge:
            pass
        if over and not started:
            await _reply(send, _too_large(limit, upload))


async def _reply(send: Callable[[dict[str, Any]], Awaitable[None]], body: bytes, status: int = 413) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json; charset=utf-8"),
                            (b"content-length", str(len(body)).encode()), (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
