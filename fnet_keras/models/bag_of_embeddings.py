"""The bag-of-embeddings baseline classifier (MediaPipe Model Maker's average word embedding)."""

import keras
from keras import ops

from fnet_keras.layers.pooling import masked_mean
from fnet_keras.models.backbone_config import BackboneConfig, classification_head


@keras.saving.register_keras_serializable(package="fnet_keras")
class BagOfEmbeddingsClassifier(BackboneConfig, keras.Model):
    """Logits from the mean of the token embeddings: no word order, no mixing.

    Token embedding → mean over the real tokens (ids other than `padding_id`) →
    optional ReLU Dense → dropout → logits. With the defaults this is the
    average-word-embedding classifier of MediaPipe Model Maker (16-wide embedding,
    a 16-wide ReLU layer, dropout 0.2), except that padding is left out of the mean.
    It is the floor a sequence model has to beat, and it takes the same input as
    `TextClassifier`, so the same pipelines train, export and benchmark it.

    Args:
        vocabulary_size: int. Number of token ids.
        num_classes: int. Number of labels (2 or more).
        embedding_dim: int. Width of the embedding table.
        hidden_dim: int or None. Width of the ReLU layer between the mean and the
            logits; None leaves it out (mean → dropout → logits).
        dropout: float. Dropout before the logits.
        sequence_length: int or None. Fixed input length (None: any length).
        padding_id: int. The token id of padding, left out of the mean.
        **kwargs: `keras.Model` arguments (`name`, `dtype`).

    Call arguments:
        inputs: int32 `token_ids` of shape `(batch, sequence_length)`.

    Example:
    >>> model = BagOfEmbeddingsClassifier(vocabulary_size=100, num_classes=3)
    >>> model(np.ones((2, 16), "int32")).shape
    (2, 3)

    Reference:
        Iyyer et al., "Deep Unordered Composition Rivals Syntactic Methods for
        Text Classification", ACL 2015; MediaPipe Model Maker,
        `AverageWordEmbeddingClassifier`.
    """

    CONFIG_FIELDS = ("vocabulary_size", "num_classes", "embedding_dim", "hidden_dim", "dropout",
                     "sequence_length", "padding_id")

    def __init__(
        self,
        vocabulary_size,
        num_classes,
        embedding_dim=16,
        hidden_dim=16,
        dropout=0.2,
        sequence_length=None,
        padding_id=0,
        **kwargs,
    ):
        for arg, value in (
            ("vocabulary_size", vocabulary_size), ("embedding_dim", embedding_dim),
        ):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"`{arg}` must be a positive int; received {arg}={value!r}.")
        if hidden_dim is not None and (not isinstance(hidden_dim, int) or hidden_dim < 1):
            raise ValueError(
                f"`hidden_dim` must be a positive int or None; received hidden_dim={hidden_dim!r}."
            )
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"`dropout` must be in [0, 1); received dropout={dropout!r}.")
        dtype = kwargs.pop("dtype", None)
        token_ids = keras.Input(shape=(sequence_length,), dtype="int32", name="token_ids")
        x = keras.layers.Embedding(vocabulary_size, embedding_dim, dtype=dtype, name="token_embedding")(
            token_ids
        )
        x = masked_mean(x, ops.not_equal(token_ids, padding_id))
        if hidden_dim is not None:
            x = keras.layers.Dense(hidden_dim, activation="relu", dtype=dtype, name="hidden_dense")(x)
        logits = classification_head(x, num_classes, dropout, dtype)
        super().__init__(inputs=token_ids, outputs=logits, dtype=dtype, **kwargs)
        self.vocabulary_size = vocabulary_size
        self.num_classes = num_classes
        self.embedding_dim = embedding_dim
        self.hidden_dim = hidden_dim
        self.dropout = dropout
        self.sequence_length = sequence_length
        self.padding_id = padding_id
