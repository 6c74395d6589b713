"""The record projection: the library's ``Projection`` and ``ProjectionRunner`` keeping the
record view (``projections.store``) up to date, plus a batched rebuild from position zero.

Each event's row and the view's tracking position are written in one transaction, so a
runner killed at any moment resumes where its last transaction ended: nothing skipped,
nothing applied twice (the primary key on (record, version) would refuse a second apply).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast
from uuid import UUID

import orjson
from eventsourcing.persistence import (
    InfrastructureFactory,
    Mapper,
    Notification,
    StoredEvent,
    Tracking,
)
from eventsourcing.projection import Projection, ProjectionRunner
from eventsourcing.utils import Environment, get_topic, resolve_topic

from ledger.application import Ledger
from ledger.config import database_env, database_url
from ledger.persistence import LedgerRecorder
from ledger.record import EVENT_KINDS, PersonnelRecord
from projections.store import (
    EntryRow,
    PersonRow,
    PostgresRecordView,
    RecordView,
    SQLiteRecordView,
)

__all__ = [
    "RECORD_TOPICS",
    "EventHashes",
    "RecordProjection",
    "open_view",
    "page_rows",
    "rebuild",
    "record_runner",
    "view_env",
]

RECORD_TOPICS = tuple(get_topic(cls) for cls in EVENT_KINDS.values())
_AREA_KINDS = {"record_opened", "appointed", "transferred", "position_changed"}


def view_env(url: str | None = None) -> dict[str, str]:
    """The environment that puts the view beside the ledger, in the same database."""
    env = database_env(url or database_url())
    view_class = ("projections.store:PostgresRecordView" if "POSTGRES_DBNAME" in env
                  else "projections.store:SQLiteRecordView")
    env["TRACKING_RECORDER_TOPIC"] = view_class
    return env


EventHashes = Callable[[Sequence[int]], Mapping[int, bytes]]
"""The ledger's stored hash of the event at each position (``LedgerRecorder.event_hashes_at``)."""


def rows_for(notification_id: int, originator_id: UUID, version: int, topic: str,
             state: bytes, event: PersonnelRecord.Event,
             event_hash: bytes) -> tuple[EntryRow, PersonRow | None]:
    entry = EntryRow(originator_id, version, event.KIND, event.effective_date.isoformat(),
                     event.timestamp.isoformat(), notification_id, state, event_hash)
    person = None
    if event.KIND in _AREA_KINDS:
        national_id = getattr(event, "national_id", None)
        person = PersonRow(national_id or "", originator_id, getattr(event, "area", ""))
    return entry, person


class RecordProjection(Projection[RecordView]):
    name = "kks16"
    topics = RECORD_TOPICS

    def __init__(self, view: RecordView) -> None:
        super().__init__(view)
        self.mapper: Mapper[UUID] | None = None
        self._event_hashes: EventHashes | None = None

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        if not isinstance(domain_event, PersonnelRecord.Event):
            return
        mapper = self._mapper()
        stored = mapper.to_stored_event(domain_event)
        position = tracking.notification_id
        entry, person = rows_for(position, domain_event.originator_id,
                                 domain_event.originator_version, stored.topic, stored.state,
                                 domain_event, self._hashes()([position]).get(position, b""))
        self.view.apply([entry], _people_needing_national_id(self.view, [person]), tracking)

    def _mapper(self) -> Mapper[UUID]:
        if self.mapper is None:
            from ledger.transcoder import CanonicalTranscoder, LedgerMapper

            self.mapper = LedgerMapper(CanonicalTranscoder())
        return self.mapper

    def _hashes(self) -> EventHashes:
        if self._event_hashes is None:
            self._event_hashes = ledger_beside(self.view).event_hashes_at
        return self._event_hashes


def ledger_beside(view: RecordView) -> LedgerRecorder:
    """The ledger's recorder over the view's own connections: the view lives beside the ledger
    in one database (``view_env``), and the library's runner hands a projection only its
    view, so the hash of each event is read from the ledger's table through them."""
    from ledger.persistence.postgres import LedgerPostgresRecorder
    from ledger.persistence.sqlite import LedgerSQLiteRecorder

    if isinstance(view, PostgresRecordView):
        # The library names an application's table after it: "ledger_events".
        return cast(LedgerRecorder, LedgerPostgresRecorder(
            view.datastore, events_table_name=f"{Ledger.name.lower()}_events"))
    assert isinstance(view, SQLiteRecordView)
    return cast(LedgerRecorder, LedgerSQLiteRecorder(view.datastore))


def _people_needing_national_id(view: RecordView,
                                people: Sequence[PersonRow | None]) -> list[PersonRow]:
    """Area changes carry no national ID: find it from the person's row by record id."""
    found: list[PersonRow] = []
    for person in people:
        if person is None:
            continue
        if person.national_id:
            found.append(person)
            continue
        national_id = _national_id_of(view, person.record_id)
        if national_id:
            found.append(PersonRow(national_id, person.record_id, person.area))
    return found


def _national_id_of(view: RecordView, record_id: UUID) -> str | None:
    for row in view.entries(record_id):
        if row.kind == "record_opened":
            return str(orjson.loads(row.fields)["national_id"])
    return None


def open_view(url: str | None = None) -> RecordView:
    """The view of the ledger at ``url`` (default: ``TABIEN_DATABASE_URL``), for reading and
    rebuilding."""
    env = view_env(url)
    factory = InfrastructureFactory[RecordView].construct(
        Environment(RecordProjection.name, env))
    view = factory.tracking_recorder(resolve_topic(env["TRACKING_RECORDER_TOPIC"]))
    view._factory = factory  # type: ignore[attr-defined]  # keeps its connections open
    return view


def record_runner(url: str | None = None) -> ProjectionRunner[Ledger, RecordView]:
    """The library's runner, keeping the view up to date in a background thread."""
    env = view_env(url)
    view_class: type[RecordView] = resolve_topic(env["TRACKING_RECORDER_TOPIC"])
    return ProjectionRunner(application_class=Ledger, projection_class=RecordProjection,
                            view_class=view_class, env=env)


def rebuild(ledger: Ledger, view: RecordView, *, batch: int = 5_000,
            progress: Callable[[int], None] | None = None) -> int:
    """Empty the view and fill it again from position zero, a page per transaction.

    ``progress`` is told how far along the log each page moved (positions, not events: the
    log also holds keys and orders, and a position total needs no count of its own)."""
    view.clear()
    start: int | None = None
    done = 0
    while True:
        page = ledger.recorder.select_notifications(start, batch, topics=list(RECORD_TOPICS),
                                                    inclusive_of_start=False)
        if not page:
            return done
        _apply_page(ledger.mapper, view, page, ledger.store.event_hashes_at)
        done += len(page)
        if progress is not None:
            progress(page[-1].id - (start or 0))
        start = page[-1].id


def _apply_page(mapper: Mapper[UUID], view: RecordView, page: Sequence[Notification],
                event_hashes: EventHashes) -> None:
    entries, people = page_rows(mapper, page, lambda record_id: _national_id_of(view, record_id),
                                event_hashes)
    view.apply(entries, people, Tracking("Ledger", page[-1].id))


def page_rows(mapper: Mapper[UUID], page: Sequence[Notification],
              national_id_of: Callable[[UUID], str | None], event_hashes: EventHashes
              ) -> tuple[list[EntryRow], list[PersonRow]]:
    """The view's rows for a page of career events, in position order: the one row-building
    code of the rebuild and of ``audit.views``, which checks the view against it.
    ``national_id_of`` finds the national ID of a record opened on an earlier page;
    ``event_hashes`` reads the ledger's stored hash of each event (one read for the page)."""
    hashes = event_hashes([n.id for n in page])
    if mapper.cipher is not None or mapper.compressor is not None:
        return _page_rows_decoded(mapper, page, national_id_of, hashes)
    # The stored state is canonical JSON: the few fields a row needs are read from it directly,
    # without building a typed event per row (a rebuild reads millions of them).
    entries: list[EntryRow] = []
    areas: list[tuple[UUID, str]] = []  # every placement, in order: the last one is current
    national_ids: dict[UUID, str] = {}
    for n in page:
        record_id = cast(UUID, n.originator_id)
        state = orjson.loads(n.state)
        kind = _KIND_BY_TOPIC[n.topic]
        entries.append(EntryRow(record_id, n.originator_version, kind,
                                state["effective_date"], state["timestamp"], n.id, n.state,
                                hashes.get(n.id, b"")))
        if kind == "record_opened":
            national_ids[record_id] = state["national_id"]
        if kind in _AREA_KINDS:
            areas.append((record_id, state["area"]))
    people = []
    for record_id, area in areas:
        national_id = national_ids.get(record_id) or national_id_of(record_id)
        if national_id:
            national_ids[record_id] = national_id
            people.append(PersonRow(national_id, record_id, area))
    return entries, people


def _page_rows_decoded(mapper: Mapper[UUID], page: Sequence[Notification],
                       national_id_of: Callable[[UUID], str | None],
                       hashes: Mapping[int, bytes]) -> tuple[list[EntryRow], list[PersonRow]]:
    entries, people = [], []
    pending_people: list[PersonRow] = []
    national_ids: dict[UUID, str] = {}
    for n in page:
        event = cast(PersonnelRecord.Event, mapper.to_domain_event(
            StoredEvent(n.originator_id, n.originator_version, n.topic, n.state)))
        entry, person = rows_for(n.id, cast(UUID, n.originator_id), n.originator_version,
                                 n.topic, n.state, event, hashes.get(n.id, b""))
        entries.append(entry)
        if event.KIND == "record_opened":
            national_ids[entry.record_id] = event.national_id  # type: ignore[attr-defined]
        if person is not None:
            pending_people.append(person)
    for person in pending_people:
        national_id = person.national_id or national_ids.get(person.record_id) \
            or national_id_of(person.record_id)
        if national_id:
            people.append(PersonRow(national_id, person.record_id, person.area))
    return entries, people


_KIND_BY_TOPIC = {get_topic(cls): kind for kind, cls in EVENT_KINDS.items()}
