"""`fnet-keras quickstart` on bad input: `error: ...`
naming the file or value, exit status 2, and nothing written. All refused before TensorFlow loads."""

from __future__ import annotations

import pytest

from fnet_keras.cli import main


def _files(root):
    return {path: path.read_bytes() for path in root.rglob("*") if path.is_file()}


def _refused(capsys, argv) -> str:
    """Runs the command; asserts exit status 2 and an empty stdout; returns the error line."""
    assert main(["quickstart", *map(str, argv)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    errors = [line for line in captured.err.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, captured.err
    assert "Traceback" not in captured.err
    return errors[0]


def test_missing_data_is_named_and_nothing_is_written(tmp_path, capsys):
    missing, out = tmp_path / "no-such-data", tmp_path / "out"
    error = _refused(capsys, ["--data", missing, "--out", out])
    assert error == f"error: {missing}: no such file or directory"
    assert not out.exists()


def test_a_malformed_data_file_is_named_with_its_line_and_nothing_is_written(tmp_path, capsys):
    data, out = tmp_path / "train.tsv", tmp_path / "out"
    data.write_text("text\tlabel\n(max 1 2)\t2\nno label on this line\n")
    error = _refused(capsys, ["--data", data, "--out", out])
    assert error.startswith(f"error: {data}, line 3: ") and "found 1" in error
    assert not out.exists()


def test_options_of_user_data_without_data_are_refused(tmp_path, capsys):
    out = tmp_path / "out"
    for option in ("--sequence-length", "--epochs"):
        error = _refused(capsys, [option, "64", "--out", out])
        assert "apply to your own --data" in error
    assert not out.exists()


def test_an_out_that_is_someone_elses_directory_is_refused_untouched(tmp_path, capsys):
    out = tmp_path / "thesis"
    out.mkdir()
    (out / "chapter1.tex").write_text("mine")
    before = _files(out)
    error = _refused(capsys, ["--out", out])
    assert error.startswith(f"error: {out}: is not empty and is not a quickstart's output")
    assert _files(out) == before


def test_an_out_that_is_a_file_is_refused_untouched(tmp_path, capsys):
    out = tmp_path / "report.txt"
    out.write_text("keep me")
    error = _refused(capsys, ["--out", out])
    assert error == f"error: {out}: exists and is not a directory; choose another --out"
    assert out.read_text() == "keep me"


@pytest.mark.parametrize(
    "argv, named",
    [(["--size", "huge"], "huge"), (["--sequence-length", "0"], "0"), (["--epochs", "two"], "two")],
)
def test_bad_values_are_named_by_the_parser(tmp_path, capsys, argv, named):
    out = tmp_path / "out"
    assert main(["quickstart", *argv, "--out", str(out)]) == 2
    assert named in capsys.readouterr().err.splitlines()[-1]
    assert not out.exists()


def test_the_command_and_its_planning_load_no_tensorflow():
    from import_check import packages_loaded_by

    statements = (
        "import argparse, fnet_keras.quickstart\n"
        "from fnet_keras.cli.planning import add_quickstart_arguments\n"
        "add_quickstart_arguments(argparse.ArgumentParser())"
    )
    assert packages_loaded_by(statements) == []
