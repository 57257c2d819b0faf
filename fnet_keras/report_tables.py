"""Markdown for reports: one table builder and the number formats every report shares. Pure Python."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def percent(value: float | None) -> str:
    """0.8521 -> '85.21%'; None -> '-'."""
    return "-" if value is None else f"{100 * value:.2f}%"


def three_decimals(value: float | None) -> str:
    """A figure (a ratio, a time) to three decimals; None -> '-'."""
    return "-" if value is None else f"{value:.3f}"


def ms(value: float | None) -> str:
    """Milliseconds to three decimals; None -> '-'."""
    return three_decimals(value)


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[Any]],
                   align: Sequence[str] | None = None) -> list[str]:
    """The lines of a Markdown table, the rule written compactly ("|---|---:|"); `align` per column: "l"
    (default) or "r", e.g. "lrr"."""
    align = align or "l" * len(header)
    rule = "|" + "|".join("---:" if side == "r" else "---" for side in align) + "|"
    return ["| " + " | ".join(map(str, header)) + " |", rule,
            *("| " + " | ".join(map(str, line)) + " |" for line in rows)]
