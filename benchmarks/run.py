#!/usr/bin/env python3
"""junheng benchmarks: per-stage time and memory at national scale, against the issue's targets.

    python benchmarks/run.py                          # 100, 1,000 and 3,000 counties (≈ 10 min)
    python benchmarks/run.py --sizes 100,1000         # quicker
    python benchmarks/run.py --sizes 100 --skip-e2e   # smoke test (≈ 30 s)

Every measurement runs in a fresh process (benchmarks/worker.py) so that peak memory
(ru_maxrss of that process) and cold-start costs are its own. Data come from engine.synth
(the generator behind `junheng sample`), written once per size and seed under
benchmarks/out/data/. Results: benchmarks/out/results.json and benchmarks/out/results.md
(figures only; benchmarks/RESULTS.md is the curated report with the hotspots).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

#: The issue's targets.
E2E_WALL_S, E2E_PEAK_MB, EVALUATE_S = 10.0, 2048.0, 0.5
RATIO_MAX = 1.5
EXPLAIN_AFTER_LOAD_S, EXPLAIN_STEP_S = 0.050, 0.005
RULES_COLD_S, RULES_CACHED_S = 0.300, 0.050
DIFF_RATIO_MAX = 2.0


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.pop("JUNHENG_RULES", None)
    return env


def measure(cmd: list[str], timeout: float = 1800.0, extra_env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run a command in a fresh process: wall time, its own peak RSS, exit code, stdout."""
    out_path = HERE / "out" / ".stdout"
    err_path = HERE / "out" / ".stderr"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=REPO, env={**_env(), **(extra_env or {})})
        deadline = started + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.005)
        wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime, "peak_mb": usage.ru_maxrss / 1024.0,
            "rc": proc.returncode,
            "stdout": out_path.read_text(encoding="utf-8", errors="replace"),
            "stderr": err_path.read_text(encoding="utf-8", errors="replace")[-2000:]}


def worker(*args: str, timeout: float = 1800.0, env: dict[str, str] | None = None) -> dict[str, Any]:
    run = measure([sys.executable, str(HERE / "worker.py"), *args], timeout, env)
    if run["rc"] != 0:
        raise SystemExit(f"worker {' '.join(args)} failed ({run['rc']}):\n{run['stderr']}")
    data: dict[str, Any] = json.loads(run["stdout"].strip().splitlines()[-1])
    data["process_wall_s"], data["process_peak_mb"] = run["wall_s"], run["peak_mb"]
    return data


def junheng(*args: str, timeout: float = 1800.0) -> dict[str, Any]:
    """The `junheng` command of this checkout (not an installed copy), in a fresh process."""
    return measure([sys.executable, "-m", "cli.main", *args], timeout)


def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                      if line.startswith("MemTotal"))
    except (OSError, StopIteration):
        mem_kb = 0
    import numpy

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=REPO).stdout.strip()
    dirty = bool(subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True,
                                cwd=REPO).stdout.strip())
    return {"nproc": os.cpu_count(), "cpu": model, "mem_gib": round(mem_kb / 1024 / 1024, 1),
            "python": platform.python_version(), "numpy": numpy.__version__, "platform": platform.platform(),
            "commit": commit + ("+uncommitted changes" if dirty else ""),
            "date": dt.datetime.now().astimezone().isoformat(timespec="seconds")}


def dataset(counties: int, seed: int) -> Path:
    from engine.synth import generate, write_csv

    where = HERE / "out" / "data" / f"{counties}-{seed}"
    if not (where / "学校表.csv").exists():
        t = time.perf_counter()
        data = generate(counties, seed)
        t1 = time.perf_counter()
        write_csv(data, where)
        t2 = time.perf_counter()
        (where / "generate.json").write_text(json.dumps(
            {"generate_s": t1 - t, "write_s": t2 - t1, "schools": data.n_schools}), encoding="utf-8")
    return where


# ---------------------------------------------------------------- report


def ok(flag: bool) -> str:
    return "met" if flag else "**missed**"


def fmt_s(s: float) -> str:
    return f"{s * 1000:.1f} ms" if s < 1 else f"{s:.2f} s"


def growth(t_small: float, t_big: float, n_small: int, n_big: int) -> str:
    if t_small <= 0 or n_small == n_big:
        return "—"
    return f"{math.log(t_big / t_small) / math.log(n_big / n_small):.2f}"


STAGES = ("rules", "load", "validate", "frames", "evaluate", "render")
STAGE_NAMES = {"rules": "rules (parse+layer+check+compile 国家)", "load": "load (read CSV)",
               "validate": "validate (typed columns, checks)", "frames": "split / build frames",
               "evaluate": "evaluate (all items)", "render": "render JSON to file (as `eval -o`)"}


def report(r: dict[str, Any]) -> str:
    m = r["machine"]
    lines = [f"Machine: {m['nproc']} cores, {m['cpu']}, {m['mem_gib']} GiB; Python {m['python']}, NumPy {m['numpy']}; "
             f"commit {m['commit']}; {m['date']}", f"Command: `{r['command']}`",
             f"Load average (1 min) at start / end: {r.get('load_start', '?')} / {r.get('load_end', '?')} "
             "(the 2 cores are shared with other sessions' processes: wall times above ≈ 1 mean contention; "
             "cpu = user + sys of the measuring process)", ""]
    sizes = r["sizes"]
    st = r["stages"]
    lines += ["### Per stage (fresh process per size)", "",
              "| stage | " + " | ".join(f"{s} counties ({st[str(s)]['schools']:,} schools)" for s in sizes) + " | growth exponent |",
              "|---|" + "---:|" * len(sizes) + "---:|"]
    for stage in STAGES:
        cells = []
        for s in sizes:
            lap = st[str(s)]["laps"].get(stage)
            cells.append("—" if lap is None else
                         f"{fmt_s(lap['s'])} (cpu {fmt_s(lap.get('cpu_s', lap['s']))}) · {lap['peak_mb']:.0f} MB")
        big, small = sizes[-1], sizes[-2] if len(sizes) > 1 else sizes[-1]
        lb, ls = st[str(big)]["laps"].get(stage), st[str(small)]["laps"].get(stage)
        g = growth(ls["s"], lb["s"], st[str(small)]["schools"], st[str(big)]["schools"]) if lb and ls else "—"
        lines.append(f"| {STAGE_NAMES[stage]} | " + " | ".join(cells) + f" | {g} |")
    core = ("load", "validate", "frames", "evaluate")
    cells = []
    for s in sizes:
        secs = sum(st[str(s)]["laps"][k]["s"] for k in core if k in st[str(s)]["laps"])
        cells.append(f"{st[str(s)]['schools'] / secs:,.0f}/s")
    lines.append("| schools per second (load→evaluate) | " + " | ".join(cells) + " | |")
    lines.append("| process peak RSS | " + " | ".join(f"{st[str(s)]['process_peak_mb']:.0f} MB" for s in sizes) + " | |")
    lines.append("| result rows · JSON size | " + " | ".join(
        f"{st[str(s)]['result_rows']:,} · {st[str(s)]['json_bytes'] / 1e6:.0f} MB" for s in sizes) + " | |")
    lines.append("")
    lines.append("Growth exponent: log(t_big/t_small) / log(n_big/n_small) between the two largest sizes (1 = linear).")
    lines.append("")

    lines += ["### Targets", "", "| target | measured | |", "|---|---|---|"]
    for row in r["targets"]:
        lines.append(f"| {row[0]} | {row[1]} | {ok(row[2]) if row[2] is not None else '—'} |")
    lines.append("")

    lines += ["### Resource allocation: junheng vs plain NumPy", "",
              "| counties | schools | units | junheng | of which frames | NumPy reference | ratio | agree |",
              "|---:|---:|---:|---:|---:|---:|---:|---|"]
    for s in sizes:
        x = r["resource"][str(s)]
        a = x["agree"]
        lines.append(f"| {s} | {x['schools']:,} | {x['counts']['units']:,} | {fmt_s(x['junheng_s'])} | "
                     f"{fmt_s(x['junheng_frames_s'])} | {fmt_s(x['reference_s'])} | {x['ratio']:.1f}× | "
                     f"{'yes' if a['all'] else 'NO ' + json.dumps(a, ensure_ascii=False)} |")
    lines.append("")
    lines.append("Best of N runs each (same Facts object in memory); agreement = every R1–R7 verdict and value, every "
                 "资源配置达标, all 14 CVs (value within 1e-12 and verdict) and every county's 资源配置.")
    lines.append("")
    if "e2e" in r:
        lines += ["### End to end: `junheng eval --format json -o FILE`", "",
                  "| counties | wall | cpu | peak RSS | output |", "|---:|---:|---:|---:|---:|"]
        for s, x in r["e2e"].items():
            lines.append(f"| {s} | {fmt_s(x['wall_s'])} | {fmt_s(x.get('cpu_s', 0))} | {x['peak_mb']:.0f} MB | "
                         f"{x.get('bytes', 0) / 1e6:.0f} MB |")
        lines.append("")
    if "explain" in r:
        x = r["explain"]
        lines += ["### explain (one school, after load)", "",
                  f"{x['schools']:,} schools; school 「{x['school']}」 ({x['units']} 学部, {len(x['conclusions'])} conclusions: "
                  f"{'、'.join(x['conclusions'])}).", "",
                  "| step | time |", "|---|---:|",
                  f"| load + evaluate (once) | {fmt_s(x['load_s'])} |",
                  f"| `junheng explain --school …` after load (CLI code path, best of 5) | {fmt_s(x['after_load_s'])} |",
                  f"| of which find_school | {fmt_s(x['find_school_s'])} |",
                  f"| explain step (build the traces) | {fmt_s(x['explain_s'])} |",
                  f"| render the traces | {fmt_s(x['render_s'])} |"]
        if "cli" in x:
            lines.append(f"| whole `junheng explain` process (load included) | {fmt_s(x['cli']['wall_s'])} · "
                         f"{x['cli']['peak_mb']:.0f} MB |")
        lines.append("")
    if "rules" in r:
        x = r["rules"]
        runs = x["runs"]
        lines += ["### Rule loading: every shipped pack", "",
                  f"{len(runs[0]['rule_sets'])} rule sets ({'、'.join(runs[0]['rule_sets'])}), {runs[0]['files']} files, "
                  f"{runs[0]['lines']} lines.", "",
                  "| run | import engine | parse+layer+check+compile all | same again in-process | process wall |",
                  "|---|---:|---:|---:|---:|"]
        for i, run in enumerate(runs):
            lines.append(f"| fresh process {i + 1} | {fmt_s(run['import_s'])} | {fmt_s(run['load_all_s'])} | "
                         f"{fmt_s(run['again_in_process_s'])} | {fmt_s(run['process_wall_s'])} |")
        lines.append("")
    if "diff" in r:
        x = r["diff"]
        laps = x["laps"]
        lines += [f"### `diff 国家 辽宁` with impact ({x['schools']:,} schools)", "",
                  "| step | time |", "|---|---:|"]
        for k in ("rules_a", "rules_b", "diff_rules", "load", "evaluate_a", "evaluate_b", "impact", "render", "one_evaluation"):
            lines.append(f"| {k} | {fmt_s(laps[k]['s'])} |")
        lines.append(f"| **diff with impact** (diff_rules + 2 evaluations + impact + render) | {fmt_s(x['diff_with_impact_s'])} "
                     f"= {x['ratio']:.2f}× one evaluation |")
        if "cli" in x:
            lines.append(f"| CLI `junheng diff 国家 辽宁 …` (whole process) | {fmt_s(x['cli']['diff']['wall_s'])} |")
            lines.append(f"| CLI `junheng eval …` text (whole process) | {fmt_s(x['cli']['eval']['wall_s'])} |")
        lines.append(f"| changes · flips | {x['changes']} · {x['flips']} |")
        lines.append("")
    gen = r.get("generate", {})
    if gen:
        lines += ["### Data generation (`junheng sample`)", "", "| counties | schools | generate | write CSV |",
                  "|---:|---:|---:|---:|"]
        for s, g in gen.items():
            lines.append(f"| {s} | {g['schools']:,} | {fmt_s(g['generate_s'])} | {fmt_s(g['write_s'])} |")
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100,1000,3000", help="county counts, comma-separated")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=9, help="runs of the resource-allocation comparison (best kept)")
    parser.add_argument("--skip-e2e", action="store_true", help="skip the end-to-end CLI runs")
    parser.add_argument("--explain-size", type=int, default=1000)
    parser.add_argument("--diff-size", type=int, default=1000)
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    (HERE / "out").mkdir(exist_ok=True)
    r: dict[str, Any] = {"machine": machine(), "sizes": sizes, "command": "python benchmarks/run.py " + " ".join(sys.argv[1:]),
                         "stages": {}, "resource": {}, "generate": {}, "load_start": round(os.getloadavg()[0], 2)}

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    data = {}
    for s in sizes:
        data[s] = dataset(s, args.seed)
        r["generate"][str(s)] = json.loads((data[s] / "generate.json").read_text(encoding="utf-8"))
        log(f"[{s}] data: {r['generate'][str(s)]['schools']:,} schools in {data[s]}")
        r["stages"][str(s)] = worker("stages", str(data[s]))
        log(f"[{s}] stages: " + ", ".join(f"{k} {v['s']:.3f}s" for k, v in r["stages"][str(s)]["laps"].items()))
        r["resource"][str(s)] = worker("resource", str(data[s]), str(args.repeat))
        x = r["resource"][str(s)]
        log(f"[{s}] resource: junheng {x['junheng_s']:.3f}s numpy {x['reference_s']:.3f}s ratio {x['ratio']:.1f} "
            f"agree {x['agree']['all']}")

    if not args.skip_e2e:
        r["e2e"] = {}
        for s in sizes:
            target = HERE / "out" / f"eval-{s}.json"
            run = junheng("eval", "--schools", str(data[s] / "学校表.csv"), "--counties", str(data[s] / "县区表.csv"),
                          "--date", "2025-01-01", "--format", "json", "-o", str(target))
            if run["rc"] != 0:
                log(f"[{s}] e2e failed: {run['stderr']}")
            run["bytes"] = target.stat().st_size if target.exists() else 0
            run.pop("stdout")
            r["e2e"][str(s)] = run
            target.unlink(missing_ok=True)
            log(f"[{s}] e2e eval json: {run['wall_s']:.2f}s {run['peak_mb']:.0f} MB")

    # cold: an empty parse cache (so every file is parsed and the cache written); then cached twice
    with tempfile.TemporaryDirectory() as cache:
        rules_runs = [worker("rules", env={"JUNHENG_CACHE_DIR": cache}) for _ in range(4)]
    r["rules"] = {"runs": rules_runs}
    log(f"rules: {[round(x['load_all_s'], 3) for x in rules_runs]}")

    ex_size = args.explain_size if args.explain_size in data else sizes[min(1, len(sizes) - 1)]
    r["explain"] = worker("explain", str(data[ex_size]))
    if not args.skip_e2e:
        cli = junheng("explain", "--schools", str(data[ex_size] / "学校表.csv"), "--counties",
                      str(data[ex_size] / "县区表.csv"), "--date", "2025-01-01", "--school", r["explain"]["school"])
        cli.pop("stdout")
        r["explain"]["cli"] = cli
    log(f"explain: after load {r['explain']['after_load_s'] * 1000:.1f} ms, step {r['explain']['explain_s'] * 1000:.2f} ms")

    diff_size = args.diff_size if args.diff_size in data else sizes[min(1, len(sizes) - 1)]
    r["diff"] = worker("diff", str(data[diff_size]))
    if not args.skip_e2e:
        files = ["--schools", str(data[diff_size] / "学校表.csv"), "--counties", str(data[diff_size] / "县区表.csv"),
                 "--date", "2025-01-01"]
        d = junheng("diff", "国家", "辽宁", *files, "-o", str(HERE / "out" / "diff.txt"))
        e = junheng("eval", *files, "-o", str(HERE / "out" / "eval.txt"))
        d.pop("stdout")
        e.pop("stdout")
        r["diff"]["cli"] = {"diff": d, "eval": e}
    log(f"diff: {r['diff']['ratio']:.2f}× one evaluation")

    # ---- targets
    big = str(sizes[-1])
    t: list[tuple[str, str, bool | None]] = []
    if "e2e" in r:
        e2e = r["e2e"][big]
        t.append((f"eval --format json, {big} counties: wall < 10 s", fmt_s(e2e["wall_s"]), e2e["wall_s"] < E2E_WALL_S))
        t.append((f"eval --format json, {big} counties: peak < 2 GB", f"{e2e['peak_mb']:.0f} MB", e2e["peak_mb"] < E2E_PEAK_MB))
    ev = r["stages"][big]["laps"]["evaluate"]["s"]
    t.append((f"evaluate stage alone, {big} counties: < 0.5 s", fmt_s(ev) + f" (+ frames {fmt_s(r['stages'][big]['laps']['frames']['s'])})",
              ev < EVALUATE_S))
    ratio = r["resource"][big]["ratio"]
    t.append((f"junheng / NumPy on 资源配置, {big} counties: ≤ 1.5×", f"{ratio:.1f}×", ratio <= RATIO_MAX))
    x = r["explain"]
    t.append((f"explain one school after load ({x['schools']:,} schools): < 50 ms", fmt_s(x["after_load_s"]),
              x["after_load_s"] < EXPLAIN_AFTER_LOAD_S))
    t.append(("explain step itself: < 5 ms", fmt_s(x["explain_s"]), x["explain_s"] < EXPLAIN_STEP_S))
    cold = rules_runs[0]["load_all_s"]
    t.append(("rule loading, every shipped pack, cold: < 300 ms", fmt_s(cold) + f" (+ import {fmt_s(rules_runs[0]['import_s'])})",
              cold < RULES_COLD_S))
    cached = min(run["load_all_s"] for run in rules_runs[1:])
    t.append(("rule loading, cached (a second run): < 50 ms", fmt_s(cached) + " (no cache: same work as cold)",
              cached < RULES_CACHED_S))
    t.append((f"diff 国家 辽宁 with impact ({r['diff']['schools']:,} schools): < 2× one evaluation",
              f"{r['diff']['ratio']:.2f}×", r["diff"]["ratio"] < DIFF_RATIO_MAX))
    r["targets"] = t
    r["load_end"] = round(os.getloadavg()[0], 2)

    (HERE / "out" / "results.json").write_text(json.dumps(r, ensure_ascii=False, indent=1), encoding="utf-8")
    text = report(r)
    (HERE / "out" / "results.md").write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
