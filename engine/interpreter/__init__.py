"""The junheng interpreter: parse → layer → check → compile → evaluate → explain.

The facade a newcomer reads first:

    rules = load_rules("国家")                 # parse + layer + check + compile
    results = evaluate(rules, facts, as_of)    # all units at once, columnar
    trace = explain(results, school, item)     # the trace tree for one row, rebuilt on demand
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from engine.interpreter import ast
from engine.interpreter.check import Checked, check
from engine.interpreter.compile import Plan, compile_plan
from engine.interpreter.errors import Diagnostic, JunhengError, RuleError, UsageError
from engine.interpreter.evaluate import Results
from engine.interpreter.evaluate import evaluate as _evaluate
from engine.interpreter.layer import RuleSet, group_layers, layer
from engine.interpreter.parse import parse_file
from engine.packs import rule_files, rules_root

__all__ = [
    "CompiledRules",
    "Diagnostic",
    "JunhengError",
    "Results",
    "RuleError",
    "UsageError",
    "check_paths",
    "evaluate",
    "field_specs",
    "group_layers",
    "load_rules",
    "parse_all",
]


@dataclass(frozen=True)
class CompiledRules:
    """A rule set ready to evaluate: the layered rules, their check result and the plan."""

    ruleset: RuleSet
    checked: Checked
    plan: Plan


def parse_all(paths: list[Path], root: Path | None = None) -> list[ast.RuleFile]:
    """Parse every .rule file under `paths`, collecting every file's syntax error.

    With `root` (the rule packs' folder), files are named in messages as rules/… wherever
    the packs are installed.
    """
    files, diags = [], []
    for path in rule_files(paths):
        try:
            files.append(parse_file(path, str(_display(path, root)) if root else None))
        except RuleError as exc:
            diags.extend(exc.diagnostics)
    if diags:
        raise RuleError(diags)
    return files


def _display(path: Path, root: Path) -> Path:
    """How a rule file is named in messages: relative to the working folder when inside it;
    the bundled packs as rules/…; anything else as given."""
    try:
        return path.resolve().relative_to(Path.cwd())
    except ValueError:
        pass
    if root.resolve() == rules_root().resolve():
        try:
            return Path("rules") / path.resolve().relative_to(root.resolve())
        except ValueError:
            pass
    return path


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Rule loading allocates tens of thousands of small objects and frees almost none; the cyclic
    collector would walk every live object (lark, sympy, numpy…) several times meanwhile — a
    third of loading every pack. Paused, not disabled: it resumes as it was."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def load_rules(name: str = "国家", rules_dir: Path | None = None) -> CompiledRules:
    """Load a rule set by name (国家, a province…) from the rule packs: parse → layer → check → compile."""
    with _collector_paused():
        return _load_rules(name, rules_dir)


def _load_rules(name: str, rules_dir: Path | None) -> CompiledRules:
    root = rules_dir or rules_root()
    files = parse_all([root], root)
    groups = group_layers(files)
    if name not in groups:
        raise UsageError(Diagnostic("E502", f"找不到规则集「{name}」",
                                    hint=f"可用的规则集:{'、'.join(sorted(groups))}"))
    rs = layer(groups, name)
    return _check_and_compile(rs)


def _check_and_compile(rs: RuleSet) -> CompiledRules:
    try:
        checked = check(rs)
        return CompiledRules(rs, checked, compile_plan(checked))
    except RecursionError:
        raise RuleError(Diagnostic("E109", f"规则集「{rs.name}」中有嵌套太深或太长的表达式,无法处理",
                                   hint="把很长的式子拆成几个指标,或减少括号的层数")) from None


def check_paths(paths: list[Path], root: Path | None = None) -> list[CompiledRules]:
    """Parse, layer and check every rule set found under `paths` (the `junheng check` job)."""
    with _collector_paused():
        return _check_paths(paths, root)


def _check_paths(paths: list[Path], root: Path | None) -> list[CompiledRules]:
    files = parse_all(paths, root)
    groups = group_layers(files)
    out: list[CompiledRules] = []
    diags: list[Diagnostic] = []
    for name in groups:
        try:
            out.append(_check_and_compile(layer(groups, name)))
        except RuleError as exc:
            diags.extend(d for d in exc.diagnostics if d not in diags)
    if diags:
        raise RuleError(diags)
    return out


def field_specs(rules: CompiledRules) -> list[Any]:
    """The facts columns a rule set declares, as the loader's FieldSpecs."""
    from engine.facts.spec import FieldSpec

    return [FieldSpec(name, e.decl.entity, e.decl.type, e.decl.unit, e.decl.required, title=e.decl.title)
            for name, e in rules.ruleset.fields.items()]


def evaluate(rules: CompiledRules, facts: Any, as_of: date | None = None, reuse: Results | None = None) -> Results:
    """Evaluate every unit, school and county of `facts` under `rules` as of a date.

    `reuse`: results of another rule set on the same facts and date; the items both sets
    compute identically are shared instead of computed twice (diff, comparisons).
    """
    return _evaluate(rules.plan, facts, as_of or date.today(), reuse)
