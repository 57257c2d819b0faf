"""Hand-edited latency profiles: a real `fnet-keras bench` result over real bundles, its medians replaced."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from support import TINY_SETTINGS

# The session run's settings (tests/conftest.py `trained_run`) beyond the grid's coordinates.
SETTINGS = {
    **{key: value for key, value in TINY_SETTINGS.items() if key not in ("preset", "sequence_length")},
    "epochs": 5,
    "dropout": 0.0,
    "patience": None,
}


def write_profile(bench: dict, path: Path, p50_ms: dict[str, tuple[float, float | None]]) -> Path:
    """Writes `bench` (a BenchmarkResult document) to `path` with each model's medians replaced.

    Args:
        bench: the document (`BenchmarkResult.to_dict()`); not changed.
        path: the JSON file to write.
        p50_ms: model path (as benchmarked) -> (inference p50, end-to-end p50 or None), in ms.
    """
    data = copy.deepcopy(bench)
    names = {model["path"]: model["name"] for model in data["models"]}
    for model_path, (model_ms, end_to_end_ms) in p50_ms.items():
        for cell in data["cells"]:
            if cell["model"] == names[str(model_path)]:
                cell["inference_p50"] = 1000 * model_ms
                if end_to_end_ms is not None:
                    cell["end_to_end"]["total"]["p50"] = 1000 * end_to_end_ms
    path.write_text(json.dumps(data), encoding="utf-8")
    return path
