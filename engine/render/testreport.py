"""Render rule-test outcomes: a Chinese summary, JUnit XML for CI, and a coverage table."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from engine.cases import Outcome


def render_summary(outcomes: list[Outcome], seconds: float) -> str:
    lines: list[str] = []
    failed = [o for o in outcomes if not o.passed]
    for o in failed:
        lines.append(f"✗ {Path(o.case.file).name} · {o.case.name}")
        lines.extend(f"    {f}" for f in o.failures)
        for explanation in o.explanations[:2]:
            lines.extend("      " + line for line in explanation.splitlines())
        lines.append("")
    passed = len(outcomes) - len(failed)
    lines.append(f"用例 {len(outcomes)} 个:通过 {passed} 个,失败 {len(failed)} 个(用时 {seconds:.2f} 秒)")
    return "\n".join(lines)


def render_junit(outcomes: list[Outcome], seconds: float) -> bytes:
    """JUnit XML: one <testsuite> per case file, one <testcase> per case."""
    root = ET.Element("testsuites", name="junheng", tests=str(len(outcomes)),
                      failures=str(sum(1 for o in outcomes if not o.passed)), time=f"{seconds:.3f}")
    suites: dict[str, ET.Element] = {}
    for o in outcomes:
        suite = suites.get(o.case.file)
        if suite is None:
            suite = ET.SubElement(root, "testsuite", name=o.case.file, tests="0", failures="0")
            suites[o.case.file] = suite
        suite.set("tests", str(int(suite.get("tests", "0")) + 1))
        case = ET.SubElement(suite, "testcase", classname=Path(o.case.file).stem, name=o.case.name)
        if not o.passed:
            suite.set("failures", str(int(suite.get("failures", "0")) + 1))
            failure = ET.SubElement(case, "failure", message=o.failures[0])
            failure.text = "\n".join(o.failures + o.explanations)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def render_coverage(clauses: list[tuple[str, str, int, str]], covered: set[tuple[str, str, int]]) -> tuple[str, float]:
    """Which requirement clauses no case exercised; returns (text, percent covered)."""
    missing = [c for c in clauses if (c[0], c[1], c[2]) not in covered]
    percent = 100.0 * (len(clauses) - len(missing)) / len(clauses) if clauses else 100.0
    lines = [f"要求子句覆盖率:{len(clauses) - len(missing)}/{len(clauses)} = {percent:.1f}%"]
    if missing:
        lines.append("没有用例覆盖的要求子句:")
        lines.extend(f"  {rs} · {item}" + (f"(第 {i + 1} 个分支:{text})" if text != "结论" and i else
                                          f"({text})" if text != "结论" else "") for rs, item, i, text in missing)
    return "\n".join(lines), percent
