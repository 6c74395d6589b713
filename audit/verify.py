"""Verify a whole ledger from its stored bytes, trusting nothing the database says about itself.

Every event is read once, in notification order (``audit.chunks``, in this process or split
between several):

* every event's hash is recomputed from its stored bytes and its record's previous event, so a
  changed byte names its record and version even if the attacker left the hash column alone,
  and the chain shows an event that was deleted, moved or swapped;
* the recomputed hashes are the leaves of the RFC 6962 Merkle log: at each checkpoint's size the
  root must equal the signed root;
* every event must belong to exactly one signed submission, whose root over its events must
  equal the signed root, under a key that was registered before it, holds a role that may sign
  each kind of event in it, is of the area of every record it touches (``audit.authority``),
  and was inside its validity period and not revoked when it signed;
* with an evidence store, every evidence file an event refers to (an ``EvidenceRef`` in its
  state) must be present with the hash and size the signed event gives (``audit.evidence``).

Only signatures and the trust anchor (the admin key of the first submission, optionally pinned)
are trusted; the stored hash column, submission ranges and checkpoint frontiers are not.

In parallel (``Parallel``) the log is cut into chunks at submission boundaries and each chunk
is read by a worker process; the chunks' results are folded together here in log order. The
parallel pass decides only whether the ledger is intact: if it finds anything, the ledger is
verified again in one pass, whose report names the first cause of each problem rather than
what it knocked on across chunk boundaries.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from eventsourcing.persistence import Mapper

from audit.authority import AreaFold, OrderFold
from audit.chunks import (
    Chunk,
    ChunkResult,
    ChunkVerifier,
    Finding,
    Heads,
    SubmissionCheck,
    VerifyReport,
    where,
)
from audit.continuity import SubmissionChain
from audit.evidence import EvidenceAudit
from audit.judgement import judge_submission
from audit.parallel import Parallel, plan_chunks, run_chunks
from ledger.checkpoints import checkpoint_time, log_origin
from ledger.errors import IntegrityError, SignatureError
from ledger.evidence import EvidenceStore
from ledger.keys import SigningKey, raw_public_key
from ledger.merkle import CompactRange
from ledger.note import CheckpointBody, open_note
from ledger.persistence import CheckpointRow, LedgerRecorder, LogRow

__all__ = ["WITNESSED", "Finding", "Parallel", "VerifyReport", "verify_in_chunks", "verify_ledger"]


@dataclass
class _KnownKey:
    key: SigningKey
    registered_at: int  # notification id of its registration
    revoked_from: int | None = None  # notification id of its revocation


class _Verifier:
    """The ledger-wide checks, fed with chunk results in log order."""

    def __init__(self, store: LedgerRecorder, mapper: Mapper[UUID], trusted_root: str | None,
                 external: Sequence[CheckpointRow] = ()) -> None:
        self.store = store
        self.mapper = mapper
        self.trusted_root = trusted_root
        self.report = VerifyReport()
        self.keys: dict[str, _KnownKey] = {}
        self.key_aggregates: dict[UUID, SigningKey] = {}
        self.heads: Heads = {}
        self.frontier = CompactRange()
        self.applied_key_events: set[int] = set()
        self.submissions = store.submissions()
        # Checkpoints kept by witnesses outside the database are checked exactly like the
        # stored ones: a history rolled back and rewritten cannot match them.
        self.pending_checkpoints = deque(sorted([*store.checkpoints(), *external],
                                                key=lambda c: c.tree_size))
        self.report.submissions = len(self.submissions)
        self.report.checkpoints = len(self.pending_checkpoints)
        self.areas = AreaFold(store.originator_from_bytes)
        self.orders = OrderFold()
        self.chain = SubmissionChain(self.fail)  # each signs what came before it

    def fail(self, check: str, where: str, message: str) -> None:
        self.report.findings.append(Finding(check, where, message))

    def whole_log(self) -> Chunk:
        """The log as one chunk: nothing about it is taken from the submissions table."""
        sizes = sorted({cp.tree_size for cp in self.pending_checkpoints if cp.tree_size > 0})
        return Chunk(0, None, 0, None, tuple(self.submissions), tuple(sizes))

    # ---------------------------------------------------------------- folding

    def fold(self, chunk: Chunk, result: ChunkResult) -> None:
        """Take in the next chunk's result; chunks must come in log order."""
        self.report.events += result.count
        self.report.findings.extend(result.findings)
        span = f"positions {chunk.after + 1}-{chunk.upto if chunk.upto is not None else 'end'}"
        if chunk.expected is not None and result.count != chunk.expected:
            self.fail("log", span, f"{result.count} events where the signed submissions "
                      f"account for {chunk.expected}")
        self.check_claims(result.claims, span)
        self.heads.update(result.heads)
        if self.frontier.size != chunk.offset:
            return  # the count above is already wrong: the tree cannot be put together
        checks = deque(result.checks)
        for end, subtrees in result.runs:
            for level, root in subtrees:
                self.frontier.push_subtree(root, level)
            # A checkpoint is signed after the log reached its size: the submissions up to
            # it are closed first, so a key registered (or revoked) in the last of them
            # counts (a checkpoint made right after `tabien init` is signed by a key its
            # last submission registered).
            while checks and checks[0].end <= end:
                self.close_submission(checks.popleft())
            self.checkpoints_at(end)
        while checks:
            self.close_submission(checks.popleft())
        for missing in result.unreached:
            self.fail("submission", f"submission {missing.submission.submission_id}",
                      "its events are missing from the log")

    def check_claims(self, claims: Heads, span: str) -> None:
        """A chunk took these previous hashes from the database; the chunks before it know."""
        for originator, claim in claims.items():
            if self.heads.get(originator) != claim:
                record = self.store.originator_from_bytes(originator)
                self.fail("chain", f"record {record} version {claim[0] + 1} ({span})",
                          "the stored hash of its previous event is not the recomputed one: "
                          "an event is missing, moved, swapped or altered")

    def checkpoints_at(self, size: int) -> None:
        pending = self.pending_checkpoints
        while pending and pending[0].tree_size <= size:
            cp = pending.popleft()
            if cp.tree_size == size:
                self.check_checkpoint(cp, self.frontier.root())
            else:
                self.fail("checkpoint", f"checkpoint at size {cp.tree_size}",
                          "no tree of that size was passed through")

    def finish(self) -> VerifyReport:
        """Checkpoints that the log's events never reached."""
        for cp in self.pending_checkpoints:
            label = "witnessed checkpoint" if cp.last_notification_id == WITNESSED \
                else "checkpoint"
            self.fail("checkpoint", f"{label} at size {cp.tree_size}",
                      f"the log has only {self.frontier.size} events: history was truncated")
        self.pending_checkpoints.clear()
        return self.report

    # ---------------------------------------------------------------- keys

    def learn_key_events(self, rows: list[LogRow]) -> dict[str, _KnownKey]:
        """Apply a verified submission's key events; return the keys they touched."""
        touched: dict[str, _KnownKey] = {}
        for row in rows:
            if row.notification_id in self.applied_key_events:
                continue
            self.applied_key_events.add(row.notification_id)
            try:
                event = self.mapper.to_domain_event(row.stored_event())
                aggregate = self.key_aggregates.get(row.originator_id)  # type: ignore[arg-type]
                mutated = event.mutate(aggregate)  # type: ignore[attr-defined]
            except Exception as e:
                self.fail("key-registry", where(row), f"key event does not apply: {e}")
                continue
            assert isinstance(mutated, SigningKey)
            self.key_aggregates[mutated.id] = mutated
            known = self.keys.get(mutated.key_id)
            if known is None:
                known = self.keys[mutated.key_id] = _KnownKey(mutated, row.notification_id)
            elif mutated.revoked_at is not None and known.revoked_from is None:
                known.revoked_from = row.notification_id
            touched[mutated.key_id] = known
        return touched

    # ----------------------------------------------------------- submissions

    def close_submission(self, check: SubmissionCheck) -> None:
        submission = check.row.submission
        touched = self.areas.take(check.areas)
        where = (f"submission {submission.submission_id} (positions "
                 f"{check.row.first_notification_id}-{check.row.last_notification_id})")
        self.chain.follow(submission, check.end - check.count, where)
        if check.count != submission.event_count:
            self.fail("submission", where, f"signed {submission.event_count} events but "
                      f"{check.count} are in the log")
        elif check.root != submission.root:
            self.fail("submission", where, "the events do not match the signed Merkle root")
        # Key events change what later signatures may rely on: they count only once the
        # submission carrying them is intact, properly signed and judged sound.
        elif (known := self.check_submission_key(check, where)) is not None:
            problems = judge_submission(known.key, check, touched, self.orders, where=where,
                                        record_id=self.store.originator_from_bytes)
            self.report.findings.extend(problems)
            if not problems and check.key_rows:
                self.learn_key_events(check.key_rows)

    def check_submission_key(self, current: SubmissionCheck, where: str) -> _KnownKey | None:
        """The key that signed the submission, if it is registered and the signature holds
        under it at a moment it was usable; else None, and a finding says why."""
        submission = current.row.submission
        first_id = current.row.first_notification_id
        known = self.keys.get(submission.key_id)
        if known is None and first_id == 1:
            known = self.learn_key_events(current.key_rows).get(submission.key_id)
            if known is not None and not self.is_trust_anchor(known, first_id):
                known = None
        if known is None:
            self.fail("signature", where, f"key {submission.key_id} is not registered")
            return None
        try:
            # A signature already found to hold under this very key need not be checked again.
            if current.holds_under != raw_public_key(known.key.public_key):
                submission.verify_signature(known.key.public_key)
            self.check_key_valid(known, submission.signed_at, first_id)
        except SignatureError as e:
            self.fail("signature", where, e.message)
            return None
        return known

    def is_trust_anchor(self, known: _KnownKey, first_id: int) -> bool:
        if first_id != 1 or known.key.role != "admin":
            return False
        if self.trusted_root is not None and self.trusted_root != known.key.key_id:
            self.fail("trust-root", "genesis", f"the ledger's root key {known.key.key_id} is "
                      f"not the pinned one ({self.trusted_root})")
        return True

    @staticmethod
    def check_key_valid(known: _KnownKey, moment: datetime, position: int) -> None:
        key = known.key
        revoked_at = key.revoked_at
        # A revocation recorded after this submission does not reach back to it.
        if known.revoked_from is not None and known.revoked_from > position:
            key.revoked_at = None
        try:
            key.check_usable_at(moment)
        finally:
            key.revoked_at = revoked_at

    # ----------------------------------------------------------- checkpoints

    def check_checkpoint(self, cp: CheckpointRow, root: bytes) -> None:
        where = f"checkpoint at size {cp.tree_size}"
        if cp.last_notification_id == WITNESSED:
            where = f"witnessed checkpoint at size {cp.tree_size}"
        verifiers = {k.key.name: k.key.public_key for k in self.keys.values()
                     if k.key.role == "checkpoint"}
        try:
            note = open_note(cp.note, verifiers)
            body = CheckpointBody.parse(note.text)
        except (SignatureError, IntegrityError) as e:
            self.fail("checkpoint", where, e.message)
            return
        if body.origin != log_origin():
            self.fail("checkpoint", where, f"origin {body.origin!r} is not this log's")
        if body.size != cp.tree_size:
            self.fail("checkpoint", where, f"the signed note says size {body.size}")
        elif body.root != root:
            self.fail("checkpoint", where, "the log's Merkle root differs from the signed root")
        moment = checkpoint_time(body)
        for name in note.signers:
            known = next(k for k in self.keys.values() if k.key.name == name
                         and k.key.role == "checkpoint")
            if moment is not None:
                try:
                    known.key.check_usable_at(moment)
                except SignatureError as e:
                    self.fail("checkpoint", where, e.message)


def verify_ledger(store: LedgerRecorder, mapper: Mapper[UUID], *,
                  trusted_root: str | None = None,
                  progress: Callable[[int], None] | None = None,
                  evidence: EvidenceStore | None = None,
                  external: Sequence[CheckpointRow] = (),
                  parallel: Parallel | None = None) -> VerifyReport:
    """Check everything; the report's findings are empty when the ledger is intact.

    With ``evidence``, the files that events refer to are checked as well; ``external`` are
    checkpoints kept outside the database (``WITNESSED`` as their notification id);
    ``parallel`` splits the reading between worker processes.
    """
    audit = EvidenceAudit(evidence, mapper) if evidence is not None else None
    if parallel is not None:
        shown = _Shown(progress)
        report = verify_in_chunks(store, mapper, parallel, trusted_root=trusted_root,
                                  external=external, evidence=evidence, progress=shown)
        if report is not None and report.ok:
            return report
        shown.rewind()  # the bar starts again with the single pass
    verifier = _Verifier(store, mapper, trusted_root, external)
    chunk = verifier.whole_log()
    verifier.fold(chunk, ChunkVerifier(store, audit, mapper=mapper).verify(chunk, progress))
    return verifier.finish()


class _Shown:
    """A progress callback that remembers how far it went, to go back to the start."""

    def __init__(self, progress: Callable[[int], None] | None) -> None:
        self.progress = progress
        self.total = 0

    def __call__(self, events: int) -> None:
        self.total += events
        if self.progress is not None:
            self.progress(events)

    def rewind(self) -> None:
        self(-self.total)


def verify_in_chunks(store: LedgerRecorder, mapper: Mapper[UUID], parallel: Parallel, *,
                     trusted_root: str | None = None, external: Sequence[CheckpointRow] = (),
                     evidence: EvidenceStore | None = None,
                     progress: Callable[[int], None] | None = None) -> VerifyReport | None:
    """The parallel pass alone, stopped at its first finding: ``ok`` only if the ledger is
    intact. None when the submissions table does not describe a log that can be split."""
    audit = EvidenceAudit(evidence, mapper) if evidence is not None else None
    verifier = _Verifier(store, mapper, trusted_root, external)
    chunks = plan_chunks(verifier.submissions, verifier.pending_checkpoints,
                         parallel.chunk_events(verifier.submissions))
    if chunks is None:
        return None
    local = ChunkVerifier(store, audit, mapper=mapper)
    results = run_chunks(parallel, chunks, local, evidence, progress)
    try:
        for chunk, result in zip(chunks, results, strict=True):
            verifier.fold(chunk, result)
            if verifier.report.findings:
                return verifier.report
    finally:
        results.close()
    return verifier.finish()


WITNESSED = -1
"""The notification id given to a checkpoint that comes from a witness, not the database."""
