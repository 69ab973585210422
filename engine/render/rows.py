"""Results → result rows (one per item per row of its frame), the shape of JSON/xlsx output."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

import numpy as np

from engine.interpreter import ast as A
from engine.interpreter.diff import combo_text
from engine.interpreter.evaluate import ItemResult, Results
from engine.interpreter.frames import COUNTY_STAGE, DATA_MISSING, ID_COLUMN, NAME_COLUMN, OK, VERDICT_TEXT, ZERO
from engine.render.numbers import exact_string, fmt_number

OP_TEXT = {A.Cmp.GE: "≥", A.Cmp.GT: ">", A.Cmp.LE: "≤", A.Cmp.LT: "<", A.Cmp.EQ: "为", A.Cmp.NE: "不为"}
OBJECT = {A.UNIT: "学部", A.SCHOOL: "学校", A.COUNTY: "县区", COUNTY_STAGE: "县区"}


def first_compare(req: A.Requirement | None) -> A.ReqCompare | None:
    while isinstance(req, A.ReqIf):
        req = req.then
    return req


def requirement_text(decl: A.Indicator, threshold: float, item: ItemResult) -> str:
    req = first_compare(decl.requirement)
    if req is None:
        return ""
    op = OP_TEXT[req.op]
    if isinstance(req.threshold, A.Bool):
        return f"为 {'是' if req.threshold.value else '否'}"
    if np.isnan(threshold):
        return f"{op} —"
    unit = decl.unit
    text = fmt_number(float(threshold), unit, trim=True)
    return f"{op} {text}" + (f" {unit}" if unit and unit != "%" else "")


def conclusion_requirement(decl: A.Conclusion) -> str:
    return combo_text(decl.combo)


def missing_fields(results: Results, name: str, row: int) -> list[str]:
    """The facts an item could not read for one row (only asked for 数据缺失 rows)."""
    trace_fields: list[str] = []
    exact = results.exact()
    decl = results.checked.ruleset.items[name].decl
    if isinstance(decl, A.Indicator) and decl.calc is not None:
        v = exact.value(decl.calc, results.items[name].fkey, row)
        fields = getattr(v, "fields", ())
        trace_fields.extend(fields)
        if not fields and getattr(v, "status", None) == ZERO:
            trace_fields.append("(分母为零)")
    return trace_fields


def label_sources(results: Results, fkey: str) -> dict[str, tuple[np.ndarray | None, np.ndarray | None]]:
    """Where each label column of a frame comes from: (values, row index into them).

    values None: the label is null for the frame; index None: one value per row already.
    """
    env = results.env
    f = env.fields
    counties = f[(A.COUNTY, "县区")].v
    if fkey == A.UNIT:
        unit = env.frames[A.UNIT]
        school = unit.up[A.SCHOOL]
        return {"县区": (counties, unit.up[A.COUNTY]), "学校标识码": (f[(A.SCHOOL, ID_COLUMN)].v, school),
                "学校名称": (f[(A.SCHOOL, NAME_COLUMN)].v, school), "学段": (unit.stage, None)}
    if fkey == A.SCHOOL:
        return {"县区": (counties, env.frames[A.SCHOOL].up[A.COUNTY]), "学校标识码": (f[(A.SCHOOL, ID_COLUMN)].v, None),
                "学校名称": (f[(A.SCHOOL, NAME_COLUMN)].v, None), "学段": (None, None)}
    if fkey == COUNTY_STAGE:
        frame = env.frames[COUNTY_STAGE]
        return {"县区": (counties, frame.up[A.COUNTY]), "学校标识码": (None, None), "学校名称": (None, None),
                "学段": (frame.stage, None)}
    return {"县区": (counties, None), "学校标识码": (None, None), "学校名称": (None, None), "学段": (None, None)}


def _labels(results: Results, fkey: str) -> dict[str, np.ndarray]:
    n = results.env.frames[fkey].n
    out: dict[str, np.ndarray] = {}
    for key, (values, index) in label_sources(results, fkey).items():
        out[key] = np.full(n, None, dtype=object) if values is None else values if index is None else values[index]
    return out


def _value_strings(results: Results, decl: A.Indicator, item: ItemResult) -> list[str | None]:
    """Every row's value as text, formatting each distinct value once (columns repeat a lot)."""
    col = item.col
    ok = col.s == OK
    if col.v.dtype == object:
        return [str(v) if k else None for v, k in zip(col.v.tolist(), ok.tolist(), strict=True)]
    if _is_bool(results, decl):
        return [("是" if v else "否") if k else None for v, k in zip(col.v.tolist(), ok.tolist(), strict=True)]
    uniq, inverse = np.unique(np.where(ok, col.v, 0.0), return_inverse=True)
    texts = [exact_string(float(u)) for u in uniq]
    return [texts[i] if k else None for i, k in zip(inverse.tolist(), ok.tolist(), strict=True)]


def _requirement_strings(decl: A.Indicator, item: ItemResult) -> list[str]:
    uniq, inverse = np.unique(item.threshold, return_inverse=True)
    texts = [requirement_text(decl, float(u), item) for u in uniq]
    return [texts[i] for i in inverse.tolist()]


def result_rows(results: Results, with_missing: bool = True) -> Iterator[dict[str, Any]]:
    """Every result row, in rule order then frame order: 对象, 县区, 学校标识码, 学校名称, 学段,
    编号, 名称, 值, 要求, 结论 (and 缺失字段 for 数据缺失 rows).

    Built column by column: labels once per frame, each distinct value and threshold formatted
    once, so a national run (millions of rows) spends its time writing, not formatting.
    """
    rs = results.checked.ruleset
    labels: dict[str, list[tuple[str | None, ...]]] = {}
    verdict_text = [VERDICT_TEXT[c] for c in range(4)]
    for name, entry in rs.items.items():
        item = results.items[name]
        decl = entry.decl
        if item.fkey not in labels:
            lab = _labels(results, item.fkey)
            labels[item.fkey] = list(zip(*([_s(x) for x in lab[k].tolist()]
                                            for k in ("县区", "学校标识码", "学校名称", "学段")), strict=True))
        rows = labels[item.fkey]
        obj, title = OBJECT[item.fkey], decl.title or name
        if isinstance(decl, A.Indicator):
            values = _value_strings(results, decl, item)
            requirements = _requirement_strings(decl, item)
        else:
            values = [None] * len(item.verdict)
            requirements = [conclusion_requirement(decl)] * len(item.verdict)
        for row, (verdict, (county, sid, sname, stage), value, requirement) in enumerate(
                zip(item.verdict.tolist(), rows, values, requirements, strict=True)):
            out = {"对象": obj, "县区": county, "学校标识码": sid, "学校名称": sname, "学段": stage, "编号": name,
                   "名称": title, "值": value, "要求": requirement, "结论": verdict_text[verdict]}
            if with_missing and verdict == DATA_MISSING and isinstance(decl, A.Indicator):
                out["缺失字段"] = missing_fields(results, name, row)
            yield out


def _is_bool(results: Results, decl: A.Indicator) -> bool:
    return results.checked.item_types.get(decl.name) == "是否"


def _s(x: object) -> str | None:
    return None if x is None else str(x)


def write_json(out: IO[str], header: dict[str, Any], rows: Iterator[dict[str, Any]], pretty_limit: int = 10000) -> None:
    """The JSON document: header keys, then "结果": the rows.

    Small results are indented for people; large ones are written in compact chunks with orjson
    (a national run has millions of rows, and the standard library's encoder dominates then).
    """
    import itertools
    import json

    first = list(itertools.islice(rows, pretty_limit + 1))
    if len(first) <= pretty_limit:
        out.write(json.dumps({**header, "结果": first}, ensure_ascii=False, indent=1))
        return
    import orjson

    head = json.dumps(header, ensure_ascii=False, separators=(",", ":"))
    out.write(head[:-1] + ',"结果":[\n')
    chunk, sep = first, ""
    while chunk:
        out.write(sep + orjson.dumps(chunk).decode("utf-8")[1:-1])
        sep = ",\n"
        chunk = list(itertools.islice(rows, 20000))
    out.write("\n]}")
