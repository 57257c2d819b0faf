"""Relative error of each FourierMixing method against numpy's float64 FFT.

Writes docs/results/mixing_error.md and prints the table. Run: python scripts/measure_mixing_error.py
"""

import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

from fnet_keras.layers import FourierMixing  # noqa: E402
from fnet_keras.layers.fourier_mixing import is_power_of_two  # noqa: E402

SHAPES = [(3, 37, 24), (2, 100, 96), (1, 128, 256), (1, 512, 64), (1, 1024, 256)]


def main() -> int:
    rows = ["| shape (batch, seq, hidden) | fft | dft | rfft |", "|---|---|---|---|"]
    rng = np.random.default_rng(0)
    for shape in SHAPES:
        x = rng.standard_normal(shape).astype("float32")
        ref = np.fft.fft2(x.astype(np.float64), norm="ortho").real
        cells = []
        for method in ("fft", "dft", "rfft"):
            if method == "rfft" and not (is_power_of_two(shape[1]) and is_power_of_two(shape[2])):
                cells.append("ValueError (not a power of two)")
                continue
            y = np.asarray(FourierMixing(method)(x), np.float64)  # the default, orthonormal
            cells.append(f"{np.abs(y - ref).max() / np.abs(ref).max():.1e}")
        rows.append(f"| {shape} | " + " | ".join(cells) + " |")
    table = "\n".join(rows)
    out = Path(__file__).resolve().parents[1] / "docs" / "results" / "mixing_error.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    tmp.write_text(f"# FourierMixing error\n\nCommand: `python scripts/measure_mixing_error.py`\n\n{table}\n")
    os.replace(tmp, out)
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
