"""Folder-per-class splits: `DIR/<label>/*.txt`, the `keras.utils.text_dataset_from_directory` layout.

Rules (`DIR` is the split's folder; hidden files and folders are skipped everywhere, silently):
- Each subfolder of `DIR` is a class; its name is the label. Its examples are the `.txt`
  files (suffix in any case) anywhere under it; the text of an example is the whole file,
  decoded as UTF-8 (a byte-order mark dropped; a final line break stays). Other files under a
  class folder are ignored with a note; so are files directly in `DIR` (the IMDB archive's
  `urls_pos.txt`, `labeledBow.feat`).
- Never a silent extra class. A subfolder named like unlabelled data (`UNLABELLED_FOLDER_NAMES`:
  unsup, unlabeled, unlabelled, in any case; the IMDB archive's `train/unsup/`) is excluded,
  with a note. A subfolder named like a split (train, dev, validation, test) is an error: it
  means the `DIR/{train,dev,test}/<label>/` layout was meant, with `DIR/train/` missing. A
  class folder without `.txt` files is an error, and so is a training split with fewer than
  two classes (the usual cause: `DIR` is one level too high). `class_names` makes the choice
  explicit: exactly those folders are classes (each must exist), every other one is
  excluded with a note, and the name rules above do not apply to the folders it names.
- Examples are in the order of their path relative to `DIR` (by bytes), so grouped by class.
  Class ids are not decided here: `LabelMap` sorts labels (numerically when all are
  integers, unlike keras, which sorts "10" before "2").

Provenance: one folder digest (`fnet_keras.data.files`) of the files read; files excluded,
ignored or hidden are neither read nor in the digest.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from fnet_keras.data.errors import DataError
from fnet_keras.data.files import (
    decode_utf8,
    folder_digest,
    ignored_note,
    is_hidden,
    read_file_bytes,
    some_names,
    walk_files,
)
from fnet_keras.data.label_map import label_problem
from fnet_keras.data.split import SPLIT_STEMS, Split

FOLDER_FORMAT = "folder"
TEXT_FILE_SUFFIX = ".txt"
UNLABELLED_FOLDER_NAMES = ("unsup", "unlabeled", "unlabelled")
_SPLIT_FOLDER_NAMES = tuple(stem for stems in SPLIT_STEMS.values() for stem in stems)


@dataclass(frozen=True)
class ClassFolderFiles:
    """A folder-per-class split read and hashed but not decoded, so a recorded digest can be checked
    first. `files`: `(relative path, label, bytes)` of each example, in example order."""

    path: Path
    classes: tuple[str, ...]
    files: list[tuple[str, str, bytes]]
    sha256: str
    notes: tuple[str, ...]

    def to_split(self, name: str) -> Split:
        """The examples as a `Split` called `name`; a non-UTF-8 file is a DataError naming it."""
        texts = [decode_utf8(data, f"{self.path}/{relative}") for relative, _, data in self.files]
        return Split(
            name=name,
            path=os.path.abspath(self.path),
            texts=texts,
            labels=[label for _, label, _ in self.files],
            lines=[1] * len(texts),
            sha256=self.sha256,
            format=FOLDER_FORMAT,
            header=None,
            text_column=None,
            label_column=None,
            example_files=[relative for relative, _, _ in self.files],
            classes=self.classes,
            notes=self.notes,
        )


def read_class_folder(
    directory: str | os.PathLike, name: str = "train", *, class_names: Sequence[str] | None = None
) -> Split:
    """Reads the folder-per-class split `directory` (rules: module docstring); a DataError names the
    folder or file at fault.

    Example:
    >>> split = read_class_folder("aclImdb/train")  # doctest: +SKIP
    >>> split.classes, split.notes[0]  # doctest: +SKIP
    (('neg', 'pos'), 'aclImdb/train/unsup: excluded: ...')
    """
    return list_class_folder(directory, class_names, min_classes=2 if name == "train" else 1).to_split(name)


def list_class_folder(
    directory: str | os.PathLike, class_names: Sequence[str] | None = None, *, min_classes: int = 1
) -> ClassFolderFiles:
    """`read_class_folder` up to decoding; fewer than `min_classes` classes is an error."""
    directory = Path(directory)
    if not directory.is_dir():
        raise DataError("no such directory" if not directory.exists() else "not a directory", directory)
    try:
        entries = sorted(entry for entry in os.listdir(directory) if not is_hidden(entry))
    except OSError as error:
        raise DataError(f"cannot list: {error.strerror}", directory) from None
    folders = [entry for entry in entries if (directory / entry).is_dir()]
    loose_files = [entry for entry in entries if entry not in folders]
    classes, notes = _choose_classes(directory, folders, class_names)
    if len(classes) < min_classes:
        texts = [name for name in loose_files if name.lower().endswith(TEXT_FILE_SUFFIX)]
        inside = f"{len(texts)} {TEXT_FILE_SUFFIX} file(s) directly inside"
        hint = f"; its {inside} have no class folder, so no label" if texts else ""
        raise DataError(
            f"a folder-per-class split needs at least {min_classes} class folder(s) here, found "
            f"{len(classes)} ({', '.join(classes) or 'none'}): is this the folder that holds one "
            f"folder per class?{hint}",
            directory,
        )
    if loose_files:
        notes.append(ignored_note(directory, "outside the class folders", loose_files))
    files: list[tuple[str, str, bytes]] = []
    hashes: list[tuple[str, str]] = []
    for label in classes:
        chosen, ignored = walk_files(directory / label, (TEXT_FILE_SUFFIX,), TEXT_FILE_SUFFIX)
        notes += ignored
        if not chosen:
            raise DataError(
                f"class folder {label!r} has no {TEXT_FILE_SUFFIX} files: an empty class cannot be "
                f"learned or scored; remove it, or pass class_names without it",
                directory / label,
            )
        for relative, path in chosen:
            data, sha256 = read_file_bytes(path)
            files.append((f"{label}/{relative}", label, data))
            hashes.append((f"{label}/{relative}", sha256))
    files.sort(key=lambda file: file[0].encode("utf-8", "surrogateescape"))
    return ClassFolderFiles(directory, tuple(classes), files, folder_digest(hashes), tuple(notes))


def _choose_classes(
    directory: Path, folders: list[str], class_names: Sequence[str] | None
) -> tuple[list[str], list[str]]:
    """(the class folders, notes on the folders excluded), by the rules of the module docstring."""
    notes: list[str] = []
    if class_names is not None:
        if isinstance(class_names, str) or not all(isinstance(name, str) for name in class_names):
            raise DataError(f"class_names must be a list of folder names, got {class_names!r}", directory)
        repeated = sorted({name for name in class_names if list(class_names).count(name) > 1})
        if repeated:
            raise DataError(f"class_names repeats {repeated}", directory)
        missing = [name for name in class_names if name not in folders]
        if missing:
            raise DataError(
                f"class folder(s) {missing} named in class_names not found; folders here: "
                f"{some_names(folders) or 'none'}",
                directory,
            )
        for name in class_names:
            _check_label(name, directory)
        excluded = [folder for folder in folders if folder not in class_names]
        if excluded:
            notes.append(f"{directory}: excluded folder(s) not in class_names: {some_names(excluded)}")
        return sorted(class_names), notes
    classes = []
    for folder in folders:
        if folder.lower() in UNLABELLED_FOLDER_NAMES:
            notes.append(
                f"{directory / folder}: excluded: a folder named {folder!r} holds unlabelled data, "
                f"not a class (name it in class_names to use it as one)"
            )
        elif folder.lower() in _SPLIT_FOLDER_NAMES:
            raise DataError(
                f"a class folder named {folder!r} looks like a split folder: for the "
                f"DIR/{{train,dev,test}}/<label>/ layout the training classes go in DIR/train/; name "
                f"it in class_names to use it as a class",
                directory / folder,
            )
        else:
            _check_label(folder, directory)
            classes.append(folder)
    return classes, notes


def _check_label(name: str, directory: Path) -> None:
    if label_problem(name):
        reason = (
            f"class folder name {name!r}: a label cannot begin or end with whitespace or hold a line break"
        )
        raise DataError(reason, directory)
