"""Recorders that keep the integrity columns beside the library's stored events.

The library's recorders store ``(originator_id, originator_version, topic, state)`` with a
notification id; these subclasses add each event's hash, and two tables: the signed
submissions (which notification-id range each one covers) and the signed checkpoints of the
Merkle log. Both backends share the row types below, so ``audit`` verifies them the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from ledger.integrity import START_OF_LOG, LogHead, Submission, chain_hashes

__all__ = [
    "END_OF_LOG",
    "BulkWrite",
    "CheckpointRow",
    "KeyMovedOn",
    "KeyVersion",
    "LedgerRecorder",
    "LogMovedOn",
    "LogRow",
    "RawLogRow",
    "SignedBatch",
    "SubmissionRow",
    "chain_from_store",
    "head_of",
    "insert_in_one_write",
    "pages",
]


@dataclass(frozen=True)
class KeyVersion:
    """The signing key (its id and its record's), and the version of its record that the
    signature was checked against."""

    key_id: str
    record_id: UUID
    version: int


class KeyMovedOn(Exception):
    """The signing key's record has events beyond the version the submission was checked
    against: it was revoked or rotated in between. A recorder raises this under its write
    lock, before writing anything, so that no submission is appended on a key's stale state;
    the ledger then checks again against the key as it stands."""

    def __init__(self, key: KeyVersion) -> None:
        super().__init__(f"key {key.key_id} has changed since version {key.version}")
        self.key = key


class LogMovedOn(Exception):
    """The log is no longer the size a submission was signed after: another writer came
    first. A recorder raises this under its write lock, before writing anything; the ledger
    signs again after the log as it now stands (``LedgerRecorder.log_head``)."""

    def __init__(self, signed_after: int) -> None:
        super().__init__(f"the log has moved on from size {signed_after}")
        self.signed_after = signed_after


def head_of(last: SubmissionRow | None) -> LogHead:
    """The log's head as its last submission leaves it (positions are gap-free)."""
    if last is None:
        return START_OF_LOG
    return LogHead(last.last_notification_id, last.submission.hash)


@dataclass(frozen=True)
class SignedBatch:
    """What the ledger hands the recorder with a batch: each event's hash, the signature, and
    the key version it was checked against (None only for the ledger's first submission,
    whose key is not stored yet)."""

    event_hashes: Sequence[bytes]
    submission: Submission
    checked_key: KeyVersion | None = None


class LogRow(NamedTuple):
    """One stored event with its position and stored hash (a tuple: the auditor reads
    millions of these)."""

    notification_id: int
    originator_id: UUID | str
    originator_version: int
    topic: str
    state: bytes
    event_hash: bytes

    def stored_event(self) -> StoredEvent:
        return StoredEvent(self.originator_id, self.originator_version, self.topic, self.state)


RawLogRow = tuple[int, bytes, int, str, bytes, bytes]
"""A ``LogRow`` as the auditor's hot loop reads millions of them: a plain tuple, the record id
as the bytes that its event hashes frame (a UUID's 16 bytes, a text id's UTF-8), turned back
into an id by ``originator_from_bytes`` only where one is reported."""


def pages(fetch: Callable[[int, int], list[Any]], after: int, upto: int | None,
          batch_size: int) -> Iterator[list[Any]]:
    """Rows after position ``after`` up to ``upto`` (None: the end), page by page, where
    ``fetch(after, limit)`` reads at most ``limit`` rows after a position, in order (the
    position first in each row).

    The query has one bound only: with an upper bound too, a freshly filled table (no
    statistics yet) gets a bitmap scan and a sort of everything after ``after``, once per
    page. Positions are unique integers, so the limit keeps a page from reading far past
    ``upto``, and the rows past it (behind a gap in the positions) are dropped here.
    """
    last = END_OF_LOG if upto is None else upto
    while after < last:
        limit = min(batch_size, last - after)
        rows = fetch(after, limit)
        if rows and rows[-1][0] > last:
            rows = [r for r in rows if r[0] <= last]
        if rows:
            yield rows
        if len(rows) < limit:  # the end of the log, or of the range
            return
        after = rows[-1][0]


END_OF_LOG = 2**62
"""Beyond any position: "to the end of the log"."""


@dataclass(frozen=True)
class SubmissionRow:
    submission: Submission
    first_notification_id: int
    last_notification_id: int


@dataclass(frozen=True)
class CheckpointRow:
    tree_size: int
    last_notification_id: int
    note: str
    compact_range: bytes


class BulkWrite(Protocol):
    """An open write transaction holding the log's write lock: events are streamed into it in
    chunks (so the database ingests one chunk while the next is prepared) and it commits,
    with ``submission`` if one is set, when its ``with`` block ends — or writes nothing if the
    block raises. Opened with a ``KeyVersion``, it first raises ``KeyMovedOn`` if that key's
    record has moved past the version; opened with ``log_size``, it raises ``LogMovedOn`` if
    the log does not end there."""

    first_id: int
    next_id: int
    submission: Submission | None

    def write(self, stored_events: Sequence[StoredEvent], hashes: Sequence[bytes]) -> None: ...


class LedgerRecorder(Protocol):
    """What the ledger and the auditor need from a backend beyond the library's recorder."""

    def bulk_writer(
        self, checked_key: KeyVersion | None = None, log_size: int | None = None
    ) -> AbstractContextManager[BulkWrite]: ...

    def log_head(self) -> LogHead:
        """The log's size and its last submission's hash, read together."""
        ...

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: object
    ) -> Sequence[int] | None: ...

    def select_hashes(
        self, keys: Sequence[tuple[UUID | str, int]]
    ) -> dict[UUID | str, bytes]: ...

    def event_hashes_at(self, positions: Sequence[int]) -> dict[int, bytes]:
        """The stored hash of the event at each position (the record view names the hash of
        the event each of its rows was made from)."""
        ...

    def select_versions(self, originator_ids: Sequence[UUID]) -> dict[UUID, int]:
        """The highest stored version of each aggregate that has events (one look-up for
        all of them)."""
        ...

    def has_any_submission(self, submission_ids: Sequence[UUID]) -> bool: ...

    def select_histories(
        self, originator_ids: Sequence[UUID]
    ) -> dict[UUID, list[StoredEvent]]:
        """Every stored event of each aggregate, oldest first, read together (aggregates
        without events are left out)."""
        ...

    def iter_log(self, after: int = 0, batch_size: int = 20_000,
                 upto: int | None = None) -> Iterator[LogRow]: ...

    def log_batches(self, after: int = 0, upto: int | None = None,
                    batch_size: int = 20_000) -> Iterator[list[RawLogRow]]: ...

    def originator_from_bytes(self, raw: bytes) -> UUID | str: ...

    def count_events(self, upto: int | None = None) -> int: ...

    def record_log(self, originator_id: UUID) -> list[LogRow]: ...

    def submissions(self) -> list[SubmissionRow]: ...

    def insert_checkpoint(self, row: CheckpointRow) -> None: ...

    def checkpoints(self) -> list[CheckpointRow]: ...


def chain_from_store(
    stored_events: Sequence[StoredEvent],
    select_hashes: Callable[[Sequence[tuple[UUID | str, int]]], dict[UUID | str, bytes]],
) -> list[bytes]:
    """Chain a batch that came without hashes (raw stored events, as the library's contract
    tests write them) from its records' stored heads.

    Reading the heads outside the write lock is safe: a stored version never changes, and if
    another writer takes the version this batch wants, the insert conflicts."""
    firsts: dict[UUID | str, int] = {}
    for stored in stored_events:
        firsts.setdefault(stored.originator_id, stored.originator_version)
    return chain_hashes(stored_events, select_hashes([(k, v - 1) for k, v in firsts.items()]))


def insert_in_one_write(recorder: LedgerRecorder, stored_events: Sequence[StoredEvent],
                        batch: SignedBatch | None) -> list[int]:
    """The library's ``insert_events`` on either backend: one locked write, with the signed
    submission if there is one, returning the notification ids."""
    if not stored_events:
        return []
    hashes = (batch.event_hashes if batch is not None
              else chain_from_store(stored_events, recorder.select_hashes))
    with recorder.bulk_writer(batch.checked_key if batch is not None else None,
                              batch.submission.log_size if batch is not None else None
                              ) as writer:
        writer.write(stored_events, hashes)
        writer.submission = batch.submission if batch is not None else None
    return list(range(writer.first_id, writer.next_id))
