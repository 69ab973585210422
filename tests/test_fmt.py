"""The formatter: golden pairs, meaning never changes, idempotent, and `fmt --check` for CI."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cli.main import cli
from engine.interpreter import ast as A
from engine.interpreter.parse import parse_text
from engine.render.rulefmt import format_text

HERE = Path(__file__).resolve().parent / "fmt"
REPO_RULES = Path(__file__).resolve().parent.parent / "rules"
SHIPPED = sorted(REPO_RULES.rglob("*.rule"))


def strip(node: Any) -> Any:
    """An AST without spans (and with 修改 clauses as a set), for comparing meaning."""
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        fields = {f.name: strip(getattr(node, f.name)) for f in dataclasses.fields(node) if f.name not in ("span", "path")}
        if isinstance(node, A.Modify):
            fields["clauses"] = sorted((k, repr(strip(v))) for k, v in node.clauses)
        return type(node).__name__, tuple(sorted(fields.items()))
    if isinstance(node, tuple):
        return tuple(strip(x) for x in node)
    return node


@pytest.mark.parametrize("source", sorted(HERE.glob("*.rule")), ids=lambda p: p.stem)
def test_golden_pairs(source: Path, request: pytest.FixtureRequest) -> None:
    expected = source.with_suffix(".rule.formatted")
    got = format_text(source.read_text(encoding="utf-8"), source.name)
    if request.config.getoption("--update-goldens", default=False) or not expected.exists():
        expected.write_text(got, encoding="utf-8")
    assert got == expected.read_text(encoding="utf-8")


@pytest.mark.parametrize("path", SHIPPED + sorted(HERE.glob("*.rule")), ids=lambda p: p.name)
def test_formatting_never_changes_the_meaning(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    formatted = format_text(text, path.name)
    assert strip(parse_text(formatted, "x")) == strip(parse_text(text, "x"))
    assert format_text(formatted, path.name) == formatted  # idempotent


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_formatting_keeps_every_comment(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    comments = [line.split("#", 1)[1].strip() for line in text.splitlines() if "#" in line and '"' not in line]
    formatted = format_text(text, path.name)
    for c in comments:
        assert c in formatted


def test_shipped_rules_are_formatted() -> None:
    out = CliRunner().invoke(cli, ["fmt", "--check", str(REPO_RULES)])
    assert out.exit_code == 0, out.output


def test_check_prints_a_diff_and_exits_one(tmp_path: Path) -> None:
    f = tmp_path / "a.rule"
    f.write_text("规则集 甲\n参数   p=1\n", encoding="utf-8")
    out = CliRunner().invoke(cli, ["fmt", "--check", str(f)])
    assert out.exit_code == 1
    assert "-参数   p=1" in out.output and "+参数 p = 1" in out.output
    assert f.read_text(encoding="utf-8") == "规则集 甲\n参数   p=1\n"  # --check never writes
    out = CliRunner().invoke(cli, ["fmt", str(f)])
    assert out.exit_code == 0 and f.read_text(encoding="utf-8") == "规则集 甲\n参数 p = 1\n"
