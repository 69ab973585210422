"""Nothing lost: every output file is written whole or not at all, and inputs are never modified.

An output (`eval -o` as text, json or xlsx; `diff -o`; `test --junit`; the files `fmt`
rewrites) is written to a temporary file beside it and renamed over the target. These tests
make the run fail while rendering, while writing (disk full, Ctrl-C) and while renaming, and
check that an existing output keeps its old bytes and no temporary file is left behind; and
they hash every input (facts and rule files) before and after each command.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import cli.main as cli_main
from cli.main import cli

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "examples" / "示例县"
OLD = "上一次运行的结果,不能丢\n".encode()


class Boom(RuntimeError):
    """The simulated failure."""


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """A copy of the sample tables and the rules in a scratch folder, plus an existing output."""
    shutil.copy(SAMPLE / "学校表.csv", tmp_path / "学校表.csv")
    shutil.copy(SAMPLE / "县区表.csv", tmp_path / "县区表.csv")
    shutil.copytree(REPO / "rules", tmp_path / "rules")
    return tmp_path


def facts_args(work: Path) -> list[str]:
    return ["--schools", str(work / "学校表.csv"), "--counties", str(work / "县区表.csv"),
            "--rules-dir", str(work / "rules"), "--date", "2024-09-01"]


def leftovers(folder: Path, name: str) -> list[str]:
    """Temporary files `_write_atomic` would leave (.<name>.xxxx) in the output's folder."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(f".{name}."))


def snapshot(*roots: Path) -> dict[str, str]:
    """sha256 of every file under the roots, keyed by path."""
    out: dict[str, str] = {}
    for root in roots:
        for p in sorted(root.rglob("*") if root.is_dir() else [root]):
            if p.is_file():
                out[str(p)] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def run(args: list[str]) -> Any:
    return CliRunner().invoke(cli, args)


# ---------------------------------------------------------------- how a failure is simulated


def failing_renderer(monkeypatch: pytest.MonkeyPatch, fmt: str) -> None:
    """Make the renderer of one output format raise part-way."""
    if fmt == "text":
        monkeypatch.setattr(cli_main, "render_summary", lambda *a, **k: (_ for _ in ()).throw(Boom("渲染失败")))
    elif fmt == "json":
        def rows(*a: Any, **k: Any) -> Iterator[dict[str, Any]]:
            yield {"编号": "R1"}
            raise Boom("渲染到一半失败")
        monkeypatch.setattr(cli_main, "result_rows", rows)
    else:
        import engine.render.xlsx as xlsx

        monkeypatch.setattr(xlsx, "rows_to_xlsx", lambda *a, **k: (_ for _ in ()).throw(Boom("xlsx 渲染失败")))


class HalfWriter:
    """A file object that writes half of the data, then fails (disk full) or is interrupted."""

    def __init__(self, fh: Any, error: BaseException) -> None:
        self.fh, self.error = fh, error

    def __enter__(self) -> HalfWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.fh.close()

    def write(self, data: bytes) -> int:
        self.fh.write(data[: len(data) // 2])
        self.fh.flush()
        raise self.error


WRITE_FAILURES: dict[str, Callable[[], BaseException]] = {
    "磁盘已满": lambda: OSError(errno.ENOSPC, "No space left on device"),
    "Ctrl-C": lambda: KeyboardInterrupt(),
}


def failing_write(monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
    real = os.fdopen
    monkeypatch.setattr(cli_main.os, "fdopen", lambda fd, mode="r", *a, **k: HalfWriter(real(fd, mode, *a, **k),
                                                                                        WRITE_FAILURES[kind]()))


def failing_rename(monkeypatch: pytest.MonkeyPatch) -> None:
    def replace(src: Any, dst: Any) -> None:
        raise PermissionError(errno.EACCES, "Permission denied", str(dst))
    monkeypatch.setattr(cli_main.os, "replace", replace)


# ---------------------------------------------------------------- eval -o


@pytest.mark.parametrize("fmt", ["text", "json", "xlsx"])
def test_eval_output_is_written_by_rename_from_a_temp_file_beside_it(work: Path, fmt: str,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    target = work / "out" / f"结果.{fmt}"
    target.parent.mkdir()
    target.write_bytes(OLD)
    calls: list[tuple[Path, Path, bytes]] = []
    real = os.replace

    def spy(src: Any, dst: Any) -> None:
        calls.append((Path(src), Path(dst), Path(dst).read_bytes()))
        real(src, dst)

    monkeypatch.setattr(cli_main.os, "replace", spy)
    out = run(["eval", *facts_args(work), "--format", fmt, "-o", str(target)])
    assert out.exit_code == 0, out.output
    (src, dst, before), = calls
    assert dst == target and src.parent == target.parent and src.name.startswith(f".{target.name}.")
    assert before == OLD  # the old output stood until the new one was complete
    assert target.read_bytes() != OLD and target.stat().st_size > 0
    assert leftovers(target.parent, target.name) == []


@pytest.mark.parametrize("fmt", ["text", "json", "xlsx"])
def test_eval_failing_while_rendering_leaves_the_old_output(work: Path, fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    target = work / f"结果.{fmt}"
    target.write_bytes(OLD)
    failing_renderer(monkeypatch, fmt)
    inputs = snapshot(work / "学校表.csv", work / "县区表.csv", work / "rules")
    out = run(["eval", *facts_args(work), "--format", fmt, "-o", str(target)])
    assert isinstance(out.exception, Boom)
    assert target.read_bytes() == OLD
    assert leftovers(work, target.name) == []
    assert snapshot(work / "学校表.csv", work / "县区表.csv", work / "rules") == inputs


@pytest.mark.parametrize("fmt", ["text", "json", "xlsx"])
@pytest.mark.parametrize("kind", sorted(WRITE_FAILURES))
def test_eval_failing_while_writing_leaves_the_old_output_and_no_temp_file(
        work: Path, fmt: str, kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    target = work / f"结果.{fmt}"
    target.write_bytes(OLD)
    failing_write(monkeypatch, kind)
    out = run(["eval", *facts_args(work), "--format", fmt, "-o", str(target)])
    assert isinstance(out.exception, type(WRITE_FAILURES[kind]())) or (kind == "Ctrl-C" and out.exit_code == 1)
    assert target.read_bytes() == OLD
    assert leftovers(work, target.name) == []


def test_eval_failing_to_rename_leaves_the_old_output_and_no_temp_file(work: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    target = work / "结果.json"
    target.write_bytes(OLD)
    failing_rename(monkeypatch)
    out = run(["eval", *facts_args(work), "--format", "json", "-o", str(target)])
    assert isinstance(out.exception, PermissionError)
    assert target.read_bytes() == OLD
    assert leftovers(work, target.name) == []


def test_eval_with_bad_facts_writes_nothing(work: Path) -> None:
    """A facts error stops the run before any output is opened: the old output stays."""
    target = work / "结果.txt"
    target.write_bytes(OLD)
    schools = work / "学校表.csv"
    schools.write_text(schools.read_text(encoding="utf-8-sig").replace(",是", ",也许", 1), encoding="utf-8")
    out = run(["eval", *facts_args(work), "-o", str(target)])
    assert out.exit_code == 1 and "E402" in out.output
    assert target.read_bytes() == OLD and leftovers(work, target.name) == []


def test_through_main_a_failure_is_reported_in_chinese_and_the_output_kept(work: Path,
                                                                             monkeypatch: pytest.MonkeyPatch,
                                                                             capsys: pytest.CaptureFixture[str]) -> None:
    target = work / "结果.txt"
    target.write_bytes(OLD)
    failing_write(monkeypatch, "磁盘已满")
    monkeypatch.delenv("JUNHENG_DEBUG", raising=False)
    monkeypatch.setattr("sys.argv", ["junheng", "eval", *facts_args(work), "-o", str(target)])
    with pytest.raises(SystemExit) as exited:
        cli_main.main()
    assert exited.value.code == 3
    assert "内部错误" in capsys.readouterr().err
    assert target.read_bytes() == OLD and leftovers(work, target.name) == []


# ---------------------------------------------------------------- other outputs


def test_diff_and_junit_outputs_survive_a_failed_write(work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    diff_out, junit = work / "差异.md", work / "junit.xml"
    diff_out.write_bytes(OLD)
    junit.write_bytes(OLD)
    failing_write(monkeypatch, "磁盘已满")
    out = run(["diff", f"{work / 'rules'}:国家", f"{work / 'rules'}:河北", "--no-impact", "-o", str(diff_out)])
    assert isinstance(out.exception, OSError) and out.exception.errno == errno.ENOSPC, out.output
    assert diff_out.read_bytes() == OLD and leftovers(work, diff_out.name) == []
    out = run(["test", str(work / "rules" / "national"), "--junit", str(junit)])
    assert isinstance(out.exception, OSError) and out.exception.errno == errno.ENOSPC, out.output
    assert junit.read_bytes() == OLD and leftovers(work, junit.name) == []


# ---------------------------------------------------------------- fmt rewrites rule files in place

MESSY = "规则集 甲\n参数   p=1\n# 注释\n参数 q = 2\n"


def test_fmt_failing_while_formatting_leaves_the_rule_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import engine.render.rulefmt as rulefmt

    rule = tmp_path / "a.rule"
    rule.write_text(MESSY, encoding="utf-8")
    monkeypatch.setattr(rulefmt, "format_text", lambda *a, **k: (_ for _ in ()).throw(Boom("格式化失败")))
    out = run(["fmt", str(rule)])
    assert isinstance(out.exception, Boom)
    assert rule.read_text(encoding="utf-8") == MESSY and leftovers(tmp_path, rule.name) == []


@pytest.mark.parametrize("kind", sorted(WRITE_FAILURES))
def test_fmt_failing_while_writing_leaves_the_rule_file(tmp_path: Path, kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    rule = tmp_path / "a.rule"
    rule.write_text(MESSY, encoding="utf-8")
    failing_write(monkeypatch, kind)
    out = run(["fmt", str(rule)])
    assert isinstance(out.exception, type(WRITE_FAILURES[kind]())) or (kind == "Ctrl-C" and out.exit_code == 1)
    assert rule.read_text(encoding="utf-8") == MESSY and leftovers(tmp_path, rule.name) == []


def test_fmt_rewrites_by_rename_and_leaves_formatted_files_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    messy, tidy = tmp_path / "a.rule", tmp_path / "b.rule"
    messy.write_text(MESSY, encoding="utf-8")
    tidy.write_text("规则集 乙\n参数 p = 1\n", encoding="utf-8")
    before = tidy.stat().st_mtime_ns
    renamed: list[Path] = []
    real = os.replace
    monkeypatch.setattr(cli_main.os, "replace", lambda s, d: (renamed.append(Path(d)), real(s, d))[1])
    out = run(["fmt", str(tmp_path)])
    assert out.exit_code == 0, out.output
    assert renamed == [messy]
    assert messy.read_text(encoding="utf-8") == "规则集 甲\n参数 p = 1\n# 注释\n参数 q = 2\n"
    assert tidy.stat().st_mtime_ns == before
    assert leftovers(tmp_path, "a.rule") == []


def test_fmt_check_never_writes(tmp_path: Path) -> None:
    rule = tmp_path / "a.rule"
    rule.write_text(MESSY, encoding="utf-8")
    before = snapshot(tmp_path)
    assert run(["fmt", "--check", str(rule)]).exit_code == 1
    assert snapshot(tmp_path) == before


# ---------------------------------------------------------------- inputs are never modified


def test_no_command_modifies_its_inputs(work: Path) -> None:
    inputs = [work / "学校表.csv", work / "县区表.csv", work / "rules"]
    before = snapshot(*inputs)
    stamps = {p: p.stat().st_mtime_ns for p in (work / "rules").rglob("*")}
    commands = [
        ["check", str(work / "rules")],
        ["eval", *facts_args(work)],
        ["eval", *facts_args(work), "--format", "json", "-o", str(work / "o.json")],
        ["eval", *facts_args(work), "--format", "xlsx", "-o", str(work / "o.xlsx")],
        ["explain", *facts_args(work), "--school", "示例县实验小学"],
        ["fmt", "--check", str(work / "rules")],
        ["test", str(work / "rules")],
        ["diff", f"{work / 'rules'}:国家", f"{work / 'rules'}:河北", "--schools", str(work / "学校表.csv"),
         "--counties", str(work / "县区表.csv")],
    ]
    for args in commands:
        out = run(args)
        assert out.exit_code == 0 or (args[0] == "diff" and out.exit_code == 1), (args, out.output)
        assert snapshot(*inputs) == before, args
    assert {p: p.stat().st_mtime_ns for p in (work / "rules").rglob("*")} == stamps


def test_facts_files_are_opened_read_only(work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """While loading, no facts file is opened for writing (checked on every open() call)."""
    import builtins
    import io

    facts = {str(work / "学校表.csv"), str(work / "县区表.csv")}
    modes: list[tuple[str, str]] = []
    real_open, real_io_open = builtins.open, io.open

    def watch(real: Callable[..., Any]) -> Callable[..., Any]:
        def opener(file: Any, mode: str = "r", *a: Any, **k: Any) -> Any:
            if str(file) in facts:
                modes.append((str(file), mode))
            return real(file, mode, *a, **k)
        return opener

    monkeypatch.setattr(builtins, "open", watch(real_open))
    monkeypatch.setattr(io, "open", watch(real_io_open))
    out = run(["eval", *facts_args(work)])
    assert out.exit_code == 0, out.output
    assert all(set(mode) <= set("rbt") for _, mode in modes), modes


# ---------------------------------------------------------------- reported bugs (cli/main.py)


def test_output_onto_an_input_file_is_refused(work: Path) -> None:
    schools = work / "学校表.csv"
    before = schools.read_bytes()
    out = run(["eval", *facts_args(work), "-o", str(schools)])
    assert schools.read_bytes() == before
    assert out.exit_code != 0


def test_rewriting_keeps_the_file_mode(tmp_path: Path) -> None:
    rule = tmp_path / "a.rule"
    rule.write_text(MESSY, encoding="utf-8")
    rule.chmod(0o644)
    assert run(["fmt", str(rule)]).exit_code == 0
    assert stat.S_IMODE(rule.stat().st_mode) == 0o644
