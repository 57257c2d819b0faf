"""Mean pooling over the real (non-padding) tokens of a sequence."""

from keras import ops


def masked_mean(x, padding_mask):
    """Mean of `x` `(batch, seq, dim)` over the positions where `padding_mask` `(batch, seq)` is True.

    A row without any real token pools to zeros (the count is clamped to 1) instead of NaN.
    """
    weights = ops.expand_dims(ops.cast(padding_mask, x.dtype), axis=-1)
    # 1 / count as rsqrt(count)²: a division becomes DIV, which an int8 export quantizes and MediaPipe
    # 0.10.21 has no int8 kernel for (`fnet_keras.export.mediapipe_layout`); RSQRT has one (LayerNorm
    # uses it). In float the two agree to rounding.
    inverse_root = ops.rsqrt(ops.maximum(ops.sum(weights, axis=1), 1.0))
    return ops.sum(x * weights, axis=1) * inverse_root * inverse_root
