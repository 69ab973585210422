"""The main job on the bundled sample: key figures checked against the hand calculation."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import cli
from engine.packs import sample_dir

EXPECTED = json.loads((sample_dir() / "expected.json").read_text(encoding="utf-8"))
GOLDEN = Path(__file__).parent / "golden" / "summary" / "示例县.txt"


@pytest.fixture(scope="module")
def rows() -> list[dict[str, object]]:
    out = CliRunner().invoke(cli, ["eval", "--format", "json", "--date", "2026-01-01"])
    assert out.exit_code == 0, out.output
    return json.loads(out.stdout)["结果"]  # type: ignore[no-any-return]


def test_all_fourteen_cvs_match_the_hand_calculation(rows: list[dict[str, object]]) -> None:
    cvs = {(r["编号"], r["学段"]): r["值"] for r in rows if str(r["编号"]).endswith("差异系数")}
    assert len(cvs) == 14
    for stage, by_item in EXPECTED["差异系数"].items():
        for item, value in by_item.items():
            got = Decimal(str(cvs[(f"{item}差异系数", stage)]))
            assert abs(got - Decimal(str(value))) < Decimal("0.000001"), (item, stage)


def test_only_the_junior_r5_cv_fails(rows: list[dict[str, object]]) -> None:
    failed = [(r["编号"], r["学段"]) for r in rows if str(r["编号"]).endswith("差异系数") and r["结论"] == "未达标"]
    assert failed == [("R5差异系数", "初中")]


def test_every_unit_resource_verdict_matches(rows: list[dict[str, object]]) -> None:
    got = {(r["学校标识码"], r["学段"]): r["结论"] for r in rows if r["编号"] == "资源配置达标"}
    for unit in EXPECTED["学部"]:
        assert got[(unit["学校标识码"], unit["学段"])] == unit["资源配置"], unit["学校名称"]


def test_county_fails_overall_on_the_planted_items(rows: list[dict[str, object]]) -> None:
    county = {r["编号"]: r for r in rows if r["对象"] == "县区" and r["学段"] is None}
    assert county["优质均衡"]["结论"] == "未达标"
    assert county["G11交流比例"]["值"] == "0.095" and county["G11交流比例"]["结论"] == "未达标"
    assert county["G15随迁子女"]["值"] == "0.83" and county["G15随迁子女"]["结论"] == "未达标"
    assert county["G6"]["结论"] == "数据缺失" and county["G6"]["缺失字段"] == ["小规模学校公用经费按100人核定"]
    assert county["S1"]["结论"] == "达标"


def test_text_summary_golden(request: pytest.FixtureRequest) -> None:
    out = CliRunner().invoke(cli, ["eval", "--date", "2026-01-01"])
    assert out.exit_code == 0, out.output
    if request.config.getoption("--update-goldens", default=False) or not GOLDEN.exists():
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(out.stdout, encoding="utf-8")
    assert out.stdout == GOLDEN.read_text(encoding="utf-8")
