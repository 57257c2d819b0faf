"""The edge runtime's exceptions: a bad bundle (`BundleError`) and a runtime that cannot run it."""

from __future__ import annotations

from fnet_keras.errors import FnetKerasError, LocatedError


class BundleError(LocatedError):
    """A bundle that cannot be used as it is, reported as `path: reason` (with a line if it has one).

    Raised for missing or corrupted files, hash or size mismatches, an unknown format or
    version, inconsistent manifest values, a quantization the available interpreter cannot
    run, and a .tflite the interpreter refuses. `path` is the file at fault (`bundle.json`,
    `model.tflite`, a zip member as `x.zip:name`).
    """


class EdgeRuntimeError(FnetKerasError, RuntimeError):
    """The machine cannot run inference: no LiteRT interpreter installed, or an invoke failed (exit 1)."""


class MetadataError(BundleError):
    """A LiteRT model whose MediaPipe metadata cannot be written or read as asked.

    Raised by `fnet_keras.edge.tflite_metadata` for a model that does not have the layout
    MediaPipe's text classifier needs (inputs, output type or shape), bad vocabulary or
    labels, metadata or associated files that are missing or malformed, and embedded files
    that differ from the bundle's.
    """


class EmptyTextError(LocatedError):
    """Texts with no word pieces (empty, blank, or only characters the tokenizer drops): nothing to classify.

    Attributes:
        indices: the 0-based positions of those texts in the input.
    """

    def __init__(self, indices, texts=None):
        self.indices = list(indices)
        shown = ", ".join(
            f"{index}" + (f" ({texts[index]!r:.20})" if texts is not None and texts[index] else "")
            for index in self.indices[:10]
        ) + (" ..." if len(self.indices) > 10 else "")
        super().__init__(
            f"{len(self.indices)} text(s) with nothing to classify (no word pieces): text {shown}"
        )
