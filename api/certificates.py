"""Issuing certified copies and certificates (e-services, issue 17): the one path the CLI, the
API and the benchmark share.

For each document: the record view must have caught up with the ledger (a document never
leaves out an order already recorded); the facts come from the ก.ค.ศ.16 as of the date asked
for; a signed checkpoint covering every entry stated is found or made, and the inclusion proof
of each entry under it goes into the credential; the credential (W3C VC 2.0, eddsa-jcs-2022,
signed by the area's certificate key) and the QR token are made; the PDF is made with both
inside; and only then is the issuance appended to the ledger, so a failure leaves nothing
written. Every issuance is also an entry of the access log.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any
from urllib.parse import quote
from uuid import UUID

import orjson
from eventsourcing.application import AggregateNotFoundError

from commands.access import log_area_export, log_read
from commands.areas import known_areas
from commands.bootstrap import DEMO_AREA, area_code, certificate_signer, current_key_set
from ledger.application import Ledger
from ledger.checkpoints import create_checkpoint
from ledger.config import public_url
from ledger.credentials import (
    StatusBits,
    add_proof,
    credential_digest,
    did_key,
    encode_token,
    status_entry,
    status_list_credential,
    verification_method,
)
from ledger.document_index import index_of
from ledger.documents import DOCUMENT_KINDS, STATUS_LIST_LENGTH, IssuedDocument, document_id_for
from ledger.errors import Conflict, InvalidInput, NotFound
from ledger.keys import KeyStore, Signer, raw_public_key
from ledger.merkle import MerkleLevels, leaf_hash
from ledger.note import verifier_key
from ledger.persistence import CheckpointRow
from ledger.thaidate import format_thai_date, today
from projections.caught_up import caught_up
from projections.certificate_facts import Statement, statement_of
from projections.documents import (
    Attachment,
    Certification,
    EmploymentFacts,
    Issuer,
    SalaryFacts,
    certificate_pdf,
    kks16_pdf,
)
from projections.kks16 import build_record
from projections.reading import events_from_rows, record_id_in_view
from projections.store import EntryRow, RecordView

__all__ = ["CREDENTIAL_TYPES", "CertificateDesk", "IssueRequest", "IssuedFiles",
           "status_list_url", "verify_url"]

CREDENTIAL_TYPES = {"copy": "TabienCertifiedRecordCopy",
                    "employment": "TabienEmploymentCertificate",
                    "salary": "TabienSalaryCertificate"}
STATUS_LIST = 1  # the list new documents go in (one list per area holds 131,072)
THAI_TIME = timezone(timedelta(hours=7))
_MAX_VALID_DAYS = 365
_SLOT_TRIES = 5


@dataclass(frozen=True)
class IssueRequest:
    kind: str
    national_id: str
    purpose: str
    requested_by: str
    channel: str = "cli"
    as_of: date | None = None
    valid_days: int = 90
    thai_digits: bool = False  # the PDF's numbers and dates in Thai digits (๒๕๖๙)


@dataclass(frozen=True)
class IssuedFiles:
    document_id: UUID
    kind: str
    area: str
    pdf: bytes
    credential: dict[str, Any]
    token: str
    did: str

    @property
    def credential_json(self) -> bytes:
        return orjson.dumps(self.credential, option=orjson.OPT_INDENT_2)


@dataclass
class Prepared:
    request: IssueRequest
    record_id: UUID
    statement: Statement
    rows: dict[int, EntryRow]  # the stated entries' view rows, by record version
    source: Any  # the Kks16 the document prints


def status_list_url(area: str, status_list: int = STATUS_LIST) -> str:
    return f"{public_url()}/api/v1/status-lists/{area_code(area)}/{status_list}"


def verify_url(token: str) -> str:
    """The QR's link: the public page, with the token in the fragment (never sent to a
    server by the browser, so scanning it leaves no trace in any log)."""
    return f"{public_url()}/verify#{quote(token, safe=':$*+-./')}"


class CertificateDesk:
    def __init__(self, ledger: Ledger, view: RecordView, key_store: KeyStore, *,
                 wait: float = 10.0) -> None:
        self.ledger = ledger
        self.view = view
        self.key_store = key_store
        self.wait = wait
        self._tree_cache: tuple[int, MerkleLevels, dict[int, int]] | None = None
        self._status_lists: dict[tuple[str, int], tuple[int, dict[str, Any]]] = {}

    # ------------------------------------------------------------------ issue

    def issue(self, request: IssueRequest) -> IssuedFiles:
        return self.issue_many([request])[0]

    def issue_many(self, requests: Sequence[IssueRequest], *, log_each: bool = True,
                   progress: Callable[[int], None] | None = None) -> list[IssuedFiles]:
        """Issue documents of one area in one submission (the benchmark issues a whole area
        so); the access log gets one entry per document, or one for the area."""
        for request in requests:
            _check_request(request)
        caught_up(self.ledger, self.view, self.wait)
        prepared = [self.prepare(r) for r in requests]
        areas = {p.statement.area for p in prepared}
        if len(areas) != 1:
            raise InvalidInput("documents issued together must all be of one area",
                               "เอกสารที่ออกพร้อมกันต้องเป็นของเขตพื้นที่เดียวกัน")
        area = areas.pop()
        signer = certificate_signer(self.ledger, self.key_store, area)
        checkpoint = self._checkpoint_covering(
            max(row.position for p in prepared for row in p.rows.values()))
        for attempt in range(_SLOT_TRIES):
            files, documents = self._make(prepared, area, signer, checkpoint, progress)
            try:
                self.ledger.submit(signer, *documents,
                                   purpose=f"ออกเอกสาร {len(documents)} ฉบับ ({area})")
            except Conflict:  # another process took a slot drawn here first: draw again
                if attempt == _SLOT_TRIES - 1:
                    raise
                continue
            self._log(prepared, area, log_each)
            return files
        raise AssertionError("unreachable")

    def prepare(self, request: IssueRequest) -> Prepared:
        record_id = record_id_in_view(self.view, request.national_id)
        rows = self.view.entries(record_id)
        events = events_from_rows(rows, self.ledger.mapper)
        as_of = request.as_of or today()
        record = build_record(events, as_of=as_of)
        statement = statement_of(request.kind, record, events, as_of)
        by_version = {row.version: row for row in rows}
        stated = {v: by_version[v] for v in statement.stated if v in by_version}
        if not stated:
            raise NotFound("the record holds no entry in effect on that date to certify",
                           "ทะเบียนประวัติไม่มีรายการที่มีผล ณ วันที่ขอ จึงรับรองไม่ได้")
        return Prepared(request, record_id, statement, stated, record)

    def _checkpoint_covering(self, position: int) -> CheckpointRow:
        store = self.ledger.store
        rows = store.checkpoints()
        if rows and rows[-1].last_notification_id >= position:
            return rows[-1]
        keys = current_key_set(self.ledger, self.key_store, DEMO_AREA)
        return create_checkpoint(store, keys.checkpoint)

    def _tree(self, checkpoint: CheckpointRow) -> tuple[MerkleLevels, dict[int, int]]:
        """The Merkle levels under the checkpoint (kept while the checkpoint is the same),
        and each position's leaf index."""
        if self._tree_cache is None or self._tree_cache[0] != checkpoint.tree_size:
            rows = list(self.ledger.store.iter_log(upto=checkpoint.last_notification_id))
            self._tree_cache = (checkpoint.tree_size,
                                MerkleLevels([leaf_hash(r.event_hash) for r in rows]),
                                {r.notification_id: i for i, r in enumerate(rows)})
        return self._tree_cache[1], self._tree_cache[2]

    def _make(self, prepared: list[Prepared], area: str, signer: Signer,
              checkpoint: CheckpointRow, progress: Callable[[int], None] | None
              ) -> tuple[list[IssuedFiles], list[IssuedDocument]]:
        levels, indexes = self._tree(checkpoint)
        slots = self._draw_slots(area, len(prepared))
        now = datetime.now(UTC).replace(microsecond=0)
        files, documents = [], []
        for p, slot in zip(prepared, slots, strict=True):
            document_id = document_id_for(area, STATUS_LIST, slot)
            valid_until = min(now.date() + timedelta(days=p.request.valid_days),
                              now.date() + timedelta(days=_MAX_VALID_DAYS))
            proofs = [_event_proof(row, levels, indexes) for row in p.rows.values()]
            credential = self._credential(p, document_id, slot, signer, checkpoint, proofs,
                                          now, valid_until)
            digest = credential_digest(credential)
            token = self._token(p, document_id, slot, signer, digest, now, valid_until)
            pdf = _pdf(p, document_id, signer, credential, token, now, valid_until)
            documents.append(IssuedDocument.issue(
                area=area, kind=p.request.kind, record_id=p.record_id,
                purpose=p.request.purpose, requested_by=p.request.requested_by,
                channel=p.request.channel, issued_at=now, as_of=p.statement.as_of,
                valid_until=valid_until, status_list=STATUS_LIST, status_index=slot,
                credential_sha256=digest, stated=sorted(p.rows),
                checkpoint_size=checkpoint.tree_size))
            files.append(IssuedFiles(document_id, p.request.kind, area, pdf, credential, token,
                                     did_key(signer.public_key)))
            if progress is not None:
                progress(1)
        return files, documents

    def _draw_slots(self, area: str, count: int) -> list[int]:
        """Indexes drawn at random among the free ones (the standard's advice: an index
        says nothing of when or for whom a document was issued)."""
        taken = index_of(self.ledger).taken(area, STATUS_LIST)
        if len(taken) + count > STATUS_LIST_LENGTH // 2:
            raise Conflict(f"the status list of {area} is half full; a further list is needed",
                           f"รายการสถานะเอกสารของ {area} ใช้ไปครึ่งหนึ่งแล้ว ต้องเพิ่มรายการใหม่")
        drawn: list[int] = []
        while len(drawn) < count:
            slot = secrets.randbelow(STATUS_LIST_LENGTH)
            if slot not in taken:
                taken.add(slot)
                drawn.append(slot)
        return drawn

    def _credential(self, p: Prepared, document_id: UUID, slot: int, signer: Signer,
                    checkpoint: CheckpointRow, proofs: list[dict[str, Any]], now: datetime,
                    valid_until: date) -> dict[str, Any]:
        s = p.statement
        unsigned: dict[str, Any] = {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "id": f"urn:uuid:{document_id}",
            "type": ["VerifiableCredential", CREDENTIAL_TYPES[s.kind]],
            "name": DOCUMENT_KINDS[s.kind],
            "issuer": {"id": did_key(signer.public_key), "name": f"ทะเบียนประวัติ {s.area}"},
            "validFrom": _xsd(now),
            "validUntil": _xsd(_end_of(valid_until)),
            "credentialSubject": {
                "id": f"urn:uuid:{p.record_id}",
                "name": s.name,
                "nationalId": s.national_id_masked,
                "area": s.area,
                "asOf": s.as_of.isoformat(),
                "purpose": p.request.purpose,
                **s.facts,
            },
            "credentialStatus": status_entry(status_list_url(s.area), slot),
            "evidence": [{
                "type": ["TabienLedgerInclusion"],
                "checkpoint": checkpoint.note,
                "checkpointKey": self._checkpoint_key(),
                "treeSize": checkpoint.tree_size,
                "events": proofs,
            }],
        }
        return add_proof(unsigned, signer.private_key,
                         verification_method=verification_method(signer.public_key),
                         created=now)

    def _checkpoint_key(self) -> str:
        """The checkpoint key's verifier key (C2SP), so that an offline verifier can check
        the note without the ledger (with it, the registry's keys are used instead)."""
        signer = current_key_set(self.ledger, self.key_store, DEMO_AREA).checkpoint
        return verifier_key(signer.name, signer.public_key)

    def _token(self, p: Prepared, document_id: UUID, slot: int, signer: Signer, digest: str,
               now: datetime, valid_until: date) -> str:
        facts = p.statement.facts
        claims = {"id": str(document_id), "k": p.statement.kind, "n": p.statement.name,
                  "a": p.statement.area, "d": p.statement.as_of.isoformat(),
                  "p": facts.get("position", ""), "s": facts.get("salary"),
                  "st": [STATUS_LIST, slot], "h": digest}
        return encode_token({k: v for k, v in claims.items() if v is not None},
                            signer.private_key, kid=raw_public_key(signer.public_key),
                            issued_at=now, expires_at=_end_of(valid_until),
                            issuer=did_key(signer.public_key))

    def _log(self, prepared: list[Prepared], area: str, log_each: bool) -> None:
        service = current_key_set(self.ledger, self.key_store, DEMO_AREA).service
        if log_each:
            for p in prepared:
                log_read(self.ledger, service, p.record_id, channel=p.request.channel,
                         reader=p.request.requested_by,
                         purpose=f"ออก{DOCUMENT_KINDS[p.request.kind]}: {p.request.purpose}")
            return
        first = prepared[0].request
        log_area_export(self.ledger, service, area, records=len(prepared),
                        purpose=f"ออก{DOCUMENT_KINDS[first.kind]}: {first.purpose}",
                        detail=f"{len(prepared)} documents", channel=first.channel,
                        reader=first.requested_by)

    # ----------------------------------------------------------- status lists

    def status_list_credential(self, code: str, status_list: int) -> dict[str, Any]:
        """The area's Bitstring Status List credential (by the area's code, as in its URL),
        signed by its certificate key; made again only when a document event was appended."""
        area = next((a for a in known_areas(self.ledger) if area_code(a) == code), None)
        if area is None:
            raise NotFound(f"no education area with the code {code!r}",
                           f"ไม่พบเขตพื้นที่การศึกษารหัส {code!r}")
        if status_list != STATUS_LIST:  # one list per area holds its first 65,536 documents
            raise NotFound(f"{area} has no status list {status_list}",
                           f"{area} ไม่มีรายการสถานะเอกสารที่ {status_list}")
        index = index_of(self.ledger).refresh()
        cached = self._status_lists.get((area, status_list))
        if cached is not None and cached[0] == index.after:
            return cached[1]
        bits = StatusBits(STATUS_LIST_LENGTH)
        for slot in index.revoked_indexes(area, status_list):
            bits.set(slot)
        signer = certificate_signer(self.ledger, self.key_store, area)
        now = datetime.now(UTC).replace(microsecond=0)
        unsigned = status_list_credential(
            list_url=status_list_url(area, status_list), issuer_did=did_key(signer.public_key),
            bits=bits, valid_from=now)
        signed = add_proof(unsigned, signer.private_key,
                           verification_method=verification_method(signer.public_key),
                           created=now)
        self._status_lists[(area, status_list)] = (index.after, signed)
        return signed

    # ----------------------------------------------------------------- revoke

    def revoke(self, signer: Signer, document_id: UUID, *, reason: str,
               revoked_by: str) -> None:
        """A registrar revokes a document of their area, with a reason."""
        try:
            document: object = self.ledger.repository.get(document_id)
        except AggregateNotFoundError:
            raise NotFound(f"no document {document_id}", f"ไม่พบเอกสาร {document_id}") from None
        if not isinstance(document, IssuedDocument):
            raise NotFound(f"no document {document_id}", f"ไม่พบเอกสาร {document_id}")
        document.revoke(reason=reason, revoked_by=revoked_by,
                        revoked_at=datetime.now(UTC).replace(microsecond=0))
        self.ledger.submit(signer, document, purpose=f"เพิกถอนเอกสาร {document_id}")


def unsigned_pdf(desk: CertificateDesk, request: IssueRequest) -> bytes:
    """The same document made with no proof, signature, token or write: the benchmark's
    plain baseline beside ``issue_many``."""
    _check_request(request)
    prepared = desk.prepare(request)
    return _document_pdf(prepared, Certification(
        title="ข้อมูลตามทะเบียนประวัติ (ไม่ได้ลงนาม)", lines=(), qr_text=public_url(), note=""),
        (), UUID(int=0))


def _check_request(request: IssueRequest) -> None:
    if request.kind not in DOCUMENT_KINDS:
        raise InvalidInput(f"unknown document kind {request.kind!r}; known: "
                           f"{', '.join(DOCUMENT_KINDS)}",
                           f"ไม่รู้จักประเภทเอกสาร {request.kind!r}")
    if not 1 <= request.valid_days <= _MAX_VALID_DAYS:
        raise InvalidInput(f"a document is valid for 1 to {_MAX_VALID_DAYS} days",
                           f"อายุของเอกสารต้องอยู่ระหว่าง 1 ถึง {_MAX_VALID_DAYS} วัน")
    if request.as_of is not None and request.as_of > today():
        raise InvalidInput("a document cannot state the record as of a future date",
                           "เอกสารรับรองข้อมูล ณ วันในอนาคตไม่ได้")


def _event_proof(row: EntryRow, levels: MerkleLevels, indexes: dict[int, int]
                 ) -> dict[str, Any]:
    index = indexes[row.position]
    return {"recordVersion": row.version, "position": row.position,
            "eventHash": row.event_hash.hex(), "leafIndex": index,
            "inclusionProof": [h.hex() for h in levels.inclusion_proof(index)]}


def _xsd(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _end_of(day: date) -> datetime:
    """The last second of ``day`` in Thailand (a document is valid through its last day)."""
    return datetime.combine(day, time(23, 59, 59), THAI_TIME)


def _pdf(p: Prepared, document_id: UUID, signer: Signer, credential: dict[str, Any],
         token: str, now: datetime, valid_until: date) -> bytes:
    s = p.statement
    did = did_key(signer.public_key)
    certification = Certification(
        title="รับรองสำเนาถูกต้อง" if s.kind == "copy" else "การรับรองเอกสารอิเล็กทรอนิกส์",
        lines=(f"ออกโดย ทะเบียนประวัติ {s.area} เมื่อ {format_thai_date(now.date())}",
               f"ข้อมูล ณ วันที่ {format_thai_date(s.as_of)} เพื่อ {p.request.purpose}",
               f"ใช้ได้ถึงวันที่ {format_thai_date(valid_until)}",
               f"เลขที่เอกสาร {document_id}",
               f"กุญแจผู้ออก {did}"),
        qr_text=verify_url(token),
        note="ตรวจสอบได้โดยสแกนคิวอาร์โค้ด หรือส่งไฟล์นี้ที่หน้าตรวจสอบเอกสาร /verify "
             "หรือใช้คำสั่ง tabien certificate verify")
    attachments = (
        Attachment(f"{document_id}.vc.json", orjson.dumps(credential, option=orjson.OPT_INDENT_2),
                   "application/vc+json", "ข้อมูลรับรองที่ลงนามแล้ว (W3C Verifiable Credential)"),
        Attachment(f"{document_id}.token.txt", token.encode(), "text/plain",
                   "โทเคนในคิวอาร์โค้ด"),
    )
    return _document_pdf(p, certification, attachments, document_id)


def _document_pdf(p: Prepared, certification: Certification,
                  attachments: tuple[Attachment, ...], document_id: UUID) -> bytes:
    s = p.statement
    if s.kind == "copy":
        return kks16_pdf(p.source, certification=certification, attachments=attachments,
                         thai_digits=p.request.thai_digits)
    return certificate_pdf(letter_facts(p, document_id), issuer=issuer_of(s.area),
                           certification=certification, attachments=attachments,
                           thai_digits=p.request.thai_digits)


def issuer_of(area: str) -> Issuer:
    """Who a certificate names as its issuer: the area's registry office. (The area's postal
    address is not in the ledger: the line is left out rather than invented.)"""
    return Issuer(office=f"สำนักงานเขตพื้นที่การศึกษา ({area})", address="",
                  signer_name=f"เจ้าหน้าที่ทะเบียนประวัติ {area}",
                  signer_position="ผู้รับรองข้อมูลตามทะเบียนประวัติอิเล็กทรอนิกส์")


def letter_facts(p: Prepared, document_id: UUID) -> EmploymentFacts | SalaryFacts:
    s, f = p.statement, p.statement.facts
    appointed = date.fromisoformat(f["appointedOn"]) if f.get("appointedOn") else s.as_of
    common: dict[str, Any] = {
        "name": s.name, "position": f["position"], "rank": f.get("rankLabel", ""),
        "standing": f.get("standingLabel", ""), "unit": f.get("unit", ""), "area": s.area,
        "as_of": s.as_of, "document_number": str(document_id), "purpose": p.request.purpose}
    if s.kind == "employment":
        return EmploymentFacts(**common, appointed_on=appointed)
    return SalaryFacts(**common, salary=Decimal(f["salary"]),
                       allowances=tuple((a["label"], Decimal(a["amount"]))
                                        for a in f.get("allowances", [])))
