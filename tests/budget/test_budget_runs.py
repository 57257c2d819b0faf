"""`run_budget` on real tiny candidates: reuse, resume, training, a failed export, timing here, device
profiles, and the errors of a profile or runs directory that does not fit the candidates."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from budget_support import SETTINGS, write_profile

from fnet_keras.budget import BudgetError, candidate_grid, plan_candidates, run_budget
from fnet_keras.training import RunDirError


def _metrics(run_dir: Path) -> dict:
    return json.loads((run_dir / "metrics.json").read_text(encoding="utf-8"))


def _bundle_figures(bundle: Path) -> tuple[int, int, str]:
    """model.tflite's bytes, all bundle files' bytes, model.tflite's SHA-256, from the files themselves."""
    model = (bundle / "model.tflite").read_bytes()
    total = sum(path.stat().st_size for path in bundle.iterdir() if path.is_file())
    return len(model), total, hashlib.sha256(model).hexdigest()


def test_int8_reuses_the_finished_export_and_exports_and_times_the_twin(int8_budget, int8_runs_dir):
    result, lines = int8_budget
    fourier, attention = result.rows
    assert (fourier.name, attention.name) == ("tiny-fourier-16", "tiny-attention-16")
    # The finished run and its passing int8 bundle were reused, not made again.
    assert any("tiny-fourier-16: finished run reused" in line for line in lines)
    assert any("tiny-fourier-16: int8 bundle reused" in line for line in lines)
    stages = ("training", "exporting")
    assert not any(f"tiny-fourier-16: {stage}" in line for line in lines for stage in stages)
    assert fourier.bundle_dir == int8_runs_dir / "tiny-fourier-16" / "bundles" / "int8"
    figures = (fourier.model_bytes, fourier.bundle_bytes, fourier.model_sha256)
    assert figures == _bundle_figures(fourier.bundle_dir)
    # The twin was trained and exported by the tool; with its bounded attention mask its int8 export
    # passes the gate (it failed with Keras' -1e9 mask: failed exports as rows are tested in
    # test_budget_choice.py and test_budget_cli.py).
    assert any("tiny-attention-16: training" in line for line in lines)
    assert attention.export_failure is None
    assert attention.bundle_dir == int8_runs_dir / "tiny-attention-16" / "bundles" / "int8"
    assert (attention.model_bytes, attention.bundle_bytes, attention.model_sha256) == _bundle_figures(
        attention.bundle_dir
    )
    for row in result.rows:
        metrics = _metrics(row.candidate.run_dir)
        assert row.dev_accuracy == metrics["dev"]["accuracy"]
        assert row.test_accuracy == metrics["test"]["accuracy"]
        assert row.parameters == metrics["parameters"]
        assert row.latency.model_ms > 0 and row.latency.end_to_end_ms > 0
    assert result.latency_source["kind"] == "measured"
    # Both fit 1000 ms: the choice is the more accurate on dev (the first of equals).
    best = max(result.rows, key=lambda row: row.dev_accuracy)
    assert result.choice.dev_accuracy == best.dev_accuracy


def test_a_second_plan_reuses_everything(int8_budget, int8_runs_dir):
    grid = candidate_grid(int8_runs_dir, ["tiny"], ["fourier", "attention"], [16], SETTINGS)
    plans = plan_candidates(grid, "int8")
    assert [(plan.training, plan.export) for plan in plans] == [("reuse", "reuse"), ("reuse", "reuse")]
    assert not any(plan.needs_tensorflow for plan in plans)


def test_fp32_resumes_the_started_run_trains_the_new_one_and_times_both_here(fp32_budget, trained_run):
    result, lines, runs = fp32_budget
    assert any("tiny-fourier-16: resuming the run" in line for line in lines)
    assert any("tiny-fourier-32: training" in line for line in lines)
    recorded = json.loads((runs / "tiny-fourier-16" / "config.json").read_text())["settings"]
    assert recorded == trained_run.settings.to_dict()  # resumed as recorded
    new = json.loads((runs / "tiny-fourier-32" / "config.json").read_text())["settings"]
    assert new["sequence_length"] == 32
    for row in result.rows:
        assert row.bundle_dir == row.candidate.run_dir / "bundles" / "fp32"
        assert (row.model_bytes, row.bundle_bytes, row.model_sha256) == _bundle_figures(row.bundle_dir)
        assert row.latency.model_ms > 0 and row.latency.end_to_end_ms > 0
    # The benchmark here names its models after the candidates and measured the bundles' own bytes.
    models = {model["name"]: model for model in result.benchmark.models}
    assert sorted(models) == ["tiny-fourier-16", "tiny-fourier-32"]
    for row in result.rows:
        assert models[row.name]["sha256"] == row.model_sha256
        cell = result.benchmark.cell(row.name, 1)
        assert cell["inference_p50"] == pytest.approx(1000 * row.latency.model_ms)


def _name(row) -> str | None:
    return None if row is None else row.name


def _profile_budget(fp32_budget, keyword_data_dir, profile, latency_ms, **options):
    _, _, runs = fp32_budget
    return run_budget(keyword_data_dir, latency_ms, runs_dir=runs, presets=["tiny"], mixings=["fourier"],
                      lengths=[16, 32], quantization="fp32", profile=profile, **options)


def test_the_choice_from_a_device_profile_follows_its_medians(
    fp32_budget, fp32_bench, keyword_data_dir, tmp_path
):
    rows = {row.name: row for row in fp32_budget[0].rows}
    accurate, other = sorted(rows.values(), key=lambda row: -row.dev_accuracy)
    assert accurate.dev_accuracy > other.dev_accuracy  # the two runs differ (length 16 trains better here)
    slow_accurate = write_profile(fp32_bench, tmp_path / "a.json", {
        str(accurate.bundle_dir): (2.0, 2.5), str(other.bundle_dir): (1.0, 4.0)})
    expectations = [(3.0, "model", accurate), (1.5, "model", other), (2.2, "end-to-end", None),
                    (3.0, "end-to-end", accurate), (0.5, "model", None)]
    for budget, on, expected in expectations:
        result = _profile_budget(fp32_budget, keyword_data_dir, slow_accurate, budget, budget_on=on)
        assert _name(result.choice) == _name(expected), (budget, on)
        assert result.latency_source["kind"] == "profile"
        assert result.latency_source["path"] == str(slow_accurate)
        latencies = {row.name: (row.latency.model_ms, row.latency.end_to_end_ms) for row in result.rows}
        assert latencies == {accurate.name: (2.0, 2.5), other.name: (1.0, 4.0)}
    result = _profile_budget(fp32_budget, keyword_data_dir, slow_accurate, 0.5)
    assert result.verdict() == (f"no candidate fits p50 <= 0.5 ms (model only, 1 thread(s)): the fastest, "
                                f"{other.name}, takes 1.000 ms")


def test_a_profile_of_another_model_set_names_what_it_lacks(
    fp32_budget, fp32_bench, keyword_data_dir, tmp_path
):
    bench = json.loads(json.dumps(fp32_bench))
    row = fp32_budget[0].rows[1]
    for model in bench["models"]:
        if model["path"] == str(row.bundle_dir):
            model["sha256"] = "f" * 64  # a model the candidates do not have
    profile = write_profile(bench, tmp_path / "other.json", {})
    with pytest.raises(BudgetError) as caught:
        _profile_budget(fp32_budget, keyword_data_dir, profile, 5.0)
    message = str(caught.value)
    assert message.startswith(f"{profile}: the profile does not hold 1 of the 2 candidate model(s)")
    assert f"missing {row.name} (sha256 {row.model_sha256[:12]}…, {row.bundle_dir})" in message
    assert "ffffffffffff" in message  # what the profile holds instead
    assert caught.value.exit_code == 2


def test_a_profile_must_cover_the_thread_count_and_an_end_to_end_budget(
    fp32_budget, fp32_bench, keyword_data_dir, tmp_path
):
    profile = write_profile(fp32_bench, tmp_path / "p.json", {})
    with pytest.raises(BudgetError, match=r"measured at 1 thread\(s\), not at the asked --threads 2"):
        _profile_budget(fp32_budget, keyword_data_dir, profile, 5.0, threads=2)
    bench = json.loads(json.dumps(fp32_bench))
    bench["settings"]["text_count"] = 0
    for cell in bench["cells"]:
        cell["end_to_end"] = None
    model_only = write_profile(bench, tmp_path / "model-only.json", {})
    with pytest.raises(BudgetError, match="no end-to-end latencies"):
        _profile_budget(fp32_budget, keyword_data_dir, model_only, 5.0, budget_on="end-to-end")
    result = _profile_budget(fp32_budget, keyword_data_dir, model_only, 5.0)
    assert result.rows[0].latency.end_to_end_ms is None


def test_a_reused_run_must_have_been_trained_on_the_same_data(fp32_budget, tmp_path):
    from support import write_keyword_data

    other_data = write_keyword_data(tmp_path / "other", train=100)
    with pytest.raises(BudgetError, match="holds a finished run trained on other data"):
        _profile_budget(fp32_budget, other_data, None, 5.0)


def test_other_candidates_runs_or_other_files_are_refused_before_any_work(trained_run, tmp_path):
    runs = tmp_path / "runs"
    shutil.copytree(trained_run.run_dir, runs / "tiny-fourier-64")  # a length-16 run under a length-64 name
    (runs / "tiny-fourier-128").mkdir(parents=True)
    (runs / "tiny-fourier-128" / "notes.txt").write_text("mine")
    with pytest.raises(BudgetError, match=r"sequence_length: 16 \(recorded\) != 64 \(asked\)"):
        plan_candidates(candidate_grid(runs, ["tiny"], ["fourier"], [64]), "int8")
    with pytest.raises(RunDirError, match="is not empty"):
        plan_candidates(candidate_grid(runs, ["tiny"], ["fourier"], [128]), "int8")
