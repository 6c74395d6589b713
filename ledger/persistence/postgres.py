"""PostgreSQL recorder: the library's application recorder plus integrity, with a COPY path.

Inserts keep the library's commit-order guarantee (an EXCLUSIVE table lock for the length of
the transaction, so notification order is commit order) but write rows with one binary COPY
instead of ``unnest`` over a composite type: a 10,000-event order is one stream. Because COPY
cannot return generated ids, notification ids are assigned under the lock as max + 1 … max + n,
which also keeps them gap-free.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.persistence import ApplicationRecorder, StoredEvent, Subscription
from eventsourcing.postgres import (
    PostgresApplicationRecorder,
    PostgresDatastore,
    PostgresSubscription,
)
from psycopg import Copy, Cursor
from psycopg.rows import DictRow, tuple_row
from psycopg.sql import SQL, Composed, Identifier

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
    SignedBatch,
    SubmissionRow,
    head_of,
    insert_in_one_write,
    pages,
)
from ledger.persistence.subscription import pull_past_unwanted

__all__ = ["LedgerPostgresRecorder"]

_PIPELINED_UP_TO = 1_000  # events; a larger batch streams by COPY (``bulk_writer``)
_KEY_MOVED_ON = "TBK01"  # this recorder's own SQLSTATE: see ``KeyMovedOn``
_LOG_MOVED_ON = "TBK02"  # and ``LogMovedOn``

_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
_COPY_TRAILER = struct.pack(">h", -1)
_FIELD_COUNT = struct.pack(">h", 6)
_INT8 = struct.Struct(">iq")
_LEN = struct.Struct(">i").pack
# One row of the binary COPY: field count, the uuid, the version, the topic's length …
_ROW_HEAD = struct.Struct(">hi16siqi")
# … and after the state: the notification id and the hash's length.
_ROW_TAIL = struct.Struct(">iqi")


class LedgerPostgresRecorder(PostgresApplicationRecorder):
    def __init__(self, datastore: PostgresDatastore, *,
                 events_table_name: str = "stored_events") -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        self.submissions_table_name = f"{events_table_name}_submissions"
        self.checkpoints_table_name = f"{events_table_name}_checkpoints"
        self.sql_create_statements[self.create_table_statement_index] = self._sql(
            "CREATE TABLE IF NOT EXISTS {events} ("
            "originator_id {id_type} NOT NULL, originator_version bigint NOT NULL, "
            "topic text, state bytea, notification_id bigint NOT NULL, "
            "event_hash bytea NOT NULL, "
            "PRIMARY KEY (originator_id, originator_version))",
            id_type=Identifier(self.datastore.originator_id_type),
        )
        self.sql_create_statements.append(self._sql(
            "CREATE TABLE IF NOT EXISTS {submissions} ("
            "submission_id uuid PRIMARY KEY, key_id text NOT NULL, "
            "signed_at text NOT NULL, purpose text NOT NULL, event_count bigint NOT NULL, "
            "root bytea NOT NULL, signature bytea NOT NULL, "
            "first_notification_id bigint NOT NULL, last_notification_id bigint NOT NULL, "
            "log_size bigint NOT NULL, previous bytea NOT NULL)"
        ))
        self.sql_create_statements.append(self._sql(
            "CREATE INDEX IF NOT EXISTS {submissions_last} ON {submissions} "
            "(last_notification_id)",
            submissions_last=Identifier(f"{self.submissions_table_name}_last")))
        self.sql_create_statements.append(self._sql(
            "CREATE TABLE IF NOT EXISTS {checkpoints} ("
            "tree_size bigint PRIMARY KEY, last_notification_id bigint NOT NULL, "
            "note text NOT NULL, compact_range bytea NOT NULL)"
        ))
        # The library's database function inserts through the sequence; this recorder
        # assigns ids itself, so that path must never be taken.
        self.datastore.enable_db_functions = False
        self._copy_statement = self._sql(
            "COPY {events} (originator_id, originator_version, topic, state, "
            "notification_id, event_hash) FROM STDIN (FORMAT BINARY)"
        )
        # A small signed batch is appended by one database function, called in one
        # statement: the lock, the numbering, the rows, the submission and the notification
        # all happen inside PostgreSQL, in one round trip (``_insert_in_one_call``).
        self._append_function = Identifier(f"{events_table_name}_append")
        self.sql_create_statements.append(self._sql(
            "CREATE OR REPLACE FUNCTION {schema}.{function}("
            "ids {id_type}[], versions bigint[], topics text[], states bytea[], "
            "hashes bytea[], s_id uuid, s_key text, s_at text, s_purpose text, "
            "s_count bigint, s_root bytea, s_signature bytea, s_log_size bigint, "
            "s_previous bytea, k_id {id_type}, k_version bigint) "
            "RETURNS TABLE (first_id bigint, last_id bigint) LANGUAGE plpgsql AS $body$ "
            "DECLARE head bigint; "
            "BEGIN "
            "SET LOCAL lock_timeout = '{lock_timeout}s'; "
            "LOCK TABLE {events} IN EXCLUSIVE MODE; "
            # Under the lock, so no revocation can slip in between this check and the rows.
            "IF k_id IS NOT NULL AND EXISTS (SELECT 1 FROM {events} WHERE originator_id = k_id "
            "AND originator_version > k_version) THEN "
            "RAISE EXCEPTION 'the signing key has changed' USING ERRCODE = '{key_moved_on}'; "
            "END IF; "
            # A volatile function's statements each see what has committed before them,
            # so the highest id is read after the lock is held.
            "SELECT COALESCE(MAX(notification_id), 0) INTO head FROM {events}; "
            # The submission signed what came before it: the log must still end there.
            "IF head <> s_log_size THEN "
            "RAISE EXCEPTION 'the log has moved on' USING ERRCODE = '{log_moved_on}'; "
            "END IF; "
            "INSERT INTO {events} (originator_id, originator_version, topic, state, "
            "notification_id, event_hash) SELECT u.i, u.v, u.t, u.s, head + u.n, u.h "
            "FROM unnest(ids, versions, topics, states, hashes) WITH ORDINALITY "
            "AS u(i, v, t, s, h, n); "
            "INSERT INTO {submissions} VALUES (s_id, s_key, s_at, s_purpose, s_count, s_root, "
            "s_signature, head + 1, head + cardinality(ids), s_log_size, s_previous); "
            "NOTIFY {channel}; "
            "first_id := head + 1; last_id := head + cardinality(ids); "
            "RETURN NEXT; "
            "END; $body$",
            schema=Identifier(self.datastore.schema), function=self._append_function,
            id_type=Identifier(self.datastore.originator_id_type),
            lock_timeout=SQL(str(int(self.datastore.lock_timeout))),
            key_moved_on=SQL(_KEY_MOVED_ON), log_moved_on=SQL(_LOG_MOVED_ON),
            channel=Identifier(self.channel_name)))
        self._call_append = self._sql(
            "SELECT first_id, last_id FROM {schema}.{function}(%s, %s, %s, %s, %s, %s, %s, "
            "%s, %s, %s, %s, %s, %s, %s, %s, %s)", schema=Identifier(self.datastore.schema),
            function=self._append_function)
        self._select_histories = self._sql(
            "SELECT originator_id, originator_version, topic, state FROM {events} "
            "WHERE originator_id = ANY(%s::{id_type}[]) "
            "ORDER BY originator_id, originator_version",
            id_type=Identifier(self.datastore.originator_id_type))
        self._key_moved_on = self._sql(
            "SELECT EXISTS (SELECT 1 FROM {events} WHERE originator_id = %s "
            "AND originator_version > %s)")

    def _sql(self, text: str, **extra: Any) -> Composed:
        schema = Identifier(self.datastore.schema)
        return SQL(text).format(
            events=Composed([schema, SQL("."), Identifier(self.events_table_name)]),
            submissions=Composed([schema, SQL("."), Identifier(self.submissions_table_name)]),
            checkpoints=Composed([schema, SQL("."), Identifier(self.checkpoints_table_name)]),
            **extra,
        )

    def subscribe(self, gt: int | None = None,
                  topics: Sequence[str] = ()) -> Subscription[ApplicationRecorder]:
        return LedgerPostgresSubscription(recorder=self, gt=gt, topics=topics)

    # ----------------------------------------------------------------- writing

    def insert_events(self, stored_events: Sequence[StoredEvent],
                      **kwargs: Any) -> Sequence[int] | None:
        batch: SignedBatch | None = kwargs.get("integrity")
        if batch is not None and 0 < len(stored_events) <= _PIPELINED_UP_TO:
            return self._insert_in_one_call(stored_events, batch)
        return insert_in_one_write(self, stored_events, batch)

    def _insert_in_one_call(self, stored_events: Sequence[StoredEvent],
                            batch: SignedBatch) -> list[int]:
        """A small signed batch in one round trip: one call of the append function, in its
        own transaction. The table lock is then held only while PostgreSQL works — never
        while this process waits for its turn to run Python (beside an event loop busy with
        reads, each wait between statements held the lock for milliseconds, and every other
        writer queued behind it)."""
        s, submission, key = stored_events, batch.submission, batch.checked_key
        params = ([e.originator_id for e in s], [e.originator_version for e in s],
                  [e.topic for e in s], [e.state for e in s], list(batch.event_hashes),
                  *_submission_columns(submission), submission.log_size, submission.previous,
                  key.record_id if key else None, key.version if key else None)
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as c:
            try:
                row = c.execute(self._call_append, params, prepare=True).fetchone()
            except psycopg.Error as e:
                if e.sqlstate == _KEY_MOVED_ON and key is not None:
                    raise KeyMovedOn(key) from None
                if e.sqlstate == _LOG_MOVED_ON:
                    raise LogMovedOn(submission.log_size) from None
                raise
        assert row is not None
        first, last = int(row[0]), int(row[1])
        assert last - first + 1 == len(s)
        return list(range(first, last + 1))

    @contextmanager
    def bulk_writer(self, checked_key: KeyVersion | None = None,
                    log_size: int | None = None) -> Iterator[BulkWrite]:
        with self.datastore.get_connection() as conn, conn.transaction(), \
                conn.cursor() as curs:
            self._lock_table(curs)
            if checked_key is not None:
                self._refuse_moved_key(curs, checked_key)
            curs.execute(self._sql("SELECT COALESCE(MAX(notification_id), 0) AS m FROM {events}"))
            row = curs.fetchone()
            assert row is not None
            if log_size is not None and int(row["m"]) != log_size:
                raise LogMovedOn(log_size)
            with curs.copy(self._copy_statement) as copy:
                writer = _CopyWriter(copy, int(row["m"]) + 1,
                                     self.datastore.originator_id_type == "text")
                yield writer
                copy.write(_COPY_TRAILER)
            if writer.submission is not None:
                self._insert_submission(curs, writer.submission, writer.first_id,
                                        writer.next_id - 1)
            self._notify_channel(curs)

    def _refuse_moved_key(self, curs: Cursor[DictRow], key: KeyVersion) -> None:
        row = curs.execute(self._key_moved_on, (key.record_id, key.version)).fetchone()
        if row is not None and row["exists"]:
            raise KeyMovedOn(key)

    def _insert_submission(self, curs: Cursor[DictRow], submission: Submission,
                           first_id: int, last_id: int) -> None:
        curs.execute(self._sql(
            "INSERT INTO {submissions} VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"),
            (*_submission_columns(submission), first_id, last_id, submission.log_size,
             submission.previous))

    # ----------------------------------------------------------------- reading

    def select_hashes(self, keys: Sequence[tuple[UUID | str, int]]) -> dict[UUID | str, bytes]:
        """The stored hash of each (record, version); records at version 0 get the genesis."""
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            return self._select_hashes(curs, keys)

    def _select_hashes(self, curs: Cursor[DictRow],
                       keys: Sequence[tuple[UUID | str, int]]) -> dict[UUID | str, bytes]:
        wanted = [(k, v) for k, v in keys if v >= 0]
        found: dict[UUID | str, bytes] = {}
        if wanted:
            # Plain tuples: building a dict per row costs more than the query here.
            tuples = curs.connection.cursor(row_factory=tuple_row)
            tuples.execute(self._sql(
                "SELECT e.originator_id, e.event_hash FROM {events} e "
                "JOIN unnest(%s::{id_type}[], %s::bigint[]) AS k(id, v) "
                "ON e.originator_id = k.id AND e.originator_version = k.v",
                id_type=Identifier(self.datastore.originator_id_type)),
                ([k for k, _ in wanted], [v for _, v in wanted]))
            found = {r[0]: bytes(r[1]) for r in tuples.fetchall()}
            tuples.close()
        return {k: found.get(k, GENESIS_HASH) for k, _ in keys}

    def event_hashes_at(self, positions: Sequence[int]) -> dict[int, bytes]:
        """The stored hash of the event at each position (positions without one left out)."""
        if not positions:
            return {}
        with self.datastore.get_connection() as conn, conn.cursor(
                row_factory=tuple_row) as curs:
            curs.execute(self._sql("SELECT notification_id, event_hash FROM {events} "
                                   "WHERE notification_id = ANY(%s::bigint[])"),
                         (list(positions),))
            return {int(r[0]): bytes(r[1]) for r in curs.fetchall()}

    def select_versions(self, originator_ids: Sequence[UUID]) -> dict[UUID, int]:
        if not originator_ids:
            return {}
        with self.datastore.get_connection() as conn, conn.cursor(
                row_factory=tuple_row) as curs:
            # One index probe per aggregate (the newest row of its primary key), one query.
            curs.execute(self._sql(
                "SELECT k.id, (SELECT max(e.originator_version) FROM {events} e "
                "WHERE e.originator_id = k.id) FROM unnest(%s::{id_type}[]) AS k(id)",
                id_type=Identifier(self.datastore.originator_id_type)), (list(originator_ids),))
            return {row[0]: int(row[1]) for row in curs.fetchall() if row[1] is not None}

    def has_any_submission(self, submission_ids: Sequence[UUID]) -> bool:
        with self.datastore.get_connection() as conn:
            return conn.execute(self._sql(
                "SELECT 1 FROM {submissions} WHERE submission_id = ANY(%s::uuid[]) LIMIT 1"),
                (list(submission_ids),)).fetchone() is not None

    def select_histories(self, originator_ids: Sequence[UUID]
                         ) -> dict[UUID, list[StoredEvent]]:
        found: dict[UUID, list[StoredEvent]] = {}
        if not originator_ids:
            return found
        with self.datastore.get_connection() as conn, conn.cursor(
                row_factory=tuple_row) as curs:
            # One query for all of them, walking the primary key once per aggregate: an
            # order of thousands of lines had read each record in its own round trip.
            curs.execute(self._select_histories, (list(originator_ids),), prepare=True)
            for row in curs:
                found.setdefault(row[0], []).append(
                    StoredEvent(row[0], row[1], row[2], bytes(row[3])))
        return found

    def iter_log(self, after: int = 0, batch_size: int = 20_000,
                 upto: int | None = None) -> Iterator[LogRow]:
        """Every event after position ``after`` (up to ``upto``) with its stored hash, in
        notification order, streamed in batches."""
        for rows in self._log_pages("originator_id", after, upto, batch_size):
            yield from (LogRow(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows)

    def log_batches(self, after: int = 0, upto: int | None = None,
                    batch_size: int = 20_000) -> Iterator[list[RawLogRow]]:
        """``iter_log`` as plain tuples, the record id as the bytes its hashes frame."""
        as_bytes = "uuid_send(originator_id)" if self._uuid_ids \
            else "convert_to(originator_id, 'UTF8')"
        return self._log_pages(as_bytes, after, upto, batch_size)

    def originator_from_bytes(self, raw: bytes) -> UUID | str:
        return UUID(bytes=raw) if self._uuid_ids else raw.decode()

    @property
    def _uuid_ids(self) -> bool:
        return self.datastore.originator_id_type == "uuid"

    def _log_pages(self, originator: str, after: int, upto: int | None,
                   batch_size: int) -> Iterator[list[Any]]:
        statement = self._sql(
            f"SELECT notification_id, {originator}, originator_version, topic, state, "
            "event_hash FROM {events} WHERE notification_id > %s "
            "ORDER BY notification_id LIMIT %s")

        def fetch(position: int, limit: int) -> list[Any]:
            with self.datastore.get_connection() as conn, \
                    conn.cursor(row_factory=tuple_row) as curs:
                return curs.execute(statement, (position, limit), binary=True).fetchall()

        return pages(fetch, after, upto, batch_size)

    def record_log(self, originator_id: UUID) -> list[LogRow]:
        """One record's events with their positions and stored hashes, in version order."""
        with self.datastore.get_connection() as conn, \
                conn.cursor(row_factory=tuple_row) as curs:
            rows = curs.execute(self._sql(
                "SELECT notification_id, originator_id, originator_version, topic, state, "
                "event_hash FROM {events} WHERE originator_id = %s ORDER BY originator_version"),
                (originator_id,)).fetchall()
        return [LogRow(r[0], r[1], r[2], r[3], bytes(r[4]), bytes(r[5])) for r in rows]

    def count_events(self, upto: int | None = None) -> int:
        """How many events, or how many at or before position ``upto``."""
        with self.datastore.get_connection() as conn:
            row = conn.execute(self._sql(
                "SELECT COUNT(*) AS n FROM {events} WHERE notification_id <= %s"),
                (upto if upto is not None else END_OF_LOG,)).fetchone()
        assert row is not None
        return int(row["n"])

    def submissions(self) -> list[SubmissionRow]:
        with self.datastore.get_connection() as conn:
            rows = conn.execute(self._sql(
                "SELECT * FROM {submissions} ORDER BY first_notification_id")).fetchall()
        return [_submission_row(r) for r in rows]

    def log_head(self) -> LogHead:
        with self.datastore.get_connection() as conn:
            row = conn.execute(self._sql(
                "SELECT * FROM {submissions} ORDER BY last_notification_id DESC LIMIT 1"
            )).fetchone()
        return head_of(_submission_row(row) if row is not None else None)

    def insert_checkpoint(self, row: CheckpointRow) -> None:
        with self.datastore.get_connection() as conn:
            conn.execute(self._sql("INSERT INTO {checkpoints} VALUES (%s, %s, %s, %s)"),
                         (row.tree_size, row.last_notification_id, row.note,
                          row.compact_range))

    def checkpoints(self) -> list[CheckpointRow]:
        with self.datastore.get_connection() as conn:
            rows = conn.execute(self._sql(
                "SELECT * FROM {checkpoints} ORDER BY tree_size")).fetchall()
        return [CheckpointRow(r["tree_size"], r["last_notification_id"], r["note"],
                              bytes(r["compact_range"])) for r in rows]


class LedgerPostgresSubscription(PostgresSubscription):
    """The library's subscription, pulling past the events its topics leave out
    (``ledger.persistence.subscription``)."""

    def _pull(self) -> None:
        pull_past_unwanted(self)


def _submission_columns(submission: Submission) -> tuple[Any, ...]:
    """A submission's columns as stored, before its first and last notification ids."""
    return (submission.submission_id, submission.key_id, submission.signed_at.isoformat(),
            submission.purpose, submission.event_count, submission.root, submission.signature)


def _submission_row(r: dict[str, Any]) -> SubmissionRow:
    submission = Submission(
        submission_id=r["submission_id"], key_id=r["key_id"],
        signed_at=datetime.fromisoformat(r["signed_at"]), purpose=r["purpose"],
        event_count=r["event_count"], root=bytes(r["root"]),
        signature=bytes(r["signature"]), log_size=r["log_size"], previous=bytes(r["previous"]))
    return SubmissionRow(submission, r["first_notification_id"], r["last_notification_id"])


class _CopyWriter:
    """Streams rows into an open binary COPY, one chunk per ``write``."""

    def __init__(self, copy: Copy, first_id: int, text_ids: bool) -> None:
        self.copy = copy
        self.first_id = self.next_id = first_id
        self.text_ids = text_ids
        self.submission: Submission | None = None
        self._topics: dict[str, bytes] = {}
        copy.write(_COPY_HEADER)

    def write(self, stored_events: Sequence[StoredEvent], hashes: Sequence[bytes]) -> None:
        parts: list[bytes] = []
        append = parts.append
        topics = self._topics
        row_head, row_tail, state_length = _ROW_HEAD.pack, _ROW_TAIL.pack, _LEN
        for notification_id, (s, digest) in enumerate(zip(stored_events, hashes, strict=True),
                                                     start=self.next_id):
            topic = topics.get(s.topic)
            if topic is None:
                topic = topics[s.topic] = s.topic.encode()
            if self.text_ids:
                oid = str(s.originator_id).encode()
                append(_FIELD_COUNT + _LEN(len(oid)) + oid + _INT8.pack(8, s.originator_version)
                       + _LEN(len(topic)))
            else:
                oid_uuid = s.originator_id
                raw = oid_uuid.bytes if isinstance(oid_uuid, UUID) else UUID(oid_uuid).bytes
                append(row_head(6, 16, raw, 8, s.originator_version, len(topic)))
            append(topic)
            append(state_length(len(s.state)))
            append(s.state)
            append(row_tail(8, notification_id, 32))
            append(digest)
        self.copy.write(b"".join(parts))
        self.next_id += len(stored_events)
