"""The 整改台账 (xlsx + Markdown) and the HTML county report on the bundled sample.

The report is parsed (key Chinese text, embedded PNGs, nothing fetched from elsewhere) and,
where Chromium is installed, rendered headless to a screenshot that must not be blank.
"""

from __future__ import annotations

import base64
import io
import shutil
import struct
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from cli.main import cli
from cli.remedy_cmds import remedy_cmd, report_cmd
from engine.render.ledger import COLUMNS, ledger_markdown, ledger_rows, ledger_xlsx
from engine.render.report import render_report

if "remedy" not in cli.commands:  # until cli/main.py registers them
    cli.add_command(remedy_cmd)
    cli.add_command(report_cmd)


@pytest.fixture(scope="module")
def rows(sample_results: Any) -> list[dict[str, str]]:
    return ledger_rows(sample_results)


def find(rows: list[dict[str, str]], school: str, item: str) -> dict[str, str]:
    (row,) = [r for r in rows if r["学校"] == school and r["指标"].split()[0] == item]
    return row


def test_ledger_rows_carry_the_figures(rows: list[dict[str, str]]) -> None:
    assert len(rows) == 16 and [r["序号"] for r in rows] == [str(i) for i in range(1, 17)]
    r4 = find(rows, "示例县城关第八小学", "R4")
    assert (r4["学段"], r4["现值"], r4["要求"]) == ("小学", "4.28 ㎡/人", "≥ 4.5 ㎡/人")
    assert r4["差距"] == "差 0.22 ㎡/人,为要求的 95.1%;计为余项,学校资源配置仍达标"
    assert r4["整改建议"].splitlines() == [
        "1. 增加教学及辅助用房面积 220 ㎡(增至 4,500 ㎡),整改后 R4 = 4.50 ㎡/人",
        "2. 或 小学在校生数减少 49 人(减至 951 人),整改后 R4 = 4.50 ㎡/人"]
    assert "教督〔2017〕6号 第五条(四)" in r4["依据"]
    combo = find(rows, "示例县东关镇中学", "资源配置达标")
    assert "增加体育运动场馆面积 783 ㎡" in combo["整改建议"] and combo["差距"] == "R5 低于要求的 85%"
    g11 = find(rows, "(全县)", "G11交流比例")
    assert g11["整改建议"].startswith("1. 增加交流轮岗教师数 6 人") and g11["责任单位"].startswith("县级人民政府")
    cv = find(rows, "(全县)", "R5差异系数")
    assert "搜索" in cv["整改建议"] and "示例县北山镇初级中学 37.0%" in cv["整改建议"]


def test_ledger_xlsx_opens_with_the_expected_rows(rows: list[dict[str, str]]) -> None:
    data = ledger_xlsx(rows)
    assert data == ledger_xlsx(rows)  # deterministic bytes
    ws = load_workbook(io.BytesIO(data)).active
    assert ws is not None and ws.title == "整改台账"
    assert [c.value for c in ws[1]] == COLUMNS and all(c.font.bold for c in ws[1])
    assert ws.freeze_panes == "A2" and ws.max_row == 1 + len(rows)
    got = {(r[2].value, str(r[4].value).split()[0]): r for r in ws.iter_rows(min_row=2)}
    r4 = got[("示例县城关第八小学", "R4")]
    assert r4[0].value == int(find(rows, "示例县城关第八小学", "R4")["序号"])
    assert "220 ㎡" in str(r4[8].value) and r4[8].alignment.wrap_text
    assert ws.column_dimensions["I"].width >= 40 and ws.column_dimensions["C"].width >= 12  # room for Chinese


def test_ledger_markdown(rows: list[dict[str, str]]) -> None:
    text = ledger_markdown(rows)
    lines = text.splitlines()
    assert lines[0] == "# 整改台账" and lines[4] == "| " + " | ".join(COLUMNS) + " |"
    assert len([x for x in lines if x.startswith("| ") and x[2].isdigit()]) == len(rows)
    assert "<br>2. 或 小学在校生数减少 49 人" in text


def test_remedy_command_writes_both(tmp_path: Path) -> None:
    out = CliRunner().invoke(cli, ["remedy", "--date", "2024-09-01", "-o", str(tmp_path / "台账.xlsx"),
                                   "-o", str(tmp_path / "台账.md")])
    assert out.exit_code == 0, out.output
    assert load_workbook(tmp_path / "台账.xlsx").active.max_row == 17  # type: ignore[union-attr]
    assert "增加教学及辅助用房面积 220 ㎡" in (tmp_path / "台账.md").read_text(encoding="utf-8")
    bad = CliRunner().invoke(cli, ["remedy", "-o", str(tmp_path / "台账.csv")])
    assert bad.exit_code == 1 and "E506" in bad.output


# ---------------------------------------------------------------- the report


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.images: list[str] = []
        self.external: list[str] = []
        self.headings: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "img":
            self.images.append(a.get("src") or "")
        for key in ("src", "href"):
            if (a.get(key) or "").startswith(("http:", "https:", "//")) or tag in ("script", "link"):
                self.external.append(f"{tag} {a}")
        self._in = tag if tag in ("h1", "h2") else None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._in:
            self.headings.append(data)


@pytest.fixture(scope="module")
def report(sample_results: Any) -> str:
    return render_report(sample_results, "2024-09-01")


def test_report_is_one_self_contained_chinese_page(report: str) -> None:
    page = _Page()
    page.feed(report)
    text = "".join(page.text)
    assert page.headings[:2] == ["示例县县域义务教育优质均衡发展督导评估测算报告", "一、总体结论"]
    for words in ("二、各指标在学校间的分布", "三、校际差异系数", "五、有项目未达标的学校", "六、整改台账",
                  "R4 生均教学及辅助用房面积", "示例县城关第八小学", "增加教学及辅助用房面积 220 ㎡",
                  "增加体育运动场馆面积 783 ㎡", "搜索:在 [7.80 ㎡/人, 32.69 ㎡/人]", "要求的 85%"):
        assert words in text, words
    assert not page.external
    assert len(page.images) >= 8  # R1–R7 against their standards, and the failing 差异系数's contributions
    for src in page.images:
        assert src.startswith("data:image/png;base64,")
        png = base64.b64decode(src.split(",", 1)[1])
        width, height = struct.unpack(">II", png[16:24])
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and width >= 800 and height >= 200


def _chromium() -> str | None:
    return next((p for p in (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")) if p), None)


def test_report_renders_in_headless_chromium(report: str, tmp_path: Path) -> None:
    browser = _chromium()
    if browser is None:
        pytest.skip("没有安装 Chromium,跳过报告截图检查(apt-get install -y chromium 后可运行)")
    page, shot = tmp_path / "报告.html", tmp_path / "r.png"
    page.write_text(report, encoding="utf-8")
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    f"--screenshot={shot}", "--window-size=1200,3000", page.as_uri()],
                   capture_output=True, timeout=120, check=False)
    assert shot.exists(), "Chromium 没有生成截图"
    from PIL import Image

    with Image.open(shot) as im:
        assert im.size == (1200, 3000)
        colours = im.convert("RGB").resize((120, 300)).getcolors(maxcolors=120 * 300)
    assert colours is not None and len(colours) > 50  # text, badges and plots, not a blank page


def test_report_command(tmp_path: Path) -> None:
    out = CliRunner().invoke(cli, ["report", "--date", "2024-09-01", "-o", str(tmp_path / "报告.html")])
    assert out.exit_code == 0, out.output
    assert "<!DOCTYPE html>" in (tmp_path / "报告.html").read_text(encoding="utf-8")
    missing = CliRunner().invoke(cli, ["report"])
    assert missing.exit_code == 1 and "E506" in missing.output
