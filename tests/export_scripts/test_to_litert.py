"""export/to_litert.py, the top-level conversion script, run as users run it from a checkout."""

import json
import stat
import subprocess
import sys

from support import REPO_ROOT

from fnet_keras.atomic import default_mode


def test_to_litert_exports_a_run_like_fnet_keras_export(trained_run, tmp_path):
    out = tmp_path / "bundles"
    completed = subprocess.run(
        [
            sys.executable,
            "export/to_litert.py",
            str(trained_run.run_dir),
            "--quant",
            "fp32",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=600,
    )
    assert completed.returncode == 0, completed.stderr
    assert "| fp32 | fp32-rfft |" in completed.stdout
    # --out and everything in it get the umask's modes (the subprocess inherits ours), not mkdtemp's 0700.
    for path in (out, out / "fp32", out / "fp32" / "model.tflite", out / "export_report.md"):
        assert stat.S_IMODE(path.stat().st_mode) == default_mode(directory=path.is_dir()), path
    manifest = json.loads((out / "fp32" / "bundle.json").read_text())
    assert manifest["quantization"]["mode"] == "fp32" and manifest["parity"]["passed"]
    helped = subprocess.run(
        [sys.executable, "export/to_litert.py", "--help"], capture_output=True, text=True, cwd=REPO_ROOT
    )
    assert helped.returncode == 0 and "--fourier-method" in helped.stdout


def test_the_scripts_folder_is_not_an_importable_package():
    assert not (REPO_ROOT / "export" / "__init__.py").exists()
