"""Typed columns from the fast CSV reader's pyarrow string columns, with the careful parser's results.

`parse.parse_column` works on object arrays, one Python call per distinct cell. Here a number
column whose every cell is plain ASCII decimal text ("12", "-3", "0.25" or empty) is converted
in C; for those cells Python's float(), which the careful path uses on such a column, and
pyarrow's correctly rounded cast give the same float (the tests check both the grammar and the
rounding). Any other number column goes to `parse_column` unchanged. 是否 and 文本 columns are
dictionary-encoded so each distinct cell still goes through the careful parser once, except
text that `parse_text` would return unchanged, which a regular expression recognises in C.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from engine.facts.parse import Bad, check_numbers, parse_column, parse_text, parse_yes_no
from engine.facts.read import Cell
from engine.facts.spec import TEXT, YES_NO, FieldSpec

#: Bytes of the plain number text converted in C: ASCII digits, "." and "-".
_PLAIN = np.zeros(256, dtype=bool)
_PLAIN[[*b"0123456789.-"]] = True

#: Text that `parse_text` returns as it is: only ASCII digits and CJK ideographs (no missing-value
#: marker is made of those), or longer than any marker (5 characters or more) and starting and
#: ending with a character neither whitespace nor invisible (ASCII letters and digits, CJK).
_UNCHANGED = (r"^(?:[0-9\x{4E00}-\x{9FFF}]+"
              r"|[0-9A-Za-z\x{4E00}-\x{9FFF}](?s:.{3,})[0-9A-Za-z\x{4E00}-\x{9FFF}])$")

Parsed = tuple[np.ndarray, list[tuple[int, Bad]], Callable[[int], Cell]]


def _only_plain_bytes(column: Any) -> bool:
    """Whether every cell of a string column is made of `_PLAIN` bytes (nulls are empty cells)."""
    for chunk in column.chunks:
        if len(chunk) == chunk.null_count:
            continue
        _, offsets, data = chunk.buffers()
        bounds = np.frombuffer(offsets, dtype=np.int32, count=len(chunk) + 1, offset=4 * chunk.offset)
        if data is None or bounds[0] == bounds[-1]:
            continue
        if not _PLAIN[np.frombuffer(data, dtype=np.uint8)[bounds[0]:bounds[-1]]].all():
            return False
    return True


def _plain_numbers(column: Any) -> np.ndarray | None:
    """The column as float64 (NaN for empty cells) when every cell is plain; None otherwise."""
    import pyarrow as pa

    if not _only_plain_bytes(column):
        return None
    try:
        array = np.array(column.cast(pa.float64()).to_numpy())  # writable: the checks mark bad cells NaN
    except pa.ArrowInvalid:  # "1.2.3", "-": the careful parser says what is wrong
        return None
    return None if np.isinf(array).any() else array


def _distinct(column: Any) -> tuple[Any, np.ndarray] | None:
    """Each distinct cell once ("" for empty), as a pyarrow array, and per row the index of its cell there.

    One dictionary for the whole column (unifying per-chunk dictionaries is far slower); None
    if the column is too large to be one array, for the object-array path to take it.
    """
    import pyarrow as pa

    try:
        encoded = column.fill_null("").combine_chunks().dictionary_encode()
    except pa.ArrowException:
        return None
    return encoded.dictionary, encoded.indices.to_numpy()


def _texts(strings: Any) -> np.ndarray:
    """`parse_text` of each cell (None for a null); in C for the many cells it returns unchanged."""
    import pyarrow.compute as pc

    texts = strings.to_numpy(zero_copy_only=False)
    unchanged = pc.match_substring_regex(strings, _UNCHANGED).fill_null(True).to_numpy(zero_copy_only=False)
    done: dict[str, str | None] = {}
    for k in np.flatnonzero(~unchanged):
        cell = texts[k]
        texts[k] = done[cell] if cell in done else done.setdefault(cell, parse_text(cell))
    return texts


def _mostly_distinct(column: Any) -> bool:
    """Whether most cells differ (ids, names): then a dictionary costs more than it saves."""
    import pyarrow.compute as pc

    sample = column.slice(0, 4096)
    return len(sample) > 0 and pc.count_distinct(sample).as_py() > len(sample) // 2


def parse_arrow_column(column: Any, spec: FieldSpec) -> Parsed:
    """A string column → what `parse_column` gives for its cells, and how to get cell i back for messages."""
    if spec.numeric:
        array = _plain_numbers(column)
        if array is None:
            cells = column.fill_null("").to_numpy(zero_copy_only=False)
            return (*parse_column(cells, spec), cells.__getitem__)
        return (*check_numbers(array, [], None, spec), lambda i: column[i].as_py() or "")
    if spec.type == TEXT and _mostly_distinct(column):
        texts = _texts(column)
        return texts, [], lambda i: column[i].as_py() or ""
    found = _distinct(column)
    if found is None:
        cells = column.fill_null("").to_numpy(zero_copy_only=False)
        return (*parse_column(cells, spec), cells.__getitem__)
    distinct, indices = found
    if spec.type == TEXT:
        return _texts(distinct)[indices], [], lambda i: distinct[int(indices[i])].as_py()
    assert spec.type == YES_NO
    cells = distinct.to_pylist()
    flags = [parse_yes_no(c, spec) for c in cells]
    numbers = np.array([np.nan if isinstance(f, Bad) else f for f in flags], dtype=np.float64)
    bad = {k: f for k, f in enumerate(flags) if isinstance(f, Bad)}
    problems: list[tuple[int, Bad]] = []
    if bad:  # in row order, as parse_column lists them
        rows = np.flatnonzero(np.isin(indices, list(bad)))
        problems = [(int(i), bad[int(indices[i])]) for i in rows]
    return numbers[indices], problems, lambda i: cells[indices[i]]
