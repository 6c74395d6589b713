"""Self-service (issue 17, item 7): a teacher confirms her record, asks for a section of it to
be changed with a reason and evidence files, and follows her requests; her area's registrar
reads the area's queue and declines a request with a reason or turns it into a correction
order (drafted and checked here; the area's authority issues it at
``POST /orders/{authority}/{number}/issue``, as any order).

A teacher's writes are signed by the server's service key, naming her; a registrar's, by the
registrar key of the request's area (``commands.self_service``). A request of another area,
or another teacher's, is answered as one that does not exist, and the refusal is logged.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from api.web.auth import Principal, allow
from api.web.dates import ThaiDate
from api.web.examples import EXAMPLE_AREA
from api.web.routes import (
    NO_BIDI,
    NUMBER_PATTERN,
    PLAIN_TEXT,
    IdempotencyKey,
    Purpose,
    fingerprint,
    log_record_read,
    order_summary,
)
from api.web.routes_work import (
    _EVIDENCE_CSP,
    _ascii_name,
    _attachment,
    _file_name,
    _form_text,
    _served_type,
    _sha256,
    _uploaded,
)
from api.web.schemas import OrderOut
from api.web.services import json_response
from commands.self_service import (
    STATUS_TH,
    RequestStatus,
    change_request,
    confirm_record,
    decline_request,
    draft_correction_for,
    queue,
    request_change,
    requests_of,
    status_of,
)
from ledger.entries import AREA_PATTERN
from ledger.errors import InvalidInput, NotFound
from ledger.identity import record_id_for
from ledger.self_service import MAX_EVIDENCE, MAX_REASON, SECTIONS, ChangeRequest, check_section

__all__ = ["self_service_router"]

self_service_router = APIRouter(tags=["self-service / บริการตนเองของครู"])

RequestId = Annotated[UUID, PathParam(description="the change request's id / "
                                                  "เลขที่คำร้องขอแก้ไข")]
AreaPath = Annotated[str, PathParam(pattern=AREA_PATTERN, examples=[EXAMPLE_AREA],
                                    description="education area / เขตพื้นที่การศึกษา")]
Reason = Annotated[str, NO_BIDI, Field(min_length=1, max_length=MAX_REASON, pattern=PLAIN_TEXT,
                                       examples=["เงินเดือนแรกบรรจุไม่ตรงกับคำสั่ง"],
                                       description="why / เหตุผล")]


# ------------------------------------------------------------------ schemas


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ConfirmationCreate(BaseModel):
    record_version: int | None = Field(
        default=None, ge=1, le=1_000_000,
        description="the record's version as the teacher read it (omit: as it stands) / "
                    "รุ่นของทะเบียนประวัติที่อ่าน")


class ConfirmationPublic(_Out):
    confirmed_by: str
    confirmed_at: datetime
    record_version: int = Field(description="the version of the record confirmed / "
                                            "รุ่นของทะเบียนประวัติที่ยืนยัน")


class EvidencePublic(_Out):
    sha256: str
    name: str
    media_type: str
    size: int


class RequestOrderPublic(_Out):
    authority: str
    order_number: str
    order_date: date


class ChangeRequestPublic(_Out):
    id: UUID
    national_id: str
    area: str
    section: str = Field(examples=["positions"], description=", ".join(SECTIONS))
    section_th: str
    reason: str
    evidence: list[EvidencePublic]
    requested_by: str
    submitted_at: datetime
    record_version: int
    status: str = Field(description="submitted, declined, drafted or done / "
                                    + ", ".join(f"{k}: {v}" for k, v in STATUS_TH.items()))
    status_th: str
    decided_by: str
    decided_at: datetime | None
    decline_reason: str
    order: RequestOrderPublic | None = Field(
        description="the correction order drafted for it / คำสั่งแก้ไขที่ร่างตามคำร้อง")


class ChangeRequestsPublic(_Out):
    data: list[ChangeRequestPublic]
    count: int


class DeclineIn(BaseModel):
    reason: Reason


class RequestCorrectionIn(BaseModel):
    order_number: str = Field(pattern=NUMBER_PATTERN, examples=["121/2569"],
                              description="order number / เลขที่คำสั่ง")
    order_date: ThaiDate
    version: int = Field(ge=1, le=1_000_000, description="the entry to correct (its version "
                                                         "in the timeline) / ลำดับรายการ")
    changes: dict[str, Any] | None = Field(
        default=None, max_length=50, examples=[{"salary": 15100}],
        description="corrected fields; omit to revoke the entry / ข้อมูลที่แก้ไข")
    revoke: bool = Field(default=False, description="revoke the entry instead / ยกเลิกรายการ")


class RequestCorrectionPublic(_Out):
    request: ChangeRequestPublic
    order: OrderOut


def _public(found: RequestStatus) -> dict[str, Any]:
    request = found.request
    order = None
    if request.order is not None:
        authority, number, on = request.order
        order = {"authority": authority, "order_number": number, "order_date": on}
    return {"id": request.id, "national_id": request.national_id, "area": request.area,
            "section": request.section, "section_th": SECTIONS.get(request.section, ""),
            "reason": request.reason, "evidence": [asdict(r) for r in request.evidence],
            "requested_by": request.requested_by, "submitted_at": request.submitted_at,
            "record_version": request.record_version, "status": found.status,
            "status_th": found.status_th, "decided_by": request.decided_by,
            "decided_at": request.decided_at, "decline_reason": request.decline_reason,
            "order": order}


def _listing(found: list[RequestStatus]) -> dict[str, Any]:
    return {"data": [_public(r) for r in found], "count": len(found)}


# ------------------------------------------------------------------ the teacher


def _own_record(principal: Principal) -> UUID:
    """The signed-in teacher's record id (her account names her national ID)."""
    national_id = principal.account.national_id
    if not national_id:
        raise principal.deny("this teacher account names no national ID",
                             "บัญชีครูนี้ไม่ได้ระบุเลขประจำตัวประชาชน")
    record_id = record_id_for(national_id, principal.services.key_store.identity_secret())
    principal.services.ledger.record(record_id)  # NotFound if she has none
    return record_id


@self_service_router.post("/me/confirmations", status_code=201,
                          response_model=ConfirmationPublic,
                          summary="Confirm my record / ยืนยันความถูกต้องของทะเบียนประวัติ")
def confirm_my_record(confirmation: ConfirmationCreate, request: Request,
                      principal: Annotated[Principal, allow("teacher")],
                      idempotency_key: IdempotencyKey = None) -> Response:
    """The teacher confirms her record is right, as it stands (or as the version she read,
    which must still be current): an entry in the ledger says who, when and which version.
    ครูยืนยันว่าทะเบียนประวัติของตนถูกต้อง"""
    services = principal.services

    def write() -> tuple[int, Any]:
        confirmed = confirm_record(services.ledger, services.operator_keys().service,
                                   _own_record(principal), confirmed_by=principal.username,
                                   record_version=confirmation.record_version)
        return 201, {"confirmed_by": confirmed.confirmed_by,
                     "confirmed_at": confirmed.confirmed_at,
                     "record_version": confirmed.record_version}

    return services.once(principal.username, idempotency_key,
                         fingerprint(request, confirmation.model_dump(mode="json")), write)


@self_service_router.post("/me/change-requests", status_code=201,
                          response_model=ChangeRequestPublic,
                          summary="Ask for a change to my record / ยื่นคำร้องขอแก้ไขทะเบียนประวัติ")
def request_my_change(
        request: Request, principal: Annotated[Principal, allow("teacher")],
        section: Annotated[str, Form(description="the section to change / หัวข้อที่ขอแก้ไข: "
                                     + ", ".join(SECTIONS), examples=["positions"])],
        reason: Annotated[str, NO_BIDI, Form(min_length=1, max_length=MAX_REASON,
                                             pattern=PLAIN_TEXT, description="why / เหตุผล")],
        files: Annotated[list[UploadFile] | None, File(
            description=f"evidence files, at most {MAX_EVIDENCE} / เอกสารหลักฐาน")] = None,
        idempotency_key: IdempotencyKey = None) -> Response:
    """The request, with its evidence files kept under their SHA-256, goes to the queue of
    the area the teacher's record is in. ยื่นคำร้องพร้อมเหตุผลและเอกสารหลักฐาน"""
    services = principal.services
    check_section(section)
    _form_text("reason", reason)
    uploads = files or []
    if len(uploads) > MAX_EVIDENCE:
        raise InvalidInput(f"at most {MAX_EVIDENCE} evidence files",
                           f"แนบเอกสารหลักฐานได้ไม่เกิน {MAX_EVIDENCE} ไฟล์")
    contents = [(_file_name(f, f"evidence-{n}"), f.content_type,
                 _uploaded(f, services.evidence.max_bytes)) for n, f in enumerate(uploads, 1)]
    refs = [services.evidence.describe(data, name, _plain_type(media_type))
            for name, media_type, data in contents]
    digest = fingerprint(request, [section, reason,
                                   [(name, _sha256(data)) for name, _, data in contents]])

    def write() -> tuple[int, Any]:
        for (name, media_type, data) in contents:
            services.evidence.put(data, name, _plain_type(media_type))
        made = request_change(services.ledger, services.operator_keys().service,
                              _own_record(principal), section=section, reason=reason,
                              evidence=refs,
                              requested_by=principal.username)
        return 201, _public(status_of(services.ledger, made))

    return services.once(principal.username, idempotency_key, digest, write)


def _plain_type(media_type: str | None) -> str | None:
    return (media_type or "").partition(";")[0].strip().lower() or None


@self_service_router.get("/me/change-requests", response_model=ChangeRequestsPublic,
                         summary="My change requests / คำร้องขอแก้ไขของฉัน")
def my_change_requests(principal: Annotated[Principal, allow("teacher")]) -> Response:
    """The teacher's requests, newest first, each with what became of it.
    คำร้องขอแก้ไขของครู พร้อมสถานะ"""
    services = principal.services
    return json_response(_listing(requests_of(services.ledger, _own_record(principal))))


@self_service_router.get("/me/change-requests/{request_id}",
                         response_model=ChangeRequestPublic,
                         summary="One of my change requests / คำร้องขอแก้ไขของฉัน")
def my_change_request(request_id: RequestId,
                      principal: Annotated[Principal, allow("teacher")]) -> Response:
    """One of the teacher's requests: submitted, declined (with the reason), drafted as a
    correction order, or done once that order is issued. สถานะของคำร้อง"""
    services = principal.services
    found = _findable(principal, request_id)
    if found.record_id != _own_record(principal):
        _hidden(principal, "a teacher may follow only her own requests",
                "ครูติดตามได้เฉพาะคำร้องของตนเอง", request_id)
    return json_response(_public(status_of(services.ledger, found)))


# ------------------------------------------------------------------ the registrar


def _findable(principal: Principal, request_id: UUID) -> ChangeRequest:
    return change_request(principal.services.ledger, request_id)


def _hidden(principal: Principal, reason: str, reason_th: str, request_id: UUID) -> None:
    """Log the refusal, then answer as for a request that does not exist."""
    principal.deny(reason, reason_th)
    raise NotFound(f"no change request {request_id}", f"ไม่พบคำร้องขอแก้ไข {request_id}")


def _area_request(principal: Principal, request_id: UUID) -> ChangeRequest:
    """A request of one of the registrar's areas (another area's: as if there were none)."""
    found = _findable(principal, request_id)
    if found.area not in principal.account.areas:
        _hidden(principal, f"{principal.username} does not act in area {found.area}",
                f"{principal.username} ไม่มีสิทธิ์ในเขตพื้นที่ {found.area}", request_id)
    return found


@self_service_router.get(
    "/change-requests/{request_id}/evidence/{sha256}",
    responses={200: {"content": {"*/*": {}},
                     "description": "the file, its hash re-checked / ไฟล์เอกสารหลักฐาน"}},
    summary="An evidence file of a change request / เอกสารหลักฐานของคำร้อง")
def request_evidence(request_id: RequestId,
                     sha256: Annotated[str, PathParam(pattern=r"^[0-9a-fA-F]{64}$",
                                                      description="the file's SHA-256")],
                     principal: Annotated[Principal, allow("teacher", "registrar")],
                     purpose: Purpose = "พิจารณาคำร้องขอแก้ไข") -> Response:
    """A file the teacher sent with her request, for her and for the registrars of the
    request's area; the read is logged in her record's access log."""
    services = principal.services
    found = _findable(principal, request_id)
    if principal.role == "teacher":
        if found.record_id != _own_record(principal):
            _hidden(principal, "a teacher may follow only her own requests",
                    "ครูติดตามได้เฉพาะคำร้องของตนเอง", request_id)
    else:
        found = _area_request(principal, request_id)
    wanted = sha256.lower()
    ref = next((r for r in found.evidence if r.sha256 == wanted), None)
    if ref is None:
        raise NotFound("the request holds no such file", "คำร้องนี้ไม่มีเอกสารดังกล่าว")
    data = services.evidence.read_sha256(wanted)
    log_record_read(principal, found.record_id, purpose)
    name = ref.name or "evidence"
    return Response(data, media_type=_served_type(ref.media_type), headers={
        "Content-Disposition": _attachment(name, _ascii_name(name)),
        "X-Content-Type-Options": "nosniff", "Content-Security-Policy": _EVIDENCE_CSP})


@self_service_router.get("/areas/{area}/change-requests", response_model=ChangeRequestsPublic,
                         summary="The area's change requests / คำร้องขอแก้ไขของเขตพื้นที่")
def area_queue(area: AreaPath, principal: Annotated[Principal, allow("registrar")],
               open_only: Annotated[bool, Query(description="only those waiting / "
                                                            "เฉพาะที่รอพิจารณา")] = False
               ) -> Response:
    """The registrar's queue: requests waiting for a decision first (oldest first), then
    those decided (newest first). คิวคำร้องขอแก้ไขของเขตพื้นที่"""
    principal.require_area(area)
    return json_response(_listing(queue(principal.services.ledger, area,
                                        open_only=open_only)))


@self_service_router.post("/change-requests/{request_id}/decline",
                          response_model=ChangeRequestPublic,
                          summary="Decline a change request / ไม่อนุมัติคำร้องขอแก้ไข")
def decline(request_id: RequestId, decision: DeclineIn, request: Request,
            principal: Annotated[Principal, allow("registrar")],
            idempotency_key: IdempotencyKey = None) -> Response:
    """The registrar of the request's area declines it, saying why; the teacher sees the
    reason. A request is decided once. แจ้งไม่อนุมัติพร้อมเหตุผล"""
    services = principal.services

    def write() -> tuple[int, Any]:
        found = _area_request(principal, request_id)
        declined = decline_request(services.ledger, services.keys_for(found.area).registrar,
                                   request_id, reason=decision.reason,
                                   declined_by=principal.username)
        return 200, _public(status_of(services.ledger, declined))

    return services.once(principal.username, idempotency_key,
                         fingerprint(request, decision.model_dump(mode="json")), write)


@self_service_router.post("/change-requests/{request_id}/correction", status_code=201,
                          response_model=RequestCorrectionPublic,
                          summary="Turn a change request into a correction order / "
                                  "ร่างคำสั่งแก้ไขตามคำร้อง")
def correct(request_id: RequestId, correction: RequestCorrectionIn, request: Request,
            principal: Annotated[Principal, allow("registrar")],
            idempotency_key: IdempotencyKey = None) -> Response:
    """The registrar of the request's area drafts and checks a correction order for it (its
    title cites the request); the area's authority issues it, and the request is then done.
    ร่างและตรวจสอบคำสั่งแก้ไขตามคำร้อง ผู้มีอำนาจเป็นผู้ลงนามออกคำสั่ง"""
    services = principal.services

    def write() -> tuple[int, Any]:
        found = _area_request(principal, request_id)
        drafted, order = draft_correction_for(
            services.ledger, services.desk, services.keys_for(found.area).registrar,
            request_id, order_number=correction.order_number,
            order_date=correction.order_date, version=correction.version,
            changes=correction.changes, revoke=correction.revoke,
            drafted_by=principal.username)
        return 201, {"request": _public(status_of(services.ledger, drafted)),
                     "order": order_summary(order)}

    return services.once(principal.username, idempotency_key,
                         fingerprint(request, correction.model_dump(mode="json")), write)

