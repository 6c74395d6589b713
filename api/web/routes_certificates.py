"""E-services: certified copies and certificates, their revocation, the public status lists
and the public verification (issue 17).

A teacher asks for their own documents; a registrar for those of the people of their areas,
and revokes them with a reason. Anyone, signed in or not, verifies a document (``/verify``,
``POST /api/v1/verify``) and reads the areas' status lists, which every credential names.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi import Path as PathParam
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from api.web.auth import Principal, allow, services_of
from api.web.dates import ThaiDate
from api.web.problems import PROBLEM_JSON, Problem
from api.web.routes import PLAIN_TEXT, IdempotencyKey, PlainText, fingerprint, record_for
from api.web.routes_work import view_caught_up
from api.web.services import json_response
from ledger.documents import DOCUMENT_KINDS
from ledger.errors import InvalidInput, NotFound

__all__ = ["certificates_router", "public_router"]

certificates_router = APIRouter()
public_router = APIRouter()
_TAG = "documents / เอกสารรับรอง"
_MAX_UPLOAD = 20 * 1024 * 1024
DocumentIdPath = Annotated[UUID, PathParam(description="document id / เลขที่เอกสาร")]


class DocumentRequest(BaseModel):
    kind: str = Field(pattern=r"^(copy|employment|salary)$", examples=["salary"],
                      description="copy (สำเนา ก.ค.ศ.16), employment (รับรองการเป็นข้าราชการ) "
                                  "or salary (รับรองเงินเดือน)")
    national_id: str = Field(pattern=r"^[0-9 -]{13,17}$", examples=["1800214415342"],
                             description="เลขประจำตัวประชาชน (a teacher: their own)")
    purpose: PlainText = Field(min_length=1, max_length=300, pattern=PLAIN_TEXT,
                               examples=["ประกอบการขอสินเชื่อธนาคาร"],
                               description="what it is for / วัตถุประสงค์")
    as_of: ThaiDate | None = Field(default=None, description="the facts as of / ข้อมูล ณ วันที่")
    valid_days: int = Field(default=90, ge=1, le=365, description="days valid / อายุเอกสาร (วัน)")
    thai_digits: bool = Field(default=False, description="the PDF in Thai digits / ใช้เลขไทย")


class RevokeRequest(BaseModel):
    reason: PlainText = Field(min_length=1, max_length=300, pattern=PLAIN_TEXT,
                              examples=["ออกให้ผิดคน"], description="why / เหตุผล")


_VIEW_BEHIND = {"description": "the record view had not caught up with the ledger within "
                               "TABIEN_VIEW_WAIT_SECONDS (view-behind); nothing was made / "
                               "มุมมองข้อมูลยังตามบัญชีหลักไม่ทัน",
                "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}}


@certificates_router.post("/documents", tags=[_TAG], status_code=201,
                          responses={201: {"content": {"application/json": {},
                                                       "application/pdf": {}}},
                                     503: _VIEW_BEHIND},
                          summary="Issue a certified copy or certificate / ขอเอกสารรับรอง")
def issue_document(request_body: DocumentRequest, request: Request,
                   principal: Annotated[Principal, allow("teacher", "registrar")],
                   idempotency_key: IdempotencyKey = None) -> Response:
    """A certified copy of the ก.ค.ศ.16 or a certificate, signed by the area's certificate key:
    the PDF (with the credential inside and the QR), the credential and the QR's link. A
    teacher asks for their own; a registrar for a person of their areas. `Accept:
    application/pdf` answers with the PDF alone. ครูขอเอกสารของตนเองได้ที่โรงเรียน"""
    services = principal.services
    view_caught_up(principal)  # else 503 view-behind, before anything is read or made
    # Who may: a teacher only their own record, a registrar only in their areas (as reading).
    record_for(principal, request_body.national_id, None, None)

    def write() -> tuple[int, Any]:
        from api.certificates import IssueRequest

        issued = services.certificates.issue(IssueRequest(
            kind=request_body.kind, national_id=request_body.national_id,
            purpose=request_body.purpose, requested_by=principal.username, channel="api",
            as_of=request_body.as_of, valid_days=request_body.valid_days,
            thai_digits=request_body.thai_digits))
        return 201, _issued_body(issued)

    response = services.once(principal.username, idempotency_key,
                             fingerprint(request, request_body.model_dump(mode="json")), write)
    if "application/pdf" in request.headers.get("accept", "") and response.status_code == 201:
        return _pdf_of(response)
    return response


def _issued_body(issued: Any) -> dict[str, Any]:
    from api.certificates import verify_url

    return {"document_id": str(issued.document_id), "kind": issued.kind,
            "kind_th": DOCUMENT_KINDS[issued.kind], "area": issued.area, "did": issued.did,
            "valid_until": issued.credential["validUntil"], "verify_url": verify_url(issued.token),
            "credential": issued.credential, "token": issued.token,
            "pdf_base64": base64.b64encode(issued.pdf).decode()}


def _pdf_of(response: Response) -> Response:
    import orjson

    body = orjson.loads(bytes(response.body))
    name = f"{body['document_id']}.pdf"
    return Response(base64.b64decode(body["pdf_base64"]), status_code=201,
                    media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             "X-Content-Type-Options": "nosniff",
                             "Location": f"/api/v1/documents/{body['document_id']}"})


@certificates_router.get("/documents/{document_id}", tags=[_TAG],
                         summary="A document's state / สถานะเอกสาร")
def read_document(document_id: DocumentIdPath,
                  principal: Annotated[Principal, allow("teacher", "registrar", "auditor")]
                  ) -> Response:
    """What the ledger holds of an issued document: kind, purpose, who asked, expiry, and
    whether (and why) it was revoked. สถานะของเอกสารที่ออกแล้ว"""
    state = _document_seen_by(principal, document_id)
    return json_response({
        "document_id": str(state.document_id), "kind": state.kind,
        "kind_th": DOCUMENT_KINDS[state.kind], "area": state.area, "purpose": state.purpose,
        "requested_by": state.requested_by, "issued_at": state.issued_at,
        "as_of": state.as_of, "valid_until": state.valid_until,
        "status_list": state.status_list, "status_index": state.status_index,
        "revoked": state.revoked, "revoked_reason": state.revoked_reason,
        "revoked_at": state.revoked_at, "superseded_by": state.superseded_by})


def _document_seen_by(principal: Principal, document_id: UUID) -> Any:
    """The document, if this user may see it; else the same 404 as for none (a user of
    another area learns nothing of whether it exists)."""
    from ledger.document_index import index_of

    state = index_of(principal.services.ledger).get(document_id)
    account = principal.account
    allowed = state is not None and (
        account.role == "auditor"
        or (account.role == "registrar" and state.area in account.areas)
        or (account.role == "teacher"
            and principal.services.view.record_id(account.national_id) == state.record_id))
    if not allowed:
        if state is not None:
            principal.deny(f"{principal.username} may not see document {document_id}",
                           f"{principal.username} ไม่มีสิทธิ์ดูเอกสาร {document_id}")
        raise NotFound(f"no document {document_id}", f"ไม่พบเอกสาร {document_id}")
    return state


@certificates_router.post("/documents/{document_id}/revoke", tags=[_TAG],
                          summary="Revoke a document / เพิกถอนเอกสาร")
def revoke_document(document_id: DocumentIdPath, body: RevokeRequest, request: Request,
                    principal: Annotated[Principal, allow("registrar")],
                    idempotency_key: IdempotencyKey = None) -> Response:
    """A registrar of the document's area revokes it with a reason; its status list shows it
    at once. นายทะเบียนของเขตพื้นที่เพิกถอนเอกสารพร้อมเหตุผล"""
    state = _document_seen_by(principal, document_id)
    services = principal.services

    def write() -> tuple[int, Any]:
        registrar = services.keys_for(state.area).registrar
        services.certificates.revoke(registrar, document_id, reason=body.reason,
                                     revoked_by=principal.username)
        return 200, {"document_id": str(document_id), "revoked": True, "reason": body.reason}

    return services.once(principal.username, idempotency_key,
                         fingerprint(request, body.model_dump(mode="json")), write)


# ---------------------------------------------------------------- public


@public_router.get("/status-lists/{code}/{number}", tags=[_TAG],
                   responses={200: {"content": {"application/vc+json": {}}}},
                   summary="An area's revocation list (public) / รายการสถานะเอกสาร")
def status_list(code: Annotated[str, PathParam(pattern=r"^[a-z0-9]{1,40}$", examples=["spm16"],
                                               description="the area's code (สพม.16: spm16)")],
                number: Annotated[int, PathParam(ge=1, le=1000)], request: Request) -> Response:
    """The W3C Bitstring Status List credential of an area's documents, signed by its
    certificate key; needs no sign-in. รายการเพิกถอนเอกสาร เปิดเผยต่อสาธารณะ"""
    services = services_of(request)
    credential = services.certificates.status_list_credential(code, number)
    return Response(_json(credential), media_type="application/vc+json",
                    headers={"Cache-Control": "public, max-age=60"})


def _json(body: Any) -> bytes:
    import orjson

    return orjson.dumps(body)


@public_router.post("/verify", tags=[_TAG], summary="Verify a document (public) / ตรวจสอบเอกสาร")
async def verify_document(request: Request,
                          file: Annotated[UploadFile | None, File(
                              description="the PDF or the credential")] = None,
                          text: Annotated[str, Form(
                              max_length=5000, description="a QR's text or link")] = ""
                          ) -> Response:
    """Anyone verifies a certified copy or certificate, without signing in: upload the PDF or
    the credential, or give the QR's text. The answer says what the document states, who
    issued it, and whether it is valid, revoked, superseded or expired. ตรวจสอบเอกสาร"""
    data = await _upload_or_text(file, text)
    services = services_of(request)
    verdict = await run_in_threadpool(_verify, services, data)
    return json_response(verdict.to_json())


async def _upload_or_text(file: UploadFile | None, text: str) -> bytes:
    if file is not None and file.filename:
        data = await file.read(_MAX_UPLOAD + 1)
        if len(data) > _MAX_UPLOAD:
            raise Problem(413, "too-large", "the file is larger than 20 MB",
                          "ไฟล์ใหญ่เกิน 20 MB")
        return data
    if text.strip():
        return text.encode()
    raise InvalidInput("give a file (PDF or credential) or a QR's text",
                       "กรุณาแนบไฟล์ (PDF หรือข้อมูลรับรอง) หรือใส่ข้อความจากคิวอาร์โค้ด")


def _verify(services: Any, data: bytes) -> Any:
    from audit.certificates import verify_bytes

    return verify_bytes(data, ledger=services.ledger, now=datetime.now(UTC))
