"""Rule test cases: TOML files beside the rules (facts in, expected verdicts and values out).

A case file (`rules/<层>/用例/*.toml`) looks like:

    规则集 = "国家"
    评估日期 = 2026-01-01
    基准文件 = "基准.toml"          # optional: 基准学校 / 基准县区 shared by several files

    [基准学校]                      # every school of a case starts from this row
    小学生数 = 1000

    [[用例]]
    名称 = "R3 恰好 0.9 人/百名学生,达标"
    学校 = [{ 小学体育艺术教师数 = 9 }]            # rows: 基准学校 updated by each table
    县区 = { 交流轮岗教师数 = 120 }                # 基准县区 updated by this table
    期望 = [{ 编号 = "R3", 结论 = "达标", 值 = "0.9" }]
    # 期望 may name 学校标识码 / 学段 to pick a row, and 误差 for values;
    # 期望错误 = "E402" expects loading to fail with that code instead.

The same format is what `junheng test` runs; the project's pytest suite collects it too.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import tomli

from engine.interpreter import CompiledRules, evaluate, field_specs, load_rules
from engine.interpreter.errors import Diagnostic, JunhengError, RuleError
from engine.render.rows import result_rows

VERDICTS = ("达标", "未达标", "不适用", "数据缺失")


@dataclass(frozen=True)
class Expectation:
    """One expected result: an item's verdict and/or value on the row(s) it names."""

    item: str
    verdict: str | None = None
    value: str | None = None
    tolerance: Decimal = Decimal(0)
    school: str | None = None
    stage: str | None = None


@dataclass(frozen=True)
class Case:
    """A named rule test case: rows of facts, a rule set, a date and what must come out."""

    file: str
    index: int
    name: str
    ruleset: str
    as_of: _dt.date
    schools: list[dict[str, Any]]
    counties: list[dict[str, Any]]
    expect: tuple[Expectation, ...] = ()
    expect_error: str | None = None

    @property
    def id(self) -> str:
        return f"{Path(self.file).name}::{self.name}"


@dataclass
class Outcome:
    """What running a case gave: passed or not, and why not."""

    case: Case
    failures: list[str] = field(default_factory=list)
    explanations: list[str] = field(default_factory=list)
    covered: set[tuple[str, str, int]] = field(default_factory=set)  # (layer that wrote it, item, clause index)

    @property
    def passed(self) -> bool:
        return not self.failures


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomli.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleError(Diagnostic("E601", f"无法读取用例文件 {path}:{exc}")) from None
    except tomli.TOMLDecodeError as exc:
        raise RuleError(Diagnostic("E602", f"用例文件 {path} 不是有效的 TOML:{exc}",
                                   hint="检查引号、方括号和等号")) from None


def load_cases(path: Path) -> list[Case]:
    """Every case in one TOML file (E60x for a malformed file)."""
    doc = _read_toml(path)
    base_school: dict[str, Any] = {}
    base_county: dict[str, Any] = {}
    if "基准文件" in doc:
        shared = _read_toml(path.parent / str(doc["基准文件"]))
        base_school.update(shared.get("基准学校", {}))
        base_county.update(shared.get("基准县区", {}))
    base_school.update(doc.get("基准学校", {}))
    base_county.update(doc.get("基准县区", {}))
    ruleset = str(doc.get("规则集", "国家"))
    as_of = doc.get("评估日期", _dt.date.today())
    cases: list[Case] = []
    for i, raw in enumerate(doc.get("用例", []), start=1):
        name = str(raw.get("名称", f"用例{i}"))
        schools = [{**base_school, **_plain(row)} for row in raw.get("学校", [{}])]
        county = {**base_county, **_plain(raw.get("县区", {}))}
        expect = tuple(_expectation(path, name, e) for e in raw.get("期望", []))
        if not expect and "期望错误" not in raw:
            raise RuleError(Diagnostic("E603", f"{path} 的用例「{name}」没有「期望」也没有「期望错误」"))
        cases.append(Case(str(path), i, name, str(raw.get("规则集", ruleset)), raw.get("评估日期", as_of),
                          schools, [county] if county else [], expect, raw.get("期望错误")))
    return cases


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    # TOML booleans are 是/否 in the facts tables
    return {k: ("是" if v else "否") if isinstance(v, bool) else v for k, v in row.items()}


def _expectation(path: Path, case: str, e: dict[str, Any]) -> Expectation:
    if "编号" not in e:
        raise RuleError(Diagnostic("E603", f"{path} 的用例「{case}」有一条期望缺少「编号」"))
    verdict = e.get("结论")
    if verdict is not None and verdict not in VERDICTS:
        raise RuleError(Diagnostic("E603", f"{path} 的用例「{case}」:结论「{verdict}」应为 {'/'.join(VERDICTS)}"))
    value = e.get("值")
    return Expectation(str(e["编号"]), verdict, None if value is None else str(value),
                       Decimal(str(e.get("误差", 0))), e.get("学校标识码"), e.get("学段"))


def find_case_files(paths: list[Path]) -> list[Path]:
    """TOML case files under the given files or folders, in a stable order."""
    out: list[Path] = []
    for p in paths:
        out.extend(sorted(p.rglob("*.toml")) if p.is_dir() else [p])
    return [p for p in out if p.name != "基准.toml"]


def run_case(case: Case, rules_dir: Path | None = None, cache: dict[str, CompiledRules] | None = None) -> Outcome:
    """Evaluate one case and compare with what it expects."""
    from engine.facts import load_records

    outcome = Outcome(case)
    cache = cache if cache is not None else {}
    rules = cache.get(case.ruleset) or load_rules(case.ruleset, rules_dir)
    cache[case.ruleset] = rules
    try:
        facts = load_records(case.schools, case.counties or None, field_specs(rules), case.file)
    except JunhengError as exc:
        codes = [d.code for d in exc.diagnostics]
        if case.expect_error in codes:
            return outcome
        outcome.failures.append(f"加载数据出错:{'、'.join(f'{d.code} {d.message}' for d in exc.diagnostics[:3])}")
        return outcome
    if case.expect_error:
        outcome.failures.append(f"期望错误 {case.expect_error},但数据加载成功")
        return outcome
    results = evaluate(rules, facts, case.as_of)
    rows = list(result_rows(results))
    for e in case.expect:
        matched = [r for r in rows if r["编号"] == e.item
                   and (e.school is None or r["学校标识码"] == e.school)
                   and (e.stage is None or r["学段"] == e.stage)]
        if not matched:
            outcome.failures.append(f"{e.item}:没有找到对应的结果行" + (f"(学校标识码 {e.school})" if e.school else ""))
            continue
        for r in matched:
            problems = _compare(e, r)
            outcome.failures.extend(problems)
            if problems:
                outcome.explanations.append(_explain(results, e.item, r))
            leaf = _clause_taken(results, e.item, r)
            if leaf is not None:
                owner = results.checked.ruleset.items[e.item].layer
                outcome.covered.add((owner, e.item, leaf))
    return outcome


def requirement_clauses(rules: CompiledRules) -> list[tuple[str, str, int, str]]:
    """Every requirement clause of a rule set: (layer that last wrote it, item, leaf index, text).

    A 若…则…否则 requirement has one clause per branch; a conclusion has one. A clause a
    province inherits unchanged belongs to the layer that wrote it, so the national cases
    cover it for every province."""
    from engine.interpreter import ast as A
    from engine.interpreter.printer import requirement_text

    out: list[tuple[str, str, int, str]] = []
    for name, entry in rules.ruleset.items.items():
        decl = entry.decl
        if isinstance(decl, A.Indicator) and decl.requirement is not None:
            for i, leaf in enumerate(_leaves(decl.requirement)):
                out.append((entry.layer, name, i, requirement_text(leaf)))
        else:
            out.append((entry.layer, name, 0, "结论"))
    return out


def _leaves(req: Any) -> list[Any]:
    from engine.interpreter import ast as A

    if isinstance(req, A.ReqIf):
        return _leaves(req.then) + _leaves(req.otherwise)
    return [req]


def _clause_taken(results: Any, item: str, row: dict[str, Any]) -> int | None:
    """Which leaf clause of the item's requirement applied to this result row."""
    from engine.interpreter import ast as A

    if row["结论"] == "不适用":
        return None
    decl = results.checked.ruleset.items[item].decl
    if not isinstance(decl, A.Indicator) or not isinstance(decl.requirement, A.ReqIf):
        return 0
    res_item = results.items[item]
    r = next((i for i in range(len(res_item.verdict)) if _row_matches(results.env, res_item.fkey, i, row)), None)
    if r is None:
        return None
    exact = results.exact()
    req: A.Requirement = decl.requirement
    index = 0
    while isinstance(req, A.ReqIf):
        cond = exact.value(req.cond, res_item.fkey, r)
        if not isinstance(cond, bool):
            return None
        if cond:
            req = req.then
        else:
            index += len(_leaves(req.then))
            req = req.otherwise
    return index


def _compare(e: Expectation, row: dict[str, Any]) -> list[str]:
    who = " · ".join(str(x) for x in (row["学校名称"] or row["县区"], row["学段"]) if x)
    out = []
    if e.verdict is not None and row["结论"] != e.verdict:
        out.append(f"{e.item}({who}):期望结论 {e.verdict},实际 {row['结论']}(值 {row['值']},要求 {row['要求']})")
    if e.value is not None:
        got = row["值"]
        try:
            ok = got is not None and abs(Decimal(got) - Decimal(e.value)) <= e.tolerance
        except InvalidOperation:
            ok = got == e.value
        if not ok:
            tol = f"(误差 {e.tolerance})" if e.tolerance else ""
            out.append(f"{e.item}({who}):期望值 {e.value}{tol},实际 {got}")
    return out


def _explain(results: Any, item: str, row: dict[str, Any]) -> str:
    from engine.interpreter.explain import explain
    from engine.render.explanation import render_trace

    res_item = results.items[item]
    env = results.env
    fkey = res_item.fkey
    for r in range(len(res_item.verdict)):
        if _row_matches(env, fkey, r, row):
            return "\n".join(render_trace(explain(results, item, fkey, r)))
    return ""


def _row_matches(env: Any, fkey: str, r: int, row: dict[str, Any]) -> bool:
    from engine.interpreter import ast as A

    if fkey == A.UNIT:
        school = int(env.frames[A.UNIT].up[A.SCHOOL][r])
        return bool(str(env.fields[(A.SCHOOL, "学校标识码")].v[school]) == row["学校标识码"]
                    and env.frames[A.UNIT].stage[r] == row["学段"])
    if fkey == A.SCHOOL:
        return bool(str(env.fields[(A.SCHOOL, "学校标识码")].v[r]) == row["学校标识码"])
    if fkey == "县区学段":
        return bool(env.frames[fkey].stage[r] == row["学段"])
    return True


def iter_cases(paths: list[Path]) -> Iterator[Case]:
    for f in find_case_files(paths):
        yield from load_cases(f)


def covered_items(cases: list[Case]) -> set[str]:
    """Items some case states an expectation for (coverage of the rule set's items)."""
    return {e.item for c in cases for e in c.expect}
