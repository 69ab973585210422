"""`junheng monitor`: evaluate several years of one county's data under one rule set; report
trends, verdicts lost since the year before, and early warnings (engine.interpreter.monitor)."""

from __future__ import annotations

import re
import sys
from datetime import date
from pathlib import Path

import click

from engine.atomic import write_atomic
from engine.interpreter.errors import Diagnostic, JunhengError, UsageError

_YEAR = re.compile(r"\s*(\d{4})")
_SUFFIXES = (".csv", ".xlsx", ".json")


def _table(folder: Path, name: str) -> Path | None:
    """The year's 学校表 / 县区表 in a folder (.csv, else .xlsx, else .json)."""
    for suffix in _SUFFIXES:
        path = folder / f"{name}{suffix}"
        if path.is_file():
            return path
    return None


def parse_years(specs: tuple[str, ...]) -> list[tuple[str, Path]]:
    """`2023=目录` … → [(label, folder)] sorted by year; the bundled two sample years when none are given."""
    if not specs:
        from engine.packs import sample_dir

        return [("2023", sample_dir()), ("2024", sample_dir() / "2024")]
    out: list[tuple[str, Path]] = []
    for spec in specs:
        label, sep, folder = spec.partition("=")
        if not sep or not _YEAR.match(label) or not folder:
            raise UsageError(Diagnostic("E510", f"--year「{spec}」的写法不对", hint="写作 --year 2023=数据/2023"))
        path = Path(folder)
        if not path.is_dir():
            raise UsageError(Diagnostic("E501", f"路径不存在或不是目录:{folder}"))
        out.append((label.strip(), path))
    labels = [label for label, _ in out]
    if len(set(labels)) != len(labels):
        raise UsageError(Diagnostic("E510", f"--year 中的年份重复:{'、'.join(labels)}"))
    return sorted(out, key=lambda x: int(_YEAR.match(x[0]).group(1)))  # type: ignore[union-attr]


@click.command("monitor")
@click.option("--rules", "rules_name", default="基本均衡", show_default=True,
              help="规则集名称(基本均衡、国家、某省或某市);预警尺度取自其中的预警参数")
@click.option("--rules-dir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="规则目录(默认为自带的 rules/)")
@click.option("--year", "years", multiple=True, metavar="年份=目录",
              help="某一年的数据目录(含 学校表 与 县区表,.csv/.xlsx/.json);可重复。"
                   "不给出时用自带示例县的 2023、2024 两年")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "xlsx"]), default="text", help="输出格式")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), default=None, help="写入文件")
def monitor_cmd(rules_name: str, rules_dir: Path | None, years: tuple[str, ...], fmt: str, output: Path | None) -> None:
    """动态监测:逐年评估同一县(区)的数据,报告各项目的逐年趋势、比上一年失去的达标和预警。

    \b
    预警:仍达标的项目,若离限值不远(差异系数 ≤ 预警余量,其他指标 ≤ 标准×预警余量比例),
    或一年内向限值变化超过 预警变化量 / 标准×预警变化比例。这些尺度是规则文件中的参数,
    市级规则集可以改成本市的尺度(见 docs/MONITOR.md)。
    例:junheng monitor
        junheng monitor --rules 国家 --year 2023=数据/2023 --year 2024=数据/2024 --format xlsx -o 监测.xlsx
    """
    from engine.render.diagnostics import render_diagnostics

    try:
        text_or_bytes = _run(rules_name, rules_dir, years, fmt, output)
    except JunhengError as exc:
        click.echo(render_diagnostics(exc.diagnostics), err=True)
        sys.exit(1)
    if isinstance(text_or_bytes, bytes):
        assert output is not None
        write_atomic(output, text_or_bytes)
        click.echo(f"已写入 {output}", err=True)
    elif output is not None:
        write_atomic(output, text_or_bytes.encode("utf-8"))
        click.echo(f"已写入 {output}", err=True)
    else:
        click.echo(text_or_bytes)


def _run(rules_name: str, rules_dir: Path | None, specs: tuple[str, ...], fmt: str, output: Path | None) -> str | bytes:
    from engine.facts import load_facts
    from engine.interpreter import evaluate, field_specs, load_rules
    from engine.interpreter.monitor import Year, monitor
    from engine.render import monitor as render

    if fmt == "xlsx" and output is None:
        raise UsageError(Diagnostic("E506", "xlsx 格式需要用 -o 指定输出文件", hint="例如:-o 监测.xlsx"))
    folders = parse_years(specs)
    rules = load_rules(rules_name, rules_dir)
    specs_ = field_specs(rules)
    evaluated = []
    for label, folder in folders:
        schools = _table(folder, "学校表")
        if schools is None:
            raise UsageError(Diagnostic("E511", f"目录 {folder} 中没有学校表(.csv / .xlsx / .json)",
                                        hint="每年一个目录,放该年的 学校表 与 县区表"))
        facts = load_facts(schools, _table(folder, "县区表"), specs_)
        # a year's data are the school year's statistics: evaluate as of the end of that year
        as_of = date(int(_YEAR.match(label).group(1)), 12, 31)  # type: ignore[union-attr]
        notes = tuple(f"{d.code} {d.message}" for d in getattr(facts, "warnings", []))
        evaluated.append(Year(label, evaluate(rules, facts, as_of), as_of, notes))
    report = monitor(evaluated)
    if fmt == "json":
        return render.render_json(report)
    if fmt == "xlsx":
        return render.render_xlsx(report)
    return render.render_text(report)
