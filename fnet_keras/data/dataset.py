"""Train/dev/test splits from a file, a GLUE-style directory, class folders or `tfds:NAME`, reproducibly.

Sources:
- a directory holding `train.{tsv,csv,jsonl}` and optionally `dev.*` (or `validation.*`)
  and `test.*`, one file per split, each maybe gzipped (`train.tsv.gz`); a split may instead
  be a folder-per-class directory of that name (`train/<label>/*.txt`, `dev/` or
  `validation/`, `test/`; rules in `fnet_keras.data.class_folders`). One source per split:
  `train.tsv` next to `train.tsv.gz` or `train/` is an error;
- a directory with no split files or split folders but with subfolders: one folder per
  class (`DIR/<label>/*.txt`), the training data;
- a single `.tsv`/`.csv`/`.jsonl` file (maybe `.gz`): the training data;
- `tfds:NAME`: a TensorFlow Datasets dataset (needs `tensorflow_datasets`, imported lazily).

When there is no dev split, a seeded fraction of the training rows is held out for dev
(`random.Random(seed)`, so the same seed and file give the same rows). The test split may be
unlabelled. `Dataset.source_info()` records every file's absolute path, SHA-256 (of the
bytes on disk, so of the compressed bytes of a `.gz`) and row count, the columns read and
the hold-out, so `load_dataset_from_info` can later rebuild exactly the same rows (and
refuses if a file changed). A class folder is one record, its `sha256` the folder digest of
`fnet_keras.data.files`, with the class folders read under `classes`. The record format is
still version 1: a record written before gzip and class folders existed reads the same, and
an older reader refuses a new record (a `.gz` path or a folder) instead of misreading it.
"""

from __future__ import annotations

import copy
import os
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from fnet_keras.data.class_folders import FOLDER_FORMAT, list_class_folder
from fnet_keras.data.errors import DataError
from fnet_keras.data.files import GZIP_SUFFIX, is_hidden
from fnet_keras.data.readers import (
    EXTENSION_FORMATS,
    ColumnSpec,
    parse_split,
    read_file_bytes,
    read_split,
)
from fnet_keras.data.split import SPLIT_NAMES, SPLIT_STEMS, Split

SOURCE_INFO_VERSION = 1
TFDS_PREFIX = "tfds:"


@dataclass
class Dataset:
    """The splits of one labelled text dataset and where they came from.

    Attributes:
        train, dev: labelled splits (dev may be held out of the training file).
        test: the test split, possibly unlabelled (`test.labels is None`), or None.
        notes: human-readable facts a run should report (hold-out, missing test split, ...).
        source: the source as given (path or `tfds:NAME`).
        files: per split read from a file, `Split.file_info()` of the whole file.
        holdout: `{"seed", "fraction", "train_rows", "dev_rows"}` if dev was held out, else None.
    """

    train: Split
    dev: Split
    test: Split | None
    notes: list[str] = field(default_factory=list)
    source: str = ""
    files: dict[str, dict] = field(default_factory=dict)
    holdout: dict | None = None

    def source_info(self) -> dict:
        """JSON-serialisable provenance for a run's config.json; see `load_dataset_from_info`."""
        return {
            "version": SOURCE_INFO_VERSION,
            "source": self.source,
            "format": self.train.format,
            "files": copy.deepcopy(self.files),
            "holdout": copy.deepcopy(self.holdout),
        }


def load_dataset(
    source: str | os.PathLike,
    *,
    text_column: ColumnSpec = None,
    label_column: ColumnSpec = None,
    header: bool | None = None,
    holdout_seed: int = 0,
    holdout_fraction: float = 0.1,
    class_names: Sequence[str] | None = None,
) -> Dataset:
    """Reads a dataset directory, a single file or a `tfds:NAME` source.

    Args:
        source: see the module docstring.
        text_column, label_column, header: how to read every file; see `read_split`.
            The test split is read with `require_labels=False`.
        holdout_seed: seed of the dev hold-out (used only when there is no dev split).
        holdout_fraction: fraction of training rows held out for dev, in (0, 1); at least
            one row is held out and at least one is kept.
        class_names: for folder-per-class splits, the class folders to read (every other
            folder is excluded with a note); None for every class folder. Refused for files.

    Raises:
        DataError: naming the file and line of any fault.
    """
    _check_holdout(holdout_seed, holdout_fraction)
    source_name = os.fspath(source)
    if isinstance(source_name, str) and source_name.startswith(TFDS_PREFIX):
        if class_names is not None:
            raise DataError("class_names applies to folder-per-class sources", source_name)
        from fnet_keras.data.tfds_source import load_tfds_splits

        splits = load_tfds_splits(
            source_name[len(TFDS_PREFIX) :], text_column=text_column, label_column=label_column
        )
        return _assemble(source_name, splits, holdout_seed, holdout_fraction, [])
    path = Path(source)
    if path.is_dir():
        paths = find_split_files(path)
    elif path.exists():
        paths = {"train": path}
    else:
        raise DataError("no such file or directory", path)
    splits = {
        name: read_split(
            split_path,
            name,
            text_column=text_column,
            label_column=label_column,
            header=header,
            require_labels=name != "test",
            class_names=class_names,
        )
        for name, split_path in paths.items()
    }
    return _assemble(source_name, splits, holdout_seed, holdout_fraction, [])


def find_split_files(directory: str | os.PathLike) -> dict[str, Path]:
    """`{"train": path, "dev": path, "test": path}` for the splits present in `directory`.

    A split is a file (`train.tsv`, `validation.jsonl.gz`, ...) or a folder-per-class
    directory (`train/`). A directory with neither but with subfolders is itself one folder
    per class: `{"train": directory}`.

    Raises:
        DataError: two sources for one split, or no train split.
    """
    directory = Path(directory)
    try:
        present = sorted(entry.name for entry in directory.iterdir())
    except OSError as error:
        raise DataError(f"cannot list: {error.strerror}", directory) from None
    found: dict[str, Path] = {}
    for split, stems in SPLIT_STEMS.items():
        names = {
            f"{stem}{extension}{compression}"
            for stem in stems
            for extension in EXTENSION_FORMATS
            for compression in ("", GZIP_SUFFIX)
        }
        candidates = [directory / name for name in present if name in names]
        candidates = [path for path in candidates if path.is_file()]
        candidates += [directory / stem for stem in stems if (directory / stem).is_dir()]
        if len(candidates) > 1:
            listed = ", ".join(path.name + ("/" if path.is_dir() else "") for path in candidates)
            raise DataError(f"more than one {split} split ({listed}): keep one", directory)
        if candidates:
            found[split] = candidates[0]
    if not found and any((directory / name).is_dir() for name in present if not is_hidden(name)):
        return {"train": directory}
    if "train" not in found:
        listing = ", ".join(present[:20]) + (" ..." if len(present) > 20 else "") or "nothing"
        folders = [f"{path.name}/" for path in found.values() if path.is_dir()]
        hint = f" (with split folders {', '.join(folders)}, the training classes go in train/)"
        hint = hint if folders else ""
        raise DataError(
            f"no train split: expected train.tsv, train.csv or train.jsonl (each maybe .gz), a "
            f"train/ folder of class folders, or only class folders; found {listing}{hint}",
            directory,
        )
    return found


def load_dataset_from_info(info: dict, verify_hashes: bool = True) -> Dataset:
    """Rebuilds the dataset `Dataset.source_info()` described: same files, columns and rows.

    Args:
        info: a dict from `source_info()` (e.g. read back from a run's config.json).
        verify_hashes: if True, a file whose SHA-256 differs from the recorded one is an
            error; if False it is read anyway and the difference is added to `notes`.

    Raises:
        DataError: a file is missing, changed (naming both hashes), or now reads differently.
    """
    if (
        not isinstance(info, dict)
        or info.get("version") != SOURCE_INFO_VERSION
        or not isinstance(info.get("files"), dict)
        or "train" not in info["files"]
    ):
        raise DataError(
            f"not a dataset source_info (expected version {SOURCE_INFO_VERSION} with files.train)"
        )
    files = info["files"]
    holdout = info.get("holdout")
    if (holdout is None) == ("dev" not in files):
        raise DataError("inconsistent dataset source_info: expected either files.dev or holdout")
    seed, fraction = (holdout["seed"], holdout["fraction"]) if holdout else (0, 0.1)
    notes: list[str] = []
    if info.get("format") == "tfds":
        from fnet_keras.data.tfds_source import load_tfds_splits

        train_path = files["train"]["path"]
        splits = load_tfds_splits(
            train_path[len(TFDS_PREFIX) :].rsplit("/", 1)[0],
            text_column=files["train"]["text_column"],
            label_column=files["train"]["label_column"],
        )
        notes.append(f"{train_path}: a tfds source is checked by row counts, not hashes")
    else:
        splits = {name: _reload_split(name, entry, verify_hashes, notes) for name, entry in files.items()}
    for name, entry in files.items():
        if name not in splits or len(splits[name]) != entry.get("rows"):
            read = len(splits[name]) if name in splits else "no"
            _mismatch(
                f"the {name} split now has {read} rows, recorded {entry.get('rows')}",
                entry.get("path"),
                verify_hashes,
                notes,
            )
    dataset = _assemble(info.get("source", files["train"]["path"]), splits, seed, fraction, notes)
    if holdout and (len(dataset.train), len(dataset.dev)) != (
        holdout.get("train_rows"),
        holdout.get("dev_rows"),
    ):
        _mismatch(
            f"the hold-out now gives {len(dataset.train)} train / {len(dataset.dev)} dev rows, "
            f"recorded {holdout.get('train_rows')} / {holdout.get('dev_rows')}",
            files["train"]["path"],
            verify_hashes,
            notes,
        )
    return dataset


def load_split_from_info(info: dict, name: str) -> Split | None:
    """One split of the dataset `Dataset.source_info()` described, reading only its own file (the
    training file too only when dev was held out of it); None when there is no such split.

    Raises:
        DataError: as `load_dataset_from_info`, for the files read.
    """
    files = info.get("files") if isinstance(info, dict) else None
    entry = files.get(name) if isinstance(files, dict) else None
    if entry is None or info.get("format") == "tfds" or name == "train":
        return getattr(load_dataset_from_info(info), name)
    notes: list[str] = []
    split = _reload_split(name, entry, True, notes)
    if len(split) != entry.get("rows"):
        recorded = entry.get("rows")
        raise DataError(f"the {name} split now has {len(split)} rows, recorded {recorded}", entry.get("path"))
    return split


def _reload_split(name: str, entry: dict, verify_hashes: bool, notes: list[str]) -> Split:
    try:
        path, recorded = entry["path"], entry["sha256"]
        options = {key: entry[key] for key in ("text_column", "label_column", "header")}
        classes = entry["classes"] if entry.get("format") == FOLDER_FORMAT else None
    except (KeyError, TypeError, AttributeError):
        raise DataError(f"dataset source_info: incomplete entry for the {name} split: {entry!r}") from None
    try:
        if classes is not None:
            files = list_class_folder(path, classes)
            sha256, what = files.sha256, "class folder"
        else:
            data, sha256 = read_file_bytes(path)
            what = "file"
    except DataError as error:
        reason = f"{error.reason} (the {name} split recorded in the run)"
        raise DataError(reason, error.path, error.line) from None
    if sha256 != recorded:
        _mismatch(
            f"the {name} split {what} changed since it was recorded: SHA-256 was {recorded}, now {sha256}",
            path,
            verify_hashes,
            notes,
        )
    if classes is not None:
        return files.to_split(name)
    labels = "none" if options["label_column"] is None else "required"
    return parse_split(data, sha256, path, name, labels=labels, **options)


def _mismatch(reason: str, path: str | None, strict: bool, notes: list[str]) -> None:
    if strict:
        raise DataError(reason, path)
    notes.append(f"{path}: {reason} (hash check disabled)")


def _assemble(source: str, splits: dict[str, Split], seed: int, fraction: float, notes: list[str]) -> Dataset:
    """The Dataset of `splits`, holding dev out of train if there is none; adds the notes."""
    train = splits["train"]
    files = {name: split.file_info() for name, split in splits.items()}
    dev = splits.get("dev")
    holdout = None
    if dev is None:
        train, dev = _hold_out(train, fraction, seed)
        holdout = {"seed": seed, "fraction": fraction, "train_rows": len(train), "dev_rows": len(dev)}
        notes.append(
            f"no dev split in {source}: held out {fraction * 100:.4g}% ({len(dev)} rows) of "
            f"train with seed {seed}"
        )
    test = splits.get("test")
    if test is None:
        notes.append(f"no test split in {source}")
    elif test.labels is None:
        notes.append(f"the test split {test.path} has no labels: it can be classified, not scored")
    for split in splits.values():
        notes.extend(split.notes)
        if split.header is False:
            notes.append(
                f"{split.path}: no header line; text column {split.text_column}, label column "
                f"{split.label_column} (0-based)"
            )
    return Dataset(train, dev, test, notes, source, files, holdout)


def _hold_out(train: Split, fraction: float, seed: int) -> tuple[Split, Split]:
    """(train without the held-out rows, dev of the held-out rows), both in file order."""
    count = max(1, round(len(train) * fraction))
    if count >= len(train):
        raise DataError(
            f"only {len(train)} training rows: too few to hold out {fraction * 100:.4g}% for dev; "
            f"add a dev split",
            train.path,
        )
    held = set(random.Random(seed).sample(range(len(train)), count))
    dev_rows = sorted(held)
    train_rows = [i for i in range(len(train)) if i not in held]
    return train.subset("train", train_rows), train.subset("dev", dev_rows)


def _check_holdout(seed: int, fraction: float) -> None:
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise DataError(f"holdout seed must be an integer, got {seed!r}")
    if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) or not 0 < fraction < 1:
        raise DataError(f"holdout fraction must be between 0 and 1 (exclusive), got {fraction!r}")


def check_split(split: str | None, data: str | os.PathLike | None) -> str | None:
    """The split to evaluate: `split` (default "test"), or None when `data` is one split's source (a
    file, or a folder of class folders), which is scored whole.

    Raises:
        DataError: an unknown split name, or a split given with a one-split source, where it would be
            ignored.
    """
    if split is not None and split not in SPLIT_NAMES:
        raise DataError(f"unknown split {split!r}; expected one of {', '.join(SPLIT_NAMES)}")
    if data is not None and is_one_split(data):
        if split is not None:
            raise DataError(
                f"--split {split} applies to a data directory of splits; this is one split, scored whole",
                data,
            )
        return None
    return split or "test"


def is_one_split(data: str | os.PathLike) -> bool:
    """Whether `data` holds one split (a file, or a folder of class folders) rather than train/dev/test."""
    path = Path(data)
    if not path.is_dir():
        return True
    return find_split_files(path).get("train") == path


def read_evaluation_split(
    data: str | os.PathLike,
    split: str = "test",
    *,
    text_column: ColumnSpec = None,
    label_column: ColumnSpec = None,
    class_names: Sequence[str] | None = None,
) -> Split:
    """The labelled examples to score: split `split` of a data directory, or all of a source.

    Args:
        data: a data directory (its `split` split is read), or a .tsv/.csv/.jsonl file (maybe
            .gz) or a folder of class folders, read whole whatever `split` says.
        split: "train", "dev" or "test".
        text_column, label_column, class_names: as for `load_dataset`.

    Raises:
        DataError: no such file or split, no label column, or a malformed file (file and line named).
    """
    if split not in SPLIT_NAMES:
        raise DataError(f"unknown split {split!r}; expected one of {', '.join(SPLIT_NAMES)}")
    path = Path(data)
    if path.is_dir():
        files = find_split_files(path)
        if files.get("train") != path:  # else one folder per class: the examples themselves
            if split not in files:
                raise DataError(f"no {split} split here (found: {', '.join(sorted(files))})", path)
            path = files[split]
    return read_split(
        path,
        split,
        text_column=text_column,
        label_column=label_column,
        require_labels=True,
        class_names=class_names,
    )
