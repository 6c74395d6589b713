"""What the ledger holds of issued documents, read from their events by topic and followed
as the log grows: which status-list slots are taken, which are revoked, and which documents
state a record's entries (so that a correction revokes them).

The index reads only the two document topics, from where it last stopped; the first read of a
process scans the log once for them. One index serves every caller of a ledger object.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from eventsourcing.utils import get_topic

from ledger.application import Ledger
from ledger.documents import IssuedDocument

__all__ = ["DocumentIndex", "DocumentState", "index_of"]

_TOPICS = (get_topic(IssuedDocument.Issued), get_topic(IssuedDocument.Revoked))
_PAGE = 5_000


@dataclass
class DocumentState:
    """One document as the ledger says it now."""

    document_id: UUID
    area: str
    kind: str
    record_id: UUID
    status_list: int
    status_index: int
    issued_at: datetime
    as_of: date
    valid_until: date
    stated: frozenset[int]
    credential_sha256: str
    purpose: str
    requested_by: str
    position: int  # where its issuance is in the log
    revoked_reason: str = ""
    revoked_at: datetime | None = None
    superseded_by: str = ""

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


class DocumentIndex:
    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.after = 0
        self.documents: dict[UUID, DocumentState] = {}
        self._by_record: dict[UUID, list[UUID]] = {}
        self._lock = threading.Lock()

    def refresh(self) -> DocumentIndex:
        """Read the document events appended since the last refresh."""
        with self._lock:
            while True:
                page = self.ledger.recorder.select_notifications(
                    self.after + 1, _PAGE, topics=_TOPICS)
                for notification in page:
                    self._take(self.ledger.mapper.to_domain_event(notification),
                               notification.id)
                    self.after = notification.id
                if len(page) < _PAGE:
                    return self

    def _take(self, event: object, position: int) -> None:
        if isinstance(event, IssuedDocument.Issued):
            document_id = event.originator_id
            self.documents[document_id] = DocumentState(
                document_id, event.area, event.kind, event.record_id, event.status_list,
                event.status_index, event.issued_at, event.as_of, event.valid_until,
                frozenset(event.stated), event.credential_sha256, event.purpose,
                event.requested_by, position)
            self._by_record.setdefault(event.record_id, []).append(document_id)
        elif isinstance(event, IssuedDocument.Revoked):
            found = self.documents.get(event.originator_id)
            if found is not None:
                found.revoked_reason = event.reason
                found.revoked_at = event.revoked_at
                found.superseded_by = event.superseded_by

    def get(self, document_id: UUID) -> DocumentState | None:
        return self.refresh().documents.get(document_id)

    def of_record(self, record_id: UUID) -> list[DocumentState]:
        self.refresh()
        return [self.documents[d] for d in self._by_record.get(record_id, [])]

    def taken(self, area: str, status_list: int) -> set[int]:
        self.refresh()
        return {d.status_index for d in self.documents.values()
                if d.area == area and d.status_list == status_list}

    def revoked_indexes(self, area: str, status_list: int) -> list[int]:
        self.refresh()
        return sorted(d.status_index for d in self.documents.values()
                      if d.area == area and d.status_list == status_list and d.revoked)


_INDEXES: weakref.WeakKeyDictionary[Ledger, DocumentIndex] = weakref.WeakKeyDictionary()
_INDEXES_LOCK = threading.Lock()


def index_of(ledger: Ledger) -> DocumentIndex:
    """The one index of a ledger object."""
    with _INDEXES_LOCK:
        index = _INDEXES.get(ledger)
        if index is None:
            index = _INDEXES[ledger] = DocumentIndex(ledger)
        return index
