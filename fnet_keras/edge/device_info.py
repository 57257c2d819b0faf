"""The machine a benchmark ran on, in the words a reader needs to compare figures: CPU, cores, OS, runtime.

Standard library only (plus numpy's version), so it runs wherever the edge runtime does:
Linux desktops and servers, a Raspberry Pi, Android's Python, macOS.
"""

from __future__ import annotations

import os
import platform
import re
from pathlib import Path
from typing import Any

import numpy as np

from fnet_keras.edge.runtime import RuntimeInfo

_CPUINFO = Path("/proc/cpuinfo")
_MEMINFO = Path("/proc/meminfo")
# Boards whose /proc/cpuinfo names no model (64-bit ARM kernels) name it here (Raspberry Pi, Jetson).
_DEVICE_TREE_MODEL = Path("/sys/firmware/devicetree/base/model")
# /proc/cpuinfo keys that name the CPU or board, most specific first (x86: "model name";
# 32-bit ARM: "model name" per core and "Hardware"; Raspberry Pi OS adds "Model").
_CPUINFO_KEYS = ("model name", "Model", "Hardware", "cpu model", "Processor")


def cpu_model(cpuinfo: str | None = None, device_tree_model: str | None = None) -> str:
    """The CPU (or board) name: /proc/cpuinfo, else the device tree, else `platform.processor()`.

    Args:
        cpuinfo: /proc/cpuinfo's text (read from the machine if None).
        device_tree_model: the device tree's model string (read from the machine if None).
    """
    cpuinfo = _read_text(_CPUINFO) if cpuinfo is None else cpuinfo
    fields: dict[str, str] = {}
    for line in cpuinfo.splitlines():
        key, separator, value = line.partition(":")
        if separator and value.strip():
            fields.setdefault(key.strip(), value.strip())
    names = [fields[key] for key in _CPUINFO_KEYS if key in fields]
    if names:
        return names[0]
    model = _read_text(_DEVICE_TREE_MODEL) if device_tree_model is None else device_tree_model
    model = model.strip("\x00 \n")
    return model or platform.processor() or platform.machine() or "unknown"


def usable_cpus() -> int | None:
    """CPUs this process may run on (its affinity mask), or None where the OS does not say."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    counter = getattr(os, "process_cpu_count", None)  # Python 3.13+
    return counter() if counter else None


def memory_total_bytes(meminfo: str | None = None) -> int | None:
    """Physical memory from /proc/meminfo's MemTotal (None where there is no /proc)."""
    return proc_bytes(_MEMINFO, "MemTotal", meminfo)


def proc_bytes(path: Path, key: str, text: str | None = None) -> int | None:
    """The "key:  N kB" line of the /proc file `path` (or of its `text`) in bytes; None without one."""
    match = re.search(rf"^{key}:\s+(\d+)\s*kB", _read_text(path) if text is None else text, re.MULTILINE)
    return int(match.group(1)) * 1024 if match else None


def describe_device(runtime: RuntimeInfo) -> dict[str, Any]:
    """The device section of a benchmark report (see `fnet_keras.edge.bench_result` for the fields)."""
    return {
        "cpu_model": cpu_model(),
        "cpu_count": os.cpu_count(),
        "usable_cpus": usable_cpus(),
        "machine": platform.machine(),
        "system": platform.system(),
        "release": platform.release(),
        "platform": platform.platform(),
        "memory_total_bytes": memory_total_bytes(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "numpy": np.__version__,
        "runtime": runtime.describe(),
    }


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
