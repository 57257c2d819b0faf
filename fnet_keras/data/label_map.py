"""The mapping between label strings and class ids, learned from the training split.

A classifier needs two labels or more; `LabelMap` refuses fewer, so no caller checks it again.
Order (so class ids are reproducible): if every label is an integer (`-?[0-9]+`), numeric
order (`"2" < "10"`); otherwise plain string order (by code point). `labels.txt` holds one
label per line, class id = line number - 1.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Iterable, Mapping

from fnet_keras.atomic import write_text_atomic
from fnet_keras.data.errors import DataError
from fnet_keras.data.files import decode_utf8, physical_lines, read_file_bytes, some_names
from fnet_keras.data.split import Split

_INTEGER = re.compile(r"-?[0-9]+")


@dataclass(frozen=True)
class LabelMap:
    """Label strings in class-id order: `labels[i]` is class id `i`.

    Args:
        labels: the distinct labels, at least two, each non-empty, without surrounding whitespace
            or line breaks (so it round-trips through labels.txt).
        source: the file the labels came from, named in errors.

    Example:
    >>> LabelMap.from_labels(["10", "2", "10"]).labels
    ('2', '10')
    """

    labels: tuple[str, ...]
    source: str | None = field(default=None, compare=False, repr=False)
    _ids: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "labels", tuple(self.labels))
        if len(self.labels) == 1:
            raise DataError(f"a single label {self.labels[0]!r}: a classifier needs two or more", self.source)
        if not self.labels:
            raise DataError("no labels: a classifier needs two or more", self.source)
        for label in self.labels:
            problem = label_problem(label)
            if problem:
                raise DataError(f"invalid label {label!r}: {problem}", self.source)
        ids = {label: i for i, label in enumerate(self.labels)}
        if len(ids) != len(self.labels):
            raise DataError(f"duplicate labels in {list(self.labels)}", self.source)
        object.__setattr__(self, "_ids", ids)

    @classmethod
    def from_labels(cls, labels: Iterable[str], source: str | os.PathLike | None = None) -> LabelMap:
        """The distinct `labels` in the order of the module docstring."""
        distinct = set(labels)
        source = None if source is None else os.fspath(source)
        if distinct and all(_INTEGER.fullmatch(label) for label in distinct):
            return cls(tuple(sorted(distinct, key=lambda label: (int(label), label))), source)
        return cls(tuple(sorted(distinct)), source)

    def __len__(self) -> int:
        return len(self.labels)

    def __contains__(self, label: str) -> bool:
        return label in self._ids

    def id(self, label: str) -> int:
        """The class id of `label`; KeyError if unknown (see `encode` for file errors)."""
        return self._ids[label]

    def encode(self, split: Split, aliases: Mapping[str, str] | None = None, hint: str = "") -> list[int]:
        """Class ids of the split's labels; an unknown label is a DataError naming file and line.

        Args:
            aliases: data label -> one of `labels`, for data that spells the classes otherwise
                (a bundle whose labels were renamed for display, scored on its training data's
                "0"/"1"); a data label that is not a key is looked up as it is.
            hint: appended to the unknown-label error (how the caller's user can map labels).
        """
        if split.labels is None:
            raise DataError(f"the {split.name} split has no labels to encode", split.path)
        aliases = dict(aliases or {})
        ids = []
        for index, label in enumerate(split.labels):
            class_id = self._ids.get(aliases.get(label, label))
            if class_id is None:
                known = some_names([repr(known) for known in self.labels], 20)
                pairs = ", ".join(f"{key}={value}" for key, value in list(aliases.items())[:20])
                mapped = f", nor mapped to one ({pairs})" if aliases else ""
                raise DataError(
                    f"label {label!r} of the {split.name} split is not one of the {len(self)} "
                    f"labels of the training split ({known}){mapped}{hint}",
                    *split.location(index),
                )
            ids.append(class_id)
        return ids

    def check_aliases(self, aliases: Mapping[str, str], source: str = "the label map") -> dict[str, str]:
        """`aliases` (data label -> label) as a dict; a DataError names a target that is not a label."""
        unknown = [f"{key}={value}" for key, value in aliases.items() if value not in self._ids]
        if unknown:
            raise DataError(
                f"{source}: {', '.join(unknown)} maps to no label of the model (its labels: "
                f"{', '.join(map(repr, self.labels[:20]))}{' ...' if len(self) > 20 else ''})"
            )
        return dict(aliases)

    def save(self, path: str | os.PathLike) -> None:
        """Writes labels.txt (one label per line) atomically: temp file, then `os.replace`."""
        write_text_atomic(path, "".join(f"{label}\n" for label in self.labels))

    @classmethod
    def load(cls, path: str | os.PathLike) -> LabelMap:
        """Reads a labels.txt written by `save`; bad lines are DataErrors naming the line."""
        data, _ = read_file_bytes(path)
        return cls.from_bytes(data, path)

    @classmethod
    def from_bytes(cls, data: bytes, path: str | os.PathLike) -> LabelMap:
        """Parses labels.txt's bytes (`path` is named in errors)."""
        lines = list(physical_lines(decode_utf8(data, path)))
        if not lines:
            raise DataError("the labels file is empty", path)
        seen: dict[str, int] = {}
        for number, label in lines:
            problem = label_problem(label)
            if problem:
                raise DataError(f"invalid label {label!r}: {problem}", path, number)
            if label in seen:
                raise DataError(f"label {label!r} repeats line {seen[label]}", path, number)
            seen[label] = number
        return cls(tuple(seen), os.fspath(path))


def label_problem(label: object) -> str | None:
    if not isinstance(label, str):
        return f"labels are strings, got {type(label).__name__}"
    if not label:
        return "empty"
    if label != label.strip():
        return "surrounding whitespace"
    if "\n" in label or "\r" in label:
        return "contains a line break"
    return None
