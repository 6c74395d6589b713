"""One pass over a run of the log: the part of verification that reads every event.

``verify_ledger`` cuts the log into chunks at submission boundaries; a chunk is checked on its
own, in this process or another, and its result is folded into the ledger-wide checks (keys,
submission signatures, checkpoints, the record chains across chunks) in log order
(``audit.verify``). For every event of its run a chunk

* recomputes the event's hash from its stored bytes, chained to its record's previous event,
  and checks the evidence files the event refers to;
* groups the events into their signed submissions and computes each submission's Merkle root;
* hashes its leaves into the fewest perfect subtrees, cut wherever a checkpoint wants the
  log's root, so that the whole tree needs no second pass.

A chunk that does not start the log cannot know its records' previous hashes. It takes each
from the database (the stored hash of the version before) and returns it as a **claim**; the
chunk before it computed the real one, and the fold compares the two. Nothing stored is
trusted: a wrong claim is a finding, as a wrong hash is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from uuid import UUID

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from eventsourcing.persistence import Mapper

from audit.authority import AreaReader, OrderReader, Traces
from audit.continuity import Positions
from audit.evidence import EvidenceAudit
from ledger.authority import OrderFacts, OrderTrace
from ledger.errors import TabienError
from ledger.findings import Finding
from ledger.integrity import GENESIS_HASH, EventHasher
from ledger.keys import raw_public_key
from ledger.merkle import AlignedRun, leaf_hash, root_of
from ledger.persistence import LedgerRecorder, LogRow, RawLogRow, SubmissionRow
from ledger.signing import CAREER, DECISION, KEYS, REQUEST, SYSTEM, kind_of_topic

__all__ = [
    "Chunk",
    "ChunkResult",
    "ChunkVerifier",
    "EventChecker",
    "Finding",
    "SubmissionCheck",
    "VerifyReport",
    "where",
]

_BATCH = 20_000

Heads = dict[bytes, tuple[int, bytes]]
"""Each record's last version and its recomputed hash, by the record id's bytes."""

Subtrees = list[tuple[int, bytes]]
"""Perfect subtrees ``(level, root)``, left to right (``ledger.merkle.aligned_subtrees``)."""


@dataclass
class VerifyReport:
    events: int = 0
    submissions: int = 0
    checkpoints: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings


def where(row: LogRow) -> str:
    return (f"record {row.originator_id} version {row.originator_version} "
            f"(position {row.notification_id})")


@dataclass
class SubmissionCheck:
    """What the pass over a submission's events found: the input to its own checks."""

    row: SubmissionRow
    count: int  # its events found in the log
    root: bytes  # the Merkle root over their recomputed hashes
    key_rows: list[LogRow]
    kinds: set[str]  # the kinds of event it holds (``ledger.signing``)
    end: int  # the tree size just after its last event
    holds_under: bytes | None = None  # a raw public key its signature was found to hold under
    areas: Traces = field(default_factory=dict)  # its records' and documents' areas
    orders: OrderTrace = field(default_factory=OrderTrace)  # what it issues, what it cites
    drafted: dict[object, OrderFacts] = field(default_factory=dict)  # orders it drafts


@dataclass
class _OpenSubmission:
    row: SubmissionRow
    leaves: list[bytes] = field(default_factory=list)
    key_rows: list[LogRow] = field(default_factory=list)
    kinds: set[str] = field(default_factory=set)
    areas: Traces = field(default_factory=dict)
    orders: OrderTrace = field(default_factory=OrderTrace)
    drafted: dict[object, OrderFacts] = field(default_factory=dict)

    def collect(self, row: RawLogRow, leaf: bytes, events: EventChecker) -> None:
        self.leaves.append(leaf)
        kind = kind_of_topic(row[3])
        self.kinds.add(kind)
        if kind == CAREER:
            events.areas.add(self.areas, row)
            events.orders.add(self.orders, self.drafted, row)
        elif kind == KEYS:
            self.key_rows.append(events.log_row(row))
        elif kind in (REQUEST, DECISION):
            events.areas.add(self.areas, row)  # a request is placed in its area as a record
        elif kind != SYSTEM:
            events.areas.add_document(self.areas, row)

    def checked(self, end: int) -> SubmissionCheck:
        return SubmissionCheck(self.row, len(self.leaves), root_of(self.leaves), self.key_rows,
                               self.kinds, end, areas=self.areas, orders=self.orders,
                               drafted=self.drafted)


class EventChecker:
    """The per-event checks: the hash from the stored bytes, chained to the record's previous
    event, and the evidence files the event refers to."""

    def __init__(self, store: LedgerRecorder, fail: Callable[[str, str, str], None],
                 evidence: EvidenceAudit | None, mapper: Mapper[UUID] | None = None) -> None:
        self.store = store
        self.fail = fail
        self.evidence = evidence
        self.heads: Heads = {}
        self.hash = EventHasher()
        self.areas = AreaReader(mapper, self.log_row)
        self.orders = OrderReader(self.areas, store.originator_from_bytes)

    def check(self, row: RawLogRow) -> bytes:
        """The event's recomputed hash; what is wrong with it goes to ``fail``."""
        _position, originator, version, topic, state, stored_hash = row
        previous_version, previous = self.heads.get(originator, _NO_EVENT)
        if version != previous_version + 1:
            self.fail("chain", self.where(row),
                      f"follows version {previous_version} of its record: an event is "
                      "missing, moved or swapped")
        digest = self.hash(previous, originator, version, topic, state)
        if digest != stored_hash:
            self.fail("hash", self.where(row), "stored bytes do not match the event's hash")
        self.heads[originator] = (version, digest)
        # Independent of the submission's standing: a file is intact or not either way.
        evidence = self.evidence
        if evidence is not None and evidence.wants(topic, state):
            for problem in evidence.problems(self.log_row(row)):
                self.fail("evidence", self.where(row), problem)
        return digest

    def log_row(self, row: RawLogRow) -> LogRow:
        position, originator, version, topic, state, stored_hash = row
        return LogRow(position, self.store.originator_from_bytes(originator), version, topic,
                      state, stored_hash)

    def where(self, row: RawLogRow) -> str:
        return where(self.log_row(row))


_NO_EVENT = (0, GENESIS_HASH)


@dataclass(frozen=True)
class Chunk:
    """A run of the log: the events after position ``after`` up to ``upto`` (None: the end).

    ``offset`` is the number of events before it and ``expected`` the number in it, as the
    submissions table has them (None: not known, for a chunk that is the whole log); ``cuts``
    are the tree sizes inside it at which a checkpoint wants the log's root.
    """

    after: int
    upto: int | None
    offset: int
    expected: int | None
    submissions: tuple[SubmissionRow, ...]
    cuts: tuple[int, ...]


@dataclass
class ChunkResult:
    count: int = 0
    findings: list[Finding] = field(default_factory=list)
    claims: Heads = field(default_factory=dict)  # previous hashes taken from the database
    heads: Heads = field(default_factory=dict)  # each record's head at the chunk's end
    runs: list[tuple[int, Subtrees]] = field(default_factory=list)  # (tree size at end, …)
    checks: list[SubmissionCheck] = field(default_factory=list)
    unreached: list[SubmissionRow] = field(default_factory=list)  # none of its events seen


class ChunkVerifier:
    """Checks chunks of one ledger; ``public_key`` (optional) lets it check signatures too.

    A signature is checked here under the key the database holds for its key id, and the
    result says which key that was: the fold accepts it only if the key registry, as verified
    from the log itself, has that very key.
    """

    def __init__(self, store: LedgerRecorder, evidence: EvidenceAudit | None,
                 public_key: Callable[[str], Ed25519PublicKey] | None = None,
                 mapper: Mapper[UUID] | None = None) -> None:
        self.store = store
        self.evidence = evidence
        self.public_key = public_key
        self.mapper = mapper  # to read the areas of events stored under a cipher

    def verify(self, chunk: Chunk, progress: Callable[[int], None] | None = None) -> ChunkResult:
        return _ChunkPass(self, chunk, progress).run()

    def signature_holds_under(self, row: SubmissionRow) -> bytes | None:
        if self.public_key is None:
            return None
        try:
            key = self.public_key(row.submission.key_id)
            row.submission.verify_signature(key)
        except (TabienError, ValueError):  # no such key, or not one; a bad signature
            return None
        return raw_public_key(key)


class _ChunkPass:
    def __init__(self, owner: ChunkVerifier, chunk: Chunk,
                 progress: Callable[[int], None] | None) -> None:
        self.owner = owner
        self.chunk = chunk
        self.progress = progress
        self.result = ChunkResult()
        self.events = EventChecker(owner.store, self.fail, owner.evidence, owner.mapper)
        self.position = chunk.offset  # the tree size so far
        self.run_of_leaves = AlignedRun(chunk.offset)
        self.pending: list[bytes] = []
        self.cuts = iter(chunk.cuts)
        self.next_cut = next(self.cuts, None)
        self.positions = Positions(chunk.after, self.fail)  # gap-free (audit.continuity)

    def fail(self, check: str, at: str, message: str) -> None:
        self.result.findings.append(Finding(check, at, message))

    def run(self) -> ChunkResult:
        chunk, result, events = self.chunk, self.result, self.events
        submissions = iter(chunk.submissions)
        current: _OpenSubmission | None = None
        upcoming = next(submissions, None)
        check_event = events.check  # a local: this loop runs once per event
        positions = self.positions
        for batch in self.batches():
            for row in batch:
                leaf = leaf_hash(check_event(row))
                self.pending.append(leaf)
                self.position += 1
                if self.position == self.next_cut:
                    self.cut()
                position = row[0]
                if position != positions.expected:
                    positions.gap(position)
                positions.expected = position + 1
                if current is None and upcoming is not None \
                        and upcoming.first_notification_id <= position:
                    current, upcoming = _OpenSubmission(upcoming), next(submissions, None)
                if current is None or position < current.row.first_notification_id:
                    self.fail("unsigned", events.where(row),
                              "event belongs to no signed submission")
                else:
                    current.collect(row, leaf, events)
                    if position >= current.row.last_notification_id:
                        self.close(current)
                        current = None
            result.count += len(batch)
            if self.progress is not None:
                self.progress(len(batch))
        if current is not None:
            self.close(current)
        self.cut()
        positions.end(chunk.upto)
        result.unreached = ([upcoming] if upcoming else []) + list(submissions)
        result.heads = events.heads
        return result

    def batches(self) -> Iterator[list[RawLogRow]]:
        for batch in self.owner.store.log_batches(self.chunk.after, self.chunk.upto, _BATCH):
            if self.chunk.after > 0:
                self.claim_previous_hashes(batch)
            yield batch

    def claim_previous_hashes(self, batch: list[RawLogRow]) -> None:
        """Take from the database the previous hash of each record new to this chunk."""
        heads = self.events.heads
        wanted: dict[bytes, int] = {}
        for row in [row for row in batch if row[1] not in heads]:
            # Only a record's first event here needs a claim: the rest follow from it.
            wanted.setdefault(row[1], row[2] - 1)
        wanted = {k: v for k, v in wanted.items() if v > 0}
        if not wanted:
            return
        store = self.owner.store
        ids = {raw: store.originator_from_bytes(raw) for raw in wanted}
        stored = store.select_hashes([(ids[raw], version) for raw, version in wanted.items()])
        for raw, version in wanted.items():
            heads[raw] = self.result.claims[raw] = (version, stored[ids[raw]])

    def cut(self) -> None:
        """End the current run of leaves here: a checkpoint wants the root at this size."""
        self.run_of_leaves.extend(self.pending)
        self.pending = []
        if self.run_of_leaves.subtrees or not self.result.runs:
            self.result.runs.append((self.position, self.run_of_leaves.subtrees))
        self.run_of_leaves = AlignedRun(self.position)
        self.next_cut = next(self.cuts, None)
        while self.next_cut is not None and self.next_cut < self.position:
            self.next_cut = next(self.cuts, None)

    def close(self, current: _OpenSubmission) -> None:
        check = current.checked(self.position)
        if check.count == check.row.submission.event_count \
                and check.root == check.row.submission.root:
            check.holds_under = self.owner.signature_holds_under(check.row)
        self.result.checks.append(check)
