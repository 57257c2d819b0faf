"""One split of a labelled text dataset (train, dev or test) and where each example came from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence


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
            lines, the line the record starts on; for `tfds:` sources, the example index + 1).
        sha256: hex SHA-256 of the whole source file as read (None for `tfds:` sources).
        format: "tsv", "csv", "jsonl" or "tfds".
        header: whether the first line was a header (None for JSONL and tfds).
        text_column: the column used for texts: the header cell or JSON key as written in
            the file, or a 0-based index for files without a header.
        label_column: the same for labels; None when `labels` is None.
    """

    name: str
    path: str
    texts: list[str]
    labels: list[str] | None
    lines: list[int]
    sha256: str | None
    format: str
    header: bool | None
    text_column: str | int
    label_column: str | int | None

    def __post_init__(self):
        if len(self.lines) != len(self.texts) or (
            self.labels is not None and len(self.labels) != len(self.texts)
        ):
            raise ValueError("Split: texts, labels and lines must have the same length")

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
        )

    def file_info(self) -> dict:
        """JSON-serialisable record of the file this split was read from and how."""
        return {
            "path": self.path,
            "sha256": self.sha256,
            "rows": len(self),
            "format": self.format,
            "header": self.header,
            "text_column": self.text_column,
            "label_column": self.label_column,
        }
