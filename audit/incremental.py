"""Incremental verification: only what was appended since a verified checkpoint.

The checkpoint's signed root binds the Merkle frontier stored beside it (the frontier must hash
to that root), and the number of events up to the checkpoint's position must equal its size —
so the events before it need not be read again. Every later event is then checked as the full
verification checks it: its hash from its bytes and its record's previous hash, its place in
a signed submission whose root and signature hold under a key usable at signing time, and the
roots of any later checkpoints. Keys are taken from the key registry as the ledger holds it;
the full ``tabien verify`` remains the check of everything, the registry included.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable
from functools import partial
from uuid import UUID

from audit.continuity import Positions, SubmissionChain
from audit.verify import Finding, VerifyReport
from ledger.checkpoints import log_origin
from ledger.errors import IntegrityError, NotFound, SignatureError, TabienError
from ledger.integrity import LogHead, event_hash_of
from ledger.keys import SigningKey
from ledger.merkle import CompactRange, leaf_hash, root_of
from ledger.note import CheckpointBody, open_note
from ledger.persistence import CheckpointRow, LedgerRecorder, LogRow, SubmissionRow

__all__ = ["verify_since"]


def verify_since(store: LedgerRecorder, key: Callable[[str], SigningKey],
                 checkpoint_key_id: str, *, since: int | None = None) -> VerifyReport:
    """Verify the events after the checkpoint of size ``since`` (default: the latest)."""
    report = VerifyReport()
    rows = store.checkpoints()
    if not rows:
        raise NotFound("no checkpoint to start from: run a full `tabien verify`",
                       "ไม่มีจุดตรวจสอบให้เริ่ม: ใช้ tabien verify แบบเต็ม")
    base = rows[-1] if since is None else next((r for r in rows if r.tree_size == since), None)
    if base is None:
        raise NotFound(f"no checkpoint at size {since}", f"ไม่มีจุดตรวจสอบที่ขนาด {since}")
    frontier = _trusted_frontier(store, base, key, checkpoint_key_id, report)
    if frontier is None:
        return report
    later = [r for r in rows if r.tree_size > base.tree_size]
    new_rows = list(store.iter_log(after=base.last_notification_id))
    positions = Positions(base.last_notification_id, partial(_fail, report))
    for row in new_rows:
        positions.see(row.notification_id)
    digests = _check_events(store, new_rows, report)
    for digest in digests:
        frontier.append(leaf_hash(digest))
        report.events += 1
        for cp in [c for c in later if c.tree_size == frontier.size]:
            report.checkpoints += 1
            _check_root(cp, frontier.root(), key, checkpoint_key_id, report)
    for cp in later:
        if cp.tree_size > frontier.size:
            _fail(report, "checkpoint", f"checkpoint at size {cp.tree_size}",
                  f"the log has only {frontier.size} events: history was truncated")
    by_position = dict(zip((r.notification_id for r in new_rows), digests, strict=True))
    covered: set[int] = set()
    submissions = store.submissions()
    chain = _chain_from(base, submissions, report)
    new_positions = [r.notification_id for r in new_rows]
    for submission in submissions:
        if submission.last_notification_id > base.last_notification_id:
            report.submissions += 1
            before = base.tree_size + bisect_left(new_positions,
                                                  submission.first_notification_id)
            chain.follow(submission.submission, before,
                         f"submission {submission.submission.submission_id}")
            covered.update(range(submission.first_notification_id,
                                 submission.last_notification_id + 1))
            _check_submission(submission, by_position, key, report)
    for row in new_rows:
        if row.notification_id not in covered:
            _fail(report, "unsigned", f"record {row.originator_id} version "
                  f"{row.originator_version} (position {row.notification_id})",
                  "event belongs to no signed submission")
    return report


def _chain_from(base: CheckpointRow, submissions: list[SubmissionRow],
                report: VerifyReport) -> SubmissionChain:
    """The submission chain as the checkpoint leaves it: the submission ending there is
    taken as stored (the full verification checks it)."""
    chain = SubmissionChain(partial(_fail, report))
    if base.tree_size > 0:
        last = next((s for s in submissions
                     if s.last_notification_id == base.last_notification_id), None)
        if last is None:
            _fail(report, "continuity", f"checkpoint at size {base.tree_size}",
                  "no submission ends at its position")
        else:
            chain.head = LogHead(base.tree_size, last.submission.hash)
    return chain


def _fail(report: VerifyReport, check: str, where: str, message: str) -> None:
    report.findings.append(Finding(check, where, message))


def _signed_body(cp: CheckpointRow, key: Callable[[str], SigningKey], name: str,
                 report: VerifyReport) -> CheckpointBody | None:
    where = f"checkpoint at size {cp.tree_size}"
    signer = _key_named(key, name)
    if signer is None:
        _fail(report, "checkpoint", where, f"the checkpoint key {name} is not registered")
        return None
    try:
        body = CheckpointBody.parse(open_note(cp.note, {signer.name: signer.public_key}).text)
    except (SignatureError, IntegrityError) as e:
        _fail(report, "checkpoint", where, e.message)
        return None
    if body.origin != log_origin() or body.size != cp.tree_size:
        _fail(report, "checkpoint", where, "origin or size differs from the signed note")
        return None
    return body


def _key_named(key: Callable[[str], SigningKey], name: str) -> SigningKey | None:
    try:
        return key(name)
    except TabienError:
        return None


def _trusted_frontier(store: LedgerRecorder, base: CheckpointRow,
                      key: Callable[[str], SigningKey], name: str,
                      report: VerifyReport) -> CompactRange | None:
    body = _signed_body(base, key, name, report)
    if body is None:
        return None
    where = f"checkpoint at size {base.tree_size}"
    frontier = CompactRange.from_bytes(base.compact_range)
    if frontier.size != body.size or frontier.root() != body.root:
        _fail(report, "checkpoint", where, "the stored frontier does not hash to the signed "
              "root: run a full verification")
        return None
    covered = store.count_events(upto=base.last_notification_id)
    if covered != base.tree_size:
        _fail(report, "checkpoint", where, f"{covered} events lie at or before its position, "
              f"not {base.tree_size}: history before it was changed; run a full verification")
        return None
    return frontier


def _check_root(cp: CheckpointRow, root: bytes, key: Callable[[str], SigningKey], name: str,
                report: VerifyReport) -> None:
    body = _signed_body(cp, key, name, report)
    if body is not None and body.root != root:
        _fail(report, "checkpoint", f"checkpoint at size {cp.tree_size}",
              "the log's Merkle root differs from the signed root")


def _check_events(store: LedgerRecorder, rows: list[LogRow], report: VerifyReport
                  ) -> list[bytes]:
    firsts: dict[UUID | str, int] = {}
    for row in rows:
        firsts.setdefault(row.originator_id, row.originator_version)
    heads = store.select_hashes([(k, v - 1) for k, v in firsts.items()])
    versions = {k: v - 1 for k, v in firsts.items()}
    digests = []
    for row in rows:
        where = f"record {row.originator_id} version {row.originator_version} " \
                f"(position {row.notification_id})"
        if row.originator_version != versions[row.originator_id] + 1:
            _fail(report, "chain", where, "an event of its record is missing, moved or swapped")
        digest = event_hash_of(heads[row.originator_id], row.originator_id,
                               row.originator_version, row.topic, row.state)
        if digest != row.event_hash:
            _fail(report, "hash", where, "stored bytes do not match the event's hash")
        heads[row.originator_id], versions[row.originator_id] = digest, row.originator_version
        digests.append(digest)
    return digests


def _check_submission(row: SubmissionRow, digests: dict[int, bytes],
                      key: Callable[[str], SigningKey], report: VerifyReport) -> None:
    submission = row.submission
    where = f"submission {submission.submission_id}"
    leaves = [leaf_hash(digests[p]) for p in
              range(row.first_notification_id, row.last_notification_id + 1) if p in digests]
    if len(leaves) != submission.event_count or root_of(leaves) != submission.root:
        _fail(report, "submission", where, "its events do not match the signed root")
        return
    try:
        signer = key(submission.key_id)
        submission.verify_signature(signer.public_key)
        signer.check_usable_at(submission.signed_at)
    except TabienError as e:
        _fail(report, "signature", where, e.message)
