"""The FastAPI application: rule sets compiled at start-up, the /v1 API, the web page at /."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from engine.service import routes, upload_routes
from engine.service.common import Services
from engine.service.errors import ServiceError, validation_error
from engine.service.limits import BodyLimitMiddleware, Limits, Runner
from engine.service.registry import Registry

STATIC = Path(__file__).resolve().parent / "static"
log = logging.getLogger("junheng.service")

DESCRIPTION = """均衡(junheng)规则引擎的 HTTP 接口:按规则集评估县域义务教育优质均衡发展督导评估数据,
解释某校为何达标或未达标,比较两个规则集,检查规则文件。每个响应都带「规则集」「内容哈希」「评估日期」,
错误为 JSON,带代码、中文消息和位置。网页界面在 / 。"""

_HTTP_CODES = {404: ("E707", "没有这个地址"), 405: ("E708", "不支持这种请求方法"),
               400: ("E703", "请求格式不正确"), 415: ("E704", "不支持的内容类型")}


def create_app(rules_dir: Path | None = None, limits: Limits | None = None) -> FastAPI:
    """The service app. Compiles every rule set under `rules_dir` (default: the bundled packs) now;
    a rule error raises RuleError here, before anything is served."""
    limits = limits or Limits()
    registry = Registry(Path(rules_dir) if rules_dir is not None else None)
    runner = Runner(limits)
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        runner.shutdown()

    app = FastAPI(title="均衡 junheng 服务", version="1", description=DESCRIPTION, lifespan=lifespan)
    app.state.services = Services(registry, runner, limits)
    app.include_router(routes.router)
    app.include_router(upload_routes.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    _handlers(app)

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html; charset=utf-8")

    @app.get("/v1/health", summary="健康检查")
    def health() -> dict[str, Any]:
        return {"状态": "正常", "规则集数": len(registry.snapshot.sets)}

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        if request.url.path == "/" or request.url.path.startswith("/static/"):
            response.headers.setdefault("Content-Security-Policy",
                                        "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'")
        return response

    app.add_middleware(BodyLimitMiddleware, limits=limits)  # type: ignore[arg-type]
    return app


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def service_error(_request: Request, exc: ServiceError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        form = request.headers.get("content-type", "").startswith(("multipart/", "application/x-www-form-urlencoded"))
        err = validation_error(exc.errors(), form)
        return JSONResponse(err.body(), status_code=err.status)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code, message = _HTTP_CODES.get(exc.status_code, ("E700", "请求无法处理"))
        err = ServiceError(exc.status_code, code, message)
        return JSONResponse(err.body(), status_code=exc.status_code, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def internal(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("内部错误", exc_info=exc)
        err = ServiceError(500, "E700", "内部错误:这是 junheng 的缺陷,请把请求内容报告给维护者")
        return JSONResponse(err.body(), status_code=500)
