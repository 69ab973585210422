"""The rule test cases shipped beside the rules (rules/**/用例/*.toml), one pytest item per case."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.cases import Case, covered_items, iter_cases, run_case
from engine.interpreter import CompiledRules, load_rules

RULES = Path(__file__).resolve().parent.parent / "rules"
CASES = list(iter_cases([RULES]))
_CACHE: dict[str, CompiledRules] = {}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_rule_case(case: Case) -> None:
    outcome = run_case(case, RULES, _CACHE)
    assert outcome.passed, "\n".join(outcome.failures + outcome.explanations)


def test_every_national_item_has_a_case() -> None:
    national = load_rules("国家", RULES).ruleset
    cases = [c for c in CASES if c.ruleset == "国家"]
    missing = [name for name in national.items if name not in covered_items(cases)]
    assert not missing, f"没有用例的国家规则项目:{'、'.join(missing)}"
