"""The one exception type for bad input data: it names the file and line at fault."""

from fnet_keras.errors import LocatedError


class DataError(LocatedError):
    """Bad or unreadable input data (a data file, directory or `tfds:` source)."""
