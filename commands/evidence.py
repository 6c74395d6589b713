"""Attach an evidence file to a record: store the file, then append the signed reference."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ledger.application import Ledger
from ledger.entries import check_text
from ledger.evidence import EvidenceRef, EvidenceStore
from ledger.identity import normalise_national_id, record_id_for
from ledger.keys import Signer
from ledger.record import PersonnelRecord
from ledger.vocabulary import OrderRef

__all__ = ["Attachment", "attach_evidence"]


@dataclass(frozen=True)
class Attachment:
    """What to attach, to which entry, under which order."""

    national_id: str
    data: bytes
    name: str
    attached_to: int
    description: str
    order: OrderRef
    effective_date: date
    media_type: str | None = None


def attach_evidence(ledger: Ledger, signer: Signer, identity_secret: bytes,
                    evidence: EvidenceStore, attachment: Attachment) -> tuple[EvidenceRef, int]:
    """Store the file and append one ``EvidenceAttached`` entry; return the reference and the
    entry's position in the log.

    The record's rules run before anything is written, so a refused attachment leaves neither
    a file nor an event. The file is stored before the event is appended: a crash in between
    leaves an unreferenced file (harmless in a content-addressed store), never a signed event
    whose file is missing.
    """
    check_text("description", attachment.description)
    ref = evidence.describe(attachment.data, attachment.name, attachment.media_type)
    record_id = record_id_for(normalise_national_id(attachment.national_id), identity_secret)
    record = ledger.record(record_id)
    record.record(PersonnelRecord.EvidenceAttached, effective_date=attachment.effective_date,
                  order=attachment.order, attached_to=attachment.attached_to, evidence=ref,
                  description=attachment.description)
    evidence.put(attachment.data, ref.name, ref.media_type)
    ids = ledger.submit(signer, record,
                        purpose=f"แนบเอกสารหลักฐาน / attach evidence {ref.sha256[:12]} "
                                f"({attachment.order.reference_th})")
    return ref, ids[0]
