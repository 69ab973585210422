"""A second evaluation reusing the first (as `diff` does) gives exactly what a fresh one gives.

Only items whose result cannot differ are shared: a changed parameter, split weight, scope or
item, or anything built on one, is computed again.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from engine.facts import load_facts
from engine.interpreter import evaluate, field_specs, load_rules
from engine.packs import rules_root, sample_dir
from engine.synth import write_sample

DAY = date(2026, 1, 1)


def _facts(rules_list: list, directory: Path | None = None):  # type: ignore[no-untyped-def]
    specs = {s.name: s for r in rules_list for s in field_specs(r)}
    base = directory or sample_dir()
    return load_facts(base / "学校表.csv", base / "县区表.csv", list(specs.values()))


def _same(a, b) -> None:  # type: ignore[no-untyped-def]
    assert list(a.items) == list(b.items)
    for name, x in a.items.items():
        y = b.items[name]
        assert np.array_equal(x.verdict, y.verdict), name
        assert np.array_equal(x.col.s, y.col.s), name
        if x.col.v.dtype != object:
            assert np.array_equal(x.col.v, y.col.v, equal_nan=True), name
            assert np.array_equal(x.threshold, y.threshold, equal_nan=True), name


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synth")
    write_sample(out, counties=6, seed=3)
    return out


@pytest.mark.parametrize("name", ["辽宁", "沈阳", "宁夏", "重庆", "河北基本均衡", "基本均衡"])
def test_reuse_gives_what_a_fresh_evaluation_gives(name: str, synthetic: Path) -> None:
    national, other = load_rules("国家"), load_rules(name)
    for directory in (None, synthetic):
        facts = _facts([national, other], directory)
        base = evaluate(national, facts, DAY)
        _same(evaluate(other, facts, DAY), evaluate(other, facts, DAY, reuse=base))


def test_only_untouched_items_are_shared() -> None:
    national, liaoning = load_rules("国家"), load_rules("辽宁")
    facts = _facts([national, liaoning])
    base = evaluate(national, facts, DAY)
    again = evaluate(liaoning, facts, DAY, reuse=base)
    shared = {n for n in again.items if again.items[n] is base.items.get(n)}
    assert {"R1", "R1差异系数", "资源配置达标", "G1", "Q1"} <= shared
    # 辽宁 replaces G6 with a per-school check: G6 and everything above it is computed again
    assert not {"G6", "G6学校", "政府保障程度", "优质均衡"} & shared
    # another date, or other facts: nothing is shared
    later = evaluate(liaoning, facts, date(2030, 1, 1), reuse=base)
    assert not any(later.items[n] is base.items.get(n) for n in later.items)


def _province(tmp_path: Path, body: str):  # type: ignore[no-untyped-def]
    shutil.copytree(rules_root() / "national", tmp_path / "national")
    (tmp_path / "provinces").mkdir()
    (tmp_path / "provinces" / "某省.rule").write_text("规则集 某省\n  继承 国家\n\n" + body, encoding="utf-8")
    national, province = load_rules("国家", tmp_path), load_rules("某省", tmp_path)
    facts = _facts([national, province])
    base = evaluate(national, facts, DAY)
    again = evaluate(province, facts, DAY, reuse=base)
    _same(evaluate(province, facts, DAY), again)
    return {n for n in again.items if again.items[n] is base.items.get(n)}


def test_a_changed_parameter_recomputes_what_reads_it(tmp_path: Path) -> None:
    shared = _province(tmp_path, "修改 参数 多媒体教室标准 = 小学 2.5, 初中 2.6\n  依据 \"测试\"\n")
    assert not {"R7", "资源配置达标", "资源配置", "优质均衡"} & shared
    assert {"R1", "R1差异系数", "G1", "Q1"} <= shared


def test_a_changed_split_weight_recomputes_everything(tmp_path: Path) -> None:
    # the split weight shapes the 学部 quantities every frame is built from
    assert _province(tmp_path, "修改 参数 拆分权重 = 小学 1, 初中 1.2, 高中 1.5\n  依据 \"测试\"\n") == set()
