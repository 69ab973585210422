"""The synthetic data generator (engine.synth, `junheng sample`): determinism, columns,
internal consistency, and that the national rules read it and mostly pass it."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from cli.sample_cmd import sample_cmd
from engine.facts import load_facts
from engine.interpreter import evaluate, field_specs, load_rules
from engine.interpreter.frames import DATA_MISSING, FAIL, NOT_APPLICABLE, PASS
from engine.synth import COUNTY_EXTRA, KINDS, SCHOOL_EXTRA, generate, write_csv

COUNTIES = 40
SEED = 7


@pytest.fixture(scope="module")
def national():  # type: ignore[no-untyped-def]
    return load_rules("国家")


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return write_csv(generate(COUNTIES, SEED), tmp_path_factory.mktemp("synth"))


@pytest.fixture(scope="module")
def facts(national, written):  # type: ignore[no-untyped-def]
    return load_facts(written[0], written[1], field_specs(national))


@pytest.fixture(scope="module")
def results(national, facts):  # type: ignore[no-untyped-def]
    return evaluate(national, facts, date(2025, 1, 1))


def _header(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return next(csv.reader(fh))


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    a = write_csv(generate(6, 11), tmp_path / "a")
    b = write_csv(generate(6, 11), tmp_path / "b")
    c = write_csv(generate(6, 12), tmp_path / "c")
    for pa, pb, pc in zip(a, b, c):
        assert pa.read_bytes() == pb.read_bytes()
        assert pa.read_bytes() != pc.read_bytes()


def test_utf8_with_bom(written: tuple[Path, Path]) -> None:
    for path in written:
        data = path.read_bytes()
        assert data.startswith(b"\xef\xbb\xbf")
        data.decode("utf-8")


def test_columns_are_the_canonical_ones_in_order(national, written) -> None:  # type: ignore[no-untyped-def]
    fields = national.ruleset.fields
    school_declared = [n for n, e in fields.items() if e.decl.entity == "学校"]
    county_required = [n for n, e in fields.items() if e.decl.entity == "县区" and e.decl.required]
    county_optional = {n for n, e in fields.items() if e.decl.entity == "县区" and not e.decl.required}
    assert _header(written[0]) == school_declared + list(SCHOOL_EXTRA)
    county_header = _header(written[1])
    assert county_header[: 1 + len(county_required)] == ["县区", *county_required]
    assert county_header[1 + len(county_required):] == list(COUNTY_EXTRA)
    assert set(COUNTY_EXTRA) == county_optional


def test_shape_of_the_data(facts) -> None:  # type: ignore[no-untyped-def]
    s, c = facts.schools.columns, facts.counties.columns
    ids = list(s["学校标识码"])
    assert len(set(ids)) == len(ids) and all(len(i) == 10 and i.isdigit() for i in ids)
    names = list(c["县区"])
    assert len(set(names)) == len(names) == COUNTIES
    per_county = np.unique(s["县区"].astype(str), return_counts=True)[1]
    assert per_county.min() >= 10 and per_county.max() <= 400
    assert set(s["办学类型"]) == set(KINDS)
    assert set(s["城乡"]) == {"城区", "镇区", "乡村"}
    assert len(set(s["学校名称"])) == len(ids)


def test_values_are_consistent(facts) -> None:  # type: ignore[no-untyped-def]
    s = facts.schools.columns
    for stage, limit in (("小学", 45), ("初中", 50)):
        n, cls, top, big = s[f"{stage}生数"], s[f"{stage}班数"], s[f"{stage}最大班额"], s[f"{stage}大班额班数"]
        t = s[f"{stage}专任教师数"]
        for part in ("高于规定学历教师数", "骨干教师数", "体育艺术教师数", "中级及以上职称教师数"):
            assert np.all(s[f"{stage}{part}"].astype(np.float64) <= t)  # undeclared columns stay text
        assert np.all((n > 0) == (cls > 0)) and np.all((n > 0) == (t > 0))
        has = n > 0
        assert np.all(top[has] * cls[has] >= n[has])  # the largest class is at least the average
        assert np.all(top[has] <= n[has] - cls[has] + 1)  # every other class has a pupil
        assert np.all((top > limit) == (big > 0)) and np.all(big <= cls)
        assert np.all(big * (limit + 1) <= n)
    assert np.all(s["持证专任教师数"] <= s["小学专任教师数"] + s["初中专任教师数"])
    assert np.all(s["教师培训经费"] <= s["公用经费预算"])
    kinds = s["办学类型"]
    assert np.all(s["高中生数"][~np.isin(kinds, ["完全中学", "十二年一贯制学校"])] == 0)
    assert np.all(s["小学生数"][np.isin(kinds, ["初中", "完全中学"])] == 0)
    assert np.all(s["初中生数"][np.isin(kinds, ["小学", "教学点"])] == 0)
    c = facts.counties.columns
    assert np.all(c["入学残疾儿童数"] + c["缓学残疾儿童数"] <= c["适龄残疾儿童数"])
    assert np.all(c["公办就读随迁子女数"] <= c["随迁子女数"])
    assert np.all(c["交流骨干教师数"] <= c["交流轮岗教师数"])
    assert np.all(c["交流轮岗教师数"] <= c["符合交流条件教师数"])


def test_loads_without_warnings_and_evaluates(facts, results) -> None:  # type: ignore[no-untyped-def]
    assert facts.warnings == []
    for name, item in results.items.items():
        assert not np.any(item.verdict == DATA_MISSING), name


def _pass_rate(item) -> float:  # type: ignore[no-untyped-def]
    applicable = item.verdict != NOT_APPLICABLE
    return float(np.mean(item.verdict[applicable] == PASS))


def test_pass_rates_are_plausible(results) -> None:  # type: ignore[no-untyped-def]
    items = results.items
    # most units meet each standard, but not all of them
    for k in range(1, 8):
        assert 0.97 <= _pass_rate(items[f"R{k}"]) < 1.0 or _pass_rate(items[f"R{k}"]) == 1.0
    assert 0.95 <= _pass_rate(items["资源配置达标"]) < 1.0
    # some units miss one standard and still pass (≥ 85%), others do not
    r = np.vstack([items[f"R{k}"].verdict for k in range(1, 8)])
    one_miss = (r == FAIL).sum(axis=0) == 1
    assert np.any(one_miss & (items["资源配置达标"].verdict == PASS))
    assert np.any(one_miss & (items["资源配置达标"].verdict == FAIL))
    # small 教学点 are left out, and they exist
    assert np.any(items["R1"].verdict == NOT_APPLICABLE)
    for name in ("G3", "G4", "G5", "Q3章程", "Q4"):
        assert _pass_rate(items[name]) >= 0.95, name
    for k in range(1, 8):
        assert _pass_rate(items[f"R{k}差异系数"]) >= 0.8
    # counties: a realistic mix
    overall = _pass_rate(items["优质均衡"])
    assert 0.2 <= overall <= 0.85


def test_sample_command(tmp_path: Path) -> None:
    out = tmp_path / "样例"
    result = CliRunner().invoke(sample_cmd, ["--counties", "3", "--seed", "5", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "所学校" in result.output
    direct = write_csv(generate(3, 5), tmp_path / "direct")
    assert (out / "学校表.csv").read_bytes() == direct[0].read_bytes()
    assert (out / "县区表.csv").read_bytes() == direct[1].read_bytes()
    bad = CliRunner().invoke(sample_cmd, ["--counties", "0", "-o", str(out)])
    assert bad.exit_code != 0
