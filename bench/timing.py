"""Timing: each measurement is repeated, and the best (shortest) time is kept."""

from __future__ import annotations

import gc
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from typing import ParamSpec, TypeVar

__all__ = ["Best", "Progress", "timed"]

P = ParamSpec("P")
R = TypeVar("R")


def timed(action: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> tuple[float, R]:
    """Seconds taken by one call, and its result.

    Garbage left by the untimed set-up is collected first, so that one side never pays for
    the other's; the collector stays on while timing, as it would in production.
    """
    gc.collect()
    start = time.perf_counter()
    result = action(*args, **kwargs)
    return time.perf_counter() - start, result


class Best:
    """The shortest time per label over the rounds.

    Noise on a shared machine only ever adds time, so the minimum is the closest to what the
    code itself costs; the same rule applies to our figures and the baselines.
    """

    def __init__(self) -> None:
        self._times: defaultdict[str, list[float]] = defaultdict(list)

    def add(self, label: str, seconds: float) -> None:
        self._times[label] += [seconds]

    def __getitem__(self, label: str) -> float:
        return min(self._times[label])


class Progress:
    """One line per step on stderr, so the table on stdout stays clean."""

    def __init__(self) -> None:
        self._start = time.perf_counter()

    def __call__(self, backend: str, message: str) -> None:
        elapsed = time.perf_counter() - self._start
        print(f"[{elapsed:6.1f}s] {backend}: {message}", file=sys.stderr, flush=True)
