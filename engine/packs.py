"""Where the rule packs and the bundled sample live, in a checkout or an installed copy."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

_REPO = Path(__file__).resolve().parent.parent


def _data_dir(name: str) -> Path:
    """`rules` or `examples`: the checkout's folder, else the copy installed as package data."""
    local = _REPO / name
    if local.is_dir() and (_REPO / "pyproject.toml").is_file():
        return local
    return Path(str(resources.files("engine") / "_data" / name))


def rules_root() -> Path:
    """The folder holding national/ and provinces/ (JUNHENG_RULES overrides it)."""
    env = os.environ.get("JUNHENG_RULES")
    return Path(env) if env else _data_dir("rules")


def sample_dir() -> Path:
    """The bundled sample county (示例县)."""
    return _data_dir("examples") / "示例县"


def rule_files(paths: list[Path]) -> list[Path]:
    """Every .rule file under the given files or folders, in a stable order."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(sorted(p.rglob("*.rule")))
        else:
            out.append(p)
    return out
