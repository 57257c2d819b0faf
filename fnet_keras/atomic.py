"""Atomic file writes: a temporary name in the same directory, then `os.replace`.

A killed process never leaves a half-written file under its final name. Temporary names
are opened with `open()` (mode 0666 less the umask), not `mkstemp` (0600), so the final
file has the permissions a user expects. Pure Python: the edge runtime uses it too.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike) -> Iterator[Path]:
    """Yields a temporary path next to `path` (same suffix); moves it onto `path` on success.

    On an exception the temporary file is removed and `path` is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.stem}.{secrets.token_hex(4)}.tmp{path.suffix}")
    try:
        yield temp
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)


def write_synced(path: str | os.PathLike, data: bytes) -> None:
    """Writes `data` to `path` and flushes it to disk (for files a rename then moves into place)."""
    with open(path, "wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> Path:
    """Writes `data` to `path` atomically (flushed to disk before the rename)."""
    with atomic_output(path) as temp:
        write_synced(temp, data)
    return Path(path)


def write_text_atomic(path: str | os.PathLike, text: str) -> Path:
    """Writes `text` as UTF-8 to `path` atomically."""
    return write_bytes_atomic(path, text.encode("utf-8"))


def default_mode(directory: bool = False) -> int:
    """The mode a new file (0666) or directory (0777) gets under the current umask."""
    umask = os.umask(0)
    os.umask(umask)
    return (0o777 if directory else 0o666) & ~umask


def utc_timestamp() -> str:
    """Now as ISO-8601 UTC to the second, e.g. "2026-11-30T03:12:48Z" (what reports record)."""
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def install_directory(temp_dir: str | os.PathLike, out_dir: str | os.PathLike) -> None:
    """Renames the finished `temp_dir` (a sibling of `out_dir`) to `out_dir`. An existing `out_dir`
    is moved aside first, restored if the rename fails, and deleted after: a reader sees the old
    directory or the new one, never a mix. `out_dir` gets the mode a new directory gets under the
    umask (e.g. 0755 under 022), not `tempfile.mkdtemp`'s private 0700."""
    temp_dir, out_dir = Path(temp_dir), Path(out_dir)
    os.chmod(temp_dir, default_mode(directory=True))
    if not out_dir.exists():
        os.rename(temp_dir, out_dir)
        return
    backup = Path(tempfile.mkdtemp(dir=out_dir.parent, prefix=f".{out_dir.name}.", suffix=".old"))
    os.rmdir(backup)
    os.rename(out_dir, backup)
    try:
        os.rename(temp_dir, out_dir)
    except BaseException:
        os.rename(backup, out_dir)
        raise
    shutil.rmtree(backup, ignore_errors=True)
