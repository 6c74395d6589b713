"""The personnel record (ทะเบียนประวัติ ก.ค.ศ.16) as an event-sourced aggregate.

Every event is a career event: it carries the date it takes effect in the world
(``effective_date``, valid time) and the order that authorises it (``order``); the ledger adds
the recorded time. The aggregate keeps only the state its invariants need — the full
ก.ค.ศ.16 is a projection. Rules that come from regulations (salary ranges, standing criteria,
transfer periods) live as data in ``ledger.rules`` and are applied by ``commands``; the
invariants here are the ones no order can override: a record opens once, nothing happens
after the person has left service or before they were born, and a correction names an
entry that exists. Evidence (a scanned order, a certificate) may be attached to an entry that
exists, or to the record as a whole, at any time: evidence for history is still evidence.
So may the person's addresses and photos (the form's "ข้อมูลสำคัญโดยย่อ" and its photo
strip): a pensioner still moves house. A photo is an evidence file too, kept by its SHA-256.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate

from ledger.errors import RuleViolation
from ledger.evidence import EvidenceRef
from ledger.thaidate import format_thai_date
from ledger.vocabulary import ADDRESS_TYPES, LEAVING_REASONS, OrderRef

__all__ = ["EVENT_KINDS", "CareerEvent", "PersonnelRecord", "Position"]


@dataclass
class Position:
    """Where a person currently serves, as the aggregate needs it for its guards."""

    title: str
    number: str
    unit: str
    area: str
    rank: str
    since: date


@dataclass
class EntryInfo:
    kind: str
    effective_date: date
    revoked: bool = False
    corrected_by: list[int] = field(default_factory=list)


class PersonnelRecord(Aggregate):
    """One person's record. Its id is a keyed hash of the national ID (``ledger.identity``)."""

    class Event(Aggregate.Event):
        KIND: ClassVar[str] = ""
        LABEL_TH: ClassVar[str] = ""

        effective_date: date
        order: OrderRef

    class Opened(Event, Aggregate.Created):
        """เปิดทะเบียนประวัติ: the personal data of the form's page 1."""

        KIND = "record_opened"
        LABEL_TH = "เปิดทะเบียนประวัติ (ข้อมูลส่วนบุคคล)"
        national_id: str
        prefix: str
        first_name: str
        last_name: str
        birth_date: date
        area: str
        gender: str
        father_name: str
        mother_name: str
        spouse_name: str
        domicile: str

    class Appointed(Event):
        KIND = "appointed"
        LABEL_TH = "บรรจุและแต่งตั้ง"
        position_title: str
        position_number: str
        unit: str
        area: str
        rank: str
        salary: int
        staff_type: str
        on_probation: bool

    class ProbationPassed(Event):
        KIND = "probation_passed"
        LABEL_TH = "พ้นการทดลองปฏิบัติหน้าที่ราชการ / ผ่านการเตรียมความพร้อมและพัฒนาอย่างเข้ม"
        programme: str

    class SalaryRaised(Event):
        KIND = "salary_raised"
        LABEL_TH = "เลื่อนเงินเดือน"
        new_salary: int
        percent: Decimal | None
        steps: Decimal | None
        calculation_base: int | None
        special_compensation: int
        appraisal: str

    class SalaryTableMoved(Event):
        KIND = "salary_table_moved"
        LABEL_TH = "ปรับอัตราเงินเดือนตามบัญชีอัตราเงินเดือนใหม่"
        new_salary: int
        table_id: str

    class Transferred(Event):
        KIND = "transferred"
        LABEL_TH = "ย้าย"
        position_title: str
        position_number: str
        unit: str
        area: str

    class PositionChanged(Event):
        KIND = "position_changed"
        LABEL_TH = "แต่งตั้ง (ให้ดำรงตำแหน่งอื่น)"
        position_title: str
        position_number: str
        unit: str
        area: str
        rank: str
        salary: int

    class AssignmentStarted(Event):
        KIND = "assignment_started"
        LABEL_TH = "รักษาราชการแทน / ช่วยราชการ"
        assignment: str  # "acting" (รักษาราชการแทน) or "temporary" (ช่วยราชการ)
        position_title: str
        unit: str
        until: date | None

    class AssignmentEnded(Event):
        KIND = "assignment_ended"
        LABEL_TH = "สิ้นสุดการรักษาราชการแทน / ช่วยราชการ"
        assignment: str

    class StandingConferred(Event):
        KIND = "standing_conferred"
        LABEL_TH = "ได้รับวิทยฐานะ"
        standing: str
        rank: str
        salary: int

    class PositionRenumbered(Event):
        KIND = "position_renumbered"
        LABEL_TH = "เปลี่ยนเลขที่ตำแหน่ง"
        old_number: str
        new_number: str

    class EducationRecorded(Event):
        KIND = "education_recorded"
        LABEL_TH = "ประวัติการศึกษา"
        institution: str
        degree: str
        major: str
        started: date
        finished: date

    class TrainingRecorded(Event):
        KIND = "training_recorded"
        LABEL_TH = "การฝึกอบรมและดูงาน"
        course: str
        place: str
        started: date
        finished: date

    class LeaveRecorded(Event):
        KIND = "leave_recorded"
        LABEL_TH = "การลา"
        leave_type: str
        days: Decimal
        started: date
        finished: date

    class DaysWithoutPayRecorded(Event):
        KIND = "days_without_pay"
        LABEL_TH = "วันที่ไม่ได้รับเงินเดือนหรือได้รับไม่เต็ม"
        started: date
        finished: date
        description: str

    class DisciplinePenalised(Event):
        KIND = "discipline"
        LABEL_TH = "การได้รับโทษทางวินัย"
        penalty: str
        description: str

    class DecorationConferred(Event):
        KIND = "decoration_conferred"
        LABEL_TH = "ได้รับพระราชทานเครื่องราชอิสริยาภรณ์"
        decoration: str
        gazette: str

    class DecorationReturned(Event):
        KIND = "decoration_returned"
        LABEL_TH = "ส่งคืนเครื่องราชอิสริยาภรณ์"
        decoration: str

    class NameChanged(Event):
        KIND = "name_changed"
        LABEL_TH = "เปลี่ยนชื่อ-ชื่อสกุล"
        prefix: str
        first_name: str
        last_name: str

    class SpecialSkillRecorded(Event):
        KIND = "special_skill"
        LABEL_TH = "ความสามารถพิเศษ"
        description: str

    class SpecialDutyRecorded(Event):
        KIND = "special_duty"
        LABEL_TH = "การปฏิบัติราชการพิเศษ"
        description: str

    class LeftService(Event):
        KIND = "left_service"
        LABEL_TH = "พ้นจากราชการ"
        reason: str

    class EntryCorrected(Event):
        KIND = "entry_corrected"
        LABEL_TH = "แก้ไขรายการ"
        corrects: int
        changes: dict[str, Any]
        reason: str

    class EntryRevoked(Event):
        KIND = "entry_revoked"
        LABEL_TH = "ยกเลิกรายการ"
        revokes: int
        reason: str

    class AddressRecorded(Event):
        """ที่อยู่ (ข้อมูลสำคัญโดยย่อ ๒): where the person lives from the effective date on."""

        KIND = "address_recorded"
        LABEL_TH = "บันทึกที่อยู่"
        address_type: str  # "current" (ที่อยู่ปัจจุบัน) or "registered" (ที่อยู่ตามทะเบียนบ้าน)
        address: str
        telephone: str

    class PhotoRecorded(Event):
        """รูปถ่าย: a photo of the person, an image in the evidence store; the form prints the
        พ.ศ. of its effective date (when it was taken)."""

        KIND = "photo_recorded"
        LABEL_TH = "บันทึกรูปถ่าย"
        photo: EvidenceRef

    class EvidenceAttached(Event):
        """A file in the evidence store documents an entry (or, at 0, the whole record)."""

        KIND = "evidence_attached"
        LABEL_TH = "แนบเอกสารหลักฐาน"
        attached_to: int
        evidence: EvidenceRef
        description: str

    # ------------------------------------------------------------------ state

    def __init__(
        self,
        national_id: str,
        prefix: str,
        first_name: str,
        last_name: str,
        birth_date: date,
        area: str,
    ) -> None:
        self.national_id = national_id
        self.name = (prefix, first_name, last_name)
        self.birth_date = birth_date
        self.area = area
        self.position: Position | None = None
        self.appointed_on: date | None = None
        self.salary = 0
        self.standing = "none"
        self.left_on: date | None = None
        self.entries: dict[int, EntryInfo] = {}
        # What a new address or photo must not repeat: address type → (version, address,
        # telephone) of the latest one recorded (as recorded: a correction of it is not
        # followed here); photo hash → version. A revoked one is forgotten.
        self.addresses: dict[str, tuple[int, str, str]] = {}
        self.photos: dict[str, int] = {}

    # ---------------------------------------------------------------- commands

    @classmethod
    def open(cls, record_id: UUID, *, effective_date: date, order: OrderRef,
             national_id: str, prefix: str, first_name: str, last_name: str,
             birth_date: date, area: str, gender: str = "", father_name: str = "",
             mother_name: str = "", spouse_name: str = "", domicile: str = "") -> PersonnelRecord:
        """Open the record of a person not yet in the ledger."""
        if effective_date < birth_date:
            raise RuleViolation("record.before-birth",
                                "a record cannot open before the person's birth",
                                "เปิดทะเบียนประวัติก่อนวันเกิดไม่ได้")
        return cls._create(
            cls.Opened, id=record_id, effective_date=effective_date, order=order,
            national_id=national_id, prefix=prefix, first_name=first_name,
            last_name=last_name, birth_date=birth_date, area=area, gender=gender,
            father_name=father_name, mother_name=mother_name, spouse_name=spouse_name,
            domicile=domicile,
        )

    def record(self, event_class: type[PersonnelRecord.Event], **fields: Any) -> None:
        """Append one career entry after the invariants hold for it."""
        effective_date: date = fields["effective_date"]
        if event_class is PersonnelRecord.Opened:
            raise RuleViolation("record.opened-once", "a record is opened only once",
                                "เปิดทะเบียนประวัติได้ครั้งเดียว")
        if event_class in (PersonnelRecord.EntryCorrected, PersonnelRecord.EntryRevoked):
            self.check_can_amend(fields.get("corrects", fields.get("revokes", 0)))
        elif event_class is PersonnelRecord.EvidenceAttached:
            # No in-service check: documents for past entries arrive after people retire.
            self.check_can_attach(fields["attached_to"])
            self.check_not_before_birth(effective_date)
        elif event_class is PersonnelRecord.AddressRecorded:
            self.check_new_address(fields["address_type"], fields["address"],
                                   fields["telephone"])
            self.check_not_before_birth(effective_date)
        elif event_class is PersonnelRecord.PhotoRecorded:
            self.check_new_photo(fields["photo"])
            self.check_not_before_birth(effective_date)
        else:
            self.check_not_before_birth(effective_date)
            self.check_in_service_on(effective_date)
        if event_class is PersonnelRecord.LeftService:
            self.check_leaving_reason(fields["reason"])
        self.trigger_event(event_class, **fields)

    # ------------------------------------------------------------------ guards

    def check_not_before_birth(self, effective_date: date) -> None:
        if effective_date < self.birth_date:
            raise RuleViolation("record.before-birth",
                                f"effective date {effective_date} is before the person's birth",
                                f"วันที่มีผล {format_thai_date(effective_date)} อยู่ก่อนวันเกิด")

    def check_in_service_on(self, effective_date: date) -> None:
        if self.left_on is not None and effective_date >= self.left_on:
            raise RuleViolation(
                "record.after-leaving-service",
                f"the person left service on {self.left_on}: nothing can take effect after it",
                f"พ้นจากราชการแล้วเมื่อ {format_thai_date(self.left_on)} "
                f"บันทึกรายการที่มีผลหลังจากนั้นไม่ได้",
            )

    @staticmethod
    def check_leaving_reason(reason: str) -> None:
        if reason not in LEAVING_REASONS:
            raise RuleViolation("record.leaving-reason",
                                f"unknown reason for leaving service {reason!r}; "
                                f"known: {', '.join(LEAVING_REASONS)}",
                                f"ไม่รู้จักเหตุพ้นจากราชการ {reason!r}")

    def check_can_amend(self, version: int) -> None:
        entry = self.entries.get(version)
        if entry is None:
            raise RuleViolation("record.amend-unknown-entry",
                                f"entry {version} does not exist in this record",
                                f"ไม่มีรายการลำดับที่ {version} ในทะเบียนประวัตินี้")
        if entry.revoked:
            raise RuleViolation("record.amend-revoked-entry",
                                f"entry {version} has already been revoked",
                                f"รายการลำดับที่ {version} ถูกยกเลิกไปแล้ว")

    def check_can_attach(self, version: int) -> None:
        if version == 0:
            return  # the record as a whole
        if version not in self.entries:
            raise RuleViolation("record.evidence-unknown-entry",
                                f"entry {version} does not exist in this record: evidence can "
                                "be attached only to an existing entry, or to 0 (the record)",
                                f"ไม่มีรายการลำดับที่ {version} ในทะเบียนประวัตินี้ "
                                "แนบเอกสารหลักฐานได้เฉพาะรายการที่มีอยู่ หรือ 0 (ทั้งทะเบียน)")

    def check_new_address(self, address_type: str, address: str, telephone: str) -> None:
        if address_type not in ADDRESS_TYPES:
            raise RuleViolation(
                "record.address-type",
                f"unknown address type {address_type!r}; known: {', '.join(ADDRESS_TYPES)}",
                f"ไม่รู้จักประเภทที่อยู่ {address_type!r} (ประเภทที่มี: "
                f"{', '.join(f'{k} = {v}' for k, v in ADDRESS_TYPES.items())})")
        if not address.strip():
            raise RuleViolation("record.address-empty", "the address is empty",
                                "ต้องระบุที่อยู่")
        kept = self.addresses.get(address_type)
        if kept is not None and kept[1:] == (address, telephone):
            raise RuleViolation(
                "record.address-unchanged",
                f"this {address_type} address is already on the record (entry {kept[0]})",
                f"{ADDRESS_TYPES[address_type]}นี้บันทึกไว้แล้ว (รายการลำดับที่ {kept[0]})")

    def check_new_photo(self, photo: EvidenceRef) -> None:
        if not photo.media_type.startswith("image/"):
            raise RuleViolation(
                "record.photo-not-an-image",
                f"a photo must be an image (image/jpeg, image/png …), not {photo.media_type}",
                f"รูปถ่ายต้องเป็นไฟล์ภาพ (image/jpeg, image/png …) ไม่ใช่ {photo.media_type}")
        kept = self.photos.get(photo.sha256)
        if kept is not None:
            raise RuleViolation(
                "record.photo-duplicate",
                f"this photo ({photo.sha256[:12]}…) is already on the record (entry {kept})",
                f"รูปถ่ายนี้ ({photo.sha256[:12]}…) บันทึกไว้แล้ว (รายการลำดับที่ {kept})")

    @property
    def in_service(self) -> bool:
        return self.appointed_on is not None and self.left_on is None


# -------------------------------------------------------------- event application
# Each event's apply() keeps the aggregate's guard state; kept beside the class so the
# vocabulary above reads as the form does.

def _note_entry(record: PersonnelRecord, event: PersonnelRecord.Event) -> None:
    record.entries[event.originator_version] = EntryInfo(event.KIND, event.effective_date)


def _apply_opened(self: PersonnelRecord.Opened, record: PersonnelRecord) -> None:
    _note_entry(record, self)


def _apply_appointed(self: PersonnelRecord.Appointed, record: PersonnelRecord) -> None:
    record.position = Position(self.position_title, self.position_number, self.unit,
                               self.area, self.rank, self.effective_date)
    record.area = self.area
    record.salary = self.salary
    if record.appointed_on is None:
        record.appointed_on = self.effective_date
    _note_entry(record, self)


def _apply_salary(self: PersonnelRecord.SalaryRaised | PersonnelRecord.SalaryTableMoved,
                  record: PersonnelRecord) -> None:
    record.salary = self.new_salary
    _note_entry(record, self)


def _apply_transferred(self: PersonnelRecord.Transferred, record: PersonnelRecord) -> None:
    rank = record.position.rank if record.position else ""
    record.position = Position(self.position_title, self.position_number, self.unit,
                               self.area, rank, self.effective_date)
    record.area = self.area
    _note_entry(record, self)


def _apply_position_changed(self: PersonnelRecord.PositionChanged,
                            record: PersonnelRecord) -> None:
    record.position = Position(self.position_title, self.position_number, self.unit,
                               self.area, self.rank, self.effective_date)
    record.area = self.area
    record.salary = self.salary
    _note_entry(record, self)


def _apply_standing(self: PersonnelRecord.StandingConferred, record: PersonnelRecord) -> None:
    record.standing = self.standing
    record.salary = self.salary
    if record.position is not None:
        record.position.rank = self.rank
    _note_entry(record, self)


def _apply_renumbered(self: PersonnelRecord.PositionRenumbered, record: PersonnelRecord) -> None:
    if record.position is not None and record.position.number == self.old_number:
        record.position.number = self.new_number
    _note_entry(record, self)


def _apply_name_changed(self: PersonnelRecord.NameChanged, record: PersonnelRecord) -> None:
    record.name = (self.prefix, self.first_name, self.last_name)
    _note_entry(record, self)


def _apply_left(self: PersonnelRecord.LeftService, record: PersonnelRecord) -> None:
    record.left_on = self.effective_date
    _note_entry(record, self)


def _apply_corrected(self: PersonnelRecord.EntryCorrected, record: PersonnelRecord) -> None:
    record.entries[self.corrects].corrected_by.append(self.originator_version)
    _note_entry(record, self)


def _apply_revoked(self: PersonnelRecord.EntryRevoked, record: PersonnelRecord) -> None:
    target = record.entries[self.revokes]
    target.revoked = True
    # Revoking a leaving-service entry puts the person back in service.
    if target.kind == PersonnelRecord.LeftService.KIND:
        record.left_on = None
    # A revoked address or photo may be recorded again.
    record.addresses = {k: v for k, v in record.addresses.items() if v[0] != self.revokes}
    record.photos = {k: v for k, v in record.photos.items() if v != self.revokes}
    _note_entry(record, self)


def _apply_address(self: PersonnelRecord.AddressRecorded, record: PersonnelRecord) -> None:
    record.addresses[self.address_type] = (self.originator_version, self.address,
                                           self.telephone)
    _note_entry(record, self)


def _apply_photo(self: PersonnelRecord.PhotoRecorded, record: PersonnelRecord) -> None:
    record.photos[self.photo.sha256] = self.originator_version
    _note_entry(record, self)


def _apply_plain(self: PersonnelRecord.Event, record: PersonnelRecord) -> None:
    _note_entry(record, self)


_APPLIERS: dict[type[PersonnelRecord.Event], Any] = {
    PersonnelRecord.Opened: _apply_opened,
    PersonnelRecord.Appointed: _apply_appointed,
    PersonnelRecord.SalaryRaised: _apply_salary,
    PersonnelRecord.SalaryTableMoved: _apply_salary,
    PersonnelRecord.Transferred: _apply_transferred,
    PersonnelRecord.PositionChanged: _apply_position_changed,
    PersonnelRecord.StandingConferred: _apply_standing,
    PersonnelRecord.PositionRenumbered: _apply_renumbered,
    PersonnelRecord.NameChanged: _apply_name_changed,
    PersonnelRecord.LeftService: _apply_left,
    PersonnelRecord.EntryCorrected: _apply_corrected,
    PersonnelRecord.EntryRevoked: _apply_revoked,
    PersonnelRecord.AddressRecorded: _apply_address,
    PersonnelRecord.PhotoRecorded: _apply_photo,
}

CareerEvent = PersonnelRecord.Event

EVENT_KINDS: dict[str, type[PersonnelRecord.Event]] = {}
for _cls in vars(PersonnelRecord).values():
    if isinstance(_cls, type) and issubclass(_cls, PersonnelRecord.Event) and _cls.KIND:
        _cls.apply = _APPLIERS.get(_cls, _apply_plain)  # type: ignore[method-assign]
        EVENT_KINDS[_cls.KIND] = _cls
