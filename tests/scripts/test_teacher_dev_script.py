"""scripts/teacher_dev.py: held-out sentences, none from a transfer set, labelled by the teacher."""

import csv
from pathlib import Path

import teacher_dev
from support import keyword_rows


def test_held_out_sentences_skip_the_transfer_set_and_carry_the_teachers_labels(trained_run, tmp_path):
    from fnet_keras.training.run_classifier import RunClassifier

    # Documents of three sentences each (6+ words: sample_sentences' minimum), keyword-labelled.
    sentences = [f"{text} again today." for text, _ in keyword_rows(90, seed=11)]
    documents = [" ".join(sentences[i : i + 3]) for i in range(0, len(sentences), 3)]
    (tmp_path / "text.txt").write_text("\n".join(documents) + "\n", encoding="utf-8")
    excluded = sentences[:40]
    (tmp_path / "transfer.txt").write_text("\n".join(excluded) + "\n", encoding="utf-8")
    out = tmp_path / "dev.tsv"

    code = teacher_dev.main(["--teacher", str(trained_run.run_dir), "--text", str(tmp_path / "text.txt"),
                               "--exclude", str(tmp_path / "transfer.txt"), "--sentences", "30",
                               "--out", str(out)])

    assert code == 0
    rows = list(csv.reader(out.open(encoding="utf-8"), delimiter="\t"))
    assert rows[0] == ["sentence", "label"] and len(rows) == 31
    texts, labels = [row[0] for row in rows[1:]], [row[1] for row in rows[1:]]
    assert not set(texts) & set(excluded) and set(texts) <= set(sentences[40:])
    teacher = RunClassifier.load(trained_run.run_dir)
    assert labels == [teacher.labels[i] for i in teacher.predict(texts).argmax(axis=1)]


def test_a_missing_teacher_or_transfer_set_is_named_and_nothing_is_written(trained_run, tmp_path, capsys):
    (tmp_path / "text.txt").write_text("one two three four five six seven.\n", encoding="utf-8")
    out = tmp_path / "dev.tsv"
    for bad in (["--teacher", str(tmp_path / "nope")],
                ["--teacher", str(trained_run.run_dir), "--exclude", str(tmp_path / "gone.txt")]):
        code = teacher_dev.main([*bad, "--text", str(tmp_path / "text.txt"), "--out", str(out)])
        assert code != 0 and not out.exists()
        assert Path(bad[-1]).name in capsys.readouterr().err
