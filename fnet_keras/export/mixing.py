"""Setting the FourierMixing method of a loaded model before a serving function is traced.

The method names and the power-of-two rule belong to `FourierMixing` (fnet_keras.layers);
`fnet_keras.export.recipes` decides which method each recipe uses.
"""

from __future__ import annotations

from fnet_keras.export.errors import ExportError
from fnet_keras.layers.fourier_mixing import FourierMixing
from fnet_keras.presets import is_power_of_two


def _fourier_layers(model) -> list:
    """Every FourierMixing layer inside `model`, however deeply nested."""
    layers = model._flatten_layers(include_self=False, recursive=True)
    return [layer for layer in layers if isinstance(layer, FourierMixing)]


def rfft_possible(model) -> bool | None:
    """Whether every FourierMixing layer was built at power-of-two sizes; None without Fourier mixing."""
    shapes = [layer._build_shape for layer in _fourier_layers(model)]
    return all(is_power_of_two(size) for shape in shapes for size in shape[1:3]) if shapes else None


def apply_fourier_method(model, method: str | None) -> None:
    """Sets `method` on every FourierMixing layer; functions traced afterwards use it."""
    if method is None:
        return
    for layer in _fourier_layers(model):
        try:
            layer.method = method
        except ValueError as error:
            raise ExportError(f"cannot use fourier_method {method!r}: {error}") from None
