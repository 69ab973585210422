"""`eval --format json` output (engine.render.jsonrows): byte for byte what `write_json` writes
from `result_rows` — the indented small path and the compact column-wise large path, 数据缺失
rows, awkward labels, number formatting, and failures while writing."""

from __future__ import annotations

import errno
import io
import json
import threading
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

import engine.render.jsonrows as jsonrows
from cli.main import cli
from engine.facts import load_facts
from engine.interpreter import ast as A
from engine.interpreter import evaluate, field_specs, load_rules
from engine.interpreter.frames import DATA_MISSING, ID_COLUMN, NAME_COLUMN, OK, Col
from engine.packs import sample_dir
from engine.render.jsonrows import _decimal_bodies, row_count, write_results_json
from engine.render.numbers import exact_string
from engine.render.rows import result_rows, write_json
from engine.synth import generate, write_csv

HEADER = {"规则集": "国家", "文号": "教督〔2017〕6号", "评估日期": "2025-01-01", "警告": ['W1 "引号" 与 \\ 反斜杠']}
AWKWARD = ['引号"在中间', "反斜杠\\在中间", "\\", '"', "控制\x01字符\x1f与\x7f", "制表\t换行\n回车\r退格\b换页\f",
           "𠀀😀非基本平面", "\u2028\u2029", "", '","', '"\n"', "},{", " 前后空格 ", None]


def oracle(results: Any, pretty_limit: int = 10000) -> bytes:
    """What `eval --format json` wrote before the column-wise path: rows as dicts, then write_json."""
    text = io.StringIO()
    write_json(text, HEADER, result_rows(results), pretty_limit)
    return text.getvalue().encode("utf-8")


def fast(results: Any, pretty_limit: int = 10000) -> bytes:
    out = io.BytesIO()
    write_results_json(out, HEADER, results, pretty_limit)
    return out.getvalue()


@pytest.fixture(scope="module")
def national():  # type: ignore[no-untyped-def]
    return load_rules("国家")


def _evaluate(rules: Any, schools: Path, counties: Path, day: date) -> Any:
    return evaluate(rules, load_facts(schools, counties, field_specs(rules)), day)


@pytest.fixture(scope="module")
def sample(national):  # type: ignore[no-untyped-def]
    return _evaluate(national, sample_dir() / "学校表.csv", sample_dir() / "县区表.csv", date(2026, 1, 1))


@pytest.fixture(scope="module")
def synth_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return write_csv(generate(30, 5), tmp_path_factory.mktemp("synth"))


@pytest.fixture(scope="module")
def synth(national, synth_files):  # type: ignore[no-untyped-def]
    return _evaluate(national, *synth_files, date(2025, 1, 1))


def test_sample_is_indented_and_identical(sample: Any) -> None:
    data = fast(sample)
    assert data == oracle(sample)
    assert data.startswith(b'{\n "')


@pytest.mark.parametrize("limit", [0, 1, 9, 100, 501])
def test_sample_compact_is_identical(sample: Any, limit: int) -> None:
    data = fast(sample, limit)
    assert data == oracle(sample, limit)
    assert b'"G6"' in data and '"结论":"数据缺失","缺失字段":["小规模学校公用经费按100人核定"]}'.encode() in data


def test_synthetic_counties_take_the_compact_path_and_are_identical(synth: Any) -> None:
    total = row_count(synth)
    assert total > 10001 + 20000  # so at least two line breaks between chunks
    data = fast(synth)
    assert data == oracle(synth)
    breaks = len(range(10001, total, 20000))
    assert data.count(b"\n") == 2 + breaks and data.endswith(b"}\n]}")


@pytest.mark.parametrize("limit", [0, 7, jsonrows.BLOCK - 1, jsonrows.BLOCK, 20000, -20001, -1, -2])
def test_chunk_ends_fall_where_write_json_puts_them(synth: Any, limit: int) -> None:
    if limit < 0:  # a chunk ends at (or next to) the last row
        limit += row_count(synth)
    assert fast(synth, limit) == oracle(synth, limit)


def test_every_province_and_the_2012_rules(synth_files: tuple[Path, Path]) -> None:
    for name in ("河北", "沈阳", "基本均衡"):
        results = _evaluate(load_rules(name), *synth_files, date(2025, 1, 1))
        assert fast(results, 0) == oracle(results, 0), name


def test_awkward_labels_are_escaped_as_orjson_does(national: Any, tmp_path: Path) -> None:
    results = _evaluate(national, *write_csv(generate(2, 9), tmp_path), date(2025, 1, 1))
    fields = results.env.fields
    names, ids, counties = (fields[(A.SCHOOL, NAME_COLUMN)].v, fields[(A.SCHOOL, ID_COLUMN)].v,
                            fields[(A.COUNTY, "县区")].v)
    for i, text in enumerate(AWKWARD):
        names[i] = text
        ids[len(ids) - 1 - i] = text
    counties[0] = 'A县"\\\n😀'
    for limit in (0, 10000):
        data = fast(results, limit)
        assert data == oracle(results, limit)
        doc = json.loads(data)
        assert {r["学校名称"] for r in doc["结果"]} >= set(AWKWARD)


def test_text_values_and_missing_ones(sample: Any) -> None:
    name = "R1"
    item = sample.items[name]
    saved = item.col
    n = len(item.verdict)
    v = np.empty(n, dtype=object)
    v[:] = [AWKWARD[i % len(AWKWARD)] or "空" for i in range(n)]
    s = np.where(np.arange(n) % 3 == 0, 1, OK).astype(np.int8)
    item.col = Col(v, s)
    try:
        assert fast(sample, 0) == oracle(sample, 0)
    finally:
        item.col = saved


def test_data_missing_rows_keep_their_fields(sample: Any) -> None:
    doc = json.loads(fast(sample, 0))
    missing = [r for r in doc["结果"] if r["结论"] == "数据缺失"]
    assert missing and all(list(r)[-1] == "缺失字段" for r in missing if r["编号"] != "资源配置达标")
    assert sum(int((item.verdict == DATA_MISSING).sum()) for item in sample.items.values()) == len(missing)


def test_numbers_read_as_exact_string_writes_them() -> None:
    rng = np.random.default_rng(2)
    values = [0.0, -0.0, 1.0, -1.5, 100.0, 1e-7, -1e-7, 5e-7, -5e-7, 4.9999999e-7, 2.0000005, -2.0000005, 0.1234565,
              1234567.1234565, 999999.9999996, 999999999.9999995, 1e9, 1e14, 1e15, 1.5e15, 123456789012.345678,
              float("nan"), float("inf"), -float("inf"), 0.1 + 0.2, 2.675, 1.0000005, 1.00000050000001, 0.0000005,
              7.0000004999999, 12.5, 0.95, 2**53 + 0.0, -(2.0**60)]
    values += list(rng.random(5000) * 10.0 ** rng.integers(-8, 13, 5000) * rng.choice([-1, 1], 5000))
    values += [round(float(v), int(d)) for v, d in zip(rng.random(5000) * 1000, rng.integers(0, 8, 5000))]
    values += [k / 1e7 + base for base in (0, 1000, -123456) for k in range(0, 40000, 5)]
    for tails in ([b',"a":1},', b",", b'},\n'], [f',"要求":"≥ {i}"}},'.encode() for i in range(3000)]):
        tail = np.arange(len(values)) % len(tails)
        got = _decimal_bodies(np.array(values), b'"v":', tails, tail)
        for value, t, body in zip(values, tail.tolist(), got):
            text = exact_string(float(value))
            assert body == b'"v":' + (b"null" if text is None else f'"{text}"'.encode()) + tails[t], value


class DiskFull(io.BytesIO):
    def __init__(self, after: int) -> None:
        super().__init__()
        self.after = after

    def write(self, data: Any) -> int:
        self.after -= 1
        if self.after < 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        return super().write(data)


def test_a_failed_write_is_raised_to_the_caller(synth: Any) -> None:
    before = threading.active_count()
    with pytest.raises(OSError, match="No space"):
        write_results_json(DiskFull(3), HEADER, synth)
    assert threading.active_count() == before


def test_an_interrupt_while_building_stops_the_writer(synth: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    real = jsonrows.json_blocks

    def blocks(*args: Any) -> Any:
        for i, block in enumerate(real(*args)):
            if i == 5:
                raise KeyboardInterrupt
            yield block

    monkeypatch.setattr(jsonrows, "json_blocks", blocks)
    before = threading.active_count()
    out = io.BytesIO()
    with pytest.raises(KeyboardInterrupt):
        write_results_json(out, HEADER, synth)
    assert threading.active_count() == before and out.getvalue()


def test_cli_file_and_stdout(synth: Any, synth_files: tuple[Path, Path], tmp_path: Path) -> None:
    args = ["eval", "--schools", str(synth_files[0]), "--counties", str(synth_files[1]), "--date", "2025-01-01",
            "--format", "json"]
    target = tmp_path / "结果.json"
    out = CliRunner().invoke(cli, [*args, "-o", str(target)])
    assert out.exit_code == 0, out.output
    data = target.read_bytes()
    header = json.loads(data[: data.index(',"结果":['.encode())] + b"}")
    text = io.StringIO()
    write_json(text, header, result_rows(synth))
    assert data == text.getvalue().encode("utf-8")
    out = CliRunner().invoke(cli, args)
    assert out.exit_code == 0, out.output
    assert out.stdout_bytes == data + b"\n"
