"""The education areas a ledger knows: those whose registrar or authority keys are in its key
registry (an admin registers them: ``tabien keys add``, or the demo's ``add_area``). The
list of all areas of the country is not in the reference data, so the ledger's own signed
registry is the list; an area outside it is a typo or an area this ledger does not serve,
and is refused before anything is read, written or exported."""

from __future__ import annotations

import difflib
import threading
import time

from eventsourcing.utils import get_topic

from ledger.application import Ledger
from ledger.errors import UnknownArea
from ledger.keys import SigningKey

__all__ = ["AREA_ROLES", "AreaBook", "known_areas", "unknown_area"]

AREA_ROLES = frozenset({"registrar", "authority"})  # keys that act for an area
_PAGE = 1_000


def known_areas(ledger: Ledger) -> frozenset[str]:
    """Every area with a registrar or authority key registered (revoked ones included: the
    area's history stays the area's)."""
    topic = get_topic(SigningKey.Registered)
    areas: set[str] = set()
    start: int | None = None
    while True:
        page = ledger.recorder.select_notifications(start, _PAGE, topics=[topic],
                                                    inclusive_of_start=False)
        for notification in page:
            registered = ledger.mapper.to_domain_event(notification)
            if getattr(registered, "role", "") in AREA_ROLES:
                areas.add(str(getattr(registered, "area", "")))
        if len(page) < _PAGE:
            return frozenset(areas - {""})
        start = page[-1].id


def unknown_area(area: str, known: frozenset[str]) -> UnknownArea:
    """The refusal of ``area``, naming the nearest known areas."""
    near = difflib.get_close_matches(area, sorted(known), n=3, cutoff=0.6)
    listed = ", ".join(near or sorted(known)[:12]) + ("" if near or len(known) <= 12 else " …")
    hint_en = f"did you mean {listed}?" if near else f"areas here: {listed}"
    hint_th = f"หมายถึง {listed} หรือไม่" if near else f"เขตพื้นที่ที่มี: {listed}"
    return UnknownArea(
        f"unknown education area {area!r}: this ledger has no keys for it ({hint_en})",
        f"ไม่รู้จักเขตพื้นที่การศึกษา {area!r} ในทะเบียนนี้ ({hint_th})")


class AreaBook:
    """The known areas of one ledger, kept: read again, at most once a second, when an area
    is asked for that is not among them (an area registered by another process is found,
    and a stream of unknown names costs no more than that)."""

    def __init__(self, ledger: Ledger, reread_seconds: float = 1.0) -> None:
        self._ledger = ledger
        self._reread_seconds = reread_seconds
        self._areas: frozenset[str] = frozenset()
        self._read_at: float | None = None
        self._lock = threading.Lock()

    def check(self, area: str) -> str:
        """``area``, if the ledger knows it; else ``UnknownArea`` naming the nearest."""
        if area in self._areas:
            return area
        with self._lock:
            now = time.monotonic()
            if self._read_at is None or now - self._read_at >= self._reread_seconds:
                self._areas, self._read_at = known_areas(self._ledger), now
            if area in self._areas:
                return area
            raise unknown_area(area, self._areas)
