"""What each endpoint does, as plain functions: compiled rules + facts + date → a JSON document.

Nothing here knows about HTTP; `routes.py` calls these in the worker pool. Every document
starts with the envelope (规则集, 内容哈希, 评估日期) so a result can be reproduced.
"""

from __future__ import annotations

import io
import json
from datetime import date
from typing import Any

from engine.facts import Facts
from engine.interpreter import Results, evaluate, field_specs
from engine.interpreter import ast as A
from engine.interpreter.check import expand_ids
from engine.interpreter.frames import VERDICT_TEXT
from engine.render.rows import result_rows
from engine.render.summary import top_conclusion
from engine.service.errors import diagnostics_doc
from engine.service.registry import RuleSetInfo


def envelope(info: RuleSetInfo, day: date | None) -> dict[str, Any]:
    """The three keys every response carries."""
    return {"规则集": info.name, "内容哈希": info.digest, "评估日期": day.isoformat() if day else None}


def ruleset_doc(info: RuleSetInfo) -> dict[str, Any]:
    """A rule set for the listing: its layers (base first) with titles, 文号 and files."""
    rs = info.rules.ruleset
    return {"名称": info.name, "标题": rs.title, "文号": rs.docno, "内容哈希": info.digest,
            "项目数": len(rs.items),
            "层": [{"名称": li.name, "标题": li.title, "文号": li.docno, "继承": li.inherits, "文件": list(li.files)}
                  for li in rs.layers]}


def run(info: RuleSetInfo, facts: Facts, day: date, reuse: Results | None = None) -> Results:
    return evaluate(info.rules, facts, day, reuse)


def evaluate_doc(info: RuleSetInfo, facts: Facts, day: date) -> dict[str, Any]:
    """Evaluate: county verdicts, one line per school, and every result row (docs/OUTPUT.md)."""
    results = run(info, facts, day)
    rows = list(result_rows(results))
    return {**envelope(info, day), "文号": info.rules.ruleset.docno, "警告": diagnostics_doc(facts.warnings),
            "县区结论": county_verdicts(results), "学校": school_lines(rows), "结果": rows}


def county_verdicts(results: Results) -> list[dict[str, Any]]:
    """Per county: the overall conclusion and the county-level parts it combines."""
    rs = results.checked.ruleset
    counties = results.env.fields[(A.COUNTY, "县区")].v
    top = top_conclusion(results)
    out: list[dict[str, Any]] = []
    for c in range(len(counties)):
        doc: dict[str, Any] = {"县区": str(counties[c]), "编号": top, "名称": None, "结论": None, "分项": []}
        if top is not None:
            decl = rs.items[top].decl
            doc["名称"] = decl.title or top
            doc["结论"] = VERDICT_TEXT[int(results.items[top].verdict[c])]
            combo = decl.combo if isinstance(decl, A.Conclusion) else None
            for name, _ in expand_ids(combo.items, list(rs.items)) if combo else []:
                item = results.items[name]
                if item.fkey == A.COUNTY:
                    doc["分项"].append({"编号": name, "名称": rs.items[name].decl.title or name,
                                      "结论": VERDICT_TEXT[int(item.verdict[c])]})
        out.append(doc)
    return out


def school_lines(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One line per school from its 学校 and 学部 rows: failing and missing items, conclusions."""
    schools: dict[str, dict[str, Any]] = {}
    for row in rows:
        if row["对象"] == "县区" or row["学校标识码"] is None:
            continue
        line = schools.setdefault(row["学校标识码"], {
            "学校标识码": row["学校标识码"], "学校名称": row["学校名称"], "县区": row["县区"], "状态": "全部达标",
            "结论项": [], "未达标项目": [], "数据缺失项目": []})
        label = row["编号"] + (f"({row['学段']})" if row["学段"] else "")
        if row["值"] is None and row["结论"] != "数据缺失":
            line["结论项"].append({"编号": row["编号"], "名称": row["名称"], "学段": row["学段"], "结论": row["结论"]})
        if row["结论"] == "未达标":
            line["未达标项目"].append(label)
        elif row["结论"] == "数据缺失":
            line["数据缺失项目"].append(label)
    for line in schools.values():
        line["状态"] = ("有未达标项" if line["未达标项目"] else "有数据缺失" if line["数据缺失项目"] else "全部达标")
    return list(schools.values())


def results_xlsx(info: RuleSetInfo, facts: Facts, day: date) -> bytes:
    """The result rows as a workbook (engine/render/xlsx.py) with a 说明 sheet naming the rules."""
    from engine.render.xlsx import rows_to_xlsx

    data = rows_to_xlsx(result_rows(run(info, facts, day)))
    return with_provenance(data, info, day)


def with_provenance(data: bytes, info: RuleSetInfo, day: date) -> bytes:
    """Add a 说明 sheet (规则集, 文号, 内容哈希, 评估日期) as the last sheet of a workbook."""
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data))
    ws = wb.create_sheet("说明")
    for key, value in [("规则集", info.name), ("文号", info.rules.ruleset.docno), ("内容哈希(SHA-256)", info.digest),
                       ("评估日期", day.isoformat()), ("生成", "junheng 服务")]:
        ws.append([key, value])
    ws.column_dimensions["A"].width = 20
    ws.column_dimensions["B"].width = 70
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def diff_doc(a: RuleSetInfo, b: RuleSetInfo, facts: Facts | None, day: date) -> dict[str, Any]:
    """The semantic differences from A to B and, with facts, the verdicts that flip."""
    from engine.interpreter.diff import diff_rules, impact
    from engine.render.diff import render_json

    changes = diff_rules(a.rules.checked, b.rules.checked, day)
    result = None
    if facts is not None:
        base = run(a, facts, day)
        result = impact(base, run(b, facts, day, reuse=base), changes)
    doc = json.loads(render_json(a.name, b.name, changes, result))
    head = {**envelope(b, day), "内容哈希A": a.digest, "内容哈希B": b.digest}
    if facts is not None:
        head["警告"] = diagnostics_doc(facts.warnings)
    return {**head, **doc}


def diff_specs(a: RuleSetInfo, b: RuleSetInfo) -> list[Any]:
    """The facts columns either rule set declares (for loading facts to compare on)."""
    return list({s.name: s for s in field_specs(a.rules) + field_specs(b.rules)}.values())
