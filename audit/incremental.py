"""Incremental verification: only what was appended since a verified checkpoint.

The checkpoint's signed root binds the Merkle frontier stored beside it (the frontier must hash
to that root), and the number of events up to the checkpoint's position must equal its size —
so the events before it need not be read again. The events after it are read by the same pass
as the full verification's (``audit.chunks``, as one chunk that starts at the checkpoint):
each event's hash from its bytes and its record's previous hash, gap-free positions, its place
in a signed submission whose root and signature hold under a key usable at signing time, each
submission signed after the one before it, and the roots of any later checkpoints.

Each submission is then judged as the full verification judges it (``audit.judgement``): the
roles that may sign its kinds of event, and the areas of the records it touches. A record's
area just before the window is read from its own stored events (only the records the window
touches), and those events must hash, in a chain, to the stored hash the window's first event
of the record chains to (so an altered area before the checkpoint cannot hide behind it).

Keys are taken from the key registry as the ledger holds it; the full ``tabien verify``
remains the check of everything, the registry included.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import cast
from uuid import UUID

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from eventsourcing.persistence import Mapper, StoredEvent

from audit.authority import DOCUMENT_ISSUED_TOPIC, AreaFold, AreaReader, OrderFold, OrderReader
from audit.chunks import Chunk, ChunkResult, ChunkVerifier, Heads, SubmissionCheck
from audit.continuity import SubmissionChain
from audit.judgement import judge_submission
from audit.verify import Finding, VerifyReport
from ledger.authority import AREA_TOPICS, DRAFTED_TOPICS, OrderFacts, OrderTrace
from ledger.checkpoints import log_origin
from ledger.errors import IntegrityError, NotFound, SignatureError, TabienError
from ledger.integrity import GENESIS_HASH, LogHead, event_hash_of
from ledger.keys import SigningKey, raw_public_key
from ledger.merkle import CompactRange
from ledger.note import CheckpointBody, open_note
from ledger.persistence import CheckpointRow, LedgerRecorder, LogRow, RawLogRow, SubmissionRow

__all__ = ["verify_since"]


def verify_since(store: LedgerRecorder, key: Callable[[str], SigningKey],
                 checkpoint_key_id: str, *, since: int | None = None,
                 mapper: Mapper[UUID] | None = None,
                 progress: Callable[[int], None] | None = None) -> VerifyReport:
    """Verify the events after the checkpoint of size ``since`` (default: the latest).

    ``mapper`` reads the areas of events stored under a cipher; ``progress`` hears of every
    batch of events read."""
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
    submissions = store.submissions()
    window = tuple(s for s in submissions if s.last_notification_id > base.last_notification_id)
    report.submissions = len(window)
    chunk = Chunk(base.last_notification_id, None, base.tree_size, None, window,
                  tuple(sorted({cp.tree_size for cp in later})))

    def public_key(key_id: str) -> Ed25519PublicKey:
        return key(key_id).public_key

    result = ChunkVerifier(store, None, public_key, mapper).verify(chunk, progress)
    report.events = result.count
    report.findings.extend(result.findings)
    _check_roots(result, frontier, later, key, checkpoint_key_id, report)
    fail = partial(_fail, report)
    fold = AreaFold(store.originator_from_bytes)
    fold.areas.update(_areas_before(store, mapper, result.claims,
                                    (raw for check in result.checks for raw in check.areas),
                                    fail))
    orders = OrderFold()
    orders.orders.update(_orders_before(store, mapper, result.claims, result.checks, fail))
    chain = _chain_from(base, submissions, report)
    for check in result.checks:
        _judge(store, check, fold, orders, chain, key, report)
    for missing in result.unreached:
        fail("submission", f"submission {missing.submission.submission_id}",
             "its events are missing from the log")
    return report


def _check_roots(result: ChunkResult, frontier: CompactRange, later: Sequence[CheckpointRow],
                 key: Callable[[str], SigningKey], name: str, report: VerifyReport) -> None:
    """The window's leaves after the checkpoint's frontier: every later checkpoint's root."""
    pending = deque(later)
    for end, subtrees in result.runs:
        for level, root in subtrees:
            frontier.push_subtree(root, level)
        while pending and pending[0].tree_size <= end:
            cp = pending.popleft()
            if cp.tree_size == end:
                report.checkpoints += 1
                _check_root(cp, frontier.root(), key, name, report)
            else:
                _fail(report, "checkpoint", f"checkpoint at size {cp.tree_size}",
                      "no tree of that size was passed through")
    for cp in pending:
        _fail(report, "checkpoint", f"checkpoint at size {cp.tree_size}",
              f"the log has only {frontier.size} events: history was truncated")


def _judge(store: LedgerRecorder, check: SubmissionCheck, fold: AreaFold, orders: OrderFold,
           chain: SubmissionChain, key: Callable[[str], SigningKey],
           report: VerifyReport) -> None:
    """One submission of the window, in log order: as ``audit.verify`` closes one."""
    submission = check.row.submission
    touched = fold.take(check.areas)
    where = (f"submission {submission.submission_id} (positions "
             f"{check.row.first_notification_id}-{check.row.last_notification_id})")
    chain.follow(submission, check.end - check.count, where)
    if check.count != submission.event_count:
        _fail(report, "submission", where, f"signed {submission.event_count} events but "
              f"{check.count} are in the log")
        return
    if check.root != submission.root:
        _fail(report, "submission", where, "its events do not match the signed root")
        return
    try:
        signer = key(submission.key_id)
        if check.holds_under != raw_public_key(signer.public_key):
            submission.verify_signature(signer.public_key)
        signer.check_usable_at(submission.signed_at)
    except TabienError as e:
        _fail(report, "signature", where, e.message)
        return
    report.findings.extend(judge_submission(signer, check, touched, orders, where=where,
                                            record_id=store.originator_from_bytes))


def _areas_before(store: LedgerRecorder, mapper: Mapper[UUID] | None, claims: Heads,
                  touched: Iterable[bytes], fail: Callable[[str, str, str], None]
                  ) -> dict[bytes, str | None]:
    """The area each personnel record the window touches was in just before it, read from
    the record's stored events up to the version the window's first event follows (its
    claim). Those events must chain to the claimed hash: the window's events were checked to
    chain from it and are bound by their signed roots, so an earlier event altered to move a
    record to another area shows here."""
    ids = {raw: store.originator_from_bytes(raw) for raw in set(touched) if raw in claims}
    reader = AreaReader(mapper, lambda row: LogRow(row[0], ids[row[1]], *row[2:]))
    priors: dict[bytes, str | None] = {}
    for raw, events in _histories_before(store, claims, ids, fail).items():
        area = None
        for event in events:
            if event.topic in AREA_TOPICS or event.topic == DOCUMENT_ISSUED_TOPIC:
                area = reader.area_of(_raw_row(raw, event))
        priors[raw] = area
    return priors


def _orders_before(store: LedgerRecorder, mapper: Mapper[UUID] | None, claims: Heads,
                   checks: Iterable[SubmissionCheck], fail: Callable[[str, str, str], None]
                   ) -> dict[object, OrderFacts]:
    """The orders the window issues that were drafted before it, read (and hash-checked as
    ``_areas_before`` checks areas) from their stored first events."""
    issued = {order_id for check in checks for order_id in check.orders.issued}
    ids = {raw: original for raw in claims
           if (original := store.originator_from_bytes(raw)) in issued}
    reader = OrderReader(AreaReader(mapper, lambda row: LogRow(row[0], ids[row[1]], *row[2:])),
                         store.originator_from_bytes)
    found: dict[object, OrderFacts] = {}
    for raw, events in _histories_before(store, claims, ids, fail).items():
        if events and events[0].topic in DRAFTED_TOPICS:
            drafted: dict[object, OrderFacts] = {}
            reader.add(OrderTrace(), drafted, _raw_row(raw, events[0]))
            found.update(drafted)
    return found


def _raw_row(raw: bytes, event: StoredEvent) -> RawLogRow:
    return (0, raw, event.originator_version, event.topic, event.state, b"")


def _histories_before(store: LedgerRecorder, claims: Heads, ids: dict[bytes, UUID | str],
                      fail: Callable[[str, str, str], None]) -> dict[bytes, list[StoredEvent]]:
    """Each aggregate's stored events up to the version its claim names, where they hash in
    a chain to the claimed hash (else a ``[chain]`` finding, and it is left out)."""
    if not ids:
        return {}
    histories = store.select_histories(cast(list[UUID], list(ids.values())))
    verified: dict[bytes, list[StoredEvent]] = {}
    for raw, original in ids.items():
        version, claimed = claims[raw]
        digest = GENESIS_HASH
        events = [e for e in histories.get(cast(UUID, original), [])
                  if e.originator_version <= version]
        for expected, event in enumerate(events, start=1):
            if event.originator_version != expected:
                break
            digest = event_hash_of(digest, original, event.originator_version, event.topic,
                                   event.state)
        if len(events) != version or digest != claimed:
            fail("chain", f"record {original} versions 1-{version}",
                 "its events before the checkpoint do not hash to the stored hash its later "
                 "events follow: an earlier event was altered, removed or added")
        verified[raw] = events
    return verified


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
