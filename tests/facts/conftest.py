"""Fixtures for the facts-loader tests: a small field list and writers for csv / xlsx / json files."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from engine.facts import FieldSpec

S, C = "学校", "县区"

SPECS: tuple[FieldSpec, ...] = (
    FieldSpec("学校标识码", S, "文本", required=True),
    FieldSpec("学校名称", S, "文本", required=True),
    FieldSpec("县区", S, "文本", required=True),
    FieldSpec("小学生数", S, "整数", "人", required=True),
    FieldSpec("初中生数", S, "整数", "人", required=True),
    FieldSpec("教学仪器设备值", S, "数值", "万元", required=True),
    FieldSpec("寄宿制", S, "是否", required=True),
    FieldSpec("高中生数", S, "整数", "人"),
    FieldSpec("建成年份", S, "整数", title="学校建成年份"),
    FieldSpec("初中三年巩固率", C, "数值", "%", required=True),
    FieldSpec("教师平均工资", C, "数值", "元/年"),
)

SCHOOL_HEADER = ["学校标识码", "学校名称", "县区", "小学生数", "初中生数", "教学仪器设备值", "寄宿制"]


def school(i: int, county: str = "甲县", primary: Any = 300, junior: Any = 0, equipment: Any = 60, boarding: Any = "否") -> list[Any]:
    """One well-formed school row (equipment 60 万元 for 300 students is plausible)."""
    return [f"41010100{i:02d}", f"第{i}小学", county, primary, junior, equipment, boarding]


class Writer:
    """Writes small test files under a temporary directory; also knows a well-formed school row."""

    header = SCHOOL_HEADER
    school = staticmethod(school)

    def __init__(self, root: Path) -> None:
        self.root = root

    def csv(self, name: str, header: Sequence[str], rows: Sequence[Sequence[Any]], encoding: str = "utf-8") -> Path:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
        path = self.root / name
        path.write_bytes(buffer.getvalue().encode(encoding))
        return path

    def text(self, name: str, content: str, encoding: str = "utf-8") -> Path:
        path = self.root / name
        path.write_bytes(content.encode(encoding))
        return path

    def xlsx(self, name: str, sheets: dict[str, list[list[Any]]], formats: dict[tuple[str, str], str] | None = None) -> Path:
        wb = openpyxl.Workbook()
        wb.remove(wb.active)
        for title, rows in sheets.items():
            ws = wb.create_sheet(title)
            for row in rows:
                ws.append(row)
        for (title, cell), number_format in (formats or {}).items():
            wb[title][cell].number_format = number_format
        path = self.root / name
        wb.save(path)
        return path

    def json(self, name: str, doc: Any) -> Path:
        path = self.root / name
        path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
        return path


@pytest.fixture
def write(tmp_path: Path) -> Writer:
    return Writer(tmp_path)


@pytest.fixture
def specs() -> tuple[FieldSpec, ...]:
    return SPECS
