"""Keras layers: the Fourier mixing, its linear ablation, and the encoder block."""

from fnet_keras.layers.fnet_encoder import FNetEncoder, gelu_approximate
from fnet_keras.layers.fourier_mixing import FourierMixing
from fnet_keras.layers.linear_mixing import LinearMixing
from fnet_keras.layers.position_embedding import PositionEmbedding

__all__ = ["FNetEncoder", "FourierMixing", "LinearMixing", "PositionEmbedding", "gelu_approximate"]

# Every fnet_keras Keras class registers as its module is defined; importing the models here (as
# keras-hub's package import does) registers them all, so `keras.models.load_model` finds
# TextClassifier whichever fnet_keras module was imported first (the models import these layers).
import fnet_keras.models  # noqa: E402, F401
