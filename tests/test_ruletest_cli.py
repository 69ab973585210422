"""`junheng test`: each failure mode reported with expected vs actual (golden), JUnit XML, coverage."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import cli

HERE = Path(__file__).resolve().parent
CASES = HERE / "ruletest" / "失败的用例.toml"
RULES = HERE.parent / "rules"
GOLDEN = HERE / "golden" / "ruletest" / "失败的用例.txt"


def run(*args: str) -> tuple[int, str]:
    out = CliRunner().invoke(cli, ["test", *args])
    return out.exit_code, out.output


def test_failures_are_reported_with_expected_and_actual(request: pytest.FixtureRequest) -> None:
    code, output = run(str(CASES), "--rules-dir", str(RULES))
    assert code == 1
    text = re.sub(r"用时 [0-9.]+ 秒", "用时 … 秒", output)
    assert "期望结论 未达标,实际 达标" in text
    assert "期望值 0.95(误差 0.01),实际 0.9" in text
    assert "期望错误 E402,但数据加载成功" in text
    assert "用例 4 个:通过 1 个,失败 3 个" in text
    assert "计算 体育艺术教师数 ÷ 学生数 × 100" in text  # the failing indicator's explanation
    if request.config.getoption("--update-goldens", default=False) or not GOLDEN.exists():
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(text, encoding="utf-8")
    assert text == GOLDEN.read_text(encoding="utf-8")


def test_junit_xml_parses_and_counts(tmp_path: Path) -> None:
    xml_path = tmp_path / "结果.xml"
    code, _ = run(str(CASES), "--rules-dir", str(RULES), "--junit", str(xml_path))
    assert code == 1
    root = ET.parse(xml_path).getroot()
    assert root.tag == "testsuites" and root.get("tests") == "4" and root.get("failures") == "3"
    cases = root.findall(".//testcase")
    assert [c.get("name") for c in cases][-1] == "正确的用例"
    assert sum(1 for c in cases if c.find("failure") is not None) == 3


def test_shipped_cases_pass_with_coverage() -> None:
    code, output = run(str(RULES), "--coverage-min", "90")
    assert code == 0, output
    assert re.search(r"要求子句覆盖率:\d+/\d+ = 9\d\.\d%|= 100\.0%", output)


def test_coverage_minimum_fails_when_not_met() -> None:
    code, output = run(str(CASES), "--rules-dir", str(RULES), "--coverage-min", "99")
    assert code == 1 and "低于要求的 99%" in output


def test_malformed_case_file_is_a_located_error(tmp_path: Path) -> None:
    bad = tmp_path / "坏.toml"
    bad.write_text('"规则集" = "国家"\n[["用例"]\n', encoding="utf-8")
    code, output = run(str(bad), "--rules-dir", str(RULES))
    assert code == 1 and "E602" in output and "坏.toml" in output
