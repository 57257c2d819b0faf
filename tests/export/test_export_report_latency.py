"""`ExportReport`: the recipes' p50s carry the machine's load while they were timed, and the choice between
two passing recipes is made on the thread-CPU medians (no TensorFlow: hand-made mode reports)."""

from __future__ import annotations

from pathlib import Path

from fnet_keras.export.mode_report import ModeReport
from fnet_keras.export.parity import ParityResult
from fnet_keras.export.report import ExportReport


def _mode(mode: str, load=None, p50=None, cpu_p50=None) -> ModeReport:
    parity = ParityResult(500, 1.0, 1e-6, 1e-7, {"agreement": 0.99, "max_abs_probability_diff": None}, True)
    return ModeReport(mode=mode, recipe=f"{mode}-rfft", fourier_method="rfft", size_bytes=10, ops={"ADD": 1},
                      float_ops={}, parity=parity, test_accuracy=None, p50_ms=p50, cpu_p50_ms=cpu_p50,
                      latency_load=load)


def _report(*modes: ModeReport) -> ExportReport:
    return ExportReport(run_dir=Path("runs/x"), out_dir=Path("runs/x/bundles"), modes=list(modes),
                        keras_test_accuracy=None, test_examples=0, gate="500 texts", data_source="data",
                        notes=[], created="2026-12-07T00:00:00Z", package_version="0.0-test")


def test_timed_recipes_carry_the_load_and_an_overload_is_warned():
    calm = {"load_1min": 0.5, "cores": 2, "overloaded": False}
    busy = {"load_1min": 5.25, "cores": 2, "overloaded": True}
    report = _report(_mode("fp32"), _mode("int8", calm, 1.2, 1.1))
    text = report.format()
    assert "1-minute load average 0.50 on 2 cores while timing" in text and "warning" not in text
    assert report.to_dict()["modes"][1]["latency_load"] == calm
    assert report.to_dict()["modes"][1]["cpu_p50_ms"] == 1.1
    text = _report(_mode("fp32"), _mode("int8", busy, 1.2, 1.1)).format()
    assert "1-minute load average 5.25 on 2 cores while timing" in text
    assert "**warning**: the 1-minute load average (5.25) exceeded the 2 usable cores" in text
    # Nothing timed: no latency line at all.
    assert "load average" not in _report(_mode("fp32")).format()


def test_recipes_are_compared_on_the_thread_cpu_median_where_there_is_one():
    assert _mode("int8", p50=2.0, cpu_p50=1.0).speed_ms == 1.0
    assert _mode("int8", p50=2.0).speed_ms == 2.0
