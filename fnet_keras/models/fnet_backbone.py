"""The encoder stack: embeddings, N mixing blocks, sequence and pooled outputs."""

import keras
from keras import ops

from fnet_keras.layers import FNetEncoder, PositionEmbedding
from fnet_keras.layers.fourier_mixing import LEGACY_NORMALIZATION
from fnet_keras.layers.layer_normalization import LayerNormalization
from fnet_keras.layers.pooling import masked_mean
from fnet_keras.models.backbone_config import BackboneConfig
from fnet_keras.presets import BACKBONE_KEYS, BACKBONE_MIXINGS, POOLINGS, get_preset


def block_mixings(mixing, num_layers, num_attention_layers=None):
    """The mixing of each block, bottom first. Hybrid: attention in the top k blocks."""
    if mixing != "hybrid":
        return [mixing] * num_layers
    k = num_attention_layers
    return ["fourier"] * (num_layers - k) + ["attention"] * k


@keras.saving.register_keras_serializable(package="fnet_keras")
class FNetBackbone(BackboneConfig, keras.Model):
    """FNet encoder (or its Transformer/linear/hybrid twin) without a task head.

    Token embedding + learned position embedding (+ optional segment embedding) →
    LayerNorm → (projection to `hidden_dim` when `embedding_dim` differs) → dropout →
    `num_layers` `FNetEncoder` blocks. Outputs `sequence_output`
    `(batch, seq, hidden)` and `pooled_output` (tanh Dense on the first token, or
    on the mean of the real tokens with `pooling="mean"`).

    The twins differ only in the mixing sublayer of each block: `mixing="attention"`
    with the same sizes is the Transformer twin of an FNet, `mixing="none"` its
    FF-only floor (no mixing sublayer, the same weights). Token id `padding_id`
    marks padding; attention ignores padded keys, Fourier mixing mixes them (as in
    the paper), so FNet outputs depend on the padded length.

    Args:
        vocabulary_size: int. Number of token ids.
        num_layers: int. Number of encoder blocks.
        hidden_dim: int. Width of the blocks.
        intermediate_dim: int. Feed-forward width.
        embedding_dim: int or None. Width of the embedding tables; None means
            `hidden_dim`. A smaller value adds a projection and saves parameters.
        num_heads: int. Attention heads of attention blocks.
        max_sequence_length: int. Positions with a learned embedding.
        sequence_length: int or None. Fixed input length (None: any length up to
            `max_sequence_length`; `mixing="linear"` and `fourier_method="rfft"` need
            a fixed one).
        num_segments: int or None. Adds a segment embedding and a `segment_ids` input.
        mixing: str. `"fourier"`, `"attention"`, `"linear"`, `"hybrid"` or `"none"`.
        num_attention_layers: int. For `"hybrid"`: attention in the top k blocks.
        fourier_method: str. `FourierMixing` method of the Fourier blocks.
        fourier_normalization: str. `FourierMixing` normalization of the Fourier
            blocks: `"ortho"` (default) or `"none"` (the paper's unscaled DFT). A
            saved config without this key loads as `"none"`.
        pooling: str. What `pooled_output` reads: `"first"` (default; the first
            token: the last block computes it through a call that computes position
            0 only, so `pooled_output` alone costs one position in the last block) or
            `"mean"` (the mean over tokens that are not `padding_id`).
        dropout: float. Embedding, feed-forward and attention dropout.
        mixing_dropout: float. Dropout after each mixing sublayer.
        layer_norm_epsilon: float.
        padding_id: int. The token id of padding.
        **kwargs: `keras.Model` arguments (`name`, `dtype`).

    Call arguments:
        inputs: int tensor `token_ids` of shape `(batch, sequence_length)`, or a
            dict with `token_ids` and `segment_ids` when `num_segments` is set.

    Example:
    >>> backbone = FNetBackbone(vocabulary_size=100, num_layers=2, hidden_dim=32,
    ...                         intermediate_dim=64, num_heads=2, sequence_length=16)
    >>> out = backbone(np.ones((1, 16), "int32"))
    >>> out["sequence_output"].shape, out["pooled_output"].shape
    ((1, 16, 32), (1, 32))

    Reference:
        Lee-Thorp et al., "FNet: Mixing Tokens with Fourier Transforms",
        arXiv 2105.03824 (FNet, FNet-Hybrid, Linear).
    """

    CONFIG_FIELDS = (
        "vocabulary_size", "num_layers", "hidden_dim", "intermediate_dim", "embedding_dim", "num_heads",
        "max_sequence_length", "sequence_length", "num_segments", "mixing", "num_attention_layers",
        "fourier_method", "fourier_normalization", "pooling", "dropout", "mixing_dropout",
        "layer_norm_epsilon", "padding_id",
    )

    def __init__(
        self,
        vocabulary_size,
        num_layers,
        hidden_dim,
        intermediate_dim,
        embedding_dim=None,
        num_heads=None,
        max_sequence_length=512,
        sequence_length=None,
        num_segments=None,
        mixing="fourier",
        num_attention_layers=None,
        fourier_method="auto",
        fourier_normalization="ortho",
        pooling="first",
        dropout=0.1,
        mixing_dropout=0.0,
        layer_norm_epsilon=1e-12,
        padding_id=0,
        **kwargs,
    ):
        _check_args(
            vocabulary_size, num_layers, hidden_dim, mixing, num_attention_layers,
            num_heads, sequence_length, max_sequence_length, pooling,
        )
        embedding_dim = embedding_dim or hidden_dim
        dtype = kwargs.pop("dtype", None)

        token_ids = keras.Input(shape=(sequence_length,), dtype="int32", name="token_ids")
        inputs = token_ids
        x = keras.layers.Embedding(
            vocabulary_size, embedding_dim, dtype=dtype, name="token_embedding"
        )(token_ids)
        x = x + PositionEmbedding(max_sequence_length, dtype=dtype, name="position_embedding")(x)
        if num_segments:
            segment_ids = keras.Input(shape=(sequence_length,), dtype="int32", name="segment_ids")
            inputs = {"token_ids": token_ids, "segment_ids": segment_ids}
            x = x + keras.layers.Embedding(
                num_segments, embedding_dim, dtype=dtype, name="segment_embedding"
            )(segment_ids)
        x = LayerNormalization(
            epsilon=layer_norm_epsilon, dtype=dtype, name="embeddings_layer_norm"
        )(x)
        if embedding_dim != hidden_dim:
            x = keras.layers.Dense(hidden_dim, dtype=dtype, name="embedding_projection")(x)
        x = keras.layers.Dropout(dropout, dtype=dtype, name="embeddings_dropout")(x)

        padding_mask = ops.not_equal(token_ids, padding_id)
        mixings = block_mixings(mixing, num_layers, num_attention_layers)
        for i, block_mixing in enumerate(mixings):
            block = FNetEncoder(
                intermediate_dim=intermediate_dim,
                mixing=block_mixing,
                num_heads=num_heads,
                fourier_method=fourier_method,
                fourier_normalization=fourier_normalization,
                dropout=dropout,
                mixing_dropout=mixing_dropout,
                layer_norm_epsilon=layer_norm_epsilon,
                dtype=dtype,
                name=f"encoder_block_{i}",
            )
            block_mask = padding_mask if block_mixing == "attention" else None
            if pooling == "first" and i == len(mixings) - 1:
                # The pooled output reads the last block at position 0 only: a second call of
                # the same block computes just that (same weights), and a graph that uses only
                # `pooled_output` (a classifier) drops the full last block.
                last_first_position = block(x, padding_mask=block_mask, first_position_only=True)
            x = block(x, padding_mask=block_mask)
        sequence_output = x
        pooled = masked_mean(x, padding_mask) if pooling == "mean" else last_first_position[:, 0, :]
        pooled_output = keras.layers.Dense(
            hidden_dim, activation="tanh", dtype=dtype, name="pooled_dense"
        )(pooled)
        super().__init__(
            inputs=inputs,
            outputs={"sequence_output": sequence_output, "pooled_output": pooled_output},
            dtype=dtype,
            **kwargs,
        )
        self.vocabulary_size = vocabulary_size
        self.num_layers = num_layers
        self.hidden_dim = hidden_dim
        self.intermediate_dim = intermediate_dim
        self.embedding_dim = embedding_dim
        self.num_heads = num_heads
        self.max_sequence_length = max_sequence_length
        self.sequence_length = sequence_length
        self.num_segments = num_segments
        self.mixing = mixing
        self.num_attention_layers = num_attention_layers
        self.fourier_method = fourier_method
        self.fourier_normalization = fourier_normalization
        self.pooling = pooling
        self.dropout = dropout
        self.mixing_dropout = mixing_dropout
        self.layer_norm_epsilon = layer_norm_epsilon
        self.padding_id = padding_id

    @classmethod
    def from_preset(
        cls, preset, vocabulary_size, mixing="fourier", sequence_length=None, num_attention_layers=None,
        dropout=0.1, **kwargs,
    ):
        """A backbone of a preset's sizes (`fnet_keras.presets`), e.g. the Transformer twin of `mini`.

        `kwargs` override preset sizes or set other arguments (`fourier_method`, `pooling`,
        `mixing_dropout`, `dtype`, ...). Hybrid defaults to one attention block on top.
        """
        sizes = {k: v for k, v in get_preset(preset).items() if k in BACKBONE_KEYS}
        sizes.update(kwargs)
        if mixing == "hybrid" and num_attention_layers is None:
            num_attention_layers = 1
        return cls(
            vocabulary_size=vocabulary_size, mixing=mixing, sequence_length=sequence_length,
            num_attention_layers=num_attention_layers, dropout=dropout, **sizes,
        )

    @classmethod
    def from_config(cls, config):
        # A config saved before `fourier_normalization` existed was built unscaled.
        return cls(**{"fourier_normalization": LEGACY_NORMALIZATION, **config})

    @property
    def encoder_blocks(self):
        return [layer for layer in self.layers if isinstance(layer, FNetEncoder)]


def _check_args(
    vocabulary_size, num_layers, hidden_dim, mixing, num_attention_layers, num_heads,
    sequence_length, max_sequence_length, pooling,
):
    for arg, value in (
        ("vocabulary_size", vocabulary_size), ("num_layers", num_layers),
        ("hidden_dim", hidden_dim), ("max_sequence_length", max_sequence_length),
    ):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"`{arg}` must be a positive int; received {arg}={value!r}.")
    if mixing not in BACKBONE_MIXINGS:
        raise ValueError(
            f"`mixing` must be one of {BACKBONE_MIXINGS}; received mixing={mixing!r}."
        )
    if mixing == "hybrid" and (
        not isinstance(num_attention_layers, int) or not 1 <= num_attention_layers <= num_layers
    ):
        raise ValueError(
            f"mixing='hybrid' needs `num_attention_layers` between 1 and num_layers={num_layers}; "
            f"received num_attention_layers={num_attention_layers!r}."
        )
    if mixing in ("attention", "hybrid") and not num_heads:
        raise ValueError(f"mixing={mixing!r} needs `num_heads`; received num_heads={num_heads!r}.")
    if sequence_length is not None and not 1 <= sequence_length <= max_sequence_length:
        raise ValueError(
            f"`sequence_length` must be between 1 and max_sequence_length={max_sequence_length}; "
            f"received sequence_length={sequence_length!r}."
        )
    if pooling not in POOLINGS:
        raise ValueError(f"`pooling` must be one of {POOLINGS}; received pooling={pooling!r}.")
    if mixing == "linear" and sequence_length is None:
        raise ValueError("mixing='linear' needs a fixed `sequence_length`; received None.")

