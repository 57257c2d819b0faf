"""The candidates of a latency budget: preset x model kind x sequence length, each a run directory. No TF."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from fnet_keras.budget.errors import BudgetError
from fnet_keras.presets import CANDIDATE_KINDS, PRESETS, ModelKind
from fnet_keras.training.settings import TrainSettings

MODEL_KINDS = CANDIDATE_KINDS  # the `--kinds` choices
# Settings that the candidate grid sets: given ones would contradict a candidate's name.
GRID_SETTINGS = ("preset", "mixing", "sequence_length")


@dataclasses.dataclass(frozen=True)
class Candidate:
    """One model the budget can choose: its grid coordinates, the `TrainSettings` a new run is trained
    with, its run directory, and `given`: the settings asked for beyond the grid's."""

    preset: str
    kind: ModelKind
    sequence_length: int
    settings: TrainSettings
    run_dir: Path
    given: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def name(self) -> str:
        """"tiny-fourier-256", also its run directory's name."""
        return f"{self.preset}-{self.kind.name}-{self.sequence_length}"

    def check_recorded(self, recorded: TrainSettings) -> None:
        """Refuses a run trained with other grid or given settings; the package defaults are not compared
        (a run trained under older defaults is still this candidate)."""
        wanted, have = self.settings.to_dict(), recorded.to_dict()
        differences = [
            f"{key}: {have.get(key)!r} (recorded) != {wanted[key]!r} (asked)"
            for key in dict.fromkeys([*GRID_SETTINGS, *self.kind.settings, *self.given])
            if have.get(key) != wanted[key]
        ]
        if differences:
            raise BudgetError(
                f"holds a run with other settings than candidate {self.name}: {'; '.join(differences)}; "
                f"choose another --runs-dir",
                self.run_dir,
            )


def candidate_grid(
    runs_dir: str | os.PathLike,
    presets: Iterable[str],
    kinds: Iterable[str],
    lengths: Iterable[int],
    settings: Mapping[str, Any] | None = None,
) -> list[Candidate]:
    """Every preset x kind (`MODEL_KINDS`) x length, in that order, in `runs_dir`; `settings` are
    `TrainSettings` fields for every candidate (the rest are the package's defaults;
    `num_attention_layers` applies to hybrid candidates only).

    Raises:
        BudgetError: an empty grid, an unknown preset or kind, a bad length, a setting that names a
            grid coordinate.
        SettingsError: settings a run cannot have.
    """
    presets, kinds, lengths = (list(dict.fromkeys(values)) for values in (presets, kinds, lengths))
    given = dict(settings or {})
    for name, values in (("presets", presets), ("kinds", kinds), ("lengths", lengths)):
        if not values:
            raise BudgetError(f"no candidates: --{name} is empty")
    unknown = [preset for preset in presets if preset not in PRESETS]
    if unknown:
        raise BudgetError(f"unknown preset(s) {', '.join(map(repr, unknown))}; known: {', '.join(PRESETS)}")
    unknown = [kind for kind in kinds if kind not in MODEL_KINDS]
    if unknown:
        raise BudgetError(
            f"unknown model kind(s) {', '.join(map(repr, unknown))} in --kinds; known: "
            f"{', '.join(MODEL_KINDS)}"
        )
    fixed = [key for key in given if key in GRID_SETTINGS]
    if fixed:
        raise BudgetError(
            f"setting(s) {', '.join(fixed)} are the candidate grid's (--presets, --kinds, --lengths), "
            f"not a setting"
        )
    candidates = []
    for preset in presets:
        longest = PRESETS[preset]["max_sequence_length"]
        for kind in map(MODEL_KINDS.get, kinds):
            own = {key: value for key, value in given.items()
                   if kind.name == "hybrid" or key != "num_attention_layers"}
            for length in lengths:
                if isinstance(length, bool) or not isinstance(length, int) or not 3 <= length <= longest:
                    raise BudgetError(
                        f"sequence length {length!r} is out of range for preset {preset!r} "
                        f"(3 to {longest}: [CLS], [SEP] and at least one piece)"
                    )
                settings = TrainSettings(**own, preset=preset, **kind.settings, sequence_length=length)
                candidate = Candidate(preset, kind, length, settings, Path(runs_dir), own)
                candidates.append(dataclasses.replace(candidate, run_dir=Path(runs_dir) / candidate.name))
    return candidates
