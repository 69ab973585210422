"""The rule-file fuzzing harness shared by the bounded tests (tests/hardening) and the long runs
(benchmarks/fuzz.py).

`run_case(case)` pushes one input through every stage a user can reach with a rule file —
parse, format (meaning kept, idempotent), layer, check, compile, evaluate on the sample
county, render the summary and the result rows, explain the fuzzed item — under a time
bound, with Python warnings turned into errors. It returns an `Outcome`:

- ``ok``: the input compiled and evaluated;
- ``diagnostic``: a `JunhengError` (our own Chinese diagnostic) stopped it — also fine;
- ``known``: a crash matching one of `KNOWN_BUGS` (each has a strict-xfail regression test
  in tests/hardening and is reported; when a bug is fixed its xfail starts passing, which
  fails the run, and its entry here is removed);
- ``crash``: anything else — any other exception, a wrong formatter result, a timeout.

Inputs come from the generators below: random text and Unicode, cuts and splices of the
shipped rule files, grammar-aware random expressions (deep nesting, huge numbers, zero and
negative divisors) evaluated on the sample.
"""

from __future__ import annotations

import dataclasses
import random
import re
import signal
import time
import traceback
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
RULES = REPO / "rules"
SAMPLE = REPO / "examples" / "示例县"
AS_OF = date(2024, 9, 1)

#: Seconds one input may take through every stage (generous: CI machines are slow; a hang is
#: what this catches, not a slow input).
TIME_LIMIT = 10.0

FUZZ_FILE = "模糊.rule"


# ---------------------------------------------------------------- the corpus of real files


@lru_cache(maxsize=1)
def rule_texts() -> dict[str, str]:
    """Every shipped rule file, keyed by its path relative to rules/ (national and provinces)."""
    return {str(p.relative_to(RULES)): p.read_text(encoding="utf-8") for p in sorted(RULES.rglob("*.rule"))}


@lru_cache(maxsize=1)
def _parsed_corpus() -> dict[str, Any]:
    from engine.interpreter.parse import parse_text

    return {name: parse_text(text, name) for name, text in rule_texts().items()}


# ---------------------------------------------------------------- inputs


@dataclass(frozen=True)
class Case:
    """One fuzz input: the text of one rule file, and which shipped file it replaces (if any).

    With `replaces`, the text stands in for that file among all the shipped ones, so a cut of
    a province is layered over the national pack; with `over_national`, it is an extra file
    beside the shipped ones (a new layer, e.g. `规则集 测试 继承 国家`); otherwise it is alone.
    """

    text: str
    replaces: str | None = None
    over_national: bool = False
    label: str = "随机文本"


@dataclass
class Outcome:
    kind: str  # ok / diagnostic / known / crash
    stage: str  # the last stage reached
    detail: str = ""
    seconds: float = 0.0
    known: str | None = None


# ---------------------------------------------------------------- known bugs (reported, strict xfail)


@dataclass(frozen=True)
class KnownBug:
    key: str
    summary: str
    matches: Callable[[BaseException, str], bool]


#: Crashes already reported with a reproducer and a strict-xfail test; the fuzz tests count them
#: instead of failing. Each entry names the test that pins it.
KNOWN_BUGS: tuple[KnownBug, ...] = (
    KnownBug("fmt-repeated-clause",
             "同一条目中重复的子句(两个「说明」「依据」「要求」…)被解析器静默取最后一个;junheng fmt 因而删掉作者写的前一个",
             lambda e, stage: isinstance(e, FormatterBroke) and e.known == "fmt-repeated-clause"),
)


def known_bug(exc: BaseException, stage: str) -> KnownBug | None:
    return next((b for b in KNOWN_BUGS if b.matches(exc, stage)), None)


# ---------------------------------------------------------------- the time bound


class InputTimeout(BaseException):
    """Raised by the alarm when one input exceeds its time bound."""


@contextmanager
def time_bound(seconds: float) -> Iterator[None]:
    """Interrupt the block after `seconds` (SIGALRM; main thread on POSIX only, else unbounded)."""
    def on_alarm(signum: int, frame: Any) -> None:
        raise InputTimeout(f"超过 {seconds:g} 秒")

    try:
        previous = signal.signal(signal.SIGALRM, on_alarm)
    except (ValueError, AttributeError):  # not the main thread, or no SIGALRM
        yield
        return
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# ---------------------------------------------------------------- meaning of an AST (for the formatter)


def meaning(node: Any) -> Any:
    """An AST without spans (and with 修改 clauses as a set): what the formatter must keep."""
    from engine.interpreter import ast as A

    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        fields = {f.name: meaning(getattr(node, f.name)) for f in dataclasses.fields(node) if f.name not in ("span", "path")}
        if isinstance(node, A.Modify):
            fields["clauses"] = sorted((k, repr(meaning(v))) for k, v in node.clauses)
        return type(node).__name__, tuple(sorted(fields.items()))
    if isinstance(node, tuple):
        return tuple(meaning(x) for x in node)
    return node


class FormatterBroke(AssertionError):
    """The formatter's output does not parse, means something else, or is not a fixed point.

    `known` names the reported formatter bug the input falls under (see `format_bug_of`).
    """

    def __init__(self, message: str, known: str | None = None) -> None:
        super().__init__(message)
        self.known = known


#: Characters `str.splitlines()` breaks lines at but the rule language does not (it counts "\n" only).
EXTRA_LINE_BREAKS = "\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


def format_bug_of(text: str, rf: Any) -> str | None:
    """Which reported formatter bug an input that the formatter mishandled falls under, if any."""
    from engine.interpreter import ast as A
    from engine.interpreter.parse import fold

    if any(c in text.replace("\r\n", "\n") for c in EXTRA_LINE_BREAKS):
        return "fmt-splitlines"
    if text.startswith("\ufeff"):
        return "fmt-bom-comment"
    decls = [s.decl if isinstance(s, A.Add) else s for s in rf.statements]
    if any(isinstance(d, A.Split) and not d.items for d in decls):
        return "fmt-empty-split"
    for stmt in rf.statements:
        if isinstance(stmt, A.Modify):
            tags = [k for k, _ in stmt.clauses]
            if len(tags) != len(set(tags)):
                return "fmt-repeated-clause"
    if any(getattr(d, "title", None) == "" for d in [rf.header, *decls]):
        return "fmt-empty-title"
    lines = text.split("\n")
    if any(re.search(r"#\s*$", line) for line in fold(text).split("\n")):
        return "fmt-empty-comment"
    for node in [rf.header, *rf.statements]:
        if node is not None and any(lines[n - 1].lstrip().startswith("#")
                                    for n in range(node.span.line + 1, min(node.span.end_line, len(lines)) + 1)):
            return "fmt-comment-inside-statement"
    return None


# ---------------------------------------------------------------- the pipeline


def check_diagnostics(exc: Any, texts: dict[str, str]) -> None:
    """Every diagnostic of a JunhengError has a code and renders against its source text."""
    from engine.interpreter.errors import Span
    from engine.render.diagnostics import render_diagnostic

    assert exc.diagnostics, "JunhengError 必须至少带一条诊断"
    for d in exc.diagnostics:
        assert d.code[:1] in "EW" and d.code[1:].isdigit(), d.code
        loc = d.location
        source = texts.get(loc.file) if isinstance(loc, Span) else None
        rendered = render_diagnostic(d, text=source)
        assert d.code in rendered


def _comments_of(text: str) -> list[str]:
    """The text of every comment (after #, outside strings), as the lexer sees it ("\\n" lines)."""
    from engine.interpreter.parse import fold

    out = []
    for line, folded in zip(text.split("\n"), fold(text).split("\n")):
        in_string = False
        for i, ch in enumerate(folded):
            if ch == '"':
                in_string = not in_string
            elif ch == "#" and not in_string:
                body = line[i + 1:].strip()
                if body:
                    out.append(body)
                break
    return out


def _format_stage(text: str, parsed: Any) -> None:
    from engine.interpreter.errors import JunhengError
    from engine.interpreter.parse import parse_text
    from engine.render.rulefmt import format_text

    try:
        formatted = format_text(text, FUZZ_FILE)
    except JunhengError as exc:
        raise FormatterBroke(f"能解析的文件格式化时报错:{exc}", format_bug_of(text, parsed)) from None
    try:
        again = parse_text(formatted, FUZZ_FILE)
    except JunhengError as exc:
        raise FormatterBroke(f"格式化结果不能解析:{exc}\n---\n{formatted}", format_bug_of(text, parsed)) from None
    if meaning(again) != meaning(parsed):
        raise FormatterBroke(f"格式化改变了含义\n--- 原文\n{text}\n--- 格式化后\n{formatted}",
                             format_bug_of(text, parsed))
    lost = [c for c in _comments_of(text) if c not in formatted]
    if lost:
        raise FormatterBroke(f"格式化丢掉了注释:{lost[:3]}", format_bug_of(text, parsed))
    if format_text(formatted, FUZZ_FILE) != formatted:
        raise FormatterBroke(f"格式化不是幂等的\n---\n{formatted}", format_bug_of(text, parsed))


@lru_cache(maxsize=1)
def _sample_paths() -> tuple[Path, Path]:
    return SAMPLE / "学校表.csv", SAMPLE / "县区表.csv"


def _evaluate_stage(compiled: Any, fuzzed_items: set[str], state: dict[str, str]) -> None:
    from engine.facts import load_facts
    from engine.interpreter import evaluate, field_specs
    from engine.interpreter.explain import explain
    from engine.render.explanation import render_trace
    from engine.render.rows import result_rows
    from engine.render.summary import render_summary

    schools, counties = _sample_paths()
    state["stage"] = "facts"
    facts = load_facts(schools, counties, field_specs(compiled))
    state["stage"] = "evaluate"
    results = evaluate(compiled, facts, AS_OF)
    state["stage"] = "render"
    render_summary(results, AS_OF.isoformat(), [])
    for _ in result_rows(results):
        pass
    state["stage"] = "explain"
    for name in sorted(fuzzed_items & set(results.items)):
        item = results.items[name]
        n = len(item.verdict)
        for row in sorted({0, n - 1} if n else set()):
            render_trace(explain(results, name, item.fkey, row))


def _pipeline(case: Case, state: dict[str, str], evaluate: bool) -> str:
    from engine.interpreter import CompiledRules
    from engine.interpreter.check import check
    from engine.interpreter.compile import compile_plan
    from engine.interpreter.errors import JunhengError
    from engine.interpreter.layer import group_layers, layer
    from engine.interpreter.parse import parse_text

    name = case.replaces or FUZZ_FILE
    texts = {name: case.text}
    try:
        state["stage"] = "parse"
        parsed = parse_text(case.text, name)
        state["stage"] = "format"
        _format_stage(case.text, parsed)
        files = [parsed]
        if case.replaces or case.over_national:
            corpus = _parsed_corpus()
            files = [f for n, f in corpus.items() if n != case.replaces] + [parsed]
            texts.update({n: t for n, t in rule_texts().items() if n != case.replaces})
        state["stage"] = "layer"
        groups = group_layers(files)
        target = parsed.header.name if parsed.header else None
        if target is None or target not in groups:
            return "diagnostic" if target is None else "ok"
        rs = layer(groups, target)
        state["stage"] = "check"
        checked = check(rs)
        state["stage"] = "compile"
        compiled = CompiledRules(rs, checked, compile_plan(checked))
        if evaluate:
            fuzzed = {n for n, e in rs.items.items() if getattr(e.decl.span, "file", None) == name}
            _evaluate_stage(compiled, fuzzed, state)
        return "ok"
    except JunhengError as exc:
        check_diagnostics(exc, texts)
        return "diagnostic"


def run_case(case: Case, *, evaluate: bool = True, time_limit: float = TIME_LIMIT) -> Outcome:
    """One input through every stage; never raises (the outcome says what happened)."""
    state = {"stage": "parse"}
    started = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with time_bound(time_limit):
                kind = _pipeline(case, state, evaluate)
        return Outcome(kind, state["stage"], seconds=time.perf_counter() - started)
    except InputTimeout as exc:
        return Outcome("crash", state["stage"], f"超时:{exc}", time.perf_counter() - started)
    except Exception as exc:  # everything else is a finding
        seconds = time.perf_counter() - started
        bug = known_bug(exc, state["stage"])
        where = "".join(traceback.format_exception(exc, limit=-6))
        if bug is not None:
            return Outcome("known", state["stage"], f"{type(exc).__name__}: {exc}", seconds, bug.key)
        return Outcome("crash", state["stage"], where, seconds)


def describe(case: Case, outcome: Outcome) -> str:
    shown = case.text if len(case.text) < 400 else case.text[:400] + f"…(共 {len(case.text)} 字)"
    return (f"[{case.label}] 替换 {case.replaces or '-'} 阶段 {outcome.stage}: {outcome.kind}\n"
            f"输入:{shown!r}\n{outcome.detail}")


# ---------------------------------------------------------------- generators (random.Random based)
#
# The same generators serve hypothesis (via st.randoms / a seed) and the long fuzz runs
# (plain seeds), so a failure in either is replayed by (generator, seed).

KEYWORD_SAMPLE = ["规则集", "继承", "字段", "参数", "值", "自", "单位", "依据", "说明", "名称", "必需", "不得放宽",
                  "学部", "当", "学部字段", "拆分", "项目", "权重", "人数", "范围", "包含", "排除", "学部指标",
                  "学校指标", "县指标", "学部结论", "学校结论", "县结论", "计算", "要求", "保留", "位小数", "分学段",
                  "修改", "新增", "删除", "理由", "放宽", "所有", "任一", "中", "至少", "项", "达标", "其余", "的",
                  "至", "若", "则", "否则", "且", "或", "非", "为", "属于", "不属于", "是", "否", "达到", "学校",
                  "县区", "小学", "初中", "高中", "整数", "数值", "文本", "不低于", "不超过", "高于", "低于", "超过",
                  "不足", "以上", "以下", "以内", "等于"]

ODD = ["\ufeff", "\u200b", "\u200c", "\u200d", "\u2060", "\u202e", "\u00ad", "\x00", "\x01", "\x07", "\x0b", "\x0c",
       "\x1b", "\x7f", "\x85", "\u2028", "\u2029", "\r\n", "\r", "\t", "\u3000", "\ud7ff", "\U0010ffff",
       "😀", "👨‍👩‍👧", "🇨🇳", "é", "é", "ﬁ", "（", "）", "：", "，", "；", "“", "”", "＝", "＋", "－", "％", "．", "０",
       "９", "１２３", "Ａ", "〔", "〕", "、", "…", "—", "＃", "#", "@", "$", '"', "'", "\\", "(", ")", ",", ":",
       "=", "+", "-", "×", "÷", "*", "/", "%", "≥", "≤", "≠", "!=", "<", ">", "\n", " ", "1", "0", "-1", "0.5",
       "85%", "2万", "1,000", "1,00", "2017-02-30", "2020年1月1日", "9" * 40, "1" + "0" * 400, "1e309", "NaN",
       "inf", "0.000000000000000000001", "a" * 300, "甲" * 300]

CJK = "规则集国家参数字段学部校县区小初高中计算要求达标所有任一至少项其余的若则否为是属于非且或以上下内不低超过足满值自单位依据说明人㎡元间班"


def random_text(rng: random.Random, max_pieces: int = 200) -> str:
    """Characters the language uses, odd Unicode pieces and arbitrary code points."""
    out: list[str] = []
    for _ in range(rng.randint(0, max_pieces)):
        roll = rng.random()
        if roll < 0.45:
            out.append(rng.choice(CJK))
        elif roll < 0.7:
            out.append(rng.choice(ODD))
        elif roll < 0.85:
            out.append(rng.choice(KEYWORD_SAMPLE) + rng.choice([" ", "", "\n"]))
        elif roll < 0.95:
            out.append(chr(rng.randint(0x20, 0x2FFF)))
        else:
            cp = rng.randint(0, 0x10FFFF)
            out.append(chr(cp) if not 0xD800 <= cp <= 0xDFFF else "\ufffd")
    text = "".join(out)
    if rng.random() < 0.3:
        text = "规则集 国家\n" + text
    if rng.random() < 0.1:
        text = "\ufeff" + text
    if rng.random() < 0.1:
        text = text.replace("\n", "\r\n")
    return text


def cut_or_splice(rng: random.Random) -> Case:
    """A shipped file cut, spliced with another, or mutated in place; stands in for the original."""
    texts = rule_texts()
    names = sorted(texts)
    name = rng.choice(names)
    text = texts[name]
    op = rng.choice(["truncate", "cut", "splice", "mutate", "mutate", "lines"])
    n = len(text)
    if op == "truncate":  # an author saved half a file
        text = text[: rng.randint(0, n)]
    elif op == "cut":
        i = rng.randint(0, n)
        j = rng.randint(i, min(n, i + rng.choice([1, 5, 40, 400])))
        text = text[:i] + text[j:]
    elif op == "splice":
        other = texts[rng.choice(names)]
        i, j = rng.randint(0, n), rng.randint(0, len(other))
        text = text[:i] + other[j:] if rng.random() < 0.5 else text[:i] + other[j: j + rng.randint(0, 600)] + text[i:]
    elif op == "lines":  # shuffle or duplicate whole lines
        lines = text.split("\n")
        k = rng.randint(1, 4)
        for _ in range(k):
            a, b = rng.randrange(len(lines)), rng.randrange(len(lines))
            if rng.random() < 0.5:
                lines[a], lines[b] = lines[b], lines[a]
            else:
                lines.insert(a, lines[b])
        text = "\n".join(lines)
    else:
        for _ in range(rng.randint(1, 4)):
            n = len(text)
            i = rng.randint(0, n)
            j = rng.randint(i, min(n, i + 80))
            kind = rng.choice(["delete", "duplicate", "insert", "replace"])
            if kind == "delete":
                text = text[:i] + text[j:]
            elif kind == "duplicate":
                text = text[:j] + text[i:j] + text[j:]
            elif kind == "insert":
                piece = rng.choice([rng.choice(KEYWORD_SAMPLE), rng.choice(ODD), random_text(rng, 6)])
                pad = rng.choice(["", " "])
                text = text[:i] + pad + piece + pad + text[i:]
            else:
                text = text[:i] + rng.choice(ODD) + text[i + 1:]
    if rng.random() < 0.05:
        text = text.replace("\n", "\r\n")
    return Case(text, replaces=name, label=f"真实文件{op}:{name}")


# names a fuzzed indicator may use at each level of the national pack (学部 sees its school's and county's)
UNIT_NAMES = ["学生数", "班数", "专任教师数", "高于规定学历教师数", "骨干教师数", "教学及辅助用房面积", "教学仪器设备值",
              "R1", "R4", "高学历教师标准", "建成年份"]
SCHOOL_NAMES = ["小学生数", "初中生数", "高中生数", "教学及辅助用房面积", "持证专任教师数", "建成年份", "公用经费预算"]
COUNTY_NAMES = ["交流轮岗教师数", "符合交流条件教师数", "社会认可度", "初中三年巩固率", "教师平均工资", "公务员平均工资"]
NUMBERS = ["0", "1", "2", "-1", "-0", "0.5", "100", "0.000001", "1,000", "85%", "0%", "2万", "3.14159265358979323846",
           "1" + "0" * 30, "1" + "0" * 308, "1" + "0" * 400, "0." + "0" * 400 + "1", "9" * 20]


def random_expr(rng: random.Random, names: list[str], depth: int) -> str:
    """A random expression of the rule language (may be ill-typed: the checker must say so)."""
    if depth <= 0 or rng.random() < 0.25:
        roll = rng.random()
        if roll < 0.55:
            return rng.choice(names)
        if roll < 0.9:
            return rng.choice(NUMBERS)
        return rng.choice(['"文字"', "是", "否", "小学", "初中", '"__import__(\'os\')"'])
    kind = rng.choice(["bin", "bin", "bin", "div0", "paren", "neg", "if", "call", "cmp", "logic"])
    sub = lambda: random_expr(rng, names, depth - 1)  # noqa: E731
    if kind == "bin":
        return f"{sub()} {rng.choice(['+', '-', '×', '÷', '*', '/'])} {sub()}"
    if kind == "div0":
        return f"{sub()} ÷ {rng.choice(['0', '(1 - 1)', '-1', '-0.5', '(' + sub() + ' - ' + sub() + ')'])}"
    if kind == "paren":
        return f"({sub()})"
    if kind == "neg":
        return f"-{sub()}"
    if kind == "if":
        return f"若 {sub()} > {sub()} 则 {sub()} 否则 {sub()}"
    if kind == "cmp":
        return f"{sub()} {rng.choice(['>', '≥', '<', '=', '≠', '不低于', '为'])} {sub()}"
    if kind == "logic":
        return f"{sub()} {rng.choice(['且', '或'])} {rng.choice(['', '非 '])}{sub()}"
    func = rng.choice(["差异系数", "合计", "平均", "计数", "比例", "最小", "最大", "向上取整", "向下取整", "绝对值",
                       "所有", "任一", "未知函数", "open", "eval", "__import__"])
    entity = rng.choice(["", "", "学部: ", "学校: "])
    extra = rng.choice(["", "", f", 权重 {sub()}", f", 当 {sub()}", ", 范围 资源配置学部"])
    return f"{func}({entity}{sub()}{extra})"


def expression_case(rng: random.Random) -> Case:
    """A new indicator over the national pack with a random formula and requirement, evaluated."""
    level = rng.choice(["学部指标", "学校指标", "县指标"])
    names = {"学部指标": UNIT_NAMES, "学校指标": SCHOOL_NAMES, "县指标": COUNTY_NAMES}[level]
    expr = random_expr(rng, names, rng.randint(1, 6))
    req = rng.choice([f"≥ {rng.choice(NUMBERS)}", f"不超过 {random_expr(rng, names, 2)}", "为 是",
                      f"达到 {rng.choice(['高学历教师标准', '0', '1' + '0' * 400])} 以上"])
    keep = rng.choice(["", "", "  保留 2 位小数\n", "  保留 0 位小数\n", "  保留 12 位小数\n"])
    staged = "  分学段\n" if level == "县指标" and rng.random() < 0.2 else ""
    text = (f'规则集 测试 "模糊测试" 继承 国家\n新增 {level} F1 "模糊指标"\n  计算 {expr}\n  要求 {req}\n{keep}{staged}'
            f'新增 {level.replace("指标", "结论")} F2 "模糊结论"\n  要求 所有 F1 达标\n')
    return Case(text, over_national=True, label=f"随机表达式({level})")


def nested_case(rng: random.Random, depth: int) -> Case:
    """Deeply nested or very long expressions of one of several shapes."""
    shape = rng.choice(["parens", "right-nested", "left-chain", "neg", "not", "if", "call"])
    a = "学生数"
    if shape == "parens":
        expr = "(" * depth + a + ")" * depth
    elif shape == "right-nested":
        expr = f"({a} + " * depth + a + ")" * depth
    elif shape == "left-chain":
        expr = a + f" {rng.choice(['+', '×', '÷', '-'])} {a}" * depth
    elif shape == "neg":
        expr = "-" * depth + a
    elif shape == "not":
        expr = "若 " + "非 " * depth + f"{a} > 1 则 1 否则 0"
    elif shape == "if":
        expr = f"若 {a} > 1 则 " * depth + a + " 否则 0" * depth
    else:
        expr = "绝对值(" * depth + a + ")" * depth
    text = f'规则集 测试 继承 国家\n新增 学部指标 F1 "深层" 计算 {expr} 要求 ≥ 0\n'
    return Case(text, over_national=True, label=f"深层嵌套 {shape} × {depth}")


def long_line_case(rng: random.Random) -> Case:
    n = rng.choice([10_000, 100_000, 1_000_000])
    kind = rng.choice(["comment", "string", "name", "number", "spaces"])
    body = {"comment": "# " + "长" * n, "string": f'参数 P "{"长" * n}" = 1', "name": f"参数 {'甲' * n} = 1",
            "number": f"参数 P = {'9' * min(n, 50_000)}", "spaces": "参数" + " " * n + "P = 1"}[kind]
    return Case(f"规则集 国家\n{body}\n", label=f"长行 {kind} {n}")


GENERATORS: dict[str, Callable[[random.Random], Case]] = {
    "text": lambda rng: Case(random_text(rng), label="随机文本"),
    "real": cut_or_splice,
    "expr": expression_case,
    "deep": lambda rng: nested_case(rng, rng.choice([10, 100, 300, 400])),
    "long": long_line_case,
}


@dataclass
class Tally:
    """Counts per generator and outcome; crashes and known bugs with one example each."""

    runs: dict[str, int] = field(default_factory=dict)
    outcomes: dict[str, int] = field(default_factory=dict)
    known: dict[str, int] = field(default_factory=dict)
    crashes: list[str] = field(default_factory=list)
    slowest: float = 0.0

    def add(self, generator: str, case: Case, outcome: Outcome) -> None:
        self.runs[generator] = self.runs.get(generator, 0) + 1
        self.outcomes[outcome.kind] = self.outcomes.get(outcome.kind, 0) + 1
        self.slowest = max(self.slowest, outcome.seconds)
        if outcome.known:
            self.known[outcome.known] = self.known.get(outcome.known, 0) + 1
        if outcome.kind == "crash":
            self.crashes.append(f"{generator}: {describe(case, outcome)}")
