"""Folder-per-class sources (DIR/<label>/*.txt and DIR/{train,dev,test}/<label>/*.txt)."""

import hashlib
import json
from pathlib import Path

import pytest

from fnet_keras.data import (
    DataError,
    LabelMap,
    find_split_files,
    load_dataset,
    load_dataset_from_info,
    read_class_folder,
    read_evaluation_split,
)


def _classes(write_file, root: str, per_class: dict[str, int], prefix: str = "") -> Path:
    for label, count in per_class.items():
        for i in range(count):
            write_file(f"{root}/{label}/{i:02d}.txt", f"{prefix}{label} review {i}\nsecond line\n")
    return write_file(f"{root}/.keep", "").parent


def _manifest_digest(directory: Path, relative_paths: list[str]) -> str:
    """The digest computed independently, as `sha256sum` lines hashed again."""
    lines = "".join(
        f"{hashlib.sha256((directory / name).read_bytes()).hexdigest()}  {name}\n"
        for name in sorted(relative_paths, key=lambda name: name.encode("utf-8"))
    )
    return hashlib.sha256(lines.encode("utf-8")).hexdigest()


def test_root_layout_is_training_data_with_dev_held_out(write_file):
    directory = _classes(write_file, "reviews", {"pos": 6, "neg": 4})
    dataset = load_dataset(directory, holdout_fraction=0.2, holdout_seed=1)
    assert (len(dataset.train), len(dataset.dev), dataset.test) == (8, 2, None)
    whole = read_class_folder(directory)
    # Examples in path order (so grouped by class, classes sorted); the text is the whole file.
    assert whole.example_files == [f"neg/{i:02d}.txt" for i in range(4)] + [
        f"pos/{i:02d}.txt" for i in range(6)
    ]
    assert whole.labels == ["neg"] * 4 + ["pos"] * 6
    assert whole.texts[0] == "neg review 0\nsecond line\n"
    assert (whole.format, whole.classes, whole.path) == ("folder", ("neg", "pos"), str(directory))
    assert sorted(dataset.train.example_files + dataset.dev.example_files) == whole.example_files
    assert dataset.holdout == {"seed": 1, "fraction": 0.2, "train_rows": 8, "dev_rows": 2}
    assert LabelMap.from_labels(dataset.train.labels).labels == ("neg", "pos")


def test_class_ids_follow_the_label_map_rule(write_file):
    directory = _classes(write_file, "numbers", {"10": 2, "2": 2, "1": 2})
    split = read_class_folder(directory)
    assert split.classes == ("1", "10", "2")  # folders in name order
    assert LabelMap.from_labels(split.labels).labels == ("1", "2", "10")  # ids: numeric order


def test_split_layout_reads_train_dev_and_test_folders(write_file):
    _classes(write_file, "data/train", {"a": 3, "b": 3})
    _classes(write_file, "data/validation", {"a": 1, "b": 1}, prefix="dev ")
    directory = _classes(write_file, "data/test", {"a": 2, "b": 1}, prefix="test ").parent
    dataset = load_dataset(directory)
    assert (len(dataset.train), len(dataset.dev), len(dataset.test)) == (6, 2, 3)
    assert dataset.holdout is None
    assert dataset.test.texts[0].startswith("test a review 0")
    assert dataset.dev.path == str(directory / "validation")
    assert find_split_files(directory) == {
        "train": directory / "train",
        "dev": directory / "validation",
        "test": directory / "test",
    }
    examples = read_evaluation_split(directory, "test")
    assert (examples.labels, examples.name) == (["a", "a", "b"], "test")
    # A folder of class folders given to evaluate is scored whole, as a file would be.
    assert read_evaluation_split(directory / "test", "test").example_files == examples.example_files


def test_imdb_archive_layout_excludes_unlabelled_folders_with_a_note(write_file):
    # aclImdb/: train/{neg,pos,unsup}/ and test/{neg,pos}/, with loose files beside the classes.
    directory = _classes(write_file, "aclImdb/train", {"neg": 10, "pos": 10, "unsup": 3, "Unlabeled": 1})
    _classes(write_file, "aclImdb/test", {"neg": 2, "pos": 3})
    write_file("aclImdb/train/labeledBow.feat", "0 0:1\n")
    write_file("aclImdb/train/urls_pos.txt", "http://example.com\n")
    write_file("aclImdb/README", "the archive's read-me")
    dataset = load_dataset(directory.parent)
    assert (len(dataset.train), len(dataset.dev), len(dataset.test)) == (18, 2, 5)
    assert set(dataset.train.labels + dataset.dev.labels) == {"neg", "pos"}
    assert dataset.train.classes == dataset.test.classes == ("neg", "pos")
    excluded = [note for note in dataset.notes if "excluded" in note]
    assert len(excluded) == 2
    assert any(str(directory / "unsup") in note for note in excluded)
    assert any(str(directory / "Unlabeled") in note for note in excluded)
    assert f"{directory}: ignored 2 file(s) outside the class folders (labeledBow.feat, urls_pos.txt)" in (
        dataset.notes
    )


def test_class_names_choose_the_classes_explicitly(write_file):
    directory = _classes(write_file, "d", {"neg": 2, "pos": 2, "unsup": 2, "other": 1})
    split = read_class_folder(directory, class_names=["unsup", "pos"])
    assert split.classes == ("pos", "unsup")
    assert set(split.labels) == {"pos", "unsup"}
    assert split.notes == (f"{directory}: excluded folder(s) not in class_names: neg, other",)
    with pytest.raises(DataError, match=r"\['missing'\] named in class_names not found"):
        read_class_folder(directory, class_names=["pos", "missing"])
    with pytest.raises(DataError, match="applies to folder-per-class"):
        load_dataset(write_file("t.tsv", "text\tlabel\nx\t1\n"), class_names=["pos"])


def test_split_named_folder_is_never_a_class(write_file):
    directory = _classes(write_file, "d", {"pos": 2, "test": 2})
    with pytest.raises(DataError) as caught:
        load_dataset(directory)  # test/ is a split folder here, and train/ is missing
    assert f"{directory}: no train split" in str(caught.value) and "test/" in str(caught.value)
    with pytest.raises(DataError) as caught:
        read_class_folder(directory)
    assert str(directory / "test") in str(caught.value) and "looks like a split folder" in str(caught.value)
    assert read_class_folder(directory, class_names=["pos", "test"]).classes == ("pos", "test")


def test_empty_class_folder_is_an_error(write_file):
    directory = _classes(write_file, "d", {"pos": 2, "neg": 2})
    write_file("d/empty/notes.md", "not a text file")
    with pytest.raises(DataError) as caught:
        read_class_folder(directory)
    assert str(directory / "empty") in str(caught.value) and "no .txt files" in str(caught.value)


def test_a_training_split_needs_two_classes(write_file):
    directory = _classes(write_file, "one", {"only": 3})
    with pytest.raises(DataError, match="at least 2 class folder\\(s\\) here, found 1 \\(only\\)"):
        load_dataset(directory)
    assert read_class_folder(directory, "test").labels == ["only"] * 3  # a test split may have one
    flat = write_file("flat/a.txt", "no class folder").parent
    with pytest.raises(DataError, match="found 0 \\(none\\).*1 .txt file\\(s\\) directly inside"):
        read_class_folder(flat, "test")


def test_non_utf8_file_is_named_with_its_line(write_file):
    directory = _classes(write_file, "d", {"pos": 2, "neg": 2})
    bad = write_file("d/pos/bad.txt", b"fine line\nbad \xff byte\n")
    with pytest.raises(DataError) as caught:
        read_class_folder(directory)
    assert f"{bad}, line 2" in str(caught.value) and "0xff" in str(caught.value)


def test_hidden_and_other_files_and_subfolders(write_file):
    directory = _classes(write_file, "d", {"pos": 2, "neg": 2})
    write_file("d/.cache/x/1.txt", "hidden folder")
    write_file("d/pos/.DS_Store", "hidden file")
    write_file("d/pos/deeper/more.TXT", "nested file")
    write_file("d/neg/image.png", b"\x89PNG")
    write_file("d/urls_pos.txt", "a file outside the class folders")
    split = read_class_folder(directory)
    assert split.classes == ("neg", "pos")
    assert "pos/deeper/more.TXT" in split.example_files and len(split) == 5
    assert split.notes == (
        f"{directory}: ignored 1 file(s) outside the class folders (urls_pos.txt)",
        f"{directory / 'neg'}: ignored 1 file(s) not ending in .txt (image.png)",
    )
    assert split.sha256 == _manifest_digest(directory, split.example_files)


def test_folder_digest_is_one_record_and_tracks_every_file_read(write_file):
    directory = _classes(write_file, "d", {"pos": 3, "neg": 3})
    dataset = load_dataset(directory)
    info = json.loads(json.dumps(dataset.source_info()))
    assert list(info["files"]) == ["train"]  # one record for the folder, none per file
    entry = info["files"]["train"]
    assert entry == {
        "path": str(directory),
        "sha256": _manifest_digest(directory, read_class_folder(directory).example_files),
        "rows": 6,
        "format": "folder",
        "header": None,
        "text_column": None,
        "label_column": None,
        "classes": ["neg", "pos"],
    }
    reloaded = load_dataset_from_info(info)
    for name in ("train", "dev"):
        original, again = getattr(dataset, name), getattr(reloaded, name)
        assert (again.texts, again.labels, again.example_files) == (
            original.texts,
            original.labels,
            original.example_files,
        )
    # A hidden file or an ignored file is not data: no change.
    write_file("d/pos/.swp", "editor scratch")
    write_file("d/notes.md", "a note")
    assert read_class_folder(directory).sha256 == entry["sha256"]
    # Changed content, an added file or a renamed one: the digest changes and reload refuses.
    for change in (
        lambda: write_file("d/pos/01.txt", "edited"),
        lambda: write_file("d/neg/new.txt", "added"),
        lambda: (directory / "neg" / "00.txt").rename(directory / "neg" / "99.txt"),
    ):
        change()
        now = read_class_folder(directory).sha256
        assert now != entry["sha256"]
        with pytest.raises(DataError) as caught:
            load_dataset_from_info(info)
        assert entry["sha256"] in str(caught.value) and now in str(caught.value)
    relaxed = load_dataset_from_info(info, verify_hashes=False)
    assert any("hash check disabled" in note for note in relaxed.notes)


def test_reload_reads_only_the_recorded_classes(write_file):
    directory = _classes(write_file, "d", {"pos": 2, "neg": 2, "unsup": 2})
    dataset = load_dataset(directory)
    info = dataset.source_info()
    _classes(write_file, "d", {"extra": 2})  # a class folder added after the run
    reloaded = load_dataset_from_info(info)
    assert reloaded.train.classes == ("neg", "pos")
    assert any("not in class_names: extra, unsup" in note for note in reloaded.notes)


def test_unknown_dev_label_names_the_file(write_file):
    _classes(write_file, "data/train", {"a": 2, "b": 2})
    directory = _classes(write_file, "data/dev", {"a": 1, "c": 1}).parent
    dataset = load_dataset(directory)
    label_map = LabelMap.from_labels(dataset.train.labels)
    with pytest.raises(DataError) as caught:
        label_map.encode(dataset.dev)
    assert f"{directory / 'dev' / 'c' / '00.txt'}: label 'c'" in str(caught.value)


def test_split_file_and_split_folder_together_are_ambiguous(write_file):
    _classes(write_file, "data/train", {"a": 2, "b": 2})
    directory = write_file("data/train.tsv", "text\tlabel\nx\t1\n").parent
    with pytest.raises(DataError, match=r"more than one train split \(train.tsv, train/\)"):
        load_dataset(directory)


def test_glue_directory_with_other_subfolders_stays_a_glue_directory(write_file):
    write_file("glue/original/notes.txt", "the GLUE SST-2 download has an original/ folder")
    directory = write_file(
        "glue/train.tsv", "sentence\tlabel\n" + "".join(f"t{i}\t{i % 2}\n" for i in range(10))
    ).parent
    dataset = load_dataset(directory)
    assert dataset.train.format == "tsv" and len(dataset.train) + len(dataset.dev) == 10
