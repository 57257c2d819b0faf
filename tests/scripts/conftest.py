"""The scripts' helper modules (`scripts/op_profile.py`, ...) import by name, as the scripts import them."""

import sys
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
if str(SCRIPTS) not in sys.path:
    sys.path.insert(0, str(SCRIPTS))
