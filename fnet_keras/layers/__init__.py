"""Keras layers: the Fourier mixing, its linear ablation, and the encoder block."""

from fnet_keras.layers.fnet_encoder import FNetEncoder, gelu_approximate
from fnet_keras.layers.fourier_mixing import FourierMixing
from fnet_keras.layers.linear_mixing import LinearMixing
from fnet_keras.layers.position_embedding import PositionEmbedding

__all__ = ["FNetEncoder", "FourierMixing", "LinearMixing", "PositionEmbedding", "gelu_approximate"]

# Keras may have been imported for the first time just above, while this package was initializing,
# when fnet_keras could not register its classes (fnet_keras/__init__.py): register them now, so
# `keras.models.load_model` finds TextClassifier whichever fnet_keras module was imported.
import fnet_keras  # noqa: E402

fnet_keras._register_keras_classes(finishing=__name__)
