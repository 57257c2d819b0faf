"""read_documents: unlabelled text for pre-training, from .txt, .txt.gz or a folder of them."""

import gzip
import hashlib
import json
from pathlib import Path

import pytest
from support import shared_data

from fnet_keras.data import DataError, load_documents_from_info, read_documents

TEXT = "first document \n\n   \nsecond, with\ttab\r\n\nthird\n"


def _error(source) -> str:
    with pytest.raises(DataError) as caught:
        read_documents(source)
    return str(caught.value)


def test_text_file_one_document_per_line(write_file):
    path = write_file("corpus.txt", "\ufeff" + TEXT)
    documents = read_documents(path)
    # Blank and whitespace-only lines skipped; others kept as written, less the line break.
    assert documents.texts == ["first document ", "second, with\ttab", "third"]
    assert documents.lines == [1, 4, 6]
    assert documents.location(1) == (str(path), 4)
    assert (documents.format, documents.path) == ("file", str(path))
    assert documents.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert documents.notes == ()


def test_gzipped_file_reads_like_the_plain_one(write_file):
    plain = read_documents(write_file("plain.txt", TEXT))
    packed_bytes = gzip.compress(TEXT.encode(), mtime=0)
    packed = read_documents(write_file("packed.TXT.GZ", packed_bytes))
    assert (packed.texts, packed.lines) == (plain.texts, plain.lines)
    assert packed.sha256 == hashlib.sha256(packed_bytes).hexdigest()


def test_folder_reads_txt_and_txt_gz_files_in_path_order(write_file, tmp_path):
    write_file("corpus/b.txt", "b1\nb2\n")
    write_file("corpus/a/z.txt.gz", gzip.compress(b"az1\n"))
    write_file("corpus/a.txt", "a1\n")
    write_file("corpus/.hidden.txt", "hidden\n")
    write_file("corpus/.git/objects.txt", "hidden folder\n")
    write_file("corpus/README.md", "not a document file\n")
    write_file("corpus/empty.txt", "\n\n")
    directory = tmp_path / "corpus"
    documents = read_documents(directory)
    # Paths by bytes: "a.txt" < "a/z.txt.gz" ("." < "/") < "b.txt" < "empty.txt".
    assert documents.texts == ["a1", "az1", "b1", "b2"]
    assert [Path(file.path).name for file in documents.files] == ["a.txt", "z.txt.gz", "b.txt", "empty.txt"]
    assert [file.documents for file in documents.files] == [1, 1, 2, 0]
    assert documents.location(3) == (str(directory / "b.txt"), 2)
    assert documents.notes == (f"{directory}: ignored 1 file(s) not ending in .txt or .txt.gz (README.md)",)
    manifest = "".join(
        f"{hashlib.sha256((directory / name).read_bytes()).hexdigest()}  {name}\n"
        for name in ("a.txt", "a/z.txt.gz", "b.txt", "empty.txt")
    )
    assert documents.sha256 == hashlib.sha256(manifest.encode()).hexdigest()


def test_non_utf8_names_file_and_line(write_file):
    path = write_file("corpus/b.txt", b"good\nstill good\nbad \xe9 latin-1\n")
    message = _error(path.parent)
    assert f"{path}, line 3" in message and "0xe9" in message


def test_damaged_gzip_names_the_file(write_file):
    whole = gzip.compress(("many words " * 500 + "\n").encode())
    truncated = write_file("cut.txt.gz", whole[: len(whole) // 2])
    assert str(truncated) in _error(truncated) and "truncated gzip" in _error(truncated)
    flipped = bytearray(whole)
    flipped[len(whole) - 6] ^= 0xFF  # inside the CRC-32 of the trailer
    corrupt = write_file("flip.txt.gz", bytes(flipped))
    assert str(corrupt) in _error(corrupt) and "corrupt gzip" in _error(corrupt)


def test_sources_without_documents_are_errors(write_file, tmp_path):
    assert "no documents" in _error(write_file("blank.txt", "\n \n\t\n"))
    (tmp_path / "nothing").mkdir()
    write_file("nothing/notes.md", "x")
    assert "no .txt or .txt.gz files" in _error(tmp_path / "nothing")
    assert "no such file" in _error(tmp_path / "missing.txt")
    message = _error(write_file("data.tsv", "text\tlabel\n"))
    assert "data.tsv" in message and ".txt or .txt.gz" in message


def test_source_info_round_trip_and_changed_data(write_file, tmp_path):
    write_file("corpus/one.txt", "a\nb\n")
    write_file("corpus/two.txt", "c\n")
    documents = read_documents(tmp_path / "corpus")
    info = json.loads(json.dumps(documents.source_info()))
    assert info == {
        "version": 1,
        "kind": "documents",
        "source": str(tmp_path / "corpus"),
        "path": str(tmp_path / "corpus"),
        "format": "folder",
        "sha256": documents.sha256,
        "files": 2,
        "documents": 3,
    }
    again = load_documents_from_info(info)
    assert (again.texts, again.lines, again.files) == (documents.texts, documents.lines, documents.files)
    write_file("corpus/two.txt", "c\nd\n")
    with pytest.raises(DataError) as caught:
        load_documents_from_info(info)
    assert documents.sha256 in str(caught.value) and "now 4 documents, recorded 3" in str(caught.value)
    relaxed = load_documents_from_info(info, verify_hashes=False)
    assert len(relaxed) == 4 and "hash check disabled" in relaxed.notes[-1]
    with pytest.raises(DataError, match="not a documents source_info"):
        load_documents_from_info({"version": 1, "files": {}})


def test_imdb_unlabelled_reviews():
    unlabelled = shared_data("imdb", "unsup.txt.gz")
    documents = read_documents(unlabelled)
    assert len(documents) == 50000  # per the data README
    assert documents.location(49999)[1] == 50000  # no blank lines in it
