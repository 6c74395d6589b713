"""Whose key may touch which record: the areas in force over a submission's events.

A registrar's or authority's key is registered for one education area (``SigningKey.area``),
and may sign only events of records that belong to that area. A record's area is the one the
ledger knows from its own events: the area it was opened in, changed by an appointment, a
transfer or a change of position (``AREA_EVENTS``). Each event of a submission is judged by
the area the record is in just *before* it — so a transfer from สพม.11 to สพม.16 is signed by
a key of สพม.11, the area that orders the person out (the receiving area records what follows);
a record being opened, by a key of the area it is opened in.

The same rule is applied at the write (``ledger.application``) from the events in hand and by
``tabien verify`` (``audit.authority``) from the stored log, in log order; ``AreaTrace`` is
what both keep of one record's events in one submission.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from eventsourcing.utils import get_topic

from ledger.record import PersonnelRecord

__all__ = ["AREA_EVENTS", "AREA_TOPICS", "OPENED_TOPIC", "RECORD_TOPIC_PREFIX", "AreaTrace",
           "area_set_by", "key_areas", "outside"]

AREA_EVENTS: tuple[type[PersonnelRecord.Event], ...] = (
    PersonnelRecord.Opened, PersonnelRecord.Appointed, PersonnelRecord.Transferred,
    PersonnelRecord.PositionChanged)
"""The events that set a record's area (each has an ``area`` field)."""

AREA_TOPICS = frozenset(get_topic(cls) for cls in AREA_EVENTS)
OPENED_TOPIC = get_topic(PersonnelRecord.Opened)
RECORD_TOPIC_PREFIX = get_topic(PersonnelRecord).rstrip(".") + "."
"""Every personnel-record event's topic starts so (``ledger.record:PersonnelRecord.``)."""


def key_areas(area: str) -> frozenset[str]:
    """The areas a key registered with ``area`` may sign for (none for an empty area)."""
    return frozenset({area.strip()}) if area.strip() else frozenset()


def area_set_by(event: object) -> str | None:
    """The area an event puts its record in, or None if it leaves the area as it was."""
    if isinstance(event, AREA_EVENTS):
        return str(getattr(event, "area", ""))
    return None


@dataclass(slots=True)
class AreaTrace:
    """One record's events in one submission, as far as its area goes."""

    opened: str | None = None  # the area it is opened in, when this submission opens it
    sets: list[str] = field(default_factory=list)  # areas later events put it in, in order
    last_sets: bool = False  # whether its last event here put it in an area
    events: int = 0

    def add(self, area: str | None, *, opening: bool = False) -> None:
        """The record's next event: ``area`` is the area it sets (None: none)."""
        self.events += 1
        if opening and self.events == 1:
            self.opened = area
            self.last_sets = False
        elif area is not None:
            self.sets.append(area)
            self.last_sets = True
        else:
            self.last_sets = False

    def in_force(self, prior: str | None) -> list[str]:
        """The areas the record is in just before each of its events here (deduplicated),
        given the area it was in before the submission (None: not known)."""
        start = self.opened if self.opened is not None else prior
        middle = self.sets[:-1] if self.last_sets else self.sets
        seen: list[str] = []
        for area in [start, *middle]:
            if area is not None and area not in seen:
                seen.append(area)
        if start is None:
            seen.insert(0, "")  # not known: no key's area matches it
        return seen

    def after(self, prior: str | None) -> str | None:
        """The record's area after the submission."""
        if self.sets:
            return self.sets[-1]
        return self.opened if self.opened is not None else prior


def outside(areas: Iterable[str], allowed: frozenset[str]) -> list[str]:
    """Those of ``areas`` a key of ``allowed`` areas may not touch."""
    return [area for area in areas if area not in allowed]
