"""What the rules need to know about a person, folded from their record's events.

Corrections and revocations are applied first (a revoked entry counts for nothing; a corrected
entry counts with its corrected fields), so a rule judges the record as it now stands, not as
it was first typed. Effective dates order everything: an order recorded late but effective
early is judged at its effective date.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ledger.entries import typed_changes
from ledger.record import PersonnelRecord

__all__ = ["Entry", "RecordFacts", "degree_level"]


@dataclass(frozen=True)
class Entry:
    version: int
    kind: str
    effective_date: date
    fields: dict[str, Any]


def degree_level(degree: str) -> str:
    """bachelor / master / doctorate from a degree's name as registrars write it."""
    text = degree.lower()
    if "เอก" in degree or "doctor" in text or "ph.d" in text or "ปร.ด" in degree:
        return "doctorate"
    if "โท" in degree or "master" in text or "มหาบัณฑิต" in degree:
        return "master"
    return "bachelor"


@dataclass
class RecordFacts:
    national_id: str = ""
    birth_date: date = date.min
    area: str = ""
    appointed_on: date | None = None
    left_on: date | None = None
    unit: str = ""
    unit_since: date | None = None
    position_title: str = ""
    position_number: str = ""
    rank: str = ""
    rank_since: dict[str, date] = field(default_factory=dict)
    standing: str = "none"
    standing_since: dict[str, date] = field(default_factory=dict)
    salary: int = 0
    salaries: list[tuple[date, int]] = field(default_factory=list)
    development_passed_on: date | None = None
    degrees: list[tuple[str, date]] = field(default_factory=list)
    penalties: list[tuple[date, str]] = field(default_factory=list)
    versions: set[int] = field(default_factory=set)
    exists: bool = False

    @classmethod
    def from_events(cls, events: Iterable[PersonnelRecord.Event]) -> RecordFacts:
        return cls.from_entries(entries_of(events))

    @classmethod
    def from_entries(cls, entries: list[Entry]) -> RecordFacts:
        facts = cls()
        revoked = {e.fields["revokes"] for e in entries if e.kind == "entry_revoked"}
        corrections: dict[int, dict[str, Any]] = {}
        for e in entries:
            facts.versions.add(e.version)
            if e.kind == "entry_corrected":
                corrections.setdefault(e.fields["corrects"], {}).update(e.fields["changes"])
        effective = [_corrected(e, corrections.get(e.version)) for e in entries
                     if e.version not in revoked
                     and e.kind not in ("entry_corrected", "entry_revoked")]
        for entry in sorted(effective, key=lambda e: (e.effective_date, e.version)):
            facts.apply(entry)
        return facts

    # ---------------------------------------------------------------- folding

    def apply(self, entry: Entry) -> None:
        handler = _FOLDS.get(entry.kind)
        if handler is not None:
            handler(self, entry.effective_date, entry.fields)

    # ---------------------------------------------------------------- queries

    @property
    def in_service(self) -> bool:
        return self.appointed_on is not None and self.left_on is None

    def salary_on(self, day: date) -> int | None:
        current = None
        for since, amount in self.salaries:
            if since <= day:
                current = amount
        return current

    def highest_degree(self) -> str | None:
        order = ["bachelor", "master", "doctorate"]
        levels = [degree_level(d) for d, _ in self.degrees]
        return max(levels, key=order.index) if levels else None

    def teacher_since(self) -> date | None:
        """The first day as ครู (คศ.1 or above), which standing criteria count from."""
        days = [d for rank, d in self.rank_since.items() if rank != "assistant"]
        return min(days) if days else None


def entries_of(events: Iterable[PersonnelRecord.Event]) -> list[Entry]:
    entries = []
    for event in events:
        fields = {k: v for k, v in event.__dict__.items()
                  if k not in ("originator_id", "originator_version", "timestamp",
                               "originator_topic")}
        entries.append(Entry(event.originator_version, event.KIND, event.effective_date, fields))
    return entries


def _corrected(entry: Entry, changes: dict[str, Any] | None) -> Entry:
    if not changes:
        return entry
    fields = {**entry.fields, **typed_changes(changes)}
    effective = fields.get("effective_date") or entry.effective_date
    return Entry(entry.version, entry.kind, effective, fields)


def _opened(f: RecordFacts, day: date, x: dict[str, Any]) -> None:
    f.exists = True
    f.national_id = x["national_id"]
    f.birth_date = x["birth_date"]
    f.area = x["area"]


def _placed(f: RecordFacts, day: date, x: dict[str, Any]) -> None:
    if f.unit != x["unit"]:
        f.unit_since = day
    f.unit = x["unit"]
    f.area = x["area"]
    f.position_title = x["position_title"]
    f.position_number = x["position_number"]


def _ranked(f: RecordFacts, day: date, rank: str) -> None:
    f.rank = rank
    f.rank_since.setdefault(rank, day)


def _paid(f: RecordFacts, day: date, amount: int) -> None:
    f.salary = amount
    f.salaries.append((day, amount))


def _appointed(f: RecordFacts, day: date, x: dict[str, Any]) -> None:
    if f.appointed_on is None:
        f.appointed_on = day
    _placed(f, day, x)
    _ranked(f, day, x["rank"])
    _paid(f, day, x["salary"])


def _position_changed(f: RecordFacts, day: date, x: dict[str, Any]) -> None:
    _placed(f, day, x)
    _ranked(f, day, x["rank"])
    _paid(f, day, x["salary"])


def _standing(f: RecordFacts, day: date, x: dict[str, Any]) -> None:
    f.standing = x["standing"]
    f.standing_since.setdefault(x["standing"], day)
    _ranked(f, day, x["rank"])
    _paid(f, day, x["salary"])


def _renumbered(f: RecordFacts, day: date, x: dict[str, Any]) -> None:
    if f.position_number == x["old_number"]:
        f.position_number = x["new_number"]


def _education(f: RecordFacts, day: date, x: dict[str, Any]) -> None:
    f.degrees.append((x["degree"], x["finished"]))


_FOLDS: dict[str, Any] = {
    "record_opened": _opened,
    "appointed": _appointed,
    "position_changed": _position_changed,
    "transferred": _placed,
    "standing_conferred": _standing,
    "salary_raised": lambda f, d, x: _paid(f, d, x["new_salary"]),
    "salary_table_moved": lambda f, d, x: _paid(f, d, x["new_salary"]),
    "position_renumbered": _renumbered,
    "probation_passed": lambda f, d, x: setattr(f, "development_passed_on", d),
    "education_recorded": _education,
    "discipline": lambda f, d, x: f.penalties.append((d, x["penalty"])),
    "left_service": lambda f, d, x: setattr(f, "left_on", d),
}
