"""Which FourierMixing method each export target gets, and setting it on a loaded model.

`auto` picks `rfft` (LiteRT's builtin RFFT2D, the fastest float path) for fp32, fp16 and
dynamic when the sequence and hidden sizes are powers of two, and `dft` (two matmul pairs,
which the int8 quantizer turns into int8 BATCH_MATMULs) otherwise and for int8: RFFT2D has
no int8 kernel, so an int8 model with RFFT2D leaves the whole mixing in float.
"""

from __future__ import annotations

from fnet_keras.export.errors import ExportError

MIXING_CHOICES = ("auto", "rfft", "dft")
NO_FOURIER = "none"  # recorded for models without FourierMixing (attention, linear)
FLOAT_QUANTIZATIONS = ("fp32", "fp16", "dynamic")


def choose_mixing(quantization: str, requested: str, shapes: list[tuple]) -> str:
    """The method to trace for one target.

    Args:
        quantization: "fp32", "fp16", "dynamic" or "int8".
        requested: "auto", or a method to use as is ("rfft", "dft"; "fft" is accepted
            here so the builtin-ops check can show why it is never used).
        shapes: the build shape `(batch, sequence, hidden)` of every FourierMixing layer;
            empty for a model without one.
    """
    if not shapes:
        return NO_FOURIER
    if requested != "auto":
        return requested
    power_of_two = all(_is_power_of_two(shape[1]) and _is_power_of_two(shape[2]) for shape in shapes)
    return "rfft" if quantization in FLOAT_QUANTIZATIONS and power_of_two else "dft"


def fourier_layers(model) -> list:
    """Every FourierMixing layer inside `model`, however deeply nested."""
    from fnet_keras.layers import FourierMixing

    return [
        layer
        for layer in model._flatten_layers(include_self=False, recursive=True)
        if isinstance(layer, FourierMixing)
    ]


def fourier_shapes(model) -> list[tuple]:
    """The build shape of each FourierMixing layer (the layer validates `rfft` against it)."""
    return [tuple(layer._build_shape) for layer in fourier_layers(model)]


def apply_mixing(model, method: str) -> None:
    """Sets `method` on every FourierMixing layer; functions traced afterwards use it."""
    if method == NO_FOURIER:
        return
    for layer in fourier_layers(model):
        try:
            layer.method = method
        except ValueError as error:
            raise ExportError(f"cannot use mixing {method!r}: {error}") from None


def _is_power_of_two(size) -> bool:
    return isinstance(size, int) and size > 0 and size & (size - 1) == 0
