from pathlib import Path

import pytest

from fnet_keras.presets import PRESETS, get_preset, preset_table

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_preset_table_is_current():
    assert preset_table() in README.read_text()


def test_required_presets_and_sizes():
    sizes = {n: (p["num_layers"], p["hidden_dim"], p["intermediate_dim"]) for n, p in PRESETS.items()}
    assert sizes["tiny"] == (2, 128, 512) and sizes["mini"] == (4, 256, 1024)
    assert sizes["small"] == (4, 512, 2048) and sizes["medium"] == (8, 512, 2048)
    assert sizes["base"] == (12, 768, 3072) and sizes["large"] == (24, 1024, 4096)
    for p in PRESETS.values():
        assert p["hidden_dim"] % p["num_heads"] == 0


def test_get_preset_returns_a_copy():
    get_preset("tiny")["num_layers"] = 99
    assert PRESETS["tiny"]["num_layers"] == 2
    with pytest.raises(ValueError, match="known presets: tiny"):
        get_preset("nope")
