"""The xlsx output: one sheet per 对象, styled like the JSON rows; streamed, and split at Excel's
row limit so a national run still gives a workbook Excel can open."""

from __future__ import annotations

import io
import json

import openpyxl
import pytest
from click.testing import CliRunner

from cli.main import cli
from engine.render import xlsx


def _book(tmp_path, *args: str):  # type: ignore[no-untyped-def]
    out = tmp_path / "结果.xlsx"
    result = CliRunner().invoke(cli, ["eval", "--date", "2026-01-01", "--format", "xlsx", "-o", str(out), *args])
    assert result.exit_code == 0, result.output
    return openpyxl.load_workbook(io.BytesIO(out.read_bytes()))


def test_sheets_header_and_marks(tmp_path) -> None:  # type: ignore[no-untyped-def]
    book = _book(tmp_path)
    assert book.sheetnames == ["县区", "学校", "学部"]
    units = book["学部"]
    assert [c.value for c in units[1]] == xlsx.COLUMNS and units["A1"].font.b
    assert units.freeze_panes == "A2"
    failing = [r for r in units.iter_rows(min_row=2) if r[9].value == "未达标"]
    assert failing and all(c.fill.fgColor.rgb.endswith("FDE2E1") for c in failing[0])
    missing = [r for r in book["县区"].iter_rows(min_row=2) if r[9].value == "数据缺失"]
    assert missing and missing[0][10].value  # 缺失字段 names the column
    assert units.column_dimensions["D"].width > 10  # fitted to the school names


def test_a_full_sheet_continues_on_the_next(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(xlsx, "MAX_ROWS", 50)
    book = _book(tmp_path)
    units = [n for n in book.sheetnames if n.startswith("学部")]
    assert units[:3] == ["学部", "学部(2)", "学部(3)"]
    assert all(book[n].max_row <= 50 and [c.value for c in book[n][1]] == xlsx.COLUMNS for n in units)
    rows = [r for n in units for r in book[n].iter_rows(min_row=2, values_only=True)]
    expected = [r for r in json.loads(CliRunner().invoke(cli, ["eval", "--date", "2026-01-01", "--format", "json"]).stdout)["结果"]
                if r["对象"] == "学部"]
    assert len(rows) == len(expected) > 100  # every row, in order, across the sheets
    assert [(r[2], r[5], r[9]) for r in rows] == [(e["学校标识码"], e["编号"], e["结论"]) for e in expected]
