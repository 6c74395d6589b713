"""Verifying a certified copy or a certificate: its PDF, its credential or its QR token.

Offline (no ledger), a verifier learns whether the document is what its issuer's key signed:
the Data Integrity proof under the ``did:key`` it names, the signed checkpoint it carries, the
inclusion of each stated entry under that checkpoint, and its expiry. With the ledger (the
server's page, ``tabien certificate verify``), it learns more: that the ledger recorded this
very credential's issuance (its hash), and whether it has since been revoked — by hand, or
superseded by an order correcting an entry it states.

Each check says what it found in Thai and English; a document is ``valid`` only if every
check made holds.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote
from uuid import UUID

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from eventsourcing.utils import get_topic

from ledger.application import Ledger
from ledger.credentials import (
    TokenContents,
    credential_digest,
    decode_token,
    verify_proof,
    verify_token,
)
from ledger.document_index import DocumentState, index_of
from ledger.documents import DOCUMENT_KINDS
from ledger.errors import InvalidInput, TabienError
from ledger.keys import SigningKey
from ledger.merkle import leaf_hash, verify_inclusion
from ledger.note import CheckpointBody, open_note, parse_verifier_key
from ledger.record import PersonnelRecord

__all__ = ["STATUS_TH", "Verdict", "verify_bytes", "verify_credential", "verify_token_text"]

STATUS_TH = {
    "valid": "ใช้ได้ (ถูกต้องและยังไม่หมดอายุ)",
    "revoked": "ถูกเพิกถอนแล้ว",
    "superseded": "ใช้ไม่ได้ เพราะข้อมูลที่รับรองถูกแก้ไขแล้ว",
    "expired": "หมดอายุแล้ว",
    "invalid": "ไม่ถูกต้อง (ไม่ใช่เอกสารที่ออกจากระบบ หรือถูกแก้ไข)",
}
_RANK = {"invalid": 4, "revoked": 3, "superseded": 3, "expired": 2, "valid": 0}
TOKEN_PREFIX = "TB1:"


@dataclass
class Verdict:
    """What verifying one document found."""

    status: str = "valid"
    problems: list[tuple[str, str]] = field(default_factory=list)  # (English, Thai)
    checked: list[str] = field(default_factory=list)  # in Thai: what was checked and held
    document_id: str = ""
    kind: str = ""
    issuer: str = ""  # the did:key
    issuer_name: str = ""
    subject: dict[str, Any] = field(default_factory=dict)
    valid_until: str = ""
    online: bool = False  # checked against the ledger too

    @property
    def valid(self) -> bool:
        return self.status == "valid"

    @property
    def status_th(self) -> str:
        return STATUS_TH[self.status]

    @property
    def kind_th(self) -> str:
        return DOCUMENT_KINDS.get(self.kind, self.kind)

    def fail(self, status: str, english: str, thai: str) -> None:
        self.problems.append((english, thai))
        if _RANK[status] > _RANK[self.status]:
            self.status = status

    def to_json(self) -> dict[str, Any]:
        return {"status": self.status, "status_th": self.status_th, "valid": self.valid,
                "document_id": self.document_id, "kind": self.kind, "kind_th": self.kind_th,
                "issuer": self.issuer, "issuer_name": self.issuer_name,
                "subject": self.subject, "valid_until": self.valid_until,
                "online": self.online,
                "problems": [{"en": en, "th": th} for en, th in self.problems],
                "checked": self.checked}


def verify_bytes(data: bytes, *, ledger: Ledger | None = None,
                 now: datetime | None = None) -> Verdict:
    """A PDF, a credential (JSON) or a QR's text (the token, or the link holding it)."""
    stripped = data.strip()
    if stripped.startswith(b"%PDF"):
        return _verify_pdf(stripped, ledger, now)
    if stripped.startswith(b"{"):
        try:
            credential = orjson.loads(stripped)
        except orjson.JSONDecodeError:
            return _unreadable("the file is not valid JSON", "ไฟล์ไม่ใช่ JSON ที่ถูกต้อง")
        return verify_credential(credential, ledger=ledger, now=now)
    try:
        text = stripped.decode("utf-8")
    except UnicodeDecodeError:
        return _unreadable("the file is neither a PDF, a credential nor a QR text",
                           "ไฟล์ไม่ใช่ PDF ข้อมูลรับรอง หรือข้อความจากคิวอาร์โค้ด")
    return verify_token_text(text, ledger=ledger, now=now)


def _unreadable(english: str, thai: str) -> Verdict:
    verdict = Verdict()
    verdict.fail("invalid", english, thai)
    return verdict


# ------------------------------------------------------------------ credential

def verify_credential(credential: object, *, ledger: Ledger | None = None,
                      now: datetime | None = None) -> Verdict:
    verdict = Verdict()
    if not isinstance(credential, dict):
        verdict.fail("invalid", "a credential is a JSON object", "ข้อมูลรับรองต้องเป็นออบเจกต์ JSON")
        return verdict
    _describe(verdict, credential)
    proof = verify_proof(credential)
    if not proof.valid:
        verdict.fail("invalid", f"the signature does not hold: {proof.problem_en}",
                     f"ลายมือชื่ออิเล็กทรอนิกส์ไม่ถูกต้อง: {proof.problem_th}")
        return verdict
    verdict.checked.append("ลายมือชื่ออิเล็กทรอนิกส์ถูกต้องตามกุญแจของผู้ออก (did:key)")
    if (proof.verification_method or "").split("#", 1)[0] != verdict.issuer:
        verdict.fail("invalid", "the proof's key is not the issuer's",
                     "กุญแจที่ลงนามไม่ใช่กุญแจของผู้ออกเอกสาร")
    _check_inclusions(verdict, credential, ledger)
    _check_expiry(verdict, str(credential.get("validUntil", "")), now)
    if ledger is not None:
        _check_in_ledger(verdict, ledger, credential_digest(credential))
    return verdict


def _describe(verdict: Verdict, credential: dict[str, Any]) -> None:
    verdict.document_id = str(credential.get("id", "")).removeprefix("urn:uuid:")
    types = credential.get("type", [])
    kinds = {"TabienCertifiedRecordCopy": "copy", "TabienEmploymentCertificate": "employment",
             "TabienSalaryCertificate": "salary"}
    verdict.kind = next((kinds[t] for t in types if t in kinds), "") \
        if isinstance(types, list) else ""
    issuer = credential.get("issuer", {})
    verdict.issuer = str(issuer.get("id", "")) if isinstance(issuer, dict) else str(issuer)
    verdict.issuer_name = str(issuer.get("name", "")) if isinstance(issuer, dict) else ""
    subject = credential.get("credentialSubject", {})
    verdict.subject = dict(subject) if isinstance(subject, dict) else {}
    verdict.valid_until = str(credential.get("validUntil", ""))


def _check_inclusions(verdict: Verdict, credential: dict[str, Any],
                      ledger: Ledger | None) -> None:
    """Each stated entry is in the ledger's log under the checkpoint the credential carries,
    and that checkpoint is signed by the ledger's checkpoint key."""
    try:
        evidence = credential["evidence"][0]
        note = str(evidence["checkpoint"])
        body = CheckpointBody.parse(note.split("\n\n", 1)[0] + "\n")
        _check_checkpoint_signature(note, str(evidence.get("checkpointKey", "")), ledger)
        for event in evidence["events"]:
            verify_inclusion(leaf_hash(bytes.fromhex(event["eventHash"])),
                             int(event["leafIndex"]), body.size,
                             [bytes.fromhex(h) for h in event["inclusionProof"]], body.root)
    except TabienError as e:
        verdict.fail("invalid", f"the ledger proof does not hold: {e.message}",
                     f"หลักฐานจากบัญชีหลักไม่ถูกต้อง: {e.message_th}")
        return
    except (KeyError, IndexError, TypeError, ValueError):
        verdict.fail("invalid", "the credential's ledger proof is missing or malformed",
                     "ข้อมูลรับรองไม่มีหลักฐานจากบัญชีหลัก หรือหลักฐานผิดรูปแบบ")
        return
    verdict.checked.append(f"รายการที่รับรอง {len(evidence['events'])} รายการอยู่ในบัญชีหลัก "
                           f"ภายใต้จุดตรวจสอบขนาด {body.size:,} ที่ลงนามแล้ว")


def _check_checkpoint_signature(note: str, vkey: str, ledger: Ledger | None) -> None:
    if ledger is not None:
        verifiers = {k.name: k.public_key for k in ledger_checkpoint_keys(ledger)}
    else:
        name, key = parse_verifier_key(vkey)
        verifiers = {name: key}
    open_note(note, verifiers)


def _registered(ledger: Ledger, role: str) -> list[SigningKey.Registered]:
    """Every registration of a key of ``role`` in the ledger's registry (a checkpoint or a
    document may predate a rotation, so retired keys count)."""
    found = []
    for notification in ledger.recorder.select_notifications(
            1, 10_000, topics=(get_topic(SigningKey.Registered),)):
        event = ledger.mapper.to_domain_event(notification)
        if isinstance(event, SigningKey.Registered) and event.role == role:
            found.append(event)
    return found


def ledger_checkpoint_keys(ledger: Ledger) -> list[SigningKey]:
    return [ledger.key(event.key_id) for event in _registered(ledger, "checkpoint")]


def _check_expiry(verdict: Verdict, valid_until: str, now: datetime | None) -> None:
    try:
        until = datetime.fromisoformat(valid_until.replace("Z", "+00:00"))
    except ValueError:
        verdict.fail("invalid", "the document states no valid expiry",
                     "เอกสารไม่ระบุวันหมดอายุที่ถูกต้อง")
        return
    if (now or datetime.now(UTC)) > until:
        verdict.fail("expired", f"the document expired at {valid_until}",
                     f"เอกสารหมดอายุแล้วเมื่อ {valid_until}")
    else:
        verdict.checked.append("ยังไม่หมดอายุ")


def _check_in_ledger(verdict: Verdict, ledger: Ledger, digest: str, *,
                     kid: bytes | None = None) -> None:
    """The ledger recorded this credential's issuance, and has not revoked it since; a QR
    token (``kid``) must also be signed by a certificate key of the document's area (a
    credential is bound to its key by the hash the ledger holds)."""
    verdict.online = True
    try:
        state = index_of(ledger).get(UUID(verdict.document_id))
    except ValueError:
        state = None
    if state is None:
        verdict.fail("invalid", "the ledger has no record of issuing this document",
                     "บัญชีหลักไม่มีบันทึกการออกเอกสารนี้")
        return
    if state.credential_sha256 != digest:
        verdict.fail("invalid", "this is not the credential the ledger recorded issuing",
                     "ข้อมูลรับรองนี้ไม่ตรงกับที่บันทึกการออกไว้ในบัญชีหลัก")
        return
    if kid is not None and kid not in _certificate_keys(ledger, state.area):
        verdict.fail("invalid", f"the QR code is not signed by a certificate key of "
                     f"{state.area}", f"คิวอาร์โค้ดไม่ได้ลงนามด้วยกุญแจรับรองเอกสารของ{state.area}")
        return
    verdict.checked.append("ตรงกับบันทึกการออกเอกสารในบัญชีหลัก")
    _check_status(verdict, ledger, state)


def _certificate_keys(ledger: Ledger, area: str) -> set[bytes]:
    """The raw public keys of every certificate key registered for ``area``."""
    return {base64.b64decode(event.public_key)
            for event in _registered(ledger, "certificate") if event.area == area}


def _check_status(verdict: Verdict, ledger: Ledger, state: DocumentState) -> None:
    if state.revoked:
        status = "superseded" if state.superseded_by else "revoked"
        verdict.fail(status, f"revoked: {state.revoked_reason}",
                     f"ถูกเพิกถอนแล้ว: {state.revoked_reason}")
        return
    correction = _correction_of(ledger, state)
    if correction:
        verdict.fail("superseded", f"an entry it states was corrected by order {correction}",
                     f"รายการที่เอกสารรับรองถูกแก้ไขแล้วโดยคำสั่ง {correction}")
        return
    verdict.checked.append("ยังไม่ถูกเพิกถอน และข้อมูลที่รับรองยังไม่ถูกแก้ไข")


def _correction_of(ledger: Ledger, state: DocumentState) -> str:
    """The order that corrected or revoked an entry the document states after it was made,
    if any (also where the correction is another area's, which cannot revoke this area's
    documents)."""
    for found in ledger.histories([state.record_id]).get(state.record_id, []):
        if not isinstance(found, PersonnelRecord.Event):
            continue
        event, target = found, None
        if isinstance(event, PersonnelRecord.EntryCorrected):
            target = event.corrects
        elif isinstance(event, PersonnelRecord.EntryRevoked):
            target = event.revokes
        # A correction the document already took into account is one of its stated entries.
        if target in state.stated and event.originator_version not in state.stated:
            order = event.order
            return f"{order.authority} ที่ {order.order_number}"
    return ""


# ----------------------------------------------------------------------- token

def verify_token_text(text: str, *, ledger: Ledger | None = None,
                      now: datetime | None = None) -> Verdict:
    """The QR's text: the token itself, or the verification link with it in the fragment."""
    token = unquote(text.strip().split("#", 1)[1]) if "#" in text else text.strip()
    verdict = Verdict()
    if not token.startswith(TOKEN_PREFIX):
        verdict.fail("invalid", "this is not a tabien QR code", "ไม่ใช่คิวอาร์โค้ดของระบบทะเบียนประวัติ")
        return verdict
    try:
        contents = _self_signed(token)
    except TabienError as e:
        verdict.fail("invalid", f"the QR code does not verify: {e.message}",
                     f"คิวอาร์โค้ดไม่ผ่านการตรวจสอบ: {e.message_th}")
        return verdict
    claims = contents.claims
    verdict.checked.append("ลายมือชื่อในคิวอาร์โค้ดถูกต้อง")
    verdict.document_id = str(claims.get("id", ""))
    verdict.kind = str(claims.get("k", ""))
    verdict.issuer = str(contents.issuer)
    verdict.subject = {"name": claims.get("n", ""), "area": claims.get("a", ""),
                       "asOf": claims.get("d", ""), "position": claims.get("p", ""),
                       **({"salary": claims["s"]} if "s" in claims else {})}
    expires = contents.expires_at
    verdict.valid_until = expires.isoformat() if expires else ""
    if expires is None or (now or datetime.now(UTC)) > expires:
        verdict.fail("expired", "the QR code has expired", "คิวอาร์โค้ดหมดอายุแล้ว")
    if ledger is not None:
        _check_in_ledger(verdict, ledger, str(claims.get("h", "")), kid=contents.kid)
    return verdict


def _self_signed(token: str) -> TokenContents:
    """The token, its signature checked under the key it names (which key that may be is
    the caller's to judge: the ledger's certificate keys, or the credential's issuer)."""
    return verify_token(token, public_key_from_kid(decode_token(token).kid))


def public_key_from_kid(kid: bytes) -> Ed25519PublicKey:
    """The token names its signing key by the key's raw bytes (as its did:key does)."""
    try:
        return Ed25519PublicKey.from_public_bytes(kid)
    except ValueError:
        raise InvalidInput("the QR code names no valid key", "คิวอาร์โค้ดไม่ระบุกุญแจที่ถูกต้อง") \
            from None


# ------------------------------------------------------------------------- PDF

def _verify_pdf(data: bytes, ledger: Ledger | None, now: datetime | None) -> Verdict:
    """The credential attached inside the PDF, and the QR token attached beside it, which
    must name that very credential."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        attachments = {name: contents[0] for name, contents in
                       PdfReader(io.BytesIO(data)).attachments.items() if contents}
    except (PdfReadError, ValueError, KeyError, TypeError):
        return _unreadable("the PDF cannot be read", "อ่านไฟล์ PDF ไม่ได้")
    credential_data = next((v for k, v in attachments.items() if k.endswith(".vc.json")), None)
    if credential_data is None:
        return _unreadable("the PDF carries no credential: it was not issued by tabien, or "
                           "was remade", "ไฟล์ PDF ไม่มีข้อมูลรับรองแนบอยู่")
    try:
        credential = orjson.loads(credential_data)
    except orjson.JSONDecodeError:
        return _unreadable("the PDF's credential is not valid JSON",
                           "ข้อมูลรับรองที่แนบใน PDF ไม่ใช่ JSON ที่ถูกต้อง")
    verdict = verify_credential(credential, ledger=ledger, now=now)
    token = next((v for k, v in attachments.items() if k.endswith(".token.txt")), None)
    if token is not None:
        _check_token_names(verdict, token.decode("utf-8", "replace"), credential)
    return verdict


def _check_token_names(verdict: Verdict, token: str, credential: dict[str, Any]) -> None:
    try:
        contents = _self_signed(token)
    except TabienError as e:
        verdict.fail("invalid", f"the PDF's QR token does not verify: {e.message}",
                     f"โทเคนคิวอาร์โค้ดใน PDF ไม่ผ่านการตรวจสอบ: {e.message_th}")
        return
    if contents.claims.get("h") != credential_digest(credential):
        verdict.fail("invalid", "the PDF's QR token names another credential",
                     "โทเคนคิวอาร์โค้ดใน PDF ไม่ตรงกับข้อมูลรับรองที่แนบ")
    else:
        verdict.checked.append("คิวอาร์โค้ดตรงกับข้อมูลรับรองที่แนบ")
