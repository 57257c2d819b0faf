"""LabelMap: deterministic order, encoding with file/line errors, labels.txt round trip."""

import pytest

from fnet_keras.data import DataError, LabelMap, read_split


def test_integer_labels_in_numeric_order():
    assert LabelMap.from_labels(["10", "2", "-1", "2", "0"]).labels == ("-1", "0", "2", "10")


def test_string_labels_in_sorted_order():
    assert LabelMap.from_labels(["pos", "neg", "10", "neutral"]).labels == (
        "10",
        "neg",
        "neutral",
        "pos",
    )


def test_order_does_not_depend_on_input_order():
    labels = ["b", "a", "c", "a"]
    assert LabelMap.from_labels(labels) == LabelMap.from_labels(reversed(labels))


def test_encode_maps_labels_to_class_ids(write_file):
    split = read_split(write_file("train.tsv", "text\tlabel\na\tpos\nb\tneg\nc\tpos\n"))
    label_map = LabelMap.from_labels(split.labels)
    assert label_map.encode(split) == [1, 0, 1]
    assert len(label_map) == 2 and "neg" in label_map and label_map.id("pos") == 1


def test_unknown_label_names_file_line_and_label(write_file):
    label_map = LabelMap(("neg", "pos"))
    dev = read_split(write_file("dev.tsv", "text\tlabel\na\tpos\nb\tmaybe\n"), "dev")
    with pytest.raises(DataError) as caught:
        label_map.encode(dev)
    message = str(caught.value)
    assert "dev.tsv, line 3" in message and "'maybe'" in message and "'pos'" in message


def test_encoding_an_unlabelled_split_is_an_error(write_file):
    test = read_split(write_file("test.tsv", "sentence\nhi\n"), "test", require_labels=False)
    with pytest.raises(DataError, match="test.tsv: the test split has no labels"):
        LabelMap(("0", "1")).encode(test)


def test_labels_txt_round_trip(tmp_path):
    label_map = LabelMap.from_labels(["négatif", "positif", "neutre ☺"])
    path = tmp_path / "labels.txt"
    label_map.save(path)
    assert path.read_text(encoding="utf-8") == "neutre ☺\nnégatif\npositif\n"
    assert LabelMap.load(path) == label_map
    assert [p.name for p in tmp_path.iterdir()] == ["labels.txt"]  # no temp file left


def test_save_replaces_an_existing_file(tmp_path):
    path = tmp_path / "labels.txt"
    path.write_text("old\nlabels\nhere\n")
    LabelMap(("0", "1")).save(path)
    assert LabelMap.load(path).labels == ("0", "1")


@pytest.mark.parametrize(
    "content, line, expected",
    [
        ("a\nb\na\n", 3, "repeats line 1"),
        ("a\n\nb\n", 2, "empty"),
        ("a\n b\n", 2, "whitespace"),
    ],
)
def test_bad_labels_file_names_the_line(tmp_path, content, line, expected):
    path = tmp_path / "labels.txt"
    path.write_text(content)
    with pytest.raises(DataError) as caught:
        LabelMap.load(path)
    assert f"labels.txt, line {line}" in str(caught.value) and expected in str(caught.value)


def test_empty_or_missing_labels_file(tmp_path):
    (tmp_path / "labels.txt").write_text("")
    with pytest.raises(DataError, match="labels.txt: the labels file is empty"):
        LabelMap.load(tmp_path / "labels.txt")
    with pytest.raises(DataError, match="missing.txt: no such file"):
        LabelMap.load(tmp_path / "missing.txt")


@pytest.mark.parametrize("labels", [(), ("a", "a"), ("",), ("a\nb",), (" a",)])
def test_invalid_label_maps_are_refused(labels):
    with pytest.raises(DataError):
        LabelMap(labels)
