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
