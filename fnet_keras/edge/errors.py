"""The edge runtime's exceptions: a bad bundle (`BundleError`) and a runtime that cannot run it."""

from __future__ import annotations

from fnet_keras.errors import LocatedError


class BundleError(LocatedError):
    """A bundle that cannot be used as it is, reported as `path: reason` (with a line if it has one).

    Raised for missing or corrupted files, hash or size mismatches, an unknown format or
    version, inconsistent manifest values, a quantization the available interpreter cannot
    run, and a .tflite the interpreter refuses. `path` is the file at fault (`bundle.json`,
    `model.tflite`, a zip member as `x.zip:name`).
    """


class EdgeRuntimeError(RuntimeError):
    """The machine cannot run inference: no LiteRT interpreter installed, or an invoke failed."""


class MetadataError(BundleError):
    """A LiteRT model whose MediaPipe metadata cannot be written or read as asked.

    Raised by `fnet_keras.edge.tflite_metadata` for a model that does not have the layout
    MediaPipe's text classifier needs (inputs, output type or shape), bad vocabulary or
    labels, metadata or associated files that are missing or malformed, and embedded files
    that differ from the bundle's.
    """
