"""Self-service: a teacher confirms her record or asks for a change; her area's registrar
declines the request or turns it into a correction order (``ledger.self_service``).

What the teacher does is signed by the server's service key, naming her; what the registrar
does, by the registrar's key of the request's area. A correction order drafted for a request
is drafted and checked at the order desk like any other (``commands.orders``), cites the
request in its title, and is issued by the area's authority as usual; the request is then
*done*, which is read from the order's state, not written again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, TypeVar, cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate

from commands.orders import OrderDesk
from ledger.application import Ledger
from ledger.errors import Conflict, InvalidInput, NotFound
from ledger.evidence import EvidenceRef
from ledger.keys import Signer
from ledger.order import Order, order_id_for
from ledger.self_service import (
    ChangeRequest,
    RecordConfirmations,
    RequestIndex,
    area_requests_id,
    confirmations_id_for,
    record_requests_id,
)
from ledger.vocabulary import order_number_for_lookup

__all__ = ["Confirmation", "RequestStatus", "change_request", "confirm_record",
           "confirmations_of", "correction_line", "decline_request", "draft_correction_for",
           "queue", "request_change", "requests_of", "status_of"]

A = TypeVar("A", bound=Aggregate)

STATUS_TH = {"submitted": "รอพิจารณา", "declined": "ไม่อนุมัติ",
             "drafted": "ร่างคำสั่งแก้ไขแล้ว รอผู้มีอำนาจลงนาม", "done": "แก้ไขแล้ว"}
_ATTEMPTS = 3


@dataclass(frozen=True)
class Confirmation:
    record_id: UUID
    confirmed_by: str
    confirmed_at: datetime
    record_version: int


@dataclass(frozen=True)
class RequestStatus:
    """A request as its teacher and registrar follow it: ``status`` is the request's own,
    or ``done`` once the correction order drafted for it is issued."""

    request: ChangeRequest
    status: str

    @property
    def status_th(self) -> str:
        return STATUS_TH.get(self.status, self.status)

    @property
    def open(self) -> bool:
        return self.status == "submitted"


def _get(ledger: Ledger, aggregate_id: UUID, cls: type[A]) -> A | None:
    try:
        found: Aggregate = ledger.repository.get(aggregate_id)
    except AggregateNotFoundError:
        return None
    return found if isinstance(found, cls) else None


def _retried(write: Any) -> Any:
    """Two writers at once on one index: the loser reloads and writes again."""
    for attempt in range(_ATTEMPTS):
        try:
            return write()
        except Conflict:
            if attempt == _ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


# ------------------------------------------------------------------ the teacher


def confirm_record(ledger: Ledger, service: Signer, record_id: UUID, *, confirmed_by: str,
                   record_version: int | None = None) -> Confirmation:
    """The teacher confirms her record as it stands (or as she read it: ``record_version``,
    which must then be its current version — she confirms what is there)."""
    current = ledger.record(record_id).version
    if record_version is not None and record_version != current:
        raise Conflict(f"the record has changed since it was read (version {record_version}, "
                       f"now {current}); read it again before confirming",
                       "ทะเบียนประวัติมีการเปลี่ยนแปลงหลังจากที่อ่าน กรุณาอ่านใหม่ก่อนยืนยัน")

    def write() -> Confirmation:
        confirmations = _get(ledger, confirmations_id_for(record_id), RecordConfirmations) \
            or RecordConfirmations.for_record(record_id)
        at = datetime.now(UTC)
        confirmations.confirm(confirmed_by, at, current)
        ledger.submit(service, confirmations, purpose="self-service: confirm record")
        return Confirmation(record_id, confirmed_by, at, current)

    return cast(Confirmation, _retried(write))


def confirmations_of(ledger: Ledger, record_id: UUID) -> list[Confirmation]:
    found = _get(ledger, confirmations_id_for(record_id), RecordConfirmations)
    if found is None:
        return []
    return [Confirmation(record_id, who, at, version) for who, at, version in found.confirmed]


def request_change(ledger: Ledger, service: Signer, record_id: UUID, *, section: str,
                   reason: str, evidence: Sequence[EvidenceRef],
                   requested_by: str) -> ChangeRequest:
    """The teacher asks for one section of her record to be changed; the request goes to
    the queue of the area her record is in now."""
    record = ledger.record(record_id)

    def write() -> ChangeRequest:
        request = ChangeRequest.submit(
            record_id=record_id, national_id=record.national_id, area=record.area,
            section=section, reason=reason,
            evidence=evidence, requested_by=requested_by, submitted_at=datetime.now(UTC),
            record_version=record.version)
        by_area = _get(ledger, area_requests_id(record.area), RequestIndex) \
            or RequestIndex.of_area(record.area)
        by_record = _get(ledger, record_requests_id(record_id), RequestIndex) \
            or RequestIndex.of_record(record_id)
        by_area.list(request.id)
        by_record.list(request.id)
        ledger.submit(service, request, by_area, by_record,
                      purpose=f"self-service: change request ({section})")
        return request

    return cast(ChangeRequest, _retried(write))


# ------------------------------------------------------------------ the registrar


def change_request(ledger: Ledger, request_id: UUID) -> ChangeRequest:
    found = _get(ledger, request_id, ChangeRequest)
    if found is None:
        raise NotFound(f"no change request {request_id}", f"ไม่พบคำร้องขอแก้ไข {request_id}")
    return found


def decline_request(ledger: Ledger, registrar: Signer, request_id: UUID, *, reason: str,
                    declined_by: str) -> ChangeRequest:
    """The registrar declines the request, saying why (a second decision is a conflict)."""
    request = change_request(ledger, request_id)
    request.decline(reason, declined_by, datetime.now(UTC))
    ledger.submit(registrar, request, purpose="self-service: decline change request")
    return request


def correction_line(national_id: str, area: str, order_number: str, order_date: date, *,
                    version: int, reason: str, changes: Mapping[str, Any] | None,
                    revoke: bool) -> dict[str, Any]:
    """An order line correcting (``changes``) or revoking the record's entry ``version``."""
    if revoke == (changes is not None):
        raise InvalidInput("give either changes or revoke: true",
                           "ต้องระบุข้อมูลที่แก้ไข (changes) หรือยกเลิกรายการ (revoke) อย่างใดอย่างหนึ่ง")
    reference = {"authority": area, "order_number": order_number,
                 "order_date": order_date.isoformat()}
    line: dict[str, Any] = {"national_id": national_id,
                            "effective_date": order_date.isoformat(),
                            "order": reference, "reason": reason}
    if revoke:
        line.update(kind="entry_revoked", revokes=version)
    else:
        line.update(kind="entry_corrected", corrects=version, changes=dict(changes or {}))
    return line


def draft_correction_for(ledger: Ledger, desk: OrderDesk, registrar: Signer,
                         request_id: UUID, *, order_number: str, order_date: date,
                         version: int, changes: Mapping[str, Any] | None = None,
                         revoke: bool = False, drafted_by: str) -> tuple[ChangeRequest, Order]:
    """Turn the request into a correction order of its area: drafted and checked with the
    registrar's key (its title cites the request), then the request records the order.
    Issuing stays with the area's authority."""
    request = change_request(ledger, request_id)
    request.check_open()
    line = correction_line(request.national_id, request.area, order_number, order_date,
                           version=version, reason=request.reason, changes=changes,
                           revoke=revoke)
    order = desk.draft(registrar, authority=request.area, area=request.area,
                       order_number=order_number, order_date=order_date,
                       title=f"แก้ไขรายการตามคำร้องขอแก้ไขทะเบียนประวัติ {request.id}",
                       lines=[line])
    desk.check(registrar, order)
    request.drafted(order.authority, order.order_number, order.order_date, drafted_by,
                    datetime.now(UTC))
    ledger.submit(registrar, request, purpose=f"self-service: correction order "
                                              f"{order.order_number} for a change request")
    return request, desk.order(order.authority, order.order_number)


# ------------------------------------------------------------------ following requests


def status_of(ledger: Ledger, request: ChangeRequest) -> RequestStatus:
    """The request's status, ``done`` once its correction order is issued."""
    if request.status == "drafted" and request.order is not None:
        authority, number, _ = request.order
        order = _get(ledger, order_id_for(authority, order_number_for_lookup(number)), Order)
        if order is not None and order.status == "issued":
            return RequestStatus(request, "done")
    return RequestStatus(request, request.status)


def _listed(ledger: Ledger, index_id: UUID) -> list[RequestStatus]:
    index = _get(ledger, index_id, RequestIndex)
    if index is None:
        return []
    return [status_of(ledger, change_request(ledger, r)) for r in index.request_ids]


def requests_of(ledger: Ledger, record_id: UUID) -> list[RequestStatus]:
    """A record's requests, newest first."""
    return list(reversed(_listed(ledger, record_requests_id(record_id))))


def queue(ledger: Ledger, area: str, *, open_only: bool = False) -> list[RequestStatus]:
    """An area's requests: open ones first (oldest first: first come, first served), then
    the decided ones, newest first."""
    listed = _listed(ledger, area_requests_id(area))
    waiting = [r for r in listed if r.open]
    if open_only:
        return waiting
    return waiting + list(reversed([r for r in listed if not r.open]))

