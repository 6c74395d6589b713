"""The record view's tables, on SQLite and PostgreSQL, written with their tracking position in
one transaction (DESIGN decision 10).

The view keeps every career entry of every record as a row: which record and version, its
kind, the date it takes effect, when and at which position it was recorded, its fields as
JSON, and the ledger's stored hash of the event it was made from. The ก.ค.ศ.16 is then a
pure function of those rows (``projections.kks16``) in both time axes — as of an effective
date, as known at a recorded time — so reading a record never replays the ledger.
"""

from __future__ import annotations

import weakref
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.persistence import Tracking, TrackingRecorder
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteCursor, SQLiteDatastore, SQLiteTrackingRecorder
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Identifier, Literal

from ledger.evidence import files_referred_to

__all__ = ["EntryRow", "PersonRow", "PostgresRecordView", "RecordView", "SQLiteRecordView",
           "ViewListener", "listen_to_views"]


@dataclass(frozen=True)
class EntryRow:
    record_id: UUID
    version: int
    kind: str
    effective_date: str  # ISO
    recorded_at: str  # ISO datetime of the event
    position: int  # notification id
    fields: bytes  # canonical JSON
    # The ledger's stored (chained) hash of the event at ``position``: the row names the
    # event it was made from, and ``tabien verify`` holds it to the log. Empty in a row made
    # before rows carried one (a view of an older version, until it is rebuilt).
    event_hash: bytes


@dataclass(frozen=True)
class PersonRow:
    national_id: str
    record_id: UUID
    area: str


class ViewListener(Protocol):
    def view_changed(self, changes: Mapping[UUID, int] | None) -> None:
        """Records just written to a view of this process, each with the highest view
        position among its new rows; None when a view was emptied."""


# Whoever keeps something built from the view (the API's record cache) hears of every write
# a view of this process commits, at once; writes by other processes are found by polling
# ``RecordView.changed_since``. Weak references: a closed server's cache is not kept alive.
_listeners: weakref.WeakSet[ViewListener] = weakref.WeakSet()


def listen_to_views(listener: ViewListener) -> None:
    _listeners.add(listener)


def _announce(entries: Sequence[EntryRow] | None) -> None:
    if not _listeners:
        return
    changes: dict[UUID, int] | None = None
    if entries is not None:
        changes = {}
        for e in entries:
            changes[e.record_id] = max(e.position, changes.get(e.record_id, 0))
    for listener in list(_listeners):
        listener.view_changed(changes)


class RecordView(TrackingRecorder, ABC):
    """What the projection writes and the readers ask, whatever the backend."""

    def changed_since(self, position: int) -> tuple[int, dict[UUID, int]]:
        """The view's highest position now, and each record with rows above ``position``
        (with the highest of them). A highest position below ``position`` means the view
        was emptied and is being filled again.

        Safe to poll because the one projection writes rows in position order: once a
        position is visible, every lower one is too."""
        highest = self.highest_position()
        if highest <= position:
            return highest, {}
        return highest, self.records_changed_between(position, highest)

    @abstractmethod
    def highest_position(self) -> int:
        """The highest ledger position among the view's rows (0 if it has none)."""

    @abstractmethod
    def records_changed_between(self, after: int, upto: int) -> dict[UUID, int]:
        """Each record with rows in positions (after, upto], with the highest of them."""

    @abstractmethod
    def apply(self, entries: Sequence[EntryRow], people: Sequence[PersonRow],
              tracking: Tracking) -> None:
        """Write rows and the tracking position in one transaction."""

    @abstractmethod
    def entries(self, record_id: UUID) -> list[EntryRow]: ...

    @abstractmethod
    def entries_between(self, after: int | None, upto: int | None) -> list[EntryRow]:
        """Every row with a position in (after, upto], in position order; ``after`` None also
        takes rows whose position is missing or not above zero, ``upto`` None has no upper
        bound (``audit.views`` reads the whole table this way, a page at a time)."""

    @abstractmethod
    def record_id(self, national_id: str) -> UUID | None: ...

    @abstractmethod
    def people_of_area(self, area: str) -> list[PersonRow]: ...

    @abstractmethod
    def placements(self) -> tuple[list[PersonRow], list[tuple[str, UUID]]]:
        """Every person row, and every (area, record) the view says was ever placed, read in
        one statement (``audit.views`` checks them against a replay)."""

    @abstractmethod
    def records_ever_in(self, area: str) -> list[UUID]:
        """Every record that was ever placed in the area (the position registry needs the
        people who have since moved away)."""

    @abstractmethod
    def entries_of_area(self, area: str) -> dict[UUID, list[EntryRow]]:
        """Every entry of every person ever placed in the area, in one read: a person whose
        move away is ordered but not yet in effect is still the area's (payroll reads the
        area as of a month, not as of the latest order)."""

    @abstractmethod
    def records_referring_to(self, sha256: str) -> list[UUID]:
        """Every record with an entry that refers to this evidence file (its readers are
        logged against those records)."""

    @abstractmethod
    def clear(self) -> None: ...

    @abstractmethod
    def counts(self) -> tuple[int, int]: ...

    @abstractmethod
    def save_feed(self, area: str, month: str, exported_at: str, payload: bytes) -> None:
        """Keep what a payroll feed said, so the next one knows what was already paid."""

    @abstractmethod
    def last_feed_before(self, area: str, month: str) -> tuple[str, str, bytes] | None:
        """(month, exported_at, payload) of the latest feed of an earlier month."""


_ENTRY_COLUMNS = ("record_id, version, kind, effective_date, recorded_at, position, fields, "
                  "event_hash")


def _entry(r: Sequence[Any], record_id: UUID) -> EntryRow:
    """A row as read back (a row added before the hash column has none: NULL)."""
    return EntryRow(record_id, r[1], r[2], r[3], r[4], r[5], bytes(r[6]),
                    bytes(r[7]) if r[7] is not None else b"")


def _qualified(alias: str) -> str:
    return ", ".join(f"{alias}.{c.strip()}" for c in _ENTRY_COLUMNS.split(","))


def _evidence_rows(entries: Sequence[EntryRow]) -> list[tuple[str, UUID]]:
    return [(sha256, e.record_id) for e in entries for sha256 in files_referred_to(e.fields)]


def _position_range(after: int | None, upto: int | None,
                    mark: str) -> tuple[str, tuple[int, ...]]:
    """A WHERE clause for positions in (after, upto] (see ``RecordView.entries_between``)."""
    parts, params = [], []
    if after is not None:
        parts.append(f"position > {mark}")
        params.append(after)
    if upto is not None:
        parts.append(f"position <= {mark}" if after is not None
                     else f"(position <= {mark} OR position IS NULL)")
        params.append(upto)
    return (" AND ".join(parts) or "TRUE"), tuple(params)


def _grouped(rows: list[EntryRow]) -> dict[UUID, list[EntryRow]]:
    grouped: dict[UUID, list[EntryRow]] = {}
    for row in rows:
        grouped.setdefault(row.record_id, []).append(row)
    return grouped


class SQLiteRecordView(SQLiteTrackingRecorder, RecordView):
    """The view on SQLite; its tracking table is its own (``kks16_tracking``)."""

    def __init__(self, datastore: SQLiteDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self.create_table_statements = [
            s.replace("EXISTS tracking", "EXISTS kks16_tracking")
            for s in self.create_table_statements
        ] + [
            "CREATE TABLE IF NOT EXISTS kks16_entries (record_id TEXT, version INTEGER, "
            "kind TEXT, effective_date TEXT, recorded_at TEXT, position INTEGER, fields BLOB, "
            "event_hash BLOB, PRIMARY KEY (record_id, version))",
            "CREATE TABLE IF NOT EXISTS kks16_people (national_id TEXT PRIMARY KEY, "
            "record_id TEXT, area TEXT)",
            "CREATE INDEX IF NOT EXISTS kks16_people_area ON kks16_people (area)",
            "CREATE TABLE IF NOT EXISTS kks16_areas (area TEXT, record_id TEXT, "
            "PRIMARY KEY (area, record_id))",
            "CREATE TABLE IF NOT EXISTS payroll_feeds (area TEXT, month TEXT, exported_at TEXT, "
            "payload BLOB, PRIMARY KEY (area, month, exported_at))",
            "CREATE TABLE IF NOT EXISTS kks16_evidence (sha256 TEXT, record_id TEXT, "
            "PRIMARY KEY (sha256, record_id))",
            "CREATE INDEX IF NOT EXISTS kks16_entries_position ON kks16_entries (position)",
        ]
        # The library's tracking table is shared by every view of a database, keyed by the
        # application's name; each view here tracks in a table of its own.
        for name in ("insert_tracking_statement", "select_max_tracking_id_statement"):
            setattr(self, name, getattr(self, name).replace("tracking", "kks16_tracking")
                    .replace("kks16_kks16_tracking", "kks16_tracking"))

    def create_table(self) -> None:
        super().create_table()
        # A view made before rows carried their event's hash gains the column (SQLite has no
        # ADD COLUMN IF NOT EXISTS); its old rows have none until ``tabien rebuild kks16``,
        # and ``tabien verify`` says so of each of them.
        with self.datastore.transaction(commit=True) as c:
            c.execute("PRAGMA table_info(kks16_entries)")
            if "event_hash" not in {str(r[1]) for r in c.fetchall()}:
                c.execute("ALTER TABLE kks16_entries ADD COLUMN event_hash BLOB")

    def apply(self, entries: Sequence[EntryRow], people: Sequence[PersonRow],
              tracking: Tracking) -> None:
        with self.datastore.transaction(commit=True) as c:
            self._write(c, entries, people)
            self._insert_tracking(c, tracking)
        _announce(entries)

    def highest_position(self) -> int:
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT COALESCE(MAX(position), 0) FROM kks16_entries")
            return int(c.fetchone()[0])

    def records_changed_between(self, after: int, upto: int) -> dict[UUID, int]:
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT record_id, MAX(position) FROM kks16_entries WHERE position > ? "
                      "AND position <= ? GROUP BY record_id", (after, upto))
            return {UUID(r[0]): int(r[1]) for r in c.fetchall()}

    @staticmethod
    def _write(c: SQLiteCursor, entries: Sequence[EntryRow],
               people: Sequence[PersonRow]) -> None:
        c.executemany(
            f"INSERT INTO kks16_entries ({_ENTRY_COLUMNS}) VALUES (?,?,?,?,?,?,?,?)",
            [(e.record_id.hex, e.version, e.kind, e.effective_date, e.recorded_at,
              e.position, e.fields, e.event_hash) for e in entries])
        c.executemany(
            "INSERT INTO kks16_people VALUES (?,?,?) ON CONFLICT (national_id) "
            "DO UPDATE SET record_id = excluded.record_id, area = excluded.area",
            [(p.national_id, p.record_id.hex, p.area) for p in people])
        c.executemany("INSERT OR IGNORE INTO kks16_areas VALUES (?, ?)",
                      [(p.area, p.record_id.hex) for p in people])
        c.executemany("INSERT OR IGNORE INTO kks16_evidence VALUES (?, ?)",
                      [(sha256, record_id.hex) for sha256, record_id in _evidence_rows(entries)])

    def entries(self, record_id: UUID) -> list[EntryRow]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT {_ENTRY_COLUMNS} FROM kks16_entries WHERE record_id = ? "
                      "ORDER BY version", (record_id.hex,))
            return [_entry(r, UUID(r[0])) for r in c.fetchall()]

    def entries_between(self, after: int | None, upto: int | None) -> list[EntryRow]:
        where, params = _position_range(after, upto, "?")
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT {_ENTRY_COLUMNS} FROM kks16_entries WHERE {where} "
                      "ORDER BY position, record_id, version", params)
            return [_entry(r, UUID(r[0])) for r in c.fetchall()]

    def record_id(self, national_id: str) -> UUID | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT record_id FROM kks16_people WHERE national_id = ?",
                      (national_id,))
            row = c.fetchone()
            return UUID(row[0]) if row else None

    def placements(self) -> tuple[list[PersonRow], list[tuple[str, UUID]]]:
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT 0, national_id, record_id, area FROM kks16_people UNION ALL "
                      "SELECT 1, NULL, record_id, area FROM kks16_areas")
            rows = c.fetchall()
        return ([PersonRow(r[1], UUID(r[2]), r[3]) for r in rows if r[0] == 0],
                [(r[3], UUID(r[2])) for r in rows if r[0] == 1])

    def people_of_area(self, area: str) -> list[PersonRow]:
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT national_id, record_id, area FROM kks16_people WHERE area = ? "
                      "ORDER BY national_id", (area,))
            return [PersonRow(r[0], UUID(r[1]), r[2]) for r in c.fetchall()]

    def records_ever_in(self, area: str) -> list[UUID]:
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT record_id FROM kks16_areas WHERE area = ? ORDER BY record_id",
                      (area,))
            return [UUID(r[0]) for r in c.fetchall()]

    def entries_of_area(self, area: str) -> dict[UUID, list[EntryRow]]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT {_qualified('e')} FROM kks16_entries e JOIN kks16_areas a "
                      "ON a.record_id = e.record_id WHERE a.area = ? "
                      "ORDER BY e.record_id, e.version", (area,))
            return _grouped([_entry(r, UUID(r[0])) for r in c.fetchall()])

    def records_referring_to(self, sha256: str) -> list[UUID]:
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT record_id FROM kks16_evidence WHERE sha256 = ? ORDER BY record_id",
                      (sha256,))
            return [UUID(r[0]) for r in c.fetchall()]

    def clear(self) -> None:
        with self.datastore.transaction(commit=True) as c:
            for table in ("kks16_entries", "kks16_people", "kks16_areas", "kks16_evidence",
                          "kks16_tracking"):
                c.execute(f"DELETE FROM {table}")
            self._insert_tracking(c, Tracking(self.table_migration_identifier, 1))
        _announce(None)

    def save_feed(self, area: str, month: str, exported_at: str, payload: bytes) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute("INSERT INTO payroll_feeds VALUES (?,?,?,?)",
                      (area, month, exported_at, payload))

    def last_feed_before(self, area: str, month: str) -> tuple[str, str, bytes] | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT month, exported_at, payload FROM payroll_feeds WHERE area = ? "
                      "AND month < ? ORDER BY month DESC, exported_at DESC LIMIT 1",
                      (area, month))
            row = c.fetchone()
            return (row[0], row[1], bytes(row[2])) if row else None

    def counts(self) -> tuple[int, int]:
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT (SELECT COUNT(*) FROM kks16_entries), "
                      "(SELECT COUNT(*) FROM kks16_people)")
            row = c.fetchone()
            return int(row[0]), int(row[1])


class PostgresRecordView(PostgresTrackingRecorder, RecordView):
    """The view on PostgreSQL (its tracking table is named after the projection)."""

    def __init__(self, datastore: PostgresDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        schema = Identifier(self.datastore.schema)
        self.sql_create_statements.extend([
            SQL("CREATE TABLE IF NOT EXISTS {}.kks16_entries (record_id uuid, version bigint, "
                "kind text, effective_date text, recorded_at text, position bigint, "
                "fields bytea, event_hash bytea, PRIMARY KEY (record_id, version))"
                ).format(schema),
            # A view made before rows carried their event's hash gains the column; its old
            # rows have none until ``tabien rebuild kks16`` (``tabien verify`` names them).
            # Looked up first: ALTER TABLE takes the table's exclusive lock even when the
            # column is there, and every command that opens the view runs these statements.
            SQL("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM information_schema.columns "
                "WHERE table_schema = {} AND table_name = 'kks16_entries' "
                "AND column_name = 'event_hash') THEN "
                "ALTER TABLE {}.kks16_entries ADD COLUMN event_hash bytea; END IF; END $$"
                ).format(Literal(self.datastore.schema), schema),
            SQL("CREATE TABLE IF NOT EXISTS {}.kks16_people (national_id text PRIMARY KEY, "
                "record_id uuid, area text)").format(schema),
            SQL("CREATE INDEX IF NOT EXISTS kks16_people_area ON {}.kks16_people (area)"
                ).format(schema),
            SQL("CREATE TABLE IF NOT EXISTS {}.kks16_areas (area text, record_id uuid, "
                "PRIMARY KEY (area, record_id))").format(schema),
            SQL("CREATE TABLE IF NOT EXISTS {}.payroll_feeds (area text, month text, "
                "exported_at text, payload bytea, PRIMARY KEY (area, month, exported_at))"
                ).format(schema),
            SQL("CREATE TABLE IF NOT EXISTS {}.kks16_evidence (sha256 text, record_id uuid, "
                "PRIMARY KEY (sha256, record_id))").format(schema),
            SQL("CREATE INDEX IF NOT EXISTS kks16_entries_position ON {}.kks16_entries "
                "(position)").format(schema),
        ])
        self._schema = schema

    def apply(self, entries: Sequence[EntryRow], people: Sequence[PersonRow],
              tracking: Tracking) -> None:
        with self.datastore.transaction(commit=True) as curs:
            # The view is derived: rows lost with the last moments before a crash are made
            # again, as the tracking row committed with them is lost too and the runner
            # resumes from the one before. So its commits do not wait for the disk, and leave
            # the WAL's flushes to the writes that must (the ledger, the kept replies).
            curs.execute("SET LOCAL synchronous_commit TO OFF")
            if entries:
                with curs.copy(SQL("COPY {}.kks16_entries ({}) FROM STDIN").format(
                        self._schema, SQL(_ENTRY_COLUMNS))) as copy:
                    for e in entries:
                        copy.write_row((e.record_id, e.version, e.kind, e.effective_date,
                                        e.recorded_at, e.position, e.fields, e.event_hash))
            if people:
                curs.executemany(SQL(
                    "INSERT INTO {}.kks16_people VALUES (%s, %s, %s) ON CONFLICT (national_id) "
                    "DO UPDATE SET record_id = excluded.record_id, area = excluded.area"
                ).format(self._schema), [(p.national_id, p.record_id, p.area) for p in people])
                curs.executemany(SQL("INSERT INTO {}.kks16_areas VALUES (%s, %s) "
                                     "ON CONFLICT DO NOTHING").format(self._schema),
                                 [(p.area, p.record_id) for p in people])
            evidence = _evidence_rows(entries)
            if evidence:
                curs.executemany(SQL("INSERT INTO {}.kks16_evidence VALUES (%s, %s) "
                                     "ON CONFLICT DO NOTHING").format(self._schema), evidence)
            self._insert_tracking(curs, tracking)
        _announce(entries)

    def highest_position(self) -> int:
        return int(self._rows(SQL("SELECT COALESCE(MAX(position), 0) FROM {}.kks16_entries"),
                              ())[0][0])

    def records_changed_between(self, after: int, upto: int) -> dict[UUID, int]:
        rows = self._rows(SQL("SELECT record_id, MAX(position) FROM {}.kks16_entries "
                              "WHERE position > %s AND position <= %s GROUP BY record_id"),
                          (after, upto))
        return {r[0]: int(r[1]) for r in rows}

    def _rows(self, query: SQL, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        with self.datastore.get_connection() as conn, \
                conn.cursor(row_factory=tuple_row) as curs:
            return curs.execute(query.format(self._schema), params).fetchall()

    def entries(self, record_id: UUID) -> list[EntryRow]:
        rows = self._rows(SQL(f"SELECT {_ENTRY_COLUMNS} FROM {{}}.kks16_entries "
                              "WHERE record_id = %s ORDER BY version"), (record_id,))
        return [_entry(r, r[0]) for r in rows]

    def entries_between(self, after: int | None, upto: int | None) -> list[EntryRow]:
        where, params = _position_range(after, upto, "%s")
        rows = self._rows(SQL(f"SELECT {_ENTRY_COLUMNS} FROM {{}}.kks16_entries "
                              f"WHERE {where} ORDER BY position, record_id, version"), params)
        return [_entry(r, r[0]) for r in rows]

    def record_id(self, national_id: str) -> UUID | None:
        rows = self._rows(SQL("SELECT record_id FROM {}.kks16_people WHERE national_id = %s"),
                          (national_id,))
        return rows[0][0] if rows else None

    def placements(self) -> tuple[list[PersonRow], list[tuple[str, UUID]]]:
        rows = self._rows(SQL("SELECT 0, national_id, record_id, area FROM {0}.kks16_people "
                              "UNION ALL SELECT 1, NULL, record_id, area FROM {0}.kks16_areas"),
                          ())
        return ([PersonRow(r[1], r[2], r[3]) for r in rows if r[0] == 0],
                [(r[3], r[2]) for r in rows if r[0] == 1])

    def people_of_area(self, area: str) -> list[PersonRow]:
        rows = self._rows(SQL("SELECT national_id, record_id, area FROM {}.kks16_people "
                              "WHERE area = %s ORDER BY national_id"), (area,))
        return [PersonRow(r[0], r[1], r[2]) for r in rows]

    def records_ever_in(self, area: str) -> list[UUID]:
        rows = self._rows(SQL("SELECT record_id FROM {}.kks16_areas WHERE area = %s "
                              "ORDER BY record_id"), (area,))
        return [r[0] for r in rows]

    def entries_of_area(self, area: str) -> dict[UUID, list[EntryRow]]:
        rows = self._rows(SQL(f"SELECT {_qualified('e')} FROM {{0}}.kks16_entries e "
                              "JOIN {0}.kks16_areas a ON a.record_id = e.record_id "
                              "WHERE a.area = %s ORDER BY e.record_id, e.version"), (area,))
        return _grouped([_entry(r, r[0]) for r in rows])

    def records_referring_to(self, sha256: str) -> list[UUID]:
        rows = self._rows(SQL("SELECT record_id FROM {}.kks16_evidence WHERE sha256 = %s "
                              "ORDER BY record_id"), (sha256,))
        return [r[0] for r in rows]

    def clear(self) -> None:
        with self.datastore.transaction(commit=True) as curs:
            # TRUNCATE, not DELETE: a rebuild refills at once, and dead rows left by DELETE
            # would slow every insert of the refill.
            curs.execute(SQL("TRUNCATE {0}.kks16_entries, {0}.kks16_people, {0}.kks16_areas, "
                             "{0}.kks16_evidence").format(self._schema))
            curs.execute(SQL("DELETE FROM {}.{} WHERE application_name <> %s").format(
                self._schema, Identifier(self.tracking_table_name)),
                (self.table_migration_identifier,))
        _announce(None)

    def save_feed(self, area: str, month: str, exported_at: str, payload: bytes) -> None:
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(SQL("INSERT INTO {}.payroll_feeds VALUES (%s, %s, %s, %s)").format(
                self._schema), (area, month, exported_at, payload))

    def last_feed_before(self, area: str, month: str) -> tuple[str, str, bytes] | None:
        rows = self._rows(SQL("SELECT month, exported_at, payload FROM {}.payroll_feeds "
                              "WHERE area = %s AND month < %s "
                              "ORDER BY month DESC, exported_at DESC LIMIT 1"), (area, month))
        return (rows[0][0], rows[0][1], bytes(rows[0][2])) if rows else None

    def counts(self) -> tuple[int, int]:
        rows = self._rows(SQL("SELECT (SELECT COUNT(*) FROM {0}.kks16_entries), "
                              "(SELECT COUNT(*) FROM {0}.kks16_people)"), ())
        return int(rows[0][0]), int(rows[0][1])
