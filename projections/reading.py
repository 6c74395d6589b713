"""Reading a ก.ค.ศ.16 from the view: rows → events → ``build_record``; never a replay of the
ledger."""

from __future__ import annotations

from datetime import date, datetime
from typing import cast
from uuid import UUID

from eventsourcing.persistence import Mapper, StoredEvent
from eventsourcing.utils import get_topic

from ledger.errors import NotFound
from ledger.identity import normalise_national_id
from ledger.record import EVENT_KINDS, PersonnelRecord
from projections.kks16 import Kks16, build_record
from projections.store import EntryRow, RecordView

__all__ = ["events_from_rows", "no_such_record", "record_and_id", "record_from_view",
           "record_id_in_view"]

_TOPICS = {kind: get_topic(cls) for kind, cls in EVENT_KINDS.items()}


def events_from_rows(rows: list[EntryRow], mapper: Mapper[UUID]) -> list[PersonnelRecord.Event]:
    return [cast(PersonnelRecord.Event, mapper.to_domain_event(
        StoredEvent(r.record_id, r.version, _TOPICS[r.kind], r.fields))) for r in rows]


def record_from_view(view: RecordView, mapper: Mapper[UUID], national_id: str, *,
                     as_of: date | None = None, known_at: datetime | None = None) -> Kks16:
    return record_and_id(view, mapper, national_id, as_of=as_of, known_at=known_at)[0]


def record_and_id(view: RecordView, mapper: Mapper[UUID], national_id: str, *,
                  as_of: date | None = None, known_at: datetime | None = None,
                  ) -> tuple[Kks16, UUID]:
    """``record_from_view``, with the record's id (for the access log) from the same look-up."""
    record_id = record_id_in_view(view, normalise_national_id(national_id))
    record = build_record(events_from_rows(view.entries(record_id), mapper), as_of=as_of,
                          known_at=known_at)
    return record, record_id


def record_id_in_view(view: RecordView, national_id: str) -> UUID:
    """The record id of a (normalised) national ID, or NotFound."""
    record_id = view.record_id(national_id)
    if record_id is None:
        raise no_such_record()
    return record_id


def no_such_record() -> NotFound:
    """The answer for a national ID the record view does not hold; also the answer to a
    reader who may not know whether it holds it (a registrar of another area)."""
    return NotFound("no record for this national ID in the record view (is it up to date? "
                    "see `tabien project`)",
                    "ไม่พบทะเบียนประวัติของเลขประจำตัวประชาชนนี้ในมุมมองข้อมูล")
