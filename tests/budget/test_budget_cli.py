"""`fnet-keras budget`: the table and --json on stdout, exit codes (0 chosen, 1 nothing fits, 2 bad input),
and a budget over finished runs and bundles with a device profile that never loads TensorFlow."""

from __future__ import annotations

import hashlib
import json

import pytest
from budget_support import write_profile
from import_check import packages_loaded_by

from fnet_keras.cli import main

JSON_KEYS = {
    "schema", "schema_version", "budget_ms", "budget_on", "threads", "quantization", "latency_source",
    "candidates", "choice", "fastest", "message",
}
ROW_KEYS = {
    "name", "preset", "mixing", "model", "sequence_length", "run_dir", "bundle_dir", "parameters",
    "model_bytes", "bundle_bytes", "model_sha256", "dev_accuracy", "test_accuracy", "p50_model_ms",
    "p50_end_to_end_ms", "export_failure", "fits",
}


def _run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(arg) for arg in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def fp32_args(fp32_budget, keyword_data_dir):
    """The fp32 budget's grid as command-line arguments (its runs and bundles are all finished)."""
    _, _, runs = fp32_budget
    return ["budget", "--data", keyword_data_dir, "--runs-dir", runs, "--presets", "tiny", "--mixings",
            "fourier", "--lengths", "16,32", "--quant", "fp32"]


@pytest.fixture
def profile(fp32_budget, fp32_bench, tmp_path):
    """A device profile in which the more accurate candidate is the slower: 2 ms against 1 ms."""
    rows = sorted(fp32_budget[0].rows, key=lambda row: -row.dev_accuracy)
    path = write_profile(fp32_bench, tmp_path / "device.json", {
        str(rows[0].bundle_dir): (2.0, 3.0), str(rows[1].bundle_dir): (1.0, 1.5)})
    return path, rows


def test_json_is_one_object_with_every_candidate(capsys, fp32_args, profile):
    path, (accurate, faster) = profile
    code, out, err = _run(capsys, *fp32_args, "--latency-ms", "1.5", "--profile", path, "--json")
    assert code == 0
    data = json.loads(out)  # stdout holds the object and nothing else
    assert set(data) == JSON_KEYS
    assert (data["schema"], data["schema_version"]) == ("fnet-keras-budget", 1)
    assert (data["budget_ms"], data["budget_on"], data["threads"], data["quantization"]) == (
        1.5, "model", 1, "fp32")
    assert data["latency_source"]["kind"] == "profile" and data["latency_source"]["path"] == str(path)
    assert data["choice"] == faster.name and data["fastest"] == faster.name
    assert data["message"].startswith(f"chosen: {faster.name} (FNet, tiny, length ")
    rows = {row["name"]: row for row in data["candidates"]}
    assert [row["name"] for row in data["candidates"]] == ["tiny-fourier-16", "tiny-fourier-32"]
    for expected, model_ms, end_to_end_ms, fits in ((accurate, 2.0, 3.0, False), (faster, 1.0, 1.5, True)):
        row = rows[expected.name]
        assert set(row) == ROW_KEYS
        metrics = json.loads((expected.candidate.run_dir / "metrics.json").read_text())
        model = (expected.bundle_dir / "model.tflite").read_bytes()
        assert (row["dev_accuracy"], row["test_accuracy"], row["parameters"]) == (
            metrics["dev"]["accuracy"], metrics["test"]["accuracy"], metrics["parameters"])
        assert (row["model_bytes"], row["model_sha256"]) == (len(model), hashlib.sha256(model).hexdigest())
        assert (row["p50_model_ms"], row["p50_end_to_end_ms"], row["fits"]) == (model_ms, end_to_end_ms, fits)
        assert (row["preset"], row["mixing"], row["model"]) == ("tiny", "fourier", "FNet")
        assert row["bundle_dir"] == str(expected.bundle_dir) and row["export_failure"] is None
    assert "budget: [1/2] tiny-fourier-16: finished run reused" in err


def test_the_table_marks_the_choice(capsys, fp32_args, profile):
    path, (accurate, _) = profile
    code, out, _ = _run(capsys, *fp32_args, "--latency-ms", "2.5", "--profile", path, "--quiet")
    assert code == 0
    assert "| candidate | preset | mixing | length | params | bundle bytes | dev acc | test acc (not used) " \
           "| p50 model ms | p50 end-to-end ms | fits 2.5 ms? |" in out
    line = next(line for line in out.splitlines() if line.startswith(f"| {accurate.name} |"))
    assert line.endswith("| 2.000 | 3.000 | yes (chosen) |")
    assert out.strip().splitlines()[-1].startswith(f"chosen: {accurate.name}")


def test_nothing_fits_exits_1_with_the_fastest_latency(capsys, fp32_args, profile):
    path, (_, faster) = profile
    code, out, err = _run(capsys, *fp32_args, "--latency-ms", "0.5", "--profile", path, "--quiet")
    assert code == 1
    message = (f"no candidate fits p50 <= 0.5 ms (model only, 1 thread(s)): the fastest, {faster.name}, "
               f"takes 1.000 ms")
    assert f"error: {message}" in err and "Traceback" not in err
    assert "| no |" in out  # the table is still printed
    code, out, err = _run(capsys, *fp32_args, "--latency-ms", "1.2", "--budget-on", "end-to-end",
                          "--profile", path, "--quiet", "--json")
    assert code == 1
    assert json.loads(out)["choice"] is None
    assert "takes 1.500 ms" in err


def test_a_profile_of_another_model_set_exits_2_naming_the_missing(capsys, fp32_args, profile, fp32_bench,
                                                                   tmp_path):
    bench = json.loads(json.dumps(fp32_bench))
    bench["models"][0]["sha256"] = "0" * 64
    other = write_profile(bench, tmp_path / "other.json", {})
    code, out, err = _run(capsys, *fp32_args, "--latency-ms", "5", "--profile", other, "--quiet")
    assert (code, out) == (2, "")
    assert err.startswith(f"error: {other}: the profile does not hold 1 of the 2 candidate model(s)")
    assert "missing tiny-fourier-16" in err


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--presets", ","], "no candidates: --presets is empty"),
        (["--kinds", "fourier,fnet"], "unknown model kind(s) 'fnet' in --kinds"),
        (["--mixings", "fourier,fnet"], "unknown model kind(s) 'fnet' in --kinds"),
        (["--lengths", "16,abc"], "expected comma-separated integers"),
        (["--latency-ms", "0"], "expected a positive number of milliseconds"),
        (["--setting", "vocabulary_size=300"], "vocabulary_size: 200 (recorded) != 300 (asked)"),
        (["--setting", "colour=red"], "unknown setting 'colour'"),
        (["--quant", "int4"], "invalid choice: 'int4'"),
        (["--texts", "-1"], "texts must be an integer >= 0"),
        (["--profile", "missing.json"], "missing.json: cannot read"),
    ],
)
def test_bad_input_exits_2_with_a_message(capsys, fp32_args, extra, message):
    code, out, err = _run(capsys, *fp32_args, "--latency-ms", "5", *extra)
    assert code == 2 and out == ""
    assert message in err and "Traceback" not in err


def test_finished_candidates_with_a_profile_never_load_tensorflow(fp32_args, profile):
    path, _ = profile
    argv = [str(arg) for arg in [*fp32_args, "--latency-ms", "5", "--profile", path, "--quiet", "--json"]]
    assert packages_loaded_by(f"from fnet_keras.cli import main; assert main({argv!r}) == 0") == []


def test_a_bench_saved_here_is_a_profile_that_gives_the_same_latencies(capsys, fp32_args, tmp_path):
    prefix = tmp_path / "here"
    code, out, err = _run(capsys, *fp32_args, "--latency-ms", "1000", "--runs", "5", "--texts", "3",
                          "--save-bench", prefix, "--json", "--quiet")
    assert code == 0, err
    measured = json.loads(out)
    assert measured["latency_source"]["kind"] == "measured"
    saved = json.loads((tmp_path / "here.json").read_text())
    assert [model["name"] for model in saved["models"]] == ["tiny-fourier-16", "tiny-fourier-32"]
    code, out, err = _run(capsys, *fp32_args, "--latency-ms", "1000", "--profile", tmp_path / "here.json",
                          "--json", "--quiet")
    assert code == 0, err
    again = json.loads(out)
    for key in ("p50_model_ms", "p50_end_to_end_ms", "model_sha256"):
        assert [row[key] for row in again["candidates"]] == [row[key] for row in measured["candidates"]]
