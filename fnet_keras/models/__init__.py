"""FNet models: the backbone, the classifier head, and the presets."""

from fnet_keras.models.fnet_backbone import FNetBackbone
from fnet_keras.models.presets import PRESETS, count_parameters, get_preset
from fnet_keras.models.text_classifier import TextClassifier

__all__ = ["FNetBackbone", "PRESETS", "TextClassifier", "count_parameters", "get_preset"]
