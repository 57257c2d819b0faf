import pytest

from fnet_keras.training.run_dir import RunDir, RunDirError, write_json


def test_check_new_refuses_used_directories(tmp_path):
    run = RunDir(tmp_path / "run")
    run.check_new()  # missing: fine
    run.path.mkdir()
    run.check_new()  # empty: fine
    (run.path / "notes.txt").write_text("mine")
    with pytest.raises(RunDirError, match="not empty"):
        run.check_new()
    write_json(run.config, {"format_version": 1})
    with pytest.raises(RunDirError, match="unfinished run; pass --resume"):
        run.check_new()
    write_json(run.metrics, {})
    with pytest.raises(RunDirError, match="already holds a finished run"):
        run.check_new()


def test_read_config_errors_name_the_path(tmp_path):
    with pytest.raises(RunDirError, match="no such run directory"):
        RunDir(tmp_path / "absent").read_config()
    with pytest.raises(RunDirError, match="no config.json"):
        RunDir(tmp_path).read_config()
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(RunDirError, match="config.json: cannot read JSON"):
        RunDir(tmp_path).read_config()
