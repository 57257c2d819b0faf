"""`Manifest`: bundle.json, the description of a bundle, validated the same way on write and on load.

A bundle is a directory (optionally also zipped) holding `model.tflite`, `vocab.txt`,
`labels.txt` and `bundle.json`.

Format 2 (written since fnet-keras 0.2), each fact once:
    format, format_version: "fnet-keras-bundle", 2
    name: a display name ("sst2 tiny FNet, int8")
    package_version, created: the exporter's version; ISO-8601 UTC time
    model: preset, mixing, num_attention_layers, parameters, fourier_method (the FourierMixing
        method in the graph: "rfft", "dft" or null)
    quantization: {"mode": fp32|fp16|dynamic|int8, "recipe": how it was made, "float_ops": ops
        still computing in float (the float islands)}
    tokenizer: `TokenizerConfig.to_dict()`; its sequence_length is every model input's length
    inputs: role -> signature input name, `INPUTS` (MediaPipe's BERT layout, all int32
        [1, sequence_length]; the converter orders tensors as it likes, so they are bound by name)
    output: `OUTPUT`, float32 [1, number of labels]
    embedded_files: files model.tflite also carries in its TFLite metadata (MediaPipe reads them
        there); the bundle's own files are canonical: the loader refuses copies that differ
    ops: op name -> count, from the flatbuffer; parity: the export's parity gate figures
    runtime: which interpreters run it (`runtime_requirements`)
    provenance: where it came from: "run" (directory, config hash), "init" (the pre-training, or
        null), "distillation" (teacher run with its hashes, preset, accuracy and own init; extra
        text; or null)
    notes: free-form facts (test accuracy, latency, ...)
    data_labels (optional): the labels as the training data spells them, in labels.txt's order,
        where the export showed the classes under other names (`--rename-labels
        0=negative,1=positive` records ["0", "1"]); `evaluate` maps them, so the bundle scores its
        own data. Absent: the data's labels are labels.txt's
    files: name -> {"bytes", "sha256"} of model.tflite, vocab.txt, labels.txt
The labels are labels.txt (not repeated here).

Format 1 (fnet-keras 0.1) is read too: one `token_ids` input and a `logits` output (float32, or
int8 with its scale and zero point), `quantization` a string, `mixing` the Fourier method,
`labels` and `sequence_length` repeated beside labels.txt and the tokenizer (checked equal).
`Manifest` gives both formats the same typed view.
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
from fnet_keras.edge.tflite_metadata import INPUT_MASK, INPUT_TYPE_IDS, INPUT_WORD_IDS
from fnet_keras.edge.tflite_metadata import LABELS_FILE_NAME as LABELS_NAME
from fnet_keras.edge.tflite_metadata import VOCABULARY_FILE_NAME as VOCABULARY_NAME
from fnet_keras.text.config import TokenizerConfig
from fnet_keras.text.errors import TokenizerError

FORMAT = "fnet-keras-bundle"
FORMAT_VERSION = 2
READABLE_FORMAT_VERSIONS = (1, 2)
MANIFEST_NAME = "bundle.json"
MODEL_NAME = "model.tflite"
BUNDLE_FILES = (MODEL_NAME, VOCABULARY_NAME, LABELS_NAME)
MODES = ("fp32", "fp16", "dynamic", "int8")
FOURIER_METHODS_IN_GRAPH = ("rfft", "dft", None)  # None: the model has no Fourier mixing
# Format 2's model tensors: MediaPipe's BERT text classifier layout.
INPUTS = {"token_ids": INPUT_WORD_IDS, "mask": INPUT_MASK, "segment_ids": INPUT_TYPE_IDS}
OUTPUT = {"name": "probabilities", "kind": "probabilities"}
MAX_MANIFEST_BYTES = 4 << 20  # a manifest is a few kilobytes; anything far larger is not one

_SHA256 = re.compile(r"[0-9a-f]{64}")
_JSON_KINDS = {dict: "object", list: "array", str: "string", int: "integer", bool: "true/false"}


@dataclasses.dataclass(frozen=True)
class Manifest:
    """A validated bundle.json: the raw dict (`data`) plus the values the runtime uses, typed, with
    format 2's values as defaults (see the module docstring for the fields).

    Attributes:
        path: where the manifest came from, named in errors.
        files: file name -> `(bytes, sha256)` for each bundle file.
        output_name, output_kind: the signature output and what it holds ("probabilities" or
            "logits"); `output_quantization`: `(scale, zero_point)` of a format-1 int8 output.
        labels: format 1's recorded labels (checked against labels.txt), None in format 2.
    """

    data: dict[str, Any]
    format_version: int
    quantization: str
    tokenizer: TokenizerConfig
    files: dict[str, tuple[int, str]]
    path: str | None = None
    inputs: dict[str, str] = dataclasses.field(default_factory=lambda: dict(INPUTS))
    output_name: str = OUTPUT["name"]
    output_kind: str = OUTPUT["kind"]
    output_quantization: tuple[float, int] | None = None
    labels: tuple[str, ...] | None = None
    embedded_files: tuple[str, ...] = ()
    data_labels: tuple[str, ...] | None = None

    @property
    def sequence_length(self) -> int:
        return self.tokenizer.sequence_length

    @property
    def name(self) -> str:
        return str(self.data.get("name") or self.data.get("model", {}).get("preset") or "bundle")

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
        if version not in READABLE_FORMAT_VERSIONS or isinstance(version, bool):
            raise BundleError(
                f"format_version {version!r} is not supported: this fnet_keras reads versions "
                f"{', '.join(map(str, READABLE_FORMAT_VERSIONS))} (a newer exporter wrote it? upgrade "
                f"fnet-keras)",
                path,
            )
        try:
            tokenizer = TokenizerConfig.from_dict(_field(data, "tokenizer", dict, path))
        except TokenizerError as error:
            raise BundleError(f"field 'tokenizer': {error.reason}", path) from None
        files = _files(_field(data, "files", dict, path), path)
        _check_runtime_field(_field(data, "runtime", dict, path), path)
        if version == 1:
            return _format1(data, tokenizer, files, path)
        mode = _field(data, "quantization", dict, path).get("mode")
        if mode not in MODES:
            raise BundleError(f"'quantization.mode' is {mode!r}, expected one of {list(MODES)}", path)
        for key, expected in (("inputs", INPUTS), ("output", OUTPUT)):
            if _field(data, key, dict, path) != expected:
                raise BundleError(f"{key!r} is {data[key]!r:.200}, expected {expected}", path)
        embedded = _field(data, "embedded_files", list, path)
        if any(name not in (VOCABULARY_NAME, LABELS_NAME) for name in embedded):
            expected = [VOCABULARY_NAME, LABELS_NAME]
            raise BundleError(f"'embedded_files' is {embedded!r}, expected names among {expected}", path)
        fourier_method = _field(data, "model", dict, path).get("fourier_method")
        if fourier_method not in FOURIER_METHODS_IN_GRAPH:
            expected = list(FOURIER_METHODS_IN_GRAPH)
            raise BundleError(
                f"'model.fourier_method' is {fourier_method!r}, expected one of {expected}", path
            )
        data_labels = _labels(data, "data_labels", path) if "data_labels" in data else None
        return cls(
            data, 2, mode, tokenizer, files, path, embedded_files=tuple(embedded), data_labels=data_labels
        )

    def to_json(self) -> str:
        """bundle.json's text: UTF-8 JSON, indent 2, a final newline."""
        return json.dumps(self.data, indent=2, ensure_ascii=False) + "\n"

    def check_labels(self, labels: tuple[str, ...], labels_path: str) -> None:
        """Refuses (BundleError) labels.txt's `labels` where they differ from format 1's recorded
        labels, or are not as many as the data labels."""
        if self.labels is not None and labels != self.labels:
            raise BundleError(
                f"labels.txt holds {list(labels)}, but bundle.json's 'labels' are {list(self.labels)}",
                labels_path,
            )
        if self.data_labels is not None and len(self.data_labels) != len(labels):
            raise BundleError(
                f"'data_labels' {list(self.data_labels)} has {len(self.data_labels)} labels, labels.txt "
                f"{len(labels)}: one data label per class",
                self.path,
            )


def _format1(data: dict, tokenizer: TokenizerConfig, files: dict, path: str | None) -> Manifest:
    quantization = _field(data, "quantization", str, path)
    if quantization not in MODES:
        raise BundleError(f"'quantization' is {quantization!r}, expected one of {list(MODES)}", path)
    labels = _labels(data, "labels", path)
    sequence_length = _field(data, "sequence_length", int, path)
    if sequence_length != tokenizer.sequence_length:
        raise BundleError(
            f"'sequence_length' {sequence_length} differs from tokenizer.sequence_length "
            f"{tokenizer.sequence_length}",
            path,
        )
    spec = _field(data, "input", dict, path)
    for key, value in {"name": "token_ids", "dtype": "int32", "shape": [1, sequence_length]}.items():
        if spec.get(key) != value:
            raise BundleError(f"field 'input.{key}' is {spec.get(key)!r}, expected {value!r}", path)
    scale_and_zero_point = _format1_output(_field(data, "outputs", dict, path), len(labels), path)
    output = {"output_name": "logits", "output_kind": "logits", "output_quantization": scale_and_zero_point}
    return Manifest(
        data, 1, quantization, tokenizer, files, path, {"token_ids": "token_ids"}, **output, labels=labels
    )


def _field(data: dict, key: str, kind: type, path: str | None) -> Any:
    if key not in data:
        raise BundleError(f"missing field {key!r}", path)
    value = data[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise BundleError(f"field {key!r} must be a JSON {_JSON_KINDS[kind]}, found {value!r:.80}", path)
    return value


def _labels(data: dict, key: str, path: str | None) -> tuple[str, ...]:
    try:
        return LabelMap(tuple(_field(data, key, list, path))).labels
    except DataError as error:
        raise BundleError(f"field {key!r}: {error.reason}", path) from None


def _format1_output(outputs: dict, num_labels: int, path: str | None) -> tuple[float, int] | None:
    spec = outputs.get("logits")
    if not isinstance(spec, dict):
        raise BundleError(f"field 'outputs' must hold an object 'logits', found {outputs!r:.80}", path)
    dtype = spec.get("dtype")
    if dtype not in ("float32", "int8"):
        raise BundleError(
            f"field 'outputs.logits.dtype' is {dtype!r}, expected one of ['float32', 'int8']", path
        )
    if spec.get("shape") != [1, num_labels]:
        raise BundleError(
            f"field 'outputs.logits.shape' is {spec.get('shape')!r}, expected [1, {num_labels}] "
            f"(one logit per label)",
            path,
        )
    if dtype == "float32":
        return None
    quantization = spec.get("quantization")
    fields = quantization if isinstance(quantization, dict) else {}
    scale, zero_point = fields.get("scale"), fields.get("zero_point")
    valid_scale = isinstance(scale, (int, float)) and not isinstance(scale, bool) and math.isfinite(scale)
    if not (valid_scale and scale > 0 and _is_integer(zero_point) and -128 <= zero_point <= 127):
        raise BundleError(
            "field 'outputs.logits.quantization' of an int8 output must be {\"scale\": a positive "
            f'number, "zero_point": an integer in [-128, 127]}}, found {quantization!r}',
            path,
        )
    return float(scale), zero_point


def _is_integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _files(files: dict, path: str | None) -> dict[str, tuple[int, str]]:
    entries = {}
    for name in BUNDLE_FILES:
        entry = files.get(name) if isinstance(files.get(name), dict) else {}
        size, sha256 = entry.get("bytes"), entry.get("sha256")
        if not _is_integer(size) or size < 0:
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
