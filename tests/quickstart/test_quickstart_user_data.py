"""`--data DIR`: the quickstart on the user's GLUE-style folder (real training, export and benchmark).

The folder has no test split, so accuracy is each bundle's on dev (computed in LiteRT by the
quickstart itself, not read from the export). Three epochs of 200 rows leave the models unsure of
themselves, so a dynamic gate may fail: the test holds the command to what it must then do (a row
without a bundle, `error:` naming it, exit status 1) instead of to a pass.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from quickstart_support import run_quickstart

from fnet_keras.quickstart.sizes import PIECES_PER_WORD


@pytest.mark.slow
@pytest.mark.long
def test_it_trains_on_the_users_folder_at_a_length_chosen_from_its_texts(keyword_data_dir, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    for split in ("train", "dev"):
        shutil.copy(keyword_data_dir / f"{split}.tsv", data)
    out = tmp_path / "out"
    completed = run_quickstart("--data", data, "--out", out, "--size", "small", "--epochs", "3")
    report = json.loads((out / "report.json").read_text())
    assert completed.returncode == (0 if report["passed"] else 1), completed.stderr[-4000:]
    errors = [line for line in completed.stderr.splitlines() if line.startswith("error: ")]
    assert errors == [f"error: {failure}" for failure in report["failures"]]
    with open(data / "dev.tsv", encoding="utf-8", newline="") as file:
        rows = list(csv.reader(file, delimiter="\t"))[1:]
    # The keyword texts have at most 9 words: 9 x 1.3 pieces + [CLS] and [SEP] = 14, so 32.
    assert max(len(text.split()) for text, _ in rows) * PIECES_PER_WORD + 2 <= 32
    assert report["sequence_length"] == 32
    assert any(note.startswith("length 32: the power of two that holds 95%") for note in report["notes"])
    assert (report["plan"]["data"]["kind"], report["plan"]["settings"]["FNet"]["epochs"]) == ("user", 3)
    assert report["data"] == f"{data} (200 train / 60 dev)"
    assert (report["accuracy_split"], report["accuracy_examples"]) == ("dev", 60)
    assert sorted(path.name for path in out.iterdir()) == [
        "bench.json", "bench.md", "fnet", "quickstart.json", "report.json", "report.md", "report.png",
        "transformer",
    ]  # the user's data is read where it is, not copied
    from fnet_keras.edge import load_bundle

    texts, truth = [text for text, _ in rows], [label for _, label in rows]
    fp32_rows = [row for row in report["rows"] if row["mode"] == "fp32"]
    assert len(fp32_rows) == 2 and all(row["parity"]["passed"] for row in fp32_rows)  # fp32 always passes
    for row in report["rows"]:
        if not row["parity"]["passed"]:
            assert row["bundle_dir"] is None and row["accuracy"] is None and row["p50_ms"] is None
            continue
        predicted = [prediction.label for prediction in load_bundle(Path(row["bundle_dir"])).classify(texts)]
        accuracy = sum(p == t for p, t in zip(predicted, truth, strict=True)) / len(texts)
        assert row["accuracy"] == pytest.approx(accuracy, abs=1e-12), row["name"]
        assert row["p50_ms"] > 0
