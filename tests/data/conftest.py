"""Fixtures for the data tests: tiny files written byte-exactly into tmp_path."""

from pathlib import Path

import pytest


@pytest.fixture
def write_file(tmp_path):
    """write_file("dir/train.tsv", "text") -> the path; str content is written as UTF-8."""

    def write(name: str, content: str | bytes) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        return path

    return write
