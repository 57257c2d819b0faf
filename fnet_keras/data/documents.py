"""Plain unlabelled text for pre-training: one document per line, from a file or a folder of files.

Sources:
- a `.txt` file, or a gzipped one (`.txt.gz`): UTF-8, one document per line;
- a folder: every `.txt` and `.txt.gz` file under it (suffix in any case, subfolders
  included, hidden files and folders skipped), in the order of their relative paths (by
  bytes). Other files are ignored with a note in `Documents.notes`.

A document is a line without its line break ("\\n" or "\\r\\n"; nothing else ends a line),
otherwise exactly as in the file. Lines that are empty or only whitespace are skipped. A
byte-order mark at the start of a file is dropped. Non-UTF-8 bytes and truncated or corrupt
gzip data are `DataError`s naming the file (and the line, for bad bytes).

Provenance, as `Dataset.source_info()` does for labelled data: `Documents.source_info()`
records the source, its SHA-256 (of the bytes on disk; for a folder, the folder digest of
`fnet_keras.data.files`, one for the whole folder) and the file and document counts, and
`load_documents_from_info` reads the same documents again, refusing changed data.
"""

from __future__ import annotations

import bisect
import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path

from fnet_keras.data.errors import DataError
from fnet_keras.data.files import (
    GZIP_SUFFIX,
    folder_digest,
    physical_lines,
    read_text,
    walk_files,
)

DOCUMENTS_INFO_VERSION = 1
DOCUMENTS_KIND = "documents"
DOCUMENT_SUFFIXES = (".txt", ".txt" + GZIP_SUFFIX)


@dataclass(frozen=True)
class DocumentFile:
    """One file of a `Documents` source.

    Attributes:
        path: the file's absolute path.
        sha256: hex SHA-256 of its bytes on disk (compressed, for `.gz`).
        documents: how many documents (non-blank lines) it holds.
    """

    path: str
    sha256: str
    documents: int


@dataclass(frozen=True)
class Documents:
    """Unlabelled documents for pre-training, in source order, with their provenance.

    Attributes:
        texts: the documents, one per non-blank line of the source.
        lines: the 1-based line of each document in its file.
        files: the files read, in order; document `i` is in the file whose cumulative
            document count first exceeds `i` (see `location`).
        source: the source as given.
        path: its absolute path (a file or a folder).
        sha256: SHA-256 of the file's bytes on disk, or the folder digest of a folder.
        format: "file" or "folder".
        notes: facts a run should report (files ignored in a folder).

    Example:
    >>> documents = read_documents("../shared/data/imdb/unsup.txt.gz")  # doctest: +SKIP
    >>> len(documents), documents.location(0)  # doctest: +SKIP
    (50000, ('/.../unsup.txt.gz', 1))
    """

    texts: list[str]
    lines: list[int]
    files: tuple[DocumentFile, ...]
    source: str
    path: str
    sha256: str
    format: str
    notes: tuple[str, ...] = ()
    _ends: list[int] = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        if len(self.lines) != len(self.texts):
            raise ValueError("Documents: texts and lines must have the same length")
        ends, total = [], 0
        for file in self.files:
            total += file.documents
            ends.append(total)
        if total != len(self.texts):
            raise ValueError("Documents: the files' document counts must add up to the documents")
        object.__setattr__(self, "_ends", ends)

    def __len__(self) -> int:
        return len(self.texts)

    def location(self, index: int) -> tuple[str, int]:
        """(file path, 1-based line) of document `index`."""
        if not 0 <= index < len(self.texts):
            raise IndexError(f"document index {index} out of range (0 to {len(self.texts) - 1})")
        return self.files[bisect.bisect_right(self._ends, index)].path, self.lines[index]

    def source_info(self) -> dict:
        """JSON-serialisable provenance for a run's config.json; see `load_documents_from_info`."""
        return {
            "version": DOCUMENTS_INFO_VERSION,
            "kind": DOCUMENTS_KIND,
            "source": self.source,
            "path": self.path,
            "format": self.format,
            "sha256": self.sha256,
            "files": len(self.files),
            "documents": len(self.texts),
        }


def read_documents(source: str | os.PathLike) -> Documents:
    """Reads documents, one per non-blank line, from a `.txt`/`.txt.gz` file or a folder of them.

    Args:
        source: the file or folder (rules: module docstring).

    Raises:
        DataError: naming the file (and line) at fault, or the source when it holds no document.
    """
    path = Path(source)
    notes: list[str] = []
    if path.is_dir():
        found = walk_files(path)
        chosen = [
            (relative, file) for relative, file in found if relative.lower().endswith(DOCUMENT_SUFFIXES)
        ]
        ignored = [relative for relative, _ in found if not relative.lower().endswith(DOCUMENT_SUFFIXES)]
        if ignored:
            shown = ", ".join(ignored[:5]) + (f" and {len(ignored) - 5} more" if len(ignored) > 5 else "")
            notes.append(f"{path}: ignored {len(ignored)} file(s) not ending in .txt or .txt.gz ({shown})")
        if not chosen:
            raise DataError("no .txt or .txt.gz files in this folder", path)
        files = [(relative, _read_file(file)) for relative, file in chosen]
        sha256 = folder_digest((relative, read.file.sha256) for relative, read in files)
        reads = [read for _, read in files]
        kind = "folder"
    elif path.exists():
        if not path.name.lower().endswith(DOCUMENT_SUFFIXES):
            raise DataError("expected a .txt or .txt.gz file (one document per line) or a folder", path)
        reads = [_read_file(path)]
        sha256, kind = reads[0].file.sha256, "file"
    else:
        raise DataError("no such file or directory", path)
    texts = [text for read in reads for text in read.texts]
    if not texts:
        raise DataError("no documents: every line is empty", path)
    return Documents(
        texts=texts,
        lines=[line for read in reads for line in read.lines],
        files=tuple(read.file for read in reads),
        source=os.fspath(source),
        path=os.path.abspath(path),
        sha256=sha256,
        format=kind,
        notes=tuple(notes),
    )


def load_documents_from_info(info: dict, verify_hashes: bool = True) -> Documents:
    """Reads again the documents `Documents.source_info()` described.

    Args:
        info: a dict from `source_info()` (e.g. read back from a run's config.json).
        verify_hashes: if True, changed data (SHA-256 or digest) is an error; if False it is
            read anyway and the difference is added to `notes`.

    Raises:
        DataError: the source is missing or changed (naming both hashes).
    """
    if (
        not isinstance(info, dict)
        or info.get("version") != DOCUMENTS_INFO_VERSION
        or info.get("kind") != DOCUMENTS_KIND
        or not isinstance(info.get("path"), str)
    ):
        raise DataError(
            f"not a documents source_info (expected version {DOCUMENTS_INFO_VERSION}, kind documents)"
        )
    try:
        documents = read_documents(info["path"])
    except DataError as error:
        raise DataError(
            f"{error.reason} (the documents recorded in the run)", error.path, error.line
        ) from None
    notes = list(documents.notes)
    differences = []
    if documents.sha256 != info.get("sha256"):
        differences.append(f"SHA-256 was {info.get('sha256')}, now {documents.sha256}")
    if len(documents) != info.get("documents"):
        differences.append(f"now {len(documents)} documents, recorded {info.get('documents')}")
    if differences:
        reason = f"the documents changed since they were recorded: {'; '.join(differences)}"
        if verify_hashes:
            raise DataError(reason, documents.path)
        notes.append(f"{documents.path}: {reason} (hash check disabled)")
    return dataclasses.replace(documents, source=info.get("source", documents.source), notes=tuple(notes))


@dataclass(frozen=True)
class _FileRead:
    file: DocumentFile
    texts: list[str]
    lines: list[int]


def _read_file(path: Path) -> _FileRead:
    text, sha256 = read_text(path)
    texts, lines = [], []
    for number, line in physical_lines(text):
        if line and not line.isspace():
            texts.append(line)
            lines.append(number)
    return _FileRead(DocumentFile(os.path.abspath(path), sha256, len(texts)), texts, lines)
