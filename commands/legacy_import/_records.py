"""The people already in the ledger, as the import needs to know them.

For each national ID the import asks once: is there a record, what personal data did it open
with, which entries does it hold (their fingerprints) and which position numbers did the
person hold when. The record's aggregate is rebuilt from the same events, so the record's
own rules (nothing before birth, nothing after leaving service) judge each new row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, cast
from uuid import UUID

from eventsourcing.application import project_aggregate

from commands.facts import entries_of
from commands.legacy_import._candidates import PERSONAL_FIELDS, Candidate
from commands.legacy_import._cells import Reason
from commands.legacy_import._fingerprint import Fingerprint, fingerprint, normalised
from commands.legacy_import._layouts import column_th
from ledger.application import Ledger
from ledger.identity import record_id_for
from ledger.record import PersonnelRecord

__all__ = ["Person", "PersonIndex"]

_POSITION_KINDS = {"appointed": "position_number", "transferred": "position_number",
                   "position_changed": "position_number", "position_renumbered": "new_number"}
_NAME_FIELDS = ("prefix", "first_name", "last_name")
# Blank optional cells mean "not given in this file", not "no father" — no difference.
_ALWAYS_COMPARED = {"prefix", "first_name", "last_name", "birth_date"}


@dataclass
class Person:
    record_id: UUID
    aggregate: PersonnelRecord
    fingerprints: set[Fingerprint] = field(default_factory=set)
    personal: dict[str, list[Any]] = field(default_factory=dict)
    positions: list[tuple[date, int, str]] = field(default_factory=list)

    def note(self, kind: str, fields: dict[str, Any], sequence: int) -> None:
        """Remember an entry (recorded or just accepted) for fingerprints and numbers."""
        self.fingerprints.add(fingerprint(kind, fields))
        if kind in _POSITION_KINDS:
            self.positions.append((fields["effective_date"], sequence,
                                   str(fields[_POSITION_KINDS[kind]])))

    def number_held_on(self, day: date) -> str | None:
        """The position number in force on ``day``, by effective date."""
        held = [entry for entry in self.positions if entry[0] <= day]
        return max(held)[2] if held else None

    def differences(self, candidate: Candidate) -> list[Reason]:
        """How a people row's personal data differs from the record's (empty: the same)."""
        found: list[tuple[str, Any, Any]] = []
        for name in PERSONAL_FIELDS:
            value = candidate.fields.get(name)
            known = self.personal.get(name, [])
            if not normalised(value) and name not in _ALWAYS_COMPARED:
                continue
            if normalised(value) not in {normalised(v) for v in known}:
                found.append((name, value, known[0] if known else ""))
        if not found:
            return []
        en = "; ".join(f"{n}: {v!s} here, {k!s} in the record" for n, v, k in found)
        th = "; ".join(f"{column_th(n)}: ในไฟล์ {v!s} ในทะเบียน {k!s}" for n, v, k in found)
        return [Reason(f"a record for this national ID is already open with other personal "
                       f"data — {en}",
                       f"มีทะเบียนประวัติของเลขประจำตัวประชาชนนี้อยู่แล้วแต่ข้อมูลส่วนบุคคลไม่ตรงกัน — {th}")]


class PersonIndex:
    """Records by national ID, loaded from the ledger at most once each."""

    def __init__(self, ledger: Ledger, identity_secret: bytes) -> None:
        self._ledger = ledger
        self._secret = identity_secret
        self._people: dict[str, Person | None] = {}

    def record_id(self, national_id: str) -> UUID:
        return record_id_for(national_id, self._secret)

    def get(self, national_id: str) -> Person | None:
        if national_id not in self._people:
            self._people[national_id] = self._load(national_id)
        return self._people[national_id]

    def opened(self, candidate: Candidate, aggregate: PersonnelRecord) -> Person:
        """A record opened by this import (not yet written)."""
        person = Person(aggregate.id, aggregate)
        person.personal = {name: [candidate.fields.get(name)] for name in PERSONAL_FIELDS}
        self._people[candidate.national_id] = person
        return person

    def _load(self, national_id: str) -> Person | None:
        record_id = self.record_id(national_id)
        events = cast(Sequence[PersonnelRecord.Event],
                      list(self._ledger.events.get(record_id)))
        if not events:
            return None
        aggregate = cast(PersonnelRecord, project_aggregate(None, events))
        person = Person(record_id, aggregate)
        for entry in entries_of(events):
            person.note(entry.kind, entry.fields, entry.version)
            _note_personal(person, entry.kind, entry.fields)
        return person


def _note_personal(person: Person, kind: str, fields: dict[str, Any]) -> None:
    # The page-1 data as opened, as corrected since, and the names taken since: a file
    # exported before or after any of these still describes the same person.
    if kind == PersonnelRecord.Opened.KIND:
        for name in PERSONAL_FIELDS:
            person.personal.setdefault(name, []).append(fields.get(name))
    elif kind == PersonnelRecord.EntryCorrected.KIND and fields.get("corrects") == 1:
        for name, value in fields.get("changes", {}).items():
            person.personal.setdefault(name, []).append(value)
    elif kind == PersonnelRecord.NameChanged.KIND:
        for name in _NAME_FIELDS:
            person.personal.setdefault(name, []).append(fields.get(name))
