"""Bytes on disk to text: reading with a hash, gzip, UTF-8, lines, and the digest of a folder.

Shared by every reader in `fnet_keras.data` (labelled splits, class folders, documents).
Provenance always hashes the bytes *on disk*: a `.gz` file's SHA-256 is that of its
compressed bytes, so `sha256sum train.tsv.gz` gives the recorded value.

Folder digest. A folder source (a class folder, a folder of documents) records one digest,
the SHA-256 of a manifest in the format of `sha256sum`: one line per file read,
`<hex SHA-256 of the file's bytes>  <path relative to the folder, "/"-separated>\\n`, lines
ordered by the path's bytes (UTF-8 here). So, for the files read, from inside the folder:
`LC_ALL=C sort`-ed paths through `sha256sum` and the output through `sha256sum` again gives
the same digest. It changes when a file read changes, is added, removed or renamed.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shlex
import zlib
from collections.abc import Iterable, Iterator, Sequence

from fnet_keras.data.errors import DataError

GZIP_SUFFIX = ".gz"


def read_file_bytes(path: str | os.PathLike) -> tuple[bytes, str]:
    """The file's bytes as stored and their hex SHA-256."""
    try:
        with open(path, "rb") as file:
            data = file.read()
    except FileNotFoundError:
        raise DataError("no such file", path) from None
    except IsADirectoryError:
        raise DataError("is a directory, expected a file", path) from None
    except OSError as error:
        raise DataError(f"cannot read: {error.strerror}", path) from None
    return data, hashlib.sha256(data).hexdigest()


def is_gzip_path(path: str | os.PathLike) -> bool:
    """Whether `path` names a gzip file (by its `.gz` suffix, in any case)."""
    return os.fspath(path).lower().endswith(GZIP_SUFFIX)


def decompress(data: bytes, path: str | os.PathLike) -> bytes:
    """The content of a file: gunzipped if `path` ends in `.gz`, else `data` itself."""
    if not is_gzip_path(path):
        return data
    try:
        return gzip.decompress(data)
    except EOFError:
        raise DataError(
            "truncated gzip file: the compressed data ends before its end marker (an interrupted "
            "download or copy?)",
            path,
        ) from None
    except (zlib.error, gzip.BadGzipFile) as error:
        raise DataError(f"corrupt gzip file: {error}", path) from None


def decode_utf8(data: bytes, path: str | os.PathLike) -> str:
    """Decodes UTF-8 (dropping a byte-order mark); bad bytes are reported by line and offset (of the
    decompressed content, for a `.gz` file), with how to convert a Latin-1 file."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        line_start = data.rfind(b"\n", 0, error.start) + 1
        content = "decompressed content" if is_gzip_path(path) else "file"
        # The converted file keeps the name, so a data directory still finds its split.
        name, original = shlex.quote(os.fspath(path)), shlex.quote(os.fspath(path) + ".orig")
        convert = f"iconv -f latin1 -t utf8 {original} > {name}"
        if is_gzip_path(path):
            convert = f"gunzip -c {original} | iconv -f latin1 -t utf8 | gzip > {name}"
        raise DataError(
            f"not valid UTF-8: byte 0x{data[error.start]:02x} at byte offset {error.start} of "
            f"the {content} (offset {error.start - line_start} in the line, counting from 0); "
            f"if it is Latin-1 (Windows-1252: -f cp1252), convert it to UTF-8, keeping the original, "
            f"with `mv {name} {original} && {convert}`",
            path,
            line,
        ) from None
    return text[1:] if text.startswith("\ufeff") else text


def physical_lines(text: str) -> Iterator[tuple[int, str]]:
    """(1-based line number, line without its line break); only "\\n" (or "\\r\\n") ends a line."""
    pieces = text.split("\n")
    if pieces and pieces[-1] == "":
        pieces.pop()
    for number, line in enumerate(pieces, start=1):
        yield number, line[:-1] if line.endswith("\r") else line


def folder_digest(files: Iterable[tuple[str, str]]) -> str:
    """The folder digest (module docstring) of `(relative path, hex SHA-256)` pairs, any order."""
    entries = sorted((relative.encode("utf-8", "surrogateescape"), sha256) for relative, sha256 in files)
    manifest = b"".join(sha256.encode("ascii") + b"  " + relative + b"\n" for relative, sha256 in entries)
    return hashlib.sha256(manifest).hexdigest()


def is_hidden(name: str) -> bool:
    """Hidden files and folders (a leading "."), which folder sources skip."""
    return name.startswith(".")


def some_names(names: Sequence[str], shown: int = 5) -> str:
    """The first `shown` names, and how many more, for notes and errors."""
    return ", ".join(names[:shown]) + (f" and {len(names) - shown} more" if len(names) > shown else "")


def ignored_note(folder: str | os.PathLike, why: str, names: Sequence[str]) -> str:
    return f"{folder}: ignored {len(names)} file(s) {why} ({some_names(names)})"


def walk_files(
    directory: str | os.PathLike, suffixes: tuple[str, ...], described: str
) -> tuple[list[tuple[str, str]], list[str]]:
    """((relative "/"-separated path, path) of each file under `directory` ending in one of
    `suffixes`, in any case, sorted by the relative path's bytes; a note naming the other files).

    Hidden files and folders are skipped; links to folders are not followed (links to files
    are read). A file name with a line break would make the folder digest's manifest ambiguous,
    so it is refused. (Plain strings: pathlib costs more than reading many small files.)
    """
    top = os.fspath(directory)
    found = []
    for root, folders, names in os.walk(top, onerror=_walk_error):
        folders[:] = [name for name in folders if not is_hidden(name)]
        prefix = os.path.relpath(root, top).replace(os.sep, "/") + "/" if root != top else ""
        for name in names:
            if is_hidden(name):
                continue
            relative = prefix + name
            if "\n" in relative or "\r" in relative:
                raise DataError("a file name with a line break is not supported", os.path.join(root, name))
            found.append((relative, os.path.join(root, name)))
    found.sort(key=lambda entry: entry[0].encode("utf-8", "surrogateescape"))
    ignored = [relative for relative, _ in found if not relative.lower().endswith(suffixes)]
    chosen = [entry for entry in found if entry[0].lower().endswith(suffixes)]
    return chosen, [ignored_note(directory, f"not ending in {described}", ignored)] if ignored else []


def _walk_error(error: OSError) -> None:
    raise DataError(f"cannot list: {error.strerror}", error.filename)
