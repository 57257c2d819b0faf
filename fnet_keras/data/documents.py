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

Provenance: `Documents.source_info()` records the source, its SHA-256 (for a folder, the folder
digest of `fnet_keras.data.files`) and the file and document counts, and
`load_documents_from_info` reads the same documents again, refusing changed data.
"""

from __future__ import annotations

import bisect
import dataclasses
import itertools
import os
from dataclasses import dataclass, field
from pathlib import Path

from fnet_keras.data.errors import DataError, recorded_error, report_change
from fnet_keras.data.files import (
    GZIP_SUFFIX,
    decode_utf8,
    decompress,
    folder_digest,
    physical_lines,
    read_file_bytes,
    walk_files,
)

DOCUMENTS_INFO_VERSION = 1
DOCUMENTS_KIND = "documents"
DOCUMENT_SUFFIXES = (".txt", ".txt" + GZIP_SUFFIX)


@dataclass(frozen=True)
class DocumentFile:
    """One file of a `Documents` source: its absolute path, the SHA-256 of its bytes on disk and
    its number of documents."""

    path: str
    sha256: str
    documents: int


@dataclass(frozen=True)
class Documents:
    """Unlabelled documents for pre-training, in source order, with their provenance.

    `lines` holds each document's 1-based line in its file, `files` the files read, in order;
    `path` is the source's absolute path, `format` "file" or "folder"; `notes` are facts a run
    should report (files ignored in a folder).
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
        ends = list(itertools.accumulate(file.documents for file in self.files))
        if (ends[-1] if ends else 0) != len(self.texts):
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

    Raises:
        DataError: naming the file (and line) at fault, or the source when it holds no document.
    """
    path = Path(source)
    notes: list[str] = []
    folder = path.is_dir()
    if folder:
        chosen, notes = walk_files(path, DOCUMENT_SUFFIXES, ".txt or .txt.gz")
        if not chosen:
            raise DataError("no .txt or .txt.gz files in this folder", path)
    elif path.exists():
        if not path.name.lower().endswith(DOCUMENT_SUFFIXES):
            raise DataError("expected a .txt or .txt.gz file (one document per line) or a folder", path)
        chosen = [(path.name, path)]
    else:
        raise DataError("no such file or directory", path)
    files, texts, lines = [], [], []
    for _, file in chosen:
        data, sha256 = read_file_bytes(file)
        text = decode_utf8(decompress(data, file), file)
        found = [(number, line) for number, line in physical_lines(text) if line and not line.isspace()]
        files.append(DocumentFile(os.path.abspath(file), sha256, len(found)))
        texts += [line for _, line in found]
        lines += [number for number, _ in found]
    if not texts:
        raise DataError("no documents: every line is empty", path)
    hashes = [(relative, file.sha256) for (relative, _), file in zip(chosen, files, strict=True)]
    return Documents(
        texts=texts,
        lines=lines,
        files=tuple(files),
        source=os.fspath(source),
        path=os.path.abspath(path),
        sha256=folder_digest(hashes) if folder else files[0].sha256,
        format="folder" if folder else "file",
        notes=tuple(notes),
    )


def load_documents_from_info(info: dict, verify_hashes: bool = True) -> Documents:
    """Reads again the documents `Documents.source_info()` described, as `load_dataset_from_info`
    does for labelled data: changed data (SHA-256 or digest) is an error, or with `verify_hashes`
    False a note."""
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
        raise recorded_error(error, "the documents") from None
    notes = list(documents.notes)
    differences = []
    if documents.sha256 != info.get("sha256"):
        differences.append(f"SHA-256 was {info.get('sha256')}, now {documents.sha256}")
    if len(documents) != info.get("documents"):
        differences.append(f"now {len(documents)} documents, recorded {info.get('documents')}")
    if differences:
        reason = f"the documents changed since they were recorded: {'; '.join(differences)}"
        report_change(reason, documents.path, verify_hashes, notes)
    return dataclasses.replace(documents, source=info.get("source", documents.source), notes=tuple(notes))
