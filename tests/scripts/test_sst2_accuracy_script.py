"""The SST-2 script's dev diagnostic: which dev rows were not seen inside a training row."""

import sst2_accuracy


def test_unseen_dev_rows_are_those_not_inside_any_training_row_word_for_word(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "train.tsv").write_text(
        "sentence\tlabel\na truly good movie \t1\nterrible \t0\n", encoding="utf-8")
    (data / "dev.tsv").write_text(
        "sentence\tlabel\n"
        "good movie \t1\n"          # inside a training row: seen
        "terrible\t0\n"             # the same text without the trailing space: seen
        "goodness \t1\n"            # only part of a word matches: unseen
        "a truly good movie indeed \t1\n"  # longer than any training row: unseen
        "\t0\n",                     # empty text: inside everything, seen
        encoding="utf-8")
    (data / "test.tsv").write_text("sentence\tlabel\ntruly good \t1\nnot good\t0\n", encoding="utf-8")
    path, kept, total, test_seen, test_total = sst2_accuracy.unseen_dev_file(data, tmp_path / "out")
    assert (kept, total, test_seen, test_total) == (2, 5, 1, 2)
    assert path.read_text(encoding="utf-8") == (
        "sentence\tlabel\ngoodness \t1\na truly good movie indeed \t1\n")
    assert not list((tmp_path / "out").glob("*.tmp"))
