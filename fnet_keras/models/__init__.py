"""FNet models: the backbone, the classifier head, and the presets.

The presets are plain data and load with the package; the Keras models load on first access,
so that `TrainSettings` (which checks preset names) and the CLI stay free of TensorFlow.
"""

from fnet_keras.lazy import lazy_getattr
from fnet_keras.models.presets import PRESETS, count_parameters, get_preset

_LAZY = {
    "BagOfEmbeddingsClassifier": "fnet_keras.models.bag_of_embeddings",
    "FNetBackbone": "fnet_keras.models.fnet_backbone",
    "TextClassifier": "fnet_keras.models.text_classifier",
}
__getattr__ = lazy_getattr(__name__, _LAZY)

__all__ = [
    "BagOfEmbeddingsClassifier", "FNetBackbone", "PRESETS", "TextClassifier", "count_parameters",
    "get_preset",
]
