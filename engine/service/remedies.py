"""Remedies (整改): what it takes to pass, per problem, and the 整改台账 workbook.

Uses the remedy stage (`engine/interpreter/remedy.py`, rendered by `engine/render/ledger.py`):
one ledger row per failing or missing item (现值, 要求, 差距, 整改建议, 依据, 责任单位). Where
that stage is not installed, both endpoints answer 501 with a Chinese message (E709).
"""

from __future__ import annotations

from datetime import date
from importlib import import_module
from importlib.util import find_spec
from typing import Any

from engine.facts import Facts
from engine.interpreter import Results
from engine.interpreter import ast as A
from engine.interpreter.explain import find_school
from engine.interpreter.frames import COUNTY_STAGE
from engine.service.errors import ServiceError
from engine.service.explain import Target
from engine.service.operations import envelope, run, with_provenance
from engine.service.registry import RuleSetInfo

_NOT_YET = "整改建议功能尚未提供:本服务所用的 junheng 版本还没有整改模块"


def available() -> bool:
    """Whether the remedy stage is installed (the page hides its buttons when it is not)."""
    return find_spec("engine.interpreter.remedy") is not None and find_spec("engine.render.ledger") is not None


def _ledger() -> Any:
    try:
        ledger = import_module("engine.render.ledger")
    except ImportError:
        raise ServiceError(501, "E709", _NOT_YET, hint="评估、解释与比较不受影响;整改功能将在后续版本提供") from None
    return ledger


def remedies_doc(info: RuleSetInfo, facts: Facts, day: date, target: Target) -> dict[str, Any]:
    """The ledger rows of the target (a school, a county's own items, or everything)."""
    ledger = _ledger()
    results = run(info, facts, day)
    from engine.render.remedies import remedier_for

    who, school = _subject(results, target)
    problems = [p for p in remedier_for(results).problems() if _wanted(results, p, target, school)]
    return {**envelope(info, day), "对象": who, "整改": ledger.ledger_rows(results, problems)}


def ledger_xlsx(info: RuleSetInfo, facts: Facts, day: date) -> bytes:
    """The 整改台账 of every problem as .xlsx, with the 说明 sheet naming the rules."""
    ledger = _ledger()
    results = run(info, facts, day)
    data = ledger.ledger_xlsx(ledger.ledger_rows(results), title=f"整改台账({info.name})")
    return with_provenance(data, info, day)


def _subject(results: Results, target: Target) -> tuple[str | None, int | None]:
    """Check the target names something in the data: its name in words (None for everything), its school row."""
    rs = results.checked.ruleset
    if target.indicator is not None and target.indicator not in rs.items:
        raise ServiceError(404, "E504", f"没有编号为「{target.indicator}」的指标或结论", {"JSON路径": "$.indicator"})
    env = results.env
    if target.school is not None:
        row = find_school(results, target.school)
        if row is None:
            raise ServiceError(404, "E503", f"找不到学校「{target.school}」", {"JSON路径": "$.school"},
                               "用学校名称或 10 位学校标识码")
        return str(env.fields[(A.SCHOOL, "学校名称")].v[row]), row
    if target.county is not None:
        if target.county not in [str(c) for c in env.fields[(A.COUNTY, "县区")].v]:
            raise ServiceError(404, "E503", f"找不到县区「{target.county}」", {"JSON路径": "$.county"})
        return target.county, None
    return None, None


def _wanted(results: Results, p: Any, target: Target, school_row: int | None) -> bool:
    """Whether a problem belongs to the target (school rows, or the county's own rows)."""
    if target.indicator is not None and p.item != target.indicator:
        return False
    env = results.env
    frame = env.frames[p.fkey]
    if target.stage is not None and p.fkey in (A.UNIT, COUNTY_STAGE) and frame.stage[p.row] != target.stage:  # type: ignore[index]
        return False
    if school_row is not None:
        school = p.row if p.fkey == A.SCHOOL else int(frame.up[A.SCHOOL][p.row]) if p.fkey == A.UNIT else None
        return school == school_row
    if target.county is not None:
        if p.fkey not in (A.COUNTY, COUNTY_STAGE):
            return False
        county = p.row if p.fkey == A.COUNTY else int(frame.up[A.COUNTY][p.row])
        return str(env.fields[(A.COUNTY, "县区")].v[county]) == target.county
    return True
