"""What several commands share: the facts options, loading + evaluating, and atomic output."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import click

from cli.progress import Progress
from engine.atomic import atomic_output, write_atomic
from engine.interpreter import CompiledRules, evaluate, field_specs, load_rules
from engine.interpreter.errors import Diagnostic, UsageError
from engine.packs import sample_dir


def facts_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """--schools/--counties/--rules/--rules-dir/--date, as every evaluating command takes them."""
    f = click.option("--date", "as_of", type=click.DateTime(["%Y-%m-%d"]), default=None,
                     help="评估日期(决定参数取值),默认今天")(f)
    f = click.option("--rules-dir", type=click.Path(path_type=Path, file_okay=False), default=None,
                     help="规则目录(默认为自带的 rules/)")(f)
    f = click.option("--rules", "rules_name", default="国家", show_default=True, help="规则集名称,如 国家、某省")(f)
    f = click.option("--counties", type=click.Path(path_type=Path), default=None, help="县区表(.xlsx/.csv/.json)")(f)
    f = click.option("--schools", type=click.Path(path_type=Path), default=None,
                     help="学校表(.xlsx/.csv/.json);不给出时使用自带的示例县")(f)
    return f


def load(schools: Path | None, counties: Path | None, rules_name: str, rules_dir: Path | None,
         as_of: Any, progress: Progress | None = None) -> tuple[CompiledRules, Any, Any, date]:
    """Rules, facts (the bundled sample when no schools file is given), results and the date."""
    from engine.facts import load_facts

    progress = progress or Progress(enabled=False)
    with progress.stage("读取规则"):
        rules = load_rules(rules_name, rules_dir)
    if schools is None:
        schools = sample_dir() / "学校表.csv"
        counties = counties or sample_dir() / "县区表.csv"
    with progress.stage("读取数据"):
        facts = load_facts(schools, counties, field_specs(rules))
    day = as_of.date() if as_of is not None else date.today()
    with progress.stage("评估"):
        results = evaluate(rules, facts, day)
    return rules, facts, results, day


def write_json_atomic(path: Path, header: dict[str, Any], results: Any, rows: Any = None) -> None:
    """Stream the JSON document of `results` into `path` atomically (UTF-8 bytes, in blocks).

    `rows` renders small results (default `result_rows`); see `write_results_json`.
    """
    from engine.render.jsonrows import write_results_json
    from engine.render.rows import result_rows

    with atomic_output(path) as fh:
        write_results_json(fh, header, results, rows=rows or result_rows)


def refuse_overwriting_inputs(output: Path | None, *inputs: Path | None) -> None:
    if output is None:
        return
    for source in inputs:
        if source is not None and source.exists() and output.exists() and output.resolve() == source.resolve():
            raise UsageError(Diagnostic("E512", f"输出文件 {output} 就是输入文件,不能覆盖",
                                        hint="用 -o 指定另一个文件名"))


def emit(text: str, output: Path | None) -> None:
    if output is None:
        click.echo(text)
    else:
        write_atomic(output, text.encode("utf-8"))
        click.echo(f"已写入 {output}", err=True)


def warning_lines(facts: Any) -> list[str]:
    """The loader's warnings as one line each (code and Chinese message)."""
    return [f"{d.code} {d.message}" for d in getattr(facts, "warnings", [])]
