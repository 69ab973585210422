"""Long fuzz runs over rule files: the generators of tests/hardening/harness.py for as long as you
like, or atheris (coverage-guided) when it is installed. Not collected by pytest.

    python benchmarks/fuzz.py --minutes 30                  # all generators, 2 processes
    python benchmarks/fuzz.py --minutes 5 --generators expr,deep --workers 4 --seed 7
    python benchmarks/fuzz.py --replay expr:5044            # one input again, with its text and traceback
    python benchmarks/fuzz.py --atheris -- -max_total_time=600 -timeout=20   # libFuzzer flags after --
                                                  # (-print_final_stats=1 prints the number of inputs)

Every input goes through parse → format (same meaning, idempotent) → layer → check → compile →
evaluate on the sample county → render summary and rows → explain (`harness.run_case`), with a
time bound per input. The report counts inputs per generator and outcome; crashes matching a
reported bug (`harness.KNOWN_BUGS`) are counted as known; any other crash is printed with its
`generator:seed` for --replay, and the exit status is 1. `--json FILE` writes the figures.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from hardening import harness  # noqa: E402

#: How often each generator comes up (long lines and deep nesting are slow and find less).
WEIGHTS = {"text": 16, "real": 16, "expr": 16, "deep": 4, "long": 1}


def _work(args: tuple[list[str], int, int, int, float, float]) -> dict[str, Any]:
    """One worker: seeds base+k, base+k+K, … over the generators (by WEIGHTS) until the deadline."""
    chosen, base, k, workers, deadline, time_limit = args
    generators = [g for g in chosen for _ in range(WEIGHTS.get(g, 1))]
    tally = harness.Tally()
    crash_seeds: list[str] = []
    i = 0
    while time.time() < deadline:
        seed = base + k + i * workers
        name = generators[i % len(generators)]
        case = harness.GENERATORS[name](random.Random(seed))
        outcome = harness.run_case(case, time_limit=time_limit)
        tally.add(name, case, outcome)
        if outcome.kind == "crash":
            crash_seeds.append(f"{name}:{seed}")
        i += 1
    return {"runs": tally.runs, "outcomes": tally.outcomes, "known": tally.known, "slowest": tally.slowest,
            "crashes": tally.crashes, "crash_seeds": crash_seeds}


def run(minutes: float, generators: list[str], workers: int, seed: int, time_limit: float) -> dict[str, Any]:
    deadline = time.time() + minutes * 60
    jobs = [(generators, seed, k, workers, deadline, time_limit) for k in range(workers)]
    if workers == 1:
        parts = [_work(jobs[0])]
    else:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            parts = pool.map(_work, jobs)
    total: dict[str, Any] = {"minutes": minutes, "seed": seed, "workers": workers, "runs": {}, "outcomes": {},
                             "known": {}, "slowest_seconds": 0.0, "crashes": [], "crash_seeds": []}
    for part in parts:
        for key in ("runs", "outcomes", "known"):
            for name, n in part[key].items():
                total[key][name] = total[key].get(name, 0) + n
        total["slowest_seconds"] = max(total["slowest_seconds"], part["slowest"])
        total["crashes"] += part["crashes"]
        total["crash_seeds"] += part["crash_seeds"]
    total["inputs"] = sum(total["runs"].values())
    return total


def report(total: dict[str, Any]) -> str:
    lines = [f"输入 {total['inputs']:,} 个({total['minutes']:g} 分钟,{total['workers']} 个进程,种子 {total['seed']})"]
    lines += [f"  {name:5} {n:>9,}" for name, n in sorted(total["runs"].items())]
    lines.append("结果:" + "、".join(f"{k} {v:,}" for k, v in sorted(total["outcomes"].items())))
    if total["known"]:
        lines.append("已报告的缺陷(按 KNOWN_BUGS 计数):")
        summaries = {b.key: b.summary for b in harness.KNOWN_BUGS}
        lines += [f"  {k:30} {v:>7,}  {summaries.get(k, '')}" for k, v in sorted(total["known"].items())]
    lines.append(f"最慢的输入:{total['slowest_seconds']:.2f} 秒(上限 {harness.TIME_LIMIT:g} 秒)")
    if total["crashes"]:
        lines.append(f"新的崩溃 {len(total['crashes'])} 个(用 --replay 重现):" + " ".join(total["crash_seeds"][:20]))
        lines += ["", *total["crashes"][:5]]
    else:
        lines.append("没有新的崩溃。")
    return "\n".join(lines)


def replay(spec: str) -> int:
    name, _, seed = spec.partition(":")
    case = harness.GENERATORS[name](random.Random(int(seed)))
    outcome = harness.run_case(case)
    print(harness.describe(case, outcome) if outcome.kind != "ok" else f"ok ({outcome.seconds:.2f} 秒)")
    print("--- 输入全文 ---")
    print(case.text)
    return 1 if outcome.kind == "crash" else 0


# ---------------------------------------------------------------- atheris


def atheris_main(argv: list[str]) -> int:
    try:
        import atheris
    except ImportError:
        print("atheris 未安装:pip install atheris(需要 Linux/macOS 与 CPython 3.8–3.12 的预编译包)", file=sys.stderr)
        return 2
    with atheris.instrument_imports():
        import lark  # noqa: F401

        import engine.interpreter.check
        import engine.interpreter.compile
        import engine.interpreter.evaluate
        import engine.interpreter.layer
        import engine.interpreter.parse
        import engine.render.rulefmt  # noqa: F401
    texts = harness.rule_texts()
    names = sorted(texts)

    def one(data: bytes) -> None:
        fdp = atheris.FuzzedDataProvider(data)
        mode = fdp.ConsumeIntInRange(0, 3)
        if mode == 0:  # raw text
            case = harness.Case(fdp.ConsumeUnicodeNoSurrogates(fdp.remaining_bytes()), label="atheris 文本")
        elif mode == 1:  # a shipped file with a fuzzed slice put in
            name = names[fdp.ConsumeIntInRange(0, len(names) - 1)]
            text = texts[name]
            i = fdp.ConsumeIntInRange(0, len(text))
            j = fdp.ConsumeIntInRange(i, min(len(text), i + 200))
            case = harness.Case(text[:i] + fdp.ConsumeUnicodeNoSurrogates(64) + text[j:], replaces=name,
                                label=f"atheris 拼接:{name}")
        elif mode == 2:  # a fuzzed formula over the national pack, evaluated on the sample
            expr = fdp.ConsumeUnicodeNoSurrogates(fdp.remaining_bytes())
            case = harness.Case(f'规则集 测试 继承 国家\n新增 学部指标 F1 "x" 计算 {expr} 要求 ≥ 0\n',
                                over_national=True, label="atheris 公式")
        else:  # a seed for the structured generators
            name = sorted(harness.GENERATORS)[fdp.ConsumeIntInRange(0, len(harness.GENERATORS) - 1)]
            case = harness.GENERATORS[name](random.Random(fdp.ConsumeInt(8)))
        outcome = harness.run_case(case)
        if outcome.kind == "crash":
            raise RuntimeError(harness.describe(case, outcome))

    if not any(a.startswith("-max_len") for a in argv):
        argv = [*argv, "-max_len=4096", "-len_control=0"]  # libFuzzer starts at 4 bytes and grows slowly
    atheris.Setup([sys.argv[0], *argv], one)
    atheris.Fuzz()
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--generators", default=",".join(harness.GENERATORS),
                        help=f"逗号分隔,可选:{','.join(harness.GENERATORS)}")
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--seed", type=int, default=int(time.time()) % 1_000_000_000)
    parser.add_argument("--time-limit", type=float, default=harness.TIME_LIMIT, help="每个输入的时间上限(秒)")
    parser.add_argument("--json", type=Path, default=None, help="把统计写入 JSON 文件")
    parser.add_argument("--replay", default=None, help="GEN:SEED,重跑一个输入")
    parser.add_argument("--atheris", action="store_true", help="用 atheris(libFuzzer)做覆盖率引导的模糊测试")
    args, rest = parser.parse_known_args()
    if args.replay:
        return replay(args.replay)
    if args.atheris:
        return atheris_main([a for a in rest if a != "--"])
    generators = [g for g in args.generators.split(",") if g]
    unknown = [g for g in generators if g not in harness.GENERATORS]
    if unknown:
        parser.error(f"未知的生成器:{','.join(unknown)}")
    harness.TIME_LIMIT = args.time_limit
    total = run(args.minutes, generators, args.workers, args.seed, args.time_limit)
    print(report(total))
    if args.json:
        args.json.write_text(json.dumps(total, ensure_ascii=False, indent=1), encoding="utf-8")
    return 1 if total["crashes"] else 0


if __name__ == "__main__":
    sys.exit(main())
