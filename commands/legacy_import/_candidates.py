"""One row → one candidate entry: the event it would become, checked for form.

A candidate is not yet accepted: whether it is new, already in the record, or refused by the
record's own rules is decided against the records (``_plan``). Two values of a history row
depend on the record as it stands when the row is applied, so they stay ``None`` here: the
area of a row that names none (the person's area then) and the old number of a renumbering
(the number the person held then).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from commands.legacy_import._cells import Reason, RowReader
from commands.legacy_import._labels import gender_of, kind_of, rank_of, reason_of, standing_of
from ledger.record import EVENT_KINDS, PersonnelRecord
from ledger.rules import (
    rank_for_standing,
    rank_label,
    salary_table_in_force,
    standing_for_rank,
    standing_label,
)

__all__ = [
    "PERSONAL_FIELDS",
    "Candidate",
    "education_candidate",
    "history_candidate",
    "people_candidate",
]

# The page-1 data compared when a people row meets a record that is already open.
PERSONAL_FIELDS = ("prefix", "first_name", "last_name", "birth_date", "gender", "father_name",
                   "mother_name", "spouse_name", "domicile")
_OPTIONAL_PERSONAL = ("father_name", "mother_name", "spouse_name", "domicile")


@dataclass(frozen=True)
class Candidate:
    line: int
    national_id: str
    event_class: type[PersonnelRecord.Event]
    fields: dict[str, Any]

    @property
    def kind(self) -> str:
        return self.event_class.KIND


def people_candidate(reader: RowReader, default_area: str | None) -> Candidate | None:
    """A people row → the ``record_opened`` entry (the ``open`` arguments)."""
    national_id = reader.national_id()
    fields: dict[str, Any] = {
        "national_id": national_id,
        "effective_date": reader.day("record_date"),
        "order": reader.order(),
        "prefix": reader.text("prefix", required=True),
        "first_name": reader.text("first_name", required=True),
        "last_name": reader.text("last_name", required=True),
        "birth_date": reader.day("birth_date"),
        "gender": reader.parsed("gender", gender_of) or "",
        "area": reader.text("area") or default_area or "",
        **{name: reader.text(name) for name in _OPTIONAL_PERSONAL},
    }
    if not fields["area"]:
        reader.reasons.append(Reason("area is required: fill the area column or give --area",
                                     "ต้องระบุเขตพื้นที่การศึกษา ในคอลัมน์ area หรือด้วย --area"))
    return _candidate(reader, national_id, PersonnelRecord.Opened, fields)


def history_candidate(reader: RowReader) -> Candidate | None:
    """A section-13 row → the career entry its ``kind`` names."""
    national_id = reader.national_id()
    effective_date = reader.day("date")
    order = reader.order()
    kind = reader.parsed("kind", kind_of, required=True)
    fields = _KIND_FIELDS[kind](reader, effective_date) if kind is not None else {}
    fields.update(effective_date=effective_date, order=order)
    return _candidate(reader, national_id, EVENT_KINDS.get(kind or ""), fields)


def education_candidate(reader: RowReader) -> Candidate | None:
    """A section-10 row → ``education_recorded``, effective when the studies finished."""
    national_id = reader.national_id()
    started = reader.day("started")
    finished = reader.day("finished")
    if started is not None and finished is not None and finished < started:
        reader.reasons.append(Reason("finished is before started",
                                     "วันสำเร็จการศึกษาอยู่ก่อนวันเริ่มศึกษา"))
    fields: dict[str, Any] = {
        "effective_date": finished, "order": reader.order(), "started": started,
        "finished": finished, "institution": reader.text("institution", required=True),
        "degree": reader.text("degree", required=True), "major": reader.text("major"),
    }
    return _candidate(reader, national_id, PersonnelRecord.EducationRecorded, fields)


def _candidate(reader: RowReader, national_id: str | None,
               event_class: type[PersonnelRecord.Event] | None,
               fields: dict[str, Any]) -> Candidate | None:
    if reader.row.extra:
        reader.reasons.append(Reason(
            f"the row has {len(reader.row.extra)} filled cell(s) beyond the header's columns",
            f"แถวนี้มีข้อมูล {len(reader.row.extra)} ช่องเกินคอลัมน์ของหัวตาราง"))
    if reader.reasons or national_id is None or event_class is None:
        return None
    return Candidate(reader.row.line, national_id, event_class, fields)


# ----------------------------------------------------------------- fields per kind


def _position(reader: RowReader, on: date | None) -> dict[str, Any]:
    return {"position_title": reader.text("position", required=True),
            "position_number": reader.text("position_number", required=True),
            "unit": reader.text("unit"), "area": reader.text("area") or None}


def _appointed(reader: RowReader, on: date | None) -> dict[str, Any]:
    rank = reader.parsed("rank", rank_of, required=True)
    # Legacy rows do not say the staff type; the import is for teachers' records, and a
    # ครูผู้ช่วย is appointed on probation (the two-year development programme).
    return {**_position(reader, on), "rank": rank, "salary": reader.amount("salary", required=True),
            "staff_type": "teacher", "on_probation": rank == "assistant"}


def _salary_raised(reader: RowReader, on: date | None) -> dict[str, Any]:
    return {"new_salary": reader.amount("salary", required=True),
            "percent": reader.decimal("percent"), "steps": reader.decimal("steps"),
            "calculation_base": None, "special_compensation": 0,
            "appraisal": reader.text("detail")}


def _salary_table_moved(reader: RowReader, on: date | None) -> dict[str, Any]:
    table = salary_table_in_force(on) if on is not None else None
    return {"new_salary": reader.amount("salary", required=True),
            "table_id": table.id if table is not None else ""}


def _position_changed(reader: RowReader, on: date | None) -> dict[str, Any]:
    return {**_position(reader, on), "rank": reader.parsed("rank", rank_of, required=True),
            "salary": reader.amount("salary", required=True)}


def _standing_conferred(reader: RowReader, on: date | None) -> dict[str, Any]:
    before = len(reader.reasons)
    rank = reader.parsed("rank", rank_of)
    standing = reader.parsed("standing", standing_of)
    salary = reader.amount("salary", required=True)
    if len(reader.reasons) == before:
        if rank is None and standing is None:
            reader.missing("rank")
        elif standing is None and rank is not None:
            standing = standing_for_rank(rank)
        elif rank is None and standing is not None:
            rank = rank_for_standing(standing)
    if standing == "none":
        reader.reasons.append(Reason(
            "a standing is conferred with rank คศ.2 or above (ชำนาญการ …)",
            "การได้รับวิทยฐานะต้องเป็นอันดับ คศ.2 ขึ้นไป (ชำนาญการ …)"))
    elif rank is not None and standing is not None and rank_for_standing(standing) != rank:
        reader.reasons.append(Reason(f"standing {standing} does not go with rank {rank}",
                                     f"วิทยฐานะ{standing_label(standing)}ไม่ตรงกับอันดับ "
                                     f"{rank_label(rank)}"))
    return {"standing": standing, "rank": rank, "salary": salary}


def _renumbered(reader: RowReader, on: date | None) -> dict[str, Any]:
    return {"old_number": reader.text("old_position_number") or None,
            "new_number": reader.text("position_number", required=True)}


def _left_service(reader: RowReader, on: date | None) -> dict[str, Any]:
    return {"reason": reader.parsed("detail", reason_of, required=True)}


def _probation_passed(reader: RowReader, on: date | None) -> dict[str, Any]:
    return {"programme": reader.text("detail")}


_KIND_FIELDS: dict[str, Callable[[RowReader, date | None], dict[str, Any]]] = {
    "appointed": _appointed,
    "probation_passed": _probation_passed,
    "salary_raised": _salary_raised,
    "salary_table_moved": _salary_table_moved,
    "transferred": _position,
    "position_changed": _position_changed,
    "standing_conferred": _standing_conferred,
    "position_renumbered": _renumbered,
    "left_service": _left_service,
}
