"""Layer normalization written with ops every LiteRT int8 kernel set runs fast."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="fnet_keras")
class LayerNormalization(keras.layers.LayerNormalization):
    """`keras.layers.LayerNormalization` over the last axis, with `rsqrt(mean(d * d) + ε)`, `d = x - mean(x)`.

    The same function as Keras's layer (a test holds them to float32 rounding), with the same
    weights (`gamma`, `beta`), written so that a converted model uses only ops with fast int8
    kernels: Keras computes the variance with `SquaredDifference`, which LiteRT has no
    XNNPACK int8 kernel for (a `mini` block at length 128 spent 45% of its int8 time in its
    reference kernel), and subtracts the mean through a NEG that the quantizer keeps in float.
    Here the centred input is computed once (SUB) and squared with MUL; both, and everything
    after them, have int8 XNNPACK kernels. In float32 the graph is two ops shorter.

    Only the default configuration (last axis, `center` and `scale`, no `rms_scaling`) takes
    this path; any other falls back to Keras's computation.

    Args:
        **kwargs: `keras.layers.LayerNormalization` arguments (`epsilon`, `name`, `dtype`, ...).

    Call arguments:
        inputs: float tensor; normalized over its last axis.

    Example:
    >>> x = np.random.rand(2, 8, 16).astype("float32")
    >>> layer = LayerNormalization(epsilon=1e-12)
    >>> np.allclose(layer(x), keras.layers.LayerNormalization(epsilon=1e-12)(x), atol=1e-5)
    True
    """

    def call(self, inputs):
        axes = self.axis if isinstance(self.axis, (list, tuple)) else [self.axis]
        last_axis = [axis % len(inputs.shape) for axis in axes] == [len(inputs.shape) - 1]
        if not (last_axis and self.center and self.scale) or self.rms_scaling:
            return super().call(inputs)
        # In float32 at least, as Keras does (statistics of float16 inputs lose too much).
        compute_dtype = "float32" if self.compute_dtype in ("float16", "bfloat16") else self.compute_dtype
        x = ops.cast(inputs, compute_dtype)
        mean = ops.mean(x, axis=-1, keepdims=True)
        centred = x - mean
        variance = ops.mean(centred * centred, axis=-1, keepdims=True)
        scale = ops.rsqrt(variance + self.epsilon) * ops.cast(self.gamma, compute_dtype)
        # x * scale + (beta - mean * scale), as Keras: in int8 the output is then computed from the
        # exact input, not from the requantized centred values (measured: 1-2 points of top-label
        # agreement on a small SST-2 model).
        outputs = (x * scale - mean * scale) + ops.cast(self.beta, compute_dtype)
        return ops.cast(outputs, self.compute_dtype)
