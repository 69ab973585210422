"""The upload endpoints (/v1/…/upload): the same operations, facts as .xlsx / .csv files (multipart).

`schools` is the 学校表 file, or one workbook holding both sheets 学校表 and 县区表;
`counties` is the 县区表 file when it is separate.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response

from engine.facts import Facts, FieldSpec
from engine.interpreter import field_specs
from engine.service import operations as ops
from engine.service import remedies
from engine.service.common import Workbook, answer, services, today
from engine.service.explain import Target, explain_doc
from engine.service.routes import ERRORS, XLSX_RESPONSE
from engine.service.uploads import Upload, check_size, facts_from_uploads, shown_name

router = APIRouter(prefix="/v1")

SchoolsFile = Annotated[UploadFile, File(description="学校表(.xlsx/.csv),或含「学校表」「县区表」两个工作表的工作簿")]
CountiesFile = Annotated[UploadFile | None, File(description="县区表(.xlsx/.csv),可省略(见 schools)")]
RulesetField = Annotated[str, Form(max_length=64, description="规则集名称")]
DateField = Annotated[date | None, Form(description="评估日期 YYYY-MM-DD,默认今天")]
FormatField = Annotated[Literal["json", "xlsx"], Form(description="json 或 xlsx")]
TextField = Annotated[str | None, Form(max_length=200)]
StageField = Annotated[Literal["小学", "初中"] | None, Form()]


async def _read(request: Request, schools: UploadFile, counties: UploadFile | None) -> tuple[Upload, Upload | None]:
    limit = services(request).limits.max_upload_bytes
    first = Upload(schools.filename, await _bytes(schools, limit))
    second = Upload(counties.filename, await _bytes(counties, limit)) if counties is not None else None
    return first, second


async def _bytes(upload: UploadFile, limit: int) -> bytes:
    await upload.seek(0)
    return check_size(await upload.read(limit + 1), limit, shown_name(upload.filename, "上传的文件"))


def _facts(request: Request, files: tuple[Upload, Upload | None], specs: list[FieldSpec]) -> Facts:
    return facts_from_uploads(files[0], files[1], specs, services(request).limits.max_unzipped_bytes)


@router.post("/evaluate/upload", summary="评估(上传 Excel/CSV)", responses={**ERRORS, **XLSX_RESPONSE})
async def evaluate_upload(request: Request, schools: SchoolsFile, counties: CountiesFile = None,
                          ruleset: RulesetField = "国家", as_of: DateField = None,
                          format: FormatField = "json") -> Response:
    info = services(request).registry.get(ruleset)
    day = as_of or today()
    files = await _read(request, schools, counties)

    def work() -> Any:
        facts = _facts(request, files, field_specs(info.rules))
        if format == "xlsx":
            return Workbook(ops.results_xlsx(info, facts, day), f"评估结果-{info.name}-{day}.xlsx")
        return ops.evaluate_doc(info, facts, day)

    return await answer(request, info, day, work)


@router.post("/explain/upload", summary="解释一所学校或一个县区(上传 Excel/CSV)", responses=ERRORS)
async def explain_upload(request: Request, schools: SchoolsFile, counties: CountiesFile = None,
                         ruleset: RulesetField = "国家", as_of: DateField = None, school: TextField = None,
                         county: TextField = None, indicator: TextField = None, stage: StageField = None) -> Response:
    info = services(request).registry.get(ruleset)
    day = as_of or today()
    files = await _read(request, schools, counties)
    target = Target(school, county, indicator, stage)
    return await answer(request, info, day,
                        lambda: explain_doc(info, _facts(request, files, field_specs(info.rules)), day, target))


@router.post("/remedies/upload", summary="整改建议或整改台账(上传 Excel/CSV)",
             responses={**ERRORS, **XLSX_RESPONSE, 501: {"description": "整改功能尚未提供"}})
async def remedies_upload(request: Request, schools: SchoolsFile, counties: CountiesFile = None,
                          ruleset: RulesetField = "国家", as_of: DateField = None, school: TextField = None,
                          county: TextField = None, indicator: TextField = None, stage: StageField = None,
                          format: FormatField = "json") -> Response:
    info = services(request).registry.get(ruleset)
    day = as_of or today()
    files = await _read(request, schools, counties)
    target = Target(school, county, indicator, stage)

    def work() -> Any:
        facts = _facts(request, files, field_specs(info.rules))
        if format == "xlsx":
            return Workbook(remedies.ledger_xlsx(info, facts, day), f"整改台账-{info.name}-{day}.xlsx")
        return remedies.remedies_doc(info, facts, day, target)

    return await answer(request, info, day, work)


@router.post("/diff/upload", summary="比较两个规则集在上传数据上的差异", responses=ERRORS)
async def diff_upload(request: Request, a: Annotated[str, Form(max_length=64)], b: Annotated[str, Form(max_length=64)],
                      schools: SchoolsFile, counties: CountiesFile = None, as_of: DateField = None) -> Response:
    registry = services(request).registry
    ra, rb = registry.get(a, "a"), registry.get(b, "b")
    day = as_of or today()
    files = await _read(request, schools, counties)
    return await answer(request, rb, day,
                        lambda: ops.diff_doc(ra, rb, _facts(request, files, ops.diff_specs(ra, rb)), day))
