"""The Transformer twin exports to int8 through the parity gate (its padding mask is a bounded bias)."""


def test_trained_transformer_twin_passes_the_int8_parity_gate(tmp_path, keyword_data_dir):
    from support import TINY_SETTINGS

    from fnet_keras.export import export_run
    from fnet_keras.training import TrainSettings, fit

    # Length 32: the keyword texts fill a third of it, so most positions are padding the mask hides.
    settings = TrainSettings(
        **{**TINY_SETTINGS, "sequence_length": 32}, mixing="attention", epochs=5, dropout=0.0, patience=None
    )
    run = fit(keyword_data_dir, tmp_path / "run", settings, verbose=0)
    report = export_run(run.run_dir, ("int8",), out_dir=tmp_path / "bundles", parity_examples=500)
    (mode,) = report.modes
    assert report.passed and mode.parity.agreement >= 0.98, mode.parity
    assert (tmp_path / "bundles" / "int8" / "model.tflite").is_file()
    # Fully quantized: the attention's score matmul and softmax run on int8 tensors.
    assert mode.ops.get("SOFTMAX", 0) >= 2 and mode.ops.get("BATCH_MATMUL", 0) >= 2, mode.ops
    assert "SOFTMAX" not in mode.float_ops and "BATCH_MATMUL" not in mode.float_ops, mode.float_ops
