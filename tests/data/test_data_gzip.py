"""Gzipped data files: read like the plain file, hashed as stored, and damaged ones named."""

import gzip
import hashlib
import json
from pathlib import Path

import pytest
from support import shared_data

from fnet_keras.data import DataError, load_dataset, load_dataset_from_info, read_evaluation_split, read_split

CONTENTS = {
    "tsv": 'sentence\tlabel\nit \'s "good" \t1\n\t0\n' + "".join(f"row {i}\t{i % 2}\n" for i in range(300)),
    "csv": 'text,label\n"a, ""b""",pos\n"two\nlines",neg\n'
    + "".join(f"row {i},x{i % 3}\n" for i in range(300)),
    "jsonl": '{"text": "a", "label": 1}\n\n{"text": "\\u00e9t\\u00e9", "label": "2"}\n',
}


def _gzip_bytes(text: str) -> bytes:
    return gzip.compress(text.encode("utf-8"), mtime=0)


def _error(path, **options) -> str:
    with pytest.raises(DataError) as caught:
        read_split(path, **options)
    return str(caught.value)


@pytest.mark.parametrize("extension", sorted(CONTENTS))
def test_gzipped_file_reads_like_the_plain_file(write_file, extension):
    plain = read_split(write_file(f"plain/train.{extension}", CONTENTS[extension]))
    packed_bytes = _gzip_bytes(CONTENTS[extension])
    packed = read_split(write_file(f"packed/train.{extension}.gz", packed_bytes))
    assert (packed.texts, packed.labels, packed.lines) == (plain.texts, plain.labels, plain.lines)
    assert (packed.format, packed.header, packed.text_column, packed.label_column) == (
        plain.format,
        plain.header,
        plain.text_column,
        plain.label_column,
    )
    # Provenance hashes the bytes on disk: `sha256sum train.tsv.gz`.
    assert packed.sha256 == hashlib.sha256(packed_bytes).hexdigest() != plain.sha256


def test_truncated_gzip_names_the_file(write_file):
    whole = _gzip_bytes(CONTENTS["tsv"])
    for cut in (len(whole) // 2, len(whole) - 4, 12):
        path = write_file(f"cut{cut}/train.tsv.gz", whole[:cut])
        message = _error(path)
        assert str(path) in message and "truncated gzip" in message


def test_corrupt_gzip_names_the_file(write_file):
    whole = _gzip_bytes(CONTENTS["tsv"])
    # Bytes after the 10-byte header: the deflate stream, then the CRC-32 and length trailer.
    for position in (10, 11, len(whole) // 2, len(whole) - 8, len(whole) - 1):
        flipped = bytearray(whole)
        flipped[position] ^= 0xFF
        path = write_file(f"flip{position}/train.tsv.gz", bytes(flipped))
        message = _error(path)
        assert str(path) in message and "gzip file" in message, message
    not_gzip = write_file("plain_named_gz/train.tsv.gz", CONTENTS["tsv"])
    assert "corrupt gzip file" in _error(not_gzip)


def test_errors_inside_a_gzipped_file_name_file_and_line(write_file):
    path = write_file("train.tsv.gz", _gzip_bytes("sentence\tlabel\nok\t1\nno label here\n"))
    message = _error(path)
    assert f"{path}, line 3" in message and "expected 2" in message
    bad_bytes = gzip.compress(b"sentence\tlabel\nok\t1\nbad \xff\t0\n")
    path = write_file("bad/train.tsv.gz", bad_bytes)
    message = _error(path)
    assert f"{path}, line 3" in message and "0xff" in message and "decompressed" in message


def test_unknown_type_under_gz_is_named(write_file):
    message = _error(write_file("train.txt.gz", _gzip_bytes("x\t1\n")))
    assert "train.txt.gz" in message and "'.txt'" in message and ".gz" in message


def _gz_glue(write_file, root="glue") -> Path:
    write_file(
        f"{root}/train.tsv.gz", _gzip_bytes("text\tlabel\n" + "".join(f"t{i}\tc{i % 2}\n" for i in range(20)))
    )
    write_file(f"{root}/dev.tsv.gz", _gzip_bytes("text\tlabel\nd0\tc0\nd1\tc1\n"))
    return write_file(f"{root}/test.tsv.gz", _gzip_bytes("text\tlabel\ne0\tc1\ne1\tc0\ne2\tc1\n")).parent


def test_glue_directory_of_gzipped_splits(write_file):
    directory = _gz_glue(write_file)
    dataset = load_dataset(directory)
    assert (len(dataset.train), len(dataset.dev), len(dataset.test)) == (20, 2, 3)
    assert dataset.test.labels == ["c1", "c0", "c1"]
    assert dataset.holdout is None and dataset.notes == []
    for split, texts in (("test", ["e0", "e1", "e2"]), ("dev", ["d0", "d1"])):
        examples = read_evaluation_split(directory, split)
        assert examples.texts == texts and examples.path.endswith(f"{split}.tsv.gz")


def test_gzipped_source_info_reloads_and_refuses_a_changed_file(write_file):
    dataset = load_dataset(_gz_glue(write_file))
    info = json.loads(json.dumps(dataset.source_info()))
    assert info["files"]["train"]["path"].endswith("train.tsv.gz")
    assert (
        info["files"]["train"]["sha256"] == hashlib.sha256(Path(dataset.train.path).read_bytes()).hexdigest()
    )
    reloaded = load_dataset_from_info(info)
    assert (reloaded.train.texts, reloaded.test.labels) == (dataset.train.texts, dataset.test.labels)
    # Same text, other compression: other bytes on disk, so a changed file.
    Path(dataset.dev.path).write_bytes(
        gzip.compress(b"text\tlabel\nd0\tc0\nd1\tc1\n", compresslevel=1, mtime=7)
    )
    with pytest.raises(DataError, match="dev split file changed"):
        load_dataset_from_info(info)


def test_plain_and_gzipped_train_files_together_are_ambiguous(write_file):
    directory = _gz_glue(write_file)
    write_file("glue/train.tsv", "text\tlabel\nx\t1\n")
    with pytest.raises(DataError, match=r"more than one train split \(train.tsv, train.tsv.gz\)"):
        load_dataset(directory)


def test_imdb_directory_of_gzipped_tsv():
    imdb = shared_data("imdb")
    dataset = load_dataset(imdb)
    # Row counts and balance from the data README.
    assert (len(dataset.train), len(dataset.dev), len(dataset.test)) == (20000, 5000, 25000)
    assert dataset.train.labels.count("positive") == 10000 and dataset.dev.labels.count("positive") == 2500
    assert set(dataset.test.labels) == {"negative", "positive"}
    assert dataset.test.labels.count("positive") == 12500
    assert dataset.notes == []
    assert read_evaluation_split(imdb, "dev").texts == dataset.dev.texts
