"""Quantization recipes as data: how a bundle of each mode is converted, and which ones an export tries.

A recipe is a mode (what bundle.json's `quantization.mode` says) plus the FourierMixing method
traced into the graph:

    fp32-rfft      float32 weights and compute; the Fourier transform is LiteRT's builtin RFFT2D
                   (sequence and hidden sizes must be powers of two)
    fp32-dft       float32; the transform as matmuls with in-graph cosine/sine matrices (any size)
    fp16-*         float16 weights, float32 compute
    dynamic-*      int8 weights, activations quantized on the fly per op (dynamic range)
    int8-dft       int8 weights and activations wherever LiteRT has an int8 kernel, calibrated on
                   training texts; the transform as int8 matmuls
    int8-rfft      the same, except the transform: RFFT2D has no int8 kernel, so it stays a float
                   island between DEQUANTIZE and QUANTIZE (named in bundle.json's float_ops)

Models without Fourier mixing (the Transformer twin, the bag-of-embeddings baseline) have one
recipe per mode. For fp32, fp16 and dynamic an `auto` export takes RFFT2D where the sizes allow
(measured fastest for float models, ARCHITECTURE.md); for int8 it tries both int8 recipes and keeps,
of those that pass the parity gate, the one closest to Keras unless the other is clearly faster
(`fnet_keras.export.exporter.RECIPE_SPEED_MARGIN`), because which wins depends on the model.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from fnet_keras.edge.manifest import MODES
from fnet_keras.export.errors import ExportError

FOURIER_METHOD_CHOICES = ("auto", "rfft", "dft")
_DESCRIPTIONS = {
    "fp32": "float32 weights and compute",
    "fp16": "float16 weights, float32 compute",
    "dynamic": "int8 weights, activations quantized on the fly (dynamic range)",
    "int8": "int8 weights and activations, calibrated on training texts",
}
_METHOD_NOTES = {
    ("int8", "dft"): "; the Fourier transform as int8 matmuls",
    ("int8", "rfft"): "; the Fourier transform as a float RFFT2D island between DEQUANTIZE and QUANTIZE",
    ("fp32", "rfft"): "; builtin RFFT2D",
    ("fp16", "rfft"): "; builtin RFFT2D",
    ("dynamic", "rfft"): "; builtin RFFT2D",
    ("fp32", "dft"): "; the Fourier transform as matmuls",
    ("fp16", "dft"): "; the Fourier transform as matmuls",
    ("dynamic", "dft"): "; the Fourier transform as matmuls",
}


@dataclasses.dataclass(frozen=True)
class Recipe:
    """One way to convert a model.

    Attributes:
        mode: "fp32", "fp16", "dynamic" or "int8".
        fourier_method: "rfft" or "dft" traced into the graph, or None for a model without
            Fourier mixing.
    """

    mode: str
    fourier_method: str | None

    @property
    def name(self) -> str:
        return self.mode if self.fourier_method is None else f"{self.mode}-{self.fourier_method}"

    @property
    def description(self) -> str:
        return _DESCRIPTIONS[self.mode] + _METHOD_NOTES.get((self.mode, self.fourier_method), "")

    @property
    def calibrated(self) -> bool:
        return self.mode == "int8"


def check_modes(modes: str | Sequence[str]) -> tuple[str, ...]:
    """`"fp32,int8"` or a sequence -> a tuple without repeats; unknown names are an ExportError."""
    if isinstance(modes, str):
        modes = modes.split(",")
    names = [name.strip() for name in modes if name.strip()]
    unknown = [name for name in names if name not in MODES]
    if unknown or not names:
        raise ExportError(
            f"unknown quantization {', '.join(map(repr, unknown)) or '(none given)'}; "
            f"choose from {', '.join(MODES)}"
        )
    return tuple(dict.fromkeys(names))


def candidates(mode: str, fourier_method: str, rfft_possible: bool | None) -> list[Recipe]:
    """The recipes an export tries for `mode`, preferred first.

    Args:
        mode: the bundle's mode.
        fourier_method: "auto", "rfft" or "dft" (the user's choice).
        rfft_possible: whether RFFT2D can run at the model's sizes (powers of two); None for a
            model without Fourier mixing.
    """
    if fourier_method not in FOURIER_METHOD_CHOICES:
        raise ExportError(
            f"fourier_method must be one of {', '.join(FOURIER_METHOD_CHOICES)}, got {fourier_method!r}"
        )
    if rfft_possible is None:
        return [Recipe(mode, None)]
    if fourier_method != "auto":
        if fourier_method == "rfft" and not rfft_possible:
            raise ExportError(
                "fourier_method 'rfft' needs power-of-two sequence and hidden sizes (LiteRT's "
                "RFFT2D fails on others at run time); use 'dft' or 'auto'"
            )
        return [Recipe(mode, fourier_method)]
    if mode == "int8":
        return [Recipe(mode, "rfft"), Recipe(mode, "dft")] if rfft_possible else [Recipe(mode, "dft")]
    return [Recipe(mode, "rfft" if rfft_possible else "dft")]
