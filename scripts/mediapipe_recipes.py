"""Which LiteRT recipes run in MediaPipe Tasks' TextClassifier, and how close each stays to Keras.

    PYTHONPATH=. .venv/bin/python scripts/mediapipe_recipes.py    # about 1 minute on 2 cores

A tiny random FNet classifier (`tiny` preset, 1 block, hidden 32, length 64, 3 classes) is traced
with the MediaPipe layout (`fnet_keras.export.mediapipe_layout`: three named int32 inputs,
softmax probabilities out), converted with each recipe below, given our metadata
(`fnet_keras.edge.tflite_metadata`), and run on the same generated ASCII lower-case texts by
(1) ai_edge_litert, fed by our pure-Python tokenizer, and (2) MediaPipe 0.10.21's Python
`TextClassifier` in its own venv (`make mediapipe-venv`), which tokenizes itself.
Both are compared with the Keras model's probabilities. Writes docs/results/mediapipe_recipes.md
and .json (`--out` to change).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
MEDIAPIPE_PYTHON = REPO_ROOT / ".venv-mediapipe" / "bin" / "python"
WORKER = REPO_ROOT / "tests" / "mediapipe_tasks_worker.py"
DEFAULT_OUT = "docs/results/mediapipe_recipes"
SEQUENCE_LENGTH = 64
LABELS = ["negative", "neutral", "positive"]
WORDS = (
    "the a an movie film plot acting was is not very good great bad awful fine story actors "
    "scene music long short funny boring and but it this that"
).split()
UNKNOWN_WORDS = ["zebra", "quixotic", "xylophone"]
PUNCTUATION = [",", ".", "!", "?"]


@dataclasses.dataclass(frozen=True)
class Recipe:
    """One conversion: a quantization, the FourierMixing method, and options."""

    name: str
    quantization: str  # fp32, fp16, dynamic, int8
    mixing: str  # rfft or dft
    float_ops: tuple[str, ...] = ()  # int8: ops kept in float by selective quantization
    int8_output: bool = False
    div_probe: bool = False  # a softsign (x / (1 + |x|)) before the softmax: an int8 DIV

    @property
    def settings(self) -> str:
        parts = [self.quantization, f"mixing {self.mixing}"]
        if self.quantization == "int8":
            parts.append("TFLITE_BUILTINS_INT8 + TFLITE_BUILTINS, representative dataset")
        parts += [f"{op} denylisted (float)" for op in self.float_ops]
        if self.int8_output:
            parts.append("inference_output_type int8")
        if self.div_probe:
            parts.append("probe graph: softsign before the softmax")
        return ", ".join(parts)


RECIPES = (
    Recipe("fp32", "fp32", "rfft"),
    Recipe("fp16", "fp16", "rfft"),
    Recipe("dynamic", "dynamic", "rfft"),
    Recipe("int8 (a) dft", "int8", "dft"),
    Recipe("int8 (a) dft, float softmax", "int8", "dft", float_ops=("SOFTMAX",)),
    Recipe("int8 (b) rfft", "int8", "rfft"),
    Recipe("int8 (b) rfft, float softmax", "int8", "rfft", float_ops=("SOFTMAX",)),
    Recipe("int8 dft, int8 output", "int8", "dft", int8_output=True),
    Recipe("int8 dft, int8 DIV probe", "int8", "dft", div_probe=True),
)


def generate_texts(count: int, seed: int) -> list[str]:
    """ASCII lower-case texts that both tokenizers split alike; some run past the sequence length."""
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        words = []
        for _ in range(rng.choice([1, 3, 6, 12, 25, 40, 80])):
            pick = rng.random()
            if pick < 0.08:
                words.append(rng.choice(UNKNOWN_WORDS))
            elif pick < 0.2:
                words.append(rng.choice(WORDS) + rng.choice(["s", "ly", "ing"]))
            else:
                words.append(rng.choice(WORDS))
            if rng.random() < 0.1:
                words.append(rng.choice(PUNCTUATION))
        texts.append(" ".join(words))
    return texts


def vocabulary() -> list[str]:
    from fnet_keras.text import SPECIAL_TOKENS

    return [*SPECIAL_TOKENS, *WORDS, *PUNCTUATION, "##s", "##ly", "##ing"]


def build_model():
    import keras

    from fnet_keras.models import TextClassifier

    keras.utils.set_random_seed(0)
    return TextClassifier.from_preset(
        "tiny",
        vocabulary_size=len(vocabulary()),
        num_classes=len(LABELS),
        sequence_length=SEQUENCE_LENGTH,
        num_layers=1,
        hidden_dim=32,
        intermediate_dim=64,
        embedding_dim=32,
        num_heads=2,
        fourier_method="rfft",
    )


def write_div_probe(model, directory: Path) -> Path:
    """The layout's serving function with a softsign (an activation / activation DIV) before the softmax."""
    import keras
    import tensorflow as tf

    from fnet_keras.export import mediapipe_layout as layout

    specs = [tf.TensorSpec([1, SEQUENCE_LENGTH], tf.int32, name=name) for name in layout.INPUT_NAMES]

    @tf.function(input_signature=specs)
    def serve(input_word_ids, input_mask, input_type_ids):
        logits = model(input_word_ids * input_mask * (1 - input_type_ids), training=False)
        return {layout.OUTPUT_NAME: tf.nn.softmax(logits / (1.0 + tf.abs(logits)))}

    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint(layout.SIGNATURE_KEY, serve)
    archive.write_out(str(directory), verbose=False)
    return directory


def convert(saved_model: Path, recipe: Recipe, calibration_ids: np.ndarray) -> bytes:
    import tensorflow as tf

    from fnet_keras.export import mediapipe_layout as layout

    converter = tf.lite.TFLiteConverter.from_saved_model(
        str(saved_model), signature_keys=[layout.SIGNATURE_KEY]
    )
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    if recipe.quantization != "fp32":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if recipe.quantization == "fp16":
        converter.target_spec.supported_types = [tf.float16]
    if recipe.quantization != "int8":
        return converter.convert()
    # INT8 first: ops with an int8 kernel get it; the rest fall back to float builtins.
    converter.target_spec.supported_ops = [
        tf.lite.OpsSet.TFLITE_BUILTINS_INT8,
        tf.lite.OpsSet.TFLITE_BUILTINS,
    ]
    converter.representative_dataset = layout.representative_dataset(calibration_ids)
    if recipe.int8_output:
        converter.inference_output_type = tf.int8
    if not recipe.float_ops:
        return converter.convert()
    # Selective quantization: the denylisted ops stay float (with DEQUANTIZE in front).
    debugger = tf.lite.experimental.QuantizationDebugger(
        converter=converter,
        debug_dataset=layout.representative_dataset(calibration_ids),
        debug_options=tf.lite.experimental.QuantizationDebugOptions(denylisted_ops=list(recipe.float_ops)),
    )
    return debugger.get_nondebug_quantized_model()


def litert_probabilities(model_bytes: bytes, token_ids: np.ndarray, delegates: bool = True) -> np.ndarray:
    """Our runtime's view: ai_edge_litert's signature runner, inputs bound by name.

    `delegates` False: builtin kernels only (no XNNPACK), whose int8 arithmetic differs slightly.
    """
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    from fnet_keras.export import mediapipe_layout as layout

    resolver = OpResolverType.AUTO if delegates else OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
    options = {"experimental_op_resolver_type": resolver}
    interpreter = Interpreter(model_content=model_bytes, num_threads=1, **options)
    runner = interpreter.get_signature_runner(layout.SIGNATURE_KEY)
    output = interpreter.get_output_details()[0]
    scale, zero_point = output["quantization"]
    rows = []
    for row in token_ids:
        raw = runner(**layout.bert_inputs(row))[layout.OUTPUT_NAME][0]
        rows.append((raw.astype(np.float32) - zero_point) * scale if scale else raw.astype(np.float32))
    return np.asarray(rows)


def run_mediapipe(payload: dict) -> dict:
    if not MEDIAPIPE_PYTHON.is_file():
        raise SystemExit(f"MediaPipe's venv is missing ({MEDIAPIPE_PYTHON}): run `make mediapipe-venv`")
    completed = subprocess.run(
        [str(MEDIAPIPE_PYTHON), "-c", WORKER.read_text()],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        env={key: value for key, value in os.environ.items() if key != "PYTHONPATH"},
        timeout=600,
    )
    if completed.returncode != 0:
        raise SystemExit(f"the MediaPipe worker failed:\n{completed.stderr[-3000:]}")
    answer = json.loads(completed.stdout.strip().splitlines()[-1])
    # LiteRT's kernel errors reach only stderr ("ERROR: Div only supports ..."), not the exception.
    answer["stderr_errors"] = list(
        dict.fromkeys(line.strip() for line in completed.stderr.splitlines() if line.startswith("ERROR:"))
    )
    return answer


def measure(work_dir: Path) -> dict:
    import ai_edge_litert
    import keras
    import tensorflow as tf

    from fnet_keras.edge.errors import MetadataError
    from fnet_keras.edge.tflite_metadata import write_classifier_metadata
    from fnet_keras.export import mediapipe_layout as layout
    from fnet_keras.export.errors import ExportError
    from fnet_keras.export.mixing import apply_mixing
    from fnet_keras.export.tflite_ops import float_op_counts, read_ops
    from fnet_keras.text import TokenizerConfig, WordPieceEncoder

    tokens = vocabulary()
    vocabulary_path = work_dir / "vocab.txt"
    vocabulary_path.write_text("".join(token + "\n" for token in tokens), encoding="utf-8")
    encoder = WordPieceEncoder(tokens, TokenizerConfig(sequence_length=SEQUENCE_LENGTH))
    texts = generate_texts(200, seed=1)
    token_ids = np.asarray(encoder.encode_batch(texts), dtype=np.int32)
    calibration_ids = np.asarray(encoder.encode_batch(generate_texts(100, seed=2)), dtype=np.int32)
    model = build_model()
    logits = np.asarray(model(token_ids, training=False))
    keras_probabilities = np.asarray(keras.ops.softmax(logits))
    # The probe's own graph: softmax of the softsign of the logits.
    probe_probabilities = np.asarray(keras.ops.softmax(logits / (1.0 + np.abs(logits))))

    saved: dict[str, Path] = {}
    rows, classify_jobs, write_jobs = [], [], []
    for index, recipe in enumerate(RECIPES):
        key = "div" if recipe.div_probe else recipe.mixing
        if key not in saved:
            apply_mixing(model, recipe.mixing)
            if recipe.div_probe:
                saved[key] = write_div_probe(model, work_dir / "saved-div")
            else:
                saved[key] = layout.write_saved_model(model, SEQUENCE_LENGTH, work_dir / f"saved-{key}")
        started = time.perf_counter()
        tflite = convert(saved[key], recipe, calibration_ids)
        seconds = time.perf_counter() - started
        ops = read_ops(tflite)
        litert = litert_probabilities(tflite, token_ids)
        builtin = litert_probabilities(tflite, token_ids, delegates=False)
        reference = probe_probabilities if recipe.div_probe else keras_probabilities
        try:
            layout.check_mediapipe_ops(ops)
            check = "passes"
        except ExportError as error:
            check = f"refuses ({error.reason})"
        row = {
            "recipe": recipe.name,
            "settings": recipe.settings,
            "size_bytes": len(tflite),
            "convert_seconds": round(seconds, 1),
            "float_ops": float_op_counts(ops) if recipe.quantization == "int8" else {},
            "input_tensors": sorted(layout.converter_tensor_name(name) for name in layout.INPUT_NAMES),
            "check_mediapipe_ops": check,
            "litert_max_abs_dp": float(np.max(np.abs(litert - reference))),
            "litert_builtin_max_abs_dp": float(np.max(np.abs(builtin - reference))),
            "litert_top1_agreement": float(np.mean(litert.argmax(1) == reference.argmax(1))),
        }
        model_path = work_dir / f"recipe-{index}.tflite"
        try:
            model_path.write_bytes(write_classifier_metadata(tflite, tokens, LABELS))
            row["metadata"] = "ours"
        except MetadataError as error:  # ours refuses an int8 output: MediaPipe's own writer then
            row["metadata"] = f"ours refused ({error.reason}); MediaPipe's writer used"
            raw_path = work_dir / f"recipe-{index}-raw.tflite"
            raw_path.write_bytes(tflite)
            write_jobs.append(
                {
                    "model": str(raw_path),
                    "vocabulary": str(vocabulary_path),
                    "labels": LABELS,
                    "out": str(model_path),
                }
            )
        classify_jobs.append({"model": str(model_path), "texts": texts})
        rows.append((row, litert, builtin, reference))
    if write_jobs:
        written = run_mediapipe({"write": write_jobs})["write"]
        for job, answer in zip(write_jobs, written, strict=True):
            if "error" in answer:
                raise SystemExit(f"MediaPipe's writer failed on {job['model']}: {answer['error']}")
    classified = run_mediapipe({"classify": classify_jobs})
    answers = classified["classify"]
    results = []
    for (row, litert, builtin, reference), answer in zip(rows, answers, strict=True):
        if "error" in answer:
            row["mediapipe"] = "refused: " + " ".join(answer["error"].split())[:300]
        else:
            scores = np.asarray(answer["scores"], dtype=np.float64)
            row["mediapipe"] = "runs"
            row["mediapipe_max_abs_dp"] = float(np.max(np.abs(scores - reference)))
            row["mediapipe_vs_litert_max_abs_dp"] = float(np.max(np.abs(scores - litert)))
            row["mediapipe_vs_litert_builtin_max_abs_dp"] = float(np.max(np.abs(scores - builtin)))
            agreement = scores.argmax(1) == reference.argmax(1)
            row["mediapipe_top1_agreement"] = float(np.mean(agreement))
            row["mediapipe_labels"] = answer["labels"]
        results.append(row)
    return {
        "model": "tiny preset, 1 block, hidden 32, intermediate 64, embedding 32, random weights (seed 0)",
        "sequence_length": SEQUENCE_LENGTH,
        "texts": len(texts),
        "versions": {
            "python": platform.python_version(),
            "tensorflow": tf.__version__,
            "keras": keras.__version__,
            "ai_edge_litert": getattr(ai_edge_litert, "__version__", "unknown"),
            "mediapipe": "0.10.21 (.venv-mediapipe)",
        },
        "recipes": results,
        "mediapipe_stderr_errors": classified["stderr_errors"],
    }


def format_markdown(report: dict, command: str) -> str:
    lines = [
        "# LiteRT recipes in MediaPipe Tasks TextClassifier (mediapipe 0.10.21)",
        "",
        f"Command: `{command}`",
        "",
        f"Model: {report['model']}; sequence length {report['sequence_length']}; {report['texts']} generated "
        f"ASCII lower-case texts (some longer than the sequence). Layout: inputs "
        f"{', '.join(report['recipes'][0]['input_tensors'])} "
        f"(int32 [1, {report['sequence_length']}], bound by name), output `probabilities` float32 [1, 3] "
        f"(softmax in the graph), metadata from "
        f"`fnet_keras.edge.tflite_metadata`. |Δp|: the largest absolute difference of any class probability "
        f"on any text; Keras is the model as built (RFFT mixing, float32; for the DIV probe, the probe's "
        f"softmax of the softsign of the logits).",
        "",
        "| recipe | size (bytes, no metadata) | float ops (int8) | ai_edge_litert: max abs Δp vs Keras "
        "(XNNPACK / builtin kernels) | MediaPipe | MediaPipe: max abs Δp vs Keras | MediaPipe vs "
        "ai_edge_litert (XNNPACK / builtin) | MediaPipe top-1 = Keras |",
        "|---|---:|---|---|---|---:|---|---:|",
    ]
    for row in report["recipes"]:
        float_ops = ", ".join(f"{name} x{count}" for name, count in row["float_ops"].items()) or "-"
        runs = row["mediapipe"] == "runs"
        lines.append(
            f"| {row['recipe']} | {row['size_bytes']} | {float_ops} | {row['litert_max_abs_dp']:.1e} / "
            f"{row['litert_builtin_max_abs_dp']:.1e} | {'runs' if runs else 'refused'} | "
            + (
                f"{row['mediapipe_max_abs_dp']:.1e} | {row['mediapipe_vs_litert_max_abs_dp']:.1e} / "
                f"{row['mediapipe_vs_litert_builtin_max_abs_dp']:.1e} | "
                f"{row['mediapipe_top1_agreement']:.3f} |"
                if runs
                else "- | - | - |"
            )
        )
    lines += ["", "Settings and MediaPipe's messages:", ""]
    for row in report["recipes"]:
        lines.append(
            f"- {row['recipe']}: {row['settings']}; metadata {row['metadata']}; "
            f"`check_mediapipe_ops` {row['check_mediapipe_ops']}; MediaPipe {row['mediapipe']}"
        )
    if report["mediapipe_stderr_errors"]:
        lines += ["", "MediaPipe's LiteRT printed (stderr):", ""]
        lines += [f"    {line}" for line in report["mediapipe_stderr_errors"]]
    lines += ["", "Versions: " + ", ".join(f"{key} {value}" for key, value in report["versions"].items()), ""]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=DEFAULT_OUT, help="output path without extension (.md and .json)")
    args = parser.parse_args(argv)
    from fnet_keras.atomic import write_text_atomic

    with tempfile.TemporaryDirectory(prefix="mediapipe-recipes-") as work:
        report = measure(Path(work))
    command = "PYTHONPATH=. .venv/bin/python scripts/mediapipe_recipes.py"
    if args.out != DEFAULT_OUT:
        command += f" --out {args.out}"
    report["command"] = command
    out = REPO_ROOT / args.out if not Path(args.out).is_absolute() else Path(args.out)
    write_text_atomic(out.with_suffix(".json"), json.dumps(report, indent=2) + "\n")
    write_text_atomic(out.with_suffix(".md"), format_markdown(report, command))
    print(format_markdown(report, command))
    return 0


if __name__ == "__main__":
    sys.exit(main())
