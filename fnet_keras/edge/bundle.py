"""`Bundle` and `load_bundle`: a checked bundle (directory or .zip), ready to classify texts.

Loading checks, in this order, and raises `BundleError` naming the file and the values at
fault: bundle.json (format, version, fields), each file's size and SHA-256 against
bundle.json, labels.txt against bundle.json's labels, the vocabulary, the interpreter
package against the bundle's runtime requirements, then the .tflite (size and "TFL3"
identifier before any interpreter sees it; then the interpreter's own verifier) and its
input/output tensors against bundle.json.
"""

from __future__ import annotations

import hashlib
import math
import os
import tempfile
import time
import zipfile
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from fnet_keras.data.errors import DataError
from fnet_keras.data.label_map import LabelMap
from fnet_keras.edge.classification import Classification
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
from fnet_keras.edge.runtime import RuntimeInfo, check_runtime, detect_runtime
from fnet_keras.text.errors import TokenizerError
from fnet_keras.text.vocabulary import load_vocabulary
from fnet_keras.text.wordpiece import WordPieceEncoder, pack_token_ids

_Parsed = TypeVar("_Parsed")


class Bundle:
    """A loaded bundle: its tokenizer, labels and model, and `classify`.

    Build it with `load_bundle`. Not thread-safe (one interpreter, batch 1).

    Attributes:
        path: the bundle directory or .zip it was loaded from.
        tokenizer: a `WordPieceEncoder`; `tokenizer.encode(text)` gives the packed ids the
            model receives (`[CLS] ... [SEP] [PAD]...`, `sequence_length` of them).
        labels: the class labels in logit order.
        manifest: bundle.json as a dict.
        runtime: the interpreter package running the model.

    Example:
        bundle = load_bundle("export/sst2-fp32")
        bundle.classify(["a gorgeous film"], top_k=1)   # [[("1", 0.97)]]
    """

    def __init__(self, path: Path, manifest: Manifest, tokenizer: WordPieceEncoder, model: LiteRTModel):
        self.path = path
        self.tokenizer = tokenizer
        self.labels = manifest.labels
        self.manifest = manifest.data
        self.runtime: RuntimeInfo = model.runtime
        self._manifest = manifest
        self._model = model

    @property
    def sequence_length(self) -> int:
        return self._manifest.sequence_length

    @property
    def quantization(self) -> str:
        return self._manifest.quantization

    def classify(self, texts: str | Iterable[str], top_k: int | None = None) -> list[list[tuple[str, float]]]:
        """Per text, `[(label, probability), ...]` highest first (all labels, or the `top_k` best)."""
        return self.classify_timed(texts, top_k).rankings

    def classify_timed(self, texts: str | Iterable[str], top_k: int | None = None) -> Classification:
        """`classify` plus logits, truncation flags and the seconds spent tokenizing and in inference.

        Args:
            texts: the texts (a single str counts as one text). An empty text is valid;
                a text with more tokens than fit is truncated (see `Classification.truncated`).
            top_k: how many labels each ranking keeps (None: all).

        Raises:
            TokenizerError: a text is not a str or holds a lone surrogate.
            BundleError: the model returned NaN or infinite logits.
            EdgeRuntimeError: the interpreter failed.
        """
        texts = [texts] if isinstance(texts, str) else list(texts)
        if top_k is not None and (isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < 1):
            raise ValueError(f"top_k must be a positive integer or None, got {top_k!r}")
        length = self.sequence_length
        start = time.perf_counter()
        token_ids = [self.tokenizer.token_ids(text) for text in texts]
        packed = [pack_token_ids(ids, length) for ids in token_ids]
        tokenize_seconds = time.perf_counter() - start

        start = time.perf_counter()
        logits = [self._model.logits(ids) for ids in packed]
        inference_seconds = time.perf_counter() - start
        logits = np.stack(logits) if logits else np.zeros((0, len(self.labels)), np.float32)

        bad = np.flatnonzero(~np.isfinite(logits).all(axis=1))
        if bad.size:
            raise BundleError(
                f"the model gave non-finite logits {logits[bad[0]].tolist()} for text {int(bad[0])}: the "
                f".tflite is broken (one converted with unfrozen variables does this: look for "
                f"READ_VARIABLE in bundle.json's ops)",
                self._model.path,
            )
        probabilities = _softmax(logits)
        keep = len(self.labels) if top_k is None else min(top_k, len(self.labels))
        rankings = []
        for row in probabilities:
            order = sorted(range(len(self.labels)), key=lambda index: -row[index])[:keep]
            rankings.append([(self.labels[index], float(row[index])) for index in order])
        return Classification(
            rankings=rankings,
            logits=logits,
            probabilities=probabilities,
            token_counts=[len(ids) for ids in token_ids],
            truncated=[len(ids) > length - 2 for ids in token_ids],
            tokenize_seconds=tokenize_seconds,
            inference_seconds=inference_seconds,
        )

    def describe(self) -> dict[str, Any]:
        """A short JSON-ready summary: path, quantization, sequence length, labels, runtime."""
        return {
            "path": str(self.path),
            "quantization": self.quantization,
            "sequence_length": self.sequence_length,
            "labels": list(self.labels),
            "runtime": self.runtime.describe(),
        }


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits.astype(np.float64) - logits.max(axis=1, keepdims=True, initial=-np.inf)
    exponentials = np.exp(shifted)
    return exponentials / exponentials.sum(axis=1, keepdims=True)


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
        manifest_name = source.name(MANIFEST_NAME)
        manifest = Manifest.from_bytes(source.read(MANIFEST_NAME, None), manifest_name)
        contents = {
            name: _verified(source, name, size, sha256) for name, (size, sha256) in manifest.files.items()
        }
    finally:
        source.close()

    labels = _parse_as_file(
        contents[LABELS_NAME], LABELS_NAME, LabelMap.load, source.name(LABELS_NAME)
    ).labels
    if labels != manifest.labels:
        raise BundleError(
            f"labels.txt holds {list(labels)}, but bundle.json's 'labels' are {list(manifest.labels)}",
            source.name(LABELS_NAME),
        )
    vocabulary = _parse_as_file(
        contents[VOCABULARY_NAME], VOCABULARY_NAME, load_vocabulary, source.name(VOCABULARY_NAME)
    )
    tokenizer = WordPieceEncoder(vocabulary, manifest.tokenizer)

    runtime_info = detect_runtime(runtime)
    check_runtime(manifest.data, runtime_info.name, runtime_info.version, manifest_name)
    model = LiteRTModel(
        contents[MODEL_NAME], runtime_info, num_threads=num_threads, path=source.name(MODEL_NAME)
    )
    _check_model_matches(model, manifest, source.name(MODEL_NAME))
    return Bundle(path, manifest, tokenizer, model)


def _check_model_matches(model: LiteRTModel, manifest: Manifest, path: str) -> None:
    """The tensors of the model are the ones bundle.json describes."""
    if model.sequence_length != manifest.sequence_length:
        raise BundleError(
            f"the model takes {model.sequence_length} token ids, bundle.json's sequence_length is "
            f"{manifest.sequence_length}",
            path,
        )
    if model.num_classes != len(manifest.labels):
        raise BundleError(
            f"the model gives {model.num_classes} logits, bundle.json has {len(manifest.labels)} labels", path
        )
    if model.output_dtype != manifest.output_dtype:
        raise BundleError(
            f"the model's output is {model.output_dtype}, bundle.json's outputs.logits.dtype is "
            f"{manifest.output_dtype}",
            path,
        )
    if manifest.output_quantization is not None:
        scale, zero_point = manifest.output_quantization
        model_scale, model_zero_point = model.output_quantization
        if model_zero_point != zero_point or not math.isclose(model_scale, scale, rel_tol=1e-6):
            raise BundleError(
                f"the model's output quantization is scale {model_scale}, zero point {model_zero_point}; "
                f"bundle.json says scale {scale}, zero point {zero_point}",
                path,
            )


def _verified(source: _Source, name: str, size: int, sha256: str) -> bytes:
    data = source.read(name, size)
    actual = hashlib.sha256(data).hexdigest()
    if actual != sha256:
        raise BundleError(
            f"sha256 mismatch: bundle.json says {sha256}, the file has {actual}: corrupted or replaced",
            source.name(name),
        )
    return data


def _parse_as_file(data: bytes, name: str, parse: Callable[[Path], _Parsed], shown_as: str) -> _Parsed:
    """`parse(path)` on a private copy of verified bytes, so the file read is the file hashed.

    The project's readers take paths; errors are re-labelled with the bundle's own name for
    the file (a zip member has no path of its own).
    """
    with tempfile.TemporaryDirectory(prefix="fnet-keras-bundle-") as directory:
        copy = Path(directory) / name
        copy.write_bytes(data)
        try:
            return parse(copy)
        except (DataError, TokenizerError) as error:
            raise BundleError(error.reason, shown_as, error.line) from None


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
        if self._zip is None:
            return str(self.path / name)
        return f"{self.path}:{self._prefix}{name}"

    def read(self, name: str, size: int | None) -> bytes:
        """The file's bytes; its size must be `size` (None: at most `MAX_MANIFEST_BYTES`), checked first."""
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
            if self._zip is None:
                return (self.path / name).read_bytes()
            return self._zip.read(self._prefix + name)
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as error:
            raise BundleError(f"cannot read: {error}", self.name(name)) from None
