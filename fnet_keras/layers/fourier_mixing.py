"""The FNet token mixing: the real part of a 2D DFT over sequence and hidden axes.

This module is the only place in the package where the DFT math lives: the complex
FFT path, the DFT-as-matmul path and the LiteRT RFFT2D path with its Hermitian
reconstruction.
"""

import math

import keras
import tensorflow as tf
from keras import ops

from fnet_keras.presets import FOURIER_METHODS as METHODS
from fnet_keras.presets import NORMALIZATIONS, is_power_of_two

# What a saved config without a `normalization` key was built with (before the option existed).
LEGACY_NORMALIZATION = "none"


def dft_matrices(length, dtype="float32"):
    """Cosine and sine DFT matrices `C[j, k] = cos(2πjk/N)`, `S[j, k] = sin(2πjk/N)`.

    Built in-graph from `length` (static or dynamic), so nothing is stored in the model
    file. `j*k` is reduced modulo `N` in integers before the float conversion: the
    angle then stays below 2π and keeps float32 precision at any length.
    """
    index = tf.range(length, dtype=tf.int32)
    residue = tf.math.floormod(index[:, None] * index[None, :], length)
    angle = tf.cast(residue, "float32") * (2.0 * math.pi / tf.cast(length, "float32"))
    return tf.cast(tf.cos(angle), dtype), tf.cast(tf.sin(angle), dtype)


def ortho_scale(x):
    """`1/sqrt(sequence_length * hidden_dim)` of `x` (static when the shape is)."""
    seq_len, hidden = x.shape[-2], x.shape[-1]
    if seq_len is not None and hidden is not None:
        return 1.0 / math.sqrt(seq_len * hidden)
    return tf.math.rsqrt(tf.cast(tf.shape(x)[-2] * tf.shape(x)[-1], "float32"))


def real_fft2_fft(x, normalization="none"):
    """Re(FFT2(x)) with the complex FFT2D op (TensorFlow; LiteRT needs Flex for it)."""
    real, _ = ops.fft2((x, ops.zeros_like(x)))
    return real * ortho_scale(x) if normalization == "ortho" else real


def real_fft2_dft(x, normalization="none"):
    """Re(F_s x F_h) = C_s x C_h − S_s x S_h as two matmuls with constant right-hand sides (any
    length, int8-friendly).

    `x @ [C_h | S_h]` gives both hidden-axis products in one matmul; a transpose lays them
    side by side on the sequence axis, `[(x C_h)ᵀ | (x S_h)ᵀ]`, and one matmul with
    `[C_s ; −S_s]` gives the transposed result (C_s and S_s are symmetric). With a constant
    matrix on the right, LiteRT runs each as FULLY_CONNECTED, whose int8 kernel XNNPACK has (a
    constant on the left is a BATCH_MATMUL, slower than fp32 in int8). The hidden axis goes
    first: the input is layer-normalized over it, so its sums stay small and the intermediate
    tensor keeps a narrow int8 range. The orthonormal scale folds into the hidden-axis matrix
    (a constant once the length is static), so the activations see no extra op.
    """
    shape = tf.shape(x)
    batch, seq_len, hidden = shape[:-2], shape[-2], shape[-1]
    cos_h, sin_h = dft_matrices(hidden)
    cos_s, sin_s = dft_matrices(seq_len)
    hidden_matrix = tf.concat([cos_h, sin_h], axis=1)  # (h, 2h)
    if normalization == "ortho":
        hidden_matrix = hidden_matrix * ortho_scale(x)
    rank = len(x.shape)
    swap = [*range(rank - 2), rank, rank - 1, rank - 2]  # (..., a, b, c) -> (..., c, b, a)
    mixed_h = tf.reshape(tf.matmul(x, hidden_matrix), tf.concat([batch, [seq_len, 2, hidden]], axis=0))
    side_by_side = tf.reshape(tf.transpose(mixed_h, swap), tf.concat([batch, [hidden, 2 * seq_len]], axis=0))
    mixed = tf.matmul(side_by_side, tf.concat([cos_s, -sin_s], axis=0))  # (..., h, s)
    return tf.linalg.matrix_transpose(mixed)


def real_fft2_rfft(x, normalization="none"):
    """Re(FFT2(x)) from RFFT2D (a LiteRT builtin) by Hermitian symmetry.

    RFFT2D returns columns 0..h/2 of the full 2D spectrum Y. For a real input
    Y[k, l] = conj(Y[-k mod s, h - l]), so Re Y[k, l] for l > h/2 is
    Re Y[-k mod s, h - l]: columns h/2-1 down to 1 of the half spectrum, from row 0
    and then rows s-1 down to 1. With the half spectrum reversed on both axes (row j
    is row s-1-j, column j is column h/2-j), those are its last row and then its
    first s-1 rows, columns 1..h/2-1: slices, and two concatenations put them in
    place. The ops XNNPACK does not run (RFFT2D, REAL and the two reversals, each a
    plain copy) stay one island per block; the slices and concatenations join the
    delegated ops after them. (A strided slice with negative strides would do the
    reversal and slicing in one op, but LiteRT's kernel for it is 30x slower.) The
    orthonormal scale is one MUL on the input (the transform is linear), in the
    delegated ops before it.
    """
    seq_len, hidden = x.shape[-2], x.shape[-1]
    if normalization == "ortho":
        x = x * ortho_scale(x)
    half = tf.math.real(tf.signal.rfft2d(x))  # (..., s, h/2 + 1)
    if hidden <= 2:  # the half spectrum is the whole spectrum
        return half
    # Columns 1..h/2-1 are sliced before the reversals, so the reversed tensor never holds the DC and
    # Nyquist columns: an int8 export gives it their range otherwise (one scale per tensor), and the
    # columns kept lose their precision (scripts/quantization_debug.py, docs/results/quantization.md).
    flipped = tf.reverse(tf.reverse(half[..., 1 : hidden // 2], axis=[-1]), axis=[-2])  # s-1..0, h/2-1..1
    mirrored = flipped[..., seq_len - 1 :, :]  # row 0
    if seq_len > 1:
        mirrored = tf.concat([mirrored, flipped[..., : seq_len - 1, :]], axis=-2)  # rows s-1 .. 1
    return tf.concat([half, mirrored], axis=-1)


def mixed_output_spec(inputs, dtype, first_position_only=False):
    """The output spec of a layer that keeps its input's shape, or only its first position."""
    shape = tuple(inputs.shape)
    if first_position_only:
        shape = shape[:-2] + (1,) + shape[-1:]
    return keras.KerasTensor(shape, dtype=dtype)


_PATHS = {"fft": real_fft2_fft, "dft": real_fft2_dft, "rfft": real_fft2_rfft}


@keras.saving.register_keras_serializable(package="fnet_keras")
class FourierMixing(keras.layers.Layer):
    """FNet token mixing: `Re(DFT_seq(DFT_hidden(x)))`, parameter free.

    The output has the input's shape. With `normalization="none"` it is exactly the
    FNet mixing sublayer of the paper and the official code (unscaled DFT); with
    `"ortho"` (the default) it is that times `1/sqrt(sequence_length * hidden_dim)`,
    the orthonormal DFT, which keeps the output at the scale of the input. Every
    method computes in float32, also under mixed-precision policies (the unscaled DC
    term grows like sequence × hidden and overflows float16), and casts the result
    back.

    Why "ortho" is the default: in a post-norm block `LayerNorm(x + mixing(x))` the
    unscaled transform of a LayerNorm'd input has a standard deviation of about
    `sqrt(sequence_length * hidden_dim / 2)` (45 at 32 × 128, 128 at 256 × 128), so the
    residual `x` is a rounding error next to it and every block starts by replacing
    its input with a spectrum. Scaled, the two are of the same size, as in an
    attention block at initialization.

    Args:
        method: str. How the transform is computed:
            `"fft"`: `FFT2D` on complex64; any length, dynamic too. Needs the
            Flex runtime in LiteRT.
            `"dft"`: DFT as matmuls with in-graph cosine/sine matrices; any
            length; runs on int8 kernels and accelerator delegates.
            `"rfft"`: LiteRT's builtin `RFFT2D` plus Hermitian reconstruction;
            sequence and hidden sizes must be powers of two (LiteRT's RFFT2D
            fails at run time otherwise, so the layer refuses to build).
            `"auto"` (default): `"fft"` in TensorFlow. The export pipeline sets
            `layer.method` per target before tracing: a change applies to
            functions traced afterwards; Keras caches traced functions such as
            `model.predict_function`, so export traces a fresh function.
        normalization: str. `"ortho"` (default): scale by
            `1/sqrt(sequence_length * hidden_dim)` (numpy's `norm="ortho"`);
            `"none"`: the paper's unscaled DFT (numpy's default `norm="backward"`).
            Exact in every method: `"dft"` folds the scale into its hidden-axis
            matrix, `"fft"` and `"rfft"` add one multiplication. A saved config
            without this key (written before the option existed) loads as `"none"`.
        **kwargs: standard `keras.layers.Layer` arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: float tensor of shape `(batch, sequence_length, hidden_dim)`.
        first_position_only: bool. Compute output position 0 only, shape
            `(batch, 1, hidden_dim)`: the hidden-axis transform of the sum over
            positions (row 0 of the sequence-axis DFT is all ones), what a last block
            needs when only its first position is read.

    Example:
    >>> x = np.random.rand(2, 8, 4).astype("float32")
    >>> y = FourierMixing()(x)
    >>> np.allclose(y, np.fft.fft2(x, norm="ortho").real, atol=1e-5)
    True
    >>> y = FourierMixing(normalization="none")(x)
    >>> np.allclose(y, np.fft.fft2(x).real, atol=1e-4)
    True

    Reference:
        Lee-Thorp et al., "FNet: Mixing Tokens with Fourier Transforms",
        arXiv 2105.03824.
    """

    def __init__(self, method="auto", normalization="ortho", **kwargs):
        super().__init__(**kwargs)
        self._method = check_method(method)
        self.normalization = check_normalization(normalization)
        self.supports_masking = True

    @property
    def method(self):
        return self._method

    @method.setter
    def method(self, value):
        value = check_method(value)
        if self.built and value == "rfft":
            _check_rfft_shape(self._build_shape, self.name)
        self._method = value

    @property
    def resolved_method(self):
        """The path actually traced: `"auto"` means `"fft"` in TensorFlow."""
        return "fft" if self._method == "auto" else self._method

    def build(self, input_shape):
        if len(input_shape) != 3:
            raise ValueError(
                f"FourierMixing expects inputs of shape (batch, sequence_length, hidden_dim); "
                f"received shape {tuple(input_shape)}."
            )
        self._build_shape = tuple(input_shape)
        if self._method == "rfft":
            _check_rfft_shape(self._build_shape, self.name)
        self.built = True

    def call(self, inputs, first_position_only=False):
        x = ops.cast(inputs, "float32")
        if first_position_only:
            # Row 0 of the sequence-axis DFT is all ones: output row 0 is the hidden-axis DFT of
            # the sum over positions (the same transform on a (batch, 1, hidden) input).
            summed = ops.sum(x, axis=-2, keepdims=True)
            if self.normalization == "ortho":
                summed = summed * ortho_scale(x)
            y = _PATHS[self.resolved_method](summed, "none")
        else:
            y = _PATHS[self.resolved_method](x, self.normalization)
        return ops.cast(y, self.compute_dtype)

    def compute_output_spec(self, inputs, first_position_only=False):
        return mixed_output_spec(inputs, self.compute_dtype, first_position_only)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"method": self._method, "normalization": self.normalization})
        return config

    @classmethod
    def from_config(cls, config):
        return super().from_config({"normalization": LEGACY_NORMALIZATION, **config})


def check_method(method):
    if method not in METHODS:
        raise ValueError(f"`method` must be one of {METHODS}; received method={method!r}.")
    return method


def check_normalization(normalization):
    if normalization not in NORMALIZATIONS:
        raise ValueError(
            f"`normalization` must be one of {NORMALIZATIONS}; received normalization={normalization!r}."
        )
    return normalization


def _check_rfft_shape(shape, layer_name):
    for axis, size in (("sequence", shape[1]), ("hidden", shape[2])):
        if size is None:
            raise ValueError(
                f"FourierMixing {layer_name!r}: method='rfft' needs a static {axis} length "
                f"(LiteRT's RFFT2D takes fixed power-of-two sizes); received shape {shape}."
            )
        if not is_power_of_two(size):
            raise ValueError(
                f"FourierMixing {layer_name!r}: method='rfft' needs power-of-two lengths "
                f"(LiteRT's RFFT2D rejects others at run time); the {axis} length is {size} "
                f"in shape {shape}. Use method='dft' or 'fft' instead."
            )
