"""Where an int8 export loses accuracy: per-tensor error of a run's int8 recipe, layer by layer.

    python scripts/quantization_debug.py runs/pareto-sst2/tiny-fnet --fourier-method rfft

Converts the run as the exporter does (`fnet_keras.export.convert`), calibrated on training texts,
and runs TensorFlow Lite's `QuantizationDebugger` on dev texts: for each quantized op output it
compares the int8 tensor with the float model's, and reports the signal-to-noise ratio
(10 log10(mean x^2 / mean error^2)) and the quantization scale against the tensor's range, as
ai-edge-quantizer's validator does. The worst tensors are where a recipe has to change.
Writes docs/results/quantization-debug-<run>.md (or --out).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("--fourier-method", default="rfft", choices=("rfft", "dft"))
    parser.add_argument("--calibration", type=int, default=500, help="training texts to calibrate on")
    parser.add_argument("--texts", type=int, default=1000, help="dev texts to compare on")
    parser.add_argument("--keep-float", type=int, default=3,
                        help="also measure the model with the N worst op outputs kept in float (selective "
                        "quantization): top-label agreement with the float model on the dev texts")
    parser.add_argument("--out", type=Path)
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    import tensorflow as tf

    from fnet_keras.atomic import write_text_atomic
    from fnet_keras.data import load_dataset_from_info
    from fnet_keras.export import mediapipe_layout
    from fnet_keras.export.convert import write_saved_model
    from fnet_keras.export.recipes import Recipe
    from fnet_keras.report_tables import markdown_table
    from fnet_keras.text.tf_tokenizer import make_tf_tokenizer
    from fnet_keras.training.input_pipeline import encode_texts
    from fnet_keras.training.run_dir import RunDir

    run = RunDir(args.run).load()
    dataset = load_dataset_from_info(run.data_info)
    tokenizer = make_tf_tokenizer(run.vocabulary, run.tokenizer_config)
    rng = np.random.default_rng(0)
    calibration = encode_texts(tokenizer, [dataset.train.texts[i] for i in
                                           rng.permutation(len(dataset.train))[: args.calibration]])
    compare = encode_texts(tokenizer, [dataset.dev.texts[i] for i in
                                       rng.permutation(len(dataset.dev))[: args.texts]])
    recipe = Recipe("int8", args.fourier_method)
    workdir = args.run / ".quantization-debug"
    saved = write_saved_model(run.load_model(), run.sequence_length, recipe, workdir)
    converter = tf.lite.TFLiteConverter.from_saved_model(str(saved),
                                                         signature_keys=[mediapipe_layout.SIGNATURE_KEY])
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8,
                                           tf.lite.OpsSet.TFLITE_BUILTINS]
    converter.representative_dataset = mediapipe_layout.representative_dataset(calibration)
    from ai_edge_litert.interpreter import Interpreter

    from fnet_keras.edge.tflite_metadata import converter_tensor_name

    # The debugger feeds a list per sample in the interpreter's input order, not a dict by name.
    order = [detail["name"] for detail in Interpreter(model_content=converter.convert()).get_input_details()]

    def debug_dataset():
        for sample in mediapipe_layout.representative_dataset(compare)():
            named = {converter_tensor_name(key): value for key, value in sample.items()}
            yield [named[name] for name in order]

    debugger = tf.lite.experimental.QuantizationDebugger(converter=converter, debug_dataset=debug_dataset)
    debugger.run()
    import csv
    import io

    buffer = io.StringIO()
    debugger.layer_statistics_dump(buffer)
    rows = list(csv.DictReader(io.StringIO(buffer.getvalue())))
    table = []
    for row in rows:
        mse = float(row["mean_squared_error"])
        scale = float(row["scale"])
        # Error power against the noise a uniform int8 grid adds (scale^2 / 12): a ratio far above 1
        # means clipping or a scale that the tensor's values do not fill.
        table.append((row["tensor_name"], row["op_name"], mse, scale, mse / (scale * scale / 12 + 1e-30),
                      float(row["max_abs_error"])))
    table.sort(key=lambda entry: -entry[2])
    lines = [f"# int8-{args.fourier_method} of {args.run.name}: per-tensor error", "",
             f"`python scripts/quantization_debug.py {args.run} --fourier-method {args.fourier_method}`", "",
             f"Calibrated on {len(calibration)} training texts, compared on {len(compare)} dev texts. "
             "Sorted by "
             "mean squared error of the int8 output against the float op's on the same int8 inputs "
             "(TensorFlow Lite's QuantizationDebugger); `MSE / (scale²/12)` near 1 is the grid's own "
             "rounding, far above 1 is clipping or a range the scale does not fit.", ""]
    lines += markdown_table(["tensor", "op", "MSE", "scale", "MSE / (scale²/12)", "max abs error"],
                            [[name, op, f"{mse:.3g}", f"{scale:.3g}", f"{ratio:.1f}", f"{worst:.3g}"]
                             for name, op, mse, scale, ratio, worst in table[:25]])
    lines += ["", "Top-label agreement with the Keras model on the same dev texts, and the largest "
              "probability difference, as more of the worst op outputs stay float (the debugger's selective "
              "quantization, `denylisted_nodes`):", ""]
    reference = run.load_model().predict(compare, verbose=0)
    reference = np.exp(reference - reference.max(1, keepdims=True))
    reference /= reference.sum(1, keepdims=True)
    agreement = []
    for keep in range(args.keep_float + 1):
        debugger.options = tf.lite.experimental.QuantizationDebugOptions(
            denylisted_nodes=[entry[0] for entry in table[:keep]])
        interpreter = Interpreter(model_content=debugger.get_debug_quantized_model())
        runner = interpreter.get_signature_runner()
        got = np.concatenate([list(runner(**mediapipe_layout.bert_inputs(row)).values())[0]
                              for row in compare])
        agreement.append([str(keep), ", ".join(entry[0].split("/")[-2] + "/" + entry[0].split("/")[-1]
                                                for entry in table[:keep]) or "-",
                          f"{np.mean(got.argmax(1) == reference.argmax(1)):.3f}",
                          f"{np.abs(got - reference).max():.3f}"])
    lines += markdown_table(["kept float", "which", "agreement", "max |Δp|"], agreement)
    name = f"quantization-debug-{args.run.name}-{args.fourier_method}.md"
    out = args.out or ROOT / "docs" / "results" / name
    write_text_atomic(out, "\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
