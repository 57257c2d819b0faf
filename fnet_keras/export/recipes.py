"""Quantization recipes as data: how a bundle of each mode is converted, and which ones an export tries.

A recipe is a mode (bundle.json's `quantization.mode`) plus the FourierMixing method traced into the
graph: "rfft", LiteRT's builtin RFFT2D (power-of-two sequence and hidden sizes only; it has no int8
kernel, so int8-rfft keeps it as a float island between DEQUANTIZE and QUANTIZE, named in
bundle.json's float_ops), or "dft", matmuls with in-graph cosine/sine matrices (any size; int8
matmuls in int8-dft). Models without Fourier mixing (the Transformer twin, the bag-of-embeddings
baseline) have one recipe per mode. An `auto` export takes RFFT2D for fp32, fp16 and dynamic where
the sizes allow (measured fastest for float models, ARCHITECTURE.md) and tries both int8 recipes,
because which wins depends on the model (`fnet_keras.export.exporter` keeps one).
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
# By recipe name, else by Fourier method.
_METHOD_NOTES = {
    "int8-dft": "; the Fourier transform as int8 matmuls",
    "int8-rfft": "; the Fourier transform as a float RFFT2D island between DEQUANTIZE and QUANTIZE",
    "rfft": "; builtin RFFT2D",
    "dft": "; the Fourier transform as matmuls",
}


@dataclasses.dataclass(frozen=True)
class Recipe:
    """One way to convert a model: `mode` ("fp32", "fp16", "dynamic" or "int8") and `fourier_method`
    ("rfft" or "dft" traced into the graph, or None for a model without Fourier mixing)."""

    mode: str
    fourier_method: str | None

    @property
    def name(self) -> str:
        return self.mode if self.fourier_method is None else f"{self.mode}-{self.fourier_method}"

    @property
    def description(self) -> str:
        note = _METHOD_NOTES.get(self.name, _METHOD_NOTES.get(self.fourier_method, ""))
        return _DESCRIPTIONS[self.mode] + note

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


def check_fourier_method(fourier_method: str) -> None:
    if fourier_method not in FOURIER_METHOD_CHOICES:
        raise ExportError(
            f"--fourier-method must be one of {', '.join(FOURIER_METHOD_CHOICES)}, got {fourier_method!r}"
        )


def candidates(mode: str, fourier_method: str, rfft_possible: bool | None) -> list[Recipe]:
    """The recipes an export tries for `mode`, preferred first, given the user's `fourier_method` ("auto",
    "rfft" or "dft") and whether RFFT2D can run at the model's sizes (`rfft_possible`: powers of two;
    None for a model without Fourier mixing)."""
    check_fourier_method(fourier_method)
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
