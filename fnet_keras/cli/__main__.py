"""`python -m fnet_keras.cli`."""

import sys

from fnet_keras.cli import main

sys.exit(main())
