"""`bound_attention_masks`: masked attention scores set just below the real ones (int8-quantizable),
with the same outputs as Keras' masked softmax (checked against a numpy computation)."""

import numpy as np

from fnet_keras.export.attention import MASK_MARGIN, BoundedMaskSoftmax, bound_attention_masks

HEADS, KEY_DIM, LENGTH, WIDTH = 2, 4, 6, 8


def _model_and_inputs():
    import keras

    attention = keras.layers.MultiHeadAttention(num_heads=HEADS, key_dim=KEY_DIM, dropout=0.1, seed=1)
    tokens = keras.Input((LENGTH, WIDTH))
    mask = keras.Input((LENGTH, LENGTH), dtype="bool")
    model = keras.Model([tokens, mask], attention(tokens, tokens, attention_mask=mask))
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, LENGTH, WIDTH)).astype("float32") * 3
    real = np.array([4, 2])  # real tokens per example; the rest is padding
    keys = np.arange(LENGTH)[None, :] < real[:, None]
    mask_value = keys[:, :, None] & keys[:, None, :]  # padding queries attend to nothing
    return model, attention, x, mask_value


def _numpy_probabilities(scores, mask):
    """Softmax over the real keys; rows without any real key are zeros (as Keras returns them)."""
    shifted = np.where(mask, scores, -np.inf)
    top = np.max(np.where(mask, scores, -np.inf), axis=-1, keepdims=True)
    weights = np.where(mask, np.exp(shifted - np.where(np.isfinite(top), top, 0)), 0.0)
    totals = weights.sum(axis=-1, keepdims=True)
    return np.divide(weights, totals, out=np.zeros_like(weights), where=totals > 0)


def test_outputs_match_keras_and_masked_keys_get_no_weight():
    model, attention, x, mask = _model_and_inputs()
    before = np.asarray(model([x, mask]))
    _, keras_scores = attention(x, x, attention_mask=mask, return_attention_scores=True)
    assert bound_attention_masks(model) == 1
    assert isinstance(attention._softmax, BoundedMaskSoftmax)
    assert bound_attention_masks(model) == 0  # already bounded
    after = np.asarray(model([x, mask]))
    np.testing.assert_allclose(after, before, atol=1e-6)
    _, bounded_scores = attention(x, x, attention_mask=mask, return_attention_scores=True)
    # The raw scores, recomputed here from the layer's weights, give the reference probabilities.
    query = np.einsum("btw,whk->bthk", x, np.asarray(attention._query_dense.kernel)) + np.asarray(
        attention._query_dense.bias
    )
    key = np.einsum("btw,whk->bthk", x, np.asarray(attention._key_dense.kernel)) + np.asarray(
        attention._key_dense.bias
    )
    raw = np.einsum("bshk,bthk->bhts", key, query) / np.sqrt(KEY_DIM)
    expected = _numpy_probabilities(raw, mask[:, None, :, :])
    np.testing.assert_allclose(np.asarray(bounded_scores), expected, atol=1e-6)
    np.testing.assert_allclose(np.asarray(keras_scores), expected, atol=1e-6)
    assert np.all(np.asarray(bounded_scores)[~np.broadcast_to(mask[:, None], expected.shape)] == 0)


def test_the_softmax_agrees_with_keras_masked_softmax_including_fully_masked_rows():
    import keras

    scores = np.array([[[2.0, -1.0, 0.5, 7.0], [1.0, 2.0, 3.0, 4.0]]], "float32")
    mask = np.array([[[True, True, True, False], [False, False, False, False]]])
    probabilities = np.asarray(BoundedMaskSoftmax(axis=-1)(scores, mask=mask))
    np.testing.assert_allclose(probabilities, _numpy_probabilities(scores, mask), atol=1e-7)
    np.testing.assert_allclose(probabilities, np.asarray(keras.layers.Softmax(axis=-1)(scores, mask=mask)),
                               atol=1e-7)
    assert probabilities[0, 0, 3] == 0 and np.all(probabilities[0, 1] == 0)
    # Real scores spread over 8 (-1 to 7): the masked key's weight before zeroing, e^-(8 + margin)
    # relative to the top one, is below float32 resolution of the row's total.
    assert np.exp(-(8 + MASK_MARGIN)) < np.finfo(np.float32).eps
