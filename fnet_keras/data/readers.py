"""Readers for labelled text files: TSV (GLUE style), CSV and JSON Lines, plain or gzipped.

Formats, chosen by the file extension (after a `.gz`, which means gzip: `train.tsv.gz`):
- `.tsv`: one example per line, fields split on tabs, **no quoting** (GLUE texts contain
  `"` characters that are part of the text, so `csv.QUOTE_NONE` semantics).
- `.csv`: standard CSV quoting (`"a, b",1`); a quoted field may span lines and has no
  length limit. Quoting is strict: a quote left open at the end of the file, or text right
  after a closing quote (`"a"b`), is an error, not a silently merged field.
- `.jsonl`: one JSON object per line; columns are keys.
- a directory: a folder-per-class split (`fnet_keras.data.class_folders`).

A gzipped file is decompressed whole; its line numbers are those of the decompressed text,
and a truncated or corrupt one is a `DataError` naming it.

Columns. The text and label columns are given by name or 0-based index (an `int`, or a
string of digits as the CLI passes it), or found in the header: the first header cell
(compared stripped and case-insensitively) matching `TEXT_COLUMN_CANDIDATES` /
`LABEL_COLUMN_CANDIDATES`, in the order of those lists.

Header (TSV/CSV). `header=True`: the first line is a header. `header=False`: it is data,
and the columns must be indices. `header=None` (auto): the first line is a header when
one of its cells is a known column name or a column name given explicitly; otherwise it is
read as data, which is allowed only when the text column (and the label column, if labels
are required) are given as indices. So a headerless file is read with indices alone; force
`header=True` for a header whose names are not recognised.

Text and labels. Texts are kept exactly as in the file (GLUE SST-2 lines end with a space
before the tab; tokenizers ignore it). Empty texts are valid. Labels are strings with
surrounding whitespace stripped; an empty label cell is an error. Empty lines are skipped
(in JSONL, whitespace-only lines too). A UTF-8 byte-order mark is ignored. Errors are
`DataError`s naming the file and line.
"""

from __future__ import annotations

import csv
import functools
import io
import itertools
import json
import os
from pathlib import Path
from typing import Iterator, Literal, Sequence

from fnet_keras.data.class_folders import read_class_folder
from fnet_keras.data.errors import DataError
from fnet_keras.data.files import decode_utf8, decompress, is_gzip_path, physical_lines, read_file_bytes
from fnet_keras.data.split import Split

# fmt: off
TEXT_COLUMN_CANDIDATES = (
    "sentence", "text", "content", "review", "sentence1", "document", "comment", "body", "tweet", "utterance"
)
# fmt: on
LABEL_COLUMN_CANDIDATES = ("label", "labels", "class", "category", "target", "sentiment", "gold_label")
# A second text column means sentence-pair data, which single-text classifiers would silently
# half-read; refuse it unless the user chose the text column.
PAIR_COLUMNS = ("sentence2", "question2", "hypothesis")
EXTENSION_FORMATS = {".tsv": "tsv", ".csv": "csv", ".jsonl": "jsonl"}

ColumnSpec = str | int | None
# "required": a label column must exist; "optional": use one if found; "none": read texts only.
LabelMode = Literal["required", "optional", "none"]

# Python's csv refuses longer fields (default 131,072 characters); 2**31 - 1 is the largest
# value a C long takes on every platform.
CSV_FIELD_LIMIT = 2**31 - 1


def read_split(
    path: str | os.PathLike,
    name: str = "train",
    *,
    text_column: ColumnSpec = None,
    label_column: ColumnSpec = None,
    header: bool | None = None,
    require_labels: bool = True,
    class_names: Sequence[str] | None = None,
) -> Split:
    """Reads one labelled split: a file (module docstring) or a class folder (`read_class_folder`,
    which takes `class_names`; the column and header options are for files).

    Args:
        name: the split's name ("train", "dev", "test").
        require_labels: if False, a file without a label column gives a split whose
            `labels` is None (an unlabelled test file) instead of an error.

    Raises:
        DataError: naming the file (and line) for anything unreadable or malformed.
    """
    if os.path.isdir(path):
        return read_class_folder(path, name, class_names=class_names)
    if class_names is not None:
        raise DataError("class_names applies to folder-per-class directories, not to a file", path)
    data, sha256 = read_file_bytes(path)
    labels = "required" if require_labels else "optional"
    options = {"text_column": text_column, "label_column": label_column, "header": header}
    return parse_split(data, sha256, path, name, labels=labels, **options)


def parse_split(
    data: bytes,
    sha256: str,
    path: str | os.PathLike,
    name: str,
    *,
    text_column: ColumnSpec,
    label_column: ColumnSpec,
    header: bool | None,
    labels: LabelMode,
) -> Split:
    """`read_split` on bytes already read (so a caller can check their hash first)."""
    suffix = (Path(path).with_suffix("") if is_gzip_path(path) else Path(path)).suffix.lower()
    if suffix not in EXTENSION_FORMATS:
        raise DataError(
            f"unknown file type {suffix or '(no extension)'!r}: expected one of "
            f"{', '.join(EXTENSION_FORMATS)}, optionally gzipped (.gz)",
            path,
        )
    file_type = EXTENSION_FORMATS[suffix]
    text = decode_utf8(decompress(data, path), path)
    if file_type == "tsv":
        rows = ((number, line.split("\t")) for number, line in physical_lines(text) if line)
    else:
        rows = _csv_rows(text, path) if file_type == "csv" else _jsonl_rows(text, path)
    columns = _parse_rows(rows, file_type, path, text_column, label_column, header, labels)
    return Split(name=name, path=os.path.abspath(path), sha256=sha256, format=file_type, **columns)


def _csv_rows(text: str, path: str | os.PathLike) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    lines_read = 0
    # The limit is process-wide state. It is raised, never lowered back: restoring it could cut
    # short another file being parsed at the same time, and a higher limit harms no other reader.
    if csv.field_size_limit() < CSV_FIELD_LIMIT:
        csv.field_size_limit(CSV_FIELD_LIMIT)
    try:
        for fields in reader:
            start, lines_read = lines_read + 1, reader.line_num
            if fields:  # csv yields [] for an empty line
                yield start, fields
    except csv.Error as error:
        hint = ""
        if "unexpected end of data" in str(error):
            hint = " (a quoted field opened on this line is never closed)"
        raise DataError(f"malformed CSV: {error}{hint}", path, lines_read + 1) from None


def _jsonl_rows(text: str, path: str | os.PathLike) -> Iterator[tuple[int, dict]]:
    for number, line in physical_lines(text):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise DataError(f"invalid JSON: {error.msg} (column {error.colno})", path, number) from None
        if not isinstance(record, dict):
            raise DataError(f"expected a JSON object, found {type(record).__name__}", path, number)
        yield number, record


def _parse_rows(
    rows: Iterator[tuple[int, list[str] | dict]],
    file_type: str,
    path: str | os.PathLike,
    text_column: ColumnSpec,
    label_column: ColumnSpec,
    header: bool | None,
    labels: LabelMode,
) -> dict:
    """The examples and columns of a file's rows: TSV/CSV fields, or JSONL records (read by key)."""
    first = next(rows, None)
    if first is None:
        raise DataError("the file is empty", path)
    first_line, first_cells = first
    labels_required = labels == "required"
    if file_type == "jsonl":
        for spec, role in ((text_column, "text"), (label_column, "label")):
            if isinstance(spec, int):
                raise DataError(f"JSONL records are read by key: give the {role} key, not index {spec}")
        names, header = list(first_cells), None
        where = f"keys of the first record {names}"
    else:
        if header is None:  # auto (module docstring); when unsure a header, so errors list the names sought
            known = set(TEXT_COLUMN_CANDIDATES) | set(LABEL_COLUMN_CANDIDATES)
            header = (
                any(_is_name(spec) for spec in (text_column, label_column))
                or any(_normalise(cell) in known for cell in first_cells)
                or text_column is None
                or (labels_required and label_column is None)
            )
        names = first_cells if header else None
        where = f"header {first_cells}" if header else f"first line ({len(first_cells)} fields)"
    text_index, label_index = column_indices(
        text_column, label_column, names, labels, where, path, first_line, by_index=file_type != "jsonl"
    )
    width = len(first_cells)
    for index, role in ((text_index, "text"), (label_index, "label")):
        if file_type != "jsonl" and index is not None and index >= width:
            if role == "label" and not labels_required:
                label_index = None
                continue
            raise DataError(f"{role} column index {index} is out of range: {where}", path, first_line)

    def column_name(index: int | None) -> str | int | None:
        return index if index is None or names is None else names[index]

    texts: list[str] = []
    example_labels: list[str] = []
    lines: list[int] = []
    data_rows = rows if header else itertools.chain([first], rows)
    if file_type == "jsonl":  # records, read by key
        text_key, label_key = column_name(text_index), column_name(label_index)
        for number, record in data_rows:
            text = _cell(record, text_key, path, number)
            if not isinstance(text, str):
                raise DataError(f"{text_key!r} must be a string, found {type(text).__name__}", path, number)
            texts.append(text)
            if label_key is not None:
                label = _cell(record, label_key, path, number)
                if isinstance(label, int) and not isinstance(label, bool):
                    label = str(label)
                if not isinstance(label, str):
                    raise DataError(
                        f"label {label_key!r} must be a string or an integer, found {type(label).__name__} "
                        f"{label!r}",
                        path,
                        number,
                    )
                example_labels.append(label_cell(label, path, number))
            lines.append(number)
    else:  # TSV/CSV fields, read by index (a loop of its own: it is the reader's hot loop)
        separator = "tab-separated" if file_type == "tsv" else "comma-separated"
        for number, fields in data_rows:
            if len(fields) != width:
                hint = " (a tab inside a text?)" if file_type == "tsv" and len(fields) > width else ""
                reason = f"expected {width} {separator} fields (as in the {where}), found {len(fields)}{hint}"
                raise DataError(reason, path, number)
            texts.append(fields[text_index])
            if label_index is not None:
                example_labels.append(label_cell(fields[label_index], path, number))
            lines.append(number)
    if not texts:
        raise DataError("the file has a header line but no data rows", path, first_line)
    return {
        "texts": texts,
        "labels": example_labels if label_index is not None else None,
        "lines": lines,
        "text_column": column_name(text_index),
        "label_column": column_name(label_index),
        "header": header,
    }


def _cell(record: dict, key: str, path: str | os.PathLike, line: int):
    if key not in record:
        raise DataError(f"no {key!r} key in this record (keys: {list(record)})", path, line)
    return record[key]


def column_indices(
    text_column: ColumnSpec,
    label_column: ColumnSpec,
    names: list[str] | None,
    labels: LabelMode,
    where: str,
    path: str | os.PathLike,
    line: int | None,
    *,
    by_index: bool,
) -> tuple[int, int | None]:
    """Indices of the text and label columns in `names` (None: a file without a header).

    Shared by every source that has named columns (TSV/CSV headers, JSONL keys, tfds
    features). With `by_index` False every string is a name, even one of digits.
    `where` describes `names` for error messages ("header [...]").
    """
    normalised = [] if names is None else [_normalise(name) for name in names]
    at = functools.partial(DataError, path=path, line=line)  # every error here names the same place

    def find(spec: ColumnSpec, candidates: tuple[str, ...], role: str, required: bool) -> int | None:
        """0-based index of the column `spec` names, or of the first candidate in `names`."""
        if spec is None:
            for candidate in candidates:
                if candidate in normalised:
                    return normalised.index(candidate)
            if not required:
                return None
            if names is None:
                raise at(
                    f"no header line, so the {role} column must be given as a 0-based index "
                    f"(--{role}-column); {where}"
                )
            raise at(
                f"no {role} column found in the {where}; expected one of {list(candidates)}, or "
                f"give --{role}-column: a column name, or a 0-based index for a file without a header"
            )
        if isinstance(spec, bool) or not isinstance(spec, (int, str)):
            raise at(f"{role} column must be a name or a 0-based index, got {spec!r}")
        if isinstance(spec, str) and names is not None:
            if spec in names:
                return names.index(spec)
            if _normalise(spec) in normalised:
                return normalised.index(_normalise(spec))
        if _is_name(spec) or (isinstance(spec, str) and not by_index):
            if not required:
                return None
            if names is None:
                raise at(
                    f"{role} column {spec!r} is a name, but the file has no header line; give a "
                    f"0-based index instead"
                )
            raise at(f"{role} column {spec!r} is not in the {where}")
        if int(spec) < 0:
            raise at(f"{role} column index must be 0 or more, got {int(spec)}")
        return int(spec)

    text_index = find(text_column, TEXT_COLUMN_CANDIDATES, "text", True)
    label_index = None
    if labels != "none":
        label_index = find(label_column, LABEL_COLUMN_CANDIDATES, "label", labels == "required")
    if text_index == label_index:
        raise at(f"the text and label columns are the same column ({text_index})")
    pair = [name for name in names or () if _normalise(name) in PAIR_COLUMNS]
    if text_column is None and pair:
        raise at(
            f"the {where} has a second text column {pair}: sentence-pair data is not "
            f"supported; choose one text column with --text-column to use it anyway"
        )
    return text_index, label_index


def label_cell(cell: str, path: str | os.PathLike, line: int) -> str:
    """A label as read: surrounding whitespace stripped; an empty one is an error."""
    label = cell.strip()
    if not label:
        raise DataError("empty label", path, line)
    return label


def _is_name(spec: ColumnSpec) -> bool:
    """True for a column given by name, False for an index (int or digit string) or None."""
    return isinstance(spec, str) and not spec.strip().isdigit()


def _normalise(name: str) -> str:
    return name.strip().lower()
