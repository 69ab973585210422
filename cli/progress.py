"""A progress display on stderr for long runs (national data takes seconds, not milliseconds).

Shown only when stderr is a terminal, and only once a run has lasted a second: short runs,
pipes and CI logs stay clean. The display is rich's; nothing is drawn until the timer fires,
and it is removed when the run ends (transient), so the command's own output is unchanged.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

DELAY_S = 1.0


class Progress:
    """Stages of one command run, each with an optional count of steps."""

    def __init__(self, enabled: bool | None = None, delay: float = DELAY_S, console: Any = None) -> None:
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.delay = delay
        self._bar: Any = None
        self._timer: threading.Timer | None = None
        self._lock = threading.Lock()
        self._shown = False
        if self.enabled:
            # rich is imported only for a terminal: a pipe or CI run does not pay for it
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, SpinnerColumn, TextColumn, TimeElapsedColumn
            from rich.progress import Progress as RichProgress

            self._bar = RichProgress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                                     MofNCompleteColumn(), TimeElapsedColumn(),
                                     console=console or Console(stderr=True), transient=True,
                                     # stdout stays the command's own: never routed through the display
                                     redirect_stdout=False, redirect_stderr=False)

    def __enter__(self) -> Progress:
        if self._bar is not None:
            self._timer = threading.Timer(self.delay, self._show)
            self._timer.daemon = True
            self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._timer is not None:
            self._timer.cancel()
        with self._lock:
            if self._shown:
                self._bar.stop()
                self._shown = False

    def _show(self) -> None:
        with self._lock:
            if not self._shown:
                self._bar.start()
                self._shown = True

    @contextmanager
    def stage(self, description: str, total: int | None = None) -> Iterator[Callable[[int], None]]:
        """A stage of the run; yields `advance(n)` for stages with a known number of steps."""
        if self._bar is None:
            yield _ignore
            return
        task = self._bar.add_task(description, total=total)

        def advance(n: int = 1) -> None:
            self._bar.advance(task, n)

        try:
            yield advance
        finally:
            self._bar.update(task, completed=total if total is not None else 1, total=total or 1)


def _ignore(n: int = 1) -> None:
    return None
