"""Lazy names for package `__init__` modules: TensorFlow loads on first use, not on import."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def lazy_getattr(package: str, names: dict[str, str]) -> Callable[[str], Any]:
    """A module-level `__getattr__` (PEP 562) that imports `names[name]` and returns its `name`.

    Args:
        package: the package's `__name__`, quoted in the AttributeError.
        names: public name -> the module that defines it.
    """

    def __getattr__(name: str) -> Any:
        if name in names:
            return getattr(importlib.import_module(names[name]), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
