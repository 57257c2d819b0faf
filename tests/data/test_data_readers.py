"""read_split: TSV/CSV/JSONL parsing, column and header detection, and every bad-input error."""

import os

import pytest
from import_check import packages_loaded_by

from fnet_keras.data import DataError, read_split


def _error(path, **options) -> str:
    with pytest.raises(DataError) as caught:
        read_split(path, **options)
    return str(caught.value)


# --- good files -------------------------------------------------------------------------


def test_tsv_keeps_texts_exactly_and_quotes_literally(write_file):
    # GLUE style: a trailing space before the tab, quotes that are part of the text, and an
    # opening quote that a CSV parser would take as the start of a quoted field.
    path = write_file(
        "train.tsv",
        'sentence\tlabel\nit \'s "good" \t1\n"unbalanced start\t0\n\t1\nlast "\t0\n',
    )
    split = read_split(path)
    assert split.texts == ['it \'s "good" ', '"unbalanced start', "", 'last "']
    assert split.labels == ["1", "0", "1", "0"]
    assert split.lines == [2, 3, 4, 5]
    assert (split.format, split.header, split.text_column, split.label_column) == (
        "tsv",
        True,
        "sentence",
        "label",
    )
    assert split.path == os.path.abspath(path)
    assert len(split.sha256) == 64


def test_csv_uses_standard_quoting_and_multiline_records(write_file):
    path = write_file(
        "train.csv",
        'text,label\n"a, ""quoted"" b",pos\n"two\nlines",neg\nplain ,pos\n,neg\n',
    )
    split = read_split(path)
    assert split.texts == ['a, "quoted" b', "two\nlines", "plain ", ""]
    assert split.labels == ["pos", "neg", "pos", "neg"]
    assert split.lines == [2, 3, 5, 6]  # a record is numbered by the line it starts on


def test_same_quoted_line_differs_between_tsv_and_csv(write_file):
    content = 'text\tlabel\n"x"\t1\n'
    assert read_split(write_file("q.tsv", content)).texts == ['"x"']
    comma = 'text,label\n"x",1\n'
    assert read_split(write_file("q.csv", comma)).texts == ["x"]


def test_jsonl_reads_keys_and_integer_labels(write_file):
    path = write_file(
        "train.jsonl",
        '{"id": 7, "text": "a \\"b\\" ", "label": 1}\n\n  \n{"text": "", "label": "neg "}\n',
    )
    split = read_split(path)
    assert split.texts == ['a "b" ', ""]
    assert split.labels == ["1", "neg"]
    assert split.lines == [1, 4]
    assert (split.format, split.header, split.text_column, split.label_column) == (
        "jsonl",
        None,
        "text",
        "label",
    )


def test_crlf_line_ends_and_byte_order_mark(write_file):
    path = write_file("train.tsv", b"\xef\xbb\xbfSentence\tLabel\r\nhi there \t1\r\n")
    split = read_split(path)
    assert split.texts == ["hi there "]
    assert split.labels == ["1"]
    assert split.text_column == "Sentence"


@pytest.mark.parametrize(
    "text_name, label_name",
    [
        ("sentence", "label"),
        ("text", "labels"),
        ("Content", "Category"),
        ("review ", "class"),
        ("sentence1", "target"),
    ],
)
def test_header_candidates_are_detected_in_any_column_order(write_file, text_name, label_name):
    path = write_file("train.tsv", f"id\t{label_name}\t{text_name}\n1\tyes\tsome text\n")
    split = read_split(path)
    assert (split.texts, split.labels) == (["some text"], ["yes"])
    assert (split.text_column, split.label_column) == (text_name, label_name)


@pytest.mark.parametrize(
    "text_column, label_column",
    [("body_text", "label"), (2, 0), ("2", "0"), ("BODY_TEXT", " Label")],
)
def test_explicit_columns_by_name_or_index(write_file, text_column, label_column):
    # The header is recognised by its "label" cell, so indices count columns of the header.
    path = write_file("train.tsv", "label\tid\tbody_text\ncat\t1\tmeow\ndog\t2\twoof\n")
    split = read_split(path, text_column=text_column, label_column=label_column)
    assert split.texts == ["meow", "woof"]
    assert split.labels == ["cat", "dog"]
    assert split.header is True
    assert (split.text_column, split.label_column) == ("body_text", "label")


def test_explicit_columns_override_candidates(write_file):
    path = write_file("train.csv", "text,label,title,stars\nbody,0,head,5\n")
    split = read_split(path, text_column="title", label_column="stars")
    assert (split.texts, split.labels) == (["head"], ["5"])


def test_headerless_file_with_indices(write_file):
    path = write_file("train.tsv", "1\tgood movie\n0\tbad \n")
    split = read_split(path, text_column=1, label_column="0")
    assert split.header is False
    assert split.texts == ["good movie", "bad "]
    assert split.labels == ["1", "0"]
    assert split.lines == [1, 2]
    assert (split.text_column, split.label_column) == (1, 0)


def test_header_option_overrides_detection(write_file):
    unknown_names = write_file("a.tsv", "words\tverdict\nnice\tpos\n")
    # Auto: names not recognised and indices given, so the first line is data.
    assert read_split(unknown_names, text_column=0, label_column=1).texts == ["words", "nice"]
    forced = read_split(unknown_names, text_column=0, label_column=1, header=True)
    assert forced.texts == ["nice"]
    assert forced.text_column == "words"
    # A recognised-looking first line is still data when header=False.
    looks_like_header = write_file("b.tsv", "text\tlabel\nnice\tpos\n")
    split = read_split(looks_like_header, text_column=0, label_column=1, header=False)
    assert split.texts == ["text", "nice"]


def test_unlabelled_file_when_labels_not_required(write_file):
    path = write_file("test.tsv", "index\tsentence\n0\thello\n1\tworld\n")
    split = read_split(path, "test", require_labels=False)
    assert split.labels is None and split.label_column is None
    assert split.texts == ["hello", "world"]
    # The train's explicit label column absent from the test file: still unlabelled.
    assert read_split(path, "test", label_column="label", require_labels=False).labels is None
    labelled = write_file("test2.tsv", "sentence\tlabel\nhi\t1\n")
    assert read_split(labelled, "test", require_labels=False).labels == ["1"]


# --- bad files: each error names the file and, where there is one, the line ---------------


def test_wrong_field_count_tsv(write_file):
    path = write_file("train.tsv", "sentence\tlabel\nok\t1\na\ttab inside\t0\n")
    message = _error(path)
    assert "train.tsv, line 3" in message
    assert "expected 2" in message and "found 3" in message


def test_wrong_field_count_csv(write_file):
    path = write_file("train.csv", "text,label\nok,1\nno label\n")
    assert "train.csv, line 3" in _error(path)


def test_non_utf8_names_line_and_byte_offset(write_file):
    path = write_file("train.tsv", b"sentence\tlabel\nok\t1\nbad \xff\t0\n")
    message = _error(path)
    assert "train.tsv, line 3" in message
    assert "0xff" in message
    assert "byte offset 24" in message and "offset 4 in the line" in message
    # ... and says how to convert it (a file from a Windows or legacy tool is usually Latin-1).
    assert f"`mv {path} {path}.orig && iconv -f latin1 -t utf8 {path}.orig > {path}`" in message


@pytest.mark.parametrize("name", ["train.tsv", "train.tsv.gz"])
def test_the_non_utf8_hint_converts_the_file_as_given(write_file, name):
    import gzip
    import subprocess

    latin1 = "sentence\tlabel\ncafé crème\t1\n".encode("latin-1")
    written = gzip.compress(latin1) if name.endswith(".gz") else latin1
    path = write_file(f"d/{name}", written)
    message = _error(path)
    assert "Latin-1" in message
    subprocess.run(["bash", "-c", message.split("`")[1]], check=True)  # the command, as a user pastes it
    assert read_split(path, "train").texts == ["café crème"]
    assert path.with_name(name + ".orig").read_bytes() == written


def test_missing_text_column_names_the_header(write_file):
    path = write_file("train.tsv", "foo\tlabel\nx\t1\n")
    message = _error(path)
    assert "train.tsv, line 1" in message and "'foo'" in message and "text" in message


def test_missing_explicit_column_names_the_header(write_file):
    path = write_file("train.csv", "text,label\nx,1\n")
    message = _error(path, label_column="stars")
    assert "train.csv, line 1" in message and "'stars'" in message and "['text', 'label']" in message


def test_headerless_without_indices(write_file):
    path = write_file("train.tsv", "good movie\t1\n")
    message = _error(path)
    assert "train.tsv, line 1" in message and "0-based index" in message


def test_name_given_for_file_read_without_header(write_file):
    path = write_file("train.tsv", "good movie\t1\n")
    message = _error(path, text_column="text", label_column=1, header=False)
    assert "train.tsv, line 1" in message and "no header" in message


def test_column_index_out_of_range(write_file):
    path = write_file("train.tsv", "good movie\t1\n")
    message = _error(path, text_column=0, label_column=5)
    assert "train.tsv, line 1" in message and "index 5" in message


def test_text_and_label_the_same_column(write_file):
    path = write_file("train.tsv", "text\tlabel\nx\t1\n")
    assert "train.tsv, line 1" in _error(path, text_column="label")


def test_sentence_pair_header_is_refused_unless_text_column_given(write_file):
    path = write_file("train.tsv", "sentence1\tsentence2\tlabel\na\tb\t1\n")
    message = _error(path)
    assert "train.tsv, line 1" in message and "sentence2" in message
    assert read_split(path, text_column="sentence2").texts == ["b"]


def test_empty_file(write_file):
    assert "empty" in _error(write_file("train.tsv", ""))
    assert "train.csv" in _error(write_file("train.csv", "\n\n"))
    assert "train.jsonl" in _error(write_file("train.jsonl", " \n"))


def test_header_without_rows(write_file):
    message = _error(write_file("train.tsv", "sentence\tlabel\n"))
    assert "train.tsv, line 1" in message and "no data rows" in message


def test_empty_label_cell(write_file):
    path = write_file("train.tsv", "sentence\tlabel\nok\t1\nno label\t \n")
    message = _error(path)
    assert "train.tsv, line 3" in message and "empty label" in message


def test_invalid_json_line(write_file):
    path = write_file("train.jsonl", '{"text": "a", "label": 1}\n{"text": "b", label: 0}\n')
    message = _error(path)
    assert "train.jsonl, line 2" in message and "invalid JSON" in message


@pytest.mark.parametrize(
    "second_line, expected",
    [
        ('["b", 0]', "expected a JSON object"),
        ('{"label": 0}', "no 'text' key"),
        ('{"text": "b"}', "no 'label' key"),
        ('{"text": 3, "label": 0}', "must be a string"),
        ('{"text": "b", "label": 0.5}', "string or an integer"),
        ('{"text": "b", "label": true}', "string or an integer"),
        ('{"text": "b", "label": ""}', "empty label"),
    ],
)
def test_bad_jsonl_records(write_file, second_line, expected):
    path = write_file("train.jsonl", '{"text": "a", "label": 1}\n' + second_line + "\n")
    message = _error(path)
    assert "train.jsonl, line 2" in message and expected in message


def test_jsonl_columns_are_keys_not_indices(write_file):
    path = write_file("train.jsonl", '{"0": "a", "label": 1}\n')
    assert read_split(path, text_column="0").texts == ["a"]  # a digit string is a key here
    assert "not index 0" in _error(path, text_column=0)


def test_csv_field_longer_than_pythons_default_limit_reads(write_file):
    # Python's csv refuses fields over 131,072 characters unless told; a long post is valid data.
    long_text = "a long post, " * 15_385  # 200,005 characters, commas included
    path = write_file("train.csv", f'text,label\nok,1\n"{long_text}",0\nafter,1\n')
    split = read_split(path)
    assert split.texts == ["ok", long_text, "after"]
    assert split.lines == [2, 3, 4]


def test_csv_quote_never_closed_is_an_error_not_a_merged_text(write_file):
    # Without strict quoting, the rest of the file would silently become this row's text.
    path = write_file("train.csv", 'label,text\n1,fine\n0,"opened here\n1,swallowed\n')
    message = _error(path)
    assert "train.csv, line 3" in message and "never closed" in message


def test_csv_text_after_a_closing_quote_is_an_error(write_file):
    message = _error(write_file("train.csv", 'text,label\n"a"b,1\n'))
    assert "train.csv, line 2" in message and "malformed CSV" in message


def test_missing_file_directory_and_unknown_extension(tmp_path, write_file):
    assert "nope.tsv" in _error(tmp_path / "nope.tsv") and "no such file" in _error(tmp_path / "nope.tsv")
    (tmp_path / "folder.tsv").mkdir()
    assert "folder.tsv" in _error(tmp_path / "folder.tsv")
    message = _error(write_file("train.txt", "text\tlabel\nx\t1\n"))
    assert "train.txt" in message and ".tsv" in message


def test_importing_data_package_imports_no_tensorflow_or_numpy():
    assert packages_loaded_by("import fnet_keras.data", ("tensorflow", "numpy", "keras")) == []
