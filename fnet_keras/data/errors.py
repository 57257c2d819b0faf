"""The one exception type for bad input data: it names the file and line at fault."""

from fnet_keras.errors import LocatedError


class DataError(LocatedError):
    """Bad or unreadable input data (a data file, directory or `tfds:` source)."""


def recorded_error(error: DataError, what: str) -> DataError:
    """`error` for a source a run recorded: says so, as the user did not name it this time."""
    return DataError(f"{error.reason} ({what} recorded in the run)", error.path, error.line)


def report_change(reason: str, path, strict: bool, notes: list[str]) -> None:
    """A recorded source that reads differently now: an error, or a note when `strict` is off."""
    if strict:
        raise DataError(reason, path)
    notes.append(f"{path}: {reason} (hash check disabled)")
