"""The `fnet-keras` command line: train and evaluate in-process and as a program, errors, imports."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from import_check import packages_loaded_by
from training.keyword_data import TINY_BACKBONE, write_keyword_data, write_tsv

from fnet_keras.cli import main

TINY = ["--preset", "tiny", "--sequence-length", "16", "--vocabulary-size", "200", "--batch-size", "16",
        "--learning-rate", "5e-3", "--quiet"]
TINY += [arg for key, value in TINY_BACKBONE.items() for arg in ("--backbone-override", f"{key}={value}")]
PROGRAM = Path(sys.executable).with_name("fnet-keras")


def program(*args):
    if not PROGRAM.is_file():
        pytest.skip(f"the console script {PROGRAM} is not installed (pip install -e .)")
    return subprocess.run([str(PROGRAM), *map(str, args)], capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory):
    """A 1-epoch run trained through `main`, and its data directory."""
    root = tmp_path_factory.mktemp("cli")
    data = write_keyword_data(root / "data")
    # MirroredStrategy (one CPU replica here) with Keras fit: the same path as on several GPUs.
    args = ["train", "--data", str(data), "--out", str(root / "run"), "--epochs", "1"]
    args += ["--strategy", "mirrored"]
    assert main([*args, *TINY]) == 0
    return root / "run", data


def test_importing_the_cli_loads_no_tensorflow():
    assert packages_loaded_by("import fnet_keras.cli as cli; cli.build_parser()") == []


def test_train_writes_a_run_and_refuses_to_overwrite_it(cli_run, capsys):
    run, data = cli_run
    assert sorted(p.name for p in run.iterdir()) == [
        "config.json", "history.json", "labels.txt", "metrics.json", "model.keras", "vocab.txt",
    ]
    config = json.loads((run / "config.json").read_text())
    assert config["settings"]["epochs"] == 1 and config["settings"]["backbone_overrides"] == TINY_BACKBONE
    assert config["strategy"] == "mirrored"
    capsys.readouterr()
    assert main(["train", "--data", str(data), "--out", str(run), "--epochs", "1", *TINY]) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: ") and "already holds a finished run" in error
    # --resume reads the recorded settings: a finished run is reported as it is ...
    assert main(["train", "--out", str(run), "--resume", "--quiet"]) == 0
    assert "best epoch 1 of 1" in capsys.readouterr().out
    # ... and a setting that differs from the recorded one is an error that names it.
    assert main(["train", "--out", str(run), "--resume", "--epochs", "5", "--patience", "0"]) == 2
    error = capsys.readouterr().err
    assert "epochs: 5 != 1" in error and "patience: None != 2" in error


def test_evaluate_json_in_process(cli_run, capsys):
    run, data = cli_run
    capsys.readouterr()
    assert main(["evaluate", str(run), "--json"]) == 0
    metrics = json.loads(capsys.readouterr().out)
    assert {"accuracy", "macro_f1", "count", "per_class", "confusion_matrix", "labels"} <= set(metrics)
    assert metrics["count"] == 60 and metrics["split"] == "test"
    assert sum(map(sum, metrics["confusion_matrix"])) == 60
    assert set(metrics["per_class"]) == {"neg", "neu", "pos"}
    assert set(metrics["per_class"]["pos"]) == {"precision", "recall", "f1", "support"}
    assert main(["evaluate", str(run), "--data", str(data / "dev.tsv")]) == 0
    text = capsys.readouterr().out
    assert "accuracy" in text and "confusion matrix" in text and "dev.tsv" in text


def test_evaluate_json_as_a_program_prints_only_json(cli_run):
    run, _ = cli_run
    result = program("evaluate", run, "--json")
    assert result.returncode == 0, result.stderr
    metrics = json.loads(result.stdout)  # the whole of stdout is one JSON object
    assert metrics["count"] == 60 and 0.0 <= metrics["accuracy"] <= 1.0


def test_missing_data_file_exits_2_naming_it(tmp_path):
    missing = tmp_path / "absent" / "train.tsv"
    result = program("train", "--data", missing, "--out", tmp_path / "run")
    assert result.returncode == 2
    assert "error:" in result.stderr and str(missing) in result.stderr
    assert "Traceback" not in result.stderr


def test_evaluate_errors(cli_run, tmp_path, capsys):
    run, _ = cli_run
    rows = [("a great film", "pos"), ("a fine film", "neu"), ("so so", "meh")]
    bad = write_tsv(tmp_path / "eval.tsv", rows)
    capsys.readouterr()
    assert main(["evaluate", str(run), "--data", str(bad), "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("error: ") and f"{bad}, line 4: label 'meh'" in captured.err
    assert main(["evaluate", str(tmp_path)]) == 2
    assert "neither a run directory (config.json) nor a bundle" in capsys.readouterr().err
    assert main(["evaluate", str(tmp_path / "nowhere")]) == 2
    assert "no such run directory or bundle" in capsys.readouterr().err


def test_usage_errors(capsys):
    assert main([]) == 2
    assert main(["train", "--epochs", "many"]) == 2
    assert "invalid int value" in capsys.readouterr().err
    assert main(["train", "--out", "x", "--preset", "tiny"]) == 2
    assert "--data is required" in capsys.readouterr().err
    assert main(["train", "--data", "x", "--backbone-override", "hidden_dim"]) == 2
    assert "KEY=VALUE" in capsys.readouterr().err
    for command in (["evaluate", "bundle"], ["classify", "bundle", "text"]):
        assert main([*command, "--threads", "0"]) == 2
        assert "--threads: expected a positive integer, got 0" in capsys.readouterr().err
