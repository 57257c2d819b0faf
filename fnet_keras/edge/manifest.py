"""`Manifest`: bundle.json, the description of a bundle, validated the same way on write and on load.

A bundle is a directory (optionally also zipped) holding `model.tflite`, `vocab.txt`,
`labels.txt` and `bundle.json`; the fields are described in the project's bundle spec and
summarised in `fnet_keras/edge/__init__.py`. `Manifest.from_dict` checks every field the edge
runtime relies on (format, version, quantization, labels, tokenizer, input/output tensors,
file sizes and hashes, runtime requirements); the informational fields (`model`, `ops`,
`parity`, `source_run`, ...) are kept as written.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
from typing import Any

from fnet_keras.data.errors import DataError
from fnet_keras.data.label_map import LabelMap
from fnet_keras.edge.errors import BundleError
from fnet_keras.text.config import TokenizerConfig
from fnet_keras.text.errors import TokenizerError

FORMAT = "fnet-keras-bundle"
FORMAT_VERSION = 1
MANIFEST_NAME = "bundle.json"
MODEL_NAME = "model.tflite"
VOCABULARY_NAME = "vocab.txt"
LABELS_NAME = "labels.txt"
BUNDLE_FILES = (MODEL_NAME, VOCABULARY_NAME, LABELS_NAME)
QUANTIZATIONS = ("fp32", "fp16", "dynamic", "int8")
# FourierMixing method in the .tflite graph ("none": no Fourier mixing, e.g. attention-only).
MIXINGS = ("rfft", "dft", "none")
INPUT_NAME = "token_ids"
INPUT_DTYPE = "int32"
OUTPUT_NAME = "logits"
OUTPUT_DTYPES = ("float32", "int8")
# A manifest is a few kilobytes; anything far larger is not one (and is not read whole).
MAX_MANIFEST_BYTES = 4 << 20

_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclasses.dataclass(frozen=True)
class Manifest:
    """A validated bundle.json: the raw dict plus the values the runtime uses, typed.

    Attributes:
        data: the JSON object as read (or about to be written).
        quantization: "fp32", "fp16", "dynamic" or "int8".
        labels: the class labels in logit order.
        tokenizer: the tokenizer settings (sequence length included).
        output_dtype: "float32" or "int8".
        output_quantization: `(scale, zero_point)` of an int8 output, else None.
        files: file name -> `(bytes, sha256)` for each bundle file.
        path: where the manifest came from, named in errors.
    """

    data: dict[str, Any]
    quantization: str
    labels: tuple[str, ...]
    tokenizer: TokenizerConfig
    output_dtype: str
    output_quantization: tuple[float, int] | None
    files: dict[str, tuple[int, str]]
    path: str | None = None

    @property
    def sequence_length(self) -> int:
        return self.tokenizer.sequence_length

    @classmethod
    def from_bytes(cls, data: bytes, path: str | os.PathLike | None = None) -> Manifest:
        """Parses and validates bundle.json's bytes."""
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise BundleError(f"not UTF-8 ({error.reason} at byte {error.start})", path) from None
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError as error:
            raise BundleError(
                f"not valid JSON: {error.msg} (column {error.colno})", path, error.lineno
            ) from None
        return cls.from_dict(parsed, path)

    @classmethod
    def from_dict(cls, data: Any, path: str | os.PathLike | None = None) -> Manifest:
        """Validates a bundle.json object; raises `BundleError` naming the field and value."""
        path = None if path is None else os.fspath(path)
        if not isinstance(data, dict):
            raise BundleError(f"expected a JSON object, found {type(data).__name__}", path)
        # Format and version first: a newer bundle should say so, not fail on a renamed field.
        if data.get("format") != FORMAT:
            raise BundleError(
                f"'format' is {data.get('format')!r}, expected {FORMAT!r}: not an fnet-keras bundle", path
            )
        version = data.get("format_version")
        if version != FORMAT_VERSION or isinstance(version, bool):
            raise BundleError(
                f"format_version {version!r} is not supported: this fnet_keras reads version "
                f"{FORMAT_VERSION} (a newer exporter wrote it? upgrade fnet-keras)",
                path,
            )
        quantization = _field(data, "quantization", str, path)
        if quantization not in QUANTIZATIONS:
            raise BundleError(
                f"'quantization' is {quantization!r}, expected one of {list(QUANTIZATIONS)}", path
            )
        labels = _labels(_field(data, "labels", list, path), path)
        tokenizer = _tokenizer(_field(data, "tokenizer", dict, path), path)
        sequence_length = _field(data, "sequence_length", int, path)
        if sequence_length != tokenizer.sequence_length:
            raise BundleError(
                f"'sequence_length' {sequence_length} differs from tokenizer.sequence_length "
                f"{tokenizer.sequence_length}",
                path,
            )
        _check_input(_field(data, "input", dict, path), sequence_length, path)
        output_dtype, output_quantization = _output(_field(data, "outputs", dict, path), len(labels), path)
        files = _files(_field(data, "files", dict, path), path)
        _check_runtime_field(_field(data, "runtime", dict, path), path)
        return cls(data, quantization, labels, tokenizer, output_dtype, output_quantization, files, path)

    def to_json(self) -> str:
        """bundle.json's text: UTF-8 JSON, indent 2, a final newline."""
        return json.dumps(self.data, indent=2, ensure_ascii=False) + "\n"


def _field(data: dict, key: str, kind: type, path: str | None) -> Any:
    if key not in data:
        raise BundleError(f"missing field {key!r}", path)
    value = data[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise BundleError(f"field {key!r} must be a JSON {_json_kind(kind)}, found {value!r:.80}", path)
    return value


def _json_kind(kind: type) -> str:
    return {dict: "object", list: "array", str: "string", int: "integer", bool: "true/false"}.get(
        kind, kind.__name__
    )


def _labels(labels: list, path: str | None) -> tuple[str, ...]:
    try:
        label_map = LabelMap(tuple(labels))
    except DataError as error:
        raise BundleError(f"field 'labels': {error.reason}", path) from None
    return label_map.labels


def _tokenizer(settings: dict, path: str | None) -> TokenizerConfig:
    try:
        return TokenizerConfig.from_dict(settings)
    except TokenizerError as error:
        raise BundleError(f"field 'tokenizer': {error.reason}", path) from None


def _check_input(spec: dict, sequence_length: int, path: str | None) -> None:
    expected = {"name": INPUT_NAME, "dtype": INPUT_DTYPE, "shape": [1, sequence_length]}
    for key, value in expected.items():
        if spec.get(key) != value:
            raise BundleError(f"field 'input.{key}' is {spec.get(key)!r}, expected {value!r}", path)


def _output(outputs: dict, num_labels: int, path: str | None) -> tuple[str, tuple[float, int] | None]:
    spec = outputs.get(OUTPUT_NAME)
    if not isinstance(spec, dict):
        raise BundleError(f"field 'outputs' must hold an object {OUTPUT_NAME!r}, found {outputs!r:.80}", path)
    dtype = spec.get("dtype")
    if dtype not in OUTPUT_DTYPES:
        raise BundleError(
            f"field 'outputs.logits.dtype' is {dtype!r}, expected one of {list(OUTPUT_DTYPES)}", path
        )
    if spec.get("shape") != [1, num_labels]:
        raise BundleError(
            f"field 'outputs.logits.shape' is {spec.get('shape')!r}, expected [1, {num_labels}] "
            f"(one logit per label)",
            path,
        )
    if dtype == "float32":
        return dtype, None
    quantization = spec.get("quantization")
    scale = quantization.get("scale") if isinstance(quantization, dict) else None
    zero_point = quantization.get("zero_point") if isinstance(quantization, dict) else None
    if (
        not isinstance(scale, (int, float))
        or isinstance(scale, bool)
        or not math.isfinite(scale)
        or scale <= 0
        or not isinstance(zero_point, int)
        or isinstance(zero_point, bool)
        or not -128 <= zero_point <= 127
    ):
        raise BundleError(
            "field 'outputs.logits.quantization' of an int8 output must be {\"scale\": a positive "
            f'number, "zero_point": an integer in [-128, 127]}}, found {quantization!r}',
            path,
        )
    return dtype, (float(scale), zero_point)


def _files(files: dict, path: str | None) -> dict[str, tuple[int, str]]:
    entries = {}
    for name in BUNDLE_FILES:
        entry = files.get(name)
        size = entry.get("bytes") if isinstance(entry, dict) else None
        sha256 = entry.get("sha256") if isinstance(entry, dict) else None
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise BundleError(f"field 'files.{name}.bytes' must be a byte count, found {size!r}", path)
        if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
            raise BundleError(
                f"field 'files.{name}.sha256' must be 64 lower-case hex digits, found {sha256!r}", path
            )
        entries[name] = (size, sha256)
    return entries


def _check_runtime_field(runtime: dict, path: str | None) -> None:
    minimum = runtime.get("min_ai_edge_litert")
    if not isinstance(minimum, str) or not re.fullmatch(r"\d+(\.\d+)*", minimum):
        raise BundleError(
            f"field 'runtime.min_ai_edge_litert' must be a version like \"2.3.0\", found {minimum!r}", path
        )
    if not isinstance(runtime.get("tflite_runtime"), bool):
        raise BundleError(
            f"field 'runtime.tflite_runtime' must be true or false, found {runtime.get('tflite_runtime')!r}",
            path,
        )
