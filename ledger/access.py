"""The access log (PDPA): every read of a personal record, appended to the ledger itself.

Each record has an access aggregate beside it (its id derived from the record's); every read
appends who read it, through which channel, for what purpose and when. A record's accesses
may be written in up to ``ACCESS_STREAMS`` streams, one aggregate each: stream 0 for the
command line and a lone server, and one of its own for each process of a server with several
workers, so that two processes logging reads of one record at once never conflict.

Being events of the ledger, accesses are hashed, chained, signed and in the Merkle log like
everything else, so ``tabien verify`` checks the access log with the same machinery and a
deleted or altered access is as visible as a deleted order. An export that reads a whole
area (a payroll feed) is one access entry of the area, naming how many records it read.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime
from typing import cast

from eventsourcing.domain import Aggregate, Snapshot

from ledger.errors import InvalidInput

__all__ = ["ACCESS_STREAMS", "AreaAccess", "RecordAccess", "access_id_for", "access_ids_for",
           "area_access_id_for", "check_access"]

_NAMESPACE = uuid.UUID("c3a8f1d2-7e45-4b9a-8d10-5f2e6a7b9c31")
ACCESS_STREAMS = 16


def access_id_for(record_id: uuid.UUID, stream: int = 0) -> uuid.UUID:
    """The id of a record's access aggregate in one stream (0: the first, and only one
    before streams were added, so its id is unchanged)."""
    if not 0 <= stream < ACCESS_STREAMS:
        raise ValueError(f"access stream {stream} is not in 0..{ACCESS_STREAMS - 1}")
    suffix = f"/{stream}" if stream else ""
    return uuid.uuid5(_NAMESPACE, f"record:{record_id}{suffix}")


def access_ids_for(record_id: uuid.UUID) -> list[uuid.UUID]:
    """Every stream's access aggregate id of a record."""
    return [access_id_for(record_id, stream) for stream in range(ACCESS_STREAMS)]


def area_access_id_for(area: str) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, f"area:{area}")


def check_access(reader: str, purpose: str) -> None:
    """Refuse an entry that names no reader or no purpose."""
    if not reader.strip() or not purpose.strip():
        raise InvalidInput("a read of personal data needs who reads it and for what purpose",
                           "การเข้าถึงข้อมูลส่วนบุคคลต้องระบุผู้เข้าถึงและวัตถุประสงค์")


class RecordAccess(Aggregate):
    """Who read one person's record."""

    class Opened(Aggregate.Created):
        record_id: uuid.UUID
        stream: int = 0

    class Read(Aggregate.Event):
        reader: str
        channel: str
        purpose: str
        read_at: datetime

    def __init__(self, record_id: uuid.UUID, stream: int = 0) -> None:
        self.record_id = record_id
        self.stream = stream

    @classmethod
    def for_record(cls, record_id: uuid.UUID, stream: int = 0) -> RecordAccess:
        return cls._create(cls.Opened, id=access_id_for(record_id, stream),
                           record_id=record_id, stream=stream)

    @classmethod
    def at_version(cls, record_id: uuid.UUID, stream: int, version: int) -> RecordAccess:
        """The stored access aggregate of a record's stream, whose newest event is
        ``version``, without reading its events.

        Its whole state is which record and stream it logs, and both are in its id; only its
        version grows with every read. So it is the library's snapshot of a fresh one, taken
        at that version — rather than a replay of every read ever logged, which grows
        without bound. (Its created and modified times are then those of this call: nothing
        reads them, and they are never stored.)"""
        fresh = Snapshot.take(cls.for_record(record_id, stream))
        return cast(RecordAccess, replace(fresh, originator_version=version).mutate(None))

    def read(self, reader: str, channel: str, purpose: str, read_at: datetime) -> None:
        check_access(reader, purpose)
        self.trigger_event(self.Read, reader=reader, channel=channel, purpose=purpose,
                           read_at=read_at)


class AreaAccess(Aggregate):
    """Bulk reads of an area's records (exports)."""

    class Opened(Aggregate.Created):
        area: str

    class Exported(Aggregate.Event):
        reader: str
        channel: str
        purpose: str
        read_at: datetime
        records: int
        detail: str

    def __init__(self, area: str) -> None:
        self.area = area

    @classmethod
    def for_area(cls, area: str) -> AreaAccess:
        return cls._create(cls.Opened, id=area_access_id_for(area), area=area)

    def exported(self, reader: str, channel: str, purpose: str, read_at: datetime,
                 records: int, detail: str) -> None:
        check_access(reader, purpose)
        self.trigger_event(self.Exported, reader=reader, channel=channel, purpose=purpose,
                           read_at=read_at, records=records, detail=detail)
