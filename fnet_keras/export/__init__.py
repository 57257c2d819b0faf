"""LiteRT export: recipes (fp32, fp16, dynamic, int8), builtin ops only, parity gate, bundles.

    from fnet_keras.export import export_run
    report = export_run("runs/sst2/mini-fourier", quantizations=("fp32", "fp16", "dynamic", "int8"))
    print(report)

Command line: `fnet-keras export RUN_DIR --quant fp32,int8` (`fnet_keras.export.cli`).
Importing this package is cheap; TensorFlow loads when an export runs.
"""

from fnet_keras.lazy import lazy_getattr

_LAZY = {
    "export_run": "fnet_keras.export.pipeline",
    "export_model": "fnet_keras.export.pipeline",
    "load_model": "fnet_keras.export.pipeline",
    "load_run": "fnet_keras.export.run_source",
    "RunSource": "fnet_keras.export.run_source",
    "prepare_inputs": "fnet_keras.export.inputs",
    "ExportInputs": "fnet_keras.export.inputs",
    "ExportReport": "fnet_keras.export.report",
    "ModeReport": "fnet_keras.export.mode_report",
    "ParityResult": "fnet_keras.export.parity",
    "PARITY_THRESHOLDS": "fnet_keras.export.parity",
    "compare_logits": "fnet_keras.export.parity",
    "QUANTIZATIONS": "fnet_keras.export.convert",
    "convert_saved_model": "fnet_keras.export.convert",
    "write_saved_model": "fnet_keras.export.convert",
    "choose_mixing": "fnet_keras.export.mixing",
    "read_ops": "fnet_keras.export.tflite_ops",
    "op_counts": "fnet_keras.export.tflite_ops",
    "float_op_counts": "fnet_keras.export.tflite_ops",
    "check_builtin_only": "fnet_keras.export.tflite_ops",
    "ExportError": "fnet_keras.export.errors",
    "ParityGateError": "fnet_keras.export.errors",
    "UnsupportedOpsError": "fnet_keras.export.errors",
}


__getattr__ = lazy_getattr(__name__, _LAZY)


__all__ = sorted(_LAZY)
