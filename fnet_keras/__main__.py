"""`python -m fnet_keras ...` is `fnet-keras ...`."""

import sys

from fnet_keras.cli import main

sys.exit(main())
