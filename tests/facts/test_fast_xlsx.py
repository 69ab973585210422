"""The fast xlsx path (python-calamine) reads exactly what the careful path (openpyxl) reads.

Every workbook here is read both ways — `fastxlsx.ENABLED` off is the careful path — and the raw
tables (header, rows cell by cell with their types, row numbers, sheet, uncomputed formulas), the
loaded tables (columns bit for bit) and all diagnostics must be equal. Plain workbooks must take
the fast path; the awkward ones may fall back, but never differ.
"""

from __future__ import annotations

import csv
import gc
import math
import random
import re
import sys
import zipfile
from collections.abc import Callable
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pytest
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont

from engine.facts import Table, fastxlsx, load_facts, read_table
from engine.facts.load import build_table
from engine.facts.read import RawTable, ReadFailure, read_raw
from engine.facts.spec import TABLE_NAMES, specs_for
from engine.interpreter import field_specs, load_rules
from engine.interpreter.errors import Diagnostic
from engine.synth import write_sample

from .same_table import assert_same_table

SPECS = field_specs(load_rules("国家"))
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "示例县"


def csv_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return [row for row in csv.reader(f) if row]


def typed(cell: str, numeric_ids: bool = False) -> Any:
    """A csv cell as a spreadsheet holds it: numbers as numbers, 10-digit ids as text unless asked."""
    if cell == "":
        return None
    if re.fullmatch(r"\d{10}", cell) and not numeric_ids:
        return cell
    for kind in (int, float):
        try:
            return kind(cell)
        except ValueError:
            pass
    return cell


def write_xlsx(path: Path, sheets: dict[str, list[list[Any]]], *, write_only: bool = True,
               edit: Callable[[Any], None] | None = None) -> Path:
    """Sheets of rows (row 1 first); `edit` may change the workbook before it is saved (not write-only)."""
    wb = openpyxl.Workbook(write_only=write_only and edit is None)
    if not (write_only and edit is None):
        wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    if edit is not None:
        edit(wb)
    wb.save(path)
    return path


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The synthetic 100-county pair as csv, and as xlsx with ids as text; the first 1,000 schools
    also with ids as numbers."""
    root = tmp_path_factory.mktemp("synth")
    schools, counties, _ = write_sample(root, 100, seed=1)
    out = {"schools.csv": schools, "counties.csv": counties}
    for key, source, sheet in (("schools", schools, "学校表"), ("counties", counties, "县区表")):
        rows = csv_rows(source)
        out[f"{key}.text"] = write_xlsx(root / f"{key}-text.xlsx", {sheet: [rows[0], *[list(map(typed, r)) for r in rows[1:]]]})
        numeric = [[typed(c, numeric_ids=True) for c in r] for r in rows[1:1001]]
        out[f"{key}.numeric"] = write_xlsx(root / f"{key}-numeric.xlsx", {sheet: [rows[0], *numeric]})
    return out


# ---------------------------------------------------------------- comparing the two paths


def assert_same_raw(fast: RawTable, careful: RawTable) -> None:
    assert (fast.source, fast.kind, fast.sheet, fast.header_row) == (careful.source, careful.kind, careful.sheet,
                                                                     careful.header_row)
    assert fast.header == careful.header
    assert fast.row_numbers == careful.row_numbers
    assert len(fast.rows) == len(careful.rows)
    for number, a, b in zip(fast.row_numbers, fast.rows, careful.rows):
        assert a == b, number
        assert [type(v) for v in a] == [type(v) for v in b], number
    assert fast.uncomputed == careful.uncomputed
    assert fast.columns is None and careful.columns is None


def raw_or_failure(path: Path, entity: str) -> RawTable | Diagnostic:
    try:
        return read_raw(path, str(path), entity)
    except ReadFailure as failure:
        return failure.diagnostic


def careful(read: Callable[[], Any]) -> Any:
    fastxlsx.ENABLED = False
    try:
        return read()
    finally:
        fastxlsx.ENABLED = True


def read_both(path: Path, entity: str, specs: Any = SPECS, *, fast: bool | None = True,
              raw: bool = True) -> tuple[Table, list[Diagnostic]]:
    """Read `path` both ways and assert they agree; `fast` says whether the fast path must take it."""
    if fast is not None:
        assert (fastxlsx.read_fast(path, TABLE_NAMES[entity]) is not None) == fast, "fast path taken?"
    fast_raw, careful_raw = raw_or_failure(path, entity), careful(lambda: raw_or_failure(path, entity))
    if isinstance(fast_raw, RawTable) and isinstance(careful_raw, RawTable):
        if raw:
            assert_same_raw(fast_raw, careful_raw)
    else:
        assert fast_raw == careful_raw
    table, diagnostics = read_table(path, entity, specs)
    if isinstance(careful_raw, RawTable):  # as read_table does, without reading the file a second time
        careful_table, careful_diagnostics = build_table(careful_raw, entity, specs_for(entity, specs))
    else:
        careful_table, careful_diagnostics = Table(entity, str(path), 0, {}, np.zeros(0, dtype=np.int64)), [careful_raw]
    assert_same_table(table, careful_table)
    assert diagnostics == careful_diagnostics
    return table, diagnostics


# ---------------------------------------------------------------- whole files


def test_synthetic_100_counties_read_the_same(sample: dict[str, Path]) -> None:
    table, diagnostics = read_both(sample["schools.text"], "学校")
    assert table.n > 5000 and not [d for d in diagnostics if d.is_error]
    read_both(sample["counties.text"], "县区")


def test_numeric_ids_read_the_same(sample: dict[str, Path]) -> None:
    table, _ = read_both(sample["schools.numeric"], "学校")
    assert table.columns["学校标识码"][0] == "2100000000"  # str(int), not "2100000000.0"


def test_load_facts_the_same(sample: dict[str, Path]) -> None:
    facts = load_facts(sample["schools.numeric"], sample["counties.numeric"], SPECS)
    slow = careful(lambda: load_facts(sample["schools.numeric"], sample["counties.numeric"], SPECS))
    assert facts.warnings == slow.warnings
    assert_same_table(facts.schools, slow.schools)
    assert facts.counties is not None and slow.counties is not None
    assert_same_table(facts.counties, slow.counties)


def test_synthetic_xlsx_loads_as_its_csv(sample: dict[str, Path]) -> None:
    """Not only the same as openpyxl: the same as the csv the workbook was made from."""
    xlsx, _ = read_table(sample["schools.text"], "学校", SPECS)
    text, _ = read_table(sample["schools.csv"], "学校", SPECS)
    assert xlsx.n == text.n and list(xlsx.columns) == list(text.columns)
    for name, a in xlsx.columns.items():
        b = text.columns[name]
        assert a.tobytes() == b.tobytes() if a.dtype == np.float64 else a.tolist() == b.tolist(), name


@pytest.mark.parametrize("name", ["学校表.xlsx", "县区表.xlsx"])
def test_example_county_reads_the_same(name: str) -> None:
    read_both(EXAMPLE / name, "学校" if name.startswith("学校") else "县区")


# ---------------------------------------------------------------- awkward cells

#: Values openpyxl writes as they are: text to be trimmed or parsed, numbers of every kind, booleans.
NASTY: list[Any] = [
    "  12 ", "12", "-3", "0.5", "1e3", "-", "N/A", "NULL", "是", "否", "TRUE", "false", "1,234", "12%", "约3",
    "\u3000学校\u3000", "\u3000", " 甲县 ", "甲县\t", "0000000001", "0012345678", "12345678901", "9" * 16, "1" * 400, "x" * 32000,
    "\u200b123", "１２", "a\nb", "a\r\nb", "第1小学", "#DIV/0!x", "=not a formula", "'quoted",
    0, 1, -1, 2, 12, -0.0, 0.5, 0.1 + 0.2, 1e-7, 1e15, 123456789012, 2100000000, -5.25, 1e300, 3.0, 2**53 - 1,
    True, False, None,
]


def mutated(rows: list[list[Any]], rng: random.Random, cells: int, pool: list[Any]) -> list[list[Any]]:
    out = [list(r) for r in rows]
    for _ in range(cells):
        out[rng.randrange(1, len(out))][rng.randrange(len(out[0]))] = rng.choice(pool)
    return out


@pytest.fixture(scope="module")
def small(sample: dict[str, Path]) -> tuple[list[list[Any]], list[list[Any]]]:
    """The first 150 schools and 40 counties, typed, header first."""
    schools = csv_rows(sample["schools.csv"])
    counties = csv_rows(sample["counties.csv"])
    return ([schools[0], *[[typed(c) for c in r] for r in schools[1:151]]],
            [counties[0], *[[typed(c) for c in r] for r in counties[1:41]]])


@pytest.mark.parametrize("seed", range(6))
def test_nasty_cells_read_the_same(small: tuple[list[list[Any]], list[list[Any]]], tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    schools, counties = small
    path = write_xlsx(tmp_path / "学校表.xlsx", {"学校表": mutated(schools, rng, 60, NASTY)})
    read_both(path, "学校", fast=True)
    path = write_xlsx(tmp_path / "县区表.xlsx", {"县区表": mutated(counties, rng, 30, NASTY)})
    read_both(path, "县区", fast=True)


@pytest.mark.parametrize(("value", "fast"), [("", True), (" ", False), ("\t\n", False)])
def test_empty_and_space_only_strings(small: tuple[list[list[Any]], list[list[Any]]], tmp_path: Path,
                                      value: str, fast: bool) -> None:
    """openpyxl writes "" as a cell without a value (None both ways), but " " without xml:space="preserve",
    which calamine trims to empty."""
    rows = mutated(small[0], random.Random(1), 20, [value])
    read_both(write_xlsx(tmp_path / "学校表.xlsx", {"学校表": rows}), "学校", fast=fast)


@pytest.mark.parametrize(("old", "new", "fast"), [
    (b"<is><t>", b"<is><t></t></is></c><c r=\"ZZ1\" t=\"inlineStr\"><is><t>", None),
    (rb'(<c r="B5" t="inlineStr"><is>)<t>[^<]*</t>', rb"\1<t/>", False),  # an empty string: "" for openpyxl
    (rb'(<c r="B5" t="inlineStr"><is>)<t>[^<]*</t>', rb"\1<t>a_x000a_b</t>", False),
    (rb'(<c r="H5") t="n"><v>[^<]*</v>', rb'\1 t="str"><f>"x"</f><v> x </v>', True),  # a formula's text result
    (rb'(<c r="H5") t="n"><v>[^<]*</v>', rb'\1 t="str"><f>"x"</f><v>x_x0020_</v>', False),
    (rb'(<c r="H5") t="n"><v>[^<]*</v>', rb'\1 t="str"><f>"x"</f><v></v>', True),
    (rb'(<c r="H5") t="n"><v>[^<]*</v>', rb'\1 t="e"><v>#N/A</v>', False),
    (rb'(<c r="H5") t="n"><v>[^<]*</v>', rb'\1 t="b"><v>1</v>', True),
    (rb'(<c r="H5") t="n"><v>[^<]*</v>', rb"\1><v>1E+15</v>", True),  # openpyxl: a float, as here
    (rb'(<c r="H5") t="n"><v>[^<]*</v>', rb"\1><v>1000000000000001</v>", True),  # openpyxl: an int, as here
    (rb'(<c r="H5") t="n"><v>[^<]*</v>', rb"\1><v>9007199254740993</v>", False),  # beyond a float's integers
    (rb'(<c r="H5") t="n"><v>[^<]*</v></c>', rb'\1 s="0"/>', True),  # a formatted empty cell
    (rb'<c r="H5" t="n">', b'<c t="n">', True),  # no reference: placed after the one before, by both
    (rb'(<c r="AN5") t="n">', rb'<c t="n">', False),  # nor on a row's last cell
])
def test_inline_xml_variants(small: tuple[list[list[Any]], list[list[Any]]], tmp_path: Path,
                             old: bytes, new: bytes, fast: bool | None) -> None:
    read_both(sheet_edited(small[0][:40], tmp_path, old, new), "学校", fast=fast)


def test_a_whole_number_with_an_exponent_is_the_one_known_difference(small: tuple[list[list[Any]], list[list[Any]]],
                                                                      tmp_path: Path) -> None:
    """No writer in use writes "1E3" or "60.0" for a whole number below 10**15: openpyxl would read a
    float, the fast path an int. Both load the same (a text column shows "1000" either way)."""
    path = sheet_edited(small[0][:40], tmp_path, rb'(<c r="[AH]5") t="n"><v>[^<]*</v>', rb"\1><v>1E3</v>")
    fast, slow = read_raw(path, "s", "学校"), careful(lambda: read_raw(path, "s", "学校"))
    assert fast.rows[3][7] == slow.rows[3][7] == 1000 and (type(fast.rows[3][7]), type(slow.rows[3][7])) == (int, float)
    slow.rows[3][7] = 1000
    assert_same_raw(fast, slow)
    read_both(path, "学校", fast=None, raw=False)


def sheet_edited(rows: list[list[Any]], tmp_path: Path, old: bytes, new: bytes) -> Path:
    """An xlsx of `rows` whose sheet XML has its first match of `old` replaced by `new`."""
    source = write_xlsx(tmp_path / "source.xlsx", {"学校表": rows})
    path = tmp_path / "学校表.xlsx"
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename.startswith("xl/worksheets/"):
                data, count = re.subn(old, new, data, count=1)
                assert count == 1
            zout.writestr(info, data)
    return path


def test_each_nasty_value_in_every_column(small: tuple[list[list[Any]], list[list[Any]]], tmp_path: Path) -> None:
    schools, _ = small
    rows = [list(r) for r in schools]
    for k, value in enumerate(NASTY):
        for column in range(len(rows[0])):
            rows[1 + (k * 7 + column) % (len(rows) - 1)][column] = value
    read_both(write_xlsx(tmp_path / "学校表.xlsx", {"学校表": rows}), "学校", fast=True)


def styled(cells: dict[str, Any], number_format: str | None = None) -> Callable[[Any], None]:
    def edit(wb: Any) -> None:
        ws = wb.worksheets[0]
        for ref, value in cells.items():
            ws[ref] = value
            if number_format is not None:
                ws[ref].number_format = number_format
    return edit


@pytest.mark.parametrize(("cells", "number_format", "fast"), [
    ({"G2": datetime(2020, 5, 1), "H3": date(2021, 1, 2), "I4": time(8, 30)}, None, False),  # dates: date formats
    ({"H2": 0.985, "J3": 12}, "0.0%", False),  # percent formats: openpyxl reads fractions
    ({"H2": 0.985}, '0.0"%"', False),  # a quoted % still counts for openpyxl (`"%" in number_format`)
    ({"H2": 3.25, "I3": 1200}, "#,##0.00", True),  # other formats: plain numbers
    ({"H2": 3, "I3": 4}, "@", True),
    ({"H2": "#N/A", "I3": "#DIV/0!", "J4": "#VALUE!"}, None, False),  # error cells: calamine reads them empty
    ({"H2": "=I2*2", "I3": "=SUM(A1:B2)"}, None, True),  # formulas without a stored result: E402 either way
    ({"B2": CellRichText(["第", TextBlock(InlineFont(b=True), " 1 "), "小学"])}, None, True),  # rich text
    ({"F2": True, "F3": False, "H4": True}, None, True),
    ({"A2": 2**60, "H3": 1e300}, None, True),  # beyond 2**53 openpyxl writes "1.152921504606847e+18": a float
    ({"A2": 10**15, "H3": -(2**53 - 1)}, None, True),
    ({"A2": "a_x000D_b"}, None, False),  # calamine unescapes _x000D_, openpyxl does not
    ({"A2": "x005F_y"}, None, True),  # only in shared strings does openpyxl delete it
    ({"B3": "", "C4": None}, None, True),
    ({"A1": 2023}, None, False),  # a number in the header: "2023" or "2023.0"
    ({"AZ1": "备注", "AZ5": "说明"}, None, True),  # a sparse extra column
])
def test_awkward_cells_read_the_same(small: tuple[list[list[Any]], list[list[Any]]], tmp_path: Path,
                                     cells: dict[str, Any], number_format: str | None, fast: bool) -> None:
    schools, _ = small
    path = write_xlsx(tmp_path / "学校表.xlsx", {"学校表": schools}, edit=styled(cells, number_format))
    read_both(path, "学校", fast=fast)


def test_percent_format_in_another_sheet_does_not_matter(small: tuple[list[list[Any]], list[list[Any]]],
                                                         tmp_path: Path) -> None:
    schools, counties = small

    def edit(wb: Any) -> None:
        wb["县区表"]["M2"].number_format = "0.0%"
        wb["县区表"]["N3"] = datetime(2020, 1, 1)

    path = write_xlsx(tmp_path / "学校表.xlsx", {"学校表": schools, "县区表": counties}, edit=edit)
    read_both(path, "学校", fast=True)
    read_both(path, "县区", fast=False)


def test_formulas_and_blanks_report_the_same(small: tuple[list[list[Any]], list[list[Any]]], tmp_path: Path) -> None:
    schools, _ = small
    rows = [list(r) for r in schools]
    for i in range(1, len(rows), 9):
        rows[i][7] = f"=I{i + 1}+1"  # 小学生数 computed, no result stored
        rows[i][12] = None
    rows[5] = rows[5][:20]  # a short row
    _, diagnostics = read_both(write_xlsx(tmp_path / "学校表.xlsx", {"学校表": rows}), "学校", fast=True)
    assert sum("公式" in d.message for d in diagnostics) == len(range(1, len(rows), 9))


def test_formatted_empty_cells_and_formulas_past_the_data(small: tuple[list[list[Any]], list[list[Any]]],
                                                          tmp_path: Path) -> None:
    """Cells calamine leaves out — formatted but empty, or a formula without its result, right of
    the last value — still make openpyxl's rows longer and its formula check run."""
    from openpyxl.styles import Font

    def edit(wb: Any) -> None:
        ws = wb.worksheets[0]
        for ref in ("AP1", "AQ3", "AO9", "B12"):
            ws[ref].font = Font(bold=True)
        for row in (4, 6, 7):
            ws[f"AR{row}"] = f"=A{row}*2"
        ws["H8"] = "=I8+1"

    path = write_xlsx(tmp_path / "学校表.xlsx", {"学校表": small[0][:30]}, edit=edit)
    _, diagnostics = read_both(path, "学校")
    assert [d.location.row for d in diagnostics if "公式" in d.message] == [8]  # type: ignore[union-attr]
    raw = read_raw(path, "s", "学校")
    assert len(raw.header) == 42 and set(raw.uncomputed) == {(6, 7)}  # formulas past the header: not checked


# ---------------------------------------------------------------- sheets and layout


def test_sheet_choice_leading_blanks_and_extra_sheets(small: tuple[list[list[Any]], list[list[Any]]],
                                                      tmp_path: Path) -> None:
    schools, counties = small
    padded = [[], [None, None], *[[None, *r] for r in schools[:50]], [], [None, "\u3000"], *[[None, *r] for r in schools[50:]]]
    sheets = {"说明": [["填表说明"], ["见附件"]], "学校表": padded, "县区表": counties}
    path = write_xlsx(tmp_path / "all.xlsx", sheets)
    table, _ = read_both(path, "学校", fast=True)
    assert table.sheet == "学校表" and table.row_numbers[0] == 4
    read_both(path, "县区", fast=True)
    first = write_xlsx(tmp_path / "first.xlsx", {"Sheet1": schools, "其他": counties})
    assert read_both(first, "学校", fast=True)[0].sheet == "Sheet1"


def test_merged_hidden_and_title_rows(small: tuple[list[list[Any]], list[list[Any]]], tmp_path: Path) -> None:
    schools, _ = small

    def edit(wb: Any) -> None:
        ws = wb.worksheets[0]
        ws.insert_rows(1)
        ws["A1"] = "全省学校统计"
        ws.merge_cells("A1:F1")
        ws.row_dimensions[5].hidden = True
        ws.column_dimensions["C"].hidden = True

    _, diagnostics = read_both(write_xlsx(tmp_path / "学校表.xlsx", {"学校表": schools}, edit=edit), "学校")
    assert any(d.code == "E401" for d in diagnostics)


def test_empty_and_header_only_sheets(tmp_path: Path) -> None:
    _, diagnostics = read_both(write_xlsx(tmp_path / "e.xlsx", {"学校表": []}), "学校", fast=True)
    assert diagnostics[0].code == "E406" and "是空的" in diagnostics[0].message
    read_both(write_xlsx(tmp_path / "b.xlsx", {"学校表": [[None], ["\u3000"]]}), "学校", fast=True)
    read_both(write_xlsx(tmp_path / "s.xlsx", {"学校表": [[None], [" "]]}), "学校", fast=False)
    read_both(write_xlsx(tmp_path / "h.xlsx", {"学校表": [["学校标识码", "学校名称", "县区"]]}), "学校", fast=True)


def test_chartsheet_and_no_worksheet_fall_back(small: tuple[list[list[Any]], list[list[Any]]], tmp_path: Path) -> None:
    schools, _ = small

    def edit(wb: Any) -> None:
        wb.create_chartsheet("图表")

    read_both(write_xlsx(tmp_path / "c.xlsx", {"学校表": schools[:20]}, edit=edit), "学校", fast=False)


def test_damaged_files_give_the_same_error(sample: dict[str, Path], tmp_path: Path) -> None:
    data = sample["counties.text"].read_bytes()
    for name, content in [("text.xlsx", b"not a zip"), ("cut.xlsx", data[: len(data) // 2]),
                          ("csv.xlsx", "学校标识码,学校名称\n1,2\n".encode())]:
        path = tmp_path / name
        path.write_bytes(content)
        _, diagnostics = read_both(path, "县区", fast=False)
        assert [d.code for d in diagnostics] == ["E406"]


def test_a_stray_far_cell_falls_back_without_filling_the_rectangle(small: tuple[list[list[Any]], list[list[Any]]],
                                                                    tmp_path: Path) -> None:
    schools, _ = small
    path = write_xlsx(tmp_path / "学校表.xlsx", {"学校表": schools}, edit=styled({"ZZ20000": "x"}))
    read_both(path, "学校", fast=False)  # calamine would allocate 702 × 20,000 cells


def test_without_calamine_reads_carefully(small: tuple[list[list[Any]], list[list[Any]]], tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_xlsx(tmp_path / "学校表.xlsx", {"学校表": small[0][:30]})
    monkeypatch.setitem(sys.modules, "python_calamine", None)
    assert fastxlsx.read_fast(path, "学校表") is None
    assert read_raw(path, str(path), "学校").rows


# ---------------------------------------------------------------- the XML of other writers


def rewritten(source: Path, path: Path, sheet: Callable[[bytes], bytes] = lambda x: x,
              strings: Callable[[bytes], bytes] | None = None) -> Path:
    """`source` with its inline strings moved to a shared-strings part, as Excel saves, then edited."""
    table: dict[bytes, int] = {}

    def shared(m: re.Match[bytes]) -> bytes:
        index = table.setdefault(m.group(2), len(table))
        return b'<c r="' + m.group(1) + b'" t="s"><v>' + str(index).encode() + b"</v></c>"

    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename.startswith("xl/worksheets/"):
                data = re.sub(rb'<c r="([A-Z]+\d+)" t="inlineStr"><is>(<t[^>]*>[^<]*</t>)</is></c>', shared, data)
                data = sheet(data.replace(b' t="n"', b""))
            elif info.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                                    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
            elif info.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", b'<Relationship Id="rIdS" Type="http://schemas.openxmlformats.'
                                    b'org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
                                    b"</Relationships>")
            zout.writestr(info, data)
        sst = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="http://schemas.openxmlformats.org/'
               b'spreadsheetml/2006/main" count="%d" uniqueCount="%d">' % (len(table), len(table))
               + b"".join(b"<si>" + t + b"</si>" for t in table) + b"</sst>")
        zout.writestr("xl/sharedStrings.xml", strings(sst) if strings else sst)
    return path


@pytest.fixture
def plain(small: tuple[list[list[Any]], list[list[Any]]], tmp_path: Path) -> Path:
    schools, _ = small
    rows = [list(r) for r in schools]
    rows[3][1], rows[4][1] = " 前后有空格 ", "x005F_y"
    return write_xlsx(tmp_path / "plain.xlsx", {"学校表": rows})


def first(pattern: bytes, replacement: bytes) -> Callable[[bytes], bytes]:
    def edit(data: bytes) -> bytes:
        out, count = re.subn(pattern, replacement, data, count=1)
        assert count == 1, pattern
        return out
    return edit


def number(ref: str, cell: bytes) -> Callable[[bytes], bytes]:
    """Replace the numeric cell `ref` by `cell`."""
    return first(b'<c r="' + ref.encode() + rb'"><v>[^<]*</v></c>', cell)


@pytest.mark.parametrize(("sheet", "strings", "fast"), [
    (None, None, False),  # x005F_ in a shared string: openpyxl deletes it
    (None, first(rb"x005F_y", b"y"), True),  # shared strings, as Excel writes them
    (first(rb"<sheetData>", b'<dimension ref="A1:AN151"/><sheetData>'), first(rb"x005F_y", b"y"), True),
    (None, first(rb'<t xml:space="preserve"> ', b"<t> "), False),  # calamine trims an unpreserved space
    (None, first(rb"<si><t>", b"<si><t/></si><si><t>"), False),  # an empty string: calamine may drop it
    (None, first(rb"<si><t>", b"<si>\n<t>"), False),
    (None, first(rb"<si><t>([^<]*)</t>", rb"<si><t>\1_x000D_</t>"), False),
    (None, first(rb"<si><t>([^<]*)</t>", rb"<si><r><t>\1</t></r><r><rPr><b/></rPr><t>!</t></r>"), None),
    (first(rb'<row r="3">', b'<row r="9999">'), first(rb"x005F_y", b"y"), False),  # rows out of order
    (first(rb'<row r="3">', b"<row>"), first(rb"x005F_y", b"y"), False),  # a row without its number
    (first(rb'<c r="B4"', b'<c s="0" r="B4"'), first(rb"x005F_y", b"y"), None),  # r not first
    (first(rb'<c r="A5" t="s">', b'<c r="A5" t="e">'), first(rb"x005F_y", b"y"), False),  # an error cell
    (number("H6", b'<c r="H6" t="d"><v>2024-01-02T00:00:00</v></c>'), first(rb"x005F_y", b"y"), False),
    (number("H6", b'<c r="H6"><v>1&#1;</v></c>'), first(rb"x005F_y", b"y"), False),  # expat refuses the reference
    (number("H6", b'<c r="H6"><v>123456789012345678</v></c>'), first(rb"x005F_y", b"y"), False),  # an exact int
    (number("H6", b'<c r="H6"><v>1.2345678901234568E+17</v></c>'), first(rb"x005F_y", b"y"), True),  # a float
    (first(rb'<sheetData>', b'<!-- a comment --><sheetData>'), first(rb"x005F_y", b"y"), False),
    (lambda x: x.replace(b"spreadsheetml/2006/main", b"strict/main", 1), first(rb"x005F_y", b"y"), False),
])
@pytest.mark.filterwarnings("ignore::ResourceWarning", "ignore::pytest.PytestUnraisableExceptionWarning")
def test_other_writers_xml_reads_the_same(plain: Path, tmp_path: Path, sheet: Callable[[bytes], bytes] | None,
                                          strings: Callable[[bytes], bytes] | None, fast: bool | None) -> None:
    path = rewritten(plain, tmp_path / "学校表.xlsx", sheet or (lambda x: x), strings)
    read_both(path, "学校", fast=fast)
    gc.collect()  # openpyxl leaves the file open when the XML is malformed: warn here, not in a later test


# ---------------------------------------------------------------- speed


def test_plain_workbooks_take_the_fast_path(sample: dict[str, Path]) -> None:
    for key in ("schools.text", "schools.numeric", "counties.text", "counties.numeric"):
        fast = fastxlsx.read_fast(sample[key], "学校表" if key.startswith("schools") else "县区表")
        assert fast is not None and not fast.with_blanks and not fast.formulas, key
    raw = read_raw(sample["schools.numeric"], "s.xlsx", "学校")
    assert type(raw.rows[0][0]) is int and type(raw.rows[0][1]) is str
    assert all(math.isfinite(v) for row in raw.rows[:50] for v in row if isinstance(v, float))
