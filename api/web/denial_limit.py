"""How many refusals of unauthenticated requests (401s) are logged, per client address.

Anyone can send requests without a token or with a wrong password, and each was a denial
written to the accounts store: a flood of them filled the log the auditor reads and slowed
every other write there. So from one address the first ``per_window`` 401s of each window
(a minute) are logged one by one; the rest are counted, and the count is logged as one
summary denial when that address is next refused after the window, and shown meanwhile as
a row of the denials answer (``pending``). Refusals of a signed-in user (403s) are never
limited: each is logged.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["DenialLimit", "Verdict"]


@dataclass
class _Window:
    start: float
    logged: int = 0
    unlogged: int = 0


@dataclass(frozen=True)
class Verdict:
    log: bool  # log this refusal one by one
    carried: int  # refusals of an earlier window not logged: log their count first


class DenialLimit:
    _PRUNE_AT = 10_000

    def __init__(self, per_window: int = 10, window: float = 60.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.per_window, self.window, self.clock = per_window, window, clock
        self._windows: dict[str, _Window] = {}
        self._lock = threading.Lock()

    def admit(self, client: str) -> Verdict:
        """Whether to log a 401 from ``client`` (and the count of any refusals of its last
        window that were not logged)."""
        with self._lock:
            now = float(self.clock())
            window = self._windows.get(client)
            carried = 0
            if window is None or now - window.start >= self.window:
                carried = window.unlogged if window is not None else 0
                if len(self._windows) >= self._PRUNE_AT:
                    self._prune(now)
                window = self._windows[client] = _Window(now)
            if window.logged < self.per_window:
                window.logged += 1
                return Verdict(True, carried)
            window.unlogged += 1
            return Verdict(False, carried)

    def pending(self) -> dict[str, int]:
        """Per client, the refusals counted but not logged yet."""
        with self._lock:
            return {client: w.unlogged for client, w in self._windows.items() if w.unlogged}

    def _prune(self, now: float) -> None:
        # Counts dropped here are lost from the log; only windows long over, and only when
        # very many addresses were refused, are dropped.
        for client in [c for c, w in self._windows.items() if now - w.start >= self.window
                       and not w.unlogged]:
            del self._windows[client]
