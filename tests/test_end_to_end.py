"""The user's whole path through `fnet-keras`: train → export → classify → evaluate."""

import json
import subprocess
import sys

import pytest
from support import TINY_BACKBONE, write_keyword_data

from fnet_keras.cli import main


@pytest.fixture(scope="module")
def pipeline_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("e2e")
    data = write_keyword_data(root / "data")
    overrides = [f"--backbone-override={k}={v}" for k, v in TINY_BACKBONE.items()]
    assert main([
        "train", "--data", str(data), "--preset", "tiny", "--sequence-length", "16",
        "--vocabulary-size", "200", "--epochs", "6", "--patience", "0", "--batch-size", "16",
        "--learning-rate", "5e-3",
        "--dropout", "0", "--out", str(root / "run"), "--quiet", *overrides,
    ]) == 0
    assert main([
        "export", str(root / "run"), "--quant", "fp32,int8", "--out", str(root / "bundles"),
        "--parity-examples", "500",
    ]) == 0
    return root


def test_classify_through_the_console_script(pipeline_root):
    # A real process: the exit code reaches the shell and options may precede the texts.
    result = subprocess.run(
        [sys.executable, "-m", "fnet_keras", "classify", str(pipeline_root / "bundles" / "fp32"),
         "--json", "the movie really wonderful", "the plot quite awful"],
        capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout)
    assert [r["label"] for r in output["results"]] == ["pos", "neg"]


@pytest.mark.parametrize("mode", ["fp32", "int8"])
def test_bundle_evaluate_agrees_with_the_run(pipeline_root, mode, capsys):
    test_file = str(pipeline_root / "data" / "test.tsv")
    assert main(["evaluate", str(pipeline_root / "run"), "--data", test_file, "--json"]) == 0
    keras_metrics = json.loads(capsys.readouterr().out)
    assert main(["evaluate", str(pipeline_root / "bundles" / mode), "--data", test_file, "--json"]) == 0
    bundle_metrics = json.loads(capsys.readouterr().out)
    assert bundle_metrics["count"] == keras_metrics["count"] == 60
    assert keras_metrics["accuracy"] > 0.9
    assert abs(bundle_metrics["accuracy"] - keras_metrics["accuracy"]) <= 2 / 60


def test_evaluate_on_a_missing_target_is_a_clear_error(tmp_path, capsys):
    assert main(["evaluate", str(tmp_path / "nope"), "--data", "x.tsv"]) == 2
    assert "no such run directory or bundle" in capsys.readouterr().err
