"""The ``/api/v1`` routes: records, orders, audit, users and keys.

Reads of records come from the record view (the projection), never from replaying the ledger
on a request; every read of a personal record is written to the access log, with the user and
the purpose given. Writes take an ``Idempotency-Key``.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal, NoReturn
from uuid import UUID

import orjson
from fastapi import APIRouter, Header, Query, Request
from fastapi import Path as PathParam
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo
from pydantic_core import PydanticCustomError
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from api.web.auth import (
    NO_USER,
    READERS,
    Principal,
    allow,
    another_teachers_record,
    outside_own_areas,
    unlogged_reason,
)
from api.web.dates import ThaiDate, ThaiMoment
from api.web.examples import EXAMPLE_AREA, EXAMPLE_NATIONAL_ID, EXAMPLE_ORDER
from api.web.schemas import (
    AccessRow,
    CheckOut,
    CheckpointOut,
    DenialOut,
    IssueOut,
    OrderOut,
    ProofOut,
    VerifyJobOut,
)
from api.web.services import json_response as _json
from audit.timeline import TimelineEntry
from commands.access import accesses_of
from ledger.entries import AREA_PATTERN, bidi_messages, has_bidi_control
from ledger.errors import Conflict, InvalidInput, NotFound
from ledger.identity import normalise_national_id
from ledger.order import Order
from projections.kks16 import Kks16
from projections.reading import no_such_record, record_and_id

__all__ = ["router"]

router = APIRouter()

NationalIdPath = Annotated[str, PathParam(
    min_length=13, max_length=17, pattern=r"^[0-9 -]+$", examples=[EXAMPLE_NATIONAL_ID],
    description="เลขประจำตัวประชาชน: 13 digits, spaces or dashes allowed")]
# Text a person types, kept verbatim: no control characters, no markup, and no U+FFFD (what
# broken UTF-8 in a query or a form decodes to), so what is kept is what was sent.
PLAIN_TEXT = r"^[^\x00-\x1f\x7f-\x9f<>\ufffd]*$"


def _refuse_bidi(value: str, info: ValidationInfo) -> str:
    """Text with a bidirectional control character shows in another order than it is kept:
    refused, saying so in English and Thai (``api.web.problems`` shows both)."""
    if has_bidi_control(value):
        en, th = bidi_messages(info.field_name or "text")
        raise PydanticCustomError("bidi_control", "{en}", {"en": en, "th": th})
    return value


# Goes with every PLAIN_TEXT field: a pattern cannot say why it refused.
NO_BIDI = AfterValidator(_refuse_bidi)
PlainText = Annotated[str, NO_BIDI]
Purpose = Annotated[str, NO_BIDI, Query(min_length=1, max_length=200, pattern=PLAIN_TEXT,
                               description="why it is read (access log) / "
                                           "วัตถุประสงค์ของการเข้าถึง")]
IdempotencyKey = Annotated[str | None, Header(
    alias="Idempotency-Key", max_length=200,
    description="a key the client chooses for this write: sent again with the same request "
                "after it succeeded, the first answer comes back (Idempotent-Replay: true) "
                "and nothing is written again; with another request, or while the first is "
                "still being written, 409. A refused write gives the key back / "
                "คีย์ป้องกันการบันทึกซ้ำ")]


# ---------------------------------------------------------------- records


def record_for(principal: Principal, national_id: str, as_of: date | None,
                known_at: datetime | None) -> tuple[Kks16, UUID]:
    services = principal.services
    nid = normalise_national_id(national_id)
    if another_teachers_record(principal.account, nid):
        _deny_other_teacher(principal)
    record, record_id = record_and_id(services.view, services.ledger.mapper, nid, as_of=as_of,
                                      known_at=known_at)
    if outside_own_areas(principal.account, record.areas_concerned):
        refuse_outside_areas(principal, record.area)
    return record, record_id


def refuse_outside_areas(principal: Principal, area: str) -> NoReturn:
    """Log the denial of a record of another area, then answer as for a national ID that
    has no record: a reader outside the record's areas learns nothing of whether the person
    exists (the denial log, for the auditor, says what happened)."""
    principal.deny(f"{principal.username} does not act in area {area}",
                   f"{principal.username} ไม่มีสิทธิ์ในเขตพื้นที่ {area}")
    raise no_such_record()


def log_record_read(principal: Principal, record_id: UUID, purpose: str) -> None:
    """Append the read to the access log; the answer waits until it is committed."""
    principal.services.access_log.log(record_id, reader=principal.username, purpose=purpose)


@router.get("/records/{national_id}", tags=["records / ทะเบียนประวัติ"], response_model=Kks16,
            summary="A person's ก.ค.ศ.16 / ทะเบียนประวัติ ก.ค.ศ.16")
async def read_record(national_id: NationalIdPath,
                      principal: Annotated[Principal, allow(*READERS)],
                      as_of: Annotated[ThaiDate | None, Query(
                          description="as it stood on this date")] = None,
                      known_at: Annotated[ThaiMoment | None, Query(
                          description="as it was known at this time")] = None,
                      purpose: Purpose = "ตรวจสอบทะเบียนประวัติ") -> Response:
    """The record from the record view, on either time axis. A teacher reads their own; a
    registrar, authority or payroll officer those of their areas; an auditor any. Each code
    comes with its Thai label: `rank` and `rank_th` (k2, คศ.2), `standing` and `standing_th`,
    `staff_type` and `staff_type_th` (ประเภทข้าราชการ); docs/kks16.md maps every field to the
    form's items and sections / รหัสทุกช่องมีคำอ่านภาษาไทยกำกับ"""
    if as_of is not None or known_at is not None:
        if known_at is not None and known_at.tzinfo is None:
            known_at = known_at.replace(tzinfo=UTC)
        return await run_in_threadpool(_read_record_at, principal, national_id, as_of,
                                       known_at, purpose)
    # The current record: its JSON as last built, while no newer row of it is known
    # (``api.web.record_cache``); only a first read or a changed record reads the view.
    services = principal.services
    nid = normalise_national_id(national_id)
    if another_teachers_record(principal.account, nid):
        await run_in_threadpool(_deny_other_teacher, principal)
    cached = services.records.lookup(nid)
    if cached is None:
        cached = await run_in_threadpool(services.records.load, nid)
    if outside_own_areas(principal.account, cached.areas):
        await run_in_threadpool(refuse_outside_areas, principal, cached.area)
    await services.access_log.log_async(cached.record_id, reader=principal.username,
                                        purpose=purpose)
    return Response(cached.json, media_type="application/json")


def _read_record_at(principal: Principal, national_id: str, as_of: date | None,
                    known_at: datetime | None, purpose: str) -> Response:
    record, record_id = record_for(principal, national_id, as_of, known_at)
    log_record_read(principal, record_id, purpose)
    return _json(record)


def _deny_other_teacher(principal: Principal) -> None:
    raise principal.deny("a teacher may read only their own record",
                         "ครูดูได้เฉพาะทะเบียนประวัติของตนเอง")


@router.get("/records/{national_id}/timeline", tags=["records / ทะเบียนประวัติ"],
            response_model=list[TimelineEntry],
            summary="Every event of a record / ลำดับเหตุการณ์ของทะเบียนประวัติ")
def read_timeline(national_id: NationalIdPath, principal: Annotated[Principal, allow(*READERS)],
                  purpose: Purpose = "ตรวจสอบประวัติการบันทึก") -> Response:
    """Every event of the record: effective date, recorded time, order, signer's key and
    submission, and which entries correct which. ลำดับเหตุการณ์ทุกรายการของทะเบียนประวัติ"""
    from audit.timeline import timeline

    _record, record_id = record_for(principal, national_id, None, None)
    services = principal.services
    entries = timeline(services.ledger.store, services.ledger.mapper, record_id)
    log_record_read(principal, record_id, purpose)
    return _json(entries)


# ---------------------------------------------------------------- orders


# An education area's name: Thai or Latin letters (with Thai vowels and tone marks), digits,
# spaces and dots, as in "สพม.16" or "สพป.นครศรีธรรมราช เขต 1".
# An order number as orders print it: number/Buddhist-Era year, Arabic or Thai digits.
NUMBER_PATTERN = r"^[0-9๐-๙]{1,6}/[0-9๐-๙]{4}$"


class OrderDraft(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_ORDER]})

    authority: str = Field(pattern=AREA_PATTERN, examples=[EXAMPLE_AREA],
                           description="the issuing office: the area's own office")
    area: str = Field(pattern=AREA_PATTERN, examples=[EXAMPLE_AREA])
    order_number: str = Field(pattern=NUMBER_PATTERN, examples=["120/2569"])
    order_date: ThaiDate
    title: PlainText = Field(min_length=1, max_length=250, pattern=PLAIN_TEXT,
                       examples=["ย้ายข้าราชการครู"])
    lines: list[dict[str, Any]] = Field(
        min_length=1, max_length=50_000,
        description="the order's entries, one per person: national_id, kind (an event kind "
                    "of the ก.ค.ศ.16 vocabulary), effective_date, order (this order's own "
                    "authority, order_number and order_date) and the fields of that kind / "
                    "รายการในคำสั่ง")


def order_summary(order: Order) -> dict[str, Any]:
    return {"authority": order.authority, "area": order.area,
            "order_number": order.order_number, "order_date": order.order_date,
            "title": order.title, "lines": len(order.lines),
            "issued": order.issued is not None, "failures": order.failures(),
            "cut_over": order.cut_over}


def fingerprint(request: Request, body: Any) -> bytes:
    """What identifies a write for its idempotency key. A body orjson cannot write (an
    integer beyond 64 bits, a lone surrogate) could not be kept in the ledger either."""
    try:
        return orjson.dumps([request.method, request.url.path, body],
                            option=orjson.OPT_NON_STR_KEYS)
    except orjson.JSONEncodeError:
        raise InvalidInput("the request holds a number beyond 64 bits or broken text; "
                           "nothing was written",
                           "คำขอมีตัวเลขที่ใหญ่เกินไปหรือข้อความที่เข้ารหัสผิด ไม่มีการบันทึกใด ๆ") from None


@router.post("/orders", tags=["orders / คำสั่ง"], status_code=201, response_model=OrderOut,
             summary="Draft an order / ร่างคำสั่ง")
def draft_order(draft: OrderDraft, request: Request,
                principal: Annotated[Principal, allow("registrar")],
                idempotency_key: IdempotencyKey = None) -> Response:
    """A registrar drafts an order of their own area; its lines are checked for form first
    and nothing is written if any is malformed."""
    principal.services.check_area(draft.authority)
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
        return 201, order_summary(order)

    return services.once(principal.username, idempotency_key,
                         fingerprint(request, draft.model_dump(mode="json")), write,
                         exclusive=False)


AuthorityPath = Annotated[str, PathParam(pattern=AREA_PATTERN, examples=[EXAMPLE_AREA],
                                         description="the issuing office / ผู้ออกคำสั่ง")]
OrderNumberPath = Annotated[str, PathParam(examples=["120/2569"],
                                           description="order number / เลขที่คำสั่ง")]


def _order_of(principal: Principal, authority: str, number: str) -> Order:
    principal.services.check_area(authority)
    order = principal.services.desk.order(authority, number)
    if principal.role != "auditor":
        principal.require_area(order.area)
    return order


@router.get("/orders/{authority}/{number:path}", tags=["orders / คำสั่ง"],
            response_model=OrderOut,
            summary="An order / คำสั่ง")
def read_order(authority: AuthorityPath, number: OrderNumberPath,
               principal: Annotated[Principal, allow("registrar", "authority", "auditor")],
               ) -> Response:
    """The order's status, lines and the failures of its last check. สถานะและผลการตรวจสอบของคำสั่ง"""
    return _json(order_summary(_order_of(principal, authority, number)))


@router.post("/orders/{authority}/{number:path}/check", tags=["orders / คำสั่ง"],
             response_model=CheckOut,
             summary="Check an order against the rules / ตรวจสอบคำสั่ง")
def check_order(authority: AuthorityPath, number: OrderNumberPath, request: Request,
                principal: Annotated[Principal, allow("registrar", "authority")],
                idempotency_key: IdempotencyKey = None) -> Response:
    """Run the rules over every line (as the area's registrar) and keep the result with the
    order. ตรวจสอบคำสั่งตามหลักเกณฑ์ทุกรายการ"""
    services = principal.services

    def write() -> tuple[int, Any]:
        order = _order_of(principal, authority, number)
        report = services.desk.check(services.keys_for(order.area).registrar, order)
        return 200, {"passed": report.passed, "ruleset_version": report.ruleset_version,
                     "results": report.results()}

    return services.once(principal.username, idempotency_key, fingerprint(request, None),
                         write, exclusive=False)


@router.post("/orders/{authority}/{number:path}/issue", tags=["orders / คำสั่ง"],
             response_model=IssueOut,
             summary="Issue an order, signed by the area's authority / ออกคำสั่ง")
def issue_order(authority: AuthorityPath, number: OrderNumberPath, request: Request,
                principal: Annotated[Principal, allow("authority")],
                idempotency_key: IdempotencyKey = None) -> Response:
    """Only an authority of the order's area issues it; every line's events and the order's
    own are one signed submission. Issuing twice returns the first result."""
    services = principal.services

    def issue_once() -> tuple[int, Any]:
        order = _order_of(principal, authority, number)
        return 200, services.desk.issue(services.keys_for(order.area).authority, order,
                                        idempotency_key=idempotency_key or "")

    def write() -> tuple[int, Any]:
        # No lock is held: another order may change one of this order's records between
        # the read and the submission, and the ledger then refuses the submission whole.
        # The order is then read and checked again, against the records as they are now.
        for _ in range(ISSUE_ATTEMPTS - 1):
            with suppress(Conflict):
                return issue_once()
        return issue_once()

    return services.once(principal.username, idempotency_key, fingerprint(request, None),
                         write, exclusive=False)


ISSUE_ATTEMPTS = 3  # an issue refused because its records changed meanwhile is tried again


# ---------------------------------------------------------------- audit


@router.get("/audit/checkpoints", tags=["audit / การตรวจสอบ"],
            response_model=list[CheckpointOut],
            summary="Signed checkpoints / จุดตรวจสอบที่ลงนามแล้ว")
def checkpoints(principal: Annotated[Principal, allow("auditor")]) -> Response:
    """Every signed checkpoint (C2SP signed note) for witnesses to keep outside.
    จุดตรวจสอบที่ลงนามแล้ว ให้ผู้ตรวจสอบภายนอกเก็บไว้"""
    rows = principal.services.ledger.store.checkpoints()
    return _json([{"tree_size": r.tree_size, "note": r.note} for r in rows])


@router.post("/audit/checkpoints", tags=["audit / การตรวจสอบ"], response_model=CheckpointOut,
             summary="Sign a checkpoint now / ลงนามจุดตรวจสอบทันที")
def checkpoint_now(principal: Annotated[Principal, allow("auditor")]) -> Response:
    """Sign a checkpoint of the log as it stands (the latest, if nothing was appended since),
    for a witness to keep; the server also signs one by itself when the log has grown.
    ลงนามจุดตรวจสอบของสมุดทะเบียน ณ ขณะนี้"""
    from ledger.checkpoints import create_checkpoint

    services = principal.services
    row = create_checkpoint(services.ledger.store, services.operator_keys().checkpoint)
    return _json({"tree_size": row.tree_size, "note": row.note})


@router.get("/audit/proof", tags=["audit / การตรวจสอบ"], response_model=ProofOut,
            summary="Inclusion proof of one event / หลักฐานว่ารายการอยู่ในสมุดทะเบียน")
def proof(principal: Annotated[Principal, allow("auditor")],
          position: Annotated[int, Query(ge=1, le=2**62, description="log position of the "
                                         "event / ตำแหน่งในสมุดทะเบียน")]) -> Response:
    """An RFC 9162 inclusion proof of the event at a log position under the latest checkpoint;
    checkable offline with the checkpoint key. หลักฐานว่ารายการอยู่ในสมุดทะเบียน"""
    from audit.proofs import inclusion_file

    return Response(inclusion_file(principal.services.ledger.store, position),
                    media_type="application/json")


VerifyScope = Annotated[Literal["full", "since_checkpoint"], Query(
    description="full (the default): everything, as `tabien verify`; since_checkpoint: what "
                "was appended after the latest checkpoint, as `tabien verify --since` / "
                "ขอบเขตการตรวจสอบ")]
JobIdPath = Annotated[str, PathParam(pattern=r"^[0-9a-f]{32}$",
                                     examples=["3f2b9c8e7d6a4b5c9e8f7a6b5c4d3e2f"],
                                     description="the job's id / รหัสงานตรวจสอบ")]


@router.post("/audit/verify", tags=["audit / การตรวจสอบ"], status_code=202,
             response_model=VerifyJobOut,
             summary="Start verifying the ledger and the record view / "
                     "เริ่มตรวจสอบความถูกต้องของสมุดทะเบียน")
def verify(principal: Annotated[Principal, allow("auditor")],
           scope: VerifyScope = "full") -> Response:
    """Start a verification in the background and answer at once (202, `Location` of the
    job). By default everything `tabien verify` checks: every event's hash and chain, gap-free
    positions, each submission's signature, continuity, key, role and area, the checkpoints,
    the evidence files, and the record view against a replay of the ledger. One verification
    of a scope runs at a time: asked again meanwhile, the answer is the running job. Follow it
    with `GET /audit/verify/{job_id}`. เริ่มการตรวจสอบเบื้องหลัง ติดตามผลได้จากรหัสงาน"""
    from api.verification import SINCE_CHECKPOINT, latest_checkpoint

    services = principal.services
    if scope == SINCE_CHECKPOINT:
        latest_checkpoint(services.ledger.store)  # none: 404, and no job
    job, _started = services.verify_jobs.start(scope, principal.username)
    response = _json(job.as_json(), 202)
    response.headers["Location"] = f"/api/v1/audit/verify/{job.job_id}"
    return response


@router.get("/audit/verify/{job_id}", tags=["audit / การตรวจสอบ"], response_model=VerifyJobOut,
            summary="A verification job: progress and report / ความคืบหน้าและผลการตรวจสอบ")
def verify_job(job_id: JobIdPath, principal: Annotated[Principal, allow("auditor")]) -> Response:
    """The job's status (running, done, failed), its progress (phase, checked of total,
    percent) and, when done, the report: ok, each finding with the check that made it, and
    exactly what was covered. Jobs live in the server process's memory: after a restart a
    job is not found. สถานะ ความคืบหน้า และผลการตรวจสอบ"""
    job = principal.services.verify_jobs.get(job_id)
    if job is None:
        raise NotFound(f"no verification job {job_id} on this server (jobs are kept in its "
                       "memory: a restart forgets them)",
                       f"ไม่พบงานตรวจสอบ {job_id} ในเครื่องแม่ข่ายนี้ (งานเก็บไว้ในหน่วยความจำ "
                       "เมื่อเริ่มระบบใหม่จะหายไป)")
    return _json(job.as_json())


@router.get("/audit/access/{national_id}", tags=["audit / การตรวจสอบ"],
            response_model=list[AccessRow],
            summary="Who read a record / ประวัติการเข้าถึงทะเบียนประวัติ")
def access_log(national_id: NationalIdPath,
               principal: Annotated[Principal, allow("auditor")]) -> Response:
    """Who read the record, when, through which channel and for what purpose (PDPA).
    ประวัติการเข้าถึงข้อมูลส่วนบุคคล"""
    services = principal.services
    record_id = services.view.record_id(normalise_national_id(national_id))
    if record_id is None:
        return _json([])
    return _json(accesses_of(services.ledger, record_id))


@router.get("/audit/denials", tags=["audit / การตรวจสอบ"], response_model=list[DenialOut],
            summary="Refused requests / คำขอที่ถูกปฏิเสธ")
def denials(principal: Annotated[Principal, allow("auditor", "admin")]) -> Response:
    """Every refused request (401 and 403): who, what, why; unauthenticated ones past ten a
    minute from one address as a count. คำขอที่ถูกปฏิเสธทั้งหมด"""
    services = principal.services
    # Refusals counted but not logged yet (too many unauthenticated ones from an address).
    now = datetime.now(UTC).isoformat()
    pending = [{"username": NO_USER, "role": "", "method": "*", "path": "*",
                "reason": unlogged_reason(count, client), "at": now}
               for client, count in sorted(services.denial_limit.pending().items())]
    return _json(services.accounts.denials() + pending)
