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

Codes (a rank ``k2``, a standing ``senior``, a staff type ``teacher``) are kept as the ledger
has them, each beside its Thai label (``rank_th`` …), so the API gives both. Which item of
the form each field fills is in ``docs/kks16.md``; ``projections.render`` prints the form.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from ledger.entries import typed_changes as read_changes
from ledger.record import PersonnelRecord
from ledger.rules import rank_label, standing_by_code, standing_label
from ledger.thaidate import end_of_day, format_thai_date, retirement_date, to_be_year, today
from ledger.vocabulary import LEAVING_REASONS, STAFF_TYPES, OrderRef
from projections.kks16_model import (
    DecorationRow,
    Kks16,
    PeriodRow,
    PhotoRow,
    PositionRow,
    Row,
    ScheduledRow,
)

__all__ = [
    "DecorationRow",
    "Kks16",
    "PeriodRow",
    "PhotoRow",
    "PositionRow",
    "Row",
    "ScheduledRow",
    "build_record",
    "effective_date_of",
    "order_reference",
    "typed_changes",
]


def order_reference(event: PersonnelRecord.Event) -> str:
    return _reference(event.order)


def _reference(order: OrderRef) -> str:
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
    _label(record)
    return record


def _label(record: Kks16) -> None:
    """The Thai label beside each code, as a person reads it."""
    record.rank_th = rank_label(record.rank) if record.rank else ""
    record.standing_th = standing_label(record.standing)
    record.staff_type_th = STAFF_TYPES.get(record.staff_type, record.staff_type)
    if record.left is not None:
        record.left_reason_th = LEAVING_REASONS.get(record.left[1], record.left[1])


def _scheduled(event: PersonnelRecord.Event, f: dict[str, Any]) -> ScheduledRow:
    describe = _POSITION_TEXT.get(event.KIND)
    text = describe(f) if describe is not None else event.LABEL_TH
    area = f.get("area", "") if event.KIND in ("appointed", "transferred",
                                               "position_changed") else ""
    return ScheduledRow(f["effective_date"], event.KIND, text, _reference(f["order"]),
                        event.originator_version, area, event.LABEL_TH)


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
    return Row(f["effective_date"], text, _reference(f["order"]), event.originator_version,
               corrected, revoked)


def _position(record: Kks16, event: PersonnelRecord.Event, f: dict[str, Any], text: str,
              corrected: bool, revoked: bool) -> None:
    record.positions.append(PositionRow(
        f["effective_date"], text, _reference(f["order"]), event.originator_version, corrected,
        revoked, title=record.position_title, number=record.position_number,
        rank=rank_label(record.rank), salary=record.salary or None, rank_code=record.rank))


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
    if kind == "appointed":
        if record.appointed_on is None:
            record.appointed_on = record.duty_started_on = f["effective_date"]
        record.staff_type = f["staff_type"]
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


def _period_text(started: date | None, finished: date | None) -> str:
    # The form's column is ตั้งแต่ – ถึง: both days in the Buddhist Era.
    return f"{_short_date(started) if started else '-'} – " \
           f"{_short_date(finished) if finished else '-'}"


def _period(event: PersonnelRecord.Event, f: dict[str, Any], place: str, title: str,
            text: str, c: bool, r: bool) -> PeriodRow:
    return PeriodRow(f["effective_date"], f"{text} ({_period_text(f['started'], f['finished'])})",
                     _reference(f["order"]), event.originator_version, c, r, place=place,
                     title=title, started=f["started"], finished=f["finished"])


def _education(record: Kks16, event: Any, f: dict[str, Any], c: bool, r: bool) -> None:
    title = f"{f['degree']} {f['major']}".strip()
    record.education.append(_period(event, f, f["institution"], title,
                                    f"{title} {f['institution']}", c, r))


def _training(record: Kks16, event: Any, f: dict[str, Any], c: bool, r: bool) -> None:
    record.training.append(_period(event, f, f["place"], f["course"],
                                   f"{f['course']} ณ {f['place']}", c, r))


def _without_pay(record: Kks16, event: Any, f: dict[str, Any], c: bool, r: bool) -> None:
    record.days_without_pay.append(_period(event, f, "", f["description"], f["description"],
                                           c, r))


def _leave(record: Kks16, event: Any, f: dict[str, Any], c: bool, r: bool) -> None:
    year = to_be_year(f["effective_date"])
    per_type = record.leave_by_year.setdefault(year, {})
    per_type[f["leave_type"]] = per_type.get(f["leave_type"], Decimal(0)) + Decimal(f["days"])


def _renamed(record: Kks16, event: Any, f: dict[str, Any], c: bool, r: bool) -> None:
    new_name = f"{f['prefix']}{f['first_name']} {f['last_name']}"
    record.name_history.append(_row(event, f, f"เปลี่ยนจาก {record.name} เป็น {new_name}", c, r))
    record.name = new_name


def _decorated(record: Kks16, event: Any, f: dict[str, Any], c: bool, r: bool) -> None:
    returned = event.KIND == "decoration_returned"
    text = f"ส่งคืน {f['decoration']}" if returned else \
        f"ได้รับพระราชทาน {f['decoration']} ({f['gazette']})"
    record.decorations.append(DecorationRow(
        f["effective_date"], text, _reference(f["order"]), event.originator_version, c, r,
        decoration=f["decoration"], gazette=f.get("gazette", ""), returned=returned))
    record.decoration = _held(record.decorations)


def _held(rows: list[DecorationRow]) -> str:
    """The latest decoration conferred and not returned since."""
    returned: set[str] = set()
    for row in reversed(rows):
        if row.returned:
            returned.add(row.decoration)
        elif row.decoration not in returned:
            return row.decoration
    return ""


def _address(record: Kks16, event: Any, f: dict[str, Any], c: bool, r: bool) -> None:
    if f["address_type"] == "current":
        record.current_address, record.telephone = f["address"], f["telephone"]
    else:
        record.registered_address = f["address"]


def _photo(record: Kks16, event: Any, f: dict[str, Any], c: bool, r: bool) -> None:
    photo, year = f["photo"], to_be_year(f["effective_date"])
    record.photos.append(PhotoRow(
        f["effective_date"], f"รูปถ่าย พ.ศ. {year} ({photo.name}, {photo.sha256[:12]}…)",
        _reference(f["order"]), event.originator_version, c, r, year=year,
        sha256=photo.sha256, name=photo.name, media_type=photo.media_type))


_SECTIONS: dict[str, Any] = {
    "education_recorded": _education,
    "training_recorded": _training,
    "leave_recorded": _leave,
    "discipline": lambda rec, e, f, c, r: rec.discipline.append(
        _row(e, f, f"{f['penalty']} {f['description']}", c, r)),
    "days_without_pay": _without_pay,
    "decoration_conferred": _decorated,
    "decoration_returned": _decorated,
    "name_changed": _renamed,
    "special_skill": lambda rec, e, f, c, r: rec.special_skills.append(
        _row(e, f, f["description"], c, r)),
    "special_duty": lambda rec, e, f, c, r: rec.special_duties.append(
        _row(e, f, f["description"], c, r)),
    "evidence_attached": lambda rec, e, f, c, r: rec.evidence.append(
        _row(e, f, f"{f['description']} ({f['evidence'].name}, {f['evidence'].sha256[:12]}…)",
             c, r)),
    "address_recorded": _address,
    "photo_recorded": _photo,
}
