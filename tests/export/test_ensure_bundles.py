"""`ExportReport.load` and `plan_bundles`, TensorFlow-free: a saved report reads back as it was written,
and the plan reuses, skips or exports from the report and each bundle's recorded run config."""

import hashlib
import json

import pytest

import fnet_keras
from fnet_keras.export import ExportError, ExportReport, ModeReport, compare_probabilities, ensure
from fnet_keras.export.ensure import plan_bundles


def _report(run_dir, out, passed=("int8",), failed=(), version=fnet_keras.__version__):
    import numpy as np

    reference = np.array([[0.9, 0.1], [0.2, 0.8]] * 250)
    modes = [
        ModeReport(mode, f"{mode}-rfft", "rfft", 1000, {"FULLY_CONNECTED": 2}, {}, compare_probabilities(
            reference if mode in passed else reference[:, ::-1], reference, mode), 0.75, p50_ms=0.5)
        for mode in (*passed, *failed)
    ]
    return ExportReport(run_dir, out, modes, 0.8, 4, "500 dev texts", "data", ["a note"],
                        created="2026-01-01T00:00:00Z", package_version=version,
                        command="fnet-keras export RUN")


def _run_with_bundles(tmp_path, modes, config_sha256=None):
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text('{"format_version": 2}')
    config_sha256 = config_sha256 or hashlib.sha256((run / "config.json").read_bytes()).hexdigest()
    for mode in modes:
        (run / "bundles" / mode).mkdir(parents=True)
        manifest = {"provenance": {"run": {"config_sha256": config_sha256}}}
        (run / "bundles" / mode / "bundle.json").write_text(json.dumps(manifest))
    return run


def test_a_saved_report_loads_back_as_it_was_written(tmp_path):
    report = _report(tmp_path / "run", tmp_path / "out", passed=("fp32",), failed=("int8",))
    _, json_path = report.save()
    loaded = ExportReport.load(json_path.parent)
    assert loaded.to_dict() == report.to_dict()
    assert loaded.failed_modes == ["int8"] and loaded.mode("fp32").passed
    assert loaded.format() == report.format()


def test_a_missing_or_unreadable_report_is_named(tmp_path):
    with pytest.raises(ExportError, match="no export report here"):
        ExportReport.load(tmp_path)
    (tmp_path / "export_report.json").write_text('{"modes": [{"mode": "int8"}]}')
    with pytest.raises(ExportError, match="unreadable export report"):
        ExportReport.load(tmp_path)


def test_bundles_of_this_run_are_reused_others_exported(tmp_path, monkeypatch):
    # bundle.json reduced to its provenance (what the plan reads), past the manifest's validation.
    monkeypatch.setattr(ensure.Manifest, "from_bytes",
                        classmethod(lambda cls, data, path: type("M", (), {"data": json.loads(data)})()))
    run = _run_with_bundles(tmp_path, ("fp32", "int8"))
    assert plan_bundles(run, ("int8",)).action == "export"  # no report yet
    _report(run, run / "bundles", passed=("fp32", "int8")).save()
    assert plan_bundles(run, ("int8",)).action == "reuse"
    assert plan_bundles(run, ("int8",), fresh_run=True).modes == ("int8", "fp32")  # passing ones kept
    assert plan_bundles(run, ("dynamic",)).action == "export"
    (run / "config.json").write_text('{"format_version": 2, "other": 1}')  # another run's config
    assert plan_bundles(run, ("int8",)).action == "export"


def test_a_recorded_gate_failure_is_not_retried_unless_asked_or_by_another_version(tmp_path):
    run = _run_with_bundles(tmp_path, ())
    _report(run, run / "bundles", passed=(), failed=("int8",)).save()
    plan = plan_bundles(run, ("int8",))
    assert plan.action == "failed" and plan.report.failed_modes == ["int8"]
    assert plan_bundles(run, ("int8",), retry_failed=True).action == "export"
    _report(run, run / "bundles", passed=(), failed=("int8",), version="0.0.1").save()
    assert plan_bundles(run, ("int8",)).action == "export"
