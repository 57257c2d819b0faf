"""fnet_keras.atomic: a killed write never leaves half a file under the final name."""

import pytest

from fnet_keras.atomic import atomic_output
from fnet_keras.training.run_dir import read_json, write_json


def test_atomic_output_keeps_the_old_file_on_failure(tmp_path):
    path = tmp_path / "history.json"
    write_json(path, {"epoch": 1})
    with pytest.raises(RuntimeError):
        with atomic_output(path) as temp:
            temp.write_text("half written")
            raise RuntimeError("killed")
    assert read_json(path) == {"epoch": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["history.json"]  # no temp file left


def test_an_installed_directory_gets_the_umask_mode_not_mkdtemps(tmp_path):
    import os
    import stat
    import tempfile

    from fnet_keras.atomic import install_directory

    previous = os.umask(0o022)
    try:
        for out in (tmp_path / "new", tmp_path / "new"):  # created, then replaced
            staging = tempfile.mkdtemp(dir=tmp_path, prefix=".new.", suffix=".tmp")  # drwx------
            install_directory(staging, out)
            assert stat.S_IMODE(out.stat().st_mode) == 0o755
    finally:
        os.umask(previous)
    assert [p.name for p in tmp_path.iterdir()] == ["new"]
