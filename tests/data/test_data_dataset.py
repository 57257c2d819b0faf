"""load_dataset: GLUE-style directories, single files, dev hold-out, provenance and reload."""

import hashlib
import importlib.util
import json
from pathlib import Path

import pytest
from support import shared_data

from fnet_keras.data import DataError, LabelMap, load_dataset, load_dataset_from_info


def _rows(count: int, start: int = 0) -> str:
    return "".join(f"text number {i} \t{i % 3}\n" for i in range(start, start + count))


def _glue_dir(write_file, dev=True, test=True) -> Path:
    write_file("glue/train.tsv", "sentence\tlabel\n" + _rows(20))
    if dev:
        write_file("glue/dev.tsv", "sentence\tlabel\n" + _rows(5, 100))
    if test:
        write_file("glue/test.tsv", "index\tsentence\n0\tfirst\n1\tsecond\n")
    return write_file("glue/README", "not a split").parent


def _same_rows(a, b) -> bool:
    return (a.texts, a.labels, a.lines, a.path) == (b.texts, b.labels, b.lines, b.path)


def test_glue_directory_reads_all_three_splits(write_file):
    dataset = load_dataset(_glue_dir(write_file))
    assert (len(dataset.train), len(dataset.dev), len(dataset.test)) == (20, 5, 2)
    assert dataset.dev.texts[0] == "text number 100 "
    assert dataset.test.labels is None
    assert dataset.holdout is None
    assert dataset.notes == [
        f"the test split {dataset.test.path} has no labels: it can be classified, not scored"
    ]


def test_directory_of_csv_and_jsonl_splits(write_file):
    write_file("d/train.csv", "text,label\n" + "".join(f'"t, {i}",{i % 2}\n' for i in range(10)))
    write_file("d/validation.jsonl", '{"text": "v", "label": 1}\n')
    write_file("d/test.jsonl", '{"text": "t", "label": 0}\n')
    dataset = load_dataset(write_file("d/x.md", "").parent)
    assert dataset.train.texts[:2] == ["t, 0", "t, 1"]
    assert (dataset.dev.texts, dataset.test.labels) == (["v"], ["0"])
    assert [dataset.train.format, dataset.dev.format] == ["csv", "jsonl"]


def test_directory_without_dev_holds_out_train_rows(write_file):
    directory = _glue_dir(write_file, dev=False)
    dataset = load_dataset(directory, holdout_seed=3, holdout_fraction=0.25)
    assert (len(dataset.train), len(dataset.dev)) == (15, 5)
    assert f"no dev split in {directory}: held out 25% (5 rows) of train with seed 3" in dataset.notes
    # A partition of the training file, each part in file order.
    assert sorted(dataset.train.lines + dataset.dev.lines) == list(range(2, 22))
    assert dataset.dev.lines == sorted(dataset.dev.lines)
    assert dataset.dev.path == dataset.train.path
    assert dataset.holdout == {"seed": 3, "fraction": 0.25, "train_rows": 15, "dev_rows": 5}


def test_holdout_is_deterministic_in_the_seed(write_file):
    path = write_file("train.tsv", "sentence\tlabel\n" + _rows(200))
    first = load_dataset(path, holdout_seed=7)
    again = load_dataset(path, holdout_seed=7)
    other = load_dataset(path, holdout_seed=8)
    assert _same_rows(first.dev, again.dev) and _same_rows(first.train, again.train)
    assert first.dev.lines != other.dev.lines
    assert len(first.dev) == len(other.dev) == 20


@pytest.mark.parametrize("fraction, dev_rows", [(0.5, 100), (0.333, 67), (0.001, 1), (0.99, 198)])
def test_holdout_fractions(write_file, fraction, dev_rows):
    path = write_file("train.tsv", "sentence\tlabel\n" + _rows(200))
    dataset = load_dataset(path, holdout_fraction=fraction)
    assert (len(dataset.dev), len(dataset.train)) == (dev_rows, 200 - dev_rows)


@pytest.mark.parametrize("fraction", [0, 1, -0.1, 1.5, "0.1", True])
def test_invalid_holdout_fraction(write_file, fraction):
    path = write_file("train.tsv", "sentence\tlabel\n" + _rows(10))
    with pytest.raises(DataError, match="holdout fraction"):
        load_dataset(path, holdout_fraction=fraction)


def test_too_few_rows_to_hold_out(write_file):
    path = write_file("train.tsv", "sentence\tlabel\nonly\t1\n")
    with pytest.raises(DataError, match="train.tsv: only 1 training rows"):
        load_dataset(path)


def test_single_file_source(write_file):
    path = write_file("all.jsonl", "".join(f'{{"text": "t{i}", "label": "c{i % 2}"}}\n' for i in range(30)))
    dataset = load_dataset(path)
    assert (len(dataset.train), len(dataset.dev), dataset.test) == (27, 3, None)
    assert dataset.notes == [
        f"no dev split in {path}: held out 10% (3 rows) of train with seed 0",
        f"no test split in {path}",
    ]


def test_directory_without_train_split(write_file):
    directory = write_file("d/dev.tsv", "sentence\tlabel\nx\t1\n").parent
    with pytest.raises(DataError) as caught:
        load_dataset(directory)
    message = str(caught.value)
    assert str(directory) in message and "no train split" in message and "dev.tsv" in message


def test_two_train_files_are_ambiguous(write_file):
    write_file("d/train.tsv", "sentence\tlabel\nx\t1\n")
    directory = write_file("d/train.csv", "sentence,label\nx,1\n").parent
    with pytest.raises(DataError, match="more than one train split"):
        load_dataset(directory)


def test_missing_source(tmp_path):
    with pytest.raises(DataError, match="nowhere: no such file or directory"):
        load_dataset(tmp_path / "nowhere")


def test_errors_in_a_split_file_name_that_file(write_file):
    directory = _glue_dir(write_file)
    write_file("glue/dev.tsv", "sentence\tlabel\nfine\t1\nbroken\n")
    with pytest.raises(DataError, match=r"dev.tsv, line 3"):
        load_dataset(directory)


def test_headerless_dataset_with_indices_notes_it(write_file):
    path = write_file("train.tsv", _rows(20))
    dataset = load_dataset(path, text_column="0", label_column="1")
    assert len(dataset.train) + len(dataset.dev) == 20
    assert f"{dataset.train.path}: no header line; text column 0, label column 1 (0-based)" in (dataset.notes)


@pytest.mark.parametrize("with_dev", [True, False])
def test_source_info_round_trip_through_json(write_file, with_dev):
    dataset = load_dataset(_glue_dir(write_file, dev=with_dev), holdout_seed=11)
    info = json.loads(json.dumps(dataset.source_info()))
    train_file = Path(dataset.train.path)
    assert info["files"]["train"] == {
        "path": str(train_file),
        "sha256": hashlib.sha256(train_file.read_bytes()).hexdigest(),
        "rows": 20,
        "format": "tsv",
        "header": True,
        "text_column": "sentence",
        "label_column": "label",
    }
    assert info["files"]["test"]["label_column"] is None
    assert ("dev" in info["files"]) == with_dev
    assert (info["holdout"] is None) == with_dev
    reloaded = load_dataset_from_info(info)
    for name in ("train", "dev", "test"):
        assert _same_rows(getattr(reloaded, name), getattr(dataset, name))
    assert reloaded.source_info() == info


def test_source_info_of_a_headerless_file_reloads_by_index(write_file):
    dataset = load_dataset(
        write_file("t.csv", "".join(f"{i},x{i}\n" for i in range(9))), text_column=1, label_column=0
    )
    info = dataset.source_info()
    assert (info["files"]["train"]["text_column"], info["files"]["train"]["header"]) == (1, False)
    assert _same_rows(load_dataset_from_info(info).dev, dataset.dev)


def test_changed_file_is_refused_naming_both_hashes(write_file):
    dataset = load_dataset(_glue_dir(write_file))
    info = dataset.source_info()
    dev_path = Path(dataset.dev.path)
    old = info["files"]["dev"]["sha256"]
    dev_path.write_text(dev_path.read_text() + "one more\t1\n")
    new = hashlib.sha256(dev_path.read_bytes()).hexdigest()
    with pytest.raises(DataError) as caught:
        load_dataset_from_info(info)
    message = str(caught.value)
    assert str(dev_path) in message and old in message and new in message
    # Without the hash check it loads, and says what differs.
    relaxed = load_dataset_from_info(info, verify_hashes=False)
    assert len(relaxed.dev) == 6
    assert any(old in note and new in note for note in relaxed.notes)
    assert any("now has 6 rows, recorded 5" in note for note in relaxed.notes)


def test_missing_recorded_file(write_file):
    dataset = load_dataset(_glue_dir(write_file))
    info = dataset.source_info()
    Path(dataset.test.path).unlink()
    with pytest.raises(DataError) as caught:
        load_dataset_from_info(info)
    assert dataset.test.path in str(caught.value) and "no such file" in str(caught.value)


@pytest.mark.parametrize("info", [{}, {"version": 1}, {"version": 2, "files": {"train": {}}}, []])
def test_invalid_source_info(info):
    with pytest.raises(DataError, match="not a dataset source_info"):
        load_dataset_from_info(info)


def test_tfds_source_without_tensorflow_datasets():
    if importlib.util.find_spec("tensorflow_datasets") is not None:
        pytest.skip("tensorflow_datasets is installed; this checks the error without it")
    with pytest.raises(DataError) as caught:
        load_dataset("tfds:glue/sst2")
    assert "tfds:glue/sst2" in str(caught.value) and "tensorflow_datasets" in str(caught.value)


def test_sst2_glue_directory():
    dataset = load_dataset(shared_data("sst2"))
    assert (len(dataset.train), len(dataset.dev), len(dataset.test)) == (60614, 6735, 872)
    assert dataset.notes == []
    label_map = LabelMap.from_labels(dataset.train.labels)
    assert label_map.labels == ("0", "1")
    assert sum(label_map.encode(dataset.train)) == 33828  # positives, per the data README
    assert sum(label_map.encode(dataset.test)) == 444
    assert dataset.train.texts[0].endswith(" ")  # GLUE's space before the tab is kept
