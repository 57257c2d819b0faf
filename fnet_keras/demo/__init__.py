"""The demo bundle that ships with the package: a small FNet trained on SST-2, int8, MediaPipe-ready.

`fnet-keras classify "a gorgeous, witty film"` and `fnet-keras bench` use it when no model is
given, so the package answers right after install, offline. `make demo-model` makes it.
"""

from __future__ import annotations

from pathlib import Path

from fnet_keras.errors import LocatedError

DEMO_BUNDLE = Path(__file__).resolve().parent / "sst2"


class DemoBundleMissing(LocatedError):
    """The demo bundle is not in this install."""


def demo_bundle_path() -> Path:
    """The demo bundle's directory; an error naming it when it is not installed."""
    if not (DEMO_BUNDLE / "bundle.json").is_file():
        raise DemoBundleMissing(
            "no demo bundle in this install (make demo-model builds it); give a bundle or run directory",
            DEMO_BUNDLE,
        )
    return DEMO_BUNDLE
