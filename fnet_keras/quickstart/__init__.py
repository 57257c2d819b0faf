"""The quickstart: the whole pipeline on one command, from nothing to a measured comparison.

    from fnet_keras.quickstart import quickstart
    result = quickstart(out="runs/quickstart")     # or quickstart("../shared/data/sst2", ...)
    result.save()                                  # report.md, report.json, report.png, bench.json/.md
    print(result.format())

Trains a `tiny` FNet and its Transformer twin (on flat MAX/MIN ListOps expressions, or the user's
data), exports each to fp32 and dynamic-range LiteRT bundles through the parity gate, times the
four bundles here interleaved, and reports accuracy, size, p50 latency and the speed-ups.
Command line: `fnet-keras quickstart [--data DIR_OR_FILE] [--out DIR]`. Only `quickstart` itself
loads TensorFlow, once the output directory and the data have been checked.
"""

from fnet_keras.quickstart.errors import QuickstartError
from fnet_keras.quickstart.result import QuickstartResult, QuickstartRow
from fnet_keras.quickstart.runner import DEFAULT_OUT, quickstart
from fnet_keras.quickstart.sizes import SIZES, QuickstartSize

__all__ = ["DEFAULT_OUT", "SIZES", "QuickstartError", "QuickstartResult", "QuickstartRow", "QuickstartSize",
           "quickstart"]
