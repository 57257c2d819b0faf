"""One split of a labelled text dataset (train, dev or test) and where each example came from."""

from __future__ import annotations

import dataclasses
from typing import Sequence

# The split names, and the file stems (train.tsv, validation.jsonl.gz) or folder names
# (train/) that hold each split in a data directory.
SPLIT_NAMES = ("train", "dev", "test")
SPLIT_STEMS = {"train": ("train",), "dev": ("dev", "validation"), "test": ("test",)}


@dataclasses.dataclass(frozen=True)
class Split:
    """The examples of one split, in file order, with their provenance.

    Attributes:
        path: absolute path of the source file or class folder (for `tfds:`, `tfds:NAME/SPLIT`).
        texts: exactly as in the file (only the line break and, for TSV/CSV, the field
            separators removed; surrounding spaces are kept).
        labels: surrounding whitespace stripped; None when the split has no label column.
        lines: the 1-based source line of each example (where a CSV record starts; for
            `tfds:`, the example index + 1; for class folders, 1: an example is a whole file).
        sha256: hex SHA-256 of the source as stored (compressed bytes for `.gz`; the folder
            digest of `fnet_keras.data.files` for a class folder; None for `tfds:`).
        format: "tsv", "csv", "jsonl", "folder" (folder-per-class) or "tfds".
        header: whether the first line was a header (None for JSONL, folders and tfds).
        text_column, label_column: the columns used, as the header cell or JSON key is written,
            or a 0-based index without a header (None for folders; label_column for no labels).
        example_files, classes: for a class folder, each example's "/"-separated path relative
            to `path` ("pos/0_9.txt"), and the class folders read (sorted).
        notes: facts about the reading a run should report (folders excluded, files ignored).
    """

    name: str
    path: str
    texts: list[str]
    labels: list[str] | None
    lines: list[int]
    sha256: str | None
    format: str
    header: bool | None
    text_column: str | int | None
    label_column: str | int | None
    example_files: list[str] | None = None
    classes: tuple[str, ...] | None = None
    notes: tuple[str, ...] = ()

    def __post_init__(self):
        optional = [values for values in (self.labels, self.example_files) if values is not None]
        if any(len(values) != len(self.texts) for values in (self.lines, *optional)):
            raise ValueError("Split: texts, labels, lines and example_files must have the same length")

    def location(self, index: int) -> tuple[str, int | None]:
        """(file, line) of example `index` for error messages: a class folder's example is a
        whole file, so its file is named and no line."""
        if self.example_files is not None:
            return f"{self.path}/{self.example_files[index]}", None
        return self.path, self.lines[index]

    def __len__(self) -> int:
        return len(self.texts)

    @property
    def has_labels(self) -> bool:
        return self.labels is not None

    def subset(self, name: str, indices: Sequence[int]) -> Split:
        """The examples at `indices` (in that order) as a split called `name`, same provenance."""

        def pick(values: list | None) -> list | None:
            return None if values is None else [values[i] for i in indices]

        return dataclasses.replace(
            self,
            name=name,
            texts=pick(self.texts),
            labels=pick(self.labels),
            lines=pick(self.lines),
            example_files=pick(self.example_files),
        )

    def file_info(self) -> dict:
        """JSON-serialisable record of the file or class folder (adding `classes`) read, and how."""
        info = {
            "path": self.path,
            "sha256": self.sha256,
            "rows": len(self),
            "format": self.format,
            "header": self.header,
            "text_column": self.text_column,
            "label_column": self.label_column,
        }
        if self.classes is not None:
            info["classes"] = list(self.classes)
        return info
