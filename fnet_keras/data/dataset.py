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
unlabelled. `Dataset.source_info()` records each split's `Split.file_info()` and the hold-out,
so `load_dataset_from_info` can later rebuild exactly the same rows (and refuses if a file
changed). The record format stays version 1: gzip and class folders only added values, and an
older reader refuses those (a `.gz` path or a folder) instead of misreading them.
"""

from __future__ import annotations

import copy
import os
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from fnet_keras.data.class_folders import FOLDER_FORMAT, list_class_folder
from fnet_keras.data.errors import DataError, recorded_error, report_change
from fnet_keras.data.files import GZIP_SUFFIX, is_hidden, read_file_bytes
from fnet_keras.data.readers import EXTENSION_FORMATS, ColumnSpec, parse_split, read_split
from fnet_keras.data.split import SPLIT_NAMES, SPLIT_STEMS, Split

SOURCE_INFO_VERSION = 1
TFDS_PREFIX = "tfds:"


@dataclass
class Dataset:
    """The splits of one labelled text dataset and where they came from.

    Attributes:
        dev: may be held out of the training file (then `holdout` is `{"seed", "fraction",
            "train_rows", "dev_rows"}`).
        test: possibly unlabelled (`test.labels is None`), or None.
        notes: human-readable facts a run should report (hold-out, missing test split, ...).
        source: the source as given (path or `tfds:NAME`).
        files: `Split.file_info()` of each split read.
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
    """Reads a dataset directory, a single file or a `tfds:NAME` source (module docstring).

    Args:
        text_column, label_column, header, class_names: how to read every split (`read_split`);
            the test split need not have labels.
        holdout_seed, holdout_fraction: the dev hold-out when there is no dev split; the
            fraction is in (0, 1), and at least one row is held out and at least one kept.

    Raises:
        DataError: naming the file and line of any fault.
    """
    seed, fraction = holdout_seed, holdout_fraction
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise DataError(f"holdout seed must be an integer, got {seed!r}")
    if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) or not 0 < fraction < 1:
        raise DataError(f"holdout fraction must be between 0 and 1 (exclusive), got {fraction!r}")
    source_name, path = os.fspath(source), Path(source)
    if isinstance(source_name, str) and source_name.startswith(TFDS_PREFIX):
        if class_names is not None:
            raise DataError("class_names applies to folder-per-class sources", source_name)
        from fnet_keras.data.tfds_source import load_tfds_splits

        name = source_name[len(TFDS_PREFIX) :]
        splits = load_tfds_splits(name, text_column=text_column, label_column=label_column)
    elif not path.exists():
        raise DataError("no such file or directory", path)
    else:
        paths = find_split_files(path) if path.is_dir() else {"train": path}
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
    return _assemble(source_name, splits, seed, fraction, [])


def find_split_files(directory: str | os.PathLike) -> dict[str, Path]:
    """`{"train": path, "dev": path, "test": path}` for the splits present in `directory` (module
    docstring): `{"train": directory}` when it is itself one folder per class.

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
        suffixes = [extension + gzip for extension in EXTENSION_FORMATS for gzip in ("", GZIP_SUFFIX)]
        names = {stem + suffix for stem in stems for suffix in suffixes}
        candidates = [directory / name for name in present if name in names and (directory / name).is_file()]
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
    """Rebuilds the dataset `Dataset.source_info()` (e.g. from a run's config.json) described: same
    files, columns and rows. With `verify_hashes` False a changed file is read anyway, with a note.

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

        train = files["train"]
        name = train["path"][len(TFDS_PREFIX) :].rsplit("/", 1)[0]
        splits = load_tfds_splits(name, text_column=train["text_column"], label_column=train["label_column"])
        notes.append(f"{train['path']}: a tfds source is checked by row counts, not hashes")
    else:
        splits = {name: _reload_split(name, entry, verify_hashes, notes) for name, entry in files.items()}
    for name, entry in files.items():
        _check_rows(name, splits.get(name), entry, verify_hashes, notes)
    dataset = _assemble(info.get("source", files["train"]["path"]), splits, seed, fraction, notes)
    recorded = (holdout.get("train_rows"), holdout.get("dev_rows")) if holdout else None
    if holdout and (len(dataset.train), len(dataset.dev)) != recorded:
        reason = (
            f"the hold-out now gives {len(dataset.train)} train / {len(dataset.dev)} dev rows, "
            f"recorded {holdout.get('train_rows')} / {holdout.get('dev_rows')}"
        )
        report_change(reason, files["train"]["path"], verify_hashes, notes)
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
    split = _reload_split(name, entry, True, [])
    _check_rows(name, split, entry, True, [])
    return split


def _check_rows(name: str, split: Split | None, entry: dict, strict: bool, notes: list[str]) -> None:
    if split is None or len(split) != entry.get("rows"):
        read = "no" if split is None else len(split)
        reason = f"the {name} split now has {read} rows, recorded {entry.get('rows')}"
        report_change(reason, entry.get("path"), strict, notes)


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
        raise recorded_error(error, f"the {name} split") from None
    if sha256 != recorded:
        reason = (
            f"the {name} split {what} changed since it was recorded: SHA-256 was {recorded}, now {sha256}"
        )
        report_change(reason, path, verify_hashes, notes)
    if classes is not None:
        return files.to_split(name)
    labels = "none" if options["label_column"] is None else "required"
    return parse_split(data, sha256, path, name, labels=labels, **options)


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


def check_split(split: str | None, data: str | os.PathLike | None) -> str | None:
    """The split to evaluate: `split` (default "test"), or None when `data` is one split's source (a
    file, or a folder of class folders), which is scored whole.

    Raises:
        DataError: an unknown split name, or a split given with a one-split source, where it would be
            ignored.
    """
    if split is not None:
        _check_split_name(split)
    if data is not None and _split_source(data, split) == Path(data):
        if split is not None:
            reason = f"--split {split} applies to a data directory of splits; this is one split, scored whole"
            raise DataError(reason, data)
        return None
    return split or "test"


def _check_split_name(split: str) -> None:
    if split not in SPLIT_NAMES:
        raise DataError(f"unknown split {split!r}; expected one of {', '.join(SPLIT_NAMES)}")


def _split_source(data: str | os.PathLike, split: str | None) -> Path | None:
    """`data` itself when it holds one split (a file, or a folder of class folders), else the source
    of its `split` split (None if it has none)."""
    path = Path(data)
    if not path.is_dir():
        return path
    files = find_split_files(path)
    return path if files.get("train") == path else files.get(split)


def read_evaluation_split(
    data: str | os.PathLike,
    split: str = "test",
    *,
    text_column: ColumnSpec = None,
    label_column: ColumnSpec = None,
    class_names: Sequence[str] | None = None,
) -> Split:
    """The labelled examples to score: split `split` of a data directory, or the whole of a
    one-split source (a file or a folder of class folders), whatever `split` says.

    Raises:
        DataError: no such file or split, no label column, or a malformed file (file and line named).
    """
    _check_split_name(split)
    path = _split_source(data, split)
    if path is None:
        found = ", ".join(sorted(find_split_files(data)))
        raise DataError(f"no {split} split here (found: {found})", Path(data))
    return read_split(
        path, split, text_column=text_column, label_column=label_column, class_names=class_names
    )
