"""Result rows straight to JSON bytes, column by column: the large (compact) path of `write_json`.

A national run is millions of rows. Building a dict per row and handing it to an encoder took
longer than evaluating; here a row is two shared byte strings: its frame row's labels
(`{"对象":…,"学段":…,`, built once per frame) and its item's part (`"编号":…,"值":…,"结论":…},`),
built once per distinct (value, requirement, verdict), numbers formatted with NumPy. The
bytes are exactly what `write_json` writes from `result_rows` (tests compare the two).
"""

from __future__ import annotations

import io
import itertools
import json
import os
import queue
import threading
from collections.abc import Callable, Iterator
from typing import IO, Any

import numpy as np
import orjson

from engine.interpreter import ast as A
from engine.interpreter.evaluate import ItemResult, Results
from engine.interpreter.frames import DATA_MISSING, OK, VERDICT_TEXT
from engine.render.numbers import exact_string
from engine.render.rows import (
    OBJECT,
    _is_bool,
    conclusion_requirement,
    label_sources,
    missing_fields,
    requirement_text,
    result_rows,
    write_json,
)

CHUNK = 20000  # rows per orjson call in `write_json`: a line break follows each chunk
BLOCK = 16384  # rows per write (~5 MB): few hand-overs to the writer, small enough for malloc to reuse
NULL = b"null"
LABELS = ("县区", "学校标识码", "学校名称", "学段")
Item = A.Indicator | A.Conclusion


def row_count(results: Results) -> int:
    return sum(len(results.items[name].verdict) for name in results.checked.ruleset.items)


def write_results_json(out: IO[bytes] | IO[str], header: dict[str, Any], results: Results, pretty_limit: int = 10000,
                       rows: Callable[[Results], Iterator[dict[str, Any]]] = result_rows) -> None:
    """The document `write_json(out, header, rows(results))` writes: UTF-8 bytes to a binary
    file, text to a text stream (stdout keeps its own encoding and line ends).

    Small results go through `write_json` itself (indented for people); large ones are
    assembled here. `rows` renders the small path (the CLI passes its own, to stay swappable).
    """
    text = isinstance(out, io.TextIOBase)
    if row_count(results) <= pretty_limit:
        doc = io.StringIO()
        write_json(doc, header, rows(results), pretty_limit)
        out.write(doc.getvalue() if text else doc.getvalue().encode("utf-8"))  # type: ignore[arg-type]
        return
    sink: IO[bytes] = _Decoding(out) if text else out  # type: ignore[assignment,arg-type]
    write_behind(sink, json_blocks(header, results, pretty_limit + 1))


class _Decoding:
    """Bytes to a text stream."""

    def __init__(self, out: IO[str]) -> None:
        self.out = out

    def write(self, block: bytes) -> int:
        return self.out.write(block.decode("utf-8"))


def write_behind(out: IO[bytes], blocks: Iterator[bytes], depth: int = 8) -> None:
    """Write the blocks from a second thread while the next ones are built.

    Copying a gigabyte into the page cache costs about as much as building it, and a write
    releases the GIL, so the two overlap on a second core. The writer's error (a full disk)
    is raised here; an error here (Ctrl-C) stops the writer before it is raised.
    """
    pending: queue.Queue[bytes | None] = queue.Queue(depth)
    failed: list[BaseException] = []
    abandoned = threading.Event()

    def drain() -> None:
        release = _releaser(out)
        while (block := pending.get()) is not None:
            if not failed and not abandoned.is_set():
                try:
                    out.write(block)
                    release(len(block))
                except BaseException as e:  # handed to the caller's thread
                    failed.append(e)

    writer = threading.Thread(target=drain, name="json-writer", daemon=True)
    writer.start()
    try:
        for block in blocks:
            if failed:
                break
            pending.put(block)
    except BaseException:
        abandoned.set()  # the blocks still queued are not worth writing
        raise
    finally:
        pending.put(None)
        writer.join()
    if failed:
        raise failed[0]


RELEASE = 64 << 20


def _releaser(out: IO[bytes]) -> Callable[[int], None]:
    """For a file on disk: every RELEASE bytes, start writing them out and let the page cache
    drop them (Linux). Left to the final fsync, a gigabyte took another half second to write,
    and fresh page-cache pages cost a fault each; dropped ones are reused.
    """
    try:
        fd, start = out.fileno(), out.tell()
    except (AttributeError, OSError, ValueError):  # not a file (io.UnsupportedOperation is an OSError)
        return lambda n: None
    advise = getattr(os, "posix_fadvise", None)
    if advise is None:
        return lambda n: None
    done = [start, start]  # released up to, written up to

    def release(n: int) -> None:
        done[1] += n
        if done[1] - done[0] >= RELEASE:
            out.flush()
            advise(fd, done[0], done[1] - done[0], os.POSIX_FADV_DONTNEED)
            done[0] = done[1]

    return release


def json_blocks(header: dict[str, Any], results: Results, first_chunk: int) -> Iterator[bytes]:
    """The compact document in blocks of at most BLOCK rows: header, rows, end.

    `write_json` breaks the line after its first chunk of `first_chunk` rows and after every
    CHUNK rows from then on; rows are otherwise separated by a bare comma.
    """
    text = json.dumps(header, ensure_ascii=False, separators=(",", ":"))
    yield (text[:-1] + ',"结果":[\n').encode("utf-8")
    total = row_count(results)
    prefixes: dict[str, np.ndarray] = {}
    encoded: dict[int, np.ndarray] = {}
    done = 0
    for name, entry in results.checked.ruleset.items.items():
        item = results.items[name]
        n = len(item.verdict)
        if n == 0:
            continue
        if item.fkey not in prefixes:
            prefixes[item.fkey] = _prefixes(results, item.fkey, encoded)
        bodies = _bodies(results, name, entry.decl, item)
        ends = np.arange(done + 1, done + n + 1)
        for i in np.flatnonzero((ends >= first_chunk) & ((ends - first_chunk) % CHUNK == 0)).tolist():
            bodies[i] += b"\n"
        done += n
        if done == total:  # no separator after the last row
            bodies[n - 1] = bodies[n - 1][: bodies[n - 1].rindex(b"}") + 1]
        pieces = np.empty((n, 2), dtype=object)
        pieces[:, 0] = prefixes[item.fkey]
        pieces[:, 1] = bodies
        del bodies
        for start in range(0, n, BLOCK):
            yield b"".join(pieces[start:start + BLOCK].ravel().tolist())
    yield b"\n]}"


# ---------------------------------------------------------------- labels


def encode_strings(values: np.ndarray) -> np.ndarray:
    """orjson's encoding of each value (of str(value); null for None), per row.

    A column of few values (学段) encodes those once; any other in one orjson call.
    """
    texts = [v if v is None or type(v) is str else str(v) for v in values.tolist()]
    if len(set(texts[:1000])) > 100 or 4 * len(distinct := dict.fromkeys(texts)) >= len(texts):
        return _encode(texts)
    keys = list(distinct)
    position = dict(zip(keys, range(len(keys)), strict=True))
    return _encode(keys)[np.fromiter(map(position.__getitem__, texts), dtype=np.int64, count=len(texts))]


def _encode(texts: list[str | None]) -> np.ndarray:
    """One orjson call for a whole list, split apart again.

    A call per string is slow and, worse, orjson gives every small result a large allocation
    (a national run's labels alone then took gigabytes). In an encoded list of strings '","'
    occurs only between elements, as a quote inside a string is always escaped (\\").
    """
    out = _objects(texts)
    if texts:
        nulls = out == None  # noqa: E711
        text = orjson.dumps(["" if t is None else t for t in texts])
        out[:] = text[1:-1].replace(b'","', b'"\n"').split(b"\n")
        out[nulls] = NULL
    return out


def _join_rows(parts: list[np.ndarray | bytes], n: int) -> np.ndarray:
    """Each row's parts (per-row arrays or constants) joined into one byte string per row."""
    merged: list[np.ndarray | bytes] = []
    for part in parts:  # adjacent constants as one
        if isinstance(part, bytes) and merged and isinstance(merged[-1], bytes):
            merged[-1] += part
        else:
            merged.append(part)
    grid = np.empty((n, len(merged) + 1), dtype=object)
    for j, part in enumerate(merged):
        grid[:, j] = part
    grid[:, -1] = b"\n"  # never inside encoded JSON, so it splits the rows apart again
    out = np.empty(n, dtype=object)
    for start in range(0, n, BLOCK):
        out[start:start + BLOCK] = b"".join(grid[start:start + BLOCK].ravel().tolist()).split(b"\n")[:-1]
    return out


def _prefixes(results: Results, fkey: str, encoded: dict[int, np.ndarray]) -> np.ndarray:
    """Every row's `{"对象":…,"县区":…,"学校标识码":…,"学校名称":…,"学段":…,` for one frame.

    `encoded`: label columns already encoded for another frame (school names serve two), by id.
    """
    parts: list[np.ndarray | bytes] = ['{"对象":'.encode() + orjson.dumps(OBJECT[fkey])]
    for key, (values, index) in zip(LABELS, label_sources(results, fkey).values(), strict=True):
        parts.append(f',"{key}":'.encode())
        if values is None:
            parts.append(NULL)
        else:
            if id(values) not in encoded:
                encoded[id(values)] = encode_strings(values)
            parts.append(encoded[id(values)] if index is None else encoded[id(values)][index])
    parts.append(b",")
    return _join_rows(parts, results.env.frames[fkey].n)


# ---------------------------------------------------------------- item parts


def _bodies(results: Results, name: str, decl: Item, item: ItemResult) -> np.ndarray:
    """Every row's `"编号":…,"名称":…,"值":…,"要求":…,"结论":…}` and the comma after it
    (with 缺失字段 before the brace for an indicator's 数据缺失 rows)."""
    head = b"".join(['"编号":'.encode(), orjson.dumps(name), ',"名称":'.encode(), orjson.dumps(decl.title or name),
                     ',"值":'.encode()])
    tails, tail = _tails(decl, item)
    n = len(item.verdict)
    values = [NULL]  # the value's JSON by code: null, then per kind
    if not isinstance(decl, A.Indicator):
        code = np.zeros(n, dtype=np.int64)
    elif item.col.v.dtype == object:
        given = item.col.v.copy()
        given[item.col.s != OK] = None
        texts = encode_strings(given)
        out = _join_rows([head, texts, _objects(tails)[tail]], n)
        return _missing(results, name, decl, item, out, lambda row: head + texts[row], tails, tail)
    elif _is_bool(results, decl):
        values += [orjson.dumps("否"), orjson.dumps("是")]
        code = np.where(item.col.s == OK, 1 + (item.col.v != 0), 0)
    else:
        return _number_bodies(results, name, decl, item, head, tails, tail)
    table = _objects([head + v + t for v in values for t in tails])
    out = table[code * len(tails) + tail]
    return _missing(results, name, decl, item, out, lambda row: head + values[code[row]], tails, tail)


def _tails(decl: Item, item: ItemResult) -> tuple[list[bytes], np.ndarray]:
    """The distinct `,"要求":…,"结论":…},` and each row's index into them."""
    verdicts = [',"结论":'.encode() + orjson.dumps(VERDICT_TEXT[c]) for c in range(4)]
    if isinstance(decl, A.Indicator):
        t = item.threshold
        if len(t) and bool((t == t[0]).all()):  # usually one threshold for all rows: skip the sort
            uniq, inverse = t[:1], np.zeros(len(t), dtype=np.int64)
        else:
            uniq, inverse = np.unique(t, return_inverse=True)
        reqs = [requirement_text(decl, float(u), item) for u in uniq]
        index = inverse.ravel() * 4 + item.verdict
    else:
        reqs = [conclusion_requirement(decl)]
        index = item.verdict.astype(np.int64)
    return [',"要求":'.encode() + orjson.dumps(r) + v + b"}," for r in reqs for v in verdicts], index


def _missing(results: Results, name: str, decl: Item, item: ItemResult, out: np.ndarray,
             middle: Callable[[int], bytes], tails: list[bytes], tail: np.ndarray) -> np.ndarray:
    """An indicator's 数据缺失 rows (few) carry the facts they lacked, as `result_rows` gives them."""
    if isinstance(decl, A.Indicator):
        for row in np.flatnonzero(item.verdict == DATA_MISSING).tolist():
            fields = orjson.dumps(missing_fields(results, name, row))
            out[row] = middle(row) + tails[tail[row]][:-2] + ',"缺失字段":'.encode() + fields + b"},"
    return out


def _number_bodies(results: Results, name: str, decl: Item, item: ItemResult, head: bytes,
                   tails: list[bytes], tail: np.ndarray) -> np.ndarray:
    """A numeric indicator's rows: values as `exact_string` writes them, each distinct
    (value, tail) formatted once, in bulk (a ratio column repeats less than a count of rooms,
    but the sort costs less than formatting the repeats)."""
    v = item.col.v
    ok = item.col.s == OK
    out = _objects([head + NULL + t for t in tails])[tail]
    rows = np.flatnonzero(ok)
    uniq, inverse = np.unique(v[rows], return_inverse=True)
    key = inverse.ravel() * len(tails) + tail[rows]
    seen = np.zeros(len(uniq) * len(tails), dtype=bool)
    seen[key] = True
    pairs = np.flatnonzero(seen)
    texts = _decimal_bodies(uniq[pairs // len(tails)], head, tails, pairs % len(tails))
    out[rows] = texts[(np.cumsum(seen) - 1)[key]]

    def middle(row: int) -> bytes:
        text = exact_string(float(v[row])) if ok[row] else None
        return head + (NULL if text is None else b'"' + text.encode("ascii") + b'"')

    return _missing(results, name, decl, item, out, middle, tails, tail)


def _objects(entries: list[Any]) -> np.ndarray:
    """A 1-d object array of the entries (np.array would look inside sequences)."""
    out = np.empty(len(entries), dtype=object)
    out[:] = entries
    return out


def _decimal_bodies(x: np.ndarray, head: bytes, tails: list[bytes], tail: np.ndarray) -> np.ndarray:
    """head + the JSON string of `exact_string(v)` + tails[t] for each float v, vectorized.

    exact_string rounds the shortest decimal repr half-up at 6 places. The binary value scaled
    by 10**6 lies within a few ulps of that decimal scaled, so rounding it agrees except within a
    hair of a half; those (and huge, NaN or infinite values) are left to exact_string itself.
    Work goes in slices through one buffer: fresh large arrays cost a page fault a page.
    """
    m = len(head)
    rows = np.empty((min(SLICE, len(x)), m + VALUE_WIDTH + max(len(t) for t in tails)), dtype=np.uint8)
    rows[:, :m] = np.frombuffer(head, dtype=np.uint8)
    out = np.empty(len(x), dtype=object)
    for start in range(0, len(x), SLICE):
        k = min(SLICE, len(x) - start)
        out[start:start + k] = _decimal_slice(x[start:start + k], tails, tail[start:start + k], rows[:k], m)
    return out


VALUE_WIDTH = 20  # quotes, sign, 10 digits (values under 10**9; others are odd), point, 6 places
SLICE = 8192


def _decimal_slice(x: np.ndarray, tails: list[bytes], tail: np.ndarray, rows: np.ndarray, m: int) -> np.ndarray:
    """`_decimal_bodies` for one slice, written into `rows` after the head (columns :m)."""
    with np.errstate(invalid="ignore"):
        y = np.abs(x) * 1e6
        fl = np.floor(y)
        r = y - fl
        odd = ~(y < 1e15) | (np.abs(r - 0.5) <= y * 2.0**-45 + 1e-12)
    k = np.where(odd, 0, fl + (r > 0.5)).astype(np.int64)
    ip = k // 1000000
    fr = k - ip * 1000000
    nf = np.full(len(x), 6, dtype=np.int64)  # digits after the point, trailing zeros dropped
    for e in (10, 100, 1000, 10**4, 10**5, 10**6):
        nf -= fr % e == 0
    nd = np.ones(len(x), dtype=np.int64)  # digits before it
    e = 10
    while (more := ip >= e).any():
        nd += more
        e *= 10
    frac = nf > 0
    neg = (x < 0) & (k > 0)
    count = nd + nf + frac  # characters between the quotes, but for the sign
    # rows of one text length and tail are alike: sorted together, each group is a block
    key = (count + neg) * len(tails) + tail
    order = np.argsort(key, kind="stable")
    key = key[order]
    nf, count, frac, neg = nf[order], count[order], frac[order], neg[order]
    digits = (ip[order] * _P10[nf] + fr[order] // _P10[6 - nf]).astype(np.uint64)  # all digits as one number
    # the characters right-aligned: column c holds digit j = cols-1-c of `digits` (digit j - 1
    # once past the point), the point, or nothing
    cols = int(count.max())
    d = np.empty((len(x), cols + 1), dtype=np.uint8)
    d[:, cols] = 0
    for c in range(cols - 1, -1, -1):
        q = digits // np.uint64(10)
        d[:, c] = digits - q * np.uint64(10)
        digits = q
    j = np.arange(cols - 1, -1, -1)
    ch = np.where(frac[:, None] & (j > nf[:, None]), d[:, 1:], d[:, :-1]) + 48
    ch[frac[:, None] & (j == nf[:, None])] = 46
    ch[j >= count[:, None]] = 0
    rows[:, m:] = 0
    rows[:, m] = 34
    bounds = [0, *(np.flatnonzero(np.diff(key)) + 1).tolist(), len(x)]
    for a, b in itertools.pairwise(bounds):
        length, code = divmod(int(key[a]), len(tails))
        w = min(length, cols)
        rows[a:b, m + 1 + length - w:m + 1 + length] = ch[a:b, cols - w:]
        rows[a:b, m + 1 + length] = 34
        rows[a:b, m + 2 + length:m + 2 + length + len(tails[code])] = np.frombuffer(tails[code], dtype=np.uint8)
    rows[neg, m + 1] = 45
    out = np.empty(len(x), dtype=object)
    out[order] = _objects(rows.view(f"S{rows.shape[1]}").ravel().tolist())
    head = rows[0, :m].tobytes()
    for i in np.flatnonzero(odd).tolist():
        out[i] = _exact_body(float(x[i]), head, tails[tail[i]])
    return out


def _exact_body(value: float, head: bytes, tail: bytes) -> bytes:
    text = exact_string(value)
    return head + (NULL if text is None else b'"' + text.encode("ascii") + b'"') + tail


_P10 = 10 ** np.arange(19, dtype=np.int64)
