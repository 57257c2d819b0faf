"""Learned absolute position embedding."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="fnet_keras")
class PositionEmbedding(keras.layers.Layer):
    """A learned vector per position, for the first `sequence_length` positions.

    Args:
        max_sequence_length: int. Number of positions with a learned vector.
        initializer: initializer of the embedding table.
        **kwargs: standard `keras.layers.Layer` arguments.

    Call arguments:
        inputs: tensor of shape `(batch, sequence_length, dim)`; only its shape is
            used. Returns `(sequence_length, dim)` position vectors, broadcastable
            against the inputs.

    Example:
    >>> PositionEmbedding(512)(np.zeros((2, 16, 8), "float32")).shape
    (16, 8)

    Reference:
        Devlin et al., "BERT", arXiv 1810.04805 (learned position embeddings, as
        used by FNet).
    """

    def __init__(self, max_sequence_length, initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        if not isinstance(max_sequence_length, int) or max_sequence_length < 1:
            raise ValueError(
                "`max_sequence_length` must be a positive int; "
                f"received max_sequence_length={max_sequence_length!r}."
            )
        self.max_sequence_length = max_sequence_length
        self.initializer = keras.initializers.get(initializer)

    def build(self, input_shape):
        if input_shape[1] is not None and input_shape[1] > self.max_sequence_length:
            raise ValueError(
                f"Sequence length {input_shape[1]} exceeds max_sequence_length="
                f"{self.max_sequence_length} of the position embedding."
            )
        self.embeddings = self.add_weight(
            name="embeddings",
            shape=(self.max_sequence_length, input_shape[-1]),
            initializer=self.initializer,
        )

    def call(self, inputs):
        seq_len = ops.shape(inputs)[1]
        return ops.cast(self.embeddings[:seq_len], self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return (input_shape[1], input_shape[-1])

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "max_sequence_length": self.max_sequence_length,
                "initializer": keras.initializers.serialize(self.initializer),
            }
        )
        return config
