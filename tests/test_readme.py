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
