"""The parity gate: thresholds, and a model changed after its reference leaves no bundle."""

import numpy as np
import pytest

from fnet_keras.export import (
    ExportError,
    ParityGateError,
    compare_logits,
    export_model,
    export_run,
    load_model,
    load_run,
    prepare_inputs,
)


def test_thresholds_per_quantization():
    reference = np.array([[1.0, -1.0], [-2.0, 2.0], [0.5, 0.0]] * 100, np.float32)
    assert compare_logits(reference + 5e-4, reference, "fp32").passed
    assert not compare_logits(reference + 2e-3, reference, "fp32").passed
    assert compare_logits(reference + 2e-2, reference, "fp16").passed
    assert not compare_logits(reference + 8e-2, reference, "fp16").passed
    assert compare_logits(reference + 0.3, reference, "int8").passed  # int8 gates decisions only
    flipped = reference.copy()
    flipped[:9] = flipped[:9, ::-1]  # 9 of 300 flipped: 97% agreement
    result = compare_logits(flipped, reference, "dynamic")
    assert result.argmax_agreement == pytest.approx(0.97) and not result.passed
    nan = reference.copy()
    nan[0, 0] = np.nan
    assert not compare_logits(nan, reference, "int8").passed


def test_a_model_changed_after_its_reference_fails_the_gate_and_writes_nothing(run_dir, tmp_path):
    source = load_run(run_dir)
    model = load_model(run_dir)
    inputs = prepare_inputs(model, source)
    # Break the model being converted: the exported logits no longer follow the reference.
    kernel = model.get_layer("logits").kernel
    kernel.assign(kernel.numpy() * -1.0)
    out_dir = tmp_path / "bundles"
    with pytest.raises(ParityGateError) as caught:
        export_model(model, source, inputs, ("fp32", "int8"), out_dir)
    message = str(caught.value)
    assert "parity gate failed for fp32, int8" in message and "no bundle was written" in message
    assert "| fp32 |" in message and "FAIL" in message
    assert caught.value.exit_code == 1
    assert not caught.value.report.passed
    assert not out_dir.exists()


def test_too_few_parity_examples_is_refused(run_dir, tmp_path):
    with pytest.raises(ExportError, match="parity_examples must be an integer >= 500"):
        export_run(run_dir, ("fp32",), out_dir=tmp_path, parity_examples=100)
