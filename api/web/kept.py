"""Values kept in memory until what they were built from changes.

The API keeps what it would otherwise read on every request — a built ก.ค.ศ.16, a user's
account — each with the version of its source it was built at (a record's highest view
position, an account's aggregate version). Whoever writes the source announces the new
version (``changed``); a kept value older than the newest version known of its source is
not used. Validity is checked when a value is used, not when it is stored, so a value built
from a read just before a change, and stored just after it, is never used.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["Kept"]

V = TypeVar("V")


@dataclass(frozen=True)
class _Entry(Generic[V]):
    value: V
    source: Hashable  # what changes are announced for
    version: int


class Kept(Generic[V]):
    """At most ``capacity`` values by key; the oldest stored is dropped first."""

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._entries: dict[Hashable, _Entry[V]] = {}
        self._newest: dict[Hashable, int] = {}  # per source, the newest version known
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        """The kept value, unless there is none or its source has changed since (no I/O;
        safe from any thread)."""
        entry = self._entries.get(key)
        if entry is None or entry.version < self._newest.get(entry.source, 0):
            return None
        return entry.value

    def put(self, key: Hashable, value: V, source: Hashable, version: int) -> None:
        with self._lock:
            self._entries.pop(key, None)
            self._entries[key] = _Entry(value, source, version)
            while len(self._entries) > self._capacity:
                del self._entries[next(iter(self._entries))]

    def changed(self, source: Hashable, version: int) -> None:
        """``source`` is now at ``version``: values built from an older one are stale."""
        with self._lock:
            if version > self._newest.get(source, 0):
                self._newest[source] = version

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
