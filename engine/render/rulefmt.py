"""The formatter: a rule file's text → the same rules in the one canonical layout, comments kept.

Canonical layout: the declaration line first (keyword, name, "title", then the value or
head clause), every further clause on its own line indented two spaces in a fixed order,
half-width punctuation, single spaces, `=` of consecutive parameters aligned, one blank
line where the author left one. Comments stay with the statement they precede; a comment
at the end of a code line moves to its own line just above its statement.
"""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction

from engine.interpreter import ast as A
from engine.interpreter.parse import parse_text
from engine.interpreter.printer import expr_text, requirement_text
from engine.render.diagnostics import display_width

IND = "  "


def format_text(text: str, path: str = "<文本>") -> str:
    """Format one rule file (raises RuleError when it does not parse)."""
    rf = parse_text(text, path)
    if text.startswith("\ufeff"):
        text = text[1:]
    # lines as the parser counts them: only \n ends a line (\r\n keeps its \r, stripped below)
    lines = [line.rstrip("\r") for line in text.split("\n")]
    if lines and lines[-1] == "":
        lines.pop()
    standalone, trailing = _comments(lines)
    items: list[tuple[int, int, list[str]]] = []  # (first line, last line, printed lines)
    if rf.header is not None:
        items.append((rf.header.span.line, rf.header.span.end_line, _header(rf.header)))
    for stmt in rf.statements:
        items.append((stmt.span.line, stmt.span.end_line, _statement(stmt)))
    items.sort(key=lambda x: x[0])
    _align_params(items, lines)
    out: list[str] = []
    prev_end = 0
    for first, last, printed in items:
        between = range(prev_end + 1, first)
        block = [n for n in between if n in standalone]
        blank_before = any(not lines[n - 1].strip() for n in between if n - 1 < len(lines)
                           and (not block or n < block[0]))
        if out and blank_before:
            out.append("")
        out.extend(_comment_block(lines, block))
        if block and any(not lines[n - 1].strip() for n in range(block[-1] + 1, first)):
            out.append("")  # the author separated the comment from the statement
        inside = [lines[n - 1].strip() for n in range(first + 1, last + 1) if n in standalone]
        out.extend(("# " + c).rstrip() for n in range(first, last + 1) for c in trailing.get(n, []))
        out.extend(inside)  # comments between a statement's clauses go just above it
        out.extend(printed)
        prev_end = last
    tail = [n for n in range(prev_end + 1, len(lines) + 1) if n in standalone]
    if tail:
        out.append("")
        out.extend(_comment_block(lines, tail))
    return "\n".join(out).rstrip() + "\n"


def _comment_block(lines: list[str], numbers: list[int]) -> list[str]:
    out: list[str] = []
    for i, n in enumerate(numbers):
        if i and n - numbers[i - 1] > 1 and any(not lines[k - 1].strip() for k in range(numbers[i - 1] + 1, n)):
            out.append("")
        out.append(lines[n - 1].strip())
    return out


def _comments(lines: list[str]) -> tuple[set[int], dict[int, list[str]]]:
    """Line numbers holding only a comment, and comments that end a line of code."""
    standalone: set[int] = set()
    trailing: dict[int, list[str]] = {}
    for number, line in enumerate(lines, start=1):
        pos = _comment_start(line)
        if pos is None:
            continue
        if not line[:pos].strip():
            standalone.add(number)
        else:
            trailing.setdefault(number, []).append(line[pos + 1:].strip())
    return standalone, trailing


def _comment_start(line: str) -> int | None:
    in_string = False
    for i, ch in enumerate(line):
        if ch in "\"“”":
            in_string = not in_string if ch == '"' else ch == "“"
        elif ch == "#" and not in_string:
            return i
    return None


def _align_params(items: list[tuple[int, int, list[str]]], lines: list[str]) -> None:
    """Align the `=` of runs of consecutive parameters (no blank line between them; comments may be)."""
    run: list[int] = []

    def flush() -> None:
        if len(run) > 1:
            heads = [items[i][2][0].split(" = ", 1) for i in run]
            width = max(display_width(h[0]) for h in heads)
            for i, (head, rest) in zip(run, heads, strict=True):
                items[i][2][0] = head + " " * (width - display_width(head)) + " = " + rest
        run.clear()

    prev_last = 0
    for i, (first, last, printed) in enumerate(items):
        is_param = printed[0].startswith(("参数 ", "修改 参数 ", "新增 参数 ")) and " = " in printed[0]
        adjacent = all(lines[n - 1].strip().startswith("#") for n in range(prev_last + 1, first))
        if not is_param or not adjacent:
            flush()  # a run ends at anything but a parameter written right below the last one
        if is_param:
            run.append(i)
        prev_last = last
    flush()


def _q(text: str | None) -> str:
    return f'"{text}"' if text is not None else ""


def _title(text: str | None) -> str | None:
    return _q(text) if text is not None else None


def _join(*parts: str | None) -> str:
    return " ".join(p for p in parts if p)


def _header(h: A.Header) -> list[str]:
    out = [_join("规则集", h.name, _title(h.title))]
    if h.inherits:
        out.append(IND + f"继承 {h.inherits}")
    if h.docno:
        out.append(IND + f"文号 {_q(h.docno)}")
    if h.issued:
        out.append(IND + f"发布日期 {h.issued.isoformat()}")
    return out


def _values(values: tuple[A.ParamValues, ...]) -> list[str]:
    out = []
    for v in values:
        inner = ", ".join(f"{s} {n.text}" if s else n.text for s, n in v.by_stage)
        out.append(inner + (f" 自 {v.effective.isoformat()}" if v.effective else ""))
    return out


def _tail(source: str | None = None, note: str | None = None) -> list[str]:
    out = []
    if source is not None:
        out.append(IND + f"依据 {_q(source)}")
    if note is not None:
        out.append(IND + f"说明 {_q(note)}")
    return out


def combo_text(c: A.Combo) -> str:
    """A conclusion's requirement as the parser reads it back."""
    items = "、".join(r.first + (f" 至 {r.last}" if r.last else "") for r in c.items)
    if c.kind in ("所有", "任一"):
        return f"{c.kind} {items} 达标"
    text = f"{items} 中 至少 {c.at_least} 项 达标"
    if c.rest_ratio is not None:
        text += f",其余 {c.rest_word} 要求 的 {_percent(c.rest_ratio)}"
    return text


def _percent(x: Fraction) -> str:
    value = x * 100
    return f"{value.numerator}%" if value.denominator == 1 else f"{float(value):g}%"


def _statement(s: A.Statement) -> list[str]:
    if isinstance(s, A.Add):
        lines = _decl(s.decl)
        return ["新增 " + lines[0], *lines[1:]]
    if isinstance(s, A.Remove):
        return [f"删除 {s.kind} {s.name} 理由 {_q(s.reason)}"]
    if isinstance(s, A.Modify):
        return _modify(s)
    return _decl(s)


def _decl(d: A.Decl) -> list[str]:
    if isinstance(d, A.FieldDecl):
        head = _join("字段", d.entity, d.name, _title(d.title), d.type,
                     f"单位 {d.unit}" if d.unit else None, "必需" if d.required else None)
        return [head, *_tail(d.source, d.note)]
    if isinstance(d, A.ParamDecl):
        values = _values(d.values)
        head = _join("参数", d.name, _title(d.title))
        first = f"{head} = {values[0]}" if values else head
        if d.unit:
            first += f" 单位 {d.unit}"
        more = [IND + f"值 {v}" for v in values[1:]]
        return [first, *more, *_tail(d.source, d.note), *([IND + "不得放宽"] if d.strict else [])]
    if isinstance(d, A.UnitDef):
        return [_join("学部", d.stage, _title(d.title), "当", expr_text(d.condition)),
                *_tail(d.source)]
    if isinstance(d, A.UnitField):
        pairs = ", ".join(f"{s} {expr_text(e)}" for s, e in d.by_stage)
        head = _join("学部字段", d.name, _title(d.title), "=", pairs,
                     f"单位 {d.unit}" if d.unit else None)
        return [head, *_tail(d.source, d.note)]
    if isinstance(d, A.Split):
        out = [_join("拆分", _title(d.title))]
        if d.items:
            out.append(IND + "项目 " + "、".join(d.items))
        if d.weight:
            out.append(IND + f"权重 {d.weight}")
        if d.heads:
            out.append(IND + "人数 " + ", ".join(f"{s} {n}" for s, n in d.heads))
        return out + _tail(d.source, d.note)
    if isinstance(d, A.ScopeDecl):
        out = [_join("范围", d.name, _title(d.title), d.target)]
        out += [IND + "包含 " + expr_text(c) for c in d.include]
        out += [IND + "排除 " + expr_text(c) for c in d.exclude]
        return out + _tail(d.source, d.note)
    if isinstance(d, A.Indicator):
        kind = A.decl_kind(d)
        out = [_join(kind, d.name, _title(d.title), "分学段" if d.by_stage else None)]
        out += list(_indicator_clauses(d))
        return out
    assert isinstance(d, A.Conclusion)
    out = [_join(A.decl_kind(d), d.name, _title(d.title), "分学段" if d.by_stage else None)]
    if d.combo is not None:
        out.append(IND + "要求 " + combo_text(d.combo))
    return out + _tail(d.source, d.note)


def _indicator_clauses(d: A.Indicator) -> Iterator[str]:
    if d.calc is not None:
        yield IND + "计算 " + expr_text(d.calc)
    if d.unit:
        yield IND + f"单位 {d.unit}"
    if d.requirement is not None:
        yield IND + "要求 " + requirement_text(d.requirement)
    if d.scope:
        yield IND + f"范围 {d.scope}"
    if d.keep is not None:
        yield IND + f"保留 {d.keep} 位小数"
    if d.strict:
        yield IND + "不得放宽"
    if d.relax_reason is not None:
        yield IND + f"放宽 理由 {_q(d.relax_reason)}"
    yield from _tail(d.source, d.note)


_CLAUSE_ORDER = ["title", "calc", "unit", "req", "combo", "scope", "keep", "strict", "relax", "source", "note"]


def _modify(m: A.Modify) -> list[str]:
    clauses = dict(m.clauses)
    first = f"修改 {m.kind} {m.name}"
    out: list[str] = []
    values = clauses.get("values")
    if isinstance(values, tuple) and values:
        rendered = _values(values)
        first += f" = {rendered[0]}"
        out += [IND + f"值 {v}" for v in rendered[1:]]
    for tag in _CLAUSE_ORDER:
        if tag not in clauses:
            continue
        v = clauses[tag]
        if tag == "title":
            out.append(IND + f"名称 {_q(str(v))}")
        elif tag == "calc":
            out.append(IND + "计算 " + expr_text(v))  # type: ignore[arg-type]
        elif tag == "unit":
            out.append(IND + f"单位 {v}")
        elif tag == "req":
            out.append(IND + "要求 " + requirement_text(v))  # type: ignore[arg-type]
        elif tag == "combo":
            out.append(IND + "要求 " + combo_text(v))  # type: ignore[arg-type]
        elif tag == "scope":
            out.append(IND + f"范围 {v}")
        elif tag == "keep":
            out.append(IND + f"保留 {v} 位小数")
        elif tag == "strict":
            out.append(IND + "不得放宽")
        elif tag == "relax":
            out.append(IND + f"放宽 理由 {_q(str(v))}")
        elif tag == "source":
            out.append(IND + f"依据 {_q(str(v))}")
        elif tag == "note":
            out.append(IND + f"说明 {_q(str(v))}")
    return [first, *out]
