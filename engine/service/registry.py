"""The compiled rule sets the service answers with: loaded once, swapped whole on reload.

A `Snapshot` is immutable once built: the parsed files, every rule set compiled, and each
rule set's content hash. Requests take the current snapshot once and use only it, so a
reload never changes the rules under a request that is already running; `Registry.reload`
builds a new snapshot off to the side and swaps it in only when every rule set compiled.
"""

from __future__ import annotations

import hashlib
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

from engine.interpreter import CompiledRules, ast
from engine.interpreter.check import check
from engine.interpreter.compile import compile_plan
from engine.interpreter.errors import Diagnostic, RuleError, Span
from engine.interpreter.layer import chain_for, group_layers, layer
from engine.interpreter.parse import parse_text
from engine.packs import rule_files, rules_root
from engine.service.errors import ServiceError

#: Characters a rule-set name may never contain: it is a name, never a path.
_BAD_NAME = re.compile(r"[/\\\x00-\x1f\x7f]|\.\.|^\.|^$")
MAX_NAME_LENGTH = 64


@dataclass(frozen=True)
class RuleSetInfo:
    """One compiled rule set and what identifies its content."""

    name: str
    rules: CompiledRules
    digest: str  # sha256 over the rule files of every layer in its chain
    chain: tuple[str, ...]


@dataclass(frozen=True)
class Snapshot:
    """Everything loaded from one reading of the rules folder."""

    root_label: str
    files: dict[str, ast.RuleFile]  # display path → parsed file
    data: dict[str, bytes]  # display path → the bytes that were parsed
    sets: dict[str, RuleSetInfo] = field(default_factory=dict)

    def groups(self) -> dict[str, list[ast.RuleFile]]:
        return group_layers(list(self.files.values()))


def check_name(name: str, where: str | None = None) -> str:
    """A rule-set name as sent by a client, refused when it looks like anything but a name."""
    if not isinstance(name, str) or len(name) > MAX_NAME_LENGTH or _BAD_NAME.search(name):
        raise ServiceError(400, "E711", "规则集名称不合法:只能是规则集的名称(如 国家、河北),不能含路径或特殊字符",
                           {"参数": where} if where else None, "可用的名称见 GET /v1/rulesets")
    return name


def digest_files(data: dict[str, bytes], paths: list[str]) -> str:
    """SHA-256 over the files in path order: for each, its path, NUL, its size, NUL, its bytes."""
    h = hashlib.sha256()
    for path in sorted(paths):
        body = data[path]
        h.update(path.encode("utf-8") + b"\0" + str(len(body)).encode() + b"\0")
        h.update(body)
    return h.hexdigest()


def read_rules(root: Path) -> Snapshot:
    """Parse, layer, check and compile every rule set under `root`; RuleError lists every problem."""
    label = root.name or "rules"
    files: dict[str, ast.RuleFile] = {}
    data: dict[str, bytes] = {}
    diags: list[Diagnostic] = []
    for path in rule_files([root]):
        shown = f"{label}/{path.relative_to(root).as_posix()}"
        raw = path.read_bytes()
        try:
            files[shown] = parse_text(raw.decode("utf-8-sig"), shown)
            data[shown] = raw
        except UnicodeDecodeError:
            diags.append(Diagnostic("E106", "规则文件不是 UTF-8 编码", Span(shown, 1, 1, 1, 2)))
        except RuleError as exc:
            diags.extend(exc.diagnostics)
    if diags:
        raise RuleError(diags)
    if not files:
        raise RuleError(Diagnostic("E501", f"规则目录「{label}」中没有 .rule 文件"))
    snap = Snapshot(label, files, data)
    groups = snap.groups()
    for name in groups:
        try:
            snap.sets[name] = compile_set(snap, groups, name)
        except RuleError as exc:
            diags.extend(d for d in exc.diagnostics if d not in diags)
    if diags:
        raise RuleError(diags)
    return snap


def compile_set(snap: Snapshot, groups: dict[str, list[ast.RuleFile]], name: str) -> RuleSetInfo:
    """One rule set of a snapshot: layer → check → compile, with its content hash."""
    rs = layer(groups, name)
    checked = check(rs)
    chain = tuple(chain_for(name, groups))
    paths = [f.path for n in chain for f in groups[n]]
    return RuleSetInfo(name, CompiledRules(rs, checked, compile_plan(checked)), digest_files(snap.data, paths), chain)


class Registry:
    """The current snapshot, replaced atomically by `reload` (readers never take a lock)."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or rules_root()
        self._snapshot = read_rules(self.root)
        self._reload_lock = threading.Lock()

    @property
    def snapshot(self) -> Snapshot:
        return self._snapshot

    def get(self, name: str, where: str = "ruleset") -> RuleSetInfo:
        """A rule set of the current snapshot by name (E711 bad name, E502 unknown); `where` names the field."""
        snap = self._snapshot
        info = snap.sets.get(check_name(name, where))
        if info is None:
            raise ServiceError(404, "E502", f"找不到规则集「{name}」", {"参数": where},
                               f"可用的规则集:{'、'.join(snap.sets)}")
        return info

    def reload(self) -> Snapshot:
        """Read the rules folder again; swap only if all of it compiles (else RuleError, old rules kept)."""
        with self._reload_lock:
            fresh = read_rules(self.root)
            self._snapshot = fresh  # one reference assignment: atomic for every reader
            return fresh
