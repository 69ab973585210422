"""The progress display: drawn on a terminal once a run lasts a second, never in pipes or logs."""

from __future__ import annotations

import io
import time

from click.testing import CliRunner
from rich.console import Console

from cli.main import cli
from cli.progress import Progress


def _terminal() -> tuple[Console, io.StringIO]:
    buf = io.StringIO()
    return Console(file=buf, force_terminal=True, width=100, color_system=None), buf


def test_a_long_run_on_a_terminal_shows_its_stages() -> None:
    console, buf = _terminal()
    with Progress(enabled=True, delay=0.0, console=console) as progress:
        time.sleep(0.05)  # let the timer thread draw
        with progress.stage("读取数据"):
            pass
        with progress.stage("写出结果", total=3) as advance:
            for _ in range(3):
                advance(1)
        time.sleep(0.2)  # a refresh after the last step
    out = buf.getvalue()
    assert "读取数据" in out and "写出结果" in out
    assert "3/3" in out


def test_a_short_run_draws_nothing() -> None:
    console, buf = _terminal()
    with Progress(enabled=True, delay=5.0, console=console) as progress, progress.stage("评估"):
        pass
    assert buf.getvalue() == ""


def test_not_a_terminal_means_no_display() -> None:
    progress = Progress()  # pytest's stderr is not a terminal
    assert not progress.enabled
    with progress, progress.stage("评估", total=2) as advance:
        advance(2)


def test_a_terminal_turns_it_on(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("sys.stderr.isatty", lambda: True)
    assert Progress().enabled


def test_eval_in_a_pipe_writes_only_its_own_messages() -> None:
    out = CliRunner().invoke(cli, ["eval", "--date", "2026-01-01", "--format", "json", "-o", "/dev/null"])
    assert out.exit_code == 0
    assert out.stderr.strip() == "已写入 /dev/null"
