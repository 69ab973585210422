"""The check both fast readers' differential tests use: two loaded tables are the same."""

from __future__ import annotations

import numpy as np

from engine.facts.table import Table


def assert_same_table(fast: Table, careful: Table) -> None:
    assert (fast.entity, fast.source, fast.n, fast.sheet) == (careful.entity, careful.source, careful.n, careful.sheet)
    assert fast.missing_columns == careful.missing_columns
    assert fast.row_numbers.dtype == careful.row_numbers.dtype
    assert fast.row_numbers.tolist() == careful.row_numbers.tolist()
    assert list(fast.columns) == list(careful.columns)
    for name, a in fast.columns.items():
        b = careful.columns[name]
        assert (a.dtype, a.shape) == (b.dtype, b.shape), name
        if a.dtype == np.float64:
            assert a.tobytes() == b.tobytes(), name  # bit for bit: NaN where NaN, never -0.0 for 0.0
        else:
            assert [type(v) for v in a] == [type(v) for v in b], name
            assert a.tolist() == b.tolist(), name
