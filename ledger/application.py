"""The ``Ledger``: the library's ``Application`` wired for signed, hash-chained appends.

Writing is three steps, so that signing can happen where the private key is:

1. ``prepare`` turns the pending events of some aggregates into stored events and their
   chained hashes (a ``Draft``);
2. a ``Signer`` signs the draft's Merkle root (``Draft.sign``) — one signature per submission
   — and the log it follows (its size and last submission's hash, read by ``prepare``);
3. ``append`` re-derives every hash from the stored bytes, checks the signature, the key's
   registration, role and validity at signing time, and records events and submission in one
   transaction.

``submit`` does all three in-process. The library's plain ``save`` is refused: nothing enters
the ledger unsigned.
"""

from __future__ import annotations

import gc
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate, CanMutateAggregate, DomainEventProtocol
from eventsourcing.persistence import IntegrityError as StoreIntegrityError
from eventsourcing.persistence import Mapper, Recording, StoredEvent, Transcoder
from eventsourcing.utils import EnvType

from ledger.access import AreaAccess, RecordAccess
from ledger.authority import (
    AreaTrace,
    OrderFacts,
    OrderTrace,
    area_set_by,
    citation,
    key_areas,
    order_bound,
    order_problems,
    outside,
)
from ledger.config import database_env, database_url
from ledger.documents import IssuedDocument
from ledger.errors import AlreadyWritten, Conflict, NotFound, SignatureError
from ledger.integrity import (
    GENESIS_HASH,
    START_OF_LOG,
    LogHead,
    Submission,
    chain_hashes,
    sign_submission,
    submission_root,
)
from ledger.keys import KEY_ROLES, Signer, SigningKey, key_record_id
from ledger.merkle import CompactRange, leaf_hash
from ledger.order import Order
from ledger.persistence import KeyMovedOn, KeyVersion, LedgerRecorder, LogMovedOn, SignedBatch
from ledger.record import PersonnelRecord
from ledger.self_service import ChangeRequest, RecordConfirmations, RequestIndex, signing_problems
from ledger.signing import (
    CAREER,
    DECISION,
    ISSUANCE,
    KEYS,
    REQUEST,
    REVOCATION,
    SIGNERS,
    SYSTEM,
    kind_of_event,
)
from ledger.transcoder import CanonicalTranscoder, LedgerMapper

__all__ = ["CLOCK_SKEW", "Draft", "Ledger", "roles_for", "submissions_of_attempt"]

_HEAD_CACHE_SIZE = 500_000
_STREAM_FROM = 2_000  # events in one submission from which submit() streams
_STREAM_CHUNK = 1_000
_HISTORIES_AT_ONCE = 1_000  # records whose events one query reads (``histories``)
_KEY_RECHECKS = 3  # times a key found changed under the write lock is brought up to date
_LOG_RESIGNS = 200  # times submit() signs again after another writer came first
CLOCK_SKEW = timedelta(minutes=5)
"""How far a submission's signing time may be from the ledger's clock when it is appended."""


def roles_for(aggregate: object) -> frozenset[str]:
    """The key roles that may sign an aggregate's events, as far as its type says
    (``ledger.signing``: a document's issuance and its revocation differ; ``_check_role``
    judges each event)."""
    if isinstance(aggregate, SigningKey):
        return SIGNERS[KEYS]
    if isinstance(aggregate, RecordAccess | AreaAccess):
        return SIGNERS[SYSTEM]
    if isinstance(aggregate, IssuedDocument):
        return SIGNERS[ISSUANCE] | SIGNERS[REVOCATION]
    if isinstance(aggregate, RecordConfirmations | RequestIndex):
        return SIGNERS[REQUEST]
    if isinstance(aggregate, ChangeRequest):
        return SIGNERS[REQUEST] | SIGNERS[DECISION]
    return SIGNERS[CAREER]


class _Versioned(Protocol):
    @property
    def originator_id(self) -> UUID | str: ...

    @property
    def originator_version(self) -> int: ...


def _collect(aggregates: Sequence[Aggregate]) -> list[CanMutateAggregate[UUID]]:
    events: list[CanMutateAggregate[UUID]] = []
    for aggregate in aggregates:
        events.extend(aggregate.collect_events())
    return events


@contextmanager
def _conflicts_refused(store: LedgerRecorder, submission_id: UUID) -> Iterator[None]:
    """A primary-key clash means another writer took a version first: a domain conflict —
    or, for a submission named by an attempt, that attempt's earlier run wrote it."""
    try:
        yield
    except StoreIntegrityError as e:
        if _attempt.get() is not None and store.has_any_submission([submission_id]):
            raise AlreadyWritten from e
        raise Conflict(
            "another submission changed one of these records first; reload and retry",
            "มีการบันทึกรายการของทะเบียนประวัตินี้ก่อนหน้าแล้ว กรุณาโหลดใหม่และลองอีกครั้ง",
        ) from e


_ATTEMPT_SUBMISSIONS = 64  # submissions of one attempt looked for when it is run again


@dataclass
class _Attempt:
    attempt_id: UUID
    made: int = 0

    def next_submission_id(self) -> UUID:
        self.made += 1
        return submission_id_of(self.attempt_id, self.made)


def submission_id_of(attempt_id: UUID, n: int) -> UUID:
    """The id of an attempt's ``n``-th submission (from 1)."""
    return uuid.uuid5(attempt_id, str(n))


_attempt: ContextVar[_Attempt | None] = ContextVar("tabien_submission_attempt", default=None)


@contextmanager
def submissions_of_attempt(attempt_id: UUID) -> Iterator[None]:
    """Submissions made inside this block are named by ``attempt_id`` — its first, second …
    submission — instead of at random.

    An attempt is one run of a write that can be run again after its process died (the
    HTTP API's idempotency claims): run again under the same attempt, its first submission
    gets the id that the dead run's first submission had, the store refuses the duplicate,
    and ``AlreadyWritten`` says so instead of the write being made twice.
    """
    token = _attempt.set(_Attempt(attempt_id))
    try:
        yield
    finally:
        _attempt.reset(token)


def _new_submission_id() -> UUID:
    attempt = _attempt.get()
    return attempt.next_submission_id() if attempt is not None else uuid.uuid4()


@contextmanager
def _paused_gc(batch_size: int) -> Iterator[None]:
    """Pause the cyclic garbage collector while a large batch is mapped and written.

    A 10,000-event order allocates tens of thousands of short-lived, acyclic objects; with a
    large heap (a registrar's session holds thousands of records) the collector's repeated
    passes would cost more than the work itself. Nothing here creates reference cycles, and
    the collector resumes when the batch is done.
    """
    if batch_size < 1_000 or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@dataclass(frozen=True)
class Draft:
    """Events ready to be signed: their stored form and their chained hashes."""

    domain_events: tuple[CanMutateAggregate[UUID], ...]
    stored_events: tuple[StoredEvent, ...]
    event_hashes: tuple[bytes, ...]
    root: bytes
    aggregates: dict[UUID, Aggregate]
    head: LogHead = START_OF_LOG  # the log it is to follow

    def sign(self, signer: Signer, purpose: str, *, signed_at: datetime | None = None,
             submission_id: UUID | None = None) -> Submission:
        return sign_submission(
            signer.private_key, submission_id=submission_id or uuid.uuid4(),
            key_id=signer.key_id, signed_at=signed_at or datetime.now(UTC), purpose=purpose,
            event_hashes=self.event_hashes, root=self.root, after=self.head)


def _version_of(key: SigningKey, draft: Draft) -> KeyVersion | None:
    """The key version a submission was checked against; None for the genesis key, which is
    registered by the very submission it signs (so the store has no version of it yet)."""
    if draft.aggregates.get(key.id) is key:
        return None
    return KeyVersion(key.key_id, key.id, key.version)


def _log_moved_on() -> Conflict:
    return Conflict("the log has moved on since this submission was signed; sign it again",
                    "มีการบันทึกรายการอื่นก่อนหน้าหลังจากลงนาม กรุณาลงนามใหม่อีกครั้ง")


def _key_keeps_changing(key_id: str) -> Conflict:
    return Conflict(f"key {key_id} kept changing while this submission was written; try again",
                    "กุญแจที่ใช้ลงนามถูกเปลี่ยนแปลงระหว่างบันทึก กรุณาลองอีกครั้ง")


class Ledger(Application[UUID]):
    """The signed career ledger of one installation."""

    name = "Ledger"

    def __init__(self, env: EnvType | None = None, *, url: str | None = None) -> None:
        merged = dict(database_env(url or database_url()))
        merged.update(env or {})
        super().__init__(merged)
        self._heads: dict[UUID | str, tuple[int, bytes]] = {}
        self._keys: dict[str, SigningKey] = {}
        self._log_head: LogHead | None = None  # as this process last wrote or read it

    def construct_transcoder(self) -> Transcoder:
        return CanonicalTranscoder()

    def construct_mapper(self) -> Mapper[UUID]:
        return self.factory.mapper(transcoder=self.construct_transcoder(),
                                   mapper_class=LedgerMapper)

    @property
    def store(self) -> LedgerRecorder:
        return cast(LedgerRecorder, self.recorder)

    # ----------------------------------------------------------------- writing

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:
        raise SignatureError("the ledger records only signed submissions: use submit()",
                             "สมุดทะเบียนรับเฉพาะรายการที่ลงลายมือชื่อดิจิทัลแล้ว")

    def prepare(self, *aggregates: Aggregate) -> Draft:
        """Collect pending events and hash them onto their records' chains, to follow the
        log as it stands now."""
        self._log_head = None
        return self._draft(_collect(aggregates), aggregates)

    def _draft(self, events: list[CanMutateAggregate[UUID]],
               aggregates: Sequence[Aggregate]) -> Draft:
        with _paused_gc(len(events)):
            stored = [self.mapper.to_stored_event(e) for e in events]
            hashes = tuple(chain_hashes(stored, self._heads_for(stored)))
            return Draft(tuple(events), tuple(stored), hashes, submission_root(hashes),
                         {a.id: a for a in aggregates}, self._head())

    def _head(self) -> LogHead:
        """The log's head as this process knows it (read from the store if it does not)."""
        head = self._log_head
        if head is None:
            head = self._log_head = self.store.log_head()
        return head

    def _resigning(self, write: Callable[[], list[int]]) -> list[int]:
        """``write`` (which signs), again after the log as it now stands while another
        writer keeps coming first."""
        for _ in range(_LOG_RESIGNS):
            try:
                return write()
            except LogMovedOn:
                self._log_head = None
        raise _log_moved_on()

    def _heads_for(self, events: Sequence[_Versioned]) -> dict[UUID | str, bytes]:
        """The hash each record's chain continues from, for a batch of its next events."""
        firsts: dict[UUID | str, int] = {}
        for event in events:
            firsts.setdefault(event.originator_id, event.originator_version)
        heads: dict[UUID | str, bytes] = {}
        missing: list[tuple[UUID | str, int]] = []
        for originator_id, version in firsts.items():
            previous = version - 1
            cached = self._heads.get(originator_id)
            if previous == 0:
                # A record's first event chains from the genesis hash.
                heads[originator_id] = GENESIS_HASH
            elif cached is not None and cached[0] == previous:
                # Versions never change once stored, so a cached (version, hash) is always
                # right; if another writer got there first the insert conflicts anyway.
                heads[originator_id] = cached[1]
            else:
                missing.append((originator_id, previous))
        if missing:
            heads.update(self.store.select_hashes(missing))
        return heads

    def _remember_heads(self, draft: Draft) -> None:
        if len(self._heads) > _HEAD_CACHE_SIZE:
            self._heads.clear()
        for stored, digest in zip(draft.stored_events, draft.event_hashes, strict=True):
            self._heads[stored.originator_id] = (stored.originator_version, digest)

    def append(self, draft: Draft, submission: Submission | None) -> list[int]:
        """Check a signed draft and record it in one transaction; return notification ids.

        The key is checked as this process last saw it, and the recorder confirms under its
        write lock that the key's record has not moved on since (a revocation elsewhere);
        if it has, nothing was written and the check runs again on the key as it stands.
        One round trip instead of two, and no window between the check and the write.
        """
        try:
            return self._rechecking_key(lambda: self._append_once(draft, submission))
        except LogMovedOn:
            self._log_head = None
            raise _log_moved_on() from None

    def _append_once(self, draft: Draft, submission: Submission | None) -> list[int]:
        key = self._checked_key(draft, submission)
        assert submission is not None
        batch = SignedBatch(draft.event_hashes, submission, _version_of(key, draft))
        with _paused_gc(len(draft.stored_events)), \
                _conflicts_refused(self.store, submission.submission_id):
            ids = self.recorder.insert_events(draft.stored_events, integrity=batch)
        assert ids is not None
        self._after_append(draft, ids, submission)
        return list(ids)

    def _rechecking_key(self, write: Callable[[], list[int]]) -> list[int]:
        """``write``, run again (at most ``_KEY_RECHECKS`` times in all) while the recorder
        finds its signing key moved on, each time with the key brought up to date."""
        for _ in range(_KEY_RECHECKS - 1):
            try:
                return write()
            except KeyMovedOn as moved:
                self._log_head = None  # the key's own record grew the log
                self._current_key(moved.key.key_id)
        try:
            return write()
        except KeyMovedOn as moved:
            raise _key_keeps_changing(moved.key.key_id) from None

    def submit(self, signer: Signer, *aggregates: Aggregate, purpose: str) -> list[int]:
        """Prepare, sign and append in one call (the in-process path).

        A large order is streamed: its events are mapped, hashed and written in chunks inside
        one transaction, so the database ingests one chunk while the next is prepared, and
        the transaction commits only after the whole order is signed and checked exactly as
        ``append`` checks it — or writes nothing.
        """
        events = _collect(aggregates)
        submission_id = _new_submission_id()
        if len(events) < _STREAM_FROM:
            draft = self._draft(events, aggregates)

            def sign_and_append() -> list[int]:
                signed = replace(draft, head=self._head())
                return self._append_once(
                    signed, signed.sign(signer, purpose, submission_id=submission_id))

            return self._resigning(lambda: self._rechecking_key(sign_and_append))
        return self._resigning(
            lambda: self._stream(signer, events, aggregates, purpose, submission_id))

    def _stream(self, signer: Signer, events: list[CanMutateAggregate[UUID]],
                aggregates: Sequence[Aggregate], purpose: str,
                submission_id: UUID) -> list[int]:
        return self._rechecking_key(
            lambda: self._stream_once(signer, events, aggregates, purpose, submission_id))

    def _stream_once(self, signer: Signer, events: list[CanMutateAggregate[UUID]],
                     aggregates: Sequence[Aggregate], purpose: str,
                     submission_id: UUID) -> list[int]:
        key = self._known_key(signer.key_id)  # read before taking the write lock
        # Refused now rather than after streaming the whole order (it is checked again with
        # the signature, once the stream is signed).
        key.check_usable_at(datetime.now(UTC))
        heads = self._heads_for(events)
        stored_all: list[StoredEvent] = []
        hashes_all: list[bytes] = []
        frontier = CompactRange()
        checked = KeyVersion(key.key_id, key.id, key.version)
        head = self._head()
        with _paused_gc(len(events)), _conflicts_refused(self.store, submission_id), \
                self.store.bulk_writer(checked, head.size) as writer:
            for start in range(0, len(events), _STREAM_CHUNK):
                stored = [self.mapper.to_stored_event(e)
                          for e in events[start:start + _STREAM_CHUNK]]
                hashes = chain_hashes(stored, heads)
                writer.write(stored, hashes)
                frontier.extend([leaf_hash(h) for h in hashes])
                stored_all.extend(stored)
                hashes_all.extend(hashes)
            draft = Draft(tuple(events), tuple(stored_all), tuple(hashes_all), frontier.root(),
                          {a.id: a for a in aggregates}, head)
            submission = draft.sign(signer, purpose, submission_id=submission_id)
            self._check_signed_by(key, draft, submission)
            writer.submission = submission
        ids = list(range(writer.first_id, writer.next_id))
        self._after_append(draft, ids, submission)
        return ids

    def _after_append(self, draft: Draft, ids: Sequence[int],
                      submission: Submission) -> None:
        self._log_head = submission.head_after
        self._remember_heads(draft)
        if self.repository.cache and not self.repository.fastforward:
            for aggregate_id, aggregate in draft.aggregates.items():
                self.repository.cache.put(aggregate_id, aggregate)

    # -------------------------------------------------------------- checking

    def check_submission(self, draft: Draft, submission: Submission | None,
                         *, now: datetime | None = None) -> None:
        """Refuse an unsigned, wrongly signed, stale or unauthorised submission."""
        self._checked_key(draft, submission, now=now)

    def _checked_key(self, draft: Draft, submission: Submission | None,
                     *, now: datetime | None = None) -> SigningKey:
        if submission is None:
            raise SignatureError("the submission is not signed",
                                 "ชุดรายการนี้ยังไม่ได้ลงลายมือชื่อดิจิทัล")
        key = self._signing_key(draft, submission)
        self._check_signed_by(key, draft, submission, now)
        return key

    def _check_signed_by(self, key: SigningKey, draft: Draft, submission: Submission,
                         now: datetime | None = None) -> None:
        if not draft.stored_events:
            raise SignatureError("an empty submission cannot be appended",
                                 "ไม่มีรายการให้บันทึก")
        # The draft is immutable and made by prepare(), so its hashes and root are those of its
        # stored events; what must hold is that the signature covers exactly them.
        if submission.event_count != len(draft.event_hashes) or submission.root != draft.root:
            raise SignatureError(
                "the submission's root does not match its events",
                "ค่าราก Merkle ของชุดรายการไม่ตรงกับรายการที่ส่งมา")
        moment = now or datetime.now(UTC)
        if abs(moment - submission.signed_at) > CLOCK_SKEW:
            raise SignatureError(
                f"the submission was signed at {submission.signed_at.isoformat()}, too far "
                f"from now ({moment.isoformat()}); sign it again",
                "เวลาที่ลงลายมือชื่อห่างจากเวลาปัจจุบันเกินกำหนด กรุณาลงลายมือชื่อใหม่")
        if submission.key_id != key.key_id:
            raise SignatureError(f"the submission names key {submission.key_id}, not "
                                 f"{key.key_id}", "รหัสกุญแจของชุดรายการไม่ตรงกับผู้ลงนาม")
        submission.verify_signature(key.public_key)
        key.check_usable_at(submission.signed_at)
        self._check_role(key, draft)

    def _signing_key(self, draft: Draft, submission: Submission) -> SigningKey:
        try:
            return self._known_key(submission.key_id)
        except NotFound:
            genesis = self._genesis_key(draft, submission)
            if genesis is None:
                raise
            return genesis

    def _genesis_key(self, draft: Draft, submission: Submission) -> SigningKey | None:
        # The very first submission of an empty ledger registers the admin key and is
        # signed by it: the trust anchor, which `verify` also checks against the pinned key.
        if self.recorder.max_notification_id() is not None:
            return None
        for aggregate in draft.aggregates.values():
            if isinstance(aggregate, SigningKey) and aggregate.key_id == submission.key_id \
                    and aggregate.role == "admin":
                return aggregate
        return None

    def _check_role(self, key: SigningKey, draft: Draft) -> None:
        for event in draft.domain_events:
            if key.role not in SIGNERS[kind_of_event(event)]:
                aggregate = draft.aggregates[event.originator_id]
                raise SignatureError(
                    f"a {key.role} key ({key.key_id}) may not sign "
                    f"{type(aggregate).__name__} events ({type(event).__name__})",
                    f"กุญแจของ{KEY_ROLES.get(key.role, key.role)}ไม่มีสิทธิ์ลงนามรายการประเภทนี้")
        self._check_areas(key, draft)
        self._check_document_areas(key, draft)
        self._check_orders(key, draft)
        self._check_self_service(key, draft)

    @staticmethod
    def _check_self_service(key: SigningKey, draft: Draft) -> None:
        """Refuse a teacher's request or confirmation signed by any key but the service's,
        and a decision on a request signed by any key but a registrar's of its area."""
        problems = signing_problems(key.role, key_areas(key.area), draft.domain_events,
                                    draft.aggregates)
        if problems:
            raise SignatureError(
                f"key {key.key_id} ({key.role} of {key.area or 'no area'}) may not sign this "
                f"submission: {problems[0]}",
                f"กุญแจของ{KEY_ROLES.get(key.role, key.role)}ไม่มีสิทธิ์ลงนามรายการนี้ "
                "(คำร้องของครูลงนามด้วยกุญแจของระบบ การพิจารณาคำร้องลงนามด้วยกุญแจของ"
                f"เจ้าหน้าที่ทะเบียนของเขตพื้นที่นั้น) ({problems[0]})", problems)

    @staticmethod
    def _check_document_areas(key: SigningKey, draft: Draft) -> None:
        """Refuse a document issued or revoked by a key of another area than the document's."""
        allowed = key_areas(key.area)
        for aggregate in draft.aggregates.values():
            if isinstance(aggregate, IssuedDocument) and outside([aggregate.area], allowed):
                raise SignatureError(
                    f"key {key.key_id} ({key.role} of {key.area or 'no area'}) may not sign "
                    f"for document {aggregate.id} of {aggregate.area}",
                    f"กุญแจ {key.key_id} ไม่มีสิทธิ์ลงนามเอกสาร {aggregate.id} "
                    f"ของ{aggregate.area}")

    @staticmethod
    def _check_orders(key: SigningKey, draft: Draft) -> None:
        """Refuse career events that are not lines of an order this submission issues, and
        an order issued by any key but its area's authority (``ledger.authority``)."""
        trace = OrderTrace()
        orders: dict[object, OrderFacts] = {}
        for event in draft.domain_events:
            if isinstance(event, Order.Issued):
                trace.issued.append(event.originator_id)
                orders[event.originator_id] = OrderFacts.of(
                    cast(Order, draft.aggregates[event.originator_id]))
            elif order_bound(event):
                ref = cast(PersonnelRecord.Event, event).order
                trace.career_events += 1
                trace.cited.add(citation(ref.authority, ref.order_number,
                                         ref.order_date.isoformat()))
        problems = order_problems(key.role, key.area, trace, orders)
        if problems:
            raise SignatureError(
                f"key {key.key_id} ({key.role} of {key.area or 'no area'}) may not sign this "
                f"submission: {problems[0]}",
                "รายการในทะเบียนประวัติต้องเป็นรายการของคำสั่งที่ผู้มีอำนาจของเขตพื้นที่ออกในชุดเดียวกัน "
                f"และเฉพาะผู้มีอำนาจของเขตพื้นที่เท่านั้นที่ออกคำสั่งได้ ({problems[0]})",
                problems)

    def _check_areas(self, key: SigningKey, draft: Draft) -> None:
        """Refuse a submission touching a personnel record outside its key's area: each
        event is judged by the area its record is in just before it (``ledger.authority``)."""
        traces: dict[UUID, AreaTrace] = {}
        firsts: dict[UUID, int] = {}
        for event in draft.domain_events:
            if isinstance(event, PersonnelRecord.Event):
                record_id = event.originator_id
                firsts.setdefault(record_id, event.originator_version)
                traces.setdefault(record_id, AreaTrace()).add(
                    area_set_by(event), opening=isinstance(event, PersonnelRecord.Opened))
        if not traces:
            return
        # A record whose area changes here is read as it was before (rare: transfers,
        # appointments); otherwise its area now is the one it had.
        moved = [r for r, t in traces.items() if t.opened is None and t.sets]
        priors: dict[UUID, str | None] = {}
        for record_id, history in self.histories(moved).items():
            priors[record_id] = None
            for earlier in history:
                if earlier.originator_version < firsts[record_id]:
                    priors[record_id] = area_set_by(earlier) or priors[record_id]
        allowed = key_areas(key.area)
        for record_id, trace in traces.items():
            if record_id in priors:
                prior = priors[record_id]
            else:
                aggregate = draft.aggregates.get(record_id)
                prior = getattr(aggregate, "area", None)
            wrong = outside(trace.in_force(prior), allowed)
            if wrong:
                raise SignatureError(
                    f"key {key.key_id} ({key.role} of {key.area or 'no area'}) may not sign "
                    f"events of record {record_id}, which is in {wrong[0] or 'no known area'}",
                    f"กุญแจ {key.key_id} ({KEY_ROLES.get(key.role, key.role)} "
                    f"{key.area or 'ไม่มีเขตพื้นที่'}) ไม่มีสิทธิ์ลงนามรายการของทะเบียนประวัติ "
                    f"{record_id} ซึ่งอยู่ใน{wrong[0] or 'เขตพื้นที่ที่ไม่ทราบ'}")

    # ----------------------------------------------------------------- reading

    def key(self, key_id: str) -> SigningKey:
        """A key's current state (a fresh object: callers may revoke or rotate it)."""
        try:
            return cast(SigningKey, self.repository.get(key_record_id(key_id)))
        except AggregateNotFoundError:
            raise NotFound(f"key {key_id} is not registered in this ledger",
                           f"ไม่พบกุญแจ {key_id} ในทะเบียนกุญแจ") from None

    def key_role(self, key_id: str) -> tuple[str, str]:
        """A registered key's role and area. Both are fixed when the key is registered, so a
        key this process has seen is not read again (whether it is still usable — revoked,
        rotated — is checked against the store when a submission it signs is appended)."""
        key = self._known_key(key_id)
        return key.role, key.area

    def _known_key(self, key_id: str) -> SigningKey:
        """The key as this process last saw it, for checking signatures only (never mutated
        by callers). Whether it is still current is confirmed when a submission is written
        (``KeyVersion``); ``_current_key`` brings it up to date when it is not."""
        key = self._keys.get(key_id)
        if key is None:
            key = self._keys[key_id] = self.key(key_id)
        return key

    def _current_key(self, key_id: str) -> SigningKey:
        """The known key brought up to date from the store (a revocation or rotation
        recorded by another process)."""
        key = self._known_key(key_id)
        for event in self.events.get(key.id, gt=key.version):
            event.mutate(key)  # type: ignore[attr-defined]
        return key

    def histories(self, record_ids: Sequence[UUID]
                  ) -> dict[UUID, list[DomainEventProtocol[UUID]]]:
        """The events of many records, oldest first, read together (a query per 1,000
        records on PostgreSQL): what checking an order of many lines needs. A record with
        no events is left out."""
        found: dict[UUID, list[DomainEventProtocol[UUID]]] = {}
        for start in range(0, len(record_ids), _HISTORIES_AT_ONCE):
            batch = record_ids[start:start + _HISTORIES_AT_ONCE]
            for record_id, stored in self.store.select_histories(batch).items():
                found[record_id] = [self.mapper.to_domain_event(e) for e in stored]
        return found

    def attempt_wrote(self, attempt_id: UUID) -> bool:
        """Whether an attempt (``submissions_of_attempt``) made any submission: asked before a
        write is run again after its process died. Its first submissions are looked for, not
        only the first one: a run refused as a conflict and tried again within the attempt
        (an issue does) wrote its second or third."""
        return self.store.has_any_submission(
            [submission_id_of(attempt_id, n) for n in range(1, _ATTEMPT_SUBMISSIONS + 1)])

    def record(self, record_id: UUID) -> PersonnelRecord:
        try:
            return cast(PersonnelRecord, self.repository.get(record_id))
        except AggregateNotFoundError:
            raise NotFound("no record for this national ID",
                           "ไม่พบทะเบียนประวัติของเลขประจำตัวประชาชนนี้") from None

