"""Hostile requests against a live server on loopback: bad bodies, slow clients, many at once.

Every answer is a 4xx with a JSON code and a Chinese message (or 503 when busy) — never a 500,
never a hang — and the process's memory stays bounded. Traffic goes to 127.0.0.1 only, with
bounded counts and time.
"""

from __future__ import annotations

import json
import resource
import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

httpx = pytest.importorskip("httpx", reason="服务依赖未安装:pip install httpx")
uvicorn = pytest.importorskip("uvicorn", reason="服务依赖未安装:pip install uvicorn")

from engine.service import Limits, create_app  # noqa: E402

SAMPLE = Path(__file__).resolve().parents[2] / "examples" / "示例县"


@pytest.fixture(scope="module")
def base_url(serve: Any) -> Iterator[str]:
    app = create_app(limits=Limits(max_upload_bytes=2 * 1024 * 1024, max_request_bytes=2 * 1024 * 1024,
                                   timeout_seconds=20, workers=4))
    with serve(app, timeout_keep_alive=30) as url:
        yield url


def assert_located_4xx(response: httpx.Response) -> None:
    assert 400 <= response.status_code < 500, response.text
    body = response.json()
    error = body.get("错误", body)
    assert str(error.get("代码", "")).startswith("E"), body
    assert any("\u4e00" <= ch <= "\u9fff" for ch in str(error.get("消息", ""))), body


@pytest.mark.parametrize(("content_type", "body"), [
    ("application/json", b'{"ruleset": "\xe5\x9b\xbd\xe5\xae\xb6", "schools": [{'),  # cut short
    ("application/json", b"\xff\xfe\x00garbage"),
    ("text/plain", b"ruleset=guojia"),
    ("application/xml", b"<a/>"),
    ("application/json", b"[]"),
    ("application/json", b'{"ruleset": "../../etc/passwd", "schools": []}'),
    ("application/json", json.dumps({"ruleset": "国家", "schools": "x" * 10}).encode()),
])
def test_malformed_bodies_and_content_types_get_located_4xx(base_url: str, content_type: str, body: bytes) -> None:
    r = httpx.post(base_url + "/v1/evaluate", content=body, headers={"content-type": content_type}, timeout=30)
    assert_located_4xx(r)


def test_huge_body_is_refused_with_413(base_url: str) -> None:
    r = httpx.post(base_url + "/v1/evaluate", content=b"{" + b" " * (3 * 1024 * 1024) + b"}",
                   headers={"content-type": "application/json"}, timeout=30)
    assert r.status_code == 413
    assert_located_4xx(r)


def test_a_slow_client_does_not_block_others(base_url: str) -> None:
    host, port = base_url.removeprefix("http://").split(":")
    slow = socket.create_connection((host, int(port)), timeout=10)
    try:
        slow.sendall(b"POST /v1/evaluate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 100000\r\n\r\n{")  # and then nothing
        started = time.monotonic()
        r = httpx.get(base_url + "/v1/health", timeout=10)
        assert r.status_code == 200 and time.monotonic() - started < 5
    finally:
        slow.close()


def test_two_thousand_concurrent_requests_never_fail_or_hang(base_url: str) -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    facts = {"ruleset": "国家", "as_of": "2026-01-01",
             "schools": [dict(row) for row in _csv_rows(SAMPLE / "学校表.csv")[:3]],
             "counties": _csv_rows(SAMPLE / "县区表.csv")}
    with httpx.Client(timeout=60, limits=httpx.Limits(max_connections=64)) as client:

        def one(i: int) -> int:
            if i % 25 == 0:
                return client.post(base_url + "/v1/evaluate", json=facts).status_code
            if i % 3 == 0:
                return client.get(base_url + "/v1/rulesets/国家").status_code
            return client.get(base_url + "/v1/health").status_code

        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=64) as pool:
            codes = list(pool.map(one, range(2000)))
        elapsed = time.monotonic() - started
    assert len(codes) == 2000 and elapsed < 180
    assert set(codes) <= {200, 503}, sorted(set(codes))
    assert codes.count(200) >= 1800
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 300, f"内存增长 {grown_mb:.0f} MB"


def _csv_rows(path: Path) -> list[dict[str, str]]:
    import csv

    with path.open(encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))
