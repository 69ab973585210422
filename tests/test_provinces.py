"""Every shipped province evaluates the sample; diffs against 国家 show real flips where sourced."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from cli.main import cli
from engine.interpreter import check_paths
from engine.packs import rules_root

SETS = sorted(s.ruleset.name for s in check_paths([rules_root()]))
PROVINCES = [s for s in SETS if s != "国家"]


def test_at_least_four_provinces_and_a_city_chain() -> None:
    sets = {s.ruleset.name: s.ruleset for s in check_paths([rules_root()])}
    assert len(PROVINCES) >= 5
    chains = [[layer.name for layer in rs.layers] for rs in sets.values()]
    assert any(len(chain) == 3 and chain[0] == "国家" for chain in chains)  # 国家 → 省 → 市


@pytest.mark.parametrize("name", PROVINCES)
def test_every_province_evaluates_the_sample(name: str) -> None:
    out = CliRunner().invoke(cli, ["eval", "--rules", name, "--format", "json", "--date", "2026-01-01"])
    assert out.exit_code == 0, out.output
    doc = json.loads(out.stdout)
    assert doc["规则集"] == name and doc["结果"]


@pytest.mark.parametrize(("name", "item", "before", "after"), [
    ("辽宁", "G6", "数据缺失", "未达标"),
    ("沈阳", "G7", "达标", "未达标"),
])
def test_diff_against_national_shows_real_flips(name: str, item: str, before: str, after: str) -> None:
    out = CliRunner().invoke(cli, ["diff", "国家", name, "--format", "json", "--date", "2026-01-01"])
    assert out.exit_code == 1, out.output  # some verdict flips
    flips = json.loads(out.stdout)["翻转"]
    assert any(f["编号"] == item and f["变化前"] == before and f["变化后"] == after and f["原因"] for f in flips)


def test_diff_with_no_flip_exits_zero() -> None:
    out = CliRunner().invoke(cli, ["diff", "国家", "国家", "--date", "2026-01-01"])
    assert out.exit_code == 0
    assert "语义上相同" in out.stdout and "没有任何结论发生变化" in out.stdout


def test_diff_markdown_is_a_pull_request_comment() -> None:
    out = CliRunner().invoke(cli, ["diff", "国家", "沈阳", "--format", "markdown", "--date", "2026-01-01"])
    assert out.stdout.startswith("## 规则集比较") and "| `G7`" in out.stdout


def test_diff_base_compares_with_a_git_revision() -> None:
    import shutil
    import subprocess

    if shutil.which("git") is None or subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True).returncode:
        pytest.skip("不在 git 仓库中")
    out = CliRunner().invoke(cli, ["diff", "--base", "HEAD", "国家", "--no-impact"])
    assert out.exit_code == 0, out.output
    assert "HEAD:国家" in out.stdout
