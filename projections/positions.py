"""The position registry (ทะเบียนตำแหน่ง) of an area, read from the record view.

Every position number of the area → its unit, its position type, its holder or vacancy, and
the history of who held it. Positions have no aggregate of their own: a number exists because
some person's record put someone in it, so the registry is a replay of the position facts of
every record of the area, in effective-date order:

* ``appointed`` / ``transferred`` / ``position_changed`` put the person in a number (with its
  title = position type, and unit); the number they held before becomes vacant;
* ``position_renumbered`` renames the number; its history continues under the new number and
  the registry keeps the alias old ↔ new with its effective date;
* ``left_service`` vacates the number.

Each record's entries are read exactly as ``projections.kks16.build_record`` reads them, with
its own helpers — the same known-at cut, corrections merged into the entry they name
(including a corrected effective date), revoked entries ignored — so a holder's number here
is the number on their ก.ค.ศ.16. Acting and temporary assignments (``assignment_*``) carry
no position number and neither fill nor vacate one.

Everyone who was ever placed in the area is read (the view keeps area membership over time),
so a post's history includes the people who have since moved away. One limit follows from
what the ledger holds: a vacant post renumbered by an order has no record to carry the
renumbering (``commands.renumber`` reports those back), so it keeps its old number here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple
from uuid import UUID

from eventsourcing.persistence import Mapper

from ledger.record import PersonnelRecord
from ledger.thaidate import end_of_day, today
from projections.kks16 import effective_date_of, order_reference, typed_changes
from projections.reading import events_from_rows
from projections.store import RecordView

__all__ = ["Alias", "Holder", "Position", "PositionRegistry", "ScheduledChange", "Tenure",
           "position_registry"]

_MOVES = frozenset({"appointed", "transferred", "position_changed"})
_FACT_KINDS = _MOVES | {"position_renumbered", "left_service", "name_changed"}


@dataclass(frozen=True)
class Holder:
    national_id: str
    name: str


class Tenure(NamedTuple):
    """One line of a position's history: who held it from when to when, by which order."""

    start: date
    end: date | None  # None: still held
    national_id: str
    kind: str  # the event that put them in it
    reference: str


class Alias(NamedTuple):
    """A renumbering: ``old`` became ``new`` on ``effective``."""

    old: str
    new: str
    effective: date
    reference: str


@dataclass
class Position:
    number: str
    title: str
    unit: str
    holder: Holder | None = None
    history: list[Tenure] = field(default_factory=list)
    former_numbers: list[str] = field(default_factory=list)

    @property
    def vacant(self) -> bool:
        return self.holder is None

    @property
    def since(self) -> date | None:
        """Held: when the holder's unbroken tenure began (a change of position type in the
        same number does not restart it). Vacant: when it became vacant."""
        if not self.history:
            return None
        last = self.history[-1]
        if self.holder is None:
            return last.end
        start = last.start
        for earlier in reversed(self.history[:-1]):
            if earlier.national_id != last.national_id or earlier.end != start:
                break
            start = earlier.start
        return start


class ScheduledChange(NamedTuple):
    """A move recorded by the registry's date but effective later (คำสั่งที่ยังไม่มีผล):
    the number it will leave vacant and the number it will fill, in this area."""

    on: date
    national_id: str
    name: str
    kind: str
    leaves: str | None
    takes: str | None
    reference: str


@dataclass
class PositionRegistry:
    area: str
    as_of: date | None
    known_at: datetime | None
    positions: dict[str, Position] = field(default_factory=dict)
    scheduled: list[ScheduledChange] = field(default_factory=list)
    aliases: list[Alias] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)  # national id → name, for histories
    # (number, date, national id): someone was put in a number another person still held at
    # the end of that day. The registry keeps the newcomer; the ledger needs a correction.
    conflicts: list[tuple[str, date, str]] = field(default_factory=list)

    def lookup(self, number: str) -> Position | None:
        """The position numbered ``number`` now, or formerly (following renumberings)."""
        renamed = {alias.old: alias.new for alias in self.aliases}
        seen: set[str] = set()
        while number not in self.positions and number in renamed and number not in seen:
            seen.add(number)
            number = renamed[number]
        return self.positions.get(number)

    def sorted(self) -> list[Position]:
        return [self.positions[n] for n in sorted(self.positions)]

    def vacant(self) -> list[Position]:
        return [p for p in self.sorted() if p.vacant]

    def aliases_of(self, position: Position) -> list[Alias]:
        """The renumberings that led to this position's number, oldest first."""
        names = {position.number, *position.former_numbers}
        return [a for a in self.aliases if a.new in names]


@dataclass(frozen=True)
class _Fact:
    on: date
    national_id: str
    version: int
    kind: str
    fields: dict[str, Any]
    reference: str
    recorded: datetime


def position_registry(view: RecordView, mapper: Mapper[UUID], area: str, *,
                      as_of: date | None = None,
                      known_at: datetime | None = None) -> PositionRegistry:
    """The registry of ``area`` as of an effective date (default: today in Thailand), as
    known at a recorded time; moves recorded by that date that take effect later are listed
    apart in ``scheduled``, and change no holder."""
    day = as_of if as_of is not None else today()
    pending_since = end_of_day(day)
    facts: list[_Fact] = []
    pending: list[_Fact] = []
    names: dict[str, str] = {}
    for record_id in view.records_ever_in(area):
        events = events_from_rows(view.entries(record_id), mapper)
        national_id = next((str(getattr(e, "national_id", "")) for e in events
                            if e.KIND == "record_opened"), "")
        own = list(_position_facts(events, national_id, known_at=known_at))
        in_effect = [f for f in own if f.on <= day]
        names[national_id] = _name(events, in_effect)
        facts.extend(in_effect)
        pending.extend(f for f in own if f.on > day and f.recorded <= pending_since)
    replay = _Replay(PositionRegistry(area, day, known_at, names=names), names)
    for on, todays in _by_day(facts):
        replay.day(on, todays)
    replay.registry.scheduled = _scheduled(pending, replay)
    return replay.registry


def _scheduled(pending: list[_Fact], replay: _Replay) -> list[ScheduledChange]:
    """What each pending move will do to this area's numbers, from the seats held now."""
    changes = []
    for fact in sorted(pending, key=lambda f: (f.on, f.national_id, f.version)):
        if fact.kind == "name_changed":
            continue
        seat = replay.seat.get(fact.national_id)
        if fact.kind == "position_renumbered":
            leaves, takes = (fact.fields["old_number"], fact.fields["new_number"]) \
                if seat == fact.fields["old_number"] else (None, None)
        else:
            leaves = seat
            takes = str(fact.fields["position_number"]) if fact.kind in _MOVES \
                and fact.fields["area"] == replay.registry.area else None
        if leaves is not None or takes is not None:
            changes.append(ScheduledChange(fact.on, fact.national_id,
                                           replay.names.get(fact.national_id, ""), fact.kind,
                                           leaves, takes, fact.reference))
    return changes


def _position_facts(events: list[PersonnelRecord.Event], national_id: str, *,
                    known_at: datetime | None) -> Iterator[_Fact]:
    """A record's position facts, read with build_record's semantics (module docstring)."""
    known = [e for e in events if known_at is None or e.timestamp <= known_at]
    revoked = {e.revokes for e in known if isinstance(e, PersonnelRecord.EntryRevoked)}
    changes: dict[int, dict[str, Any]] = defaultdict(dict)
    for e in known:
        if isinstance(e, PersonnelRecord.EntryCorrected):
            changes[e.corrects].update(e.changes)
    for event in known:
        version = event.originator_version
        if event.KIND not in _FACT_KINDS or version in revoked:
            continue
        fields = {**event.__dict__, **typed_changes(changes.get(version, {}))}
        yield _Fact(effective_date_of(event, changes), national_id, version, event.KIND,
                    fields, order_reference(event), event.timestamp)


def _name(events: list[PersonnelRecord.Event], facts: list[_Fact]) -> str:
    """The person's name as of the registry's date: the opening's, then each change."""
    opened = next((e.__dict__ for e in events if e.KIND == "record_opened"), {})
    parts = [opened.get(k, "") for k in ("prefix", "first_name", "last_name")]
    for fact in sorted((f for f in facts if f.kind == "name_changed"),
                       key=lambda f: (f.on, f.version)):
        parts = [fact.fields[k] for k in ("prefix", "first_name", "last_name")]
    return f"{parts[0]}{parts[1]} {parts[2]}".strip()


def _by_day(facts: Iterable[_Fact]) -> Iterator[tuple[date, list[_Fact]]]:
    # Within a day each person's facts keep their record's order (version), as build_record
    # applies them; between people the order is fixed only to make the result repeatable.
    ordered = sorted(facts, key=lambda f: (f.on, f.national_id, f.version))
    day: list[_Fact] = []
    for fact in ordered:
        if day and fact.on != day[0].on:
            yield day[0].on, day
            day = []
        day.append(fact)
    if day:
        yield day[0].on, day


class _Replay:
    """Applies the facts day by day to the registry, tracking each person's number."""

    def __init__(self, registry: PositionRegistry, names: dict[str, str]) -> None:
        self.registry = registry
        self.names = names
        self.seat: dict[str, str] = {}  # national id → the number of this area they hold
        self.displaced: list[tuple[str, str]] = []  # (national id, number) today

    def day(self, on: date, facts: list[_Fact]) -> None:
        for fact in facts:
            if fact.kind in _MOVES:
                self._move(fact)
            elif fact.kind == "position_renumbered":
                self._renumber(fact)
            elif fact.kind == "left_service":
                self._vacate(fact.national_id, fact.on)
        self._note_conflicts(on)

    def _move(self, fact: _Fact) -> None:
        self._vacate(fact.national_id, fact.on)
        if fact.fields["area"] != self.registry.area:
            return  # a post in another area is that area's registry's
        number = str(fact.fields["position_number"])
        position = self.registry.positions.get(number)
        if position is None:
            position = self.registry.positions[number] = Position(number, "", "")
        position.title, position.unit = fact.fields["position_title"], fact.fields["unit"]
        if position.holder is not None:
            # Someone vacating it later today is the usual case (a transfer list); checked
            # at the end of the day.
            self.displaced.append((position.holder.national_id, number))
            self._close(position, fact.on)
        position.holder = Holder(fact.national_id, self.names.get(fact.national_id, ""))
        position.history.append(Tenure(fact.on, None, fact.national_id, fact.kind,
                                       fact.reference))
        self.seat[fact.national_id] = number

    def _vacate(self, national_id: str, on: date) -> None:
        number = self.seat.pop(national_id, None)
        position = self.registry.positions.get(number) if number else None
        # Only the holder vacates: a person displaced today no longer holds the number.
        if position is not None and position.holder is not None \
                and position.holder.national_id == national_id:
            self._close(position, on)
            position.holder = None

    @staticmethod
    def _close(position: Position, on: date) -> None:
        last = position.history[-1]
        position.history[-1] = last._replace(end=on)

    def _renumber(self, fact: _Fact) -> None:
        old, new = str(fact.fields["old_number"]), str(fact.fields["new_number"])
        # As on the ก.ค.ศ.16: a renumbering names the person's own number, or changes nothing.
        if self.seat.get(fact.national_id) != old or old == new:
            return
        registry = self.registry
        position = registry.positions.pop(old)
        position.number = new
        position.former_numbers.append(old)
        existing = registry.positions.get(new)
        if existing is not None:
            if existing.holder is not None:
                registry.conflicts.append((new, fact.on, existing.holder.national_id))
            _merge_into(position, existing)
        registry.positions[new] = position
        registry.aliases.append(Alias(old, new, fact.on, fact.reference))
        self.seat[fact.national_id] = new

    def _note_conflicts(self, on: date) -> None:
        for national_id, number in self.displaced:
            if self.seat.get(national_id) == number:
                self.registry.conflicts.append((number, on, national_id))
        self.displaced = []


def _merge_into(position: Position, existing: Position) -> None:
    """A renumbering onto a number the registry already knows (a post vacated under that
    number earlier): both histories are the one post's."""
    position.history = sorted([*existing.history, *position.history],
                              key=lambda t: (t.start, t.end or date.max))
    position.former_numbers = [*existing.former_numbers, *position.former_numbers]
