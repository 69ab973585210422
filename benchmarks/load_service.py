"""Load check for `junheng serve`: N concurrent clients evaluating the sample county for a fixed time.

Not part of the tests. Starts the service in a separate process on a loopback port (or uses
one already running on this machine with --url), then N clients (asyncio + httpx, one
connection each) post the sample 示例县 again and again until the time is up. Reports
throughput, latency percentiles and errors.

    python benchmarks/load_service.py                         # 8 clients, 10 s, uploads of the .xlsx pair
    python benchmarks/load_service.py --clients 16 --seconds 30 --mode json --workers 8
    python benchmarks/load_service.py --url http://127.0.0.1:8000 --json

Bounded on purpose: at most 64 clients and 300 seconds, and only loopback addresses.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "examples" / "示例县"
LOOPBACK = {"127.0.0.1", "::1", "localhost"}
MAX_CLIENTS, MAX_SECONDS = 64, 300


def start_server(workers: int) -> tuple[subprocess.Popen[bytes], str]:
    """The service in a child process, on a loopback socket bound here (no port race)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    port = sock.getsockname()[1]
    code = ("import sys, uvicorn\n"
            "from engine.service import Limits, create_app\n"
            f"app = create_app(limits=Limits(workers={workers}, max_waiting=256))\n"
            f"uvicorn.run(app, fd={sock.fileno()}, log_level='warning')\n")
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen([sys.executable, "-c", code], pass_fds=[sock.fileno()], env=env)
    sock.close()
    return proc, f"http://127.0.0.1:{port}"


def wait_ready(url: str, proc: subprocess.Popen[bytes] | None, timeout: float = 30) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise SystemExit(f"服务进程已退出(返回码 {proc.returncode})")
        try:
            if httpx.get(url + "/v1/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit("服务在 30 秒内没有就绪")


def request_maker(mode: str, ruleset: str) -> Any:
    """A function giving the keyword arguments of one evaluate request."""
    if mode == "json":
        def rows(name: str) -> list[dict[str, str]]:
            with open(SAMPLE / name, encoding="utf-8-sig", newline="") as fh:
                return list(csv.DictReader(fh))

        payload = {"ruleset": ruleset, "schools": rows("学校表.csv"), "counties": rows("县区表.csv")}
        return "/v1/evaluate", lambda: {"json": payload}
    ext = "xlsx" if mode == "upload" else "csv"
    schools, counties = (SAMPLE / f"学校表.{ext}").read_bytes(), (SAMPLE / f"县区表.{ext}").read_bytes()
    return "/v1/evaluate/upload", lambda: {
        "files": {"schools": (f"学校表.{ext}", schools), "counties": (f"县区表.{ext}", counties)},
        "data": {"ruleset": ruleset}}


async def client(url: str, path: str, make: Any, deadline: float, latencies: list[float], errors: Counter[str]) -> None:
    import httpx

    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                response = await http.post(path, **make())
                if response.status_code == 200:
                    latencies.append(time.perf_counter() - started)
                else:
                    errors[f"HTTP {response.status_code}"] += 1
            except httpx.HTTPError as exc:
                errors[type(exc).__name__] += 1


async def run_load(url: str, clients: int, seconds: float, mode: str, ruleset: str) -> dict[str, Any]:
    path, make = request_maker(mode, ruleset)
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    started = time.monotonic()
    await asyncio.gather(*(client(url, path, make, started + seconds, latencies, errors) for _ in range(clients)))
    elapsed = time.monotonic() - started
    return summary(latencies, errors, elapsed, clients, mode)


def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return float("nan")
    k = min(len(sorted_values) - 1, max(0, round(p / 100 * (len(sorted_values) - 1))))
    return sorted_values[k]


def summary(latencies: list[float], errors: Counter[str], elapsed: float, clients: int, mode: str) -> dict[str, Any]:
    ms = sorted(x * 1000 for x in latencies)
    return {"模式": mode, "客户端数": clients, "时长秒": round(elapsed, 2), "成功请求": len(ms),
            "错误": dict(errors), "吞吐量_每秒": round(len(ms) / elapsed, 1) if elapsed else 0.0,
            "学校_每秒": round(len(ms) * 30 / elapsed) if elapsed else 0,
            "延迟毫秒": {"平均": round(statistics.fmean(ms), 1) if ms else None,
                     **{f"p{p}": round(percentile(ms, p), 1) for p in (50, 90, 95, 99)},
                     "最大": round(ms[-1], 1) if ms else None}}


def render(doc: dict[str, Any]) -> str:
    lat = doc["延迟毫秒"]
    errors = "、".join(f"{k} × {v}" for k, v in doc["错误"].items()) or "无"
    return (f"负载检查:{doc['客户端数']} 个并发客户端,{doc['时长秒']} 秒,模式 {doc['模式']}"
            f"(服务线程 {doc.get('服务线程', '?')})\n"
            f"  成功请求 {doc['成功请求']},吞吐量 {doc['吞吐量_每秒']} 次/秒(约 {doc['学校_每秒']} 所学校/秒)\n"
            f"  延迟(毫秒):平均 {lat['平均']},p50 {lat['p50']},p90 {lat['p90']},p95 {lat['p95']},"
            f"p99 {lat['p99']},最大 {lat['最大']}\n"
            f"  错误:{errors}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="junheng 服务的负载检查(只连本机回环地址)")
    parser.add_argument("--clients", type=int, default=8, help=f"并发客户端数(1–{MAX_CLIENTS})")
    parser.add_argument("--seconds", type=float, default=10.0, help=f"持续时间(秒,最多 {MAX_SECONDS})")
    parser.add_argument("--mode", choices=["upload", "csv", "json"], default="upload",
                        help="upload:上传两个 .xlsx;csv:上传两个 .csv;json:JSON 记录")
    parser.add_argument("--workers", type=int, default=4, help="自启服务的工作线程数")
    parser.add_argument("--ruleset", default="国家")
    parser.add_argument("--url", default=None, help="使用已在本机运行的服务,如 http://127.0.0.1:8000")
    parser.add_argument("--json", action="store_true", help="输出 JSON")
    args = parser.parse_args(argv)
    if not 1 <= args.clients <= MAX_CLIENTS or not 0 < args.seconds <= MAX_SECONDS:
        parser.error(f"客户端数须在 1–{MAX_CLIENTS} 之间,时长须在 0–{MAX_SECONDS} 秒之间")
    proc = None
    if args.url is not None:
        if urlparse(args.url).hostname not in LOOPBACK:
            parser.error("只允许本机回环地址(127.0.0.1、::1、localhost)")
        url = args.url.rstrip("/")
    else:
        proc, url = start_server(args.workers)
    try:
        wait_ready(url, proc)
        doc = asyncio.run(run_load(url, args.clients, args.seconds, args.mode, args.ruleset))
        doc["服务线程"] = args.workers if proc is not None else None
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(10)
    print(json.dumps(doc, ensure_ascii=False, indent=1) if args.json else render(doc))
    return 1 if doc["错误"] or not doc["成功请求"] else 0


if __name__ == "__main__":
    sys.exit(main())
