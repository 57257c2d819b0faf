"""FNet models: the backbone, the classifier head, the masked-LM head for pre-training, and the presets.

The presets are plain data and load with the package; the Keras models load on first access,
so that `TrainSettings` (which checks preset names) and the CLI stay free of TensorFlow.
"""

from fnet_keras.lazy import lazy_getattr
from fnet_keras.models.presets import PRESETS, count_parameters, get_preset

_LAZY = {
    "FNetBackbone": "fnet_keras.models.fnet_backbone",
    "MaskedLM": "fnet_keras.models.masked_lm",
    "TextClassifier": "fnet_keras.models.text_classifier",
}
__getattr__ = lazy_getattr(__name__, _LAZY)

__all__ = ["FNetBackbone", "MaskedLM", "PRESETS", "TextClassifier", "count_parameters", "get_preset"]
