"""Deciding every row before anything is written: imported, already present, or rejected.

Files are planned people first, then history, then education, so that a history row may
name a person whose people row is in the same run. Each accepted row is applied to the
person's record (rebuilt from the ledger, or opened by this import) exactly as it will be
written, so the record's own rules refuse a row here, with its line number, rather than
failing the whole submission later. History rows are applied per person in date order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal
from uuid import UUID

from commands.legacy_import._candidates import (
    Candidate,
    education_candidate,
    history_candidate,
    people_candidate,
)
from commands.legacy_import._cells import EraCount, Reason, RowReader
from commands.legacy_import._fingerprint import fingerprint
from commands.legacy_import._records import Person, PersonIndex
from commands.legacy_import._source import Row, SourceFile
from ledger.errors import TabienError
from ledger.record import PersonnelRecord

__all__ = ["Accepted", "FilePlan", "Outcome", "Planner", "Status"]

Status = Literal["imported", "present", "rejected"]
_LAYOUT_ORDER = {"people": 0, "history": 1, "education": 2}
_NEW_ENTRY = 1 << 40  # sequence numbers of accepted rows sort after every recorded version


@dataclass(frozen=True)
class Outcome:
    row: Row
    status: Status
    reasons: tuple[Reason, ...] = ()


@dataclass(frozen=True)
class Accepted:
    record_id: UUID
    national_id: str
    event_class: type[PersonnelRecord.Event]
    fields: dict[str, Any]


@dataclass
class FilePlan:
    source: SourceFile
    eras: EraCount = field(default_factory=EraCount)
    outcomes: dict[int, Outcome] = field(default_factory=dict)
    accepted: list[Accepted] = field(default_factory=list)

    def count(self, status: Status) -> int:
        return sum(1 for o in self.outcomes.values() if o.status == status)

    def rejected(self) -> list[Outcome]:
        return [o for _, o in sorted(self.outcomes.items()) if o.status == "rejected"]


class Planner:
    def __init__(self, index: PersonIndex, default_area: str | None,
                 progress: Callable[[int], None] | None = None,
                 areas: frozenset[str] | None = None) -> None:
        self._index = index
        self._default_area = default_area
        self._areas = areas  # the areas the signing key may write in (None: not limited)
        self._progress = progress or (lambda n: None)
        self._sequence = _NEW_ENTRY

    def plan(self, sources: list[SourceFile]) -> list[FilePlan]:
        ordered = sorted(sources, key=lambda s: _LAYOUT_ORDER[s.layout.name])
        return [self._plan_file(source) for source in ordered]

    def _plan_file(self, source: SourceFile) -> FilePlan:
        plan = FilePlan(source)
        candidates: list[Candidate] = []
        for row in source.rows:
            reader = RowReader(row, plan.eras)
            candidate = self._candidate(source.layout.name, reader)
            if candidate is None:
                plan.outcomes[row.line] = Outcome(row, "rejected", tuple(reader.reasons))
                self._progress(1)
            else:
                candidates.append(candidate)
        rows = {row.line: row for row in source.rows}
        if source.layout.name == "people":
            for candidate in candidates:
                self._open(plan, rows[candidate.line], candidate)
        else:
            self._apply_entries(plan, rows, candidates)
        return plan

    def _candidate(self, layout: str, reader: RowReader) -> Candidate | None:
        if layout == "people":
            return people_candidate(reader, self._default_area)
        if layout == "history":
            return history_candidate(reader)
        return education_candidate(reader)

    # ----------------------------------------------------------------- people

    def _open(self, plan: FilePlan, row: Row, candidate: Candidate) -> None:
        self._progress(1)
        person = self._index.get(candidate.national_id)
        area = person.aggregate.area if person is not None else candidate.fields.get("area")
        if self._areas is not None and area not in self._areas:
            plan.outcomes[row.line] = Outcome(row, "rejected", (_outside(area, self._areas),))
            return
        if person is not None:
            differences = person.differences(candidate)
            status: Status = "rejected" if differences else "present"
            plan.outcomes[row.line] = Outcome(row, status, tuple(differences))
            return
        record_id = self._index.record_id(candidate.national_id)
        try:
            aggregate = PersonnelRecord.open(record_id, **candidate.fields)
        except TabienError as e:
            plan.outcomes[row.line] = Outcome(row, "rejected", (Reason.of(e),))
            return
        self._index.opened(candidate, aggregate)
        plan.outcomes[row.line] = Outcome(row, "imported")
        plan.accepted.append(Accepted(record_id, candidate.national_id, PersonnelRecord.Opened,
                                      candidate.fields))

    # ---------------------------------------------------------------- entries

    def _apply_entries(self, plan: FilePlan, rows: dict[int, Row],
                       candidates: list[Candidate]) -> None:
        found: list[tuple[Person, Candidate]] = []
        for candidate in candidates:
            person = self._index.get(candidate.national_id)
            if person is None:
                self._progress(1)
                plan.outcomes[candidate.line] = Outcome(rows[candidate.line], "rejected", (
                    _no_record(candidate.national_id),))
            else:
                found.append((person, candidate))
        # Per person, in the order the entries took effect; a file's order breaks ties.
        found.sort(key=lambda pc: (str(pc[0].record_id), pc[1].fields["effective_date"],
                                   pc[1].line))
        for person, candidate in found:
            self._progress(1)
            plan.outcomes[candidate.line] = self._apply(plan, rows[candidate.line], person,
                                                        candidate)

    def _apply(self, plan: FilePlan, row: Row, person: Person,
               candidate: Candidate) -> Outcome:
        if fingerprint(candidate.kind, candidate.fields) in person.fingerprints:
            return Outcome(row, "present")
        if self._areas is not None and person.aggregate.area not in self._areas:
            return Outcome(row, "rejected", (_outside(person.aggregate.area, self._areas),))
        fields = dict(candidate.fields)
        problem = _complete(fields, person)
        if problem is not None:
            return Outcome(row, "rejected", (problem,))
        try:
            person.aggregate.record(candidate.event_class, **fields)
        except TabienError as e:
            return Outcome(row, "rejected", (Reason.of(e),))
        self._sequence += 1
        person.note(candidate.kind, fields, self._sequence)
        plan.accepted.append(Accepted(person.record_id, candidate.national_id,
                                      candidate.event_class, fields))
        return Outcome(row, "imported")


def _complete(fields: dict[str, Any], person: Person) -> Reason | None:
    """Fill what the row left to the record: the person's area, the number held before."""
    if "area" in fields and fields["area"] is None:
        fields["area"] = person.aggregate.area
    if "old_number" in fields and fields["old_number"] is None:
        held = person.number_held_on(fields["effective_date"])
        if held is None:
            return Reason("no position number is recorded before this date to renumber; "
                          "fill old_position_number",
                          "ไม่มีเลขที่ตำแหน่งเดิมก่อนวันที่นี้ ให้ระบุในคอลัมน์ เลขที่ตำแหน่งเดิม")
        fields["old_number"] = held
    return None


def _outside(area: object, areas: frozenset[str]) -> Reason:
    mine = ", ".join(sorted(areas)) or "no area"
    return Reason(f"the person's record is in {area or 'no area'}, outside the area this "
                  f"import writes for ({mine}): the registrar of that area imports it",
                  f"ทะเบียนประวัติของบุคคลนี้อยู่ใน{area or 'เขตพื้นที่ที่ไม่ระบุ'} "
                  f"ไม่ใช่เขตพื้นที่ของการนำเข้าครั้งนี้ ({mine}) "
                  f"ต้องให้เจ้าหน้าที่ทะเบียนของเขตพื้นที่นั้นนำเข้า")


def _no_record(national_id: str) -> Reason:
    return Reason(f"no record for national ID {national_id}: neither in the ledger nor opened "
                  f"by a people file of this import",
                  f"ไม่มีทะเบียนประวัติของเลขประจำตัวประชาชน {national_id} "
                  f"ทั้งในสมุดทะเบียนและในไฟล์ข้อมูลบุคคลที่นำเข้าครั้งนี้")
