"""The FNet encoder block, with a choice of token-mixing sublayer."""

import keras
from keras import ops

from fnet_keras.layers.bounded_mask_attention import BoundedMaskAttention
from fnet_keras.layers.fourier_mixing import (
    LEGACY_NORMALIZATION,
    FourierMixing,
    check_method,
    check_normalization,
    mixed_output_spec,
)
from fnet_keras.layers.layer_normalization import LayerNormalization
from fnet_keras.layers.linear_mixing import LinearMixing
from fnet_keras.presets import BLOCK_MIXINGS


@keras.saving.register_keras_serializable(package="fnet_keras")
def gelu_approximate(x):
    """tanh-approximate GELU, as keras-hub's FNetBackbone and BERT use."""
    return keras.activations.gelu(x, approximate=True)


@keras.saving.register_keras_serializable(package="fnet_keras")
class FNetEncoder(keras.layers.Layer):
    """One post-norm encoder block: mixing → add & norm → feed-forward → add & norm.

    With `mixing="fourier"` this is the FNet block of the paper. `"attention"` puts a
    multi-head attention in the mixing slot (the Transformer twin: everything else is
    identical; `BoundedMaskAttention`, Keras's `MultiHeadAttention` with an int8-friendly
    padding mask) and `"linear"` a `LinearMixing`. `"none"` removes
    the mixing sublayer: `LayerNorm(x)` then the feed-forward sublayer, with the same
    weights as the FNet block (the "FF-only" floor: what FNet would cost if mixing
    were free; every position is processed alone). The attention block honours
    `padding_mask`; Fourier and linear mixing mix every position, padded ones
    included, as in the paper, so their outputs depend on how far the input was
    padded.

    Sublayer names match keras-hub's `FNetEncoder` (`mixing_layer_norm`,
    `intermediate_dense`, `output_dense`, `output_layer_norm`), so its weights load
    by name. The layer norms are `fnet_keras.layers.LayerNormalization` (Keras's
    function, written with ops that have fast int8 kernels).

    A block whose output is read at the first position only (the last block under a
    classifier that pools the first token) can be called with
    `first_position_only=True`: it then computes that position alone, with the same
    weights. Attention keeps every key and value and drops the other queries; Fourier
    mixing needs the sum over positions and one hidden-axis transform; the
    feed-forward runs on one position.

    Args:
        intermediate_dim: int. Width of the feed-forward hidden layer.
        mixing: str. `"fourier"`, `"attention"`, `"linear"` or `"none"`.
        num_heads: int. Attention heads (only for `mixing="attention"`); the key
            size is `hidden_dim // num_heads`.
        fourier_method: str. `FourierMixing` method (`"auto"`, `"fft"`, `"dft"`,
            `"rfft"`).
        fourier_normalization: str. `FourierMixing` normalization: `"ortho"`
            (default) or `"none"` (the paper's unscaled DFT). A saved config
            without this key loads as `"none"`.
        dropout: float. Dropout after the feed-forward sublayer (and inside
            attention).
        mixing_dropout: float. Dropout after the mixing sublayer. Defaults to 0
            like keras-hub; the official FNet code uses 0.1.
        activation: feed-forward activation. Defaults to tanh-approximate GELU.
        layer_norm_epsilon: float. LayerNormalization epsilon (1e-12 as in
            keras-hub's FNetBackbone and the official code).
        kernel_initializer, bias_initializer: initializers of the dense layers.
        **kwargs: standard `keras.layers.Layer` arguments.

    Call arguments:
        inputs: float tensor `(batch, sequence_length, hidden_dim)`.
        padding_mask: optional bool tensor `(batch, sequence_length)`, True on real
            tokens. Used by attention mixing only.
        training: bool, enables dropout.
        first_position_only: bool. Return position 0 only, `(batch, 1, hidden_dim)`,
            computing nothing else (see above).

    Example:
    >>> block = FNetEncoder(intermediate_dim=64)
    >>> block(np.random.rand(2, 16, 32).astype("float32")).shape
    (2, 16, 32)

    Reference:
        Lee-Thorp et al., "FNet: Mixing Tokens with Fourier Transforms",
        arXiv 2105.03824; Vaswani et al., "Attention Is All You Need",
        arXiv 1706.03762 (the post-norm block).
    """

    def __init__(
        self,
        intermediate_dim,
        mixing="fourier",
        num_heads=None,
        fourier_method="auto",
        fourier_normalization="ortho",
        dropout=0.0,
        mixing_dropout=0.0,
        activation=gelu_approximate,
        layer_norm_epsilon=1e-12,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        **kwargs,
    ):
        super().__init__(**kwargs)
        if not isinstance(intermediate_dim, int) or intermediate_dim < 1:
            raise ValueError(
                "`intermediate_dim` must be a positive int; "
                f"received intermediate_dim={intermediate_dim!r}."
            )
        if mixing not in BLOCK_MIXINGS:
            raise ValueError(f"`mixing` must be one of {BLOCK_MIXINGS}; received mixing={mixing!r}.")
        if mixing == "attention" and (not isinstance(num_heads, int) or num_heads < 1):
            raise ValueError(
                "mixing='attention' needs `num_heads`, a positive int; "
                f"received num_heads={num_heads!r}."
            )
        for arg, value in (("dropout", dropout), ("mixing_dropout", mixing_dropout)):
            if not 0.0 <= value < 1.0:
                raise ValueError(f"`{arg}` must be in [0, 1); received {arg}={value!r}.")
        self.intermediate_dim = intermediate_dim
        self.mixing = mixing
        self.num_heads = num_heads
        self.fourier_method = fourier_method
        self.fourier_normalization = check_normalization(fourier_normalization)
        self.dropout = dropout
        self.mixing_dropout = mixing_dropout
        self.activation = keras.activations.get(activation)
        self.layer_norm_epsilon = layer_norm_epsilon
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        check_method(fourier_method)
        self.supports_masking = True

    def _initializers(self):
        # Fresh initializer objects per sublayer, so seeded ones do not repeat values.
        return {
            "kernel_initializer": _clone(self.kernel_initializer),
            "bias_initializer": _clone(self.bias_initializer),
        }

    def _dense(self, units, name, activation=None):
        return keras.layers.Dense(
            units, activation=activation, dtype=self.dtype_policy, name=name, **self._initializers()
        )

    def build(self, input_shape):
        hidden_dim = input_shape[-1]
        if self.mixing == "attention":
            if hidden_dim % self.num_heads:
                raise ValueError(
                    f"hidden_dim={hidden_dim} is not divisible by num_heads={self.num_heads}."
                )
            self._mixing_layer = BoundedMaskAttention(
                num_heads=self.num_heads,
                key_dim=hidden_dim // self.num_heads,
                dropout=self.dropout,
                dtype=self.dtype_policy,
                name="self_attention",
                **self._initializers(),
            )
            self._mixing_layer.build(input_shape, input_shape)
        elif self.mixing == "linear":
            self._mixing_layer = LinearMixing(
                kernel_initializer=_clone(self.kernel_initializer),
                dtype=self.dtype_policy,
                name="linear_mixing",
            )
            self._mixing_layer.build(input_shape)
        elif self.mixing == "fourier":
            self._mixing_layer = FourierMixing(
                method=self.fourier_method,
                normalization=self.fourier_normalization,
                dtype=self.dtype_policy,
                name="fourier_mixing",
            )
            self._mixing_layer.build(input_shape)
        else:
            self._mixing_layer = None
        self._mixing_dropout = keras.layers.Dropout(
            self.mixing_dropout, dtype=self.dtype_policy, name="mixing_dropout"
        )
        self._mixing_layer_norm = LayerNormalization(
            epsilon=self.layer_norm_epsilon, dtype=self.dtype_policy, name="mixing_layer_norm"
        )
        self._mixing_layer_norm.build(input_shape)
        self._intermediate_dense = self._dense(
            self.intermediate_dim, "intermediate_dense", activation=self.activation
        )
        self._intermediate_dense.build(input_shape)
        self._output_dense = self._dense(hidden_dim, "output_dense")
        self._output_dense.build(tuple(input_shape[:-1]) + (self.intermediate_dim,))
        self._output_dropout = keras.layers.Dropout(
            self.dropout, dtype=self.dtype_policy, name="output_dropout"
        )
        self._output_layer_norm = LayerNormalization(
            epsilon=self.layer_norm_epsilon, dtype=self.dtype_policy, name="output_layer_norm"
        )
        self._output_layer_norm.build(input_shape)
        self.built = True

    @property
    def mixing_layer(self):
        """The token-mixing sublayer (FourierMixing, BoundedMaskAttention, LinearMixing or None)."""
        return self._mixing_layer

    def call(self, inputs, padding_mask=None, training=None, first_position_only=False):
        residual = inputs[:, :1, :] if first_position_only else inputs
        if self.mixing == "attention":
            attention_mask = None
            if padding_mask is not None:
                # Key padding only, like keras-hub: every query ignores padded keys.
                attention_mask = ops.expand_dims(ops.cast(padding_mask, "bool"), axis=1)
            mixed = self._mixing_layer(
                query=residual, value=inputs, attention_mask=attention_mask, training=training
            )
        elif self.mixing == "none":
            mixed = None
        elif self.mixing == "fourier":
            mixed = self._mixing_layer(inputs, first_position_only=first_position_only)
        else:
            mixed = self._mixing_layer(inputs)
            mixed = mixed[:, :1, :] if first_position_only else mixed
        if mixed is None:
            x = self._mixing_layer_norm(residual)
        else:
            mixed = self._mixing_dropout(mixed, training=training)
            x = self._mixing_layer_norm(residual + mixed)
        feed_forward = self._output_dense(self._intermediate_dense(x))
        feed_forward = self._output_dropout(feed_forward, training=training)
        return self._output_layer_norm(x + feed_forward)

    def compute_output_spec(self, inputs, padding_mask=None, training=None, first_position_only=False):
        return mixed_output_spec(inputs, self.compute_dtype, first_position_only)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "intermediate_dim": self.intermediate_dim,
                "mixing": self.mixing,
                "num_heads": self.num_heads,
                "fourier_method": self.fourier_method,
                "fourier_normalization": self.fourier_normalization,
                "dropout": self.dropout,
                "mixing_dropout": self.mixing_dropout,
                "activation": keras.activations.serialize(self.activation),
                "layer_norm_epsilon": self.layer_norm_epsilon,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
                "bias_initializer": keras.initializers.serialize(self.bias_initializer),
            }
        )
        return config

    @classmethod
    def from_config(cls, config):
        return super().from_config({"fourier_normalization": LEGACY_NORMALIZATION, **config})


def _clone(initializer):
    return keras.initializers.get(keras.initializers.serialize(initializer))
