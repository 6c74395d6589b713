"""The one table the benchmark prints: each figure beside its baseline from the same run."""

from __future__ import annotations

import os
import platform
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from rich.console import Console
from rich.table import Table

__all__ = ["Goal", "Row", "print_report"]

_PLAIN_WIDTH = 200


@dataclass(frozen=True)
class Goal:
    """A target from the issue: a minimum rate, or a minimum fraction of the baseline's rate."""

    text: str
    min_rate: float | None = None
    min_ratio: float | None = None

    def met(self, row: Row) -> bool:
        if self.min_rate is not None and row.rate < self.min_rate:
            return False
        return self.min_ratio is None or row.ratio >= self.min_ratio


@dataclass(frozen=True)
class Row:
    backend: str
    scenario: str
    events: int
    seconds: float
    baseline: str
    baseline_seconds: float
    baseline_events: int
    goal: Goal | None = None
    note: str = ""

    @property
    def rate(self) -> float:
        return self.events / self.seconds

    @property
    def baseline_rate(self) -> float:
        return self.baseline_events / self.baseline_seconds

    @property
    def ratio(self) -> float:
        return self.rate / self.baseline_rate


def _goal_cell(row: Row) -> str:
    if row.goal is None:
        return row.note
    verdict = "met" if row.goal.met(row) else "MISSED"
    return " ".join(part for part in (f"{row.goal.text}: {verdict}", row.note) if part)


def _table(rows: Sequence[Row], rounds: int) -> Table:
    table = Table(title=f"tabien bench — best (min time) of {rounds} runs per figure; "
                        "baselines run in the same process, round by round")
    for name in ("backend", "scenario", "events", "seconds", "events/s"):
        table.add_column(name, justify="left" if name in ("backend", "scenario") else "right")
    for name in ("baseline", "baseline events/s", "ratio", "target"):
        table.add_column(name, justify="left" if name in ("baseline", "target") else "right")
    for row in rows:
        table.add_row(row.backend, row.scenario, f"{row.events:,}", f"{row.seconds:.3f}",
                      f"{row.rate:,.0f}", row.baseline, f"{row.baseline_rate:,.0f}",
                      f"{row.ratio:.2f}× ({row.ratio:.0%})", _goal_cell(row))
    return table


def print_report(rows: Sequence[Row], rounds: int, notes: Sequence[str]) -> None:
    # Off a terminal rich would wrap the table at 80 columns; give it room instead.
    console = Console() if sys.stdout.isatty() else Console(width=_PLAIN_WIDTH)
    console.print(f"Python {platform.python_version()} ({platform.python_implementation()}) "
                  f"on {platform.system()} {platform.machine()}, {os.cpu_count()} CPU(s), "
                  f"{datetime.now().astimezone().isoformat(timespec='seconds')}",
                  highlight=False)
    console.print("ratio = our events/s ÷ the baseline's events/s (same events, same run)",
                  highlight=False)
    console.print(_table(rows, rounds))
    for note in notes:
        console.print(note, markup=False, highlight=False, soft_wrap=True)
