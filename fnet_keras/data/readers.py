"""Readers for labelled text files: TSV (GLUE style), CSV and JSON Lines, plain or gzipped.

Formats, chosen by the file extension (after a `.gz`, which means gzip: `train.tsv.gz`):
- `.tsv`: one example per line, fields split on tabs, **no quoting** (GLUE texts contain
  `"` characters that are part of the text, so `csv.QUOTE_NONE` semantics).
- `.csv`: standard CSV quoting (`"a, b",1`); a quoted field may span lines and has no
  length limit (Python's `csv` refuses fields over 131,072 characters unless told; long
  documents are valid data). Quoting is strict: a quote left open at the end of the file,
  or text right after a closing quote (`"a"b`), is an error, not a silently merged field.
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
(in JSONL, whitespace-only lines too). A UTF-8 byte-order mark is ignored.

Errors are `DataError`s naming the file and line.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import os
from typing import Iterable, Iterator, Literal, NamedTuple, Sequence

from fnet_keras.data.class_folders import read_class_folder
from fnet_keras.data.errors import DataError
from fnet_keras.data.files import (  # noqa: F401 (read_file_bytes, decode_utf8: re-exported)
    decode_utf8,
    decompress,
    physical_lines,
    read_file_bytes,
    without_gzip_suffix,
)
from fnet_keras.data.split import Split

TEXT_COLUMN_CANDIDATES = (
    "sentence",
    "text",
    "content",
    "review",
    "sentence1",
    "document",
    "comment",
    "body",
    "tweet",
    "utterance",
)
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


class _Columns(NamedTuple):
    """What a format parser found: the examples and the columns they came from."""

    texts: list[str]
    labels: list[str] | None
    lines: list[int]
    text_column: str | int
    label_column: str | int | None
    header: bool | None


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
    """Reads one labelled text file (`.tsv`, `.csv`, `.jsonl`, each maybe `.gz`) or class folder.

    Args:
        path: the file, or a folder-per-class directory (`DIR/<label>/*.txt`; read by
            `read_class_folder`, and the column and header options do not apply).
        name: the split's name ("train", "dev", "test").
        text_column, label_column: column name or 0-based index (int or digit string);
            None to find it in the header (see the module docstring).
        header: True, False or None (auto-detect; see the module docstring). Ignored for JSONL.
        require_labels: if False, a file without a label column gives a split whose
            `labels` is None (an unlabelled test file) instead of an error.
        class_names: for a folder-per-class directory, the class folders to read (others are
            excluded with a note); None for every class folder. Refused for a file.

    Raises:
        DataError: naming the file (and line) for anything unreadable or malformed.
    """
    if os.path.isdir(path):
        return read_class_folder(path, name, class_names=class_names)
    if class_names is not None:
        raise DataError("class_names applies to folder-per-class directories, not to a file", path)
    data, sha256 = read_file_bytes(path)
    return parse_split(
        data,
        sha256,
        path,
        name,
        text_column=text_column,
        label_column=label_column,
        header=header,
        labels="required" if require_labels else "optional",
    )


def file_format(path: str | os.PathLike) -> str:
    """ "tsv", "csv" or "jsonl" from the file extension (the one before `.gz`, if gzipped)."""
    suffix = without_gzip_suffix(path).suffix.lower()
    if suffix not in EXTENSION_FORMATS:
        raise DataError(
            f"unknown file type {suffix or '(no extension)'!r}: expected one of "
            f"{', '.join(EXTENSION_FORMATS)}, optionally gzipped (.gz)",
            path,
        )
    return EXTENSION_FORMATS[suffix]


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
    file_type = file_format(path)
    text = decode_utf8(decompress(data, path), path)
    if file_type == "jsonl":
        parsed = _parse_jsonl(text, path, text_column, label_column, labels)
    else:
        rows = _tsv_rows(text) if file_type == "tsv" else _csv_rows(text, path)
        parsed = _parse_table(rows, file_type, path, text_column, label_column, header, labels)
    return Split(
        name=name,
        path=os.path.abspath(path),
        texts=parsed.texts,
        labels=parsed.labels,
        lines=parsed.lines,
        sha256=sha256,
        format=file_type,
        header=parsed.header,
        text_column=parsed.text_column,
        label_column=parsed.label_column,
    )


def _tsv_rows(text: str) -> Iterator[tuple[int, list[str]]]:
    for number, line in physical_lines(text):
        if line:
            yield number, line.split("\t")


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


def _parse_table(
    rows: Iterator[tuple[int, list[str]]],
    file_type: str,
    path: str | os.PathLike,
    text_column: ColumnSpec,
    label_column: ColumnSpec,
    header: bool | None,
    labels: LabelMode,
) -> _Columns:
    first = next(rows, None)
    if first is None:
        raise DataError("the file is empty", path)
    first_line, first_fields = first
    labels_required = labels == "required"
    has_header = _has_header(first_fields, text_column, label_column, header, labels_required)
    names = first_fields if has_header else None
    where = f"header {first_fields}" if has_header else f"first line ({len(first_fields)} fields)"

    text_index, label_index = column_indices(
        text_column, label_column, names, labels, where, path, first_line, by_index=True
    )
    width = len(first_fields)
    for index, role in ((text_index, "text"), (label_index, "label")):
        if index is not None and index >= width:
            if role == "label" and not labels_required:
                label_index = None
                continue
            raise DataError(f"{role} column index {index} is out of range: {where}", path, first_line)
    texts: list[str] = []
    example_labels: list[str] = []
    lines: list[int] = []
    separator = "tab-separated" if file_type == "tsv" else "comma-separated"
    data_rows = rows if has_header else itertools.chain([first], rows)
    for number, fields in data_rows:
        if len(fields) != width:
            hint = " (a tab inside a text?)" if file_type == "tsv" and len(fields) > width else ""
            raise DataError(
                f"expected {width} {separator} fields (as in the {where}), found {len(fields)}{hint}",
                path,
                number,
            )
        texts.append(fields[text_index])
        if label_index is not None:
            example_labels.append(_label_cell(fields[label_index], path, number))
        lines.append(number)
    if not texts:
        raise DataError("the file has a header line but no data rows", path, first_line)

    def column_name(index: int | None) -> str | int | None:
        return index if index is None or names is None else names[index]

    return _Columns(
        texts,
        example_labels if label_index is not None else None,
        lines,
        column_name(text_index),
        column_name(label_index),
        has_header,
    )


def _has_header(
    first_fields: list[str],
    text_column: ColumnSpec,
    label_column: ColumnSpec,
    header: bool | None,
    labels_required: bool,
) -> bool:
    if header is not None:
        return header
    if any(_is_name(spec) for spec in (text_column, label_column)):
        return True
    known = set(TEXT_COLUMN_CANDIDATES) | set(LABEL_COLUMN_CANDIDATES)
    if any(_normalise(cell) in known for cell in first_fields):
        return True
    # No recognisable names: the first line is data when the columns are given as indices.
    # When they are not, treat it as a header so the error shows the names looked for.
    return text_column is None or (labels_required and label_column is None)


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
    try:
        text_index = _column_index(text_column, names, TEXT_COLUMN_CANDIDATES, "text", True, where, by_index)
        label_index = None
        if labels != "none":
            label_index = _column_index(
                label_column,
                names,
                LABEL_COLUMN_CANDIDATES,
                "label",
                labels == "required",
                where,
                by_index,
            )
    except DataError as error:
        raise DataError(error.reason, path, line) from None
    if text_index == label_index:
        raise DataError(f"the text and label columns are the same column ({text_index})", path, line)
    if text_column is None and names is not None:
        pair = [name for name in names if _normalise(name) in PAIR_COLUMNS]
        if pair:
            raise DataError(
                f"the {where} has a second text column {pair}: sentence-pair data is not "
                f"supported; choose one text column with --text-column to use it anyway",
                path,
                line,
            )
    return text_index, label_index


def _column_index(
    spec: ColumnSpec,
    names: list[str] | None,
    candidates: Iterable[str],
    role: str,
    required: bool,
    where: str,
    by_index: bool,
) -> int | None:
    """0-based index of the column `spec` names, or of the first candidate in `names`."""
    if spec is None:
        if names is not None:
            normalised = [_normalise(name) for name in names]
            for candidate in candidates:
                if candidate in normalised:
                    return normalised.index(candidate)
        if not required:
            return None
        if names is None:
            raise DataError(
                f"no header line, so the {role} column must be given as a 0-based index "
                f"(--{role}-column); {where}"
            )
        raise DataError(
            f"no {role} column found in the {where}; expected one of {list(candidates)}, or "
            f"give --{role}-column: a column name, or a 0-based index for a file without a header"
        )
    if isinstance(spec, bool) or not isinstance(spec, (int, str)):
        raise DataError(f"{role} column must be a name or a 0-based index, got {spec!r}")
    if isinstance(spec, str) and names is not None:
        if spec in names:
            return names.index(spec)
        normalised = [_normalise(name) for name in names]
        if _normalise(spec) in normalised:
            return normalised.index(_normalise(spec))
    if _is_name(spec) or (isinstance(spec, str) and not by_index):
        if not required:
            return None
        if names is None:
            raise DataError(
                f"{role} column {spec!r} is a name, but the file has no header line; give a "
                f"0-based index instead"
            )
        raise DataError(f"{role} column {spec!r} is not in the {where}")
    index = int(spec)
    if index < 0:
        raise DataError(f"{role} column index must be 0 or more, got {index}")
    return index


def _label_cell(cell: str, path: str | os.PathLike, line: int) -> str:
    label = cell.strip()
    if not label:
        raise DataError("empty label", path, line)
    return label


def _parse_jsonl(
    text: str,
    path: str | os.PathLike,
    text_column: ColumnSpec,
    label_column: ColumnSpec,
    labels: LabelMode,
) -> _Columns:
    texts: list[str] = []
    example_labels: list[str] = []
    lines: list[int] = []
    text_key = label_key = None
    first_line = 0
    for number, line in physical_lines(text):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise DataError(f"invalid JSON: {error.msg} (column {error.colno})", path, number) from None
        if not isinstance(record, dict):
            raise DataError(f"expected a JSON object, found {type(record).__name__}", path, number)
        if not first_line:
            first_line = number
            text_key, label_key = _jsonl_keys(record, text_column, label_column, labels, path, number)
        texts.append(_jsonl_text(record, text_key, path, number))
        if label_key is not None:
            example_labels.append(_jsonl_label(record, label_key, path, number))
        lines.append(number)
    if not texts:
        raise DataError("the file is empty", path)
    labels_found = example_labels if label_key is not None else None
    return _Columns(texts, labels_found, lines, text_key, label_key, None)


def _jsonl_keys(
    record: dict,
    text_column: ColumnSpec,
    label_column: ColumnSpec,
    labels: LabelMode,
    path: str | os.PathLike,
    line: int,
) -> tuple[str, str | None]:
    for spec, role in ((text_column, "text"), (label_column, "label")):
        if isinstance(spec, int):
            raise DataError(f"JSONL records are read by key: give the {role} key, not index {spec}")
    keys = list(record)
    text_index, label_index = column_indices(
        text_column,
        label_column,
        keys,
        labels,
        f"keys of the first record {keys}",
        path,
        line,
        by_index=False,
    )
    return keys[text_index], None if label_index is None else keys[label_index]


def _jsonl_text(record: dict, key: str, path: str | os.PathLike, line: int) -> str:
    if key not in record:
        raise DataError(f"no {key!r} key in this record (keys: {list(record)})", path, line)
    value = record[key]
    if not isinstance(value, str):
        raise DataError(f"{key!r} must be a string, found {type(value).__name__}", path, line)
    return value


def _jsonl_label(record: dict, key: str, path: str | os.PathLike, line: int) -> str:
    if key not in record:
        raise DataError(f"no {key!r} key in this record (keys: {list(record)})", path, line)
    value = record[key]
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise DataError(
            f"label {key!r} must be a string or an integer, found {type(value).__name__} {value!r}",
            path,
            line,
        )
    return _label_cell(value, path, line)


def _is_name(spec: ColumnSpec) -> bool:
    """True for a column given by name, False for an index (int or digit string) or None."""
    return isinstance(spec, str) and not spec.strip().isdigit()


def _normalise(name: str) -> str:
    return name.strip().lower()
