"""The ก.ค.ศ.16 record, built from a person's career events in both time axes.

``build_record(events, as_of=D, known_at=T)`` answers "what did the record say about date D,
as it was known at time T": events recorded after T are not known (neither are corrections
recorded after T), and entries taking effect after D have not happened yet. Without ``as_of``
the record is as of today in Thailand: "now" means now. Entries already recorded on D that
take effect later (a transfer issued on 3 December, effective 15 December) are listed apart
in ``scheduled`` (คำสั่งที่ยังไม่มีผล), never as the person's position. Corrections apply
to the entry they name and mark it; a revoked entry is kept in the positions table, marked, so
the record shows what was undone. The same function builds the record from the view's rows
and from a fresh replay of the ledger, which is how the tests hold the view to the ledger.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from ledger.entries import typed_changes as read_changes
from ledger.record import PersonnelRecord
from ledger.rules import rank_by_code, standing_by_code
from ledger.thaidate import end_of_day, format_thai_date, retirement_date, to_be_year, today
from ledger.vocabulary import LEAVING_REASONS

__all__ = [
    "Kks16",
    "PositionRow",
    "Row",
    "ScheduledRow",
    "build_record",
    "effective_date_of",
    "order_reference",
    "typed_changes",
]


@dataclass(frozen=True)
class Row:
    """One line of a section: its date, its text, its order reference, its marks."""

    on: date
    text: str
    reference: str
    version: int
    corrected: bool = False
    revoked: bool = False


@dataclass(frozen=True)
class PositionRow(Row):
    """Section 13, ตำแหน่งและอัตราเงินเดือน."""

    title: str = ""
    number: str = ""
    rank: str = ""
    salary: int | None = None


@dataclass(frozen=True)
class ScheduledRow:
    """An entry recorded but not yet in effect on the record's date (คำสั่งที่ยังไม่มีผล):
    when it takes effect, what it does, by which order; ``area``: where it places the
    person, for a placement."""

    on: date
    kind: str
    text: str
    reference: str
    version: int
    area: str = ""


@dataclass
class Kks16:
    national_id: str = ""
    name: str = ""
    birth_date: date | None = None
    retirement_date: date | None = None
    father_name: str = ""
    mother_name: str = ""
    spouse_name: str = ""
    domicile: str = ""
    area: str = ""
    appointed_on: date | None = None
    position_title: str = ""
    position_number: str = ""
    unit: str = ""
    rank: str = ""
    standing: str = "none"
    salary: int = 0
    left: tuple[date, str] | None = None
    education: list[Row] = field(default_factory=list)
    training: list[Row] = field(default_factory=list)
    discipline: list[Row] = field(default_factory=list)
    days_without_pay: list[Row] = field(default_factory=list)
    positions: list[PositionRow] = field(default_factory=list)
    decorations: list[Row] = field(default_factory=list)
    leave_by_year: dict[int, dict[str, Decimal]] = field(default_factory=dict)
    name_history: list[Row] = field(default_factory=list)
    special_skills: list[Row] = field(default_factory=list)
    special_duties: list[Row] = field(default_factory=list)
    evidence: list[Row] = field(default_factory=list)
    scheduled: list[ScheduledRow] = field(default_factory=list)
    as_of: date | None = None
    known_at: datetime | None = None
    with_rows: bool = True  # False: only the current state (payroll needs no section rows)

    @property
    def areas_concerned(self) -> frozenset[str]:
        """The areas whose staff deal with this record: its area, and an area an order
        already issued will place the person in (its registrar prepares the arrival)."""
        return frozenset({self.area, *(r.area for r in self.scheduled if r.area)})

    def sections_empty(self) -> list[str]:
        """Names of the form's sections with nothing in them (for completeness reports)."""
        sections = {"education": self.education, "training": self.training,
                    "positions": self.positions, "decorations": self.decorations,
                    "leave": self.leave_by_year, "special_skills": self.special_skills}
        return [name for name, rows in sections.items() if not rows]


def order_reference(event: PersonnelRecord.Event) -> str:
    order = event.order
    return f"คำสั่ง {order.authority} ที่ {order.order_number} ลว. {_short_date(order.order_date)}"


@lru_cache(maxsize=65_536)
def _short_date(day: date) -> str:
    # Order dates repeat across thousands of people; formatting Thai dates is not cheap.
    return format_thai_date(day, abbreviated=True)


def build_record(events: Iterable[PersonnelRecord.Event], *, as_of: date | None = None,
                 known_at: datetime | None = None, with_rows: bool = True) -> Kks16:
    day = as_of if as_of is not None else today()
    known = [e for e in events if known_at is None or e.timestamp <= known_at]
    revoked = {e.revokes for e in known if isinstance(e, PersonnelRecord.EntryRevoked)}
    changes: dict[int, dict[str, Any]] = defaultdict(dict)
    for e in known:
        if isinstance(e, PersonnelRecord.EntryCorrected):
            changes[e.corrects].update(e.changes)
    record = Kks16(as_of=day, known_at=known_at, with_rows=with_rows)
    ordered = sorted((e for e in known if not isinstance(
        e, PersonnelRecord.EntryCorrected | PersonnelRecord.EntryRevoked)),
        key=lambda e: (effective_date_of(e, changes), e.originator_version))
    pending_since = end_of_day(day)  # recorded by the end of the day, not yet in effect
    for event in ordered:
        fields = {**event.__dict__, **typed_changes(changes.get(event.originator_version, {}))}
        if fields["effective_date"] > day:
            if with_rows and event.timestamp <= pending_since \
                    and event.originator_version not in revoked:
                record.scheduled.append(_scheduled(event, fields))
            continue
        _apply(record, event, fields, event.originator_version in changes,
               event.originator_version in revoked)
    return record


def _scheduled(event: PersonnelRecord.Event, f: dict[str, Any]) -> ScheduledRow:
    describe = _POSITION_TEXT.get(event.KIND)
    text = describe(f) if describe is not None else event.LABEL_TH
    area = f.get("area", "") if event.KIND in ("appointed", "transferred",
                                               "position_changed") else ""
    return ScheduledRow(f["effective_date"], event.KIND, text, order_reference(event),
                        event.originator_version, area)


def effective_date_of(event: PersonnelRecord.Event, changes: dict[int, dict[str, Any]]) -> date:
    """When an entry takes effect, as its corrections (if any) now say."""
    value = changes.get(event.originator_version, {}).get("effective_date")
    if value is None:
        return event.effective_date
    moved: date = typed_changes({"effective_date": value})["effective_date"]
    return moved


def typed_changes(changes: dict[str, Any]) -> dict[str, Any]:
    """A correction's changes typed as the fields they change (``ledger.entries``)."""
    return read_changes(changes)


def _row(event: PersonnelRecord.Event, f: dict[str, Any], text: str, corrected: bool,
         revoked: bool) -> Row:
    return Row(f["effective_date"], text, order_reference(event), event.originator_version,
               corrected, revoked)


def _position(record: Kks16, event: PersonnelRecord.Event, f: dict[str, Any], text: str,
              corrected: bool, revoked: bool) -> None:
    record.positions.append(PositionRow(
        f["effective_date"], text, order_reference(event), event.originator_version, corrected,
        revoked, title=record.position_title, number=record.position_number,
        rank=_rank_label(record.rank), salary=record.salary or None))


def _rank_label(code: str) -> str:
    try:
        return rank_by_code(code).label_th
    except Exception:
        return code


def _apply(record: Kks16, event: PersonnelRecord.Event, f: dict[str, Any], corrected: bool,
           revoked: bool) -> None:
    kind = event.KIND
    if kind == "record_opened":
        _opened(record, f)
        return
    if revoked and kind not in _POSITION_TEXT:
        return
    handler = _SECTIONS.get(kind)
    if handler is not None:
        if record.with_rows or kind == "name_changed":
            handler(record, event, f, corrected, revoked)
        return
    if kind in _POSITION_TEXT:
        if not revoked:
            _move(record, kind, f)
        if record.with_rows:
            _position(record, event, f, _POSITION_TEXT[kind](f), corrected, revoked)


def _opened(record: Kks16, f: dict[str, Any]) -> None:
    record.national_id = f["national_id"]
    record.name = f"{f['prefix']}{f['first_name']} {f['last_name']}"
    record.birth_date = f["birth_date"]
    record.retirement_date = retirement_date(f["birth_date"])
    record.father_name, record.mother_name = f["father_name"], f["mother_name"]
    record.spouse_name, record.domicile, record.area = f["spouse_name"], f["domicile"], f["area"]


def _move(record: Kks16, kind: str, f: dict[str, Any]) -> None:
    if kind in ("appointed", "transferred", "position_changed"):
        record.position_title = f["position_title"]
        record.position_number = f["position_number"]
        record.unit, record.area = f["unit"], f["area"]
    if kind == "appointed" and record.appointed_on is None:
        record.appointed_on = f["effective_date"]
    if "rank" in f and kind in ("appointed", "position_changed", "standing_conferred"):
        record.rank = f["rank"]
    if kind == "standing_conferred":
        record.standing = f["standing"]
    for key in ("salary", "new_salary"):
        if key in f and kind != "transferred":
            record.salary = int(f[key])
    if kind == "position_renumbered" and record.position_number == f["old_number"]:
        record.position_number = f["new_number"]
    if kind == "left_service":
        record.left = (f["effective_date"], f["reason"])


_POSITION_TEXT: dict[str, Any] = {
    "appointed": lambda f: "บรรจุและแต่งตั้ง" + (" (ทดลองปฏิบัติหน้าที่ราชการ)"
                                                  if f.get("on_probation") else ""),
    "probation_passed": lambda f: f"พ้นการทดลองปฏิบัติหน้าที่ราชการ ({f['programme']})",
    "salary_raised": lambda f: "เลื่อนเงินเดือน"
    + (f" {f['steps']} ขั้น" if f.get("steps") is not None else "")
    + (f" ร้อยละ {f['percent']}" if f.get("percent") is not None else "")
    + (f" ค่าตอบแทนพิเศษ {int(f['special_compensation']):,} บาท"
       if f.get("special_compensation") else ""),
    "salary_table_moved": lambda f: "ปรับอัตราเงินเดือนตามบัญชีอัตราเงินเดือนใหม่",
    "transferred": lambda f: f"ย้ายไปดำรงตำแหน่ง {f['position_title']} {f['unit']}",
    "position_changed": lambda f: f"แต่งตั้งให้ดำรงตำแหน่ง {f['position_title']}",
    "standing_conferred": lambda f: f"ได้รับวิทยฐานะ{standing_by_code(f['standing']).label_th}",
    "position_renumbered": lambda f: f"เปลี่ยนเลขที่ตำแหน่ง จาก {f['old_number']} เป็น "
                                     f"{f['new_number']}",
    "assignment_started": lambda f: ("รักษาราชการแทน " if f["assignment"] == "acting"
                                     else "ช่วยราชการ ") + f"{f['position_title']} {f['unit']}",
    "assignment_ended": lambda f: "สิ้นสุดการรักษาราชการแทน/ช่วยราชการ",
    "left_service": lambda f: f"พ้นจากราชการ ({LEAVING_REASONS.get(f['reason'], f['reason'])})",
}


def _education(record: Kks16, event: Any, f: dict[str, Any], c: bool, r: bool) -> None:
    record.education.append(_row(event, f, f"{f['degree']} {f['major']} {f['institution']} "
                                 f"({f['started'].isoformat()} – {f['finished'].isoformat()})",
                                 c, r))


def _training(record: Kks16, event: Any, f: dict[str, Any], c: bool, r: bool) -> None:
    record.training.append(_row(event, f, f"{f['course']} ณ {f['place']}", c, r))


def _leave(record: Kks16, event: Any, f: dict[str, Any], c: bool, r: bool) -> None:
    year = to_be_year(f["effective_date"])
    per_type = record.leave_by_year.setdefault(year, {})
    per_type[f["leave_type"]] = per_type.get(f["leave_type"], Decimal(0)) + Decimal(f["days"])


def _renamed(record: Kks16, event: Any, f: dict[str, Any], c: bool, r: bool) -> None:
    new_name = f"{f['prefix']}{f['first_name']} {f['last_name']}"
    record.name_history.append(_row(event, f, f"เปลี่ยนจาก {record.name} เป็น {new_name}", c, r))
    record.name = new_name


_SECTIONS: dict[str, Any] = {
    "education_recorded": _education,
    "training_recorded": _training,
    "leave_recorded": _leave,
    "discipline": lambda rec, e, f, c, r: rec.discipline.append(
        _row(e, f, f"{f['penalty']} {f['description']}", c, r)),
    "days_without_pay": lambda rec, e, f, c, r: rec.days_without_pay.append(
        _row(e, f, f"{f['description']} ({f['started'].isoformat()} – "
                   f"{f['finished'].isoformat()})", c, r)),
    "decoration_conferred": lambda rec, e, f, c, r: rec.decorations.append(
        _row(e, f, f"ได้รับพระราชทาน {f['decoration']} ({f['gazette']})", c, r)),
    "decoration_returned": lambda rec, e, f, c, r: rec.decorations.append(
        _row(e, f, f"ส่งคืน {f['decoration']}", c, r)),
    "name_changed": _renamed,
    "special_skill": lambda rec, e, f, c, r: rec.special_skills.append(
        _row(e, f, f["description"], c, r)),
    "special_duty": lambda rec, e, f, c, r: rec.special_duties.append(
        _row(e, f, f["description"], c, r)),
    "evidence_attached": lambda rec, e, f, c, r: rec.evidence.append(
        _row(e, f, f"{f['description']} ({f['evidence'].name}, {f['evidence'].sha256[:12]}…)",
             c, r)),
}
