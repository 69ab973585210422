"""The web page in a real browser: Debian's Chromium driven by Playwright, against a live server.

Uploads the sample county's two workbooks, checks the county verdict and the school table,
opens a failing school's explanation (and its remedies), compares two rule sets and
downloads the results. Skipped, with the reason shown, only where Chromium is not installed
(`apt-get install chromium`); Playwright's own browser download is never used.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path(os.environ.get("JUNHENG_CHROMIUM", "/usr/bin/chromium"))
SAMPLE = Path(__file__).resolve().parent.parent / "examples" / "示例县"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]

pytest.importorskip("fastapi", reason="服务依赖未安装:pip install fastapi uvicorn python-multipart")
uvicorn = pytest.importorskip("uvicorn", reason="服务依赖未安装:pip install uvicorn")
sync_api = pytest.importorskip("playwright.sync_api", reason="未安装 Playwright:pip install playwright")
if not CHROMIUM.exists():
    pytest.skip(f"未找到 Chromium({CHROMIUM}):请以 root 运行 apt-get install -y chromium;浏览器测试跳过",
                allow_module_level=True)

from engine.service import create_app  # noqa: E402
from engine.service import remedies as service_remedies  # noqa: E402


@pytest.fixture(scope="module")
def base_url(serve: Any) -> Iterator[str]:
    """A live server on a free loopback port, stopped after the module."""
    with serve(create_app()) as url:
        yield url


@pytest.fixture(scope="module")
def page(base_url: str) -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True, locale="zh-CN")
        pg = context.new_page()
        pg.set_default_timeout(30_000)
        pg.problems = []  # type: ignore[attr-defined]
        pg.on("pageerror", lambda e: pg.problems.append(str(e)))  # type: ignore[attr-defined]
        pg.on("console", lambda m: m.type == "error" and pg.problems.append(m.text))  # type: ignore[attr-defined]
        pg.goto(base_url + "/")
        yield pg
        browser.close()


def test_upload_evaluate_and_explain_a_failing_school(page: Any, tmp_path: Path) -> None:
    page.wait_for_selector("#ruleset option[value='国家']", state="attached")
    assert "教督〔2017〕6号" in page.inner_text("#layers")
    page.set_input_files("#schools", str(SAMPLE / "学校表.xlsx"))
    page.set_input_files("#counties", str(SAMPLE / "县区表.xlsx"))
    page.fill("#as_of", "2026-01-01")
    page.click("#run")
    page.wait_for_selector("#school-table tbody tr")
    verdict = page.inner_text("#counties-verdict")
    assert "示例县:县域义务教育优质均衡发展" in verdict and "未达标" in verdict
    assert "G11交流比例" in verdict
    assert "评估日期:2026-01-01" in page.inner_text("#provenance")
    row = page.locator("#school-table tbody tr[data-id='2136020011']")
    assert "示例县东关镇中学" in row.inner_text() and "fail" in (row.get_attribute("class") or "")

    row.click()
    page.wait_for_selector("#explain-body pre")
    text = page.inner_text("#explain-body")
    assert "示例县东关镇中学 · 初中部 · 资源配置达标 学校资源配置 —— 未达标" in text
    assert "R5 生均体育运动场馆面积" in text and "7,020 ㎡ ÷ 900 人 = 7.80 ㎡/人" in text
    assert "差 2.40 ㎡/人,为要求的 76.5%(低于 85%)" in text
    assert page.inner_text("#explain-title") == "示例县东关镇中学"
    if service_remedies.available():
        page.wait_for_selector("#remedy-body .remedy")
        assert "增加体育运动场馆面积" in page.inner_text("#remedy-body")
    else:
        page.wait_for_function("document.getElementById('remedy-body').textContent.length > 0")
        assert "尚未提供" in page.inner_text("#remedy-body")
    page.locator("#schools-card").screenshot(path=str(tmp_path / "学校与解释.png"))
    page.screenshot(path=str(tmp_path / "页面.png"), full_page=True)
    _keep(tmp_path)
    assert not page.problems  # no script errors, no blocked resources


def test_only_failing_filter(page: Any) -> None:
    all_rows = page.locator("#school-table tbody tr").count()
    page.check("#only-failing")
    failing = page.locator("#school-table tbody tr").count()
    assert 0 < failing < all_rows
    assert page.locator("#school-table tbody tr.fail").count() == failing
    page.uncheck("#only-failing")


def test_compare_two_rule_sets_on_the_upload(page: Any) -> None:
    page.select_option("#ruleset-b", "辽宁")
    page.click("#compare")
    page.wait_for_selector("#diff-body h3")
    text = page.inner_text("#diff-body")
    assert "国家 → 辽宁" in text and "G6" in text and "结论变化 1 处" in text


def test_download_results(page: Any, tmp_path: Path) -> None:
    with page.expect_download() as info:
        page.click("#download")
    path = tmp_path / "结果.xlsx"
    info.value.save_as(path)
    assert info.value.suggested_filename.endswith(".xlsx") and path.read_bytes()[:2] == b"PK"
    if service_remedies.available():
        with page.expect_download() as ledger:
            page.click("#ledger")
        assert ledger.value.suggested_filename.startswith("整改台账")


def test_facts_error_is_shown_with_its_location(page: Any, tmp_path: Path) -> None:
    bad = tmp_path / "坏的学校表.csv"
    lines = (SAMPLE / "学校表.csv").read_text(encoding="utf-8-sig").splitlines()
    header = lines[0].split(",")
    cells = lines[3].split(",")
    cells[header.index("小学生数")] = "很多"
    lines[3] = ",".join(cells)
    bad.write_text("\n".join(lines), encoding="utf-8")
    page.set_input_files("#schools", str(bad))
    page.set_input_files("#counties", str(SAMPLE / "县区表.csv"))
    page.click("#run")
    page.wait_for_selector("#error:not([hidden])")
    text = page.inner_text("#error")
    assert "坏的学校表.csv" in text and "第 4 行" in text and "小学生数" in text


def _keep(folder: Path) -> None:
    """Copy the screenshots where a person can look at them (JUNHENG_SCREENSHOTS=folder)."""
    target = os.environ.get("JUNHENG_SCREENSHOTS")
    if target:
        import shutil

        Path(target).mkdir(parents=True, exist_ok=True)
        for png in folder.glob("*.png"):
            shutil.copy(png, Path(target) / png.name)
