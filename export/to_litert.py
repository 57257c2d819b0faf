"""Convert a training run to LiteRT bundles: the conversion script to run from a checkout.

    python export/to_litert.py RUN_DIR --quant int8 --out DIR [--fourier-method auto|rfft|dft] [--zip] ...

The same as `fnet-keras export RUN_DIR ...` (it takes the same options: `--help` lists them):
one bundle per mode, builtin ops only, each checked against the Keras model by the parity gate
and runnable unchanged in MediaPipe Tasks. The work is `fnet_keras.export.export_run`; this
file only hands its arguments to the package's command line. (This folder holds scripts, not a
Python package: there is nothing importable as `export`.)
"""

import sys

from fnet_keras.cli import main

if __name__ == "__main__":
    sys.exit(main(["export", *sys.argv[1:]]))
