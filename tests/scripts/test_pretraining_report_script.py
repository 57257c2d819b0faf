"""The pre-training report from what has run: a finished and a killed pre-training, one fine-tune."""

import importlib.util
import json
import random
import struct
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "pretraining_report.py"
WORDS = "great awful okay film plot story actor scene music very quite rather".split()
SMALL = {
    "preset": "tiny", "sequence_length": 16, "vocabulary_size": 100, "batch_size": 16, "learning_rate": 5e-3,
    "log_every": 5, "seed": 0,
    "backbone_overrides": {"num_layers": 1, "hidden_dim": 32, "intermediate_dim": 64, "embedding_dim": 16,
                           "num_heads": 2},
}


def load_script():
    spec = importlib.util.spec_from_file_location("pretraining_report", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


@pytest.mark.slow
@pytest.mark.long
def test_report_from_a_finished_and_a_killed_pretraining_and_a_fine_tune(tmp_path, keyword_data_dir):
    from fnet_keras.training.pretrain import pretrain
    from fnet_keras.training.pretrain_settings import PretrainSettings

    rng = random.Random(0)
    text = tmp_path / "text.txt"
    text.write_text("".join(" ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 30))) + "\n"
                            for _ in range(300)), encoding="utf-8")
    runs = tmp_path / "runs"
    fnet = pretrain(text, runs / "pre" / "tiny-fourier", PretrainSettings(**SMALL, steps=10), verbose=0)

    def kill_at_step_7(step):
        if step == 7:
            raise KeyboardInterrupt("simulated kill")

    with pytest.raises(KeyboardInterrupt):  # the twin: killed after its checkpoint at step 5
        twin = PretrainSettings(**SMALL, mixing="attention", hours=1.0)
        pretrain(text, runs / "pre" / "tiny-attention", twin, checkpoint_steps=5, verbose=0,
                 on_step=kill_at_step_7, vocabulary=runs / "pre" / "tiny-fourier" / "vocab.txt")

    script = load_script()
    args = script.parse_args(["--no-train", "--models", "tiny-fourier,tiny-attention", "--runs", str(runs),
                              "--results", str(tmp_path / "results" / "pretraining")])
    # What the job runs next for the twin: a resume (no settings; the recorded ones hold).
    assert script.pretrain_command(args, "tiny-attention")[-1] == "--resume"
    # One fine-tune as the job runs it (a child `fnet-keras train --init-from`, logged), at length 8 (< 16).
    run = runs / "fine" / "tiny-fourier-trec"
    script.run_child("fine-tiny-fourier-trec", [
        "fnet-keras", "train", "--data", str(keyword_data_dir), "--out", str(run), "--sequence-length", "8",
        "--init-from", str(runs / "pre" / "tiny-fourier"), "--epochs", "1", "--batch-size", "16",
    ], runs / "logs")

    data = script.write_report(args)
    metrics = json.loads((run / "metrics.json").read_text())
    history = json.loads((runs / "pre" / "tiny-fourier" / "history.json").read_text())
    twin_history = json.loads((runs / "pre" / "tiny-attention" / "history.json").read_text())
    assert [record["step"] for record in twin_history] == [5]  # logged before the kill

    pre = data["pretraining"]
    assert pre["tiny-fourier"]["status"] == "finished" and pre["tiny-fourier"]["steps"] == fnet.steps == 10
    assert pre["tiny-fourier"]["loss"] == history[-1]["loss"]
    assert pre["tiny-attention"]["status"] == "started" and pre["tiny-attention"]["resume_step"] == 5
    assert pre["tiny-attention"]["vocabulary"]["learned_from"].endswith("tiny-fourier/vocab.txt")
    [trec] = [row for row in data["fine_tuning"] if (row["model"], row["task"]) == ("tiny-fourier", "trec")]
    assert trec["pretrained"]["test"] == metrics["test"]["accuracy"]
    assert trec["scratch"]["test"] == 0.838  # quoted from docs/results/defaults.md
    assert trec["pretrained"]["warnings"] == [
        f"fine-tuning at sequence length 8, but {runs / 'pre' / 'tiny-fourier'} was pre-trained at 16: "
        "FNet's outputs depend on the padded length, and positions beyond 16 were never trained"]

    markdown = (tmp_path / "results" / "pretraining.md").read_text()
    test = metrics["test"]["accuracy"]
    row = f"| tiny-fourier | trec (32) | 0.838 (defaults.md) | {test:.3f} | {test - 0.838:+.3f} |"
    assert row in markdown
    assert "| tiny-fourier | finished | 10 |" in markdown and "(10 steps)" in markdown
    assert "| tiny-attention | started | 5 |" in markdown and "(1 h)" in markdown
    remaining = "\n".join(data["remaining"])
    assert "pre-training tiny-attention: started" in remaining and "checkpoint at step 5" in remaining
    assert "fine-tuning tiny-fourier-sst2: not started" in remaining
    assert "fine-tuning tiny-fourier-trec" not in remaining
    assert f"--runs {runs}" in markdown and "--models tiny-fourier,tiny-attention" in markdown
    # TREC targets need the twin's fine-tune: pending, not judged.
    targets = {row["target"]: row for row in data["targets"]}
    assert targets["tiny trec: FNet / twin test accuracy (both pre-trained) >= 0.97"]["met"] == "pending"
    width, height = png_size(tmp_path / "results" / "pretraining-tiny.png")
    assert (width, height) == (1000, 400)
    assert data["figures"] == {"tiny": "pretraining-tiny.png"}
    assert not list((tmp_path / "results").glob(".*tmp*"))
