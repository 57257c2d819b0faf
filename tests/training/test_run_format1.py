"""Format-1 run directories (fnet-keras 0.1) keep working: read, evaluated, never resumed."""

import json
from pathlib import Path

import pytest

from fnet_keras.text import TokenizerConfig
from fnet_keras.training import RunDir, RunDirError, TrainSettings, evaluate, fit

FORMAT1 = Path(__file__).resolve().parents[1] / "fixtures" / "format1"


def test_a_format1_run_loads_with_its_recorded_facts():
    run = RunDir(FORMAT1 / "run").load()
    written = json.loads((FORMAT1 / "run" / "config.json").read_text())
    assert run.format_version == 1
    assert run.labels == tuple(written["labels"]) == ("neg", "neu", "pos")
    assert run.settings == TrainSettings.from_dict(written["settings"])
    assert run.tokenizer_config == TokenizerConfig.from_dict(written["tokenizer"])
    assert len(run.vocabulary) == written["vocabulary_size"] == 72
    assert run.data_info == written["data"] and run.strategy == written["training"]["strategy"]


def test_a_format1_run_is_evaluated_like_when_it_was_trained():
    recorded = json.loads((FORMAT1 / "run" / "metrics.json").read_text())["test"]
    metrics = evaluate(FORMAT1 / "run", FORMAT1 / "data" / "test.tsv")
    assert metrics["count"] == recorded["count"] == 60
    assert metrics["confusion_matrix"] == recorded["confusion_matrix"]


def test_a_format1_run_is_not_resumed(tmp_path):
    import shutil

    copy = shutil.copytree(FORMAT1 / "run", tmp_path / "run")
    (copy / "metrics.json").unlink()  # as if it were unfinished
    with pytest.raises(RunDirError, match="format-1 run .* cannot be resumed"):
        fit(FORMAT1 / "data", copy, resume=True, verbose=0)
