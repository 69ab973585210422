"""The fast CSV path (pyarrow) reads exactly what the careful path (csv module, object arrays) reads.

Every file here is read both ways — `fastcsv.ENABLED` off is the careful path — and the tables
(columns bit for bit, row numbers, missing columns) and all diagnostics must be equal. Plain
files must actually take the fast path, and unusual ones may fall back, but never differ.
"""

from __future__ import annotations

import itertools
import random
import re
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from engine.facts import Table, fastcsv, fastparse, read_table, validate
from engine.facts.parse import parse_column, parse_text
from engine.facts.read import read_raw
from engine.facts.spec import INTEGER, NUMBER, TEXT, YES_NO, FieldSpec
from engine.interpreter import field_specs, load_rules
from engine.interpreter.errors import Diagnostic
from engine.synth import write_sample

from .same_table import assert_same_table

SPECS = field_specs(load_rules("国家"))


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    schools, counties, _ = write_sample(tmp_path_factory.mktemp("synth"), 100, seed=1)
    return schools, counties


def read_both(path: Path, entity: str, specs: Any = SPECS, *, fast: bool | None = True) -> tuple[Table, list[Diagnostic]]:
    """Read `path` both ways and assert they agree; `fast` says whether the fast path must take it."""
    if fast is not None:
        raw = None
        try:
            raw = read_raw(path, str(path), entity)
        except Exception:
            assert not fast
        assert raw is None or (raw.columns is not None) == fast, "fast path taken?"
    table, diagnostics = read_table(path, entity, specs)
    fastcsv.ENABLED = False
    try:
        careful_table, careful_diagnostics = read_table(path, entity, specs)
    finally:
        fastcsv.ENABLED = True
    assert_same_table(table, careful_table)
    assert diagnostics == careful_diagnostics
    return table, diagnostics


def test_synthetic_100_counties_read_the_same(sample: tuple[Path, Path]) -> None:
    schools, counties = sample
    table, diagnostics = read_both(schools, "学校")
    assert table.n > 5000 and not [d for d in diagnostics if d.is_error]
    read_both(counties, "县区")


# ---------------------------------------------------------------- damaged copies of the sample

#: Cells the careful parser treats in every way it can: numbers in all their written forms,
#: missing-value marks, yes/no words, text needing trimming, and plain garbage.
NASTY = [
    "", " ", "  12 ", "12", "-3", "0", "-0", "0.5", "12.", ".5", "-.5", "+5", "1e3", "1E+2", "1.2.3", "-", "--", "—",
    "/", "N/A", "na", "NULL", "none", "NaN", "nan", "inf", "-inf", "1_000", "１２", "١٢", "12%", " 98.5 % ", "12人",
    "300 万元", "1,234", "1,234.5", "12,34", "约3", "#DIV/0!", "#N/A", "是", "否", "有", "无", "Y", "n", "TRUE",
    "false", "1.0", "0.0", "2", "✓", "×", "x", "\u200b123", "12\u200b", "\ufeff7", "\u3000学校\u3000", " 甲县 ",
    "甲县\t", "ab", "abcd", "abcde", "第1小学", "１２３４５", "0000000001", "12345678901", "9" * 16, "1" * 400,
    "1e400", "\u00a0", "\x0c", "１.５", "−5", "12 ", " 12", "3.0", "2.5e-3", "x" * 40, "0.0001", "1\u00a05",
    "\u2028", "a\x85", "\x1c7", "７", "一", "(1)", "1\u20285",
]


def mutated_rows(path: Path, rng: random.Random, cells: int, pool: list[str]) -> tuple[list[str], list[list[str]]]:
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    header, rows = lines[0].split(","), [line.split(",") for line in lines[1:400]]
    for _ in range(cells):
        rows[rng.randrange(len(rows))][rng.randrange(len(header))] = rng.choice(pool)
    return header, rows


def write_text(path: Path, header: list[str], rows: list[list[str]], *, sep: str = ",", eol: str = "\n",
               bom: bool = True, blank: list[str] = (), rng: random.Random | None = None) -> Path:
    lines = [sep.join(header)] + [sep.join(r) for r in rows]
    for extra in blank:
        assert rng is not None
        lines.insert(rng.randrange(len(lines) + 1), extra)
    path.write_bytes(("\ufeff" if bom else "").encode() + eol.join(lines).encode("utf-8") + eol.encode())
    return path


@pytest.mark.parametrize("seed", range(12))
def test_damaged_cells_read_the_same(sample: tuple[Path, Path], tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    sep = "\t" if seed % 3 == 0 else ","
    pool = [c for c in NASTY if sep not in c] if sep == "," else [c for c in NASTY if "\t" not in c]
    header, rows = mutated_rows(sample[0], rng, 60, pool)
    path = write_text(tmp_path / "学校表.csv", header, rows, sep=sep, eol="\r\n" if seed % 2 else "\n", bom=seed % 4 != 1)
    read_both(path, "学校")
    c_header, c_rows = mutated_rows(sample[1], rng, 30, pool)
    read_both(write_text(tmp_path / "县区表.csv", c_header, c_rows, sep=sep), "县区")


def test_one_nasty_value_per_column_reads_the_same(sample: tuple[Path, Path], tmp_path: Path) -> None:
    """Each value alone in a column: one bad cell sends a whole column down the careful path."""
    header, rows = mutated_rows(sample[0], random.Random(0), 0, NASTY)
    for start in range(0, len(NASTY), 8):
        trial = [list(r) for r in rows]
        for k, value in enumerate(NASTY[start:start + 8]):
            if "," not in value:
                for column in range(len(header)):
                    trial[(k * 37 + column) % len(trial)][column] = value
        read_both(write_text(tmp_path / "学校表.csv", header, trial), "学校")


@pytest.mark.parametrize(("blank", "fast"), [
    (["", "", ""], True), ([",,,,", ""], True), ([" ", "\u3000", " , ,"], True), (["\t\t"], True), (["\x0c"], True),
    (["\ufeff,,"], False),  # not blank (a BOM is not whitespace): a short row, for the careful path
])
@pytest.mark.parametrize("few", [2000, 0])  # 0: every byte of every line looked at, not just the first
def test_blank_lines_anywhere_keep_file_row_numbers(sample: tuple[Path, Path], tmp_path: Path, blank: list[str],
                                                    fast: bool, few: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fastcsv, "_FEW", few)
    rng = random.Random(len(blank))
    header, rows = mutated_rows(sample[0], rng, 10, NASTY[:30])
    for row in rows[::3]:
        row[0] = rng.choice(["", " 2100000001", "\u3000x", "（1）"])  # lines not starting with plain content
    path = write_text(tmp_path / "学校表.csv", header, rows, blank=blank * 3, rng=rng)
    read_both(path, "学校", fast=fast)


@pytest.mark.parametrize(("text", "fast"), [
    ("\n\n学校标识码,学校名称,县区\n\n1234567890,甲,乙县\n,,\n\n2234567890,丙,乙县\n\n\n", True),
    (",,\n  \n学校标识码,学校名称,县区\r\n1234567890,甲,乙县", True),
    ("学校标识码,学校名称,县区\n", True),  # a header and no rows
    ("学校标识码,学校名称,县区,,县区,小学生数(人),小学生数(元)\n1,2,3,4,5,6,7\n", True),
    ("学校\t名称,县区\tx\n1\t2,3\n", True),  # a comma in the first line: comma-separated
    ("学校标识码,学校名称,县区,小学生数,寄宿制\n1,a,b,,\n2,c,d,,\n", True),  # empty number and yes/no columns
    ("全省学校统计\n学校标识码,学校名称,县区\n1234567890,甲,乙县\n", False),  # ragged: careful path, E401 + hint
    ("全省学校统计,,\n学校标识码,学校名称,县区\n1234567890,甲,乙县\n", True),  # E401 + hint from the fast path
    ('学校标识码,学校名称,县区\n1234567890,"甲,一",乙县\n', False),  # quotes
    ('学校标识码,学校名称,县区\n1234567890,"甲\n一",乙县\n2,b,c\n', False),  # a field over two lines
    ("学校标识码,学校名称,县区\r1234567890,甲,乙县\r", False),  # old Mac line ends
    ("学校标识码,学校名称,县区\n1234567890,甲,乙县,多\n", False),
    ("学校标识码,学校名称,县区\n1234567890\n", False),
    ("\ufeff学校标识码,学校名称,县区\n1,2,3\n", False),  # a second BOM
    ("学校标识码,学校名称,县区\n1,2,3\x00\n", False),
    ("学校标识码,学校名称,县区\n1," + "x" * 140000 + ",3\n", False),  # over the csv module's field limit
])
def test_odd_files_read_the_same(tmp_path: Path, text: str, fast: bool) -> None:
    read_both(_raw(tmp_path / "学校表.csv", "\ufeff" + text), "学校", fast=fast)


def _raw(path: Path, text: str) -> Path:
    path.write_bytes(text.encode("utf-8"))
    return path


def test_not_utf8_falls_back(tmp_path: Path) -> None:
    gbk = tmp_path / "学校表.csv"
    gbk.write_bytes("学校标识码,学校名称,县区\n1234567890,第一小学,乙县\n".encode("gbk"))
    read_both(gbk, "学校", fast=False)
    mixed = tmp_path / "混合.csv"
    mixed.write_bytes("学校标识码,学校名称,县区\n1234567890,第一小学,乙县\n".encode() + "2,第二小学,乙县\n".encode("gbk"))
    _, diagnostics = read_both(mixed, "学校", fast=False)
    assert [d.code for d in diagnostics] == ["E407"]


# ---------------------------------------------------------------- the column parsers, cell by cell

COLUMN_SPECS = [FieldSpec("整", "学校", INTEGER, "人"), FieldSpec("数", "学校", NUMBER, "万元", nonnegative=False),
                FieldSpec("率", "县区", NUMBER, "%"), FieldSpec("否", "学校", YES_NO), FieldSpec("文", "学校", TEXT)]


def assert_column_same(cells: list[str], spec: FieldSpec) -> None:
    column = pa.chunked_array([pa.array(cells[: len(cells) // 2]), pa.array(cells[len(cells) // 2:])], pa.string())
    column = pc.if_else(pc.equal(column, ""), pa.scalar(None, pa.string()), column)  # as read: empty is null
    values, problems, cell = fastparse.parse_arrow_column(column, spec)
    objects = np.empty(len(cells), dtype=object)
    objects[:] = cells
    expected, expected_problems = parse_column(objects, spec)
    assert values.dtype == expected.dtype
    if values.dtype == np.float64:
        assert values.tobytes() == expected.tobytes(), (cells, spec)
    else:
        assert values.tolist() == expected.tolist()
    assert problems == expected_problems, (cells, spec)
    assert [cell(i) for i, _ in problems] == [cells[i] for i, _ in problems]


@pytest.mark.parametrize("spec", COLUMN_SPECS, ids=lambda s: s.type + (s.unit or ""))
def test_every_short_number_text_alone_and_in_a_column(spec: FieldSpec) -> None:
    """All strings of up to 5 characters from "01.-": the fast grammar is float()'s, no wider."""
    strings = ["".join(t) for n in range(6) for t in itertools.product("01.-", repeat=n)]
    for s in strings:
        assert_column_same([s, "12", ""], spec)
    assert_column_same(strings, spec)


@pytest.mark.parametrize("spec", COLUMN_SPECS, ids=lambda s: s.type + (s.unit or ""))
def test_nasty_cells_alone_and_together(spec: FieldSpec) -> None:
    for s in NASTY:
        assert_column_same(["7", s, "", s], spec)
    assert_column_same(NASTY * 3, spec)


def test_decimals_round_exactly_as_python_does() -> None:
    rng = random.Random(7)
    cells = []
    for _ in range(50000):
        whole = str(rng.randrange(10 ** rng.randint(0, 14)))
        cells.append(rng.choice(["", "-"]) + whole + (f".{rng.randrange(10 ** 12):0{rng.randint(1, 17)}d}"
                                                      if rng.random() < 0.8 else ""))
    assert_column_same(cells, FieldSpec("数", "学校", NUMBER, nonnegative=False))


def test_text_cells_unchanged_or_parsed_carefully() -> None:
    rng = random.Random(3)
    alphabet = ["a", "Z", "0", "9", "甲", "县", " ", "\t", "\u3000", "\u00a0", "\u200b", "\ufeff", "-", "/", "N", "A",
                "－", "—", "é", "\U00020000", ".", "\x1c", "\u2028"]
    cells = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 8))) for _ in range(20000)]
    texts = fastparse._texts(pa.chunked_array([pa.array(cells)]))
    assert texts.tolist() == [parse_text(c) for c in cells]
    assert_column_same(cells, FieldSpec("文", "学校", TEXT))


def test_title_row_hint_from_the_fast_path(write, specs) -> None:  # type: ignore[no-untyped-def]
    """A title row as wide as the table: the fast path reads it, and the hint still finds the header."""
    blanks = "," * (len(write.header) - 1)
    text = "全省学校统计" + blanks + "\n" + ",".join(write.header) + "\n" + ",".join(map(str, write.school(1))) + "\n"
    _, diagnostics = read_both(write.text("学校表.csv", text), "学校", specs)
    assert "表头似乎在第 2 行" in next(d.hint for d in diagnostics if d.code == "E401")  # type: ignore[operator]


# ---------------------------------------------------------------- the id checks, against the loop they replace


def reference_ids(ids: list[str | None]) -> tuple[list[tuple[int, int]], list[int]]:
    """(repeat, first) pairs and the odd ids, as the original one-loop check_ids found them."""
    first: dict[str, int] = {}
    repeats, odd = [], []
    for i, value in enumerate(ids):
        if value is None:
            continue
        j = first.setdefault(value, i)
        if j != i:
            repeats.append((i, j))
        elif not re.fullmatch(r"\d{10}", value):
            odd.append(i)
    return repeats, odd


@pytest.mark.parametrize("seed", range(6))
def test_check_ids_finds_what_the_loop_found(seed: int) -> None:
    rng = random.Random(seed)
    pool = ["2100000000", "2100000001", "210000000", "21000000001", "２１０００００００２", "٢١٠٠٠٠٠٠٠٣", "abcdefghij", "x"]
    ids = [rng.choice([*pool, None]) if rng.random() < 0.3 else f"{rng.randrange(10 ** 10):010d}" for _ in range(300)]
    if seed % 2:  # without repeats: the fast branch
        ids = [v if v is None or v not in ids[:i] else None for i, v in enumerate(ids)]
    column = np.empty(len(ids), dtype=object)
    column[:] = ids
    table = Table("学校", "s.csv", len(ids), {"学校标识码": column}, np.arange(2, len(ids) + 2))
    repeats, odd = reference_ids(ids)
    found = validate.check_ids(table)
    assert [d.location.row for d in found if d.code == "E404"] == [i + 2 for i, _ in repeats]  # type: ignore[union-attr]
    shown = [d for d in found if d.code == "W453"]
    assert [d.location.row for d in shown[:validate.MAX_WARNINGS_PER_COLUMN]] == [i + 2 for i in odd][:20]  # type: ignore[union-attr]


def test_ten_digits_is_the_regex() -> None:
    digit = re.compile(r"\d")
    assert all(bool(digit.fullmatch(c)) == c.isdecimal() for c in map(chr, range(0x110000)))
