"""`fnet-keras export` through `add_arguments` / `run`: exit codes, output, missing data."""

import argparse
import json
import shlex
import shutil
import zipfile

import pytest

from fnet_keras.export import ExportError, export_run
from fnet_keras.export.cli import add_arguments, run


def _parse(*argv):
    parser = argparse.ArgumentParser(prog="fnet-keras export")
    add_arguments(parser)
    return parser.parse_args([str(arg) for arg in argv])


def test_defaults():
    args = _parse("some/run")
    assert args.quant == ("fp32", "fp16", "dynamic", "int8")
    assert (args.mixing, args.representative_samples, args.out, args.data) == ("auto", 200, None, None)
    assert not args.int8_output and not args.zip


def test_int8_with_int8_output_and_zip(run_dir, tmp_path, capsys):
    out_dir = tmp_path / "out"
    args = _parse(
        run_dir,
        "--quant",
        "int8",
        "--int8-output",
        "--zip",
        "--representative-samples",
        "50",
        "--parity-examples",
        "600",
        "--out",
        out_dir,
    )
    assert run(args) == 0
    printed = capsys.readouterr().out
    assert "| int8 | dft |" in printed and f"written to {out_dir}" in printed
    manifest = json.loads((out_dir / "int8" / "bundle.json").read_text(encoding="utf-8"))
    logits = manifest["outputs"]["logits"]
    assert logits["dtype"] == "int8" and logits["shape"] == [1, 2]
    assert logits["quantization"]["scale"] > 0 and -128 <= logits["quantization"]["zero_point"] <= 127
    assert manifest["input"]["dtype"] == "int32"
    assert manifest["parity"]["passed"]
    with zipfile.ZipFile(out_dir / "int8.zip") as archive:
        assert sorted(archive.namelist()) == sorted(
            f"int8/{name}" for name in ("bundle.json", "model.tflite", "vocab.txt", "labels.txt")
        )
    report = json.loads((out_dir / "export_report.json").read_text(encoding="utf-8"))
    assert report["command"].startswith("fnet-keras export ") and "--int8-output" in report["command"]
    # The recorded command reproduces the run: it parses back to the same options.
    assert vars(_parse(*shlex.split(report["command"])[2:])) == vars(args)


def test_unknown_quantization_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as caught:
        _parse("run", "--quant", "fp32,int4")
    assert caught.value.code == 2
    assert "unknown quantization 'int4'" in capsys.readouterr().err


def test_missing_run_dir_exits_2(tmp_path, capsys):
    assert run(_parse(tmp_path / "nope")) == 2
    assert f"{tmp_path / 'nope'}: no such run directory" in capsys.readouterr().err


def test_recorded_data_that_is_gone_exits_2_naming_the_path(run_dir, tmp_path, capsys):
    moved = tmp_path / "run"
    shutil.copytree(run_dir, moved)
    config = json.loads((moved / "config.json").read_text(encoding="utf-8"))
    gone = tmp_path / "elsewhere" / "train.tsv"
    config["data"]["files"]["train"]["path"] = str(gone)
    (moved / "config.json").write_text(json.dumps(config), encoding="utf-8")

    assert run(_parse(moved, "--quant", "fp32", "--out", tmp_path / "out")) == 2
    error = capsys.readouterr().err
    assert str(gone) in error and "--data" in error
    assert not (tmp_path / "out").exists()
    with pytest.raises(ExportError, match="cannot read the run's recorded data"):
        export_run(moved, ("fp32",), out_dir=tmp_path / "out")


def test_missing_data_given_with_data_flag_exits_2(run_dir, tmp_path, capsys):
    missing = tmp_path / "no-such-data"
    assert run(_parse(run_dir, "--quant", "fp32", "--data", missing, "--out", tmp_path / "out")) == 2
    assert str(missing) in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("occupied", ["fp32.zip", "int8"])
def test_targets_the_writer_would_refuse_are_refused_before_any_bundle(run_dir, tmp_path, occupied, capsys):
    # A directory where --zip writes fp32.zip, or a symlink where the int8 bundle goes:
    # the export must stop before converting anything, not after writing fp32.
    out_dir = tmp_path / "bundles"
    out_dir.mkdir()
    if occupied.endswith(".zip"):
        (out_dir / occupied).mkdir()
    else:
        (out_dir / occupied).symlink_to(tmp_path)
    assert run(_parse(run_dir, "--quant", "fp32,int8", "--zip", "--out", out_dir)) == 2
    assert f"{out_dir / occupied}: exists and is not a" in capsys.readouterr().err
    assert sorted(path.name for path in out_dir.iterdir()) == [occupied]


def test_a_config_of_another_format_version_exits_2(run_dir, tmp_path, capsys):
    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    config = json.loads((copy / "config.json").read_text(encoding="utf-8"))
    config["format_version"] = 99
    (copy / "config.json").write_text(json.dumps(config), encoding="utf-8")
    assert run(_parse(copy, "--quant", "fp32", "--out", tmp_path / "out")) == 2
    expected = f"{copy / 'config.json'}: format_version 99 is not one this fnet-keras reads"
    assert expected in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
