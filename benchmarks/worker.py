"""One measurement in a fresh process; prints one JSON object on stdout. Run by run.py.

    python benchmarks/worker.py stages   DATA_DIR   per-stage wall time and memory of one evaluation
    python benchmarks/worker.py resource DATA_DIR   NumPy reference vs junheng on 资源配置 (+ agreement)
    python benchmarks/worker.py explain  DATA_DIR   explain one school after load
    python benchmarks/worker.py rules               rule loading of every shipped pack
    python benchmarks/worker.py diff     DATA_DIR   diff 国家 辽宁 with impact vs one evaluation
"""

from __future__ import annotations

import json
import resource
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

AS_OF = date(2025, 1, 1)


def maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


class Clock:
    """Named wall-time laps, with the peak RSS reached by the end of each lap."""

    def __init__(self) -> None:
        self.laps: dict[str, dict[str, float]] = {}

    def run(self, name: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        before = maxrss_mb()
        c = time.process_time()
        t = time.perf_counter()
        out = fn(*args, **kwargs)
        seconds = time.perf_counter() - t
        cpu = time.process_time() - c
        after = maxrss_mb()
        self.laps[name] = {"s": seconds, "cpu_s": cpu, "peak_mb": after, "new_peak_mb": max(0.0, after - before)}
        return out


def _evaluate_module() -> Any:
    """engine.interpreter.evaluate, the module (the package re-exports a function of that name)."""
    import importlib

    return importlib.import_module("engine.interpreter.evaluate")


def _files(data: Path) -> tuple[Path, Path]:
    return data / "学校表.csv", data / "县区表.csv"


# ---------------------------------------------------------------- stages


def stages(data: Path) -> dict[str, Any]:
    clock = Clock()
    t0 = time.perf_counter()
    ev = _evaluate_module()
    from engine.interpreter import evaluate, field_specs, load_rules
    from engine.render.rows import result_rows

    clock.laps["import"] = {"s": time.perf_counter() - t0, "cpu_s": time.process_time(), "peak_mb": maxrss_mb(),
                            "new_peak_mb": 0.0}
    rules = clock.run("rules", load_rules, "国家")
    specs = field_specs(rules)
    schools, counties = _files(data)
    try:  # load = read the files; validate = header, typed columns, checks (the loader's two halves)
        from engine.facts.load import build_table
        from engine.facts.read import read_raw
        from engine.facts.spec import COUNTY, SCHOOL, specs_for
        from engine.facts.table import Facts
        from engine.facts.validate import check_county_refs

        def load() -> tuple[Any, Any]:
            return read_raw(schools, str(schools), SCHOOL), read_raw(counties, str(counties), COUNTY)

        def validate(raws: tuple[Any, Any]) -> Any:
            st, d1 = build_table(raws[0], SCHOOL, specs_for(SCHOOL, specs))
            ct, d2 = build_table(raws[1], COUNTY, specs_for(COUNTY, specs))
            diags = d1 + d2 + check_county_refs(st, ct)
            errors = [d for d in diags if d.is_error]
            assert not errors, errors[:3]
            return Facts(st, ct, [d for d in diags if not d.is_error])

        raws = clock.run("load", load)
        facts = clock.run("validate", validate, raws)
        del raws
    except ImportError:  # the loader was reorganised: time it as one stage
        from engine.facts import load_facts

        facts = clock.run("load", load_facts, schools, counties, specs)

    # split/build frames = build_env inside evaluate; evaluate = the rest of evaluate()
    frames_time: list[float] = []
    frames_cpu: list[float] = []
    original = ev.build_env

    def timed_build_env(*args: Any, **kwargs: Any) -> Any:
        c = time.process_time()
        t = time.perf_counter()
        out = original(*args, **kwargs)
        frames_time.append(time.perf_counter() - t)
        frames_cpu.append(time.process_time() - c)
        return out

    ev.build_env = timed_build_env  # type: ignore[assignment]
    try:
        results = clock.run("evaluate+frames", evaluate, rules, facts, AS_OF)
    finally:
        ev.build_env = original  # type: ignore[assignment]
    total = clock.laps.pop("evaluate+frames")
    clock.laps["frames"] = {"s": frames_time[0], "cpu_s": frames_cpu[0], "peak_mb": total["peak_mb"], "new_peak_mb": 0.0}
    clock.laps["evaluate"] = {"s": total["s"] - frames_time[0], "cpu_s": total["cpu_s"] - frames_cpu[0],
                              "peak_mb": total["peak_mb"], "new_peak_mb": total["new_peak_mb"]}

    # render = what `junheng eval --format json -o FILE` does after evaluating: the same writer,
    # into a file (atomic: temporary file, fsync, rename)
    from cli.common import write_json_atomic

    header = {"规则集": rules.ruleset.name, "文号": rules.ruleset.docno, "评估日期": AS_OF.isoformat(), "警告": []}
    with tempfile.TemporaryDirectory(dir=REPO / "benchmarks" / "out") as tmp:
        target = Path(tmp) / "结果.json"
        clock.run("render", write_json_atomic, target, header, results, result_rows)
        json_bytes = target.stat().st_size
    n_rows = sum(len(item.verdict) for item in results.items.values())
    env = results.env
    return {
        "schools": int(facts.schools.n), "counties": int(facts.counties.n),
        "units": int(env.frames["学部"].n), "result_rows": n_rows, "json_bytes": json_bytes,
        "laps": clock.laps, "peak_mb": maxrss_mb(),
    }


# ---------------------------------------------------------------- resource: reference vs junheng


def _mini_rules(tmp: Path) -> Any:
    from engine.interpreter import load_rules

    national = tmp / "national"
    national.mkdir(parents=True)
    for name in ("0-总则.rule", "1-资源配置.rule"):
        shutil.copy(REPO / "rules" / "national" / name, national / name)
    return load_rules("国家", tmp)


def _best(fn: Any, repeat: int) -> tuple[float, float, Any]:
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    times.sort()
    return times[0], times[len(times) // 2], out


def resource_part(data: Path, repeat: int = 5) -> dict[str, Any]:
    import numpy as np
    from reference import resource_allocation  # benchmarks/reference.py

    from engine.facts import load_facts
    from engine.interpreter import evaluate, field_specs

    ev = _evaluate_module()

    with tempfile.TemporaryDirectory() as tmp:
        rules = _mini_rules(Path(tmp))
    schools, counties = _files(data)
    facts = load_facts(schools, counties, field_specs(rules))
    columns = facts.schools.columns
    names = [str(x) for x in facts.counties.columns["县区"]]

    # junheng's own split: frames (build_env) vs the steps, measured inside the same runs
    frames: list[float] = []
    original = ev.build_env

    def timed_build_env(*args: Any, **kwargs: Any) -> Any:
        t = time.perf_counter()
        out = original(*args, **kwargs)
        frames.append(time.perf_counter() - t)
        return out

    def junheng_run() -> tuple[float, Any]:
        frames.clear()
        out = evaluate(rules, facts, AS_OF)
        return frames[0], out

    # junheng and the reference alternate, so a busy spell on the shared machine hits both alike
    ev.build_env = timed_build_env
    runs, ref_runs = [], []
    try:
        for _ in range(repeat):
            t = time.perf_counter()
            f, results = junheng_run()
            runs.append((time.perf_counter() - t, f))
            t = time.perf_counter()
            ref = resource_allocation(columns, names)
            ref_runs.append(time.perf_counter() - t)
    finally:
        ev.build_env = original
    runs.sort()
    ref_runs.sort()
    jh_min, env_min = runs[0]
    jh_med = runs[len(runs) // 2][0]
    ref_min, ref_med = ref_runs[0], ref_runs[len(ref_runs) // 2]

    items = results.items
    agree: dict[str, Any] = {}
    unit_school = results.env.frames["学部"].up["学校"]
    agree["units_same"] = bool(np.array_equal(unit_school, ref.unit_school))
    bad_v, bad_x = 0, 0
    for k in range(7):
        item = items[f"R{k + 1}"]
        bad_v += int(np.sum(item.verdict != ref.verdicts[k]))
        ok = (item.col.s == 0) & np.isfinite(ref.values[k])
        bad_x += int(np.sum(~np.isclose(item.col.v[ok], ref.values[k][ok], rtol=1e-12, atol=0)))
    agree["indicator_verdict_mismatches"] = bad_v
    agree["indicator_value_mismatches"] = bad_x
    agree["unit_verdict_mismatches"] = int(np.sum(items["资源配置达标"].verdict != ref.unit_verdict))
    bad_cv, bad_cvv, worst = 0, 0, 0.0
    for k in range(7):
        item = items[f"R{k + 1}差异系数"]
        bad_cvv += int(np.sum(item.verdict != ref.cv_verdicts[k]))
        ok = (item.col.s == 0) & np.isfinite(ref.cv[k])
        diff = np.abs(item.col.v[ok] - ref.cv[k][ok])  # CVs are O(0.1): absolute error is what matters
        worst = max(worst, float(diff.max()) if len(diff) else 0.0)
        bad_cv += int(np.sum(diff > 1e-12 + 1e-9 * np.abs(ref.cv[k][ok])))
    agree["cv_value_mismatches"] = bad_cv
    agree["cv_max_abs_diff"] = worst
    agree["cv_verdict_mismatches"] = bad_cvv
    agree["county_verdict_mismatches"] = int(np.sum(items["资源配置"].verdict != ref.county_verdict))
    agree["all"] = (agree["units_same"] and bad_v == 0 and bad_x == 0 and agree["unit_verdict_mismatches"] == 0
                    and bad_cv == 0 and bad_cvv == 0 and agree["county_verdict_mismatches"] == 0)
    counts = {
        "units": len(ref.unit_school), "unit_pass": int(np.sum(ref.unit_verdict == 0)),
        "unit_fail": int(np.sum(ref.unit_verdict == 1)), "unit_na": int(np.sum(ref.unit_verdict == 2)),
        "cv_fail": int(np.sum(ref.cv_verdicts == 1)), "county_pass": int(np.sum(ref.county_verdict == 0)),
        "exact_checks_reference": ref.exact_checks,
    }
    return {"schools": int(facts.schools.n), "junheng_s": jh_min, "junheng_median_s": jh_med,
            "junheng_frames_s": env_min, "reference_s": ref_min, "reference_median_s": ref_med,
            "ratio": jh_min / ref_min, "repeat": repeat, "agree": agree, "counts": counts, "peak_mb": maxrss_mb()}


# ---------------------------------------------------------------- explain


def explain_one(data: Path) -> dict[str, Any]:
    import numpy as np
    from click.testing import CliRunner

    import cli.main as main
    from engine.interpreter import ast as A
    from engine.interpreter.explain import explain as explain_row
    from engine.interpreter.explain import find_school
    from engine.render.explanation import render_trace

    clock = Clock()
    schools, counties = _files(data)
    loaded = clock.run("load+evaluate", main._load, schools, counties, "国家", None, None)
    rules, facts, results, _ = loaded
    # the hardest ordinary case: a 九年一贯制学校 (two 学部) that fails 资源配置达标, late in the table
    env = results.env
    kinds = env.fields[("学校", "办学类型")].v
    unit_fail = results.items["资源配置达标"].verdict == 1
    failing = set(env.frames["学部"].up["学校"][unit_fail].tolist())
    candidates = [i for i in range(len(kinds) - 1, -1, -1) if kinds[i] == "九年一贯制学校" and i in failing]
    row = candidates[0] if candidates else int(np.flatnonzero(kinds == "九年一贯制学校")[-1])
    name = str(env.fields[("学校", "学校名称")].v[row])

    original = main._load
    main._load = lambda *a, **k: loaded  # type: ignore[assignment]
    try:
        runner = CliRunner()
        runner.invoke(main.cli, ["explain", "--school", name])  # warm: first-use imports
        times = []
        for _ in range(5):
            t = time.perf_counter()
            out = runner.invoke(main.cli, ["explain", "--school", name])
            times.append(time.perf_counter() - t)
        assert out.exit_code == 0, out.output
    finally:
        main._load = original  # type: ignore[assignment]

    # the explain step itself: traces for the school's 学部/学校 conclusions, as the command builds them
    rs = rules.ruleset
    t = time.perf_counter()
    school_row = find_school(results, name)
    find_s = time.perf_counter() - t
    unit_frame = env.frames[A.UNIT]
    units = np.flatnonzero(unit_frame.up[A.SCHOOL] == school_row).tolist()
    names = [n for n, e in rs.items.items() if isinstance(e.decl, A.Conclusion) and e.decl.level in (A.UNIT, A.SCHOOL)]
    explain_times, render_times = [], []
    for _ in range(5):
        traces = []
        t = time.perf_counter()
        for item_name in names:
            item = results.items[item_name]
            for r in (units if item.fkey == A.UNIT else [school_row]):
                traces.append(explain_row(results, item_name, item.fkey, r))
        explain_times.append(time.perf_counter() - t)
        t = time.perf_counter()
        for trace in traces:
            render_trace(trace)
        render_times.append(time.perf_counter() - t)
    return {"schools": int(facts.schools.n), "school": name, "conclusions": names, "units": len(units),
            "load_s": clock.laps["load+evaluate"]["s"], "after_load_s": min(times), "after_load_first_s": times[0],
            "find_school_s": find_s, "explain_s": min(explain_times), "render_s": min(render_times),
            "output_lines": out.output.count("\n"), "peak_mb": maxrss_mb()}


# ---------------------------------------------------------------- rule loading


def rules_load() -> dict[str, Any]:
    t0 = time.perf_counter()
    from engine.interpreter import check_paths
    from engine.packs import rules_root

    t1 = time.perf_counter()
    c1 = time.process_time()
    sets = check_paths([rules_root()], rules_root())
    t2 = time.perf_counter()
    c2 = time.process_time()
    check_paths([rules_root()], rules_root())
    t3 = time.perf_counter()
    files = sorted(rules_root().rglob("*.rule"))
    return {"import_s": t1 - t0, "load_all_s": t2 - t1, "load_all_cpu_s": c2 - c1, "again_in_process_s": t3 - t2,
            "rule_sets": [s.ruleset.name for s in sets], "files": len(files),
            "lines": sum(len(f.read_text(encoding="utf-8").splitlines()) for f in files), "peak_mb": maxrss_mb()}


# ---------------------------------------------------------------- diff with impact


def diff_impact(data: Path, province: str = "辽宁") -> dict[str, Any]:
    from engine.facts import load_facts
    from engine.interpreter import evaluate, field_specs, load_rules
    from engine.interpreter.diff import diff_rules, impact
    from engine.render import diff as render

    clock = Clock()
    ra = clock.run("rules_a", load_rules, "国家")
    rb = clock.run("rules_b", load_rules, province)
    changes = clock.run("diff_rules", diff_rules, ra.checked, rb.checked, AS_OF)
    schools, counties = _files(data)
    specs = {s.name: s for s in field_specs(ra) + field_specs(rb)}
    facts = clock.run("load", load_facts, schools, counties, list(specs.values()))
    ea = clock.run("evaluate_a", evaluate, ra, facts, AS_OF)
    eb = clock.run("evaluate_b", evaluate, rb, facts, AS_OF, reuse=ea)  # as `junheng diff` does
    result = clock.run("impact", impact, ea, eb, changes)
    text = clock.run("render", render.render_text, "国家", province, changes, result)
    # one evaluation for comparison, after the warm-up above (so both are warm)
    clock.run("one_evaluation", evaluate, ra, facts, AS_OF)
    laps = clock.laps
    diff_s = sum(laps[k]["s"] for k in ("diff_rules", "evaluate_a", "evaluate_b", "impact", "render"))
    return {"schools": int(facts.schools.n), "changes": len(changes), "flips": len(result.flips),
            "text_chars": len(text), "laps": laps, "diff_with_impact_s": diff_s,
            "one_evaluation_s": laps["one_evaluation"]["s"], "ratio": diff_s / laps["one_evaluation"]["s"],
            "peak_mb": maxrss_mb()}


def main() -> None:
    what = sys.argv[1]
    arg = Path(sys.argv[2]) if len(sys.argv) > 2 else None
    if what == "stages":
        out = stages(arg)  # type: ignore[arg-type]
    elif what == "resource":
        out = resource_part(arg, int(sys.argv[3]) if len(sys.argv) > 3 else 5)  # type: ignore[arg-type]
    elif what == "explain":
        out = explain_one(arg)  # type: ignore[arg-type]
    elif what == "rules":
        out = rules_load()
    elif what == "diff":
        out = diff_impact(arg)  # type: ignore[arg-type]
    else:
        raise SystemExit(f"unknown measurement {what!r}")
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
