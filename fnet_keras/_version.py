"""The package's version: one home, read by `fnet_keras.__version__`, setup.cfg and the bundle writer."""

__version__ = "0.2.0"
