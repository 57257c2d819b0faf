"""The export's exceptions: bad input (`ExportError`, exit 2) and failed checks (its subclasses, exit 1)."""

from __future__ import annotations

from fnet_keras.errors import LocatedError


class ExportError(LocatedError):
    """An export that cannot go ahead as asked, reported as `path: reason` (`LocatedError`).

    Raised for a missing or inconsistent run directory, data that cannot be found, bad
    options, or a conversion that fails.
    """


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
    """At least one mode's exported model disagrees with the Keras model beyond its thresholds.

    The modes that passed were written (with the report); the failed ones were not.
    Attributes:
        report: the saved `ExportReport` with every mode's figures.
    """

    exit_code = 1

    def __init__(self, report):
        self.report = report
        super().__init__(report.gate_failure())
