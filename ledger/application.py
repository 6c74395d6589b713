"""The ``Ledger``: the library's ``Application`` wired for signed, hash-chained appends.

Writing is three steps, so that signing can happen where the private key is:

1. ``prepare`` turns the pending events of some aggregates into stored events and their
   chained hashes (a ``Draft``);
2. a ``Signer`` signs the draft's Merkle root (``Draft.sign``) — one signature per submission;
3. ``append`` re-derives every hash from the stored bytes, checks the signature, the key's
   registration, role and validity at signing time, and records events and submission in one
   transaction.

``submit`` does all three in-process. The library's plain ``save`` is refused: nothing enters
the ledger unsigned.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent
from eventsourcing.domain import CanMutateAggregate, MutableOrImmutableAggregate
from eventsourcing.persistence import IntegrityError as StoreIntegrityError
from eventsourcing.persistence import Recording, StoredEvent, Transcoder
from eventsourcing.utils import EnvType

from ledger.config import database_env, database_url
from ledger.errors import Conflict, NotFound, SignatureError
from ledger.integrity import (
    GENESIS_HASH,
    Submission,
    chain_hashes,
    sign_submission,
    submission_root,
)
from ledger.keys import Signer, SigningKey, key_record_id
from ledger.persistence import LedgerRecorder, SignedBatch
from ledger.record import PersonnelRecord
from ledger.transcoder import CanonicalTranscoder

__all__ = ["CLOCK_SKEW", "Draft", "Ledger"]

CLOCK_SKEW = timedelta(minutes=5)
"""How far a submission's signing time may be from the ledger's clock when it is appended."""

# Which key roles may sign which kind of event.
_ROLES_FOR_KEYS = frozenset({"admin"})
_ROLES_FOR_CAREER = frozenset({"registrar", "authority"})


@dataclass
class Draft:
    """Events ready to be signed: their stored form and their chained hashes."""

    domain_events: list[CanMutateAggregate[UUID]]
    stored_events: list[StoredEvent]
    event_hashes: list[bytes]
    aggregates: dict[UUID, MutableOrImmutableAggregate[UUID]]

    def sign(self, signer: Signer, purpose: str, *, signed_at: datetime | None = None,
             submission_id: UUID | None = None) -> Submission:
        return sign_submission(
            signer.private_key, submission_id=submission_id or uuid.uuid4(),
            key_id=signer.key_id, signed_at=signed_at or datetime.now(UTC), purpose=purpose,
            event_hashes=self.event_hashes)


class Ledger(Application[UUID]):
    """The signed career ledger of one installation."""

    name = "Ledger"

    def __init__(self, env: EnvType | None = None, *, url: str | None = None) -> None:
        merged = dict(database_env(url or database_url()))
        merged.update(env or {})
        super().__init__(merged)

    def construct_transcoder(self) -> Transcoder:
        return CanonicalTranscoder()

    @property
    def store(self) -> LedgerRecorder:
        return cast(LedgerRecorder, self.recorder)

    # ----------------------------------------------------------------- writing

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:
        raise SignatureError("the ledger records only signed submissions: use submit()",
                             "สมุดทะเบียนรับเฉพาะรายการที่ลงลายมือชื่อดิจิทัลแล้ว")

    def prepare(self, *aggregates: MutableOrImmutableAggregate[UUID]) -> Draft:
        """Collect pending events and hash them onto their records' chains."""
        processing: ProcessingEvent[UUID] = ProcessingEvent()
        processing.collect_events(*aggregates)
        events = cast(list[CanMutateAggregate[UUID]], processing.events)
        stored = [self.mapper.to_stored_event(e) for e in events]
        return Draft(events, stored, self._hashes_for(stored), dict(processing.aggregates))

    def _hashes_for(self, stored: Sequence[StoredEvent]) -> list[bytes]:
        firsts: dict[UUID | str, int] = {}
        for s in stored:
            firsts.setdefault(s.originator_id, s.originator_version)
        # A record's first event chains from the genesis hash: no need to ask the store.
        existing = [(k, v - 1) for k, v in firsts.items() if v > 1]
        heads: dict[UUID | str, bytes] = dict.fromkeys(firsts, GENESIS_HASH)
        if existing:
            heads.update(self.store.select_hashes(existing))
        return chain_hashes(stored, heads)

    def append(self, draft: Draft, submission: Submission | None) -> list[int]:
        """Check a signed draft and record it in one transaction; return notification ids."""
        self.check_submission(draft, submission)
        assert submission is not None
        try:
            ids = self.recorder.insert_events(
                draft.stored_events,
                integrity=SignedBatch(draft.event_hashes, submission))
        except StoreIntegrityError as e:
            raise Conflict(
                "another submission changed one of these records first; reload and retry",
                "มีการบันทึกรายการของทะเบียนประวัตินี้ก่อนหน้าแล้ว กรุณาโหลดใหม่และลองอีกครั้ง",
            ) from e
        assert ids is not None
        self._after_append(draft, ids)
        return list(ids)

    def submit(self, signer: Signer, *aggregates: MutableOrImmutableAggregate[UUID],
               purpose: str) -> list[int]:
        """Prepare, sign and append in one call (the in-process path)."""
        draft = self.prepare(*aggregates)
        return self.append(draft, draft.sign(signer, purpose))

    def _after_append(self, draft: Draft, ids: Sequence[int]) -> None:
        if self.repository.cache and not self.repository.fastforward:
            for aggregate_id, aggregate in draft.aggregates.items():
                self.repository.cache.put(aggregate_id, aggregate)

    # -------------------------------------------------------------- checking

    def check_submission(self, draft: Draft, submission: Submission | None,
                         *, now: datetime | None = None) -> None:
        """Refuse an unsigned, wrongly signed, stale or unauthorised submission."""
        if submission is None:
            raise SignatureError("the submission is not signed",
                                 "ชุดรายการนี้ยังไม่ได้ลงลายมือชื่อดิจิทัล")
        if not draft.stored_events:
            raise SignatureError("an empty submission cannot be appended",
                                 "ไม่มีรายการให้บันทึก")
        recomputed = self._hashes_for(draft.stored_events)
        expected = submission_root(recomputed)
        if submission.event_count != len(recomputed) or submission.root != expected:
            raise SignatureError(
                "the submission's root does not match its events",
                "ค่าราก Merkle ของชุดรายการไม่ตรงกับรายการที่ส่งมา")
        moment = now or datetime.now(UTC)
        if abs(moment - submission.signed_at) > CLOCK_SKEW:
            raise SignatureError(
                f"the submission was signed at {submission.signed_at.isoformat()}, too far "
                f"from now ({moment.isoformat()}); sign it again",
                "เวลาที่ลงลายมือชื่อห่างจากเวลาปัจจุบันเกินกำหนด กรุณาลงลายมือชื่อใหม่")
        key = self._signing_key(draft, submission)
        submission.verify_signature(key.public_key)
        key.check_usable_at(submission.signed_at)
        self._check_role(key, draft)

    def _signing_key(self, draft: Draft, submission: Submission) -> SigningKey:
        try:
            return self.key(submission.key_id)
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

    @staticmethod
    def _check_role(key: SigningKey, draft: Draft) -> None:
        for aggregate in draft.aggregates.values():
            allowed = _ROLES_FOR_KEYS if isinstance(aggregate, SigningKey) else _ROLES_FOR_CAREER
            if key.role not in allowed:
                raise SignatureError(
                    f"a {key.role} key ({key.key_id}) may not sign "
                    f"{type(aggregate).__name__} events",
                    f"กุญแจบทบาท {key.role} ไม่มีสิทธิ์ลงนามรายการประเภทนี้")

    # ----------------------------------------------------------------- reading

    def key(self, key_id: str) -> SigningKey:
        try:
            return cast(SigningKey, self.repository.get(key_record_id(key_id)))
        except AggregateNotFoundError:
            raise NotFound(f"key {key_id} is not registered in this ledger",
                           f"ไม่พบกุญแจ {key_id} ในทะเบียนกุญแจ") from None

    def record(self, record_id: UUID) -> PersonnelRecord:
        try:
            return cast(PersonnelRecord, self.repository.get(record_id))
        except AggregateNotFoundError:
            raise NotFound("no record for this national ID",
                           "ไม่พบทะเบียนประวัติของเลขประจำตัวประชาชนนี้") from None

