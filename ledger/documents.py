"""Certified copies and certificates issued from the ledger (e-services, issue 17).

Each document issued is an aggregate of its own, in the ledger like every career event, so its
issuance (what, for whom, for what purpose, until when) and its revocation are hashed, chained,
signed and in the Merkle log. Its id names its place in its area's revocation list (a W3C
Bitstring Status List): the list's index is drawn at random (the standard asks for it, so that
a list tells nothing of who holds which index), and two documents drawing the same index
conflict as any two writers of one aggregate do, so an index is never given twice.

Who signs: the area's certificate key issues (``Issued``: the key the credential names, and
nothing else); the area's registrar revokes with a reason, and the authority's correction order
revokes, in its own submission, every document that states an entry it corrects.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from eventsourcing.domain import Aggregate

from ledger.entries import check_text
from ledger.errors import Conflict, InvalidInput

__all__ = ["DOCUMENT_KINDS", "STATUS_LIST_LENGTH", "IssuedDocument", "document_id_for"]

_NAMESPACE = uuid.UUID("0f6f3c52-1b7d-4e0a-9a44-3d1c8e2b7f90")
STATUS_LIST_LENGTH = 131_072
"""Entries in one status list: the Bitstring Status List standard's minimum, for privacy."""

DOCUMENT_KINDS = {
    "copy": "สำเนาทะเบียนประวัติ (ก.ค.ศ.16) รับรองสำเนาถูกต้อง",
    "employment": "หนังสือรับรองการเป็นข้าราชการ",
    "salary": "หนังสือรับรองเงินเดือน",
}
_LONGEST_TEXT = 300


def document_id_for(area: str, status_list: int, status_index: int) -> uuid.UUID:
    """A document's id: its slot in its area's status list (one document per slot)."""
    if not 0 <= status_index < STATUS_LIST_LENGTH or status_list < 1:
        raise ValueError(f"no slot {status_list}/{status_index} in a status list")
    return uuid.uuid5(_NAMESPACE, f"{area}/{status_list}/{status_index}")


class IssuedDocument(Aggregate):
    """One certified copy or certificate: issued once, revoked at most once."""

    class Issued(Aggregate.Created):
        area: str
        kind: str
        record_id: uuid.UUID
        purpose: str
        requested_by: str
        channel: str
        issued_at: datetime
        as_of: date
        valid_until: date
        status_list: int
        status_index: int
        credential_sha256: str  # of the signed credential's RFC 8785 bytes
        stated: list[int]  # the record's event versions whose facts it states
        checkpoint_size: int  # the signed checkpoint its inclusion proofs are under

    class Revoked(Aggregate.Event):
        reason: str
        revoked_by: str
        revoked_at: datetime
        superseded_by: str  # the correcting order ("authority/number"), "" if by hand

    def __init__(self, area: str, kind: str, record_id: uuid.UUID, purpose: str,
                 requested_by: str, channel: str, issued_at: datetime, as_of: date,
                 valid_until: date, status_list: int, status_index: int,
                 credential_sha256: str, stated: list[int], checkpoint_size: int) -> None:
        self.area = area
        self.kind = kind
        self.record_id = record_id
        self.purpose = purpose
        self.requested_by = requested_by
        self.channel = channel
        self.issued_at = issued_at
        self.as_of = as_of
        self.valid_until = valid_until
        self.status_list = status_list
        self.status_index = status_index
        self.credential_sha256 = credential_sha256
        self.stated = list(stated)
        self.checkpoint_size = checkpoint_size
        self.revoked: IssuedDocument.Revoked | None = None

    @classmethod
    def issue(cls, *, area: str, kind: str, record_id: uuid.UUID, purpose: str,
              requested_by: str, channel: str, issued_at: datetime, as_of: date,
              valid_until: date, status_list: int, status_index: int,
              credential_sha256: str, stated: list[int],
              checkpoint_size: int) -> IssuedDocument:
        check_kind(kind)
        check_purpose(purpose)
        if valid_until < as_of or valid_until < issued_at.date():
            raise InvalidInput("a document's expiry must not be before its date",
                               "วันหมดอายุของเอกสารต้องไม่ก่อนวันที่ออก")
        return cls._create(
            cls.Issued, id=document_id_for(area, status_list, status_index), area=area,
            kind=kind, record_id=record_id, purpose=purpose, requested_by=requested_by,
            channel=channel, issued_at=issued_at, as_of=as_of, valid_until=valid_until,
            status_list=status_list, status_index=status_index,
            credential_sha256=credential_sha256, stated=list(stated),
            checkpoint_size=checkpoint_size)

    def revoke(self, *, reason: str, revoked_by: str, revoked_at: datetime,
               superseded_by: str = "") -> None:
        if self.revoked is not None:
            raise Conflict(f"document {self.id} was already revoked: {self.revoked.reason}",
                           f"เอกสาร {self.id} ถูกเพิกถอนไปแล้ว: {self.revoked.reason}")
        reason = check_text("reason", reason.strip())
        if not reason or len(reason) > _LONGEST_TEXT:
            raise InvalidInput(f"a revocation needs a reason of 1 to {_LONGEST_TEXT} characters",
                               f"การเพิกถอนต้องระบุเหตุผล 1 ถึง {_LONGEST_TEXT} ตัวอักษร")
        self.trigger_event(self.Revoked, reason=reason, revoked_by=revoked_by,
                           revoked_at=revoked_at, superseded_by=superseded_by)



def _apply_revoked(self: IssuedDocument.Revoked, document: IssuedDocument) -> None:
    document.revoked = self


IssuedDocument.Revoked.apply = _apply_revoked  # type: ignore[method-assign,assignment]


def check_kind(kind: str) -> None:
    if kind not in DOCUMENT_KINDS:
        raise InvalidInput(f"unknown document kind {kind!r}; known: {', '.join(DOCUMENT_KINDS)}",
                           f"ไม่รู้จักประเภทเอกสาร {kind!r} (มี: {', '.join(DOCUMENT_KINDS)})")


def check_purpose(purpose: str) -> None:
    """A purpose is said in words, of a sensible length, with no direction overrides."""
    text = check_text("purpose", purpose.strip())
    if not text or len(text) > _LONGEST_TEXT:
        raise InvalidInput(f"give the purpose of the document in 1 to {_LONGEST_TEXT} characters",
                           f"ต้องระบุวัตถุประสงค์ของเอกสาร 1 ถึง {_LONGEST_TEXT} ตัวอักษร")
