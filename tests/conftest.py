"""Shared fixtures: facts built from plain dicts, compiled rule texts, the sample county, goldens.

`make_facts` builds the two tables the evaluator reads (`.schools`, `.counties`, each with
`.columns` and `.n`) straight from dicts, typed by the rule set's field declarations, so the
tests do not depend on the facts loader.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from engine.interpreter import CompiledRules
from engine.interpreter.check import check
from engine.interpreter.compile import compile_plan
from engine.interpreter.layer import group_layers, layer
from engine.interpreter.parse import parse_text

REPO = Path(__file__).resolve().parent.parent
RULES_DIR = REPO / "rules"
NATIONAL_DIR = RULES_DIR / "national"
SAMPLE_DIR = REPO / "examples" / "示例县"
GOLDEN_DIR = Path(__file__).resolve().parent / "golden"


# ---------------------------------------------------------------- --update-goldens


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-goldens", action="store_true", default=False,
                     help="rewrite tests/golden/** from the current output instead of comparing")


@pytest.fixture
def golden(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """golden(relative_path, text): compare `text` with tests/golden/<relative_path>, or rewrite it."""
    update = request.config.getoption("--update-goldens")

    def check_golden(rel: str, text: str) -> None:
        path = GOLDEN_DIR / rel
        text = text.rstrip("\n") + "\n"
        if update:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            return
        assert path.exists(), f"缺少 golden 文件 {path};用 pytest --update-goldens 生成后逐字检查"
        expected = path.read_text(encoding="utf-8")
        assert text == expected, f"输出与 {rel} 不一致(确认无误后用 --update-goldens 更新)"

    return check_golden


# ---------------------------------------------------------------- facts from dicts


@dataclass
class Table:
    """One facts table as the evaluator reads it: named numpy columns of equal length."""

    columns: dict[str, np.ndarray] = field(default_factory=dict)
    n: int = 0


@dataclass
class Facts:
    schools: Table
    counties: Table


def _number(value: Any, percent: bool) -> float:
    if value is None or value == "":
        return math.nan
    if isinstance(value, str):
        text = value.strip().replace(",", "")
        if text.endswith("%"):
            return float(text[:-1]) / 100.0
        value = float(text)
    x = float(value)
    return x / 100.0 if percent else x


def _yes_no(value: Any) -> float:
    if value is None or value == "":
        return math.nan
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if value in ("是", 1, 1.0, "1"):
        return 1.0
    if value in ("否", 0, 0.0, "0"):
        return 0.0
    raise ValueError(f"not 是/否: {value!r}")


def _table(rows: list[dict[str, Any]], entity: str, ruleset: Any) -> Table:
    decls = {name: e.decl for name, e in ruleset.fields.items() if e.decl.entity == entity}
    names = list(decls)
    for r in rows:  # undeclared keys are kept too (as text), so tests can add odd columns
        names.extend(k for k in r if k not in names)
    cols: dict[str, np.ndarray] = {}
    for name in names:
        decl = decls.get(name)
        present = [r for r in rows if name in r]
        if decl is not None and not present and not getattr(decl, "required", False):
            continue  # an optional column nobody filled: leave it absent, like a real table
        if decl is None or decl.type == "文本":
            cols[name] = np.array([None if r.get(name) in (None, "") else str(r[name]) for r in rows],
                                  dtype=object)
        elif decl.type == "是否":
            cols[name] = np.array([_yes_no(r.get(name)) for r in rows], dtype=np.float64)
        else:
            cols[name] = np.array([_number(r.get(name), decl.unit == "%") for r in rows], dtype=np.float64)
    return Table(cols, len(rows))


def make_facts(schools: list[dict[str, Any]], counties: list[dict[str, Any]], ruleset: Any) -> Facts:
    """Facts from dicts, typed by `ruleset.fields` (numbers → float64/NaN, 是否 → 1/0/NaN,
    文本 → object/None, percent columns given as 98.5 stored as 0.985)."""
    return Facts(_table(schools, "学校", ruleset), _table(counties, "县区", ruleset))


# ---------------------------------------------------------------- rule texts


def compile_texts(*texts: str, name: str | None = None) -> CompiledRules:
    """Parse, layer, check and compile rule texts given inline (file i is named t{i}.rule)."""
    files = [parse_text(t, f"t{i}.rule") for i, t in enumerate(texts)]
    groups = group_layers(files)
    target = name or (files[-1].header.name if files[-1].header else "")
    rs = layer(groups, target)
    checked = check(rs)
    return CompiledRules(rs, checked, compile_plan(checked))


# ---------------------------------------------------------------- the bundled sample


def _read_csv(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def sample_facts(ruleset: Any) -> Facts:
    """The sample county's two CSV tables (examples/示例县), typed by the rule set's fields."""
    return make_facts(_read_csv(SAMPLE_DIR / "学校表.csv"), _read_csv(SAMPLE_DIR / "县区表.csv"), ruleset)


@pytest.fixture(scope="session")
def national() -> CompiledRules:
    from engine.interpreter import load_rules

    return load_rules("国家", RULES_DIR)


@pytest.fixture(scope="session")
def sample_results(national: CompiledRules):  # type: ignore[no-untyped-def]
    from datetime import date

    from engine.interpreter import evaluate

    return evaluate(national, sample_facts(national.ruleset), date(2024, 9, 1))


# ---------------------------------------------------------------- a live HTTP server


@pytest.fixture(scope="session")
def serve() -> Any:
    """`with serve(app, **uvicorn_config) as url:` — the app on a free loopback port, in a thread,
    stopped when the block ends (the browser test and the hostile-client tests use it)."""
    import contextlib
    import socket
    import threading
    import time

    @contextlib.contextmanager
    def running(app: Any, **config: Any) -> Any:
        import uvicorn

        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off", **config))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                pytest.fail("服务没有启动")
            time.sleep(0.05)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
            thread.join(10)
            sock.close()

    return running
