"""The small quickstart end to end (real training, export, parity gates, benchmark), checked against
independent computations: the bundles' accuracy recomputed here from the test file, sizes from the
files on disk, p50s and speed-ups from the benchmark's own samples."""

from __future__ import annotations

import csv
import json
import statistics
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # one real quickstart (about 1.5 min on 2 cores), shared by the file

ROW_NAMES = ["FNet fp32", "Transformer twin fp32", "FNet dynamic", "Transformer twin dynamic"]
LISTOPS_CLASSES = 10  # the ListOps answer is a digit, 0-9: chance is about 10%


def _test_split(out: Path) -> tuple[list[str], list[str]]:
    with open(out / "data" / "test.tsv", encoding="utf-8", newline="") as file:
        rows = list(csv.reader(file, delimiter="\t"))
    assert rows[0] == ["text", "label"]
    return [row[0] for row in rows[1:]], [row[1] for row in rows[1:]]


def test_it_passes_every_gate_and_prints_the_table_and_the_report_paths(small_quickstart):
    run = small_quickstart
    assert run.returncode == 0, run.stderr[-4000:]
    assert run.report["passed"] and run.report["failures"] == []
    assert [row["name"] for row in run.report["rows"]] == ROW_NAMES
    table = run.stdout.splitlines()
    header = next(index for index, line in enumerate(table) if line.startswith("model "))
    assert table[header].split() == ["model", "mode", "test", "accuracy", "bundle", "size", "p50", "latency",
                                     "FNet", "speed-up", "vs", "twin", "dynamic", "speed-up", "vs", "fp32"]
    printed = table[header + 2: header + 6]
    for line, row in zip(printed, run.report["rows"], strict=True):
        assert line.startswith(f"{row['model']} ") and f" {row['mode']} " in line
        assert f"{100 * row['accuracy']:.1f}%" in line and f"{row['p50_ms']:.2f} ms" in line
    for name in ("report.md", "report.json", "report.png"):
        assert any(line.strip().endswith(str(run.out / name)) for line in table), name
    assert (run.out / "report.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    # Only the result is on stdout; progress (stages, Keras, export, bench) is on stderr.
    assert "Epoch" not in run.stdout and "export:" not in run.stdout
    for stage in ("training [1/2] FNet", "training [2/2] Transformer twin", "exporting [1/2] FNet",
                  "timing 4 bundles here, interleaved", "done"):
        assert any(stage in line for line in run.progress), stage
    assert any(line.startswith("Epoch 1/") for line in run.progress)


def test_each_bundles_accuracy_matches_its_predictions_on_the_test_file(small_quickstart):
    from fnet_keras.edge import load_bundle

    texts, truth = _test_split(small_quickstart.out)
    assert small_quickstart.report["accuracy_examples"] == len(texts)
    for row in small_quickstart.report["rows"]:
        bundle = load_bundle(row["bundle_dir"])  # absolute: --out was
        predicted = [prediction.label for prediction in bundle.classify(texts)]
        correct = sum(label == answer for label, answer in zip(predicted, truth, strict=True))
        assert row["accuracy"] == pytest.approx(correct / len(texts), abs=1e-12), row["name"]
        # Trained from scratch, well above chance (the majority class is 15%; measured: 86-95%).
        assert row["accuracy"] > 2.5 / LISTOPS_CLASSES, row["name"]


def test_sizes_are_the_files_on_disk(small_quickstart):
    for row in small_quickstart.report["rows"]:
        bundle = Path(row["bundle_dir"])
        files = [path for path in bundle.iterdir() if path.is_file()]
        assert {path.name for path in files} >= {"model.tflite", "bundle.json", "vocab.txt", "labels.txt"}
        assert row["model_bytes"] == (bundle / "model.tflite").stat().st_size
        assert row["bundle_bytes"] == sum(path.stat().st_size for path in files)
    fp32, dynamic = (small_quickstart.report["rows"][index]["model_bytes"] for index in (0, 2))
    assert dynamic < fp32 / 2  # dynamic range keeps int8 weights: about a third of fp32's bytes


def test_every_folder_it_writes_gets_the_umask_mode(small_quickstart):
    # Exports are staged in a temporary folder (mkdtemp: drwx------) and renamed into place; the
    # bundles/ folders must still be readable by a web server or another user under umask 022.
    import stat

    from fnet_keras.atomic import default_mode

    folders = [path for path in small_quickstart.out.rglob("*") if path.is_dir()]
    assert any(path.name == "bundles" for path in folders)
    wrong = {str(path): oct(stat.S_IMODE(path.stat().st_mode)) for path in folders
             if stat.S_IMODE(path.stat().st_mode) != default_mode(directory=True)}
    assert wrong == {}


def test_latencies_and_speedups_come_from_the_interleaved_benchmark(small_quickstart):
    bench = json.loads((small_quickstart.out / "bench.json").read_text())
    assert bench["settings"]["threads"] == [1]
    cells = {cell["model"]: cell for cell in bench["cells"]}
    assert sorted(cells) == sorted(ROW_NAMES)
    p50_ms = {name: statistics.median(cell["inference_samples"]) / 1000 for name, cell in cells.items()}
    for row in small_quickstart.report["rows"]:
        assert row["p50_ms"] == pytest.approx(p50_ms[row["name"]], abs=1e-6)
    # Speed-ups are ratios of the thread-CPU medians (1 thread), which other processes barely touch.
    cpu = {name: cell["inference_cpu_p50"] for name, cell in cells.items()}
    assert small_quickstart.report["speedup_clock"] == "thread_cpu"
    for mode in ("fp32", "dynamic"):
        expected = cpu[f"Transformer twin {mode}"] / cpu[f"FNet {mode}"]
        assert small_quickstart.report["speedup"][mode] == pytest.approx(expected, rel=1e-9)
        assert f"{expected:.2f}x" in small_quickstart.stdout
    for model in ("FNet", "Transformer twin"):
        expected = cpu[f"{model} fp32"] / cpu[f"{model} dynamic"]
        gained = small_quickstart.report["quantization_speedup"][model]["dynamic"]
        assert gained == pytest.approx(expected, rel=1e-9)
    assert small_quickstart.report["load"] == bench["load"]
    assert f"1-minute load average {bench['load']['load_1min']:.2f}" in small_quickstart.stdout


def test_the_report_records_the_plan_the_gates_and_the_runs(small_quickstart):
    out, report = small_quickstart.out, small_quickstart.report
    marker = json.loads((out / "quickstart.json").read_text())
    assert marker["format"] == "fnet-keras-quickstart" and marker["plan"] == report["plan"]
    assert report["plan"]["data"]["kind"] == "listops" and report["sequence_length"] == 32
    for row in report["rows"]:
        thresholds = row["parity"]["thresholds"]
        assert row["parity"]["passed"] and row["parity"]["agreement"] >= thresholds["agreement"]
        assert Path(row["run_dir"]) == out / {"fourier": "fnet", "attention": "transformer"}[row["mixing"]]
        metrics = json.loads((Path(row["run_dir"]) / "metrics.json").read_text())
        assert row["keras_accuracy"] == metrics["test"]["accuracy"]
    markdown = (out / "report.md").read_text()
    assert "| FNet | fp32 |" in markdown and "| Transformer twin | dynamic |" in markdown
    for stage in ("tensorflow", "training fourier", "training attention", "export fnet", "bench"):
        assert stage in report["stage_seconds"], stage


def test_running_it_again_continues_and_reuses_the_runs_and_bundles(continued_quickstart, small_quickstart):
    second, before, after = continued_quickstart
    assert second.returncode == 0, second.stderr[-4000:]
    assert any("continuing the previous quickstart" in line for line in second.progress)
    assert sum("finished run reused" in line for line in second.progress) == 2
    assert sum("bundles reused" in line for line in second.progress) == 2
    assert not any(line.startswith("Epoch ") for line in second.progress)
    assert before == after  # nothing in either run directory (model, bundles) was written again
    first_rows, second_rows = small_quickstart.report["rows"], second.report["rows"]
    for first, again in zip(first_rows, second_rows, strict=True):
        assert {key: first[key] for key in ("name", "accuracy", "model_bytes", "bundle_bytes")} == {
            key: again[key] for key in ("name", "accuracy", "model_bytes", "bundle_bytes")
        }
    assert any("continued a previous quickstart" in note for note in second.report["notes"])
    # The training and export times stay those of the run that did the work.
    reused = ["training fourier", "export fnet", "training attention", "export transformer"]
    assert second.report["reused_stages"] == reused
    for stage in reused:
        assert second.report["stage_seconds"][stage] == small_quickstart.report["stage_seconds"][stage], stage
    assert "reused from the earlier run here: training fourier" in second.stdout
