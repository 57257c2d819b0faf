"""`fnet-keras pretrain` arguments (for the lead's CLI): parsing, a run, a resume, errors."""

import argparse
import json

import pytest
from import_check import packages_loaded_by
from pretrain_text import cycle_documents, write_text

from fnet_keras.training import pretrain_cli


def parse(arguments):
    parser = argparse.ArgumentParser(prog="fnet-keras pretrain")
    pretrain_cli.add_arguments(parser)
    return parser.parse_args(arguments)


def test_steps_and_hours_exclude_each_other(capsys):
    with pytest.raises(SystemExit) as exit_info:
        parse(["--text", "a.txt", "--out", "pre", "--steps", "5", "--hours", "1"])
    assert exit_info.value.code == 2 and "not allowed with argument" in capsys.readouterr().err


def test_arguments_become_settings():
    args = parse(["--text", "a.txt", "b", "--out", "pre", "--hours", "0.5", "--preset", "tiny", "--mixing",
                  "hybrid", "--no-strip-accents", "--backbone-override", "hidden_dim=64", "--log-every", "7"])
    assert args.text == ["a.txt", "b"]
    assert pretrain_cli.settings_from_args(args) == {
        "preset": "tiny", "mixing": "hybrid", "hours": 0.5, "log_every": 7,
        "tokenizer": {"strip_accents": False}, "backbone_overrides": {"hidden_dim": 64},
    }


def test_a_run_and_its_resume(tmp_path, capsys):
    text = write_text(tmp_path / "text.txt", cycle_documents(60, seed=4))
    out = tmp_path / "pre"
    arguments = ["--text", str(text), "--out", str(out), "--steps", "3", "--preset", "tiny", "--quiet",
                 "--sequence-length", "16", "--vocabulary-size", "100", "--batch-size", "8", "--no-lowercase",
                 "--backbone-override", "num_layers=1", "--backbone-override", "hidden_dim=32"]
    assert pretrain_cli.run(parse(arguments)) == 0
    printed = capsys.readouterr()
    assert f"pre-training directory: {out}" in printed.out and "3 steps in" in printed.out
    assert printed.err == ""  # --quiet
    config = json.loads((out / "config.json").read_text())
    assert config["settings"]["tokenizer"] == {"lowercase": False}
    assert config["tokenizer"]["lowercase"] is False
    assert config["backbone"]["hidden_dim"] == 32
    # --resume on a finished run reports it without training; other settings are refused.
    assert pretrain_cli.run(parse(["--out", str(out), "--resume", "--quiet"])) == 0
    assert "3 steps in" in capsys.readouterr().out
    with pytest.raises(ValueError, match="steps: 4 != 3"):
        pretrain_cli.run(parse(["--out", str(out), "--resume", "--steps", "4"]))
    with pytest.raises(ValueError, match="--text is required"):
        pretrain_cli.run(parse(["--out", str(tmp_path / "new"), "--steps", "4"]))


def test_the_cli_module_loads_no_tensorflow():
    statements = "from fnet_keras.training import pretrain_cli, pretrain_settings, pretrain_dir"
    assert packages_loaded_by(statements) == []
