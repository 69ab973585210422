"""Check a rule file's text sent in a request, against the rule packs the service has loaded.

The text is parsed; then it is layered and checked as if it were one more file of the packs
(or, with `replaces`, as the new version of one of their files), together with every rule
set that inherits from its rule set. Nothing is written anywhere and nothing is executed:
the text only ever goes through the parser and the checker.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from engine.interpreter import ast
from engine.interpreter.check import check
from engine.interpreter.compile import compile_plan
from engine.interpreter.errors import Diagnostic, JunhengError
from engine.interpreter.layer import chain_for, group_layers, layer
from engine.interpreter.parse import parse_text
from engine.service.errors import ServiceError, diagnostics_doc
from engine.service.registry import Snapshot, digest_files
from engine.service.uploads import shown_name


def check_doc(snap: Snapshot, text: str, day: date, replaces: str | None = None,
              filename: str | None = None) -> dict[str, Any]:
    """Diagnostics for the text: syntax, then names, types, units and layering (errors and warnings)."""
    if replaces is not None and replaces not in snap.files:
        raise ServiceError(404, "E712", f"没有名为「{replaces}」的规则文件", {"JSON路径": "$.replaces"},
                           "可替换的文件见 GET /v1/rulesets 中各层的「文件」")
    shown = replaces or shown_name(filename, "<请求>.rule")
    if shown in snap.files and shown != replaces:
        shown += "(请求)"  # a name of a loaded file, not replacing it: keep both apart
    doc: dict[str, Any] = {"规则集": None, "内容哈希": None, "评估日期": day.isoformat(), "通过": False,
                           "检查的规则集": [], "诊断": []}
    try:
        parsed = parse_text(text, shown)
    except JunhengError as exc:
        doc["诊断"] = diagnostics_doc(exc.diagnostics)
        return doc
    files = [f for path, f in snap.files.items() if path != replaces] + [parsed]
    data = {**snap.data, shown: text.encode("utf-8")}
    diags: list[Diagnostic] = []
    try:
        groups = group_layers(files)
    except JunhengError as exc:
        doc["诊断"] = diagnostics_doc(exc.diagnostics)
        return doc
    assert parsed.header is not None
    name = parsed.header.name
    doc["规则集"] = name
    data_paths = [shown]
    for target in [name, *_dependents(groups, name)]:
        try:
            chain = chain_for(target, groups)
            if target == name:
                data_paths = [f.path for n in chain for f in groups[n]]
            checked = check(layer(groups, target))
            compile_plan(checked)
            diags.extend(d for d in checked.warnings if d not in diags)
        except JunhengError as exc:
            diags.extend(d for d in exc.diagnostics if d not in diags)
        doc["检查的规则集"].append(target)
    doc["内容哈希"] = digest_files(data, [p for p in data_paths if p in data])
    doc["通过"] = not any(d.is_error for d in diags)
    doc["诊断"] = diagnostics_doc(diags)
    return doc


def _dependents(groups: dict[str, list[ast.RuleFile]], name: str) -> list[str]:
    """Rule sets whose chain passes through `name` (they are affected by a change to it)."""
    out: list[str] = []
    for other in groups:
        if other == name:
            continue
        try:
            if name in chain_for(other, groups):
                out.append(other)
        except JunhengError:
            continue
    return out
