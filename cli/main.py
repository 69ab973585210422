"""The `junheng` command: thin click commands that parse arguments, call the engine, render."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import click

from cli.common import emit as _emit
from cli.common import facts_options as _facts_options
from cli.common import load as _load
from cli.common import refuse_overwriting_inputs as _refuse_overwriting_inputs
from cli.common import warning_lines as _warning_lines
from cli.common import write_atomic as _write_atomic
from cli.common import write_json_atomic as _write_json_atomic
from cli.progress import Progress
from engine.interpreter import CompiledRules, check_paths, evaluate, field_specs, load_rules
from engine.interpreter import ast as A
from engine.interpreter.errors import Diagnostic, JunhengError, UsageError
from engine.interpreter.explain import explain as explain_row
from engine.interpreter.explain import find_school
from engine.interpreter.frames import COUNTY_STAGE
from engine.packs import rules_root, sample_dir
from engine.render.diagnostics import diagnostics_json, github_annotations, render_diagnostics
from engine.render.explanation import render_trace
from engine.render.rows import result_rows
from engine.render.summary import render_summary


class AliasedGroup(click.Group):
    """A group whose commands also answer to their Chinese names (检查、评估、解释)."""

    ALIASES = {"检查": "check", "评估": "eval", "解释": "explain", "比较": "diff", "测试": "test", "格式化": "fmt", "语言服务": "lsp", "服务": "serve", "监测": "monitor",
               "整改": "remedy", "报告": "report", "样例": "sample"}

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return super().get_command(ctx, self.ALIASES.get(cmd_name, cmd_name))

    def invoke(self, ctx: click.Context) -> Any:
        # Our own errors become Chinese diagnostics here, for every caller of the group
        # (the console script and click's test runner alike).
        try:
            return super().invoke(ctx)
        except JunhengError as exc:
            click.echo(render_diagnostics(exc.diagnostics), err=True)
            name = ctx.invoked_subcommand or (ctx.protected_args[0] if ctx.protected_args else "")
            sys.exit(2 if self.ALIASES.get(name, name) == "diff" else 1)


@click.group(cls=AliasedGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="junheng", message="junheng %(version)s")
def cli() -> None:
    """均衡(junheng):县域义务教育优质均衡发展督导评估规则引擎。

    \b
    常用命令:
      junheng eval                 用国家标准评估自带的示例县
      junheng explain --school 名称  解释某校为何达标或未达标
      junheng check rules/         检查规则文件
    """


# ---------------------------------------------------------------- check


@cli.command("check")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json", "github"]), default="text", help="输出格式")
def check_cmd(paths: tuple[Path, ...], fmt: str) -> None:
    """检查规则文件:语法、名称、类型、单位、循环与分层。无错误时退出码为 0,有错误为 1。"""
    targets = list(paths) or [rules_root()]
    root = None if paths else rules_root()
    missing = [p for p in targets if not p.exists()]
    if missing:
        raise UsageError(Diagnostic("E501", f"路径不存在:{'、'.join(map(str, missing))}"))
    try:
        sets = check_paths(targets, root)
    except JunhengError as exc:
        _report(exc.diagnostics, fmt)
        sys.exit(1)
    warnings = [w for s in sets for w in s.checked.warnings]
    if fmt == "json":
        click.echo(json.dumps({"规则集": [s.ruleset.name for s in sets], "诊断": diagnostics_json(warnings)},
                              ensure_ascii=False, indent=2))
    elif fmt == "github":
        if warnings:
            click.echo(github_annotations(warnings))
    else:
        names = "、".join(s.ruleset.name for s in sets)
        n_items = sum(len(s.ruleset.items) for s in sets)
        click.echo(f"检查通过:{len(sets)} 个规则集({names}),共 {n_items} 个指标与结论,没有错误。")


def _report(diags: list[Diagnostic], fmt: str) -> None:
    if fmt == "json":
        click.echo(json.dumps({"诊断": diagnostics_json(diags)}, ensure_ascii=False, indent=2))
    elif fmt == "github":
        click.echo(github_annotations(diags))
    else:
        click.echo(render_diagnostics(diags), err=True)


# ---------------------------------------------------------------- facts + eval


@cli.command("eval")
@_facts_options
@click.option("--format", "fmt", type=click.Choice(["text", "json", "xlsx"]), default="text", help="输出格式")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), default=None, help="写入文件")
def eval_cmd(schools: Path | None, counties: Path | None, rules_name: str, rules_dir: Path | None,
             as_of: Any, fmt: str, output: Path | None) -> None:
    """评估:按规则集评估学校表与县区表,输出县的总体结论、未达标项目、学校与差异系数。"""
    _refuse_overwriting_inputs(output, schools, counties)
    if fmt == "xlsx" and output is None:
        raise UsageError(Diagnostic("E506", "xlsx 格式需要用 -o 指定输出文件", hint="例如:-o 评估结果.xlsx"))
    with Progress() as progress:
        rules, facts, results, day = _load(schools, counties, rules_name, rules_dir, as_of, progress)
        if output is not None:
            with progress.stage("写出结果"):
                _write_results(rules, facts, results, day, fmt, output)
    # the display is gone before anything reaches the terminal or stdout
    if output is None:
        _write_results(rules, facts, results, day, fmt, None)
    else:
        click.echo(f"已写入 {output}", err=True)


def _write_results(rules: Any, facts: Any, results: Any, day: Any, fmt: str, output: Path | None) -> None:
    """eval's output in its format, to the file or (without -o) to stdout."""
    if fmt == "xlsx":
        from engine.render.xlsx import rows_to_xlsx

        assert output is not None
        _write_atomic(output, rows_to_xlsx(result_rows(results)))
    elif fmt == "json":
        from engine.render.jsonrows import write_results_json

        header = {"规则集": rules.ruleset.name, "文号": rules.ruleset.docno, "评估日期": day.isoformat(),
                  "警告": _warning_lines(facts)}
        # result_rows renders small results (indented); large ones are encoded column-wise
        if output is None:
            write_results_json(sys.stdout, header, results, rows=result_rows)
            sys.stdout.write("\n")
        else:
            _write_json_atomic(output, header, results, rows=result_rows)
    else:
        text = render_summary(results, day.isoformat(), _warning_lines(facts))
        if output is None:
            click.echo(text)
        else:
            _write_atomic(output, text.encode("utf-8"))


@cli.command("explain")
@_facts_options
@click.option("--school", default=None, help="学校名称或学校标识码")
@click.option("--county", default=None, help="县区名称:解释县级项目(默认为总体结论)")
@click.option("--indicator", default=None, help="指标或结论编号(如 R4、资源配置达标、G11交流比例)")
@click.option("--stage", type=click.Choice(["小学", "初中"]), default=None, help="只看某个学段")
def explain_cmd(schools: Path | None, counties: Path | None, rules_name: str, rules_dir: Path | None,
                as_of: Any, school: str | None, county: str | None, indicator: str | None, stage: str | None) -> None:
    """解释:某校或某县某个项目的计算过程、代入的数值、要求、出处和差距。"""
    if (school is None) == (county is None):
        raise UsageError(Diagnostic("E507", "请用 --school 指定学校,或用 --county 指定县区(二选一)",
                                    hint="例如:junheng explain --school 示例县城关第八小学"))
    rules, _facts, results, _day = _load(schools, counties, rules_name, rules_dir, as_of)
    rs = rules.ruleset
    if indicator is not None and indicator not in rs.items:
        import difflib
        close = difflib.get_close_matches(indicator, list(rs.items), n=3, cutoff=0.3)
        raise UsageError(Diagnostic("E504", f"没有编号为「{indicator}」的指标或结论",
                                    hint=f"是否想写:{'、'.join(close)}" if close else None))
    env = results.env
    from engine.render.remedies import render_remedies

    def with_remedies(trace: Any) -> list[str]:
        return render_remedies(trace, results)

    if county is not None:
        names = list(env.fields[(A.COUNTY, "县区")].v)
        if county not in names:
            raise UsageError(Diagnostic("E503", f"找不到县区「{county}」", hint=f"数据中的县区:{'、'.join(map(str, names))}"))
        c = names.index(county)
        from engine.render.summary import top_conclusion

        name = indicator or top_conclusion(results)
        if name is None:
            raise UsageError(Diagnostic("E504", "规则集没有县级结论,请用 --indicator 指定项目"))
        item = results.items[name]
        if item.fkey in (A.UNIT, A.SCHOOL):
            raise UsageError(Diagnostic("E505", f"「{name}」是{item.fkey}级项目,请用 --school 指定学校"))
        rows = [c] if item.fkey == A.COUNTY else [
            r for r in range(env.frames[COUNTY_STAGE].n) if env.frames[COUNTY_STAGE].up[A.COUNTY][r] == c
            and (stage is None or env.frames[COUNTY_STAGE].stage[r] == stage)]  # type: ignore[index]
        click.echo("\n\n".join("\n".join(render_trace(explain_row(results, name, item.fkey, r, depth=1),
                                                     remedies=with_remedies))
                                for r in rows))
        return
    assert school is not None
    row = find_school(results, school)
    if row is None:
        raise UsageError(Diagnostic("E503", f"找不到学校「{school}」", hint="用学校名称或 10 位学校标识码"))
    units = [u for u in range(env.frames[A.UNIT].n) if env.frames[A.UNIT].up[A.SCHOOL][u] == row
             and (stage is None or env.frames[A.UNIT].stage[u] == stage)]  # type: ignore[index]
    names = [indicator] if indicator else [n for n, e in rs.items.items()
                                           if isinstance(e.decl, A.Conclusion) and e.decl.level in (A.UNIT, A.SCHOOL)]
    blocks: list[str] = []
    for name in names:
        item = results.items[name]
        if item.fkey not in (A.UNIT, A.SCHOOL):
            raise UsageError(Diagnostic("E505", f"「{name}」是县级项目,不按学校解释",
                                        hint=f"用 junheng explain --county <县区> --indicator {name}"))
        rows = units if item.fkey == A.UNIT else [row]
        for r in rows:
            blocks.append("\n".join(render_trace(explain_row(results, name, item.fkey, r), remedies=with_remedies)))
    click.echo("\n\n".join(blocks))


# ---------------------------------------------------------------- diff


def _resolve_ruleset(spec: str) -> tuple[str, Path | None, str]:
    """A diff argument → (rule-set name, rules folder or None for the bundled packs, label).

    Accepts a rule-set name (国家, 河北…), a rules folder, or FOLDER:名称.
    """
    from engine.interpreter import group_layers, parse_all

    folder, _, name = spec.partition(":") if ":" in spec and Path(spec.split(":")[0]).is_dir() else (spec, "", "")
    path = Path(folder)
    if not path.is_dir():
        return spec, None, spec
    if name:
        return name, path, f"{folder}:{name}"
    groups = group_layers(parse_all([path]))
    parents = {f.header.inherits for fs in groups.values() for f in fs if f.header and f.header.inherits}
    leaves = [g for g in groups if g not in parents]
    if len(leaves) != 1:
        raise UsageError(Diagnostic("E508", f"目录 {folder} 中有多个规则集:{'、'.join(sorted(groups))}",
                                    hint=f"写作 {folder}:名称 指明要比较哪一个"))
    return leaves[0], path, f"{folder}:{leaves[0]}"


def _git_rules(rev: str) -> Path:
    """The rules/ folder as it was at a git revision, extracted to a temporary folder."""
    import subprocess

    root = Path(subprocess.run(["git", "rev-parse", "--show-toplevel"], capture_output=True, text=True,
                               check=False).stdout.strip() or ".")
    out = Path(tempfile.mkdtemp(prefix="junheng-base-"))
    archive = subprocess.run(["git", "-C", str(root), "archive", rev, "rules"], capture_output=True, check=False)
    if archive.returncode != 0:
        raise UsageError(Diagnostic("E509", f"无法从 git 取出版本「{rev}」的 rules/",
                                    hint=archive.stderr.decode("utf-8", "replace").strip() or None))
    import io
    import tarfile

    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(out, filter="data")
    return out / "rules"


@cli.command("diff")
@click.argument("specs", nargs=-1)
@click.option("--base", default=None, help="与某个 git 版本的 rules/ 比较(工作区为 B)")
@click.option("--schools", type=click.Path(path_type=Path), default=None, help="评估影响所用的学校表(默认示例县)")
@click.option("--counties", type=click.Path(path_type=Path), default=None, help="县区表")
@click.option("--no-impact", is_flag=True, help="只比较规则,不评估数据")
@click.option("--date", "as_of", type=click.DateTime(["%Y-%m-%d"]), default=None, help="评估日期,默认今天")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), default=None)
def diff_cmd(specs: tuple[str, ...], base: str | None, schools: Path | None, counties: Path | None, no_impact: bool,
             as_of: Any, fmt: str, output: Path | None) -> None:
    """比较:两个规则集的语义差异,以及对数据的影响(哪些结论翻转)。有翻转时退出码为 1。

    \b
    例:junheng diff 国家 河北
        junheng diff --base HEAD~1 河北      (与上一个提交比较)
    """
    from engine.facts import load_facts
    from engine.interpreter.diff import diff_rules, impact
    from engine.render import diff as render

    day = as_of.date() if as_of is not None else date.today()
    if base is not None:
        if len(specs) > 1:
            raise UsageError(Diagnostic("E508", "使用 --base 时只写一个规则集名称(默认 国家)"))
        name = specs[0] if specs else "国家"
        a_name, a_dir, a_label = name, _git_rules(base), f"{base}:{name}"
        b_name, b_dir, b_label = name, None, f"工作区:{name}"
    else:
        if len(specs) != 2:
            raise UsageError(Diagnostic("E508", "需要两个规则集,例如:junheng diff 国家 河北",
                                        hint="或用 --base 版本 与 git 中的旧版本比较"))
        a_name, a_dir, a_label = _resolve_ruleset(specs[0])
        b_name, b_dir, b_label = _resolve_ruleset(specs[1])
    ra, rb = load_rules(a_name, a_dir), load_rules(b_name, b_dir)
    changes = diff_rules(ra.checked, rb.checked, day)
    result = None
    if not no_impact:
        if schools is None:
            schools, counties = sample_dir() / "学校表.csv", counties or sample_dir() / "县区表.csv"
        specs_all = {s.name: s for s in field_specs(ra) + field_specs(rb)}
        facts = load_facts(schools, counties, list(specs_all.values()))
        base = evaluate(ra, facts, day)
        result = impact(base, evaluate(rb, facts, day, reuse=base), changes)
    renderer = {"text": render.render_text, "markdown": render.render_markdown, "json": render.render_json}[fmt]
    _emit(renderer(a_label, b_label, changes, result), output)
    if result is not None and result.flips:
        sys.exit(1)


# ---------------------------------------------------------------- test


@cli.command("test")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--rules-dir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="规则目录(默认为自带的 rules/,或所给路径所在的 rules/)")
@click.option("--junit", type=click.Path(path_type=Path, dir_okay=False), default=None, help="写出 JUnit XML")
@click.option("--coverage", is_flag=True, help="报告没有用例覆盖的要求子句")
@click.option("--coverage-min", type=click.FloatRange(0, 100), default=None, help="覆盖率低于此百分比时失败")
def test_cmd(paths: tuple[Path, ...], rules_dir: Path | None, junit: Path | None, coverage: bool,
             coverage_min: float | None) -> None:
    """测试:运行规则旁的用例(*.toml),比较结论和数值;失败时退出码为 1。"""
    import time

    from engine.cases import iter_cases, requirement_clauses, run_case
    from engine.render.testreport import render_coverage, render_junit
    from engine.render.testreport import render_summary as render_tests

    targets = list(paths) or [rules_root()]
    missing = [p for p in targets if not p.exists()]
    if missing:
        raise UsageError(Diagnostic("E501", f"路径不存在:{'、'.join(map(str, missing))}"))
    if rules_dir is None:
        rules_dir = _rules_dir_of(targets[0])
    started = time.perf_counter()
    cases = list(iter_cases(targets))
    cache: dict[str, CompiledRules] = {}
    outcomes = [run_case(c, rules_dir, cache) for c in cases]
    seconds = time.perf_counter() - started
    click.echo(render_tests(outcomes, seconds))
    if junit is not None:
        _write_atomic(junit, render_junit(outcomes, seconds))
        click.echo(f"已写入 {junit}", err=True)
    ok = all(o.passed for o in outcomes)
    if coverage or coverage_min is not None:
        covered = {c for o in outcomes for c in o.covered}
        clauses = list(dict.fromkeys(c for rules in cache.values() for c in requirement_clauses(rules)))
        text, percent = render_coverage(clauses, covered)
        click.echo(text)
        if coverage_min is not None and percent < coverage_min:
            click.echo(f"覆盖率 {percent:.1f}% 低于要求的 {coverage_min:g}%", err=True)
            ok = False
    if not ok:
        sys.exit(1)


def _rules_dir_of(path: Path) -> Path | None:
    """The rules/ folder a case path lies in (so `junheng test rules/` uses those rules)."""
    for p in [path.resolve(), *path.resolve().parents]:
        if (p / "national").is_dir():
            return p
    return None


# ---------------------------------------------------------------- fmt


@cli.command("fmt")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--check", "check_only", is_flag=True, help="只检查不改写;有未格式化的文件时打印差异并以 1 退出")
def fmt_cmd(paths: tuple[Path, ...], check_only: bool) -> None:
    """格式化:把规则文件整理成统一的版式(保留注释,不改变含义)。"""
    import difflib

    from engine.packs import rule_files
    from engine.render.rulefmt import format_text

    targets = list(paths) or [Path("rules")]
    missing = [p for p in targets if not p.exists()]
    if missing:
        raise UsageError(Diagnostic("E501", f"路径不存在:{'、'.join(map(str, missing))}"))
    changed: list[Path] = []
    errors: list[Diagnostic] = []
    for path in rule_files(targets):
        text = path.read_text(encoding="utf-8-sig")
        try:
            formatted = format_text(text, str(path))
        except JunhengError as exc:
            errors.extend(exc.diagnostics)
            continue
        if formatted == text:
            continue
        changed.append(path)
        if check_only:
            diff = difflib.unified_diff(text.splitlines(keepends=True), formatted.splitlines(keepends=True),
                                        f"{path}(原文)", f"{path}(格式化后)")
            click.echo("".join(diff), nl=False)
        else:
            _write_atomic(path, formatted.encode("utf-8"))
    if errors:
        click.echo(render_diagnostics(errors), err=True)
    verb = "需要格式化" if check_only else "已格式化"
    click.echo(f"{verb}的文件 {len(changed)} 个" + (":" + "、".join(map(str, changed)) if changed else ""),
               err=True)
    if errors or (check_only and changed):
        sys.exit(1)


@cli.command("lsp")
def lsp_cmd() -> None:
    """语言服务器(LSP,经标准输入/输出通信),供 VS Code、Neovim 等编辑器使用。"""
    from engine.editor.lsp import serve_stdio

    serve_stdio()


def _register_optional_commands() -> None:
    """Commands that live in their own modules (kept apart so the core CLI stays small)."""
    from cli.monitor_cmd import monitor_cmd
    from cli.remedy_cmds import remedy_cmd, report_cmd
    from cli.sample_cmd import sample_cmd
    from cli.serve_cmd import serve_cmd

    for command in (serve_cmd, monitor_cmd, remedy_cmd, report_cmd, sample_cmd):
        cli.add_command(command)


_register_optional_commands()


def main() -> None:
    """Entry point: our own errors become Chinese diagnostics; nothing else shows a traceback."""
    try:
        cli.main(standalone_mode=False, prog_name="junheng")
    except click.exceptions.Abort:
        click.echo("已取消", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2)
    except JunhengError as exc:
        click.echo(render_diagnostics(exc.diagnostics), err=True)
        sys.exit(1)
    except SystemExit:
        raise
    except Exception as exc:  # a bug in junheng: say so plainly, keep the traceback for developers
        if os.environ.get("JUNHENG_DEBUG"):
            raise
        click.echo(f"内部错误:{type(exc).__name__}: {exc}\n这是 junheng 的缺陷,请附上命令和输入文件报告;"
                   "设置环境变量 JUNHENG_DEBUG=1 可看到详细信息。", err=True)
        sys.exit(3)


if __name__ == "__main__":
    main()
