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


def _bash_lines():
    """Every command line of the README's ```bash blocks (comments cut)."""
    for block in re.findall(r"```bash\n(.*?)```", README.read_text(), flags=re.S):
        for line in block.splitlines():
            line = re.sub(r"\s+#.*$", "", line).strip()
            if line and not line.startswith("#"):
                yield line


def test_every_readme_command_parses_and_every_make_target_exists():
    """Each `fnet-keras ...` line parses with today's flags; each `make X` is a Makefile target; each script
    and file a line names exists (the slow ones are run by their own tests and by hand)."""
    import shlex

    from fnet_keras.cli import parse_args

    makefile = (README.parent / "Makefile").read_text()
    checked = 0
    for line in _bash_lines():
        for command in re.split(r"\s*(?:&&|\|\|?)\s*", line):
            words = shlex.split(command)
            if words and words[0] == "fnet-keras":
                parse_args(words[1:])  # argparse exits on an unknown flag or a bad choice
                checked += 1
            elif words and words[0] == "make":
                target = next((word for word in words[1:] if "=" not in word), "test")
                assert re.search(rf"^{re.escape(target)}:", makefile, flags=re.M), f"no make target {target}"
            elif words and words[0] in ("python", "python3") and len(words) > 1:
                assert (README.parent / words[1]).is_file(), f"{words[1]} (README: {line})"
    assert checked >= 15


def test_the_readme_demo_accuracy_is_what_its_command_prints():
    """The demo bundle's quoted test accuracy, by the evaluate command the README shows beside it."""
    import json

    from support import run_cli, shared_data

    shared_data("sst2", "test.tsv")
    text = README.read_text()
    command = re.search(r"`fnet-keras evaluate (fnet_keras/demo/\S+) --data (\S+)`", text)
    assert command, "the README shows no evaluate command for the demo bundle"
    quoted = re.search(r"ships a demo bundle.{0,300}?([0-9]{2}\.[0-9]{2})% test accuracy", text, flags=re.S)
    assert quoted, "the README quotes no demo accuracy"
    completed = run_cli("evaluate", command.group(1), "--data", command.group(2), "--json")
    assert completed.returncode == 0, completed.stderr
    assert f"{100 * json.loads(completed.stdout)['accuracy']:.2f}" == quoted.group(1)
