"""`Bundle` and `load_bundle`: a checked bundle (directory or .zip), ready to classify texts.

Loading checks, in this order, and raises `BundleError` naming the file and the values at
fault: bundle.json (format, version, fields), each file's size and SHA-256 against
bundle.json, labels.txt and the vocabulary (format 1: labels.txt against bundle.json's labels;
format 2: the copies embedded in model.tflite's metadata against the bundle's files, which are
canonical), the interpreter package against the bundle's runtime requirements, then the
.tflite (size and "TFL3" identifier before any interpreter sees it; then the interpreter's own
verifier) and its named input/output tensors against the tokenizer's length and the labels.
"""

from __future__ import annotations

import hashlib
import math
import os
import zipfile
import zlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from fnet_keras.data.errors import DataError
from fnet_keras.data.label_map import LabelMap
from fnet_keras.edge.classification import Classification, Prediction, classify_texts, softmax
from fnet_keras.edge.errors import BundleError
from fnet_keras.edge.litert_model import LiteRTModel
from fnet_keras.edge.manifest import (
    LABELS_NAME,
    MANIFEST_NAME,
    MAX_MANIFEST_BYTES,
    MODEL_NAME,
    VOCABULARY_NAME,
    Manifest,
)
from fnet_keras.edge.runtime import check_runtime, detect_runtime
from fnet_keras.edge.tflite_metadata import read_classifier_metadata
from fnet_keras.text.errors import TokenizerError
from fnet_keras.text.vocabulary import parse_vocabulary
from fnet_keras.text.wordpiece import WordPieceEncoder


class Bundle:
    """A loaded bundle: its tokenizer, labels and model, and `classify`.

    Build it with `load_bundle`. Not thread-safe (one interpreter, batch 1).

    Attributes:
        path: the bundle directory or .zip it was loaded from.
        tokenizer: a `WordPieceEncoder`; `tokenizer.encode(text)` gives the packed ids the
            model receives (`[CLS] ... [SEP] [PAD]...`, `sequence_length` of them).
        labels: the class labels in output order (labels.txt).
        data_labels: the same classes as the training data spelled them, where the export renamed
            them (bundle.json's optional "data_labels"), else None.
        manifest: bundle.json as a dict.
        name, format_version, quantization, sequence_length: from bundle.json.
        runtime: the interpreter package running the model (a `RuntimeInfo`).
        model_bytes: model.tflite's bytes (as loaded and verified).

    Example:
        bundle = load_bundle("bundles/int8")
        bundle.classify("a gorgeous film")           # Prediction: pos 0.9731
        bundle.classify(["a gorgeous film", "dull"]) # Classification: [pos 0.9731, neg 0.8812]
    """

    def __init__(
        self,
        path: Path,
        manifest: Manifest,
        labels: tuple[str, ...],
        tokenizer: WordPieceEncoder,
        model: LiteRTModel,
    ):
        self.path = path
        self.tokenizer = tokenizer
        self.labels = labels
        self.data_labels = manifest.data_labels
        self.manifest = manifest.data
        self.name = manifest.name
        self.format_version = manifest.format_version
        self.quantization = manifest.quantization
        self.sequence_length = manifest.sequence_length
        self.runtime = model.runtime
        self.model_bytes = model.model_bytes
        self._logits = manifest.output_kind == "logits"
        self._model = model

    def probabilities(self, token_ids: np.ndarray) -> np.ndarray:
        """float64 `[n, num_labels]` probabilities of packed ids `[n, sequence_length]`, one invoke each."""
        token_ids = np.asarray(token_ids, np.int32).reshape(-1, self.sequence_length)
        rows = [self._model.predict(ids) for ids in token_ids]
        outputs = np.stack(rows) if rows else np.zeros((0, len(self.labels)), np.float32)
        bad = np.flatnonzero(~np.isfinite(outputs).all(axis=1))
        if bad.size:
            raise BundleError(
                f"the model gave non-finite outputs {outputs[bad[0]].tolist()} for text {int(bad[0])}: the "
                f".tflite is broken (one converted with unfrozen variables does this: look for "
                f"READ_VARIABLE in bundle.json's ops)",
                self._model.path,
            )
        return softmax(outputs) if self._logits else outputs.astype(np.float64)

    def classify(self, texts: str | Iterable[str], top_k: int | None = None) -> Prediction | Classification:
        """The labels of one text (a `Prediction`) or of an iterable of texts (a `Classification`), most
        probable first, with timings: `classification.classify_texts`, which says what it raises; the
        model raises `BundleError` on NaN or infinite outputs, `EdgeRuntimeError` where it fails."""
        texts = texts if isinstance(texts, str) else list(texts)
        return classify_texts(
            texts, self.tokenizer, self.probabilities, self.labels, self.sequence_length, top_k
        )

    def describe(self) -> dict[str, Any]:
        """A short JSON-ready summary: path, name, quantization, sequence length, labels, runtime."""
        return {
            "path": str(self.path),
            "name": self.name,
            "format_version": self.format_version,
            "quantization": self.quantization,
            "sequence_length": self.sequence_length,
            "labels": list(self.labels),
            "runtime": self.runtime.describe(),
        }


def load_bundle(path: str | os.PathLike, *, num_threads: int = 1, runtime: str | None = None) -> Bundle:
    """Loads and checks a bundle directory or its .zip (see the module docstring for the checks).

    Args:
        path: the bundle directory (holding bundle.json) or a .zip of one (bundle.json at
            the top level of the zip, or inside one top-level folder).
        num_threads: interpreter CPU threads.
        runtime: "ai_edge_litert" or "tflite_runtime" to force one; None picks
            ai_edge_litert if installed, else tflite_runtime.

    Raises:
        BundleError: anything wrong with the bundle, naming the file and values.
        EdgeRuntimeError: no LiteRT interpreter is installed.
    """
    path = Path(path)
    source = _Source(path)
    try:
        manifest = Manifest.from_bytes(source.read(MANIFEST_NAME, None), source.name(MANIFEST_NAME))
        contents = {name: source.read(name, size, sha256) for name, (size, sha256) in manifest.files.items()}
    finally:
        source.close()
    model_path = source.name(MODEL_NAME)
    try:
        labels = LabelMap.from_bytes(contents[LABELS_NAME], source.name(LABELS_NAME)).labels
        vocabulary = parse_vocabulary(contents[VOCABULARY_NAME], source.name(VOCABULARY_NAME))
    except (DataError, TokenizerError) as error:
        raise BundleError(error.reason, error.path, error.line) from None
    manifest.check_labels(labels, source.name(LABELS_NAME))
    if manifest.embedded_files:
        read_classifier_metadata(contents[MODEL_NAME], model_path).check_files(vocabulary, labels, model_path)
    tokenizer = WordPieceEncoder(vocabulary, manifest.tokenizer)

    found = detect_runtime(runtime)
    check_runtime(manifest.quantization, manifest.data["runtime"], found.name, found.version, manifest.path)
    model = LiteRTModel(
        contents[MODEL_NAME],
        found,
        num_threads=num_threads,
        path=model_path,
        inputs=manifest.inputs,
        output=manifest.output_name,
    )
    model.check_matches(manifest.sequence_length, len(labels))
    # Format 1's int8 output: the model's scale and zero point are the ones bundle.json gives.
    expected = "int8" if manifest.output_quantization is not None else "float32"
    if model.output_dtype != expected:
        raise BundleError(
            f"the model's output is {model.output_dtype}, bundle.json says {expected}", model_path
        )
    if manifest.output_quantization is not None:
        scale, zero_point = manifest.output_quantization
        model_scale, model_zero_point = model.output_quantization
        if model_zero_point != zero_point or not math.isclose(model_scale, scale, rel_tol=1e-6):
            raise BundleError(
                f"the model's output quantization is scale {model_scale}, zero point {model_zero_point}; "
                f"bundle.json says scale {scale}, zero point {zero_point}",
                model_path,
            )
    return Bundle(path, manifest, labels, tokenizer, model)


class _Source:
    """Reads a bundle's files from a directory or a zip, naming them in errors."""

    def __init__(self, path: Path):
        self.path = path
        self._zip: zipfile.ZipFile | None = None
        self._prefix = ""
        if path.is_dir():
            if not (path / MANIFEST_NAME).is_file():
                raise BundleError(
                    f"not a bundle: no {MANIFEST_NAME} (a bundle holds {MANIFEST_NAME}, {MODEL_NAME}, "
                    f"{VOCABULARY_NAME}, {LABELS_NAME})",
                    path,
                )
            return
        try:
            self._zip = zipfile.ZipFile(path)
        except FileNotFoundError:
            raise BundleError("no such bundle directory or .zip file", path) from None
        except (zipfile.BadZipFile, OSError) as error:
            raise BundleError(f"neither a bundle directory nor a readable .zip ({error})", path) from None
        manifests = [name for name in self._zip.namelist() if name.rsplit("/", 1)[-1] == MANIFEST_NAME]
        top_level = [name for name in manifests if name.count("/") <= 1]
        if len(top_level) != 1:
            raise BundleError(
                f"expected one {MANIFEST_NAME} at the top of the zip or in one top-level folder, found "
                f"{top_level or 'none'}",
                path,
            )
        self._prefix = top_level[0][: -len(MANIFEST_NAME)]

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()

    def name(self, name: str) -> str:
        """How errors name the file: its path, or `archive.zip:folder/name` for a zip member."""
        return str(self.path / name) if self._zip is None else f"{self.path}:{self._prefix}{name}"

    def read(self, name: str, size: int | None, sha256: str | None = None) -> bytes:
        """The file's bytes, checked against bundle.json's `size` (first) and `sha256`; None: the
        manifest itself, at most `MAX_MANIFEST_BYTES`."""
        try:
            if self._zip is None:
                actual = (self.path / name).stat().st_size
            else:
                actual = self._zip.getinfo(self._prefix + name).file_size
        except (FileNotFoundError, KeyError):
            raise BundleError("missing: the bundle has no such file", self.name(name)) from None
        except OSError as error:
            raise BundleError(f"cannot read: {error.strerror}", self.name(name)) from None
        if size is None and actual > MAX_MANIFEST_BYTES:
            raise BundleError(f"{actual} bytes is too large for a bundle manifest", self.name(name))
        if size is not None and actual != size:
            raise BundleError(
                f"size mismatch: bundle.json says {size} bytes, the file has {actual}: truncated or replaced",
                self.name(name),
            )
        try:
            data = (
                (self.path / name).read_bytes() if self._zip is None else self._zip.read(self._prefix + name)
            )
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as error:
            raise BundleError(f"cannot read: {error}", self.name(name)) from None
        if sha256 is not None and (digest := hashlib.sha256(data).hexdigest()) != sha256:
            # A user renaming classes by hand is told the supported way.
            hint = "; to show the labels under other names, export again with --rename-labels OLD=NEW,..."
            raise BundleError(
                f"sha256 mismatch: bundle.json says {sha256}, the file has {digest}: changed since export, "
                f"corrupted or replaced{hint if name == LABELS_NAME else ''}",
                self.name(name),
            )
        return data
