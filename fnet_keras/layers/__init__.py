"""Keras layers: the Fourier mixing, its linear ablation, and the encoder block."""

from fnet_keras.layers.fnet_encoder import FNetEncoder, gelu_approximate
from fnet_keras.layers.fourier_mixing import FourierMixing
from fnet_keras.layers.linear_mixing import LinearMixing
from fnet_keras.layers.position_embedding import PositionEmbedding

__all__ = ["FNetEncoder", "FourierMixing", "LinearMixing", "PositionEmbedding", "gelu_approximate"]
