"""The README's Python example runs as written."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_example_runs():
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert blocks, "README has no ```python block"
    assert len(blocks[0].strip().splitlines()) <= 12
    namespace = {}
    exec(compile(blocks[0], str(README), "exec"), namespace)
    assert namespace["model"].count_params() > 0
    assert namespace["mixer"].output_shape == (None, 128, 2)


def test_readme_test_section_is_make_test():
    text = README.read_text()
    section = text.split("## Test", 1)[1]
    assert re.search(r"```bash\nmake test\n```", section)


def test_every_out_folder_the_readme_writes_is_git_ignored():
    import shutil
    import subprocess

    if shutil.which("git") is None or not (README.parent / ".git").exists():
        import pytest

        pytest.skip("not a git checkout")
    outs = sorted(set(re.findall(r"--out ((?:runs|bundles)/[\w./-]*)", README.read_text())))
    assert "bundles/" in outs  # the README's own export folder
    for out in outs:
        probe = out.rstrip("/") + "/int8/model.tflite"
        ignored = subprocess.run(["git", "check-ignore", "-q", probe], cwd=README.parent)
        assert ignored.returncode == 0, f"{out} (written by a README command) is not in .gitignore"
