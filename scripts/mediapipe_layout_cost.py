"""What the MediaPipe layout costs at inference: three inputs and a softmax against one input and logits.

    PYTHONPATH=. .venv/bin/python scripts/mediapipe_layout_cost.py    # about 2 minutes on 2 cores

One random `mini` FNet (4 blocks, hidden 256, RFFT mixing, vocabulary 8,000, 2 classes) is traced
twice at each length, with today's serving function (`token_ids` in, `logits` out;
`fnet_keras.export.convert`) and with the MediaPipe layout (`input_word_ids`, `input_mask`,
`input_type_ids` in, `probabilities` out; `fnet_keras.export.mediapipe_layout`), converted fp32
with the same settings, and timed in ai_edge_litert (1 thread, batch 1, invoke only, the two
models interleaved in rounds). Writes docs/results/mediapipe_layout_cost.md.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
OUT = REPO_ROOT / "docs" / "results" / "mediapipe_layout_cost.md"
LENGTHS = (128, 512)
ROUNDS, RUNS_PER_ROUND = 20, 25


def convert_both(model, length: int, directory: Path) -> dict[str, bytes]:
    from fnet_keras.export import mediapipe_layout
    from fnet_keras.export.convert import convert_saved_model, write_saved_model

    single = write_saved_model(model, length, directory / f"single-{length}")
    layout = mediapipe_layout.write_saved_model(model, length, directory / f"layout-{length}")
    return {
        "token_ids -> logits": convert_saved_model(single, "fp32"),
        "layout": convert_saved_model(layout, "fp32"),
    }


def time_models(models: dict[str, bytes], token_ids: np.ndarray) -> dict[str, float]:
    """Median invoke time (ms) of each model, interleaved round by round."""
    from ai_edge_litert.interpreter import Interpreter

    from fnet_keras.export import mediapipe_layout

    feeds = {}
    for name, model_bytes in models.items():
        interpreter = Interpreter(model_content=model_bytes, num_threads=1)
        interpreter.allocate_tensors()
        by_name = {detail["name"]: detail["index"] for detail in interpreter.get_input_details()}
        if len(by_name) == 1:
            values = {next(iter(by_name.values())): token_ids[None, :]}
        else:
            values = {
                by_name[mediapipe_layout.converter_tensor_name(key)]: value
                for key, value in mediapipe_layout.bert_inputs(token_ids).items()
            }
        feeds[name] = (interpreter, values)
    samples: dict[str, list[float]] = {name: [] for name in models}
    for _ in range(ROUNDS):
        for name, (interpreter, values) in feeds.items():
            for index, value in values.items():
                interpreter.set_tensor(index, value)
            interpreter.invoke()  # warm
            for _ in range(RUNS_PER_ROUND):
                started = time.perf_counter()
                interpreter.invoke()
                samples[name].append(time.perf_counter() - started)
    return {name: 1000 * float(np.median(times)) for name, times in samples.items()}


def main() -> int:
    import keras

    from fnet_keras.atomic import write_text_atomic
    from fnet_keras.models import TextClassifier

    rows = []
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="layout-cost-") as directory:
        for length in LENGTHS:
            keras.utils.set_random_seed(0)
            model = TextClassifier.from_preset(
                "mini", vocabulary_size=8000, num_classes=2, sequence_length=length, fourier_method="rfft"
            )
            models = convert_both(model, length, Path(directory))
            rng = np.random.default_rng(0)
            token_ids = rng.integers(5, 8000, size=length).astype(np.int32)
            token_ids[0], token_ids[length // 2], token_ids[length // 2 + 1 :] = 2, 3, 0
            medians = time_models(models, token_ids)
            single, layout = medians["token_ids -> logits"], medians["layout"]
            rows.append(f"| {length} | {single:.3f} | {layout:.3f} | {layout / single:.3f} |")
    load_after = os.getloadavg()[0]
    command = "PYTHONPATH=. .venv/bin/python scripts/mediapipe_layout_cost.py"
    text = "\n".join(
        [
            "# Cost of the MediaPipe layout (three int32 inputs, softmax in the graph)",
            "",
            f"Command: `{command}`",
            "",
            "`mini` FNet (4 blocks, hidden 256, RFFT mixing, random weights), fp32, ai_edge_litert, "
            f"1 thread, batch 1, median of {ROUNDS} x {RUNS_PER_ROUND} invokes per model, the models "
            "interleaved round by round. The layout adds MUL x2 and SUB x1 on int32 `[1, seq]` and a "
            "SOFTMAX on `[1, 2]`.",
            "",
            "| sequence length | token_ids -> logits (ms) | MediaPipe layout (ms) | ratio |",
            "|---:|---:|---:|---:|",
            *rows,
            "",
            f"Machine load (1-minute average) {load_before:.1f} before and {load_after:.1f} after, on "
            f"{os.cpu_count()} cores: with other work running, absolute times are inflated; the ratio is "
            f"the result.",
            "",
        ]
    )
    write_text_atomic(OUT, text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
