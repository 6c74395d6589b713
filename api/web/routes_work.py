"""The registrar's and payroll officer's routes beyond single orders: salary rounds,
corrections, legacy imports, payroll exports and evidence files.

Every write here goes through the order desk or the ledger exactly as the CLI's does, so the
same rules, signatures and checks hold. Where a route drafts an order (a salary round, a
correction), it drafts and checks it with the area's registrar key and stops: issuing stays
with the area's authority (``POST /orders/{authority}/{number}/issue``), as it does on paper.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterator
from dataclasses import asdict
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal
from urllib.parse import quote
from uuid import UUID

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from api.web.auth import Principal, allow
from api.web.dates import ThaiDate, ThaiMonth
from api.web.examples import (
    EXAMPLE_AREA,
    EXAMPLE_CORRECTION,
    EXAMPLE_NATIONAL_ID,
    EXAMPLE_ROUND,
    EXAMPLE_ROUND_DRAFT,
)
from api.web.problems import PROBLEM_JSON, Problem
from api.web.routes import (
    NO_BIDI,
    NUMBER_PATTERN,
    PLAIN_TEXT,
    IdempotencyKey,
    NationalIdPath,
    PlainText,
    Purpose,
    fingerprint,
    log_record_read,
    order_summary,
    record_for,
)
from api.web.schemas import EvidenceOut, ImportResultOut, OrderOut, PayrollOut, RoundOut
from api.web.services import json_response
from commands.access import log_area_export
from commands.legacy_import import Transcription
from ledger.entries import AREA_PATTERN
from ledger.errors import InvalidInput, NotFound
from ledger.evidence import check_sha256
from ledger.filenames import ascii_words
from ledger.identity import normalise_national_id
from ledger.vocabulary import normalise_order_number

if TYPE_CHECKING:
    from projections.caught_up import LedgerHead

__all__ = ["work_router"]

work_router = APIRouter()

Area = Annotated[str, Field(pattern=AREA_PATTERN, examples=[EXAMPLE_AREA],
                            description="education area / เขตพื้นที่การศึกษา")]
OrderNumber = Annotated[str, Field(pattern=NUMBER_PATTERN, examples=["120/2569"],
                                   description="order number / เลขที่คำสั่ง")]
NationalID = Annotated[str, Field(pattern=r"^[0-9 -]{13,17}$",
                                  examples=[EXAMPLE_NATIONAL_ID],
                                  description="เลขประจำตัวประชาชน (13 digits)")]


# ---------------------------------------------------------------- salary rounds


class AppraisalIn(BaseModel):
    national_id: NationalID
    appraisal: PlainText = Field(default="", max_length=100, pattern=PLAIN_TEXT,
                           examples=["ดีเด่น"], description="the appraisal's level / ผลการประเมิน")
    percent: Decimal = Field(ge=0, le=10, max_digits=6, decimal_places=3, examples=["3.5"],
                             description="raise in percent of the calculation base / ร้อยละ")
    # No default: the official figures are NOT FOUND (commands.salary_round), so a person
    # given none is a violation of the preview, not a base made up here.
    calculation_base: int | None = Field(
        default=None, ge=1, le=1_000_000, examples=[27000],
        description="ฐานในการคำนวณ (baht), required for every person: there is no default, "
                    "since the official figures (ว5/2562) are NOT FOUND in the reference; a "
                    "person given none is listed among the violations and the round cannot "
                    "be drafted. The example's figure only illustrates / ต้องระบุทุกคน "
                    "ไม่มีค่าโดยปริยาย")


class RoundRequest(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_ROUND]})

    area: Area
    round_date: ThaiDate = Field(description="1 April or 1 October / 1 เม.ย. หรือ 1 ต.ค.",
                                 examples=[EXAMPLE_ROUND["round_date"], "1/10/2569"])
    appraisals: list[AppraisalIn] = Field(min_length=1, max_length=100_000)


class RoundDraft(RoundRequest):
    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_ROUND_DRAFT]})

    order_number: OrderNumber
    order_date: ThaiDate


def _preview(principal: Principal, request: RoundRequest) -> Any:
    from commands.salary_round import Appraisal, preview_round

    principal.require_area(request.area)
    appraisals = [Appraisal(normalise_national_id(a.national_id), a.appraisal, a.percent,
                            a.calculation_base) for a in request.appraisals]
    return preview_round(principal.services.ledger, request.area, request.round_date,
                         appraisals)


def _round_body(preview: Any, order: Any = None) -> dict[str, Any]:
    return {"area": preview.area, "round_date": preview.round_date,
            "base_date": preview.base_date, "salary_mass": preview.salary_mass,
            "pool": preview.pool, "total": preview.total, "ok": preview.ok,
            "lines": preview.lines, "violations": preview.violations,
            "order": order_summary(order) if order is not None else None}


def _log_area_read(principal: Principal, area: str, purpose: str, records: int,
                   detail: str) -> None:
    services = principal.services
    with services.write_lock:
        log_area_export(services.ledger, services.operator_keys().service, area,
                        purpose=purpose, records=records, detail=detail, channel="api",
                        reader=principal.username)


@work_router.post("/salary-rounds/preview", tags=["salary rounds / เลื่อนเงินเดือน"],
                  response_model=RoundOut,
                  summary="Preview a salary round / คำนวณการเลื่อนเงินเดือน")
def preview_salary_round(request: RoundRequest,
                         principal: Annotated[Principal, allow("registrar", "authority")],
                         purpose: Purpose = "คำนวณการเลื่อนเงินเดือน") -> Response:
    """Every person's raise and every violation (no appraisal, appraised twice, not in
    service in the area, no calculation base, the total over the pool), computed from the
    ledger; a raise past the rank's ceiling is not a violation: the salary stops there and
    the rest is special compensation. Nothing is written but the access-log entry, since the
    preview shows every salary of the area.
    คำนวณการเลื่อนเงินเดือนของทุกคนในเขตพื้นที่ และรายการที่ขัดหลักเกณฑ์"""
    preview = _preview(principal, request)
    _log_area_read(principal, request.area, purpose, len(preview.lines),
                   f"salary round {request.area} {request.round_date.isoformat()}")
    return json_response(_round_body(preview))


@work_router.post("/salary-rounds", tags=["salary rounds / เลื่อนเงินเดือน"], status_code=201,
                  response_model=RoundOut,
                  summary="Draft a salary round's order / ร่างคำสั่งเลื่อนเงินเดือน")
def draft_salary_round(draft: RoundDraft, request: Request,
                       principal: Annotated[Principal, allow("registrar")],
                       idempotency_key: IdempotencyKey = None) -> Response:
    """A clean preview drafted as one order and checked, by the area's registrar; the area's
    authority then issues it. A preview with violations is refused (422) and nothing is
    written. ร่างคำสั่งเลื่อนเงินเดือนจากผลการคำนวณที่ไม่มีข้อผิดพลาด แล้วตรวจสอบ"""
    from commands.salary_round import draft_round

    services = principal.services

    def write() -> tuple[int, Any]:
        preview = _preview(principal, draft)
        registrar = services.keys_for(draft.area).registrar
        order = draft_round(services.desk, preview, registrar=registrar,
                            order_number=draft.order_number, order_date=draft.order_date)
        services.desk.check(registrar, order)
        order = services.desk.order(draft.area, draft.order_number)
        return 201, _round_body(preview, order)

    return services.once(principal.username, idempotency_key,
                         fingerprint(request, draft.model_dump(mode="json")), write)


# ---------------------------------------------------------------- corrections


class CorrectionIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [EXAMPLE_CORRECTION]})

    national_id: NationalID
    area: Area
    version: int = Field(ge=1, le=1_000_000, description="the entry to correct (its version "
                                                         "in the timeline) / ลำดับรายการ")
    reason: PlainText = Field(min_length=1, max_length=500, pattern=PLAIN_TEXT,
                        examples=["พิมพ์เงินเดือนผิด"], description="why / เหตุผล")
    order_number: OrderNumber
    order_date: ThaiDate
    changes: dict[str, Any] | None = Field(
        default=None, max_length=50, examples=[EXAMPLE_CORRECTION["changes"]],
        description="corrected fields; omit to revoke the entry / ข้อมูลที่แก้ไข")
    revoke: bool = Field(default=False, description="revoke the entry instead / ยกเลิกรายการ")


@work_router.post("/corrections", tags=["corrections / แก้ไขรายการ"], status_code=201,
                  response_model=OrderOut,
                  summary="Draft a correcting order / ร่างคำสั่งแก้ไขหรือยกเลิกรายการ")
def draft_correction(correction: CorrectionIn, request: Request,
                     principal: Annotated[Principal, allow("registrar")],
                     idempotency_key: IdempotencyKey = None) -> Response:
    """An earlier entry corrected (or revoked) by an order: drafted and checked by the
    area's registrar, issued by its authority. The original entry stays in the history.
    แก้ไขหรือยกเลิกรายการเดิมด้วยคำสั่ง รายการเดิมยังคงอยู่ในประวัติ"""
    principal.require_area(correction.area)
    if correction.revoke == (correction.changes is not None):
        raise InvalidInput("give either changes or revoke: true",
                           "ต้องระบุข้อมูลที่แก้ไข (changes) หรือยกเลิกรายการ (revoke) อย่างใดอย่างหนึ่ง")
    services = principal.services

    def write() -> tuple[int, Any]:
        line = _correction_line(correction)
        registrar = services.keys_for(correction.area).registrar
        order = services.desk.draft(registrar, authority=correction.area, area=correction.area,
                                    order_number=correction.order_number,
                                    order_date=correction.order_date, title="แก้ไขรายการ",
                                    lines=[line])
        services.desk.check(registrar, order)
        return 201, order_summary(services.desk.order(correction.area,
                                                      correction.order_number))

    return services.once(principal.username, idempotency_key,
                         fingerprint(request, correction.model_dump(mode="json")), write)


def _correction_line(correction: CorrectionIn) -> dict[str, Any]:
    reference = {"authority": correction.area, "order_number": correction.order_number,
                 "order_date": correction.order_date.isoformat()}
    line: dict[str, Any] = {"national_id": normalise_national_id(correction.national_id),
                            "effective_date": correction.order_date.isoformat(),
                            "order": reference, "reason": correction.reason}
    if correction.revoke:
        line.update(kind="entry_revoked", revokes=correction.version)
    else:
        line.update(kind="entry_corrected", corrects=correction.version,
                    changes=correction.changes)
    return line


# ---------------------------------------------------------------- legacy imports

_MAX_IMPORT_BYTES = 200 * 1024 * 1024
_SAFE_NAME = r"^[^/\\\x00-\x1f]{1,120}$"


def _uploaded(upload: UploadFile, limit: int) -> bytes:
    # Read from the spooled file directly: the route runs in the thread pool, not the loop.
    data = upload.file.read(limit + 1)
    if len(data) > limit:
        raise InvalidInput(f"{upload.filename}: larger than {limit:,} bytes",
                           f"{upload.filename}: ไฟล์ใหญ่เกิน {limit:,} ไบต์")
    return data


def _sha256(data: bytes) -> str:
    """An upload in a request's fingerprint: its hash, not its bytes spelled out in hex."""
    return hashlib.sha256(data).hexdigest()


def _file_name(upload: UploadFile, fallback: str) -> str:
    """The upload's own name, kept only as a plain name (it names the file in reports)."""
    name = Path((upload.filename or "").replace("\\", "/")).name
    if not name or name in (".", "..") or any(ord(c) < 32 for c in name) or len(name) > 120:
        return fallback
    return name


@work_router.post("/imports", tags=["imports / นำเข้าข้อมูลเดิม"], response_model=ImportResultOut,
                  summary="Legacy ก.พ.7 CSV files as a transcription order / "
                          "รับโอนทะเบียนประวัติเดิม")
def import_files(
        request: Request, principal: Annotated[Principal, allow("registrar")],
        files: Annotated[list[UploadFile], File(
            description="people, history and education CSV files (UTF-8 or TIS-620) / "
                        "ไฟล์ CSV")],
        area: Annotated[str, Form(pattern=AREA_PATTERN, examples=["สพม.16"])],
        order_number: Annotated[str, Form(pattern=NUMBER_PATTERN, examples=["130/2569"],
                                          description="number of the transcription order / "
                                                      "เลขที่คำสั่งรับโอน")],
        order_date: Annotated[ThaiDate, Form()],
        cut_over: Annotated[ThaiDate | None, Form(
            description="rows dated on or after it are checked by the rules (default: the "
                        "order's date) / วันเริ่มใช้ระบบ")] = None,
        dry_run: Annotated[bool, Form(description="check and show the order only / "
                                                  "ตรวจสอบอย่างเดียว")] = False,
        idempotency_key: IdempotencyKey = None) -> Response:
    """Each file's header says its layout; rows already in the ledger are skipped, rejected
    rows are listed with their reasons in Thai and English; the accepted rows of every file
    become the lines of ONE transcription order drafted by the area's registrar, which the
    area's authority checks and issues (``/orders/{number}/check``, ``/issue``). A file that
    cannot be read as a layout refuses the whole request (nothing written)."""
    principal.require_area(area)
    if not 1 <= len(files) <= 10:
        raise InvalidInput("send 1 to 10 files", "ส่งไฟล์ได้ 1 ถึง 10 ไฟล์")
    contents = [(_file_name(f, f"file-{n}.csv"), _uploaded(f, _MAX_IMPORT_BYTES))
                for n, f in enumerate(files, start=1)]
    transcription = Transcription(normalise_order_number(order_number), order_date,
                                  cut_over or order_date)
    digest = fingerprint(request, [area, dry_run, order_number, str(order_date),
                                   str(cut_over), [(n, _sha256(d)) for n, d in contents]])
    services = principal.services
    return services.once(principal.username, idempotency_key, digest,
                         lambda: (200, _import(principal, contents, area, transcription,
                                               dry_run)))


def _import(principal: Principal, contents: list[tuple[str, bytes]], area: str,
            transcription: Transcription, dry_run: bool) -> dict[str, Any]:
    from commands.legacy_import import import_sources, read_sources

    services = principal.services
    with tempfile.TemporaryDirectory(prefix="tabien-import-") as folder:
        paths = []
        for n, (name, data) in enumerate(contents, start=1):
            path = Path(folder) / f"{n}-{name}"
            path.write_bytes(data)
            paths.append(path)
        summaries, plan = import_sources(
            services.ledger, services.keys_for(area).registrar,
            services.key_store.identity_secret(), read_sources(paths), transcription,
            default_area=area, dry_run=dry_run)
    files = [{"file": s.path.name.partition("-")[2], "layout": s.layout,
              "layout_th": s.layout_th, "encoding": s.encoding, "dates_be": s.dates_be,
              "dates_ce": s.dates_ce, "read": s.read, "imported": s.imported,
              "present": s.present, "rejected": [asdict(r) for r in s.rejected],
              "blank_rows": s.blank_rows, "ignored_columns": list(s.ignored_columns)}
             for s in summaries]
    return {"files": files, "order": {**asdict(plan), "order_date": str(plan.order_date),
                                      "cut_over": str(plan.cut_over)}}


# ---------------------------------------------------------------- payroll

_MEDIA = {"csv": "text/csv; charset=utf-8",
          "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
          "txt": "text/plain; charset=utf-8"}


def _attachment(name: str, ascii_name: str) -> str:
    """A Content-Disposition that keeps a Thai file name (RFC 6266 ``filename*``, RFC 5987
    encoding), with an ASCII name for clients that read only ``filename``."""
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


# ``:path`` so that a month written 5/2569 (its slash sent as %2F) reaches the reader too.
@work_router.get("/payroll/{area}/{month:path}", tags=["payroll / จ่ายตรงเงินเดือน"],
                 response_model=PayrollOut,
                 responses={200: {"content": {m: {} for m in _MEDIA.values()}},
                            503: {"description": "the record view had not caught up with the "
                                                 "ledger within TABIEN_VIEW_WAIT_SECONDS "
                                                 "(view-behind); nothing was made / "
                                                 "มุมมองข้อมูลยังตามบัญชีหลักไม่ทัน",
                                  "content": {PROBLEM_JSON: {"schema": {
                                      "$ref": "#/components/schemas/Problem"}}}}},
                 summary="A month's payroll feed / ข้อมูลจ่ายตรงเงินเดือนประจำเดือน")
def payroll_feed(area: Annotated[str, PathParam(pattern=AREA_PATTERN, examples=["สพม.16"],
                                                description="education area / เขตพื้นที่")],
                 month: Annotated[ThaiMonth, PathParam(
                     description="เดือน: 2026-05 (ค.ศ.), 5/2569 หรือ พฤษภาคม 2569 (พ.ศ.) / "
                                 "the month: YYYY-MM in C.E., or month first with a B.E. "
                                 "year; a B.E. year in the form YYYY-MM is refused")],
                 principal: Annotated[Principal, allow("payroll")],
                 format: Annotated[Literal["json", "csv", "xlsx", "txt"], Query(
                     description="json, or the files to send: csv (UTF-8 with BOM), xlsx, "
                                 "txt (pipe-delimited), laid out as docs/payroll.md says (the "
                                 "Comptroller General's own format is NOT FOUND)")] = "json",
                 purpose: Purpose = "ส่งข้อมูลจ่ายตรงเงินเดือน") -> Response:
    """The month's feed from the record view, with arrears and the reconciliation against
    the last feed; kept as this month's feed and logged as an export of the area.
    ข้อมูลจ่ายตรงพร้อมตกเบิกและการกระทบยอดกับเดือนก่อน"""
    from projections import payroll, payroll_files

    principal.require_area(area)
    services = principal.services
    made_at = view_caught_up(principal)  # before anything is built, kept or logged
    feed = payroll.build_feed(services.view, services.ledger.mapper, area, month,
                              made_at=made_at)
    payroll.save(services.view, feed)
    _log_area_read(principal, area, purpose, len(feed.lines),
                   f"payroll {area} {feed.month:%Y-%m}")
    if format != "json":
        name = payroll_files.file_name(area, feed.month, format)
        fallback = payroll_files.ascii_file_name(area, feed.month, format)
        return Response(payroll_files.write(feed, format), media_type=_MEDIA[format],
                        headers={"Content-Disposition": _attachment(name, fallback)})
    return json_response({
        "area": feed.area, "month": feed.month, "exported_at": feed.exported_at,
        "lines": feed.lines, "total": feed.total, "arrears": feed.arrears,
        "previous_month": feed.previous[0] if feed.previous else None,
        "previous_total": feed.previous[2] if feed.previous else None,
        "changes": feed.change_summary().amount,
        "reconciles": feed.reconciles(), "note": payroll.POSITION_ALLOWANCE_NOTE,
        "notes": [payroll.POSITION_ALLOWANCE_NOTE, payroll_files.CGD_FORMAT_NOTE,
                  made_at.note()],
        "ledger_position": made_at.position, "ledger_event_hash": made_at.event_hash.hex()})


def view_caught_up(principal: Principal) -> LedgerHead:
    """The ledger's head, once the record view has caught up with it (a ``LedgerHead``); else
    503 ``view-behind``, saying how far behind, and nothing is made, kept or logged."""
    from ledger.config import view_wait_seconds
    from projections.caught_up import ViewBehind, caught_up

    services = principal.services
    try:
        return caught_up(services.ledger, services.view, view_wait_seconds())
    except ViewBehind as e:
        raise Problem(
            503, e.code, f"{e.message}. Try again in a moment; if it stays behind, the "
            "server's projection is not keeping up: tell the server's operator",
            f"{e.message_th} โปรดลองใหม่อีกครั้งในอีกสักครู่ หากยังไม่ทัน แสดงว่าการปรับปรุงมุมมองข้อมูล"
            "ของเครื่องแม่ข่ายไม่ทำงาน โปรดแจ้งผู้ดูแลระบบ",
            headers={"Retry-After": "5"},
            extra={"view_position": e.view_position, "ledger_position": e.head,
                   "events_behind": e.behind}) from None


# ---------------------------------------------------------------- evidence


@work_router.post("/records/{national_id}/evidence", tags=["evidence / เอกสารหลักฐาน"],
                  status_code=201, response_model=EvidenceOut,
                  summary="Attach an evidence file to a record / แนบเอกสารหลักฐาน")
def attach(
        national_id: NationalIdPath, request: Request,
        principal: Annotated[Principal, allow("registrar")],
        file: Annotated[UploadFile, File(description="PDF, image … / ไฟล์เอกสาร")],
        to: Annotated[int, Form(ge=0, le=1_000_000, description="version of the entry it "
                                "documents; 0 = the record as a whole")],
        description: Annotated[str, NO_BIDI, Form(min_length=1, max_length=300,
                                                  pattern=PLAIN_TEXT)],
        order_number: Annotated[str, Form(pattern=NUMBER_PATTERN)],
        order_date: Annotated[ThaiDate, Form()],
        idempotency_key: IdempotencyKey = None) -> Response:
    """The file is kept under its SHA-256 and a signed entry referring to it is appended to
    the record by the area's registrar; ``tabien verify`` re-checks the file from then on."""
    services = principal.services
    _form_text("description", description)
    data = _uploaded(file, services.evidence.max_bytes)
    name = _file_name(file, "evidence")
    digest = fingerprint(request, [national_id, to, description, order_number,
                                   order_date.isoformat(), name, file.content_type, _sha256(data)])
    return services.once(principal.username, idempotency_key, digest,
                         lambda: _attach(principal, national_id, data, name, file.content_type,
                                         to, description, order_number, order_date))


def _form_text(name: str, value: str) -> str:
    """Refuse a form field that was not UTF-8. The form parser falls back to Latin-1 for such
    bytes, so the text it gives is all Latin-1 and, encoded back, not UTF-8. (Text of Latin-1
    letters only, such as "café" alone, looks the same and is refused too.)"""
    if not value.isascii():
        try:
            value.encode("latin-1").decode("utf-8")
        except UnicodeEncodeError:
            return value  # beyond Latin-1: it was decoded as UTF-8
        except UnicodeDecodeError:
            raise InvalidInput(f"{name} is not UTF-8 text", f"{name} ไม่ใช่ข้อความ UTF-8") from None
    return value


def _attach(principal: Principal, national_id: str, data: bytes, name: str,
            media_type: str | None, to: int, description: str, order_number: str,
            order_date: date) -> tuple[int, Any]:
    from commands.evidence import Attachment, attach_evidence
    from ledger.vocabulary import OrderRef, check_cited_number

    services = principal.services
    record, _ = record_for(principal, national_id, None, None)  # checks the area
    plain_type = (media_type or "").partition(";")[0].strip().lower() or None
    attachment = Attachment(national_id=national_id, data=data, name=name, attached_to=to,
                            description=description,
                            order=OrderRef(record.area, check_cited_number(order_number),
                                                   order_date),
                            effective_date=order_date, media_type=plain_type)
    ref, position = attach_evidence(services.ledger, services.keys_for(record.area).registrar,
                                    services.key_store.identity_secret(), services.evidence,
                                    attachment)
    return 201, {"sha256": ref.sha256, "name": ref.name, "media_type": ref.media_type,
                 "size": ref.size, "position": position}


@work_router.get("/evidence/{sha256}", tags=["evidence / เอกสารหลักฐาน"],
                 responses={200: {"content": {"*/*": {}},
                                  "description": "the file, its hash re-checked, with the "
                                                 "media type its signed reference gives / "
                                                 "ไฟล์เอกสาร"}},
                 summary="An evidence file / เอกสารหลักฐาน")
def read_evidence(sha256: Annotated[str, PathParam(pattern=r"^[0-9a-fA-F]{64}$",
                                                   description="the file's SHA-256")],
                  principal: Annotated[Principal, allow("teacher", "registrar", "authority",
                                                        "auditor")],
                  purpose: Purpose = "ดูเอกสารหลักฐาน") -> Response:
    """A stored file, re-checked against its hash, for a reader who may read a record that
    refers to it; each such record's access log records the read."""
    services = principal.services
    wanted = check_sha256(sha256.lower())
    records = services.view.records_referring_to(wanted)
    if not records:
        raise _no_such_file()
    readable = [(r, events) for r, events in _referring(principal, records)]
    if not readable:
        # Logged as a denial, answered as a file no record refers to: a reader learns
        # nothing of whether another area's (or person's) record holds it.
        principal.deny("no record this user may read refers to this file",
                       "ผู้ใช้นี้ไม่มีสิทธิ์ดูทะเบียนประวัติที่อ้างถึงเอกสารนี้")
        raise _no_such_file()
    data = services.evidence.read_sha256(wanted)
    for record_id, _ in readable:
        log_record_read(principal, record_id, purpose)
    media_type, name = _signed_type_and_name(readable[0][1], wanted)
    return Response(data, media_type=_served_type(media_type), headers={
        "Content-Disposition": _attachment(name, _ascii_name(name)),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": _EVIDENCE_CSP})


def _no_such_file() -> NotFound:
    return NotFound("no record refers to this file", "ไม่มีทะเบียนประวัติที่อ้างถึงเอกสารนี้")


def _referring(principal: Principal, records: list[UUID]) -> Iterator[tuple[UUID, list[Any]]]:
    """The records referring to a file that this user may read, with their events."""
    from projections.kks16 import build_record
    from projections.reading import events_from_rows

    services = principal.services
    for record_id in records:
        events = events_from_rows(services.view.entries(record_id), services.ledger.mapper)
        record = build_record(events, with_rows=False)
        if principal.role == "auditor" or (
                principal.role == "teacher"
                and record.national_id == principal.account.national_id) or (
                principal.role in ("registrar", "authority")
                and record.area in principal.account.areas):
            yield record_id, events


# An evidence file is whatever a registrar uploaded: it is always a download, never a page of
# this site (an HTML or SVG file shown inline could run script with the reader's session).
_EVIDENCE_CSP = "default-src 'none'; sandbox"
# Types a browser shows without running anything; any other is sent as plain bytes.
_INERT_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg", "image/gif",
                          "image/webp", "image/tiff", "text/plain", "text/csv"})


def _signed_type_and_name(events: list[Any], sha256: str) -> tuple[str, str]:
    """The media type and file name the signed reference gave the file."""
    for event in events:
        ref = getattr(event, "evidence", None)
        if ref is not None and getattr(ref, "sha256", None) == sha256:
            return str(ref.media_type), str(ref.name)
    return "application/octet-stream", "evidence"


def _served_type(media_type: str) -> str:
    """The signed media type when a browser cannot run it (HTML, SVG, XML … never are)."""
    return media_type if media_type in _INERT_TYPES else "application/octet-stream"


def _ascii_name(name: str) -> str:
    """The file name for a client that reads only ASCII: the ASCII words of its name and its
    extension (``คำสั่ง.pdf`` → ``evidence.pdf``, ``scan 1.pdf`` → ``scan_1.pdf``)."""
    path = Path(name)
    stem = ascii_words(path.stem, 80) or "evidence"
    ext = ascii_words(path.suffix, 10).replace("_", "")
    return f"{stem}.{ext}" if ext else stem

