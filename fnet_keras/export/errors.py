"""The export's exceptions: bad input (`ExportError`) and failed checks (the two subclasses)."""

from __future__ import annotations

from fnet_keras.errors import LocatedError


class ExportError(LocatedError):
    """An export that cannot go ahead as asked, reported as `path: reason` (`LocatedError`).

    Raised for a missing or inconsistent run directory, data that cannot be found, bad
    options, or a conversion that fails. `exit_code` is what `fnet-keras export` returns.
    """

    exit_code = 2


class UnsupportedOpsError(ExportError):
    """The converted model needs ops outside LiteRT's builtin set (Flex or custom ops).

    Attributes:
        ops: the offending op names, e.g. `["FlexFFT2D"]` or TF op names the converter named.
    """

    exit_code = 1

    def __init__(self, reason: str, ops: list[str]):
        self.ops = list(ops)
        super().__init__(reason)


class ParityGateError(ExportError):
    """At least one exported model disagrees with the Keras model beyond its thresholds.

    Nothing was written. Attributes:
        report: the `ExportReport` with every mode's figures (`report.passed` is False).
    """

    exit_code = 1

    def __init__(self, report):
        self.report = report
        failed = ", ".join(mode.quantization for mode in report.modes if not mode.parity.passed)
        super().__init__(
            f"parity gate failed for {failed}; no bundle was written.\n\n{report.format_table()}"
        )
