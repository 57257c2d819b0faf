"""LiteRT export: recipes (fp32, fp16, dynamic, int8), builtin ops only, parity gate, bundles.

The work is `export_run` (`fnet_keras.export.exporter`; command line `fnet-keras export RUN_DIR
--quant fp32,int8`). Everything here but `export_run` is plain Python that the command line reads
before TensorFlow loads; `export_run` imports TensorFlow on first use, so it is left out of
`__all__` (a star import stays TensorFlow-free).
"""

from fnet_keras.export.errors import ExportError, ParityGateError, UnsupportedOpsError
from fnet_keras.export.mode_report import ModeReport
from fnet_keras.export.parity import PARITY_THRESHOLDS, ParityResult, compare_probabilities
from fnet_keras.export.recipes import Recipe, candidates, check_modes
from fnet_keras.export.report import ExportReport


def __getattr__(name):
    if name == "export_run":  # the TensorFlow boundary of this package
        from fnet_keras.export.exporter import export_run

        return export_run
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "PARITY_THRESHOLDS", "ExportError", "ExportReport", "ModeReport", "ParityGateError", "ParityResult",
    "Recipe", "UnsupportedOpsError", "candidates", "check_modes", "compare_probabilities",
]
