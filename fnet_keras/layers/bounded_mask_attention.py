"""Multi-head attention whose padding mask is a bounded additive bias (int8-friendly)."""

import keras
from keras import ops

# Added to the scores of masked keys: e^-20 ≈ 2e-9 of a key's weight, so a masked key is as good as
# absent in float32, and the scores stay within what one int8 scale can hold next to real scores.
DEFAULT_MASK_BIAS = -20.0


@keras.saving.register_keras_serializable(package="fnet_keras")
class BoundedMaskAttention(keras.layers.MultiHeadAttention):
    """`keras.layers.MultiHeadAttention` with masked keys pushed down by a moderate bias, not -1e9.

    Keras's attention replaces the scores of masked keys with -1e9 (`Softmax` with a mask) or
    `where(mask, scores, -inf)`-like selects (`dot_product_attention`). In a full-integer
    (int8) model the scores tensor has one scale: a range reaching -1e9 leaves no resolution
    for the real scores, and every query attends uniformly (an int8 Transformer twin agreed
    with its float model on 50% of labels). Here the scores get `mask_bias` (default -20)
    added where the mask is False, so the range stays near that of the real scores; in float
    the weight of a masked key is at most e^-20 ≈ 2e-9 of what it would be unmasked (a
    difference no test or label notices), and one broadcast ADD of a `(batch, 1, 1, keys)`
    bias replaces the select over the whole `(batch, heads, queries, keys)` scores tensor.

    The weights and their names are those of `MultiHeadAttention`; every other argument and
    behaviour (dropout on the attention probabilities, `return_attention_scores`) is unchanged.

    Args:
        mask_bias: float. What masked keys get added to their scores (negative).
        **kwargs: `keras.layers.MultiHeadAttention` arguments (`num_heads`, `key_dim`, ...).

    Call arguments:
        The same as `keras.layers.MultiHeadAttention` (`query`, `value`, `attention_mask`, ...).

    Example:
    >>> layer = BoundedMaskAttention(num_heads=2, key_dim=4)
    >>> x = np.random.rand(1, 5, 8).astype("float32")
    >>> layer(x, x, attention_mask=np.array([[[1, 1, 1, 0, 0]]], bool)).shape
    (1, 5, 8)
    """

    def __init__(self, mask_bias=DEFAULT_MASK_BIAS, **kwargs):
        super().__init__(**kwargs)
        if not mask_bias < 0:
            raise ValueError(f"`mask_bias` must be negative; received mask_bias={mask_bias!r}.")
        self.mask_bias = float(mask_bias)

    def _compute_attention(
        self, query, key, value, attention_mask=None, training=None, return_attention_scores=False
    ):
        # The explicit computation of MultiHeadAttention, with an additive mask.
        query = ops.multiply(query, ops.cast(self._inverse_sqrt_key_dim, query.dtype))
        scores = ops.einsum(self._dot_product_equation, key, query)  # (batch, heads, queries, keys)
        if attention_mask is not None:
            # (batch, queries or 1, keys) -> (batch, 1, queries or 1, keys): 0 where kept.
            bias = (1.0 - ops.cast(attention_mask, scores.dtype)) * ops.cast(self.mask_bias, scores.dtype)
            for _ in range(len(scores.shape) - len(bias.shape)):
                bias = ops.expand_dims(bias, axis=-len(self._attention_axes) * 2 - 1)
            scores = scores + bias
        probabilities = self._softmax(scores)
        dropped = probabilities
        if self._dropout > 0:
            dropped = self._dropout_layer(probabilities, training=training)
        output = ops.einsum(self._combine_equation, dropped, value)
        return output, probabilities

    def get_config(self):
        return {**super().get_config(), "mask_bias": self.mask_bias}
