"""Verify a whole ledger from its stored bytes, trusting nothing the database says about itself.

One pass over the log in notification order:

* every event's hash is recomputed from its stored bytes and its record's previous event, so a
  changed byte names its record and version even if the attacker left the hash column alone,
  and the chain shows an event that was deleted, moved or swapped;
* the recomputed hashes are the leaves of the RFC 6962 Merkle log: at each checkpoint's size the
  root must equal the signed root;
* every event must belong to exactly one signed submission, whose root over its events must
  equal the signed root, under a key that was registered before it, holds a role that may sign
  it, and was inside its validity period and not revoked when it signed;
* with an evidence store, every evidence file an event refers to (an ``EvidenceRef`` in its
  state) must be present with the hash and size the signed event gives (``audit.evidence``).

Only signatures and the trust anchor (the admin key of the first submission, optionally pinned)
are trusted; the stored hash column, submission ranges and checkpoint frontiers are not.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from eventsourcing.persistence import Mapper

from audit.evidence import EvidenceAudit
from ledger.checkpoints import checkpoint_time, log_origin
from ledger.errors import IntegrityError, SignatureError
from ledger.evidence import EvidenceStore
from ledger.integrity import GENESIS_HASH, event_hash_of
from ledger.keys import SigningKey
from ledger.merkle import CompactRange, leaf_hash, root_of
from ledger.note import CheckpointBody, open_note
from ledger.persistence import CheckpointRow, LedgerRecorder, LogRow, SubmissionRow

__all__ = ["WITNESSED", "Finding", "VerifyReport", "verify_ledger"]

_KEY_TOPIC_PREFIX = "ledger.keys:SigningKey"


@dataclass(frozen=True)
class Finding:
    """One thing that is wrong, said so that an auditor can find it."""

    check: str
    where: str
    message: str

    def __str__(self) -> str:
        return f"[{self.check}] {self.where}: {self.message}"


@dataclass
class VerifyReport:
    events: int = 0
    submissions: int = 0
    checkpoints: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings


@dataclass
class _KnownKey:
    key: SigningKey
    registered_at: int  # notification id of its registration
    revoked_from: int | None = None  # notification id of its revocation


@dataclass
class _OpenSubmission:
    row: SubmissionRow
    leaves: list[bytes] = field(default_factory=list)
    key_rows: list[LogRow] = field(default_factory=list)
    career: bool = False


class _Verifier:
    def __init__(self, store: LedgerRecorder, mapper: Mapper[UUID], trusted_root: str | None,
                 progress: Callable[[int], None] | None,
                 evidence: EvidenceStore | None = None,
                 external: Sequence[CheckpointRow] = ()) -> None:
        self.store = store
        self.external = list(external)
        self.mapper = mapper
        self.evidence = EvidenceAudit(evidence, mapper) if evidence is not None else None
        self.trusted_root = trusted_root
        self.progress = progress
        self.report = VerifyReport()
        self.keys: dict[str, _KnownKey] = {}
        self.key_aggregates: dict[UUID, SigningKey] = {}
        self.heads: dict[UUID | str, tuple[int, bytes]] = {}
        self.frontier = CompactRange()
        self.applied_key_events: set[int] = set()

    def fail(self, check: str, where: str, message: str) -> None:
        self.report.findings.append(Finding(check, where, message))

    # ---------------------------------------------------------------- the pass

    def run(self) -> VerifyReport:
        submissions = self.store.submissions()
        # Checkpoints kept by witnesses outside the database are checked exactly like the
        # stored ones: a history rolled back and rewritten cannot match them.
        checkpoints = sorted([*self.store.checkpoints(), *self.external],
                             key=lambda c: c.tree_size)
        self.report.submissions = len(submissions)
        self.report.checkpoints = len(checkpoints)
        pending_checkpoints = iter(checkpoints)
        next_checkpoint = next(pending_checkpoints, None)
        sub_iter: Iterator[SubmissionRow] = iter(submissions)
        current: _OpenSubmission | None = None
        upcoming = next(sub_iter, None)
        evidence = self.evidence  # a local: this loop runs once per event
        for row in self.store.iter_log():
            digest = self.check_event(row)
            # Independent of the submission's standing: a file is intact or not either way.
            if evidence is not None and evidence.wants(row):
                self.check_evidence(row, evidence)
            self.frontier.append(leaf_hash(digest))
            while next_checkpoint is not None and next_checkpoint.tree_size == self.frontier.size:
                self.check_checkpoint(next_checkpoint, self.frontier.root())
                next_checkpoint = next(pending_checkpoints, None)
            if current is None and upcoming is not None \
                    and upcoming.first_notification_id <= row.notification_id:
                current, upcoming = _OpenSubmission(upcoming), next(sub_iter, None)
            if current is None or row.notification_id < current.row.first_notification_id:
                self.fail("unsigned", self.where(row), "event belongs to no signed submission")
            else:
                self.collect(current, row, digest)
                if row.notification_id >= current.row.last_notification_id:
                    self.close_submission(current)
                    current = None
            self.report.events += 1
            if self.progress is not None and self.report.events % 10_000 == 0:
                self.progress(10_000)
        if self.progress is not None:
            self.progress(self.report.events % 10_000)
        if current is not None:
            self.close_submission(current)
        self.report_beyond_the_log(([upcoming] if upcoming else []) + list(sub_iter),
                                   ([next_checkpoint] if next_checkpoint else [])
                                   + list(pending_checkpoints))
        return self.report

    def report_beyond_the_log(self, submissions: list[SubmissionRow],
                              checkpoints: list[CheckpointRow]) -> None:
        """Submissions and checkpoints that the log's events never reached."""
        for missing in submissions:
            self.fail("submission", f"submission {missing.submission.submission_id}",
                      "its events are missing from the log")
        for cp in checkpoints:
            label = "witnessed checkpoint" if cp.last_notification_id == WITNESSED \
                else "checkpoint"
            self.fail("checkpoint", f"{label} at size {cp.tree_size}",
                      f"the log has only {self.frontier.size} events: history was truncated")

    @staticmethod
    def where(row: LogRow) -> str:
        return (f"record {row.originator_id} version {row.originator_version} "
                f"(position {row.notification_id})")

    # ---------------------------------------------------------------- events

    def check_event(self, row: LogRow) -> bytes:
        previous_version, previous = self.heads.get(row.originator_id, (0, GENESIS_HASH))
        if row.originator_version != previous_version + 1:
            self.fail("chain", self.where(row),
                      f"follows version {previous_version} of its record: an event is "
                      "missing, moved or swapped")
        digest = event_hash_of(previous, row.originator_id, row.originator_version, row.topic,
                               row.state)
        if digest != row.event_hash:
            self.fail("hash", self.where(row), "stored bytes do not match the event's hash")
        self.heads[row.originator_id] = (row.originator_version, digest)
        return digest

    def check_evidence(self, row: LogRow, evidence: EvidenceAudit) -> None:
        for problem in evidence.problems(row):
            self.fail("evidence", self.where(row), problem)

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
                self.fail("key-registry", self.where(row), f"key event does not apply: {e}")
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

    @staticmethod
    def collect(current: _OpenSubmission, row: LogRow, digest: bytes) -> None:
        current.leaves.append(leaf_hash(digest))
        if row.topic.startswith(_KEY_TOPIC_PREFIX):
            current.key_rows.append(row)
        else:
            current.career = True

    def close_submission(self, current: _OpenSubmission) -> None:
        submission = current.row.submission
        where = (f"submission {submission.submission_id} (positions "
                 f"{current.row.first_notification_id}-{current.row.last_notification_id})")
        if len(current.leaves) != submission.event_count:
            self.fail("submission", where, f"signed {submission.event_count} events but "
                      f"{len(current.leaves)} are in the log")
        elif root_of(current.leaves) != submission.root:
            self.fail("submission", where, "the events do not match the signed Merkle root")
        # Key events change what later signatures may rely on: they count only once the
        # submission carrying them is intact and properly signed.
        elif self.check_submission_key(current, where) and current.key_rows:
            self.learn_key_events(current.key_rows)

    def check_submission_key(self, current: _OpenSubmission, where: str) -> bool:
        submission = current.row.submission
        first_id = current.row.first_notification_id
        known = self.keys.get(submission.key_id)
        if known is None and first_id == 1:
            known = self.learn_key_events(current.key_rows).get(submission.key_id)
            if known is not None and not self.is_trust_anchor(known, first_id):
                known = None
        if known is None:
            self.fail("signature", where, f"key {submission.key_id} is not registered")
            return False
        try:
            submission.verify_signature(known.key.public_key)
            self.check_key_valid(known, submission.signed_at, first_id)
        except SignatureError as e:
            self.fail("signature", where, e.message)
            return False
        role_ok = (not current.key_rows or known.key.role == "admin") and \
                  (not current.career or known.key.role in ("registrar", "authority"))
        if not role_ok:
            self.fail("signature", where, f"a {known.key.role} key may not sign these events")
        return role_ok

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
                  external: Sequence[CheckpointRow] = ()) -> VerifyReport:
    """Check everything; the report's findings are empty when the ledger is intact.

    With ``evidence``, the files that events refer to are checked as well; ``external`` are
    checkpoints kept outside the database (``WITNESSED`` as their notification id).
    """
    return _Verifier(store, mapper, trusted_root, progress, evidence, external).run()


WITNESSED = -1
"""The notification id given to a checkpoint that comes from a witness, not the database."""
