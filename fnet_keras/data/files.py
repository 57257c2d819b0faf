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
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path

from fnet_keras.data.errors import DataError

GZIP_SUFFIX = ".gz"
_CHUNK_BYTES = 1 << 20


def read_file_bytes(path: str | os.PathLike) -> tuple[bytes, str]:
    """The file's bytes as stored and their hex SHA-256, hashed chunk by chunk as they are read."""
    digest = hashlib.sha256()
    chunks = []
    try:
        with open(path, "rb") as file:
            while chunk := file.read(_CHUNK_BYTES):
                digest.update(chunk)
                chunks.append(chunk)
    except FileNotFoundError:
        raise DataError("no such file", path) from None
    except IsADirectoryError:
        raise DataError("is a directory, expected a file", path) from None
    except OSError as error:
        raise DataError(f"cannot read: {error.strerror}", path) from None
    return b"".join(chunks), digest.hexdigest()


def is_gzip_path(path: str | os.PathLike) -> bool:
    """Whether `path` names a gzip file (by its `.gz` suffix, in any case)."""
    return os.fspath(path).lower().endswith(GZIP_SUFFIX)


def without_gzip_suffix(path: str | os.PathLike) -> Path:
    """`train.tsv.gz` -> `train.tsv`; other paths unchanged."""
    path = Path(path)
    return path.with_suffix("") if is_gzip_path(path) else path


def decompress(data: bytes, path: str | os.PathLike) -> bytes:
    """The content of a file: gunzipped if `path` ends in `.gz`, else `data` itself.

    A truncated or corrupt gzip file (zlib's and gzip's EOFError, zlib.error, BadGzipFile) is a
    DataError naming the file.
    """
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
    """Decodes UTF-8 (dropping a byte-order mark); bad bytes are reported by line and offset.

    For a `.gz` file the offsets count bytes of the decompressed content.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        line_start = data.rfind(b"\n", 0, error.start) + 1
        content = "decompressed content" if is_gzip_path(path) else "file"
        raise DataError(
            f"not valid UTF-8: byte 0x{data[error.start]:02x} at byte offset {error.start} of "
            f"the {content} (offset {error.start - line_start} in the line, counting from 0); "
            f"{_conversion_hint(path)}",
            path,
            line,
        ) from None
    return text[1:] if text.startswith("\ufeff") else text


def _conversion_hint(path: str | os.PathLike) -> str:
    """How to convert a file in a legacy 8-bit encoding (Latin-1 is the common one) to UTF-8 in place,
    keeping the original as FILE.orig (the name stays, so a data directory still finds its split)."""
    import shlex

    name, original = shlex.quote(os.fspath(path)), shlex.quote(os.fspath(path) + ".orig")
    if is_gzip_path(path):
        convert = f"gunzip -c {original} | iconv -f latin1 -t utf8 | gzip > {name}"
    else:
        convert = f"iconv -f latin1 -t utf8 {original} > {name}"
    return (
        f"if it is Latin-1 (Windows-1252: -f cp1252), convert it to UTF-8, keeping the original, with "
        f"`mv {name} {original} && {convert}`"
    )


def read_text(path: str | os.PathLike) -> tuple[str, str]:
    """(the file's text, hex SHA-256 of its bytes on disk): read, gunzip if `.gz`, decode UTF-8."""
    data, sha256 = read_file_bytes(path)
    return decode_utf8(decompress(data, path), path), sha256


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


def walk_files(directory: str | os.PathLike) -> list[tuple[str, str]]:
    """(relative "/"-separated path, path) of every non-hidden file under `directory`.

    Sorted by the relative path's bytes (as the folder digest orders them). Hidden files and
    folders are skipped; symbolic links to folders are not followed (links to files are
    read). A file name holding a line break is refused: it would make the folder digest's
    manifest ambiguous. (Plain strings, not `Path`s: pathlib costs more than the reading
    for a folder of many small files.)
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
    return sorted(found, key=lambda entry: entry[0].encode("utf-8", "surrogateescape"))


def _walk_error(error: OSError) -> None:
    raise DataError(f"cannot list: {error.strerror}", error.filename)
