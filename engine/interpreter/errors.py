"""One error hierarchy for every stage: diagnostics with stable codes, spans and hints.

Errors are data here; turning them into text for a terminal is the render stage's job
(`engine.render.diagnostics`). Every user-facing message is Chinese; codes never change
meaning once published (docs/ERRORS.md lists them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Severity(Enum):
    """How bad a diagnostic is: errors stop the pipeline, warnings do not."""

    ERROR = "错误"
    WARNING = "警告"


@dataclass(frozen=True, slots=True)
class Span:
    """A place in a rule file: 1-based line and column, end exclusive.

    Columns count characters, not display cells; the renderer converts to cells.
    """

    file: str
    line: int
    column: int
    end_line: int
    end_column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class FactLocation:
    """A place in a facts file: the file, the spreadsheet row (1-based, header = 1) and column."""

    file: str
    row: int | None = None
    column: str | None = None
    sheet: str | None = None

    def __str__(self) -> str:
        parts = [self.file]
        if self.sheet:
            parts.append(f"工作表 {self.sheet}")
        if self.row is not None:
            parts.append(f"第 {self.row} 行")
        if self.column is not None:
            parts.append(f"列「{self.column}」")
        return " ".join(parts)


Location = Span | FactLocation | None


@dataclass(frozen=True, slots=True)
class Related:
    """A second location that explains a diagnostic (e.g. the earlier definition)."""

    location: Span | FactLocation
    message: str


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem found in a rule file, a facts file or a request."""

    code: str
    message: str
    location: Location = None
    hint: str | None = None
    related: tuple[Related, ...] = ()
    severity: Severity = Severity.ERROR

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def sort_key(self) -> tuple[str, int, int, str]:
        loc = self.location
        if isinstance(loc, Span):
            return (loc.file, loc.line, loc.column, self.code)
        if isinstance(loc, FactLocation):
            return (loc.file, loc.row or 0, 0, f"{loc.column or ''}{self.code}")
        return ("", 0, 0, self.code)


class JunhengError(Exception):
    """Base of every error junheng raises on purpose; carries one or more diagnostics.

    Anything that is not a JunhengError reaching the CLI is a bug in junheng.
    """

    def __init__(self, diagnostics: list[Diagnostic] | Diagnostic) -> None:
        if isinstance(diagnostics, Diagnostic):
            diagnostics = [diagnostics]
        self.diagnostics: list[Diagnostic] = sorted(diagnostics, key=Diagnostic.sort_key)
        first = self.diagnostics[0] if self.diagnostics else None
        super().__init__(f"{first.code} {first.message}" if first else "错误")


class RuleError(JunhengError):
    """Errors in rule files: syntax (E1xx), names and types (E2xx), layering (E3xx)."""


class FactsError(JunhengError):
    """Errors in facts files (E4xx): missing columns, bad values, bad references."""


class UsageError(JunhengError):
    """Errors in how junheng was asked to do something (E5xx): unknown school, rule set…"""


@dataclass
class DiagnosticBag:
    """Collects diagnostics so a stage can report every problem at once, then raise."""

    items: list[Diagnostic] = field(default_factory=list)

    def add(self, diagnostic: Diagnostic) -> None:
        self.items.append(diagnostic)

    def error(
        self,
        code: str,
        message: str,
        location: Location = None,
        hint: str | None = None,
        related: tuple[Related, ...] = (),
    ) -> None:
        self.items.append(Diagnostic(code, message, location, hint, related))

    def warning(self, code: str, message: str, location: Location = None, hint: str | None = None) -> None:
        self.items.append(Diagnostic(code, message, location, hint, severity=Severity.WARNING))

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.is_error]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.items if not d.is_error]

    def raise_if_errors(self, kind: type[JunhengError] = RuleError) -> None:
        if self.errors:
            raise kind(self.errors)
