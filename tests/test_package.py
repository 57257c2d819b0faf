

import pytest
from import_check import packages_loaded_by


def test_import_fnet_keras_loads_no_tensorflow():
    assert packages_loaded_by("import fnet_keras; fnet_keras.__version__") == []


def test_lazy_submodules_all_exist():
    import importlib

    import fnet_keras

    for name in fnet_keras._LAZY_SUBMODULES:
        assert getattr(fnet_keras, name) is importlib.import_module(f"fnet_keras.{name}")
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        fnet_keras.nope  # noqa: B018 (the access is the test)


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
