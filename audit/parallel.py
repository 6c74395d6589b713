"""Splitting verification between processes: the plan of chunks, and the workers that read them.

Chunks end where submissions end, so that a submission is always read whole by one worker
(its root and signature are checked there). The submissions table, which plans the split, is
not trusted: a chunk whose event count differs from the plan, or a submission range that
overlaps another, is a finding (or, for the plan, a reason not to split at all).

Workers are separate processes started afresh (``spawn``): each opens its own connection
from the database URL, reads its chunks and sends back what ``audit.chunks`` found.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Generator, Iterable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from itertools import pairwise
from multiprocessing.sharedctypes import Synchronized

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from audit.chunks import Chunk, ChunkResult, ChunkVerifier
from audit.evidence import EvidenceAudit
from ledger.application import Ledger
from ledger.evidence import EvidenceStore
from ledger.persistence import CheckpointRow, SubmissionRow

__all__ = ["MIN_CHUNK_EVENTS", "Parallel", "auto_workers", "plan_chunks", "run_chunks"]

MIN_CHUNK_EVENTS = 20_000
"""Below this a chunk costs more to hand over than to read."""

CHUNKS_PER_WORKER = 1
"""One chunk per worker: every chunk after the first takes each record's previous hash from the
database (one index look-up per record), so fewer, longer chunks cost less."""


@dataclass(frozen=True)
class Parallel:
    """How to split: ``workers`` processes reading the database at ``url``.

    ``workers=0`` reads the same chunks one after another in this process (the split and the
    fold without the processes, for tests). ``chunk_size`` overrides the events per chunk.
    """

    url: str
    workers: int
    chunk_size: int | None = None

    def chunk_events(self, submissions: Sequence[SubmissionRow]) -> int:
        if self.chunk_size is not None:
            return self.chunk_size
        total = sum(s.submission.event_count for s in submissions)
        return max(MIN_CHUNK_EVENTS, -(-total // max(1, self.workers * CHUNKS_PER_WORKER)))


def auto_workers(events: int, minimum_events: int = 200_000, *,
                 database_server: bool = False) -> int:
    """Worker processes worth starting for a log of this many events (1: do not split).

    With a database server (PostgreSQL) each worker's reads keep a server process busy too,
    so only half the cores get a worker: on 2 cores two workers took 16.9 s over 1,000,000
    events where one process took 12.7 s (docs/benchmarks.md)."""
    if events < minimum_events:
        return 1
    cores = os.cpu_count() or 1
    if database_server:
        cores //= 2
    return max(1, min(cores, events // MIN_CHUNK_EVENTS))


def plan_chunks(submissions: Sequence[SubmissionRow], checkpoints: Iterable[CheckpointRow],
                chunk_events: int) -> list[Chunk] | None:
    """Chunks of about ``chunk_events`` events, cut where submissions end; None when the
    submissions table does not describe one orderly log (the single pass will say why)."""
    if any(later.first_notification_id <= earlier.last_notification_id
           or later.first_notification_id > later.last_notification_id
           for earlier, later in pairwise(submissions)):
        return None
    sizes = sorted({cp.tree_size for cp in checkpoints if cp.tree_size > 0})
    groups: list[list[SubmissionRow]] = [[]]
    in_group = 0
    for row in submissions:
        if in_group >= chunk_events:
            groups.append([])
            in_group = 0
        groups[-1].append(row)
        in_group += row.submission.event_count
    chunks: list[Chunk] = []
    after = offset = 0
    for number, group in enumerate(groups):
        last = number == len(groups) - 1
        upto = None if last or not group else group[-1].last_notification_id
        expected = sum(s.submission.event_count for s in group)
        end = offset + expected
        cuts = tuple(s for s in sizes if offset < s <= end or (last and s > end))
        chunks.append(Chunk(after, upto, offset, expected, tuple(group), cuts))
        after, offset = upto or after, end
    return chunks


def run_chunks(parallel: Parallel, chunks: Sequence[Chunk], local: ChunkVerifier,
               evidence: EvidenceStore | None = None,
               progress: Callable[[int], None] | None = None,
               ) -> Generator[ChunkResult, None, None]:
    """The chunks' results, in order; closing the generator early abandons the rest.

    ``local`` reads them when ``workers`` is 0; worker processes open the same database and
    ``evidence`` store themselves. ``progress`` hears of every batch of events read,
    whichever process read it.
    """
    if parallel.workers <= 0:
        for chunk in chunks:
            yield local.verify(chunk, progress)
        return
    context = multiprocessing.get_context("spawn")  # no inherited connections or threads
    events_read = context.Value("q", 0)
    with ProcessPoolExecutor(min(parallel.workers, len(chunks)), mp_context=context,
                             initializer=_start_worker,
                             initargs=(parallel.url, evidence, events_read)) as pool:
        futures: list[Future[ChunkResult]] = [pool.submit(_verify_chunk, c) for c in chunks]
        reported = 0
        try:
            for future in futures:
                while not future.done():
                    wait([future], timeout=_PROGRESS_EVERY)
                    reported = _report(events_read, reported, progress)
                yield future.result()
            _report(events_read, reported, progress)
        finally:
            for future in futures:
                future.cancel()


_PROGRESS_EVERY = 0.25  # seconds between looks at the workers' shared count


def _report(events_read: Synchronized[int], reported: int,
            progress: Callable[[int], None] | None) -> int:
    now = events_read.value
    if progress is not None and now > reported:
        progress(now - reported)
    return now


_WORKER: dict[str, ChunkVerifier] = {}  # this worker process's verifier, once started
_COUNT: dict[str, Synchronized[int]] = {}  # events read by all workers, shown as progress


def _start_worker(url: str, evidence_store: EvidenceStore | None,
                  events_read: Synchronized[int]) -> None:
    # The tables exist (the parent opened the ledger): workers starting together each
    # running the library's CREATE TABLE IF NOT EXISTS can clash in PostgreSQL's catalogue
    # ("tuple concurrently updated"), and one worker lost is the whole run lost.
    ledger = Ledger(env={"CREATE_TABLE": "no"}, url=url)
    evidence = EvidenceAudit(evidence_store, ledger.mapper) \
        if evidence_store is not None else None

    def public_key(key_id: str) -> Ed25519PublicKey:
        return ledger.key(key_id).public_key

    _WORKER["verifier"] = ChunkVerifier(ledger.store, evidence, public_key, ledger.mapper)
    _COUNT["events"] = events_read


def _verify_chunk(chunk: Chunk) -> ChunkResult:
    counter = _COUNT["events"]

    def count(events: int) -> None:
        with counter.get_lock():
            counter.value += events

    return _WORKER["verifier"].verify(chunk, count)
