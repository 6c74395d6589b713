"""The ``/api/v1`` routes: records, orders, audit, users and keys.

Reads of records come from the record view (the projection), never from replaying the ledger
on a request; every read of a personal record is written to the access log, with the user and
the purpose given. Writes take an ``Idempotency-Key``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any
from uuid import UUID

import orjson
from fastapi import APIRouter, Header, Query, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from api.web.auth import Principal, allow
from api.web.services import json_response as _json
from commands.access import accesses_of, log_read
from ledger.errors import InvalidInput
from ledger.identity import normalise_national_id
from ledger.order import Order
from projections.kks16 import Kks16
from projections.reading import record_and_id

__all__ = ["router"]

router = APIRouter()

NationalID = Annotated[str, Field(min_length=13, max_length=17, examples=["1101700203451"])]
Purpose = Annotated[str, Query(max_length=200, description="why it is read (access log) / "
                               "วัตถุประสงค์ของการเข้าถึง")]
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)]


# ---------------------------------------------------------------- records


def _record_for(principal: Principal, national_id: str, as_of: date | None,
                known_at: datetime | None) -> tuple[Kks16, UUID]:
    services = principal.services
    nid = normalise_national_id(national_id)
    if principal.role == "teacher" and principal.account.national_id != nid:
        raise principal.deny("a teacher may read only their own record",
                             "ครูดูได้เฉพาะทะเบียนประวัติของตนเอง")
    record, record_id = record_and_id(services.view, services.ledger.mapper, nid, as_of=as_of,
                                      known_at=known_at)
    if principal.role in ("registrar", "authority", "payroll"):
        principal.require_area(record.area)
    return record, record_id


def _log_read(principal: Principal, record_id: UUID, purpose: str) -> None:
    services = principal.services
    with services.write_lock:
        log_read(services.ledger, services.operator_keys().registrar, record_id,
                 purpose=purpose, channel="api", reader=principal.username)


READERS = ("teacher", "registrar", "authority", "auditor", "payroll")


@router.get("/records/{national_id}", tags=["records / ทะเบียนประวัติ"],
            summary="A person's ก.ค.ศ.16 / ทะเบียนประวัติ ก.ค.ศ.16")
def read_record(national_id: str, principal: Annotated[Principal, allow(*READERS)],
                as_of: Annotated[date | None, Query(description="as it stood on this date")]
                = None,
                known_at: Annotated[datetime | None, Query(
                    description="as it was known at this time")] = None,
                purpose: Purpose = "ตรวจสอบทะเบียนประวัติ") -> Response:
    """The record from the record view, on either time axis. A teacher reads their own; a
    registrar, authority or payroll officer those of their areas; an auditor any."""
    if known_at is not None and known_at.tzinfo is None:
        known_at = known_at.replace(tzinfo=UTC)
    record, record_id = _record_for(principal, national_id, as_of, known_at)
    _log_read(principal, record_id, purpose)
    return _json(record)


@router.get("/records/{national_id}/timeline", tags=["records / ทะเบียนประวัติ"],
            summary="Every event of a record / ลำดับเหตุการณ์ของทะเบียนประวัติ")
def read_timeline(national_id: str, principal: Annotated[Principal, allow(*READERS)],
                  purpose: Purpose = "ตรวจสอบประวัติการบันทึก") -> Response:
    from audit.timeline import timeline

    _record, record_id = _record_for(principal, national_id, None, None)
    services = principal.services
    entries = timeline(services.ledger.store, services.ledger.mapper, record_id)
    _log_read(principal, record_id, purpose)
    return _json(entries)


# ---------------------------------------------------------------- orders


# An education area's name: Thai or Latin letters (with Thai vowels and tone marks), digits,
# spaces and dots, as in "สพม.16" or "สพป.นครศรีธรรมราช เขต 1".
_AREA_PATTERN = r"^[\u0E00-\u0E7FA-Za-z0-9. ]{2,100}$"
# An order number as orders print it: number/Buddhist-Era year, Arabic or Thai digits.
_NUMBER_PATTERN = r"^[0-9๐-๙]{1,6}/[0-9๐-๙]{4}$"
_PLAIN_TEXT = r"^[^\x00-\x1f\x7f<>]*$"


class OrderDraft(BaseModel):
    authority: str = Field(pattern=_AREA_PATTERN, examples=["สพม.16"],
                           description="the issuing office: the area's own office")
    area: str = Field(pattern=_AREA_PATTERN, examples=["สพม.16"])
    order_number: str = Field(pattern=_NUMBER_PATTERN, examples=["120/2569"])
    order_date: date
    title: str = Field(min_length=1, max_length=250, pattern=_PLAIN_TEXT,
                       examples=["เลื่อนเงินเดือนข้าราชการครู"])
    lines: list[dict[str, Any]] = Field(min_length=1, max_length=50_000)


def _order_summary(order: Order) -> dict[str, Any]:
    return {"authority": order.authority, "area": order.area,
            "order_number": order.order_number, "order_date": order.order_date,
            "title": order.title, "lines": len(order.lines),
            "issued": order.issued is not None, "failures": order.failures()}


def _fingerprint(request: Request, body: Any) -> bytes:
    return orjson.dumps([request.method, request.url.path, body],
                        option=orjson.OPT_NON_STR_KEYS)


@router.post("/orders", tags=["orders / คำสั่ง"], status_code=201,
             summary="Draft an order / ร่างคำสั่ง")
def draft_order(draft: OrderDraft, request: Request,
                principal: Annotated[Principal, allow("registrar")],
                idempotency_key: IdempotencyKey = None) -> Response:
    """A registrar drafts an order of their own area; its lines are checked for form first
    and nothing is written if any is malformed."""
    principal.require_area(draft.area)
    if draft.authority != draft.area:
        raise InvalidInput(f"an order of area {draft.area} is issued by that area's office, "
                           f"not {draft.authority!r}",
                           f"คำสั่งของเขตพื้นที่ {draft.area} ต้องออกโดยสำนักงานเขตพื้นที่นั้น")
    services = principal.services

    def write() -> tuple[int, Any]:
        order = services.desk.draft(services.keys_for(draft.area).registrar,
                                    authority=draft.authority, area=draft.area,
                                    order_number=draft.order_number,
                                    order_date=draft.order_date, title=draft.title,
                                    lines=draft.lines)
        return 201, _order_summary(order)

    return services.once(principal.username, idempotency_key,
                         _fingerprint(request, draft.model_dump(mode="json")), write)


def _order_of(principal: Principal, authority: str, number: str) -> Order:
    order = principal.services.desk.order(authority, number)
    if principal.role != "auditor":
        principal.require_area(order.area)
    return order


@router.get("/orders/{authority}/{number:path}", tags=["orders / คำสั่ง"],
            summary="An order / คำสั่ง")
def read_order(authority: str, number: str,
               principal: Annotated[Principal, allow("registrar", "authority", "auditor")],
               ) -> Response:
    return _json(_order_summary(_order_of(principal, authority, number)))


@router.post("/orders/{authority}/{number:path}/check", tags=["orders / คำสั่ง"],
             summary="Check an order against the rules / ตรวจสอบคำสั่ง")
def check_order(authority: str, number: str, request: Request,
                principal: Annotated[Principal, allow("registrar", "authority")],
                idempotency_key: IdempotencyKey = None) -> Response:
    services = principal.services

    def write() -> tuple[int, Any]:
        order = _order_of(principal, authority, number)
        report = services.desk.check(services.keys_for(order.area).registrar, order)
        return 200, {"passed": report.passed, "ruleset_version": report.ruleset_version,
                     "results": report.results()}

    return services.once(principal.username, idempotency_key, _fingerprint(request, None),
                         write)


@router.post("/orders/{authority}/{number:path}/issue", tags=["orders / คำสั่ง"],
             summary="Issue an order, signed by the area's authority / ออกคำสั่ง")
def issue_order(authority: str, number: str, request: Request,
                principal: Annotated[Principal, allow("authority")],
                idempotency_key: IdempotencyKey = None) -> Response:
    """Only an authority of the order's area issues it; every line's events and the order's
    own are one signed submission. Issuing twice returns the first result."""
    services = principal.services

    def write() -> tuple[int, Any]:
        order = _order_of(principal, authority, number)
        result = services.desk.issue(services.keys_for(order.area).authority, order,
                                     idempotency_key=idempotency_key or "")
        return 200, result

    return services.once(principal.username, idempotency_key, _fingerprint(request, None),
                         write)


# ---------------------------------------------------------------- audit


@router.get("/audit/checkpoints", tags=["audit / การตรวจสอบ"],
            summary="Signed checkpoints / จุดตรวจสอบที่ลงนามแล้ว")
def checkpoints(principal: Annotated[Principal, allow("auditor")]) -> Response:
    rows = principal.services.ledger.store.checkpoints()
    return _json([{"tree_size": r.tree_size, "note": r.note} for r in rows])


@router.get("/audit/proof", tags=["audit / การตรวจสอบ"],
            summary="Inclusion proof of one event / หลักฐานว่ารายการอยู่ในสมุดทะเบียน")
def proof(principal: Annotated[Principal, allow("auditor")],
          position: Annotated[int, Query(ge=1, le=2**62)]) -> Response:
    from audit.proofs import inclusion_file

    return Response(inclusion_file(principal.services.ledger.store, position),
                    media_type="application/json")


@router.post("/audit/verify", tags=["audit / การตรวจสอบ"],
             summary="Verify what was appended since the latest checkpoint / ตรวจสอบความถูกต้อง")
def verify(principal: Annotated[Principal, allow("auditor")]) -> Response:
    from audit.incremental import verify_since

    services = principal.services
    checkpoint_key = services.operator_keys().checkpoint.key_id
    report = verify_since(services.ledger.store, services.ledger.key, checkpoint_key)
    return _json({"ok": report.ok, "events": report.events,
                  "submissions": report.submissions, "checkpoints": report.checkpoints,
                  "findings": [str(f) for f in report.findings]})


@router.get("/audit/access/{national_id}", tags=["audit / การตรวจสอบ"],
            summary="Who read a record / ประวัติการเข้าถึงทะเบียนประวัติ")
def access_log(national_id: str, principal: Annotated[Principal, allow("auditor")]) -> Response:
    services = principal.services
    record_id = services.view.record_id(normalise_national_id(national_id))
    if record_id is None:
        return _json([])
    return _json(accesses_of(services.ledger, record_id))


@router.get("/audit/denials", tags=["audit / การตรวจสอบ"],
            summary="Refused requests / คำขอที่ถูกปฏิเสธ")
def denials(principal: Annotated[Principal, allow("auditor", "admin")]) -> Response:
    return _json(principal.services.accounts.denials())


# ---------------------------------------------------------------- users and keys


class NewUser(BaseModel):
    username: str = Field(min_length=3, max_length=64, examples=["somchai.r"])
    password: str = Field(min_length=12, max_length=256)
    role: str = Field(examples=["registrar"])
    areas: list[Annotated[str, Field(max_length=100)]] = Field(default=[], max_length=50)
    display_name: str = Field(default="", max_length=200)
    national_id: str = Field(default="", max_length=17)


@router.get("/users", tags=["users / ผู้ใช้"], summary="Users / ผู้ใช้")
def list_users(principal: Annotated[Principal, allow("admin")]) -> Response:
    return _json([a.summary() for a in principal.services.accounts.users()])


@router.post("/users", tags=["users / ผู้ใช้"], status_code=201, summary="Add a user / เพิ่มผู้ใช้")
def add_user(user: NewUser, request: Request, principal: Annotated[Principal, allow("admin")],
             idempotency_key: IdempotencyKey = None) -> Response:
    services = principal.services

    def write() -> tuple[int, Any]:
        account = services.accounts.add_user(
            user.username, user.password, role=user.role, areas=user.areas,
            display_name=user.display_name, national_id=user.national_id)
        return 201, account.summary()

    fingerprint = _fingerprint(request, user.model_dump(mode="json", exclude={"password"}))
    return services.once(principal.username, idempotency_key, fingerprint, write)


@router.post("/users/{username}/revoke-tokens", tags=["users / ผู้ใช้"], status_code=204,
             summary="Revoke a user's tokens / เพิกถอนโทเค็นของผู้ใช้")
def revoke_tokens(username: str, principal: Annotated[Principal, allow("admin")]) -> None:
    principal.services.accounts.revoke_tokens(username)


@router.get("/keys", tags=["keys / กุญแจ"], summary="Signing keys / กุญแจลงนาม")
def keys(principal: Annotated[Principal, allow("admin", "auditor")]) -> Response:
    from commands.keys import list_keys

    return _json([{"key_id": k.key_id, "name": k.name, "role": k.role, "area": k.area,
                   "valid_from": k.valid_from, "valid_until": k.valid_until,
                   "revoked_at": k.revoked_at} for k in list_keys(principal.services.ledger)])
