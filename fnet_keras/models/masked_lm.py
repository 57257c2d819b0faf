"""A masked-language-modelling head on an FNetBackbone, for pre-training."""

import keras
from keras import ops

from fnet_keras.layers.fnet_encoder import gelu_approximate
from fnet_keras.models.backbone_config import BackboneConfig
from fnet_keras.models.fnet_backbone import FNetBackbone


@keras.saving.register_keras_serializable(package="fnet_keras")
class MaskedLM(BackboneConfig, keras.Model):
    """Vocabulary logits at the masked positions of a sequence, and only there.

    The backbone's `sequence_output` is gathered at `mask_positions` first, then goes
    through Dense (to the width of the token embedding, with tanh-approximate GELU) →
    LayerNorm → a projection onto the vocabulary tied to the backbone's token embedding
    table, plus a bias per token. Gathering first matters: logits over every position
    would cost `sequence_length / num_predictions` times more (about 7× at 15%
    masking), several times the backbone itself at a vocabulary of 8,000.

    When `embedding_dim` is narrower than `hidden_dim` (the factorized presets), the
    head's Dense maps straight to `embedding_dim`, as ALBERT's head does, instead of a
    hidden-wide Dense followed by a second projection: one matrix fewer, same tying.

    Args:
        backbone: an `FNetBackbone` (any mixing).
        layer_norm_epsilon: float. Epsilon of the head's LayerNorm.
        **kwargs: `keras.Model` arguments (`name`, `dtype`).

    Call arguments:
        inputs: a dict with `token_ids` int `(batch, sequence_length)` (the masked
            sequence) and `mask_positions` int `(batch, num_predictions)` (positions to
            predict; padding slots may hold any valid position, e.g. 0).
        training: bool, enables dropout.

    Returns:
        float32 logits `(batch, num_predictions, vocabulary_size)`.

    Example:
    >>> model = MaskedLM.from_preset("tiny", vocabulary_size=100, sequence_length=16)
    >>> model({"token_ids": np.ones((2, 16), "int32"),
    ...        "mask_positions": np.ones((2, 3), "int32")}).shape
    TensorShape([2, 3, 100])

    Reference:
        Devlin et al., "BERT", arXiv 1810.04805 (masked language modelling, tied
        output embeddings); Lan et al., "ALBERT", arXiv 1909.11942 (factorized
        embeddings and their head); Lee-Thorp et al., "FNet", arXiv 2105.03824.
    """

    CONFIG_FIELDS = ("layer_norm_epsilon",)

    def __init__(self, backbone, layer_norm_epsilon=1e-12, **kwargs):
        super().__init__(**kwargs)
        self.backbone = backbone
        self.layer_norm_epsilon = layer_norm_epsilon
        self.head_dense = keras.layers.Dense(
            backbone.embedding_dim, activation=gelu_approximate, name="mlm_dense"
        )
        self.head_layer_norm = keras.layers.LayerNormalization(
            epsilon=layer_norm_epsilon, name="mlm_layer_norm"
        )
        self.head_dense.build((None, None, backbone.hidden_dim))
        self.head_layer_norm.build((None, None, backbone.embedding_dim))
        self.output_bias = self.add_weight(
            shape=(backbone.vocabulary_size,), initializer="zeros", name="mlm_output_bias"
        )

    @property
    def token_embedding(self):
        """The backbone's token embedding layer, whose table the output projection shares."""
        return self.backbone.get_layer("token_embedding")

    def call(self, inputs, training=None):
        sequence = self.backbone(inputs["token_ids"], training=training)["sequence_output"]
        positions = ops.cast(inputs["mask_positions"], "int32")
        picked = ops.take_along_axis(sequence, ops.expand_dims(positions, -1), axis=1)
        hidden = self.head_layer_norm(self.head_dense(picked))
        table = ops.cast(self.token_embedding.embeddings, hidden.dtype)
        logits = ops.matmul(hidden, ops.transpose(table)) + ops.cast(self.output_bias, hidden.dtype)
        return ops.cast(logits, "float32")  # the loss needs float32's range under mixed precision

    @classmethod
    def from_preset(
        cls, preset, vocabulary_size, mixing="fourier", sequence_length=None, num_attention_layers=None,
        dropout=0.1, **backbone_kwargs,
    ):
        """A `MaskedLM` on a preset-sized backbone; `backbone_kwargs` override preset values."""
        backbone = FNetBackbone.from_preset(
            preset, vocabulary_size, mixing, sequence_length, num_attention_layers, dropout, **backbone_kwargs
        )
        return cls(backbone=backbone)
