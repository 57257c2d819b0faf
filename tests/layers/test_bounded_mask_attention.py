"""BoundedMaskAttention: multi-head attention whose masked keys get a bounded additive bias."""

import keras
import numpy as np
import pytest

from fnet_keras.layers.bounded_mask_attention import DEFAULT_MASK_BIAS, BoundedMaskAttention

HEADS, KEY_DIM, WIDTH = 2, 4, 8


def build(seed=0, **kwargs):
    layer = BoundedMaskAttention(num_heads=HEADS, key_dim=KEY_DIM, **kwargs)
    x = np.zeros((1, 5, WIDTH), "float32")
    layer(x, x)
    rng = np.random.default_rng(seed)
    layer.set_weights([rng.normal(0, 0.5, w.shape).astype("float32") for w in layer.get_weights()])
    return layer


def numpy_attention(layer, query, value, key_mask, bias):
    """Independent float64 multi-head attention: masked keys get `bias` added to their scores."""
    weights = {w.path.split("/")[-2] + "/" + w.name: np.asarray(w, np.float64) for w in layer.weights}

    def project(x, name):
        return np.einsum("btd,dnh->btnh", x, weights[f"{name}/kernel"]) + weights[f"{name}/bias"]

    q = project(query.astype(np.float64), "query") / np.sqrt(KEY_DIM)
    k, v = project(value.astype(np.float64), "key"), project(value.astype(np.float64), "value")
    scores = np.einsum("btnh,bsnh->bnts", q, k) + np.where(key_mask, 0.0, bias)[:, None, None, :]
    scores -= scores.max(axis=-1, keepdims=True)
    probabilities = np.exp(scores) / np.exp(scores).sum(axis=-1, keepdims=True)
    context = np.einsum("bnts,bsnh->btnh", probabilities, v)
    return np.einsum("btnh,nhd->btd", context, weights["attention_output/kernel"]) + weights[
        "attention_output/bias"
    ]


@pytest.mark.parametrize("queries", [7, 1])
def test_equals_numpy_attention_with_the_bias(queries):
    rng = np.random.default_rng(1)
    value = rng.standard_normal((2, 7, WIDTH)).astype("float32")
    query = value[:, :queries]
    key_mask = np.arange(7)[None, :] < np.array([[5], [7]])
    layer = build()
    out = layer(query, value, attention_mask=key_mask[:, None, :])
    expected = numpy_attention(layer, query, value, key_mask, DEFAULT_MASK_BIAS)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)


def test_masked_keys_are_as_good_as_absent():
    # Against attention over the real keys only (the masked ones removed): equal to float32 precision.
    rng = np.random.default_rng(2)
    value = rng.standard_normal((1, 9, WIDTH)).astype("float32")
    layer = build(seed=3)
    masked = layer(value[:, :6], value, attention_mask=(np.arange(9) < 6)[None, None, :])
    removed = numpy_attention(layer, value[:, :6], value[:, :6], np.ones((1, 6), bool), 0.0)
    np.testing.assert_allclose(masked, removed, rtol=1e-5, atol=1e-5)


def test_without_a_mask_it_is_keras_multi_head_attention():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 6, WIDTH)).astype("float32")
    ours = build(seed=5)
    keras_layer = keras.layers.MultiHeadAttention(num_heads=HEADS, key_dim=KEY_DIM)
    keras_layer(x, x)
    keras_layer.set_weights(ours.get_weights())
    assert [w.path.split("/", 1)[1] for w in ours.weights] == [
        w.path.split("/", 1)[1] for w in keras_layer.weights
    ]
    np.testing.assert_allclose(ours(x, x), keras_layer(x, x), rtol=1e-5, atol=1e-6)


def test_scores_stay_bounded_where_keras_writes_minus_1e9():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((1, 5, WIDTH)).astype("float32")
    layer = build(seed=7, mask_bias=-20.0)
    out, probabilities = layer(
        x, x, attention_mask=np.array([[[1, 1, 1, 0, 0]]], bool), return_attention_scores=True
    )
    probabilities = np.asarray(probabilities)
    assert probabilities.shape == (1, HEADS, 5, 5)
    np.testing.assert_allclose(probabilities.sum(axis=-1), 1.0, rtol=1e-6)
    assert 0 < probabilities[..., 3:].max() < 1e-6  # e^-20 times a softmax weight: tiny, not zero


def test_bad_mask_bias_is_refused():  # the config round trip: test_layer_contracts
    with pytest.raises(ValueError, match="received mask_bias=5"):
        BoundedMaskAttention(num_heads=1, key_dim=2, mask_bias=5)
