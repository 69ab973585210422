"""The rule language cannot escape: no rule text reaches Python's eval/exec/import/open or the
file system.

Two kinds of evidence:

1. In process, the obvious tricks — Python builtins called as functions, attribute access,
   Python syntax, strings holding Python code or format fields, paths in 依据 / 说明 / 单位 /
   继承, huge repeated aggregates — each end in our own diagnostic (asserted with its Chinese
   message) or evaluate harmlessly, with the strings shown verbatim.
2. In a subprocess with `sys.addaudithook` (PEP 578: the interpreter itself reports every
   `open`, `exec`, `compile`, `import`, `os.system`, `subprocess.Popen`, socket, file-system
   call…) and a wrapped `builtins.__import__`: after a benign warm-up has loaded every module
   and cache, the hostile texts are parsed, layered, checked, compiled, evaluated on the
   sample, explained, rendered and formatted while the hook is armed. No audit event of a
   dangerous kind may occur, and no module may be imported that the same pipeline on benign
   rules does not import. (Facts are read with the hook disarmed: reading the sample is the
   one file access a run legitimately makes.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from engine.interpreter import CompiledRules, evaluate, field_specs
from engine.interpreter.check import check
from engine.interpreter.compile import compile_plan
from engine.interpreter.errors import JunhengError
from engine.interpreter.explain import explain
from engine.interpreter.layer import group_layers, layer
from engine.interpreter.parse import parse_text
from engine.render.explanation import render_trace

from .harness import REPO, SAMPLE, _parsed_corpus

HEADER = '规则集 测试 "测试" 继承 国家\n'


def indicator(expr: str, level: str = "学部指标", extra: str = "") -> str:
    return f'{HEADER}新增 {level} F1 "注入测试"\n  计算 {expr}\n  要求 ≥ 0\n{extra}'


def compile_over_national(text: str) -> CompiledRules:
    files = [*_parsed_corpus().values(), parse_text(text, "注入.rule")]
    groups = group_layers(files)
    rs = layer(groups, "测试")
    checked = check(rs)
    return CompiledRules(rs, checked, compile_plan(checked))


def first_error(text: str) -> tuple[str, str]:
    with pytest.raises(JunhengError) as raised:
        compile_over_national(text)
    d = raised.value.diagnostics[0]
    return d.code, d.message


# ---------------------------------------------------------------- 1. the tricks, in process

PYTHON_CALLS = ["__import__", "eval", "exec", "open", "compile", "getattr", "globals", "breakpoint", "input", "system"]


@pytest.mark.parametrize("func", PYTHON_CALLS)
def test_python_builtins_called_as_functions_are_unknown_functions(func: str) -> None:
    code, message = first_error(indicator(f'{func}("os")'))
    assert (code, message) == ("E210", f"未知的函数「{func}」")


def test_full_width_eval_is_folded_and_still_unknown() -> None:
    assert first_error(indicator('ｅｖａｌ("1+1")')) == ("E210", "未知的函数「eval」")


@pytest.mark.parametrize("name", ["__import__", "__builtins__", "__class__", "os", "sys", "self"])
def test_python_names_are_undefined_names(name: str) -> None:
    code, message = first_error(indicator(f"学生数 + {name}"))
    assert code == "E201" and f"「{name}」" in message


@pytest.mark.parametrize("expr", [
    'os.system("touch pwned")', '__import__("os").system("x")', "学生数.__class__", "import os", "lambda: 0",
    "学生数 if 1 else 0", "[x for x in ()]", "`ls`", "$(ls)", "学生数; import os", '学生数["__class__"]',
    "学生数 ** 2", "{}.__class__", "\\x00",
])
def test_python_syntax_is_a_syntax_error(expr: str) -> None:
    code, _ = first_error(indicator(expr))
    assert code in ("E101", "E102", "E103", "E104")


def test_inherit_is_a_rule_set_name_not_a_path() -> None:
    for target in ("/etc/passwd", "../../etc/passwd", "C:\\Windows"):
        with pytest.raises(JunhengError) as raised:
            compile_over_national(f"规则集 测试 继承 {target}\n")
        assert raised.value.diagnostics[0].code in ("E101", "E102")
    code, message = first_error("规则集 测试 继承 passwd\n")
    assert code == "E304" and "找不到规则集「passwd」" in message


HOSTILE_STRINGS = ["__import__('os').system('touch /tmp/junheng-pwned')", "{0.__class__.__mro__}", "%s%(x)s%n",
                   "/etc/passwd", "../../../../etc/shadow", "$(rm -rf ~)", "{}", "\x1b[2J清屏", "=cmd|' /C calc'!A0"]


@pytest.mark.parametrize("text", HOSTILE_STRINGS)
def test_strings_are_only_ever_shown_verbatim(text: str, tmp_path: Path) -> None:
    """Python code, format fields and paths in 名称 / 依据 / 说明 are data: evaluated rules show
    them as written, and nothing named by them is touched."""
    quoted = text.replace('"', "'")
    rules = compile_over_national(f'{HEADER}新增 学部指标 F1 "{quoted}"\n  计算 学生数\n  要求 ≥ 0\n'
                                  f'  依据 "{quoted}"\n  说明 "{quoted}"\n')
    from engine.facts import load_facts

    facts = load_facts(SAMPLE / "学校表.csv", SAMPLE / "县区表.csv", field_specs(rules))
    results = evaluate(rules, facts, date(2024, 9, 1))
    shown = "\n".join(render_trace(explain(results, "F1", results.items["F1"].fkey, 0)))
    assert quoted in shown
    assert not Path("/tmp/junheng-pwned").exists()


def test_paths_as_units_and_names_are_plain_words() -> None:
    rules = compile_over_national(f'{HEADER}新增 学部指标 F1 "x"\n  计算 学生数\n  单位 ../../etc/passwd\n  要求 ≥ 0\n')
    assert rules.ruleset.items["F1"].decl.unit == "../../etc/passwd"


def test_a_field_named_like_a_python_builtin_is_just_a_column() -> None:
    rules = compile_over_national(f'{HEADER}新增 字段 学校 __import__ "导入" 数值\n'
                                  f'新增 学校指标 F1 "x"\n  计算 __import__ + 1\n  要求 ≥ 0\n')
    from engine.facts import load_facts

    facts = load_facts(SAMPLE / "学校表.csv", SAMPLE / "县区表.csv", field_specs(rules))
    results = evaluate(rules, facts, date(2024, 9, 1))
    assert set(results.items["F1"].verdict.tolist()) == {3}  # 数据缺失: the sample has no such column


def test_huge_repeated_aggregates_finish_in_time() -> None:
    """300 weighted coefficients of variation in one county formula: evaluated within seconds."""
    import time

    expr = " + ".join(["差异系数(学部: 学生数, 权重 学生数)"] * 300)
    started = time.perf_counter()
    rules = compile_over_national(indicator(expr, "县指标"))
    from engine.facts import load_facts

    facts = load_facts(SAMPLE / "学校表.csv", SAMPLE / "县区表.csv", field_specs(rules))
    results = evaluate(rules, facts, date(2024, 9, 1))
    render_trace(explain(results, "F1", "县区", 0))
    assert time.perf_counter() - started < 20


# ---------------------------------------------------------------- 2. the audit hook, in a subprocess

HOSTILE_RULES = [
    indicator('__import__("os")'), indicator('eval("__import__(\'os\').system(\'id\')")'), indicator('open("/etc/passwd")'),
    indicator('exec("import os")'), indicator('compile("1", "f", "eval")'), indicator("__builtins__"),
    indicator('os.system("touch /tmp/junheng-pwned")'), indicator('ｅｖａｌ("1")'),
    f'{HEADER}新增 学部指标 F1 "{{0.__class__}}"\n  计算 学生数\n  要求 ≥ 0\n  依据 "/etc/passwd"\n'
    f'  说明 "__import__(\'os\').system(\'touch /tmp/junheng-pwned\')"\n',
    f'{HEADER}新增 学部指标 F1 "x"\n  计算 学生数 ÷ 0\n  单位 ../../etc/shadow\n  要求 ≥ 0\n  依据 "../../../etc/shadow"\n',
    f'{HEADER}新增 字段 学校 __import__ "导入" 数值\n新增 学校指标 F1 "x"\n  计算 __import__ + 1\n  要求 ≥ 0\n',
    "规则集 测试 继承 passwd\n", "规则集 测试 继承 /etc/passwd\n",
    indicator(" + ".join(["差异系数(学部: 学生数, 权重 学生数)"] * 50), "县指标"),
    indicator("合计(学校: 小学生数 ÷ 0) × 最大(学校: 初中生数)", "县指标"),
]

BENIGN_RULES = [
    indicator("学生数 × 2"), indicator("未知函数(学生数)"), indicator("未定义的名称"), indicator("学生数 +"),
    indicator("差异系数(学部: 学生数, 权重 学生数)", "县指标"), indicator("学生数 ÷ 0"),
    f'{HEADER}新增 学部指标 F1 "x"\n  计算 学生数\n  要求 ≥ 0\n  依据 "教督〔2017〕6号"\n  说明 "说明"\n',
    "规则集 测试 继承 不存在\n", "规则集 测试 继承 国家\n修改 参数 高学历教师标准 = 小学 4.1\n",
]

CHILD = r'''
import builtins, json, sys
from datetime import date
from pathlib import Path

sys.path.insert(0, sys.argv[1])
from engine.facts import load_facts
from engine.interpreter import CompiledRules, evaluate, field_specs
from engine.interpreter.check import check
from engine.interpreter.compile import compile_plan
from engine.interpreter.errors import JunhengError
from engine.interpreter.explain import explain
from engine.interpreter.layer import group_layers, layer
from engine.interpreter.parse import parse_text
from engine.render.diagnostics import render_diagnostics
from engine.render.explanation import render_trace
from engine.render.rows import result_rows
from engine.render.rulefmt import format_text
from engine.render.summary import render_summary

rules_dir, sample = Path(sys.argv[1]) / "rules", Path(sys.argv[2])
corpus = [parse_text(p.read_text(encoding="utf-8"), str(p)) for p in sorted(rules_dir.rglob("*.rule"))]
DANGEROUS = ("exec", "compile", "import", "open", "os.", "subprocess.", "socket.", "shutil.", "ctypes.", "pty.",
             "builtins.input", "pickle.", "marshal.", "urllib.", "http.", "ftplib.", "smtplib.", "webbrowser.",
             "glob.", "tempfile.", "sqlite3.", "winreg.", "code.__new__", "sys._getframe", "cpython.run_",
             "sys.setprofile", "sys.settrace", "function.__new__", "object.__delattr__")

armed = False
events, imports = [], []
real_import = builtins.__import__

def hook(event, args):
    if armed and event.startswith(DANGEROUS):
        events.append((event, repr(args)[:200]))

def watched_import(name, globals=None, locals=None, fromlist=(), level=0):
    if armed:
        imports.append(name if level == 0 else "." * level + name)
    return real_import(name, globals, locals, fromlist, level)

def pipeline(text):
    global armed
    armed = True
    try:
        try:
            rf = parse_text(text, "注入.rule")
            try:
                format_text(text, "注入.rule")
            except JunhengError:
                pass
            groups = group_layers([*corpus, rf])
            rs = layer(groups, rf.header.name)
            checked = check(rs)
            rules = CompiledRules(rs, checked, compile_plan(checked))
        except JunhengError as exc:
            render_diagnostics(exc.diagnostics, text=text)
            return "diagnostic"
        armed = False  # reading the sample is the one legitimate file access
        facts = load_facts(sample / "学校表.csv", sample / "县区表.csv", field_specs(rules))
        armed = True
        results = evaluate(rules, facts, date(2024, 9, 1))
        render_summary(results, "2024-09-01", [])
        list(result_rows(results))
        item = results.items.get("F1")
        if item is not None:
            render_trace(explain(results, "F1", item.fkey, 0))
        return "ok"
    finally:
        armed = False

sys.addaudithook(hook)
builtins.__import__ = watched_import
benign, hostile = json.loads(sys.stdin.read())
for text in benign:          # warm-up: every module, grammar table and cache loaded
    pipeline(text)
events.clear(); imports.clear()
for text in benign:          # the baseline: what a benign run imports once warm
    pipeline(text)
baseline = sorted(set(imports))
baseline_events = list(events)
events.clear(); imports.clear()
outcomes = [pipeline(text) for text in hostile]
print(json.dumps({"outcomes": outcomes, "events": events, "baseline_events": baseline_events,
                  "imports": sorted(set(imports) - set(baseline)), "baseline": baseline}, ensure_ascii=False))
'''


def test_hostile_rules_raise_no_dangerous_audit_event() -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([sys.executable, "-c", CHILD, str(REPO), str(SAMPLE)], cwd=REPO, env=env,
                          input=json.dumps([BENIGN_RULES, HOSTILE_RULES]), capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["baseline_events"] == []  # benign rules, once warm, open/exec/import nothing either
    assert report["events"] == [], report["events"]
    assert report["imports"] == [], report["imports"]
    # every hostile text was refused with our own diagnostic, or evaluated as plain data
    assert report["outcomes"][:8] == ["diagnostic"] * 8
    assert report["outcomes"][8:11] == ["ok"] * 3
    assert not Path("/tmp/junheng-pwned").exists()


def test_the_audit_hook_would_see_an_escape() -> None:
    """Control: the same child, with a pipeline that does call open() and eval(), reports them."""
    child = CHILD.replace("rf = parse_text(text, \"注入.rule\")",
                          "rf = parse_text(text, \"注入.rule\")\n            if 'ESCAPE' in text: "
                          "eval('1'); open(sys.executable, 'rb').close(); __import__('wave')")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([sys.executable, "-c", child, str(REPO), str(SAMPLE)], cwd=REPO, env=env,
                          input=json.dumps([BENIGN_RULES[:1], [indicator("学生数") + "# ESCAPE\n"]]),
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    kinds = {e for e, _ in report["events"]}
    assert {"exec", "compile", "open", "import"} <= kinds, kinds
    assert "wave" in report["imports"]


# ---------------------------------------------------------------- outside the language: the parse cache


class _Payload:
    """A pickle that, when loaded, creates a folder — standing in for any code an attacker plants."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.mkdir, (str(self.marker),))


def test_a_planted_parse_cache_file_is_never_executed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pickle

    from engine.interpreter.parse import parse_file

    cache = tmp_path / "cache"
    monkeypatch.setenv("JUNHENG_CACHE_DIR", str(cache))
    monkeypatch.delenv("JUNHENG_NO_CACHE", raising=False)
    rule = tmp_path / "甲.rule"
    rule.write_text("规则集 甲\n参数 p = 1\n", encoding="utf-8")
    parse_file(rule)  # fills the cache
    entries = [p for p in cache.rglob("*") if p.is_file()]
    assert entries, "parse_file no longer caches: remove this test"
    marker = tmp_path / "pwned"
    for entry in entries:
        entry.write_bytes(pickle.dumps(_Payload(marker)))  # a planted pickle: must not run
    rf = parse_file(rule)
    assert [s.name for s in rf.statements] == ["p"]
    assert not marker.exists()
