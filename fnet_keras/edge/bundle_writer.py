"""`write_bundle`: writes a bundle directory (and optionally its .zip) atomically.

Everything is written into a temporary directory next to the target, checked by the loader's own
checks (`Manifest`, `LiteRTModel.check_matches`, the embedded files' `check_files`) and only then
renamed into place; on any failure nothing is left behind. The writer fills the fields it owns
(`WRITER_FIELDS`); the caller's `metadata` gives the rest. It writes format 2
(`fnet_keras.edge.manifest`).
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
import shutil
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from fnet_keras._version import __version__
from fnet_keras.atomic import atomic_output, install_directory, utc_timestamp, write_synced
from fnet_keras.data.errors import DataError
from fnet_keras.data.label_map import LabelMap
from fnet_keras.edge.errors import BundleError
from fnet_keras.edge.litert_model import LiteRTModel, check_tflite_bytes
from fnet_keras.edge.manifest import (
    BUNDLE_FILES,
    FORMAT,
    FORMAT_VERSION,
    INPUTS,
    LABELS_NAME,
    MANIFEST_NAME,
    MODEL_NAME,
    OUTPUT,
    VOCABULARY_NAME,
    Manifest,
)
from fnet_keras.edge.runtime import runtime_requirements
from fnet_keras.edge.tflite_metadata import read_classifier_metadata, read_metadata_dict
from fnet_keras.text.config import TokenizerConfig
from fnet_keras.text.errors import TokenizerError
from fnet_keras.text.vocabulary import load_vocabulary, save_vocabulary, validate_vocabulary

# Fields the writer computes; metadata may not set them.
WRITER_FIELDS = (
    "format",
    "format_version",
    "package_version",
    "created",
    "tokenizer",
    "inputs",
    "output",
    "embedded_files",
    "files",
    "runtime",
)
REQUIRED_METADATA = ("name", "model", "quantization", "ops", "parity")
OPTIONAL_METADATA = ("provenance", "notes", "data_labels")  # any other field is refused


def write_bundle(
    out_dir: str | os.PathLike,
    *,
    tflite_bytes: bytes,
    vocabulary: Sequence[str] | str | os.PathLike,
    labels: Sequence[str] | LabelMap | str | os.PathLike,
    tokenizer_config: TokenizerConfig | dict[str, Any],
    metadata: dict[str, Any],
    make_zip: bool = False,
    overwrite: bool = False,
    model: LiteRTModel | None = None,
) -> Path:
    """Writes `out_dir` holding model.tflite, vocab.txt, labels.txt and bundle.json.

    Args:
        out_dir: the bundle directory to create.
        tflite_bytes: the converted model in format 2's layout (`manifest.INPUTS` int32
            `[1, sequence_length]` in, `probabilities` `[1, num_classes]` out), with or without
            MediaPipe metadata embedding the vocabulary and labels (then they must be equal).
        vocabulary: the WordPiece tokens (special tokens first), or a vocab.txt path.
        labels: the labels in logit order (a list, a `LabelMap`, or a labels.txt path).
        tokenizer_config: the settings the model was trained with (`sequence_length` included).
        metadata: the other bundle.json fields (`manifest`): `REQUIRED_METADATA` ("model" with
            "fourier_method", "quantization" with "mode") and any of `OPTIONAL_METADATA`; numpy
            scalars and arrays are accepted.
        make_zip: also write `<out_dir>.zip` (the bundle folder inside the zip).
        overwrite: replace an existing bundle directory (and zip). A directory that is not a
            bundle (non-empty, no bundle.json) is never replaced.
        model: these bytes already loaded (the exporter's parity gate ran them), so they are not
            loaded twice; None loads them here.

    Returns:
        `out_dir` as a Path (the zip, if made, is `out_dir.with_name(out_dir.name + ".zip")`).

    Raises:
        BundleError: bad inputs (naming the field and value), or the target exists.
    """
    out_dir = Path(out_dir)
    check_bundle_target(out_dir, make_zip, overwrite)
    check_tflite_bytes(tflite_bytes, MODEL_NAME)
    tflite_bytes = bytes(tflite_bytes)  # one copy of a bytearray or memoryview, for the checks and the file
    try:
        is_path = isinstance(vocabulary, (str, os.PathLike))
        tokens = load_vocabulary(vocabulary) if is_path else validate_vocabulary(vocabulary)
    except TokenizerError as error:
        raise BundleError(f"vocabulary: {error}") from None
    try:
        if isinstance(labels, (str, os.PathLike)):
            labels = LabelMap.load(labels)
        label_map = labels if isinstance(labels, LabelMap) else LabelMap(tuple(labels))
    except DataError as error:
        raise BundleError(f"labels: {error}") from None
    try:
        is_config = isinstance(tokenizer_config, TokenizerConfig)
        config = tokenizer_config if is_config else TokenizerConfig.from_dict(tokenizer_config)
    except TokenizerError as error:
        raise BundleError(f"tokenizer_config: {error}") from None
    manifest = _manifest(tflite_bytes, tokens, label_map, config, metadata, model)

    out_dir.parent.mkdir(parents=True, exist_ok=True)
    temp_dir = Path(tempfile.mkdtemp(dir=out_dir.parent, prefix=f".{out_dir.name}.", suffix=".tmp"))
    try:
        with atomic_output(_zip_path(out_dir)) if make_zip else contextlib.nullcontext() as temp_zip:
            write_synced(temp_dir / MODEL_NAME, tflite_bytes)
            save_vocabulary(tokens, temp_dir / VOCABULARY_NAME)
            label_map.save(temp_dir / LABELS_NAME)
            for name in BUNDLE_FILES:
                data = (temp_dir / name).read_bytes()
                manifest["files"][name] = {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
            checked = Manifest.from_dict(manifest, MANIFEST_NAME)
            checked.check_labels(label_map.labels, LABELS_NAME)
            write_synced(temp_dir / MANIFEST_NAME, checked.to_json().encode("utf-8"))
            if temp_zip:
                with zipfile.ZipFile(temp_zip, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                    for name in (MANIFEST_NAME, *BUNDLE_FILES):
                        archive.write(temp_dir / name, f"{out_dir.name}/{name}")
            install_directory(temp_dir, out_dir)  # the zip replaces the old one after it
    except BaseException:
        shutil.rmtree(temp_dir, ignore_errors=True)
        raise
    return out_dir


def check_bundle_target(out_dir: str | os.PathLike, make_zip: bool = False, overwrite: bool = False) -> None:
    """Raises BundleError where `write_bundle` would refuse to write `out_dir` (and its .zip)."""
    out_dir = Path(out_dir)
    zip_path = _zip_path(out_dir) if make_zip else None
    if out_dir.exists() or out_dir.is_symlink():
        if not overwrite:
            raise BundleError("already exists; choose another directory or pass overwrite=True", out_dir)
        if not out_dir.is_dir() or out_dir.is_symlink():
            raise BundleError("exists and is not a directory; not replacing it", out_dir)
        if any(out_dir.iterdir()) and not (out_dir / MANIFEST_NAME).is_file():
            raise BundleError(f"exists and is not a bundle (no {MANIFEST_NAME}); not replacing it", out_dir)
    if zip_path is not None and zip_path.exists():
        if not overwrite:
            raise BundleError("already exists; pass overwrite=True to replace it", zip_path)
        if not zip_path.is_file():
            raise BundleError("exists and is not a file; not replacing it", zip_path)


def _manifest(
    tflite_bytes: bytes,
    vocabulary: list[str],
    label_map: LabelMap,
    config: TokenizerConfig,
    metadata: dict[str, Any],
    model: LiteRTModel | None,
) -> dict:
    """bundle.json with empty "files" (filled once the files are written)."""
    if not isinstance(metadata, dict):
        raise BundleError(f"metadata must be a dict, got {type(metadata).__name__}")
    metadata = _json_ready(metadata)
    clashes = [key for key in WRITER_FIELDS if key in metadata]
    if clashes:
        raise BundleError(f"metadata sets {clashes}, which write_bundle computes; leave them out")
    missing = [key for key in REQUIRED_METADATA if key not in metadata]
    if missing:
        raise BundleError(f"metadata lacks {missing} (required: {list(REQUIRED_METADATA)})")
    unknown = [key for key in metadata if key not in REQUIRED_METADATA + OPTIONAL_METADATA]
    if unknown:
        raise BundleError(
            f"metadata has unknown fields {unknown} (known: {list(REQUIRED_METADATA + OPTIONAL_METADATA)})"
        )
    for key in ("model", "quantization", "ops", "parity"):
        if not isinstance(metadata[key], dict):
            raise BundleError(f"metadata[{key!r}] must be a dict, got {metadata[key]!r:.80}")

    # A bundle cannot describe a model it does not hold: the model must fit the tokenizer and the
    # labels, and its embedded vocabulary and labels must equal the files.
    if model is None:
        model = LiteRTModel(tflite_bytes, path=MODEL_NAME)
    model.check_matches(config.sequence_length, len(label_map))
    embedded = []
    if read_metadata_dict(tflite_bytes, MODEL_NAME) is not None:
        read_classifier_metadata(tflite_bytes, MODEL_NAME).check_files(
            vocabulary, label_map.labels, MODEL_NAME
        )
        embedded = [VOCABULARY_NAME, LABELS_NAME]
    mode = metadata["quantization"].get("mode")
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "name": metadata["name"],
        "package_version": __version__,
        "created": utc_timestamp(),
        "model": metadata["model"],
        "quantization": metadata["quantization"],
        "tokenizer": config.to_dict(),
        "inputs": dict(INPUTS),
        "output": dict(OUTPUT),
        "embedded_files": embedded,
        "ops": metadata["ops"],
        "parity": metadata["parity"],
        "runtime": runtime_requirements(mode) if isinstance(mode, str) else None,
        "provenance": metadata.get("provenance", {}),
        "notes": metadata.get("notes", []),
        **({"data_labels": metadata["data_labels"]} if "data_labels" in metadata else {}),
        "files": {},
    }


def _json_ready(value: Any, where: str = "metadata") -> Any:
    """A deep copy with numpy scalars/arrays as Python numbers/lists; other non-JSON values are refused."""
    if isinstance(value, dict):
        result = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise BundleError(f"{where} has a non-string key {key!r}")
            result[key] = _json_ready(item, f"{where}[{key!r}]")
        return result
    if isinstance(value, (list, tuple)):
        return [_json_ready(item, f"{where}[{index}]") for index, item in enumerate(value)]
    if isinstance(value, np.ndarray):
        return _json_ready(value.tolist(), where)
    if isinstance(value, np.generic):
        return _json_ready(value.item(), where)
    if isinstance(value, float) and not math.isfinite(value):
        raise BundleError(f"{where} is {value}, which JSON cannot hold")
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise BundleError(f"{where} is a {type(value).__name__} ({value!r:.60}), which JSON cannot hold")


def _zip_path(out_dir: Path) -> Path:
    return out_dir.with_name(out_dir.name + ".zip")
