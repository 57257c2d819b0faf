"""`ensure_bundles`: a finished run's bundles in the asked modes, exporting only when needed.

    report = ensure_bundles("runs/sst2-tiny", ("fp32", "int8"))   # into runs/sst2-tiny/bundles

`plan_bundles` decides without TensorFlow, from the export report and each bundle's bundle.json:
"reuse" when every asked mode passed its gate in a bundle exported from this run's config.json
(the SHA-256 bundle.json records), "failed" when the rest failed their gate under this package
version (a deterministic export would fail again; not retried unless asked), else "export". An
export replaces the whole directory, so it writes the asked modes and the passing ones kept there.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from fnet_keras._version import __version__
from fnet_keras.edge.manifest import MANIFEST_NAME, Manifest
from fnet_keras.errors import FnetKerasError
from fnet_keras.export.errors import ParityGateError
from fnet_keras.export.report import BUNDLES_DIR_NAME, REPORT_NAME, ExportReport
from fnet_keras.training.run_dir import RunDir


@dataclasses.dataclass(frozen=True)
class BundlePlan:
    """What `ensure_bundles` will do: `action` ("reuse", "failed" or "export") in the bundles directory
    `out`, for `modes` (an export's: the asked ones, then the passing ones already there), with the
    export `report` already there, or None."""

    action: str
    out: Path
    modes: tuple[str, ...]
    report: ExportReport | None


def plan_bundles(run: Any, modes: Sequence[str], out: str | os.PathLike | None = None, *,
                 retry_failed: bool = False, fresh_run: bool = False) -> BundlePlan:
    """What `ensure_bundles` will do for `modes` of `run` (its directory, or a `Run`) in `out` (default
    RUN_DIR/bundles), as the module docstring says; `retry_failed` exports again where this package
    version's gate failed before, `fresh_run` (the run was (re)trained since) in any case. No TensorFlow.
    An unreadable export report is an `ExportError`."""
    run_dir = Path(getattr(run, "path", run))
    out = Path(out) if out is not None else run_dir / BUNDLES_DIR_NAME
    modes = tuple(modes)
    report = ExportReport.load(out) if (out / f"{REPORT_NAME}.json").is_file() else None
    entries = {mode.mode: mode for mode in report.modes} if report is not None else {}
    kept = tuple(name for name, entry in entries.items()
                 if entry.passed and name not in modes and (out / name).is_dir())
    export = BundlePlan("export", out, (*modes, *kept), report)
    if fresh_run or report is None or any(mode not in entries for mode in modes):
        return export
    config_sha256 = hashlib.sha256(RunDir(run_dir).config.read_bytes()).hexdigest()
    passed = [mode for mode in modes if entries[mode].passed]
    if not all(_bundle_is_of_run(out / mode, config_sha256) for mode in passed):
        return export
    if len(passed) < len(modes) and (retry_failed or report.package_version != __version__):
        return export
    return BundlePlan("reuse" if len(passed) == len(modes) else "failed", out, modes, report)


def ensure_bundles(run: Any, modes: Sequence[str], out: str | os.PathLike | None = None, *,
                   retry_failed: bool = False, fresh_run: bool = False,
                   announce: Callable[[BundlePlan], None] | None = None,
                   **export_options: Any) -> ExportReport:
    """The export report of `run`'s bundles in `modes`: the one there when it holds them (`plan_bundles`,
    whose options these are), else a new export's (`export_run`, `export_options` passed on). Idempotent.
    A mode that fails its gate is a failed entry of the returned report (`.failed_modes`), not an
    error; the passing modes' bundles are written. `announce` is called with the plan first.

    Raises:
        ExportError: an unreadable export report; `UnsupportedOpsError` and the export's other errors.
    """
    plan = plan_bundles(run, modes, out, retry_failed=retry_failed, fresh_run=fresh_run)
    if announce is not None:
        announce(plan)
    if plan.action != "export":
        return plan.report
    from fnet_keras.export.exporter import export_run

    try:
        return export_run(
            getattr(run, "path", run), plan.modes, out_dir=plan.out, overwrite=True, **export_options
        )
    except ParityGateError as error:  # the passing modes were written; the failure is in the report
        return error.report


def _bundle_is_of_run(bundle_dir: Path, config_sha256: str) -> bool:
    """Whether the bundle's bundle.json records this run's config.json (else: export again)."""
    path = bundle_dir / MANIFEST_NAME
    try:
        manifest = Manifest.from_bytes(path.read_bytes(), path)
    except (OSError, FnetKerasError):
        return False
    return (manifest.data.get("provenance") or {}).get("run", {}).get("config_sha256") == config_sha256
