"""Language server for .rule files (pygls): live diagnostics, hover with provenance, go to definition."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsprotocol import types as T
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path
from pygls.workspace.position_codec import PositionCodec
from pygments.token import Keyword, Name, Operator, _TokenType

from engine.editor.lexer import JunhengLexer
from engine.interpreter import ast as A
from engine.interpreter.check import AGGREGATES, SCALAR_FUNCS, check
from engine.interpreter.errors import Diagnostic, RuleError, Severity, Span
from engine.interpreter.layer import Change, Entry, RuleSet, chain_for, format_values, group_layers, layer
from engine.interpreter.parse import parse_text
from engine.interpreter.printer import expr_text, requirement_text
from engine.packs import rule_files, rules_root

__all__ = ["Analysis", "analyse", "make_server", "serve_stdio"]

SOURCE = "junheng"


# ---------------------------------------------------------------- analysis (no LSP types)


def _norm(path: str | Path) -> Path:
    return Path(os.path.normcase(os.path.abspath(path)))


def find_root(path: Path) -> Path | None:
    """The nearest folder above `path` that holds a `national/` folder (the rule packs' root)."""
    return next((p for p in path.parents if (p / "national").is_dir()), None)


def read_text(path: Path, overrides: Mapping[Path, str]) -> str:
    """A rule file's text: the editor's copy when it is open, else the file on disk."""
    if path in overrides:
        return overrides[path]
    try:
        return path.read_text(encoding="utf-8-sig", errors="replace")
    except OSError:
        return ""


class ParseCache:
    """Parsed rule files, re-parsed only when their text changes."""

    def __init__(self) -> None:
        self._cache: dict[Path, tuple[str, A.RuleFile | RuleError]] = {}

    def parse(self, path: Path, text: str) -> A.RuleFile | RuleError:
        hit = self._cache.get(path)
        if hit is not None and hit[0] == text:
            return hit[1]
        try:
            result: A.RuleFile | RuleError = parse_text(text, str(path))
        except RuleError as exc:
            result = exc
        self._cache[path] = (text, result)
        return result


@dataclass
class Analysis:
    """What the server knows about one open file: its diagnostics and the rule set it belongs to."""

    path: Path
    root: Path
    diagnostics: list[Diagnostic] = field(default_factory=list)  # located in this file
    others: list[Diagnostic] = field(default_factory=list)  # errors in other files of its chain
    ruleset: RuleSet | None = None
    files: dict[Path, A.RuleFile] = field(default_factory=dict)  # the chain's parsed files

    def display(self, path: str | Path) -> str:
        """How a file is named to the user: rules/national/1-资源配置.rule."""
        try:
            return Path(path).relative_to(self.root.parent).as_posix()
        except ValueError:
            return str(path)


def analyse(path: Path, text: str, overrides: Mapping[Path, str], cache: ParseCache) -> Analysis:
    """Parse the file; if it parses, layer and check its rule set with the other files of its rules root."""
    path = _norm(path)
    an = Analysis(path, _norm(find_root(path) or rules_root()))
    own = cache.parse(path, text)
    if isinstance(own, RuleError):
        an.diagnostics = own.diagnostics
        return an
    if own.header is None:
        try:
            group_layers([own])
        except RuleError as exc:
            an.diagnostics = exc.diagnostics
        return an
    files, failed = [own], []
    for p in map(_norm, rule_files([an.root])):
        if p != path:
            other = cache.parse(p, read_text(p, overrides))
            if isinstance(other, RuleError):
                failed.append((p, other))
            elif other.header is not None:
                files.append(other)
    groups = group_layers(files)
    chain = [own.header.name]
    found: list[Diagnostic] = []
    try:
        chain = chain_for(own.header.name, groups)
        an.ruleset = layer(groups, own.header.name)
        found = list(check(an.ruleset).warnings)
    except RuleError as exc:
        found = exc.diagnostics
    for d in dict.fromkeys(found):
        concerns = not isinstance(d.location, Span) or _norm(d.location.file) == path
        (an.diagnostics if concerns else an.others).append(d)
    for p, err in failed:
        if _header_name(read_text(p, overrides)) in chain:
            an.others.extend(err.diagnostics[:1])
    an.files = {_norm(f.path): f for f in files if f.header is not None and f.header.name in chain}
    return an


def _header_name(text: str) -> str | None:
    m = re.search(r"^[ \t\u3000]*规则集\s+(\w+)", text, re.M)
    return m.group(1) if m else None


# ---------------------------------------------------------------- declarations as text


def _values_text(values: tuple[A.ParamValues, ...]) -> str:
    def inner(v: A.ParamValues) -> str:
        return ", ".join(f"{s} {n.text}" if s else n.text for s, n in v.by_stage)

    if len(values) == 1 and values[0].effective is None:
        return "= " + inner(values[0])
    return " ".join(f"值 {inner(v)}" + (f" 自 {v.effective.isoformat()}" if v.effective else "") for v in values)


def combo_source(combo: A.Combo) -> str:
    """A conclusion's 要求 as it is written in the language."""
    ids = "、".join(r.first + (f" 至 {r.last}" if r.last else "") for r in combo.items)
    if combo.kind != "至少":
        return f"{combo.kind} {ids} 达标"
    text = f"{ids} 中 至少 {combo.at_least} 项 达标"
    if combo.rest_ratio is not None:
        text += f",其余 {combo.rest_word} 要求 的 {float(combo.rest_ratio * 100):g}%"
    return text


def decl_text(decl: A.Decl) -> str:
    """A declaration after layering, in the rule language (without its title and 依据)."""
    kind = A.decl_kind(decl)
    lines: list[str]
    if isinstance(decl, A.FieldDecl):
        lines = [f"{kind} {decl.entity} {decl.name} {decl.type}"]
    elif isinstance(decl, A.ParamDecl):
        lines = [f"{kind} {decl.name} {_values_text(decl.values)}"]
    elif isinstance(decl, A.UnitDef):
        lines = [f"{kind} {decl.stage} 当 {expr_text(decl.condition)}"]
    elif isinstance(decl, A.UnitField):
        lines = [f"{kind} {decl.name} = " + ", ".join(f"{s} {expr_text(e)}" for s, e in decl.by_stage)]
    elif isinstance(decl, A.Split):
        lines = [f"拆分 项目 {'、'.join(decl.items)}" + (f" 权重 {decl.weight}" if decl.weight else "")
                 + (" 人数 " + ", ".join(f"{s} {n}" for s, n in decl.heads) if decl.heads else "")]
    elif isinstance(decl, A.ScopeDecl):
        lines = [f"{kind} {decl.name} {decl.target}"]
        lines += [f"  包含 {expr_text(e)}" for e in decl.include] + [f"  排除 {expr_text(e)}" for e in decl.exclude]
    elif isinstance(decl, A.Indicator):
        lines = [f"{kind} {decl.name}"]
        lines += [f"  计算 {expr_text(decl.calc)}"] if decl.calc else []
        lines += [f"  要求 {requirement_text(decl.requirement)}"] if decl.requirement else []
        lines += [f"  范围 {decl.scope}"] if decl.scope else []
        lines += [f"  保留 {decl.keep} 位小数"] if decl.keep is not None else []
        lines += ["  分学段"] if decl.by_stage else []
    else:
        lines = [f"{kind} {decl.name}" + (f" 要求 {combo_source(decl.combo)}" if decl.combo else "")]
        lines += ["  分学段"] if decl.by_stage else []
    tail = " ".join(word for word, on in (
        (f"单位 {getattr(decl, 'unit', None)}", bool(getattr(decl, "unit", None))),
        ("必需", bool(getattr(decl, "required", False))),
        ("不得放宽", bool(getattr(decl, "strict", False)))) if on)
    if tail and len(lines) == 1:
        lines[0] += " " + tail
    elif tail:
        lines.append("  " + tail)
    return "\n".join(lines)


# ---------------------------------------------------------------- hover text


def _link(an: Analysis, span: Span) -> str:
    return f"[{an.display(span.file)}:{span.line}]({Path(span.file).as_uri()}#L{span.line})"


def _step(an: Analysis, ch: Change, origin_source: str | None) -> str:
    parts = [f"{ch.layer} {ch.op} {_link(an, ch.span)}"]
    if ch.op == "修改" and ch.what:
        parts.append(ch.what)
    if ch.docno:
        parts.append(f"文号 {ch.docno}")
    source = ch.source if ch.op == "修改" else origin_source
    if source:
        parts.append(f"依据 {source}")
    if ch.relax:
        parts.append(f"放宽理由 {ch.relax}")
    return " · ".join(parts)


def provenance_chain(an: Analysis, history: Sequence[Change]) -> str:
    """国家 定义 rules/national/1-资源配置.rule:12 → 辽宁 修改为 小学 4.5、初中 5.3 rules/provinces/…:30."""
    out = []
    for ch in history:
        done = ch.op
        if ch.op == "修改":
            done = f"修改为 {ch.what.split(' → ')[-1]}" if " → " in ch.what else (ch.what or ch.op)
        out.append(f"{ch.layer} {done} {an.display(ch.span.file)}:{ch.span.line}")
    return " → ".join(out)


def _entry_hover(an: Analysis, entry: Entry[A.Decl]) -> str:
    decl = entry.decl
    title = getattr(decl, "title", None)
    head = f"**{A.decl_kind(decl)} {A.decl_name(decl)}**" + (f" —— {title}" if title else "")
    out = [head, "", "```junheng", decl_text(decl), "```", ""]
    if isinstance(decl, A.ParamDecl):
        out.append(f"- 分层后的值:{format_values(decl.values)}" + (f" {decl.unit}" if decl.unit else ""))
    elif getattr(decl, "unit", None):
        out.append(f"- 单位:{getattr(decl, 'unit', '')}")
    if isinstance(decl, A.FieldDecl):
        out.append(f"- {'学校表' if decl.entity == A.SCHOOL else '县区表'}的列,{decl.type}" + (",必需" if decl.required
                                                                                         else ""))
    if isinstance(decl, A.Indicator | A.Conclusion):
        out.append(f"- 层级:{decl.level}" + (",分学段" if decl.by_stage else ""))
    if getattr(decl, "source", None):
        out.append(f"- 依据:{getattr(decl, 'source', '')}")
    if getattr(decl, "strict", False):
        out.append("- 不得放宽")
    if getattr(decl, "note", None):
        out.append(f"- 说明:{getattr(decl, 'note', '')}")
    origin = entry.history[1].before if len(entry.history) > 1 else decl
    origin_source = getattr(origin, "source", None)
    out += ["", f"**来源**:{provenance_chain(an, entry.history)}", ""]
    out += [f"{i}. {_step(an, ch, origin_source)}" for i, ch in enumerate(entry.history, 1)]
    return "\n".join(out)


def lookup(rs: RuleSet, name: str) -> list[Entry[A.Decl]]:
    """Every layered declaration called `name` (a 学部字段 may share its name with a 字段)."""
    tables: list[Mapping[str, Entry[Any]]] = [rs.items, rs.params, rs.fields, rs.unit_fields, rs.scopes, rs.unit_defs]
    return [t[name] for t in tables if name in t]


def hover_text(an: Analysis, word: str, is_keyword: bool) -> str | None:
    """Markdown for the hover over `word`: a declaration with its provenance, a rule set, a keyword."""
    rs = an.ruleset
    if rs is not None:
        entries = lookup(rs, word)
        if entries and (not is_keyword or isinstance(entries[0].decl, A.UnitDef)):
            return "\n\n---\n\n".join(_entry_hover(an, e) for e in entries)
        if word in rs.removed:
            who, reason, span = rs.removed[word]
            return f"**{word}** 已被{who}删除({_link(an, span)}),理由:{reason}"
        info = next((i for i in rs.layers if i.name == word), None)
        if info is not None:
            parts = [f"**规则集 {info.name}**" + (f" —— {info.title}" if info.title else "")]
            parts += [f"- 文号:{info.docno}"] if info.docno else []
            parts += [f"- 继承:{info.inherits}"] if info.inherits else []
            parts += ["- 文件:" + "、".join(an.display(f) for f in info.files)]
            return "\n".join(parts)
    if is_keyword:
        op = A.WORD_OPS.get(word)
        inclusive = {A.Cmp.GE: "含本数", A.Cmp.LE: "含本数", A.Cmp.GT: "不含本数", A.Cmp.LT: "不含本数"}
        return f"关键字 **{word}**" + (f":{op.value}({inclusive[op]})" if op in inclusive else "")
    if word in AGGREGATES or word in SCALAR_FUNCS:
        return f"内置函数 **{word}**(见 docs/LANGUAGE.md「表达式与要求」)"
    return None


# ---------------------------------------------------------------- positions


def _is_word(tok: _TokenType) -> bool:
    return tok in Name or tok in Keyword or tok in Operator.Word


def word_at(line: str, index: int) -> tuple[int, int, str, bool] | None:
    """The name or keyword under (or just before) character `index`: (start, end, text, is_keyword)."""
    best = None
    for start, tok, text in JunhengLexer().get_tokens_unprocessed(line):
        end = start + len(text)
        if _is_word(tok) and start <= index <= end:
            best = (start, end, text, tok not in Name)
            if index < end:
                break
    return best


def name_tokens(text: str, name: str) -> Iterator[tuple[int, int, int]]:
    """Where `name` stands as a whole name in a file: (0-based line, start, end) in characters."""
    for i, line in enumerate(text.split("\n")):
        if name in line:
            for start, tok, value in JunhengLexer().get_tokens_unprocessed(line):
                if value == name and _is_word(tok):
                    yield i, start, start + len(value)


def _units(codec: PositionCodec, line: str, chars: int) -> int:
    return int(codec.client_num_units(line[:chars]))


def to_position(lines: Sequence[str], line: int, char: int, codec: PositionCodec) -> T.Position:
    """0-based line and character index → an LSP position in the client's encoding (UTF-16 by default)."""
    text = lines[line] if 0 <= line < len(lines) else ""
    return T.Position(line=max(line, 0), character=_units(codec, text, max(0, min(char, len(text)))))


def from_position(lines: Sequence[str], pos: T.Position, codec: PositionCodec) -> int:
    """An LSP position → character index in its line."""
    text = lines[pos.line] if pos.line < len(lines) else ""
    units = 0
    for i, ch in enumerate(text):
        if units >= pos.character:
            return i
        units += _units(codec, ch, 1)
    return len(text)


def span_range(span: Span, lines: Sequence[str], codec: PositionCodec) -> T.Range:
    """Our 1-based, character-counted span → an LSP range."""
    start = to_position(lines, span.line - 1, span.column - 1, codec)
    end = to_position(lines, span.end_line - 1, span.end_column - 1, codec)
    if (end.line, end.character) <= (start.line, start.character):
        end = T.Position(line=start.line, character=start.character + 1)
    return T.Range(start=start, end=end)


# ---------------------------------------------------------------- the server


class JunhengServer(LanguageServer):
    """The pygls server with the rule-file state: parse cache and the last analysis of each open file."""

    def __init__(self) -> None:
        super().__init__("junheng", _version())
        self.cache = ParseCache()
        self.analyses: dict[str, Analysis] = {}  # uri → latest analysis whose rule set layered

    def overrides(self) -> dict[Path, str]:
        out = {}
        for uri, doc in self.workspace.text_documents.items():
            path = to_fs_path(uri)
            if path:
                out[_norm(path)] = doc.source
        return out

    def lines_of(self, path: str | Path) -> list[str]:
        return read_text(_norm(path), self.overrides()).split("\n")

    def validate(self, uri: str) -> None:
        path = to_fs_path(uri)
        if not path:
            return
        doc = self.workspace.get_text_document(uri)
        an = analyse(Path(path), doc.source, self.overrides(), self.cache)
        if an.ruleset is not None or uri not in self.analyses:
            self.analyses[uri] = an
        lines = doc.source.split("\n")
        out = [self.to_lsp(d, lines) for d in an.diagnostics]
        if an.others:
            out.append(self.others_note(an, lines))
        self.text_document_publish_diagnostics(T.PublishDiagnosticsParams(uri=uri, diagnostics=out,
                                                                          version=doc.version))

    def to_lsp(self, d: Diagnostic, lines: Sequence[str]) -> T.Diagnostic:
        codec = self.workspace.position_codec
        rng = span_range(d.location, lines, codec) if isinstance(d.location, Span) else \
            T.Range(start=T.Position(line=0, character=0), end=T.Position(line=0, character=1))
        related = [T.DiagnosticRelatedInformation(
            location=T.Location(uri=Path(r.location.file).as_uri(),
                                range=span_range(r.location, self.lines_of(r.location.file), codec)),
            message=r.message) for r in d.related if isinstance(r.location, Span)]
        return T.Diagnostic(
            range=rng, message=d.message + (f"\n提示:{d.hint}" if d.hint else ""), code=d.code, source=SOURCE,
            severity=T.DiagnosticSeverity.Error if d.severity is Severity.ERROR else T.DiagnosticSeverity.Warning,
            related_information=related or None)

    def others_note(self, an: Analysis, lines: Sequence[str]) -> T.Diagnostic:
        own = an.files.get(an.path)
        span = own.header.span if own and own.header else Span(str(an.path), 1, 1, 1, 2)
        shown = [f"{an.display(d.location.file)}:{d.location.line} {d.code} {d.message}"
                 for d in an.others[:3] if isinstance(d.location, Span)]
        note = T.Diagnostic(range=span_range(Span(span.file, span.line, span.column, span.line, span.column + 3),
                                             lines, self.workspace.position_codec),
                            message=f"同一规则集链上的其他文件有 {len(an.others)} 处问题,本文件的分层检查不完整:\n"
                                    + "\n".join(shown),
                            severity=T.DiagnosticSeverity.Information, source=SOURCE)
        return note

    def word(self, uri: str, pos: T.Position) -> tuple[int, int, str, bool] | None:
        lines = self.workspace.get_text_document(uri).source.split("\n")
        if pos.line >= len(lines):
            return None
        return word_at(lines[pos.line], from_position(lines, pos, self.workspace.position_codec))

    def name_location(self, span: Span, name: str) -> T.Location:
        """The name inside a declaration (falls back to the declaration's first line)."""
        lines = self.lines_of(span.file)
        codec = self.workspace.position_codec
        for i, start, end in name_tokens("\n".join(lines[span.line - 1: span.end_line]), name):
            line = span.line - 1 + i
            if i > 0 or start >= span.column - 1:
                rng = T.Range(start=to_position(lines, line, start, codec), end=to_position(lines, line, end, codec))
                return T.Location(uri=Path(span.file).as_uri(), range=rng)
        return T.Location(uri=Path(span.file).as_uri(), range=span_range(span, lines, self.workspace.position_codec))

    def definition(self, an: Analysis, name: str) -> list[T.Location]:
        rs = an.ruleset
        if rs is None:
            return []
        entries = lookup(rs, name)
        if entries:
            return [self.name_location(e.origin.span, name) for e in entries]
        if name in rs.removed:
            return [self.name_location(rs.removed[name][2], name)]
        headers = [f.header for f in an.files.values() if f.header is not None and f.header.name == name]
        return [self.name_location(h.span, name) for h in headers]

    def references(self, an: Analysis, name: str, include_declaration: bool) -> list[T.Location]:
        codec = self.workspace.position_codec
        declared = {(loc.uri, loc.range.start.line, loc.range.start.character) for loc in self.definition(an, name)}
        out = []
        for path in sorted(an.files):
            lines = self.lines_of(path)
            for line, start, end in name_tokens("\n".join(lines), name):
                rng = T.Range(start=to_position(lines, line, start, codec), end=to_position(lines, line, end, codec))
                key = (path.as_uri(), rng.start.line, rng.start.character)
                if include_declaration or key not in declared:
                    out.append(T.Location(uri=path.as_uri(), range=rng))
        return out


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("junheng")
    except Exception:
        return "0"


def make_server() -> JunhengServer:
    """A server with every feature registered (not yet started)."""
    server = JunhengServer()

    @server.feature(T.TEXT_DOCUMENT_DID_OPEN)
    def did_open(params: T.DidOpenTextDocumentParams) -> None:
        server.validate(params.text_document.uri)

    @server.feature(T.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(params: T.DidChangeTextDocumentParams) -> None:
        server.validate(params.text_document.uri)

    @server.feature(T.TEXT_DOCUMENT_DID_SAVE)
    def did_save(params: T.DidSaveTextDocumentParams) -> None:
        for uri in list(server.workspace.text_documents):
            server.validate(uri)  # a saved file can change what every other open file layers onto

    @server.feature(T.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(params: T.DidCloseTextDocumentParams) -> None:
        server.analyses.pop(params.text_document.uri, None)
        server.text_document_publish_diagnostics(T.PublishDiagnosticsParams(uri=params.text_document.uri,
                                                                            diagnostics=[]))

    @server.feature(T.TEXT_DOCUMENT_HOVER)
    def hover(params: T.HoverParams) -> T.Hover | None:
        uri = params.text_document.uri
        found, an = server.word(uri, params.position), server.analyses.get(uri)
        if found is None or an is None:
            return None
        start, end, word, is_keyword = found
        text = hover_text(an, word, is_keyword)
        if text is None:
            return None
        lines = server.workspace.get_text_document(uri).source.split("\n")
        codec = server.workspace.position_codec
        rng = T.Range(start=to_position(lines, params.position.line, start, codec),
                      end=to_position(lines, params.position.line, end, codec))
        return T.Hover(contents=T.MarkupContent(kind=T.MarkupKind.Markdown, value=text), range=rng)

    @server.feature(T.TEXT_DOCUMENT_DEFINITION)
    def definition(params: T.DefinitionParams) -> list[T.Location] | None:
        uri = params.text_document.uri
        found, an = server.word(uri, params.position), server.analyses.get(uri)
        if found is None or an is None:
            return None
        return server.definition(an, found[2]) or None

    @server.feature(T.TEXT_DOCUMENT_REFERENCES)
    def references(params: T.ReferenceParams) -> list[T.Location] | None:
        uri = params.text_document.uri
        found, an = server.word(uri, params.position), server.analyses.get(uri)
        if found is None or an is None:
            return None
        return server.references(an, found[2], params.context.include_declaration) or None

    return server


def serve_stdio() -> None:
    """Run the language server on stdin/stdout until the client says exit (`junheng lsp`)."""
    make_server().start_io()
