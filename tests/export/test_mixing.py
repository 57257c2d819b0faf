"""The recipes each mode tries, and a non-power-of-two sequence (the DFT path)."""

import pytest

from fnet_keras.edge.model_ops import read_ops
from fnet_keras.export import ExportError, Recipe, candidates


@pytest.mark.parametrize(
    ("mode", "requested", "rfft_possible", "expected"),
    [
        ("fp32", "auto", True, ["fp32-rfft"]),
        ("fp16", "auto", True, ["fp16-rfft"]),
        ("dynamic", "auto", True, ["dynamic-rfft"]),
        ("int8", "auto", True, ["int8-rfft", "int8-dft"]),
        ("int8", "auto", False, ["int8-dft"]),
        ("fp32", "auto", False, ["fp32-dft"]),
        ("int8", "rfft", True, ["int8-rfft"]),
        ("fp32", "dft", True, ["fp32-dft"]),
        ("fp32", "auto", None, ["fp32"]),  # a model without Fourier mixing
        ("int8", "dft", None, ["int8"]),
    ],
)
def test_candidates(mode, requested, rfft_possible, expected):
    assert [recipe.name for recipe in candidates(mode, requested, rfft_possible)] == expected


def test_rfft_at_a_non_power_of_two_size_is_refused_before_converting():
    with pytest.raises(ExportError, match="fourier_method 'rfft' needs power-of-two"):
        candidates("fp32", "rfft", False)
    assert Recipe("int8", "rfft").description.endswith("float RFFT2D island between DEQUANTIZE and QUANTIZE")


def test_non_power_of_two_sequence_exports_with_dft(odd_run_dir, tmp_path):
    from fnet_keras.export.exporter import export_run

    report = export_run(odd_run_dir, ("fp32", "int8"), out_dir=tmp_path / "out", parity_examples=500)
    assert [mode.recipe for mode in report.modes] == ["fp32-dft", "int8-dft"]
    for mode in report.modes:
        names = {op.name for op in read_ops((tmp_path / "out" / mode.mode / "model.tflite").read_bytes())}
        # The DFT's two matmuls have constant right-hand sides: FULLY_CONNECTED, no BATCH_MATMUL.
        assert "RFFT2D" not in names and "BATCH_MATMUL" not in names and "TRANSPOSE" in names
    assert report.mode("fp32").parity.max_abs_probability_diff <= 1e-4
    with pytest.raises(ExportError, match="fourier_method 'rfft' needs power-of-two"):
        export_run(odd_run_dir, ("fp32",), fourier_method="rfft", out_dir=tmp_path / "x", parity_examples=500)
    assert not (tmp_path / "x").exists()
