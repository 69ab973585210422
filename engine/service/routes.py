"""The JSON endpoints (/v1/…): rule sets, reload, evaluate, explain, remedies, diff, check."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from engine.interpreter import field_specs
from engine.interpreter.errors import RuleError
from engine.service import operations as ops
from engine.service import remedies
from engine.service.check import check_doc
from engine.service.common import XLSX, Workbook, answer, services, today
from engine.service.errors import ServiceError, diagnostics_doc
from engine.service.explain import Target, explain_doc
from engine.service.models import CheckBody, DiffBody, EvaluateBody, ExplainBody, RemediesBody
from engine.service.registry import RuleSetInfo
from engine.service.uploads import facts_from_records

router = APIRouter(prefix="/v1")

ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"description": text} for code, text in [
        (404, "规则集、学校、县区或指标不存在"), (413, "请求或上传太大"), (422, "请求或数据有错误(带位置)"),
        (503, "服务繁忙"), (504, "处理超时")]}
XLSX_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/json": {}, XLSX: {}}, "description": "JSON 文档,或 format=xlsx 时的 Excel 工作簿"}}


def listing(request: Request) -> dict[str, Any]:
    snap = services(request).registry.snapshot
    limits = services(request).limits
    return {"规则集": None, "内容哈希": None, "评估日期": today().isoformat(),
            "规则集列表": [ops.ruleset_doc(i) for i in snap.sets.values()], "默认规则集": _default(snap.sets),
            "整改": remedies.available(),
            "限制": {"请求字节": limits.max_request_bytes, "上传字节": limits.max_upload_bytes,
                   "时间限制秒": limits.timeout_seconds}}


def _default(sets: dict[str, RuleSetInfo]) -> str | None:
    return "国家" if "国家" in sets else next(iter(sets), None)


@router.get("/rulesets", summary="列出规则集(层、文号、内容哈希)")
def list_rulesets(request: Request) -> JSONResponse:
    return JSONResponse(listing(request))


@router.get("/rulesets/{name}", summary="一个规则集", responses=ERRORS)
def get_ruleset(name: str, request: Request) -> JSONResponse:
    info = services(request).registry.get(name, "name")
    return JSONResponse({**ops.envelope(info, today()), **ops.ruleset_doc(info)})


@router.post("/reload", summary="重新加载规则目录(有错误时继续使用原规则)",
             responses={409: {"description": "规则有错误,仍用原规则"}})
async def reload(request: Request) -> JSONResponse:
    registry = services(request).registry

    def work() -> dict[str, Any]:
        try:
            registry.reload()
        except RuleError as exc:
            raise ServiceError(409, "E710", "规则文件有错误,未重新加载:继续使用原来的规则",
                               hint="按诊断改正规则文件后再重新加载", diagnostics=exc.diagnostics) from None
        warnings = [w for i in registry.snapshot.sets.values() for w in i.rules.checked.warnings]
        return {**listing(request), "已重新加载": True, "诊断": diagnostics_doc(warnings)}

    response = await answer(request, None, today(), work)
    assert isinstance(response, JSONResponse)
    return response


@router.post("/evaluate", summary="评估(JSON 记录)", responses={**ERRORS, **XLSX_RESPONSE})
async def evaluate(body: EvaluateBody, request: Request) -> Response:
    info = services(request).registry.get(body.ruleset)
    day = body.as_of or today()

    def work() -> Any:
        facts = facts_from_records(body.schools, body.counties, field_specs(info.rules))
        if body.format == "xlsx":
            return Workbook(ops.results_xlsx(info, facts, day), f"评估结果-{info.name}-{day}.xlsx")
        return ops.evaluate_doc(info, facts, day)

    return await answer(request, info, day, work)


@router.post("/explain", summary="解释一所学校或一个县区", responses=ERRORS)
async def explain(body: ExplainBody, request: Request) -> Response:
    info = services(request).registry.get(body.ruleset)
    day = body.as_of or today()
    target = Target(body.school, body.county, body.indicator, body.stage)

    def work() -> Any:
        facts = facts_from_records(body.schools, body.counties, field_specs(info.rules))
        return explain_doc(info, facts, day, target)

    return await answer(request, info, day, work)


@router.post("/remedies", summary="整改建议(format=xlsx 为整改台账)",
             responses={**ERRORS, **XLSX_RESPONSE, 501: {"description": "整改功能尚未提供"}})
async def remedy(body: RemediesBody, request: Request) -> Response:
    info = services(request).registry.get(body.ruleset)
    day = body.as_of or today()
    target = Target(body.school, body.county, body.indicator, body.stage)

    def work() -> Any:
        facts = facts_from_records(body.schools, body.counties, field_specs(info.rules))
        if body.format == "xlsx":
            return Workbook(remedies.ledger_xlsx(info, facts, day), f"整改台账-{info.name}-{day}.xlsx")
        return remedies.remedies_doc(info, facts, day, target)

    return await answer(request, info, day, work)


@router.post("/diff", summary="比较两个规则集(给出数据时列出翻转的结论)", responses=ERRORS)
async def diff(body: DiffBody, request: Request) -> Response:
    registry = services(request).registry
    a, b = registry.get(body.a, "a"), registry.get(body.b, "b")
    day = body.as_of or today()
    schools, counties = body.schools, body.counties

    def work() -> Any:
        facts = None if schools is None else facts_from_records(schools, counties, ops.diff_specs(a, b))
        return ops.diff_doc(a, b, facts, day)

    return await answer(request, b, day, work)


@router.post("/check", summary="检查一段规则文件文本,返回诊断", responses=ERRORS)
async def check(body: CheckBody, request: Request) -> Response:
    snap = services(request).registry.snapshot
    day = body.as_of or today()
    return await answer(request, None, day, lambda: check_doc(snap, body.text, day, body.replaces, body.filename))
