"""`QuickstartResult`: the printed table, the report files and their round trip (no TensorFlow)."""

from __future__ import annotations

import json
import shutil

from fnet_keras.quickstart import QuickstartResult, QuickstartRow

MIB = 1024 * 1024


def _parity(agreement, max_dp, passed, needs=0.98, max_allowed=None):
    return {"examples": 500, "agreement": agreement, "max_abs_probability_diff": max_dp,
            "mean_abs_probability_diff": max_dp / 10,
            "thresholds": {"agreement": needs, "max_abs_probability_diff": max_allowed}, "passed": passed}


def _result(tmp_path, twin_dynamic_passes: bool) -> QuickstartResult:
    out = tmp_path / "out"
    out.mkdir()

    def row(model, mixing, mode, p50, accuracy, model_bytes, passed=True):
        run_dir = out / ("fnet" if mixing == "fourier" else "transformer")
        return QuickstartRow(
            model=model, mixing=mixing, mode=mode, recipe=f"{mode}-x", run_dir=run_dir,
            bundle_dir=run_dir / "bundles" / mode if passed else None,
            accuracy=accuracy if passed else None, keras_accuracy=0.6,
            model_bytes=model_bytes if passed else None, bundle_bytes=model_bytes + 4096 if passed else None,
            parity=_parity(1.0, 1e-7, True, 1.0, 1e-4) if mode == "fp32" else _parity(
                0.99 if passed else 0.9612, 0.02, passed),
            p50_ms=p50 if passed else None,
        )

    rows = [
        row("FNet", "fourier", "fp32", 0.5, 0.61, 3 * MIB),
        row("Transformer twin", "attention", "fp32", 1.25, 0.63, 4 * MIB),
        row("FNet", "fourier", "dynamic", 0.4, 0.605, MIB),
        row("Transformer twin", "attention", "dynamic", 1.0, 0.62, MIB + MIB // 2,
            passed=twin_dynamic_passes),
    ]
    return QuickstartResult(
        out_dir=out, data="ListOps (test)", accuracy_split="test", accuracy_examples=1000,
        sequence_length=256, rows=rows, benchmark=None,
        stage_seconds={"data": 0.4, "tensorflow": 6.0, "training fourier": 100.0, "training attention": 150.0,
                       "export fnet": 30.0, "export transformer": 31.0, "bench": 5.0},
        total_seconds=322.4, plan={"data": {"kind": "listops"}}, notes=["a note"],
        created="2026-11-30T00:00:00Z", package_version="0.0-test", command="fnet-keras quickstart",
    )


def _table(text: str) -> list[list[str]]:
    lines = text.splitlines()
    start = next(index for index, line in enumerate(lines) if line.startswith("model "))
    return [line.split("  ") for line in lines[start + 2: start + 6]]


def test_the_table_shows_accuracy_size_latency_and_the_speedup_per_mode(tmp_path):
    result = _result(tmp_path, twin_dynamic_passes=True)
    assert result.passed and result.failures == []
    assert result.speedup("fp32") == 1.25 / 0.5 and result.speedup("dynamic") == 1.0 / 0.4
    text = result.format()
    rows = [[cell.strip() for cell in line if cell.strip()] for line in _table(text)]
    # FNet against its twin in the row's mode; then each model's own fp32 -> dynamic gain, in its own column.
    assert rows == [
        ["FNet", "fp32", "61.0%", "3.00 MiB", "0.50 ms", "2.50x"],
        ["Transformer twin", "fp32", "63.0%", "4.00 MiB", "1.25 ms"],
        ["FNet", "dynamic", "60.5%", "1.00 MiB", "0.40 ms", "2.50x", "1.25x"],
        ["Transformer twin", "dynamic", "62.0%", "1.50 MiB", "1.00 ms", "1.25x"],
    ]
    header = next(line for line in text.splitlines() if line.startswith("model "))
    assert header.index("FNet speed-up vs twin") < header.index("dynamic speed-up vs fp32")
    assert result.quantization_speedup("fourier") == 0.5 / 0.4
    assert result.quantization_speedup("attention") == 1.25 / 1.0
    took = "took 5 min 22 s (data 0 s, tensorflow 6 s, training 4 min 10 s, export 1 min 1 s, bench 5 s)"
    assert took in text
    assert "latency: not measured (no bundle passed its gate)" in text


def test_a_failed_gate_is_a_row_without_a_bundle_and_a_failure_line(tmp_path):
    result = _result(tmp_path, twin_dynamic_passes=False)
    assert not result.passed
    assert result.failures == [
        "Transformer twin dynamic: parity gate failed (dynamic-x: top-label agreement 96.12%, needs 98%)"
    ]
    text = result.format()
    last = [cell.strip() for cell in _table(text)[3] if cell.strip()]
    assert last == ["Transformer twin", "dynamic", "-", "gate failed", "-"]
    assert result.speedup("dynamic") is None
    assert f"FAILED: {result.failures[0]}" in text


def test_save_writes_the_report_json_markdown_and_plot(tmp_path):
    result = _result(tmp_path, twin_dynamic_passes=False)
    written = result.save()
    out = result.out_dir
    assert written == {
        "plot": out / "report.png", "report_md": out / "report.md", "report_json": out / "report.json"
    }
    data = json.loads((out / "report.json").read_text())
    assert [row["name"] for row in data["rows"]] == [row.name for row in result.rows]
    assert data["speedup"] == {"fp32": 2.5, "dynamic": None}
    assert data["quantization_speedup"] == {
        "FNet": {"dynamic": 0.5 / 0.4}, "Transformer twin": {"dynamic": None}
    }
    assert data["passed"] is False and data["failures"] == result.failures
    assert data["rows"][3]["bundle_dir"] is None
    assert data["rows"][0]["bundle_dir"] == str(out / "fnet" / "bundles" / "fp32")
    assert data["files"]["report_md"] == str(out / "report.md") and data["total_seconds"] == 322.4
    markdown = (out / "report.md").read_text()
    assert "| FNet | fp32 | 61.0% | 3.00 MiB | 0.50 ms | 2.50x |  |" in markdown
    assert "| FNet | dynamic | 60.5% | 1.00 MiB | 0.40 ms |  | 1.25x |" in markdown
    failed = "| Transformer twin | dynamic | dynamic-x | 60.00% | - | 96.12% | 2.00e-02 | FAIL | - | - |"
    assert failed in markdown
    fnet_fp32 = (
        "| FNet | fp32 | fp32-x | 60.00% | 61.00% | 100.00% | 1.00e-07 | pass | 3,145,728 "
        "| fnet/bundles/fp32 |"
    )
    assert fnet_fp32 in markdown
    assert "## Failed" in markdown and "- a note" in markdown
    assert (out / "report.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    # No temporary files left behind.
    assert sorted(path.name for path in out.iterdir()) == ["report.json", "report.md", "report.png"]


def test_speedups_are_thread_cpu_ratios_and_the_load_while_timing_is_shown(tmp_path):
    """A real interleaved benchmark of four bundles (copies of the demo bundle) named as the rows."""
    from fnet_keras.budget.latency import measure_latencies
    from fnet_keras.demo import demo_bundle_path

    result = _result(tmp_path, twin_dynamic_passes=True)
    copies = tmp_path / "copies"
    bundles = {row.name: shutil.copytree(demo_bundle_path(), copies / row.name) for row in result.rows}
    result.benchmark = measure_latencies(bundles, threads=1, runs=4, warmup=1)
    cells = {cell["model"]: cell for cell in result.benchmark.cells}
    for row in result.rows:
        row.p50_ms = cells[row.name]["inference_p50"] / 1000
    cpu = {name: cell["inference_cpu_p50"] for name, cell in cells.items()}
    assert result.speedup("dynamic") == cpu["Transformer twin dynamic"] / cpu["FNet dynamic"]
    assert result.quantization_speedup("fourier") == cpu["FNet fp32"] / cpu["FNet dynamic"]
    assert result.ratio_clock == "thread_cpu"
    load = result.benchmark.to_dict()["load"]
    text = result.format()
    described = f"1-minute load average {load['load_1min']:.2f} on {load['cores']} cores while timing"
    assert described in text and "speed-ups are ratios of thread-CPU medians" in text
    assert ("WARNING: the 1-minute load average" in text) is load["overloaded"]
    data = result.to_dict()
    assert data["load"] == load and data["speedup_clock"] == "thread_cpu"
    assert described in result.to_markdown()


def test_stages_an_earlier_run_carried_out_keep_their_times(tmp_path):
    result = _result(tmp_path, twin_dynamic_passes=True)
    result.stage_seconds = {"data": 0.4, "tensorflow": 6.0, "bench": 5.0}
    result.reused_seconds = {"training fourier": 100.0, "training attention": 150.0, "export fnet": 30.0,
                             "export transformer": None}
    text = result.format()
    assert "took 5 min 22 s (data 0 s, tensorflow 6 s, bench 5 s)" in text
    assert ("reused from the earlier run here: training fourier 1 min 40 s, training attention 2 min 30 s, "
            "export fnet 30 s, export transformer (time not recorded)") in text
    data = result.to_dict()
    assert data["stage_seconds"] == {"training fourier": 100.0, "training attention": 150.0,
                                     "export fnet": 30.0, "data": 0.4, "tensorflow": 6.0, "bench": 5.0}
    assert data["reused_stages"] == list(result.reused_seconds)
    assert "- reused from the earlier run here: training fourier 1 min 40 s" in result.to_markdown()
