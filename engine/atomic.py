"""Writing an output file all at once or not at all (the CLI's -o, `junheng sample`).

The bytes go to a temporary file beside the target, are synced, and are renamed into place only
when the writing succeeded, so a failed run never leaves half a file; an existing file keeps its
mode. A device or pipe is written straight through.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO


def file_mode(path: Path) -> int:
    """Keep an existing file's mode; a new file gets the usual 0666 less the umask."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _is_stream(path: Path) -> bool:
    try:
        st = os.stat(path)
    except OSError:
        return False
    return stat.S_ISCHR(st.st_mode) or stat.S_ISFIFO(st.st_mode) or stat.S_ISSOCK(st.st_mode)


@contextmanager
def atomic_output(path: Path) -> Iterator[IO[bytes]]:
    """A file to write `path` through: a temporary file beside it, synced and renamed into
    place only when the block succeeds, so a failed run never leaves half a file.

    A device or pipe (`-o /dev/null`, `-o /dev/stdout`) is written straight through: renaming a
    file over it would replace the device itself.
    """
    if _is_stream(path):
        with open(path, "wb") as stream:
            yield stream
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, file_mode(path))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_atomic(path: Path, data: bytes) -> None:
    with atomic_output(path) as fh:
        fh.write(data)
