"""fnet-keras: FNet text classifiers in Keras 3, exported to LiteRT for edge devices.

    import fnet_keras
    result = fnet_keras.fit("../shared/data/sst2", "runs/sst2", fnet_keras.TrainSettings(preset="tiny"))
    fnet_keras.export_run("runs/sst2", modes=("int8",))
    classifier = fnet_keras.load("runs/sst2/bundles/int8")   # a bundle, or a run directory
    classifier.classify("a gorgeous, witty film")            # Prediction: 1 0.9731

Importing `fnet_keras` is cheap and imports no TensorFlow: the TF-free edge runtime
(`fnet_keras.edge`) is the base install and must run where only numpy and a LiteRT interpreter
exist. The Keras side loads on first use. Its serializable classes (`TextClassifier`,
`FNetBackbone`, the layers) register with Keras as soon as both `fnet_keras` and `keras` are
imported, in either order, so `keras.models.load_model("run/model.keras")` works after a plain
`import fnet_keras`.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import os
import sys

from fnet_keras._version import __version__ as __version__

_SUBMODULES = ("layers", "models", "data", "text", "training", "export", "edge", "metrics", "demo")
# Public functions and classes at the top level -> the module that defines them.
_NAMES = {
    "fit": "fnet_keras.training.trainer",
    "evaluate": "fnet_keras.training.evaluation",
    "TrainSettings": "fnet_keras.training.settings",
    "export_run": "fnet_keras.export.exporter",
    "load_bundle": "fnet_keras.edge.bundle",
    "benchmark": "fnet_keras.edge.bench",
    "RunClassifier": "fnet_keras.training.run_classifier",
}


def load(path: str | os.PathLike, **options):
    """A classifier from a bundle (`fnet_keras.edge.Bundle`, TF-free) or a run directory
    (`RunClassifier`, Keras): both have `classify(texts, top_k=None)` and `labels`.

    `options` go to `load_bundle` (`num_threads`, `runtime`) for a bundle.
    """
    from fnet_keras.errors import LocatedError

    kind = target_kind(path)
    if kind == "bundle":
        from fnet_keras.edge import load_bundle

        return load_bundle(path, **options)
    if kind == "run":
        from fnet_keras.training.run_classifier import RunClassifier

        return RunClassifier.load(path)
    raise LocatedError("neither a bundle (bundle.json) nor a run directory (config.json)", path)


def target_kind(path: str | os.PathLike) -> str | None:
    """What `path` holds, decided by what exists: "bundle" (a directory holding bundle.json, or a .zip
    file), "run" (a directory holding config.json), else None. The one test of "bundle or run" (`load`,
    the command line, bench)."""
    from pathlib import Path

    from fnet_keras.edge.manifest import MANIFEST_NAME

    path = Path(path)
    if (path / MANIFEST_NAME).is_file() or (path.suffix.lower() == ".zip" and path.is_file()):
        return "bundle"
    return "run" if (path / "config.json").is_file() else None


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in _NAMES:
        return getattr(importlib.import_module(_NAMES[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _register_keras_classes() -> None:
    """Imports the Keras side, whose modules register its classes with Keras as they are defined, unless
    it is being imported already (`fnet_keras.layers` imports `fnet_keras.models` when it finishes)."""
    if not {"fnet_keras.layers", "fnet_keras.models"} & sys.modules.keys():
        import fnet_keras.models  # noqa: F401


class _RegisterAfterKeras(importlib.abc.MetaPathFinder):
    """Calls `_register_keras_classes` once `keras` has been imported, whoever imports it.

    Keras finds a saved model's classes only in its registry (it imports modules of keras itself
    and keras-hub, not of other packages); importing Keras here would cost seconds and break the
    TF-free install. So the first `import keras` is found as usual and registers after it runs.
    """

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "keras":
            return None
        # The real spec, found without coming back here; this finder stays until keras runs (a
        # `find_spec("keras")` that only asks whether Keras is installed, as TensorFlow's does, runs nothing).
        sys.meta_path.remove(self)
        try:
            spec = importlib.util.find_spec("keras")
        finally:
            sys.meta_path.insert(0, self)
        if spec is not None and spec.loader is not None:
            exec_module = spec.loader.exec_module

            def exec_and_register(module):
                exec_module(module)
                if self in sys.meta_path:
                    sys.meta_path.remove(self)
                _register_keras_classes()

            spec.loader.exec_module = exec_and_register
        return spec


if "keras" in sys.modules:
    _register_keras_classes()
elif not any(isinstance(finder, _RegisterAfterKeras) for finder in sys.meta_path):
    sys.meta_path.insert(0, _RegisterAfterKeras())
