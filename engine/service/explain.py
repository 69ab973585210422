"""Explain one school or county: which rows to trace (as `junheng explain` picks them), as text.

Each explanation block is the Chinese text `junheng explain` prints for one row of one item
(formula, the numbers put in, requirement, legal source, the gap).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import date
from typing import Any

from engine.facts import Facts
from engine.interpreter import Results
from engine.interpreter import ast as A
from engine.interpreter.explain import explain as explain_row
from engine.interpreter.explain import find_school, subject_of
from engine.interpreter.frames import COUNTY_STAGE, VERDICT_TEXT
from engine.render.explanation import render_trace
from engine.render.rows import result_rows
from engine.render.summary import top_conclusion
from engine.service.errors import ServiceError
from engine.service.operations import envelope, run
from engine.service.registry import RuleSetInfo


@dataclass(frozen=True)
class Target:
    """What to explain: a school (name or 学校标识码) or a county, optionally one item and one 学段."""

    school: str | None = None
    county: str | None = None
    indicator: str | None = None
    stage: str | None = None


def explain_doc(info: RuleSetInfo, facts: Facts, day: date, target: Target) -> dict[str, Any]:
    """The explanation blocks for the target and the school's (or county's) result rows."""
    results = run(info, facts, day)
    pairs, who, ident = pick_rows(results, target)
    blocks = []
    for name, fkey, row in pairs:
        decl = results.checked.ruleset.items[name].decl
        blocks.append({"编号": name, "名称": decl.title or name, "对象": subject_of(results, fkey, row),
                       "结论": VERDICT_TEXT[int(results.items[name].verdict[row])],
                       "文本": "\n".join(render_trace(explain_row(results, name, fkey, row, depth=1)))})
    key = "学校标识码" if target.school is not None else "县区"
    rows = [r for r in result_rows(results) if r[key] == ident and (key == "学校标识码" or r["学校标识码"] is None)]
    return {**envelope(info, day), "对象": who, "解释": blocks, "结果": rows}


def pick_rows(results: Results, target: Target) -> tuple[list[tuple[str, str, int]], str, str]:
    """(item, frame, row) triples to trace, the subject in words and its id (学校标识码 or 县区)."""
    if (target.school is None) == (target.county is None):
        raise ServiceError(422, "E507", "请指定学校(school)或县区(county),二选一",
                           {"JSON路径": "$.school"}, "例如:{\"school\": \"示例县东关镇中学\"}")
    rs = results.checked.ruleset
    if target.indicator is not None and target.indicator not in rs.items:
        close = difflib.get_close_matches(target.indicator, list(rs.items), n=3, cutoff=0.3)
        raise ServiceError(404, "E504", f"没有编号为「{target.indicator}」的指标或结论", {"JSON路径": "$.indicator"},
                           f"是否想写:{'、'.join(close)}" if close else None)
    if target.county is not None:
        return _county_rows(results, target)
    return _school_rows(results, target)


def _county_rows(results: Results, target: Target) -> tuple[list[tuple[str, str, int]], str, str]:
    env = results.env
    names = [str(n) for n in env.fields[(A.COUNTY, "县区")].v]
    county = str(target.county)
    if county not in names:
        raise ServiceError(404, "E503", f"找不到县区「{county}」", {"JSON路径": "$.county"},
                           f"数据中的县区:{'、'.join(names)}")
    c = names.index(county)
    name = target.indicator or top_conclusion(results)
    if name is None:
        raise ServiceError(422, "E504", "规则集没有县级结论,请用 indicator 指定项目", {"JSON路径": "$.indicator"})
    item = results.items[name]
    if item.fkey in (A.UNIT, A.SCHOOL):
        raise ServiceError(422, "E505", f"「{name}」是{item.fkey}级项目,请用 school 指定学校", {"JSON路径": "$.indicator"})
    if item.fkey == A.COUNTY:
        rows = [c]
    else:
        frame = env.frames[COUNTY_STAGE]
        rows = [r for r in range(frame.n) if frame.up[A.COUNTY][r] == c
                and (target.stage is None or frame.stage[r] == target.stage)]  # type: ignore[index]
    return [(name, item.fkey, r) for r in rows], county, county


def _school_rows(results: Results, target: Target) -> tuple[list[tuple[str, str, int]], str, str]:
    env = results.env
    rs = results.checked.ruleset
    row = find_school(results, str(target.school))
    if row is None:
        raise ServiceError(404, "E503", f"找不到学校「{target.school}」", {"JSON路径": "$.school"},
                           "用学校名称或 10 位学校标识码")
    frame = env.frames[A.UNIT]
    units = [u for u in range(frame.n) if frame.up[A.SCHOOL][u] == row
             and (target.stage is None or frame.stage[u] == target.stage)]  # type: ignore[index]
    names = [target.indicator] if target.indicator else [
        n for n, e in rs.items.items() if isinstance(e.decl, A.Conclusion) and e.decl.level in (A.UNIT, A.SCHOOL)]
    out: list[tuple[str, str, int]] = []
    for name in names:
        item = results.items[name]
        if item.fkey not in (A.UNIT, A.SCHOOL):
            raise ServiceError(422, "E505", f"「{name}」是县级项目,不按学校解释", {"JSON路径": "$.indicator"},
                               "请改用 county 指定县区")
        out.extend((name, item.fkey, r) for r in (units if item.fkey == A.UNIT else [row]))
    school_id = str(env.fields[(A.SCHOOL, "学校标识码")].v[row])
    return out, str(env.fields[(A.SCHOOL, "学校名称")].v[row]), school_id
