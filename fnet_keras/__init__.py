"""fnet-keras: FNet text classifiers in Keras 3, exported to LiteRT for edge devices.

Importing ``fnet_keras`` is cheap and imports no TensorFlow: the TF-free edge runtime
(``fnet_keras.edge``) lives in the same package and must run where only numpy and a
LiteRT interpreter are installed. The Keras parts load on first attribute access
(``fnet_keras.layers``, ``fnet_keras.models``).
"""

import importlib

__version__ = "0.1.0"

_LAZY_SUBMODULES = ("layers", "models", "data", "text", "training", "export", "edge")


def __getattr__(name):
    if name in _LAZY_SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
