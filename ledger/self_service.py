"""Self-service for teachers (issue 17, item 7): a teacher confirms her ก.ค.ศ.16, or asks for
one section of it to be changed, and follows the request.

A teacher holds no signing key. What she does is written by the server and signed by its
**service** key, naming her (``confirmed_by``, ``requested_by``), as the access log is
(``ledger.access``). What her area's registrar decides about a request — declined with a
reason, or turned into a correction order — is signed by that registrar's key, and only a
registrar of the area the request was made in may sign it. So the kinds of event here are
signed by one role each (``SIGNED_BY``), checked per event at the write
(``signing_problems``) and by ``tabien verify`` (``audit.authority``):

* ``RecordConfirmations`` (one per record, its id derived from the record's) —
  ``Confirmed``: who confirmed which version of the record, and when. Service key.
* ``ChangeRequest`` — ``Submitted`` (service key; it carries the record's area at the time,
  which the registrar's events are then judged by); ``Declined`` and ``Drafted`` (the area's
  registrar). A request is decided once.
* ``RequestIndex`` (one per area and one per record, ids derived from them) — ``Listed``:
  the requests made there, so that a queue or a teacher's list is read without a scan of the
  ledger. Service key, written with the request it lists.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from eventsourcing.domain import Aggregate
from eventsourcing.utils import get_topic

from ledger.entries import check_text
from ledger.errors import Conflict, InvalidInput
from ledger.evidence import EvidenceRef

__all__ = ["AREA_OPENING_TOPICS", "MAX_EVIDENCE", "MAX_REASON", "REQUEST_TOPICS", "SECTIONS",
           "SIGNED_BY",
           "ChangeRequest", "RecordConfirmations", "RequestIndex", "area_requests_id",
           "check_section", "confirmations_id_for", "record_requests_id", "signing_problems"]

_NAMESPACE = uuid.UUID("6f0b3c52-1a9e-4d7b-9e21-8c4d5a7f3e10")
MAX_REASON = 1_000
MAX_EVIDENCE = 10
_MAX_NAME = 120

SECTIONS: dict[str, str] = {
    "personal": "ข้อ ๑–๙ ข้อมูลส่วนตัว (ชื่อ วันเกิด บิดา มารดา คู่สมรส วันบรรจุ)",
    "education": "๑๐. ประวัติการศึกษา ฝึกอบรมและดูงาน",
    "discipline": "๑๑. การได้รับโทษทางวินัย",
    "days_without_pay": "๑๒. วันที่ไม่ได้รับเงินเดือน หรือได้รับไม่เต็ม",
    "positions": "๑๓. ตำแหน่งและอัตราเงินเดือน",
    "address": "ที่อยู่ปัจจุบัน และที่อยู่ตามทะเบียนบ้าน",
    "decorations": "๓. เครื่องราชอิสริยาภรณ์",
    "leave": "๔. จำนวนวันลาหยุดราชการ ขาดราชการ มาสาย",
    "special_skills": "๕. ความสามารถพิเศษ",
    "special_duties": "๖. การปฏิบัติราชการพิเศษ",
    "name_history": "๗. การเปลี่ยนชื่อ-ชื่อสกุล",
    "photos": "รูปถ่าย",
}
"""The ก.ค.ศ.16's sections a teacher may ask to change, by code, with the form's own words
(``projections.render.layout``)."""


def confirmations_id_for(record_id: uuid.UUID) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, f"confirmations:{record_id}")


def area_requests_id(area: str) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, f"requests:area:{area}")


def record_requests_id(record_id: uuid.UUID) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, f"requests:record:{record_id}")


def check_section(section: str) -> str:
    if section not in SECTIONS:
        raise InvalidInput(f"unknown section {section!r}; known: {', '.join(SECTIONS)}",
                           f"ไม่รู้จักหัวข้อ {section!r} ของ ก.ค.ศ.16")
    return section


def _check_reason(reason: str) -> str:
    check_text("reason", reason)
    if not reason.strip():
        raise InvalidInput("give a reason", "กรุณาระบุเหตุผล")
    if len(reason) > MAX_REASON:
        raise InvalidInput(f"the reason is longer than {MAX_REASON} characters",
                           f"เหตุผลยาวเกิน {MAX_REASON} ตัวอักษร")
    return reason


def _check_user(name: str, who: str) -> str:
    check_text(name, who)
    if not who.strip() or len(who) > _MAX_NAME:
        raise InvalidInput(f"{name} must name a user (at most {_MAX_NAME} characters)",
                           f"ต้องระบุผู้ใช้ ({name}) ไม่เกิน {_MAX_NAME} ตัวอักษร")
    return who


def _check_evidence(evidence: Sequence[EvidenceRef]) -> list[EvidenceRef]:
    """The files (each checked as it was made: ``EvidenceRef``), at most ``MAX_EVIDENCE``."""
    if len(evidence) > MAX_EVIDENCE:
        raise InvalidInput(f"at most {MAX_EVIDENCE} evidence files",
                           f"แนบเอกสารหลักฐานได้ไม่เกิน {MAX_EVIDENCE} ไฟล์")
    if any(not isinstance(ref, EvidenceRef) for ref in evidence):
        raise InvalidInput("evidence files are given as references to stored files",
                           "เอกสารหลักฐานต้องอ้างถึงไฟล์ที่จัดเก็บแล้ว")
    return list(evidence)


class RecordConfirmations(Aggregate):
    """A teacher's confirmations that her record is right, as she read it."""

    class Opened(Aggregate.Created):
        record_id: uuid.UUID

    class Confirmed(Aggregate.Event):
        confirmed_by: str
        confirmed_at: datetime
        record_version: int

    def __init__(self, record_id: uuid.UUID) -> None:
        self.record_id = record_id
        self.confirmed: list[tuple[str, datetime, int]] = []

    @classmethod
    def for_record(cls, record_id: uuid.UUID) -> RecordConfirmations:
        return cls._create(cls.Opened, id=confirmations_id_for(record_id), record_id=record_id)

    def confirm(self, confirmed_by: str, confirmed_at: datetime, record_version: int) -> None:
        _check_user("confirmed_by", confirmed_by)
        if record_version < 1:
            raise InvalidInput("a confirmation names the record's version",
                               "การยืนยันต้องระบุรุ่นของทะเบียนประวัติ")
        self.trigger_event(self.Confirmed, confirmed_by=confirmed_by,
                           confirmed_at=confirmed_at, record_version=record_version)


def _apply_confirmed(event: RecordConfirmations.Confirmed,
                     confirmations: RecordConfirmations) -> None:
    confirmations.confirmed.append(
        (event.confirmed_by, event.confirmed_at, event.record_version))


RecordConfirmations.Confirmed.apply = _apply_confirmed  # type: ignore[method-assign,assignment]


class ChangeRequest(Aggregate):
    """A teacher's request to change one section of her record, and what became of it."""

    class Submitted(Aggregate.Created):
        record_id: uuid.UUID
        national_id: str
        area: str
        section: str
        reason: str
        evidence: list[EvidenceRef]  # re-checked by ``tabien verify``
        requested_by: str
        submitted_at: datetime
        record_version: int

    class Declined(Aggregate.Event):
        reason: str
        declined_by: str
        declined_at: datetime

    class Drafted(Aggregate.Event):
        authority: str
        order_number: str
        order_date: date
        drafted_by: str
        drafted_at: datetime

    def __init__(self, record_id: uuid.UUID, national_id: str, area: str, section: str,
                 reason: str, evidence: list[EvidenceRef], requested_by: str,
                 submitted_at: datetime, record_version: int) -> None:
        self.record_id = record_id
        self.national_id = national_id
        self.area = area
        self.section = section
        self.reason = reason
        self.evidence = evidence
        self.requested_by = requested_by
        self.submitted_at = submitted_at
        self.record_version = record_version
        self.status = "submitted"
        self.decided_by = ""
        self.decided_at: datetime | None = None
        self.decline_reason = ""
        self.order: tuple[str, str, date] | None = None  # authority, number, date

    @classmethod
    def submit(cls, *, record_id: uuid.UUID, national_id: str, area: str, section: str,
               reason: str, evidence: Sequence[EvidenceRef], requested_by: str,
               submitted_at: datetime, record_version: int) -> ChangeRequest:
        if not area.strip():
            raise InvalidInput("the record is in no known area",
                               "ทะเบียนประวัตินี้ไม่อยู่ในเขตพื้นที่ใด")
        return cls._create(cls.Submitted, id=uuid.uuid4(), record_id=record_id,
                           national_id=national_id, area=area,
                           section=check_section(section), reason=_check_reason(reason),
                           evidence=_check_evidence(evidence),
                           requested_by=_check_user("requested_by", requested_by),
                           submitted_at=submitted_at, record_version=record_version)

    def check_open(self) -> None:
        if self.status != "submitted":
            raise Conflict(f"change request {self.id} was already {self.status}",
                           f"คำร้องขอแก้ไข {self.id} ได้รับการพิจารณาแล้ว "
                           f"({_STATUS_TH.get(self.status, self.status)})")

    def decline(self, reason: str, declined_by: str, declined_at: datetime) -> None:
        self.check_open()
        self.trigger_event(self.Declined, reason=_check_reason(reason),
                           declined_by=_check_user("declined_by", declined_by),
                           declined_at=declined_at)

    def drafted(self, authority: str, order_number: str, order_date: date, drafted_by: str,
                drafted_at: datetime) -> None:
        self.check_open()
        self.trigger_event(self.Drafted, authority=authority, order_number=order_number,
                           order_date=order_date,
                           drafted_by=_check_user("drafted_by", drafted_by),
                           drafted_at=drafted_at)


_STATUS_TH = {"declined": "ไม่อนุมัติ", "drafted": "ออกเป็นร่างคำสั่งแก้ไขแล้ว"}


def _apply_declined(event: ChangeRequest.Declined, request: ChangeRequest) -> None:
    request.status = "declined"
    request.decline_reason = event.reason
    request.decided_by, request.decided_at = event.declined_by, event.declined_at


def _apply_drafted(event: ChangeRequest.Drafted, request: ChangeRequest) -> None:
    request.status = "drafted"
    request.order = (event.authority, event.order_number, event.order_date)
    request.decided_by, request.decided_at = event.drafted_by, event.drafted_at


ChangeRequest.Declined.apply = _apply_declined  # type: ignore[method-assign,assignment]
ChangeRequest.Drafted.apply = _apply_drafted  # type: ignore[method-assign,assignment]


class RequestIndex(Aggregate):
    """The change requests made in one area, or about one record, in the order made."""

    class Opened(Aggregate.Created):
        scope: str

    class Listed(Aggregate.Event):
        request_id: uuid.UUID

    def __init__(self, scope: str) -> None:
        self.scope = scope
        self.request_ids: list[uuid.UUID] = []

    @classmethod
    def of_area(cls, area: str) -> RequestIndex:
        return cls._create(cls.Opened, id=area_requests_id(area), scope=f"area:{area}")

    @classmethod
    def of_record(cls, record_id: uuid.UUID) -> RequestIndex:
        return cls._create(cls.Opened, id=record_requests_id(record_id),
                           scope=f"record:{record_id}")

    def list(self, request_id: uuid.UUID) -> None:
        self.trigger_event(self.Listed, request_id=request_id)


def _apply_listed(event: RequestIndex.Listed, index: RequestIndex) -> None:
    index.request_ids.append(event.request_id)


RequestIndex.Listed.apply = _apply_listed  # type: ignore[method-assign,assignment]


# ------------------------------------------------------------------ who signs what

SIGNED_BY: dict[str, str] = {
    **{get_topic(cls): "service" for cls in (
        RecordConfirmations.Opened, RecordConfirmations.Confirmed, ChangeRequest.Submitted,
        RequestIndex.Opened, RequestIndex.Listed)},
    **{get_topic(cls): "registrar" for cls in (ChangeRequest.Declined, ChangeRequest.Drafted)},
}
"""The one key role that may sign each kind of self-service event, by topic."""

REQUEST_TOPICS = frozenset(get_topic(cls) for cls in (
    ChangeRequest.Submitted, ChangeRequest.Declined, ChangeRequest.Drafted))
"""A change request's events: the records of ``tabien verify``'s area fold, as personnel
records are (``audit.authority.AreaReader``)."""

AREA_OPENING_TOPICS = frozenset({get_topic(ChangeRequest.Submitted)})
"""The self-service event that puts a request in an area (its ``area`` field); a registrar's
events on the request are judged by it (``audit.authority``)."""


def signing_problems(role: str, allowed_areas: frozenset[str], events: Iterable[object],
                     aggregates: Mapping[Any, object]) -> list[str]:
    """Why a key of ``role`` that may sign for ``allowed_areas`` may not sign these events: a
    self-service event of another role's, or a decision on a request of another area. (The
    request is judged by the area it was made in, as it stands in ``aggregates``.)"""
    problems: list[str] = []
    for event in events:
        needed = SIGNED_BY.get(get_topic(type(event)))
        if needed is None:
            continue
        if role != needed:
            problems.append(f"a {role} key may not sign {type(event).__qualname__} events "
                            f"(the {needed} key only)")
        elif needed == "registrar":
            request = aggregates.get(getattr(event, "originator_id", None))
            area = getattr(request, "area", "")
            if area not in allowed_areas:
                problems.append(f"change request {getattr(event, 'originator_id', '')} is in "
                                f"{area or 'no known area'}, outside the key's area")
    return problems
