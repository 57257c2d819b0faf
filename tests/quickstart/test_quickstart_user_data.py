"""`--data DIR`: the quickstart on the user's GLUE-style folder (real training, export and benchmark)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from quickstart_support import run_quickstart

from fnet_keras.quickstart.sizes import PIECES_PER_WORD


@pytest.mark.slow
def test_it_trains_on_the_users_folder_at_a_length_chosen_from_its_texts(keyword_data_dir, tmp_path):
    out = tmp_path / "out"
    completed = run_quickstart("--data", keyword_data_dir, "--out", out, "--size", "small", "--epochs", "6")
    assert completed.returncode == 0, completed.stderr[-4000:]
    report = json.loads((out / "report.json").read_text())
    # The keyword texts have at most 9 words: 9 x 1.3 pieces + [CLS] and [SEP] = 14, so 32.
    with open(keyword_data_dir / "test.tsv", encoding="utf-8", newline="") as file:
        rows = list(csv.reader(file, delimiter="\t"))[1:]
    longest = max(len(text.split()) for text, _ in rows)
    assert longest * PIECES_PER_WORD + 2 <= 32 and report["sequence_length"] == 32
    assert any(note.startswith("length 32: the power of two that holds 95%") for note in report["notes"])
    assert report["plan"]["data"]["kind"] == "user"
    assert report["plan"]["settings"]["FNet"]["epochs"] == 6
    assert report["data"].startswith(f"{keyword_data_dir} (200 train / 60 dev / 60 test)")
    assert not (out / "data").exists()  # the user's data is read where it is, not copied
    assert report["passed"], report["failures"]
    from fnet_keras.edge import load_bundle

    texts, truth = [text for text, _ in rows], [label for _, label in rows]
    for row in report["rows"]:
        bundle = load_bundle(Path(row["bundle_dir"]))
        predicted = [prediction.label for prediction in bundle.classify(texts)]
        accuracy = sum(p == t for p, t in zip(predicted, truth, strict=True)) / len(texts)
        assert row["accuracy"] == pytest.approx(accuracy, abs=1e-12), row["name"]
        assert row["accuracy"] > 0.8, row["name"]  # one keyword decides the label
