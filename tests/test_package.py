import subprocess
import sys


def test_import_fnet_keras_loads_no_tensorflow():
    code = (
        "import sys, fnet_keras; "
        "bad = [m for m in ('tensorflow', 'keras', 'keras_hub') if m in sys.modules]; "
        "print(fnet_keras.__version__, bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_atomic_writes_keep_umask_permissions(tmp_path):
    import os

    from fnet_keras.atomic import default_mode, write_text_atomic
    from fnet_keras.data import LabelMap
    from fnet_keras.text.vocabulary import SPECIAL_TOKENS, save_vocabulary

    write_text_atomic(tmp_path / "a.txt", "x")
    save_vocabulary([*SPECIAL_TOKENS, "a"], tmp_path / "vocab.txt")
    LabelMap.from_labels(["0", "1"]).save(tmp_path / "labels.txt")
    for name in ("a.txt", "vocab.txt", "labels.txt"):
        assert (os.stat(tmp_path / name).st_mode & 0o777) == default_mode()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "labels.txt", "vocab.txt"]
