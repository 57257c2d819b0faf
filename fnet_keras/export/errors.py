"""The export's exceptions: bad input (`ExportError`, exit 2) and failed checks (its subclasses, exit 1)."""

from __future__ import annotations

from fnet_keras.errors import LocatedError


class ExportError(LocatedError):
    """An export that cannot go ahead as asked (bad run directory, data or options, or a failed
    conversion), reported as `path: reason`."""


class UnsupportedOpsError(ExportError):
    """The converted model needs ops outside LiteRT's builtin set (Flex or custom ops): `ops` names them,
    e.g. `["FlexFFT2D"]`, or the TF ops the converter named."""

    exit_code = 1

    def __init__(self, reason: str, ops: list[str]):
        self.ops = list(ops)
        super().__init__(reason)


class ParityGateError(ExportError):
    """At least one mode's exported model disagrees with the Keras model beyond its thresholds. The
    passing modes were written with the report, the saved `ExportReport` that `report` holds."""

    exit_code = 1

    def __init__(self, report):
        self.report = report
        super().__init__(report.gate_failure())
