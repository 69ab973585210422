"""The same input gives byte-identical output across processes and hash seeds."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def run_cli(args: list[str], seed: str, tmp: Path) -> bytes:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    out = subprocess.run([sys.executable, "-m", "cli.main", *args], cwd=REPO, env=env, capture_output=True,
                         timeout=120, check=True)
    return out.stdout


@pytest.mark.parametrize("fmt", ["text", "json", "xlsx"])
def test_eval_output_is_byte_identical_across_hash_seeds(fmt: str, tmp_path: Path) -> None:
    outputs = []
    for seed in ("1", "4242"):
        target = tmp_path / f"out-{seed}.{fmt}"
        run_cli(["eval", "--date", "2026-01-01", "--format", fmt, "-o", str(target)], seed, tmp_path)
        outputs.append(target.read_bytes())
    assert outputs[0] == outputs[1] and outputs[0]
