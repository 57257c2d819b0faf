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
        from fnet_keras.export.report import GATE_ADVICE

        self.report = report
        failed = report.failed_modes
        written = [mode.mode for mode in report.modes if mode.passed]
        advice = "; ".join(f"{mode}: {GATE_ADVICE[mode]}" for mode in failed)
        super().__init__(
            f"parity gate failed for {', '.join(failed)}: no bundle written for "
            f"{'it' if len(failed) == 1 else 'them'}"
            + (f" ({', '.join(written)} written to {report.out_dir})" if written else "")
            + f". What to try: {advice}.\n\n{report.format_table()}"
        )
