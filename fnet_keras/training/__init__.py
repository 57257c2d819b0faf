"""Training: settings, the run directory, and `fit`/`evaluate` over them.

    from fnet_keras.training import TrainSettings, fit, evaluate
    result = fit("../shared/data/sst2", "runs/sst2-tiny", TrainSettings(preset="tiny"))

`settings` and `run_dir` are plain Python (the CLI checks settings and run directories before
TensorFlow loads); `trainer` (`fit`), `evaluation` (`evaluate`) and the modules behind them
(input_pipeline, schedule, checkpoint, distribute) import TensorFlow, so `fit` and
`evaluate` load on first use.
"""

from fnet_keras.training.run_dir import Run, RunDir, RunDirError
from fnet_keras.training.settings import TrainSettings

_TENSORFLOW_NAMES = {
    "fit": "fnet_keras.training.trainer",
    "FitResult": "fnet_keras.training.trainer",
    "build_classifier": "fnet_keras.training.trainer",
    "evaluate": "fnet_keras.training.evaluation",
}


def __getattr__(name):
    # The one TensorFlow boundary of this package: `from fnet_keras.training import fit` loads it.
    if name not in _TENSORFLOW_NAMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(_TENSORFLOW_NAMES[name]), name)


__all__ = ["Run", "RunDir", "RunDirError", "TrainSettings"]
