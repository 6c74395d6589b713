"""Writing and reading the access log (``ledger.access``) for the read paths."""

from __future__ import annotations

import getpass
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar, cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from ledger.access import (
    AreaAccess,
    RecordAccess,
    access_id_for,
    access_ids_for,
    area_access_id_for,
)
from ledger.application import Ledger
from ledger.errors import Conflict
from ledger.keys import Signer

__all__ = ["AccessEntry", "accesses_of", "current_reader", "log_area_export", "log_read"]

A = TypeVar("A", RecordAccess, AreaAccess)


@dataclass(frozen=True)
class AccessEntry:
    reader: str
    channel: str
    purpose: str
    read_at: datetime
    position_version: int  # the entry's place in its stream
    stream: int = 0  # which access stream (one per server process) holds it


def current_reader() -> str:
    """Who is reading, as this process knows it (``TABIEN_USER``, else the OS user)."""
    return os.environ.get("TABIEN_USER") or getpass.getuser()


def log_read(ledger: Ledger, signer: Signer, record_id: UUID, *, purpose: str,
             channel: str = "cli", reader: str | None = None) -> None:
    """Append one read of a record."""
    who = reader or current_reader()

    def load() -> RecordAccess:
        try:
            return cast(RecordAccess, ledger.repository.get(access_id_for(record_id)))
        except AggregateNotFoundError:
            return RecordAccess.for_record(record_id)

    _append(ledger, signer, load,
            lambda a: a.read(who, channel, purpose, datetime.now(UTC)), f"access: {purpose}")


def log_area_export(ledger: Ledger, signer: Signer, area: str, *, purpose: str, records: int,
                    detail: str, channel: str = "cli", reader: str | None = None) -> None:
    """Append one export of an area's records."""
    who = reader or current_reader()

    def load() -> AreaAccess:
        try:
            return cast(AreaAccess, ledger.repository.get(area_access_id_for(area)))
        except AggregateNotFoundError:
            return AreaAccess.for_area(area)

    _append(ledger, signer, load,
            lambda a: a.exported(who, channel, purpose, datetime.now(UTC), records, detail),
            f"export: {detail}")


def _append(ledger: Ledger, signer: Signer, load: Callable[[], A],
            record: Callable[[A], None], purpose: str) -> None:
    """Two readers of one record at once both land: the loser reloads and appends again."""
    for attempt in range(3):
        access = load()
        record(access)
        try:
            ledger.submit(signer, access, purpose=purpose)
            return
        except Conflict:
            if attempt == 2:
                raise


def accesses_of(ledger: Ledger, record_id: UUID) -> list[AccessEntry]:
    """Every read of a record, from all its access streams, in the order they were read."""
    entries = [AccessEntry(e.reader, e.channel, e.purpose, e.read_at, e.originator_version,
                           stream)
               for stream, access_id in enumerate(access_ids_for(record_id))
               for e in ledger.events.get(access_id)
               if isinstance(e, RecordAccess.Read)]
    return sorted(entries, key=lambda e: (e.read_at, e.stream, e.position_version))
