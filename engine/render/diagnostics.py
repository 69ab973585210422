"""Render diagnostics like a compiler: path:line:column, the source line, a caret, a hint.

Carets are placed by display width: a Chinese (wide) character takes two terminal columns,
which `len()` and Lark's own context printer get wrong.
"""

from __future__ import annotations

import json
import unicodedata
from functools import lru_cache
from pathlib import Path

from engine.interpreter.errors import Diagnostic, FactLocation, Span

MAX_SHOWN = 50


def display_width(text: str) -> int:
    """Terminal columns taken by `text` (East Asian wide and full-width characters count 2)."""
    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in text)


def _lines(path: str) -> tuple[str, ...]:
    try:
        p = Path(path).resolve()
        stat = p.stat()
    except OSError:
        return ()
    return _read_lines(str(p), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=64)
def _read_lines(path: str, mtime_ns: int, size: int) -> tuple[str, ...]:
    # keyed by modification time and size too, so an edited file is never shown stale
    try:
        return tuple(Path(path).read_text(encoding="utf-8-sig").splitlines())
    except (OSError, UnicodeDecodeError):
        return ()


def source_excerpt(span: Span, text: str | None = None) -> list[str]:
    """The source line of a span and an underline beneath it, aligned by display width."""
    lines = tuple(text.splitlines()) if text is not None else _lines(span.file)
    if not (1 <= span.line <= len(lines)):
        return []
    line = lines[span.line - 1].replace("\t", " ")
    start = max(span.column - 1, 0)
    end = span.end_column - 1 if span.end_line == span.line else len(line)
    end = max(end, start + 1)
    gutter = f"{span.line:>4} | "
    lead = display_width(line[:start])
    width = max(1, display_width(line[start:end]))
    return [gutter + line, " " * len(gutter) + " " * lead + "^" + "~" * (width - 1)]


def render_diagnostic(d: Diagnostic, text: str | None = None) -> str:
    """One diagnostic as text (Chinese), with the source excerpt when the location is a span."""
    head = f"{d.severity.value} {d.code}: {d.message}"
    out: list[str] = []
    loc = d.location
    if isinstance(loc, Span):
        out.append(f"{loc.file}:{loc.line}:{loc.column}: {head}")
        out.extend(source_excerpt(loc, text))
    elif isinstance(loc, FactLocation):
        out.append(f"{loc}: {head}")
    else:
        out.append(head)
    for rel in d.related:
        if isinstance(rel.location, Span):
            out.append(f"  {rel.location.file}:{rel.location.line}:{rel.location.column}: 说明: {rel.message}")
            out.extend("  " + line for line in source_excerpt(rel.location))
        else:
            out.append(f"  {rel.location}: 说明: {rel.message}")
    if d.hint:
        out.append(f"  提示: {d.hint}")
    return "\n".join(out)


def render_diagnostics(diags: list[Diagnostic], text: str | None = None) -> str:
    """Every diagnostic, sorted by location, capped, with a count at the end."""
    diags = sorted(diags, key=Diagnostic.sort_key)
    shown = diags[:MAX_SHOWN]
    parts = [render_diagnostic(d, text) for d in shown]
    errors = sum(1 for d in diags if d.is_error)
    warnings = len(diags) - errors
    tail = f"共 {errors} 个错误" + (f",{warnings} 个警告" if warnings else "")
    if len(diags) > MAX_SHOWN:
        tail += f"(只显示前 {MAX_SHOWN} 个)"
    return "\n\n".join(parts) + "\n\n" + tail


def diagnostics_json(diags: list[Diagnostic]) -> list[dict[str, object]]:
    """Diagnostics as JSON-ready dicts (for --format json and the service)."""
    out: list[dict[str, object]] = []
    for d in sorted(diags, key=Diagnostic.sort_key):
        item: dict[str, object] = {"代码": d.code, "级别": d.severity.value, "消息": d.message, "提示": d.hint}
        loc = d.location
        if isinstance(loc, Span):
            item["位置"] = {"文件": loc.file, "行": loc.line, "列": loc.column, "结束行": loc.end_line,
                          "结束列": loc.end_column}
        elif isinstance(loc, FactLocation):
            item["位置"] = {"文件": loc.file, "工作表": loc.sheet, "行": loc.row, "列名": loc.column}
        out.append(item)
    return out


def github_annotations(diags: list[Diagnostic]) -> str:
    """GitHub workflow commands: ::error file=…,line=…,col=…::message."""
    lines = []
    for d in sorted(diags, key=Diagnostic.sort_key):
        kind = "error" if d.is_error else "warning"
        loc = d.location
        where = f" file={loc.file},line={loc.line},col={loc.column}" if isinstance(loc, Span) else ""
        msg = f"{d.code} {d.message}" + (f"(提示:{d.hint})" if d.hint else "")
        lines.append(f"::{kind}{where}::{msg}")
    return "\n".join(lines)


def dumps(obj: object) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=2)
