"""`-o` onto a pipe or device writes through it; it never replaces the special file."""

from __future__ import annotations

import json
import os
import stat
import threading
from pathlib import Path

from click.testing import CliRunner

from cli.main import cli


def test_output_to_a_named_pipe_streams_and_keeps_the_pipe(tmp_path: Path) -> None:
    fifo = tmp_path / "结果.pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    out = CliRunner().invoke(cli, ["eval", "--date", "2026-01-01", "--format", "json", "-o", str(fifo)])
    reader.join(timeout=30)
    assert out.exit_code == 0, out.output
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)  # still a pipe, not a file renamed over it
    assert json.loads(received[0])["规则集"] == "国家"
    assert [p.name for p in tmp_path.iterdir()] == ["结果.pipe"]  # no temporary file left beside it
