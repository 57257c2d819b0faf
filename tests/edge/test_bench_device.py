"""The device description of bench reports: CPU name from /proc/cpuinfo's formats, cores, memory."""

from __future__ import annotations

import os
import platform
from pathlib import Path

import pytest

from fnet_keras.edge import detect_runtime
from fnet_keras.edge.device_info import cpu_model, describe_device, memory_total_bytes

X86_CPUINFO = "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13\nflags\t\t: fpu vme\n"
# Raspberry Pi OS on a 64-bit kernel: no "model name", the board under "Model".
PI_CPUINFO = (
    "processor\t: 0\nBogoMIPS\t: 108.00\nFeatures\t: fp asimd evtstrm crc32 cpuid\n"
    "CPU implementer\t: 0x41\nCPU part\t: 0xd08\n\nRevision\t: c03114\nSerial\t\t: 100000001\n"
    "Model\t\t: Raspberry Pi 4 Model B Rev 1.4\n"
)


def test_cpu_model_from_the_cpuinfo_formats():
    assert cpu_model(X86_CPUINFO, "") == "AMD EPYC 7B13"
    assert cpu_model(PI_CPUINFO, "") == "Raspberry Pi 4 Model B Rev 1.4"
    # An arm64 board whose cpuinfo names nothing: the device tree's model (NUL-terminated there).
    assert cpu_model("processor\t: 0\nCPU part\t: 0xd08\n", "NVIDIA Jetson Nano Developer Kit\x00") == (
        "NVIDIA Jetson Nano Developer Kit"
    )
    assert cpu_model("", "") == (platform.processor() or platform.machine() or "unknown")


def test_memory_total_from_meminfo():
    assert memory_total_bytes("MemTotal:        8049136 kB\nMemFree:  1 kB\n") == 8049136 * 1024
    assert memory_total_bytes("") is None


@pytest.mark.skipif(not Path("/proc/cpuinfo").is_file(), reason="no /proc/cpuinfo on this OS")
def test_this_machine():
    device = describe_device(detect_runtime())
    names = [
        line.split(":", 1)[1].strip()
        for line in Path("/proc/cpuinfo").read_text().splitlines()
        if line.startswith("model name")
    ]
    if names:
        assert device["cpu_model"] == names[0]
    assert device["cpu_count"] == os.cpu_count()
    assert 1 <= device["usable_cpus"] <= device["cpu_count"]
    assert device["runtime"]["name"] in ("ai_edge_litert", "tflite_runtime")
    assert device["memory_total_bytes"] > 2**20
