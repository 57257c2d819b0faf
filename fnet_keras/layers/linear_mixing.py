"""Learned dense mixing along sequence and hidden axes: the FNet paper's "Linear" ablation."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="fnet_keras")
class LinearMixing(keras.layers.Layer):
    """Token mixing `W_s · x · W_h` with two learned dense matrices.

    The paper's "Linear" baseline: the same shape as Fourier mixing, but the two
    transforms are learned (`sequence_length²` + `hidden_dim²` parameters), so the
    sequence length is fixed when the layer is built.

    Args:
        kernel_initializer: initializer of both mixing matrices.
        **kwargs: standard `keras.layers.Layer` arguments.

    Call arguments:
        inputs: float tensor of shape `(batch, sequence_length, hidden_dim)` with a
            static `sequence_length`.

    Example:
    >>> layer = LinearMixing()
    >>> layer(np.ones((2, 16, 8), "float32")).shape
    (2, 16, 8)

    Reference:
        Lee-Thorp et al., "FNet: Mixing Tokens with Fourier Transforms",
        arXiv 2105.03824, section 3.2 ("Linear").
    """

    def __init__(self, kernel_initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.supports_masking = True

    def build(self, input_shape):
        if len(input_shape) != 3 or input_shape[1] is None or input_shape[2] is None:
            raise ValueError(
                "LinearMixing needs inputs of shape (batch, sequence_length, hidden_dim) with "
                f"static sequence_length and hidden_dim; received shape {tuple(input_shape)}."
            )
        seq_len, hidden = input_shape[1], input_shape[2]
        self.sequence_kernel = self.add_weight(
            name="sequence_kernel", shape=(seq_len, seq_len), initializer=self.kernel_initializer
        )
        self.hidden_kernel = self.add_weight(
            name="hidden_kernel", shape=(hidden, hidden), initializer=self.kernel_initializer
        )

    def call(self, inputs):
        mixed_hidden = ops.matmul(inputs, self.hidden_kernel)
        return ops.einsum("st,bth->bsh", self.sequence_kernel, mixed_hidden)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(
            {"kernel_initializer": keras.initializers.serialize(self.kernel_initializer)}
        )
        return config
