"""The API's cache of current ก.ค.ศ.16 records, as the JSON it sends.

Building a record means reading its rows from the view, decoding each into a typed event and
folding them (``projections.reading``); the answer is the same until the record's rows change.
So the API keeps, per record, the JSON it last built and the highest view position among the
rows it was built from. An entry is used only while no newer row of its record is known:

- a write by a view of this process (the projection runner of ``tabien serve``, a rebuild) is
  heard at once through ``projections.store.listen_to_views``;
- a write by another process (a projection runner elsewhere, another server) is found by
  ``refresh``, which the server polls a few times a second (``RecordView.changed_since``).

Validity is checked when an entry is used, not when it is stored: a record built from rows
read just before a change is stored, then found older than the change, and built again.

The current record is the record as of today in Thailand: an entry is kept only for the day
it was built on, since the next day may bring a scheduled entry into effect.

Only the current record is kept: a read "as of" a date or "as known at" a time is built from
the view each time, as are the timeline and every read that is refused.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from eventsourcing.persistence import Mapper

from api.web.kept import Kept
from ledger.thaidate import today
from projections.kks16 import Kks16, build_record
from projections.reading import events_from_rows, record_id_in_view
from projections.store import RecordView, listen_to_views

__all__ = ["CachedRecord", "RecordCache"]

DEFAULT_CAPACITY = 20_000  # records; a ก.ค.ศ.16 of a long career is a few kB of JSON


@dataclass(frozen=True)
class CachedRecord:
    record_id: UUID
    area: str
    areas: frozenset[str]  # ``Kks16.areas_concerned``: whose staff may read it
    json: bytes
    position: int  # the highest view position of the rows it was built from
    built_on: date  # the record is as of this day: a new day may bring an entry into effect


class RecordCache:
    """Current records by national ID, valid until a newer row of the record is known."""

    def __init__(self, view: RecordView, mapper: Mapper[UUID],
                 encode: Callable[[Kks16], bytes], capacity: int = DEFAULT_CAPACITY) -> None:
        self._view = view
        self._mapper = mapper
        self._encode = encode
        self.kept: Kept[CachedRecord] = Kept(capacity)
        # Every entry is built after this, so only rows above it can be newer than one.
        self._polled = view.highest_position()  # the view position ``refresh`` has seen
        listen_to_views(self)

    def lookup(self, national_id: str) -> CachedRecord | None:
        """The cached record, if there is one, no newer row of it is known, and it was
        built today (no I/O)."""
        cached = self.kept.get(national_id)
        return cached if cached is not None and cached.built_on == today() else None

    def load(self, national_id: str) -> CachedRecord:
        """Build the record from the view's rows and keep its JSON (blocking: it reads the
        database)."""
        record_id = record_id_in_view(self._view, national_id)
        rows = self._view.entries(record_id)
        day = today()
        record = build_record(events_from_rows(rows, self._mapper), as_of=day)
        position = max((r.position for r in rows), default=0)
        cached = CachedRecord(record_id, record.area, record.areas_concerned,
                              self._encode(record), position, day)
        self.kept.put(national_id, cached, record_id, position)
        return cached

    def view_changed(self, changes: Mapping[UUID, int] | None) -> None:
        """Rows were written (``changes``: the newest position per record), or the view was
        emptied (None)."""
        if changes is None:
            self.kept.clear()
            return
        for record_id, position in changes.items():
            self.kept.changed(record_id, position)

    def refresh(self) -> None:
        """Learn of rows other processes wrote since the last call (indexed queries)."""
        highest, changes = self._view.changed_since(self._polled)
        if highest < self._polled:  # emptied elsewhere: being rebuilt
            self.view_changed(None)
        self.view_changed(changes)
        self._polled = highest
