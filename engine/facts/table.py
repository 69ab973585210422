"""The loaded facts: one `Table` per entity (columns as numpy arrays) and the `Facts` pair."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from engine.interpreter.errors import Diagnostic


@dataclass
class Table:
    """One facts table, column-wise.

    整数/数值/是否 columns are float64 (NaN = empty; 是否 is 1.0 / 0.0); 文本 columns and
    columns no rule declares are object arrays of str (None = empty). `row_numbers` holds each
    record's 1-based row in the file (header = 1 for csv/xlsx; the list index for JSON).
    """

    entity: str
    source: str
    n: int
    columns: dict[str, np.ndarray]
    row_numbers: np.ndarray
    missing_columns: tuple[str, ...] = ()
    sheet: str | None = None  # the xlsx sheet read, if any

    def row_of(self, index: int) -> int:
        """The file row of the record at `index` (0-based position in the arrays)."""
        return int(self.row_numbers[index])


@dataclass
class Facts:
    """The schools table, the counties table (when given) and the loader's warnings."""

    schools: Table
    counties: Table | None
    warnings: list[Diagnostic] = field(default_factory=list)
