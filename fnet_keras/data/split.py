"""One split of a labelled text dataset (train, dev or test) and where each example came from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

# The split names, and the file stems (train.tsv, validation.jsonl.gz) or folder names
# (train/) that hold each split in a data directory.
SPLIT_NAMES = ("train", "dev", "test")
SPLIT_STEMS = {"train": ("train",), "dev": ("dev", "validation"), "test": ("test",)}


@dataclass(frozen=True)
class Split:
    """The examples of one split, in file order, with their provenance.

    Attributes:
        name: "train", "dev" or "test".
        path: absolute path of the source file (for `tfds:` sources, `tfds:NAME/SPLIT`).
        texts: the text of each example, exactly as in the file (only the line break and,
            for TSV/CSV, the field separators removed; surrounding spaces are kept).
        labels: the label of each example as a string (surrounding whitespace stripped), or
            None when the split has no label column (an unlabelled test file).
        lines: the 1-based source line of each example (for CSV records that span several
            lines, the line the record starts on; for `tfds:` sources, the example index + 1;
            for class folders, 1: an example is a whole file).
        sha256: hex SHA-256 of the whole source file as stored (of the compressed bytes for a
            `.gz` file; for a class folder, the folder digest of `fnet_keras.data.files`;
            None for `tfds:` sources).
        format: "tsv", "csv", "jsonl", "folder" (folder-per-class) or "tfds".
        header: whether the first line was a header (None for JSONL, folders and tfds).
        text_column: the column used for texts: the header cell or JSON key as written in
            the file, or a 0-based index for files without a header (None for folders).
        label_column: the same for labels; None when `labels` is None (and for folders).
        example_files: for a class folder, each example's file, relative to `path` and
            "/"-separated ("pos/0_9.txt"); None for other sources.
        classes: for a class folder, the class folders read (sorted); None otherwise.
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
        if (
            len(self.lines) != len(self.texts)
            or (self.labels is not None and len(self.labels) != len(self.texts))
            or (self.example_files is not None and len(self.example_files) != len(self.texts))
        ):
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
        return Split(
            name=name,
            path=self.path,
            texts=[self.texts[i] for i in indices],
            labels=None if self.labels is None else [self.labels[i] for i in indices],
            lines=[self.lines[i] for i in indices],
            sha256=self.sha256,
            format=self.format,
            header=self.header,
            text_column=self.text_column,
            label_column=self.label_column,
            example_files=None if self.example_files is None else [self.example_files[i] for i in indices],
            classes=self.classes,
            notes=self.notes,
        )

    def file_info(self) -> dict:
        """JSON-serialisable record of the file (or class folder) this split was read from and how.

        A class folder's record adds `classes`, the class folders read (the record's
        `sha256` is then the folder digest).
        """
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
