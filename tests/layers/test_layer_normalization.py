"""fnet_keras.layers.LayerNormalization: Keras's function, computed with int8-friendly ops."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from fnet_keras.layers.layer_normalization import LayerNormalization


def random_weights(layer, seed):
    rng = np.random.default_rng(seed)
    layer.set_weights([rng.normal(1.0, 0.5, w.shape).astype("float32") for w in layer.get_weights()])


def numpy_layer_norm(x, gamma, beta, epsilon):
    x = x.astype(np.float64)
    mean = x.mean(axis=-1, keepdims=True)
    variance = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(variance + epsilon) * gamma + beta


@pytest.mark.parametrize("epsilon", [1e-12, 1e-3])
@pytest.mark.parametrize("shape", [(2, 16, 32), (1, 3, 256), (5, 7)])
def test_equals_numpy_and_keras_layer_norm(shape, epsilon):
    x = (np.random.default_rng(0).standard_normal(shape) * 3 + 1.5).astype("float32")
    ours = LayerNormalization(epsilon=epsilon)
    reference = keras.layers.LayerNormalization(epsilon=epsilon)
    ours.build(shape)
    reference.build(shape)
    random_weights(ours, 1)
    reference.set_weights(ours.get_weights())
    gamma, beta = (np.asarray(w, np.float64) for w in ours.get_weights())
    expected = numpy_layer_norm(x, gamma, beta, epsilon)
    np.testing.assert_allclose(ours(x), expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(ours(x), reference(x), rtol=1e-5, atol=1e-5)


def test_weights_are_keras_gamma_and_beta():
    ours, reference = LayerNormalization(name="norm"), keras.layers.LayerNormalization(name="norm")
    ours.build((1, 8))
    reference.build((1, 8))
    assert [(w.path, w.shape) for w in ours.weights] == [(w.path, w.shape) for w in reference.weights]


def test_traces_no_squared_difference_and_no_neg():
    # The two ops without fast int8 kernels in LiteRT (SquaredDifference) or kept in float (Neg).
    layer = LayerNormalization()
    layer.build((1, 4, 8))
    graph = tf.function(layer.call).get_concrete_function(tf.TensorSpec((1, 4, 8), tf.float32)).graph
    types = {op.type for op in graph.get_operations()}
    assert not types & {"SquaredDifference", "Neg"}, types


def test_other_configurations_fall_back_to_keras():
    x = np.random.default_rng(2).standard_normal((2, 4, 6)).astype("float32")
    for kwargs in ({"axis": 1}, {"center": False}, {"scale": False}):
        ours, reference = LayerNormalization(**kwargs), keras.layers.LayerNormalization(**kwargs)
        ours.build(x.shape)
        reference.build(x.shape)
        if ours.get_weights():
            random_weights(ours, 3)
            reference.set_weights(ours.get_weights())
        np.testing.assert_allclose(ours(x), reference(x), rtol=1e-6, atol=1e-6)


def test_float16_policy_computes_statistics_in_float32():
    x = (np.random.default_rng(4).standard_normal((1, 8, 64)) * 100).astype("float16")
    layer = LayerNormalization(dtype="mixed_float16")
    y = layer(x)
    assert y.dtype == "float16"
    expected = numpy_layer_norm(x.astype(np.float32), 1.0, 0.0, layer.epsilon)
    np.testing.assert_allclose(np.asarray(y, np.float32), expected, atol=5e-3)

