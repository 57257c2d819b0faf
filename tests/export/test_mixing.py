"""The FourierMixing method each target gets, including non-power-of-two sizes."""

import pytest

from fnet_keras.export import ExportError, choose_mixing, export_run, read_ops


@pytest.mark.parametrize(
    ("quantization", "requested", "shape", "expected"),
    [
        ("fp32", "auto", (None, 16, 32), "rfft"),
        ("fp16", "auto", (None, 64, 128), "rfft"),
        ("dynamic", "auto", (None, 64, 128), "rfft"),
        ("int8", "auto", (None, 64, 128), "dft"),
        ("fp32", "auto", (None, 24, 32), "dft"),
        ("fp32", "auto", (None, 16, 48), "dft"),
        ("fp32", "auto", (None, None, 32), "dft"),
        ("int8", "rfft", (None, 16, 32), "rfft"),
        ("fp32", "dft", (None, 16, 32), "dft"),
    ],
)
def test_choose_mixing(quantization, requested, shape, expected):
    assert choose_mixing(quantization, requested, [shape, shape]) == expected


def test_a_model_without_fourier_mixing_records_none():
    assert choose_mixing("fp32", "auto", []) == "none"
    assert choose_mixing("int8", "rfft", []) == "none"


def test_non_power_of_two_sequence_exports_with_dft(odd_run_dir, tmp_path):
    report = export_run(odd_run_dir, quantizations=("fp32", "dynamic"), out_dir=tmp_path)
    assert [mode.mixing for mode in report.modes] == ["dft", "dft"]
    for mode in report.modes:
        names = {op.name for op in read_ops((tmp_path / mode.quantization / "model.tflite").read_bytes())}
        assert "RFFT2D" not in names and "BATCH_MATMUL" in names
        assert mode.outputs == {"logits": {"dtype": "float32", "shape": [1, 3]}}
        assert mode.input["shape"] == [1, 24]
    assert report.mode("fp32").parity.max_abs_logit_diff <= 1e-3


def test_rfft_forced_on_a_non_power_of_two_sequence_is_a_clear_error(odd_run_dir, tmp_path):
    with pytest.raises(ExportError, match=r"cannot use mixing 'rfft'.*power-of-two.*24"):
        export_run(odd_run_dir, quantizations=("fp32",), mixing="rfft", out_dir=tmp_path / "out")
    assert not (tmp_path / "out").exists()
