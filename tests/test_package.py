"""The top-level package: TF-free import, its lazy names, and Keras finding its classes after any import."""

import subprocess
import sys

import pytest
from import_check import REPO_ROOT, packages_loaded_by


def test_import_fnet_keras_loads_no_tensorflow():
    assert packages_loaded_by("import fnet_keras; fnet_keras.__version__; fnet_keras.load") == []
    assert packages_loaded_by("from fnet_keras.export import *") == []  # __all__ promises nothing TF-side


def test_lazy_names_all_exist():
    import importlib

    import fnet_keras

    for name in fnet_keras._SUBMODULES:
        assert getattr(fnet_keras, name) is importlib.import_module(f"fnet_keras.{name}")
    for name, module in fnet_keras._NAMES.items():
        assert getattr(fnet_keras, name) is getattr(importlib.import_module(module), name)
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        fnet_keras.nope  # noqa: B018 (the access is the test)


@pytest.mark.parametrize(
    "statement",
    [
        "import fnet_keras; import keras",
        "import keras; import fnet_keras",
        "import fnet_keras; import tensorflow",  # TensorFlow asks whether keras exists, then imports it
        "import fnet_keras.models.fnet_backbone",
        "import fnet_keras.layers",
        "import fnet_keras.export.mixing",
        "import fnet_keras.layers.fourier_mixing",
    ],
)
def test_keras_loads_a_run_model_after_any_fnet_keras_import(statement):
    model = REPO_ROOT / "tests" / "fixtures" / "format1" / "run" / "model.keras"
    code = f"{statement}\nimport keras\nprint(type(keras.models.load_model({str(model)!r})).__name__)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd="/", timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "TextClassifier"


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
