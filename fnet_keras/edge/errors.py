"""The edge runtime's exceptions: a bad bundle (`BundleError`) and a runtime that cannot run it."""

from __future__ import annotations

from fnet_keras.errors import FnetKerasError, LocatedError


class BundleError(LocatedError):
    """A bundle that cannot be used as it is (missing, corrupted or inconsistent files, an unknown
    format, a model the interpreter refuses or cannot run), reported as `path: reason`, `path` being
    the file at fault (`bundle.json`, `model.tflite`, a zip member as `x.zip:name`)."""


class EdgeRuntimeError(FnetKerasError, RuntimeError):
    """The machine cannot run inference: no LiteRT interpreter installed, or an invoke failed (exit 1)."""


class MetadataError(BundleError):
    """MediaPipe metadata that `fnet_keras.edge.tflite_metadata` cannot write or read as asked: a model
    without the layout MediaPipe's text classifier needs, bad vocabulary or labels, missing or
    malformed metadata or files, or embedded files that differ from the bundle's."""


class EmptyTextError(LocatedError):
    """Texts with no word pieces (empty, blank, or only characters the tokenizer drops): nothing to classify.

    Attributes:
        indices: the 0-based positions of those texts in the input.
    """

    def __init__(self, indices, texts):
        self.indices = list(indices)
        shown = ", ".join(
            f"{index}" + (f" ({texts[index]!r:.20})" if texts[index] else "") for index in self.indices[:10]
        ) + (" ..." if len(self.indices) > 10 else "")
        super().__init__(
            f"{len(self.indices)} text(s) with nothing to classify (no word pieces): text {shown}"
        )
