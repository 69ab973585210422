"""`junheng remedy` (整改台账) and `junheng report` (county report): thin click commands.

Registered on the group in cli/main.py; shared options and loading come from cli/common.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from cli.common import emit as _emit
from cli.common import facts_options as _facts_options
from cli.common import load as _load
from cli.common import warning_lines as _warning_lines
from cli.common import write_atomic as _write_atomic
from engine.interpreter.errors import Diagnostic, UsageError


@click.command("remedy")
@_facts_options
@click.option("-o", "--output", "outputs", multiple=True, type=click.Path(path_type=Path, dir_okay=False),
              help="写入文件:.xlsx 为 Excel,.md 为 Markdown;可给多次。不给出时在屏幕上输出 Markdown")
def remedy_cmd(schools: Path | None, counties: Path | None, rules_name: str, rules_dir: Path | None,
               as_of: Any, outputs: tuple[Path, ...]) -> None:
    """整改:测算每个未达标项目的最小整改量,输出整改台账(每个问题一行,含各种可选方案)。

    \b
    例:junheng remedy -o 整改台账.xlsx -o 整改台账.md
    """
    from engine.render.ledger import ledger_markdown, ledger_rows, ledger_xlsx

    bad = [p for p in outputs if p.suffix.lower() not in (".xlsx", ".md")]
    if bad:
        raise UsageError(Diagnostic("E506", f"不支持的输出文件类型:{'、'.join(map(str, bad))}",
                                    hint="用 .xlsx(Excel)或 .md(Markdown),例如:-o 整改台账.xlsx"))
    rules, _facts, results, day = _load(schools, counties, rules_name, rules_dir, as_of)
    rows = ledger_rows(results)
    heading = f"整改台账(规则集:{rules.ruleset.name},评估日期:{day.isoformat()})"
    if not outputs:
        click.echo(ledger_markdown(rows, heading), nl=False)
    for path in outputs:
        if path.suffix.lower() == ".xlsx":
            _write_atomic(path, ledger_xlsx(rows))
            click.echo(f"已写入 {path}", err=True)
        else:
            _emit(ledger_markdown(rows, heading), path)
    click.echo(f"共 {len(rows)} 个问题。", err=True)


@click.command("report")
@_facts_options
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="写入的 HTML 文件,例如 报告.html")
def report_cmd(schools: Path | None, counties: Path | None, rules_name: str, rules_dir: Path | None,
               as_of: Any, output: Path | None) -> None:
    """报告:生成一个独立的 HTML 页面:分领域结论、各指标分布图、差异系数与贡献、未达标学校的解释与整改。"""
    from engine.render.report import render_report

    if output is None:
        raise UsageError(Diagnostic("E506", "报告需要用 -o 指定输出文件", hint="例如:-o 报告.html"))
    _rules, facts, results, day = _load(schools, counties, rules_name, rules_dir, as_of)
    _write_atomic(output, render_report(results, day.isoformat(), _warning_lines(facts)).encode("utf-8"))
    click.echo(f"已写入 {output}", err=True)
