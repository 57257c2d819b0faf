"""The contract every fnet_keras layer keeps, checked by one helper (after keras-hub's `run_layer_test`)."""

from __future__ import annotations

import keras
import numpy as np

MIXED_POLICIES = {"mixed_float16": "float16", "mixed_bfloat16": "bfloat16"}


def _call(layer, inputs, call_kwargs):
    return layer(*inputs, **call_kwargs)


def _randomize(layer, seed):
    rng = np.random.default_rng(seed)
    layer.set_weights([rng.normal(0, 0.2, w.shape).astype(w.dtype) for w in layer.get_weights()])


def run_layer_test(
    layer_class,
    init_kwargs: dict,
    input_data,
    expected_output_shape: tuple,
    tmp_path,
    *,
    call_kwargs: dict | None = None,
    mixed_precision_tolerance: float = 2e-2,
) -> None:
    """Checks, for `layer_class(**init_kwargs)` called on `input_data` (an array, or a tuple of them):

    - the output shape, and `compute_output_shape` where the layer defines it;
    - config round trip: every init argument is in `get_config()`; `from_config(get_config())` and
      `keras.layers.deserialize(serialize(...))` give the same class and config, and with the same
      weights the same outputs;
    - saving: a model around the layer, saved as .keras and loaded, gives the same outputs;
    - mixed precision: under mixed_float16 and mixed_bfloat16 the variables stay float32, the output
      is in the compute dtype and within `mixed_precision_tolerance` (relative to the largest float32
      output) of the float32 layer with the same weights.
    """
    inputs = input_data if isinstance(input_data, tuple) else (input_data,)
    call_kwargs = call_kwargs or {}
    layer = layer_class(**init_kwargs)
    _call(layer, inputs, call_kwargs)
    _randomize(layer, seed=0)
    expected = np.asarray(_call(layer, inputs, call_kwargs))
    assert expected.shape == tuple(expected_output_shape)
    if "compute_output_shape" in vars(layer_class):
        shapes = [x.shape for x in inputs]
        assert tuple(layer.compute_output_shape(*shapes)) == tuple(expected_output_shape)

    # Config round trip.
    config = layer.get_config()
    for key, value in init_kwargs.items():
        assert config[key] == value, (key, config.get(key), value)
    for clone in (layer_class.from_config(config), keras.layers.deserialize(keras.layers.serialize(layer))):
        assert type(clone) is layer_class and clone.get_config() == config
        _call(clone, inputs, call_kwargs)
        clone.set_weights(layer.get_weights())
        np.testing.assert_allclose(np.asarray(_call(clone, inputs, call_kwargs)), expected, atol=1e-6)

    # Saving.
    symbolic = [keras.Input(x.shape[1:], dtype=str(x.dtype), batch_size=x.shape[0]) for x in inputs]
    model = keras.Model(symbolic, _call(layer, symbolic, call_kwargs))
    path = tmp_path / f"{layer_class.__name__}.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert any(type(sublayer) is layer_class for sublayer in loaded.layers)
    np.testing.assert_allclose(np.asarray(loaded(list(inputs))), expected, atol=1e-6)

    # Mixed precision.
    for policy, compute_dtype in MIXED_POLICIES.items():
        mixed = layer_class(**{**init_kwargs, "dtype": policy})
        _call(mixed, inputs, call_kwargs)
        mixed.set_weights(layer.get_weights())
        output = _call(mixed, inputs, call_kwargs)
        assert keras.backend.standardize_dtype(output.dtype) == compute_dtype, policy
        assert all(keras.backend.standardize_dtype(w.dtype) == "float32" for w in mixed.weights), policy
        scale = max(1.0, float(np.abs(expected).max()))
        difference = np.abs(np.asarray(keras.ops.cast(output, "float32")) - expected).max()
        assert difference <= mixed_precision_tolerance * scale, (policy, difference)
