"""FNet models: the backbone, the classifier head, the bag-of-embeddings baseline and the masked-LM
head for pre-training (Keras; importing this package imports TensorFlow). The presets (model sizes)
are plain data in `fnet_keras.presets`.
"""

from fnet_keras.models.bag_of_embeddings import BagOfEmbeddingsClassifier
from fnet_keras.models.encoder_classifier import EncoderClassifier
from fnet_keras.models.fnet_backbone import FNetBackbone
from fnet_keras.models.masked_lm import MaskedLM
from fnet_keras.models.text_classifier import TextClassifier
from fnet_keras.presets import PRESETS, count_parameters, get_preset

__all__ = [
    "BagOfEmbeddingsClassifier",
    "EncoderClassifier",
    "FNetBackbone",
    "MaskedLM",
    "PRESETS",
    "TextClassifier",
    "count_parameters",
    "get_preset",
]
