"""SQLite recorder: the library's application recorder plus integrity columns and tables.

The embedded default. Writers take SQLite's write lock up front (``BEGIN IMMEDIATE``) so that
reading the current maximum notification id and inserting after it is one atomic step, even
across processes sharing the file.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from threading import Thread
from typing import Any
from uuid import UUID

from eventsourcing.persistence import (
    ApplicationRecorder,
    IntegrityError,
    ListenNotifySubscription,
    OperationalError,
    StoredEvent,
    Subscription,
)
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor, SQLiteDatastore

from ledger.integrity import GENESIS_HASH, LogHead, Submission
from ledger.persistence import (
    END_OF_LOG,
    BulkWrite,
    CheckpointRow,
    KeyMovedOn,
    KeyVersion,
    LogMovedOn,
    LogRow,
    RawLogRow,
    SubmissionRow,
    head_of,
    insert_in_one_write,
    pages,
)
from ledger.persistence.subscription import pull_past_unwanted

__all__ = ["LedgerSQLiteRecorder"]



_HASH_CHUNK = 500


def _framed(originator: UUID | str) -> bytes:
    return originator.bytes if isinstance(originator, UUID) else originator.encode()


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _blob(value: object) -> bytes:
    if type(value) is bytes:
        return value
    if isinstance(value, str):
        return value.encode("utf-8", "surrogateescape")
    if isinstance(value, int):
        return value.to_bytes(8, "big", signed=True)
    return bytes(value) if isinstance(value, (bytes, bytearray, memoryview)) else b""


def _key(originator_id: UUID | str) -> str:
    return originator_id.hex if isinstance(originator_id, UUID) else originator_id


class LedgerSQLiteRecorder(SQLiteApplicationRecorder):
    def __init__(self, datastore: SQLiteDatastore,
                 events_table_name: str = "stored_events") -> None:
        self.submissions_table_name = f"{events_table_name}_submissions"
        self.checkpoints_table_name = f"{events_table_name}_checkpoints"
        super().__init__(datastore, events_table_name)
        self.insert_events_statement = (
            f"INSERT INTO {self.events_table_name} (rowid, originator_id, originator_version, "
            "topic, state, event_hash) VALUES (?,?,?,?,?,?)"
        )

    def construct_create_table_statements(self) -> list[str]:
        return [
            f"CREATE TABLE IF NOT EXISTS {self.events_table_name} ("
            "originator_id TEXT, originator_version INTEGER, topic TEXT, state BLOB, "
            "event_hash BLOB NOT NULL, PRIMARY KEY (originator_id, originator_version))",
            f"CREATE TABLE IF NOT EXISTS {self.submissions_table_name} ("
            "submission_id TEXT PRIMARY KEY, key_id TEXT NOT NULL, signed_at TEXT NOT NULL, "
            "purpose TEXT NOT NULL, event_count INTEGER NOT NULL, root BLOB NOT NULL, "
            "signature BLOB NOT NULL, first_notification_id INTEGER NOT NULL, "
            "last_notification_id INTEGER NOT NULL, log_size INTEGER NOT NULL, "
            "previous BLOB NOT NULL)",
            f"CREATE INDEX IF NOT EXISTS {self.submissions_table_name}_last "
            f"ON {self.submissions_table_name} (last_notification_id)",
            f"CREATE TABLE IF NOT EXISTS {self.checkpoints_table_name} ("
            "tree_size INTEGER PRIMARY KEY, last_notification_id INTEGER NOT NULL, "
            "note TEXT NOT NULL, compact_range BLOB NOT NULL)",
        ]

    # ----------------------------------------------------------------- writing

    def insert_events(self, stored_events: Sequence[StoredEvent],
                      **kwargs: Any) -> Sequence[int] | None:
        return insert_in_one_write(self, stored_events, kwargs.get("integrity"))

    @contextmanager
    def bulk_writer(self, checked_key: KeyVersion | None = None,
                    log_size: int | None = None) -> Iterator[BulkWrite]:
        with self.datastore.get_connection(commit=True) as conn:
            cursor = conn.cursor()
            try:
                cursor.execute("BEGIN IMMEDIATE")
                try:
                    if checked_key is not None:
                        self._refuse_moved_key(cursor, checked_key)
                    writer = _RowWriter(self, cursor, (self._max_notification_id(cursor) or 0) + 1)
                    if log_size is not None and writer.first_id - 1 != log_size:
                        raise LogMovedOn(log_size)
                    yield writer
                    if writer.submission is not None:
                        self._insert_submission(cursor, writer)
                    conn.commit()
                except BaseException:
                    conn.rollback()
                    raise
            except sqlite3.IntegrityError as e:
                raise IntegrityError(e) from e
            except sqlite3.OperationalError as e:
                raise OperationalError(e) from e

    def _refuse_moved_key(self, cursor: SQLiteCursor, key: KeyVersion) -> None:
        cursor.execute(f"SELECT 1 FROM {self.events_table_name} WHERE originator_id=? "
                       "AND originator_version>? LIMIT 1", (_key(key.record_id), key.version))
        if cursor.fetchone() is not None:
            raise KeyMovedOn(key)

    def _insert_submission(self, cursor: SQLiteCursor, writer: _RowWriter) -> None:
        s = writer.submission
        assert s is not None
        cursor.execute(
            f"INSERT INTO {self.submissions_table_name} VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (str(s.submission_id), s.key_id, s.signed_at.isoformat(), s.purpose,
             s.event_count, s.root, s.signature, writer.first_id, writer.next_id - 1,
             s.log_size, s.previous))

    # ----------------------------------------------------------------- reading

    def select_hashes(self, keys: Sequence[tuple[UUID | str, int]]) -> dict[UUID | str, bytes]:
        with self.datastore.transaction(commit=False) as c:
            return self._select_hashes(c, keys)

    def _select_hashes(self, c: SQLiteCursor,
                       keys: Sequence[tuple[UUID | str, int]]) -> dict[UUID | str, bytes]:
        result: dict[UUID | str, bytes] = {}
        statement = (f"SELECT event_hash FROM {self.events_table_name} "
                     "WHERE originator_id=? AND originator_version=?")
        for originator_id, version in keys:
            c.execute(statement, (_key(originator_id), version))
            row = c.fetchone()
            result[originator_id] = bytes(row[0]) if row else GENESIS_HASH
        return result

    def event_hashes_at(self, positions: Sequence[int]) -> dict[int, bytes]:
        """The stored hash of the event at each position (positions without one left out)."""
        found: dict[int, bytes] = {}
        with self.datastore.transaction(commit=False) as c:
            # In chunks: SQLite limits the parameters of one statement.
            for start in range(0, len(positions), _HASH_CHUNK):
                chunk = positions[start:start + _HASH_CHUNK]
                c.execute(f"SELECT rowid, event_hash FROM {self.events_table_name} "
                          f"WHERE rowid IN ({','.join('?' * len(chunk))})", tuple(chunk))
                found.update((int(r[0]), _blob(r[1])) for r in c.fetchall())
        return found

    def select_versions(self, originator_ids: Sequence[UUID]) -> dict[UUID, int]:
        found: dict[UUID, int] = {}
        statement = (f"SELECT MAX(originator_version) FROM {self.events_table_name} "
                     "WHERE originator_id=?")
        with self.datastore.transaction(commit=False) as c:
            for originator_id in originator_ids:  # in process: a query each costs little
                c.execute(statement, (_key(originator_id),))
                row = c.fetchone()
                if row is not None and row[0] is not None:
                    found[originator_id] = int(row[0])
        return found

    def has_any_submission(self, submission_ids: Sequence[UUID]) -> bool:
        statement = f"SELECT 1 FROM {self.submissions_table_name} WHERE submission_id=?"
        with self.datastore.transaction(commit=False) as c:
            for submission_id in submission_ids:  # in process: a query each costs little
                c.execute(statement, (str(submission_id),))
                if c.fetchone() is not None:
                    return True
        return False

    def select_histories(self, originator_ids: Sequence[UUID]
                         ) -> dict[UUID, list[StoredEvent]]:
        found: dict[UUID, list[StoredEvent]] = {}
        statement = (f"SELECT originator_version, topic, state FROM {self.events_table_name} "
                     "WHERE originator_id=? ORDER BY originator_version")
        with self.datastore.transaction(commit=False) as c:
            for originator_id in originator_ids:  # in process: a query each costs little
                c.execute(statement, (_key(originator_id),))
                events = [StoredEvent(originator_id, int(r[0]), r[1], bytes(r[2]))
                          for r in c.fetchall()]
                if events:
                    found[originator_id] = events
        return found

    def iter_log(self, after: int = 0, batch_size: int = 20_000,
                 upto: int | None = None) -> Iterator[LogRow]:
        for rows in self._log_pages(after, upto, batch_size):
            for r in rows:
                yield LogRow(r[0], self._lenient_id(r[1]), r[2], _text(r[3]), _blob(r[4]),
                             _blob(r[5]))

    def log_batches(self, after: int = 0, upto: int | None = None,
                    batch_size: int = 20_000) -> Iterator[list[RawLogRow]]:
        """``iter_log`` as plain tuples, the record id as the bytes its hashes frame."""
        for rows in self._log_pages(after, upto, batch_size):
            yield [(r[0], _framed(self._lenient_id(r[1])), r[2], _text(r[3]), _blob(r[4]),
                    _blob(r[5])) for r in rows]

    def originator_from_bytes(self, raw: bytes) -> UUID | str:
        return UUID(bytes=raw) if len(raw) == 16 else raw.decode(errors="replace")

    def _log_pages(self, after: int, upto: int | None,
                   batch_size: int) -> Iterator[list[Any]]:
        statement = (
            "SELECT rowid, originator_id, originator_version, topic, state, event_hash "
            f"FROM {self.events_table_name} WHERE rowid > ? ORDER BY rowid LIMIT ?")

        def fetch(position: int, limit: int) -> list[Any]:
            with self.datastore.transaction(commit=False) as c:
                c.execute(statement, (position, limit))
                return list(c.fetchall())

        return pages(fetch, after, upto, batch_size)

    def _lenient_id(self, value: object) -> UUID | str:
        # The auditor reads whatever is stored: a damaged id must become a finding, not a crash.
        text = _text(value)
        try:
            return self.convert_originator_id(text)
        except ValueError:
            return text

    def subscribe(self, gt: int | None = None,
                  topics: Sequence[str] = ()) -> Subscription[ApplicationRecorder]:
        """SQLite has no LISTEN/NOTIFY: the subscription polls for new events."""
        return SQLitePollingSubscription(self, gt=gt, topics=topics)

    def record_log(self, originator_id: UUID) -> list[LogRow]:
        """One record's events with their positions and stored hashes, in version order."""
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT rowid, originator_id, originator_version, topic, state, event_hash "
                      f"FROM {self.events_table_name} WHERE originator_id = ? "
                      "ORDER BY originator_version", (_key(originator_id),))
            return [LogRow(r[0], self._lenient_id(r[1]), r[2], _text(r[3]), _blob(r[4]),
                           _blob(r[5])) for r in c.fetchall()]

    def count_events(self, upto: int | None = None) -> int:
        """How many events, or how many at or before position ``upto``."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT COUNT(*) FROM {self.events_table_name} WHERE rowid <= ?",
                      (upto if upto is not None else END_OF_LOG,))
            return int(c.fetchone()[0])

    def submissions(self) -> list[SubmissionRow]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT * FROM {self.submissions_table_name} "
                      "ORDER BY first_notification_id")
            rows = c.fetchall()
        return [_submission_row(r) for r in rows]

    def log_head(self) -> LogHead:
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT * FROM {self.submissions_table_name} "
                      "ORDER BY last_notification_id DESC LIMIT 1")
            row = c.fetchone()
        return head_of(_submission_row(row) if row is not None else None)

    def insert_checkpoint(self, row: CheckpointRow) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute(f"INSERT INTO {self.checkpoints_table_name} VALUES (?,?,?,?)",
                      (row.tree_size, row.last_notification_id, row.note, row.compact_range))

    def checkpoints(self) -> list[CheckpointRow]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT * FROM {self.checkpoints_table_name} ORDER BY tree_size")
            return [CheckpointRow(r[0], r[1], r[2], bytes(r[3])) for r in c.fetchall()]


def _submission_row(r: Any) -> SubmissionRow:
    return SubmissionRow(
        Submission(UUID(r[0]), r[1], datetime.fromisoformat(r[2]), r[3], r[4], bytes(r[5]),
                   bytes(r[6]), r[9], bytes(r[10])), r[7], r[8])


class _RowWriter:
    def __init__(self, recorder: LedgerSQLiteRecorder, cursor: SQLiteCursor,
                 first_id: int) -> None:
        self.statement = recorder.insert_events_statement
        self.cursor = cursor
        self.first_id = self.next_id = first_id
        self.submission: Submission | None = None

    def write(self, stored_events: Sequence[StoredEvent], hashes: Sequence[bytes]) -> None:
        rows = [
            (notification_id, _key(s.originator_id), s.originator_version, s.topic, s.state,
             digest)
            for notification_id, (s, digest) in enumerate(zip(stored_events, hashes,
                                                              strict=True), start=self.next_id)
        ]
        self.cursor.executemany(self.statement, rows)
        self.next_id += len(rows)


class SQLitePollingSubscription(ListenNotifySubscription[LedgerSQLiteRecorder]):
    """The library's listen/notify subscription, woken by a timer instead of a notification
    (another process's commits cannot notify this one)."""

    POLL_SECONDS = 0.1

    def __init__(self, recorder: LedgerSQLiteRecorder, gt: int | None = None,
                 topics: Sequence[str] = ()) -> None:
        super().__init__(recorder=recorder, gt=gt, topics=topics)
        self._timer = Thread(target=self._wake_periodically, daemon=True)
        self._timer.start()

    def _pull(self) -> None:
        pull_past_unwanted(self)

    def _wake_periodically(self) -> None:
        while not self._has_been_stopped:
            time.sleep(self.POLL_SECONDS)
            self._has_been_notified.set()
