"""export/demo_model.py (`make demo-model`) as users run it, on a tiny run it reuses; the shipped bundle."""

import json
import subprocess
import sys

from support import REPO_ROOT, TINY_SETTINGS, run_cli

from fnet_keras.demo import DEMO_BUNDLE


def _demo_model(*args, timeout=600):
    return subprocess.run(
        [sys.executable, "export/demo_model.py", *map(str, args)],
        capture_output=True, text=True, cwd=REPO_ROOT, timeout=timeout,
    )


def test_demo_model_exports_times_and_installs_a_reused_run(keyword_data_dir, tmp_path):
    from fnet_keras.training import TrainSettings, fit

    # The script's own settings (tiny, length 64, seed 0) on a 1-block model, so it is reused, not retrained.
    settings = TrainSettings(**{
        **TINY_SETTINGS, "sequence_length": 64, "seed": 0, "epochs": 6, "dropout": 0.0, "learning_rate": 5e-3
    })
    run = fit(keyword_data_dir, tmp_path / "run", settings, verbose=0).run_dir
    out, results = tmp_path / "package" / "sst2", tmp_path / "demo_model.md"
    completed = _demo_model(
        "--data", keyword_data_dir, "--run", run, "--out", out, "--results", results, "--runs", 20
    )
    assert completed.returncode == 0, completed.stderr
    assert "reusing the finished run" in completed.stderr
    manifest = json.loads((out / "bundle.json").read_text())
    # The recommended mobile mode, measured fastest among gate-passing ones (docs/results/quantization.md).
    assert manifest["quantization"]["mode"] == "dynamic" and manifest["parity"]["passed"]
    notes = " ".join(manifest["notes"])
    assert "test accuracy" in notes and "p50 latency" in notes and "export/demo_model.py" in notes
    assert "p50 latency here" in results.read_text()
    assert [path.name for path in out.parent.iterdir()] == ["sst2"]  # no staging left behind
    # The accuracy the note states is what the installed bundle scores on the test split.
    evaluated = run_cli("evaluate", out, "--data", keyword_data_dir / "test.tsv", "--json")
    assert evaluated.returncode == 0, evaluated.stderr
    accuracy = json.loads(evaluated.stdout)["accuracy"]
    assert f"test accuracy {100 * accuracy:.2f}%" in notes
    classified = run_cli("classify", out, "--json", "the movie really wonderful")
    assert classified.returncode == 0, classified.stderr
    assert json.loads(classified.stdout)["results"][0]["label"] in ("pos", "neg")


def test_demo_model_ships_a_finished_run_as_it_is(trained_run, keyword_data_dir, tmp_path):
    out, results = tmp_path / "package" / "demo", tmp_path / "demo_model.md"
    completed = _demo_model("--data", keyword_data_dir, "--from", trained_run.run_dir, "--out", out,
                            "--results", results, "--runs", 20, "--mode", "fp32")
    assert completed.returncode == 0, completed.stderr
    manifest = json.loads((out / "bundle.json").read_text())
    assert manifest["quantization"]["mode"] == "fp32"
    assert str(trained_run.run_dir.name) in results.read_text()
    completed = _demo_model("--data", keyword_data_dir, "--from", tmp_path / "none", "--out", tmp_path / "b")
    assert completed.returncode == 2 and "not a finished run" in completed.stderr


def test_demo_model_refuses_other_settings_and_missing_data(trained_run, keyword_data_dir, tmp_path):
    completed = _demo_model("--data", keyword_data_dir, "--run", trained_run.run_dir, "--out", tmp_path / "b")
    assert completed.returncode == 2 and "was trained with" in completed.stderr
    assert str(trained_run.run_dir) in completed.stderr and "Traceback" not in completed.stderr
    completed = _demo_model("--data", tmp_path / "nowhere", "--out", tmp_path / "b")
    assert completed.returncode == 2 and "no SST-2 test split" in completed.stderr
    assert not (tmp_path / "b").exists()


def test_the_shipped_demo_bundle_answers_offline_and_states_its_figures():
    manifest = json.loads((DEMO_BUNDLE / "bundle.json").read_text())
    assert manifest["quantization"]["mode"] == "dynamic" and manifest["parity"]["passed"]
    assert sum(path.stat().st_size for path in DEMO_BUNDLE.iterdir()) < 5 * 1024 * 1024
    notes = " ".join(manifest["notes"])
    assert "test accuracy" in notes and "p50 latency" in notes and "distilled from" in notes
    assert manifest["provenance"]["distillation"]["teacher"]["encoder"] == "minilm"
    # No model given: `classify` takes the demo bundle.
    completed = run_cli("classify", "--json", "a gorgeous, witty film", "a dull, lifeless mess")
    assert completed.returncode == 0, completed.stderr
    labels = [result["label"] for result in json.loads(completed.stdout)["results"]]
    assert labels == ["positive", "negative"]
