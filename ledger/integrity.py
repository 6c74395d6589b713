"""Event hashes, the per-record chain, and signed submissions (DESIGN decisions 5 and 6).

* **Event hash** — SHA-256 over a domain-separated, unambiguous framing of the stored event:
  the previous event's hash in the same record, the record id, the version, the topic and the
  canonical state bytes. Because the previous hash is inside the preimage, the event hashes of
  one record form a hash chain.
* **Submission** — what one signer appends at once (one command, or one order of thousands of
  events). Its signature is Ed25519 over a canonical message that names the Merkle root
  (RFC 6962) of its events' hashes, so a bulk order costs one signature and every event is
  still covered. It also names what came before it: the log's size and the hash of the
  submission that ends there (``LogHead``), so a submission removed from the middle breaks
  the one after it even if the positions are renumbered.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from eventsourcing.persistence import StoredEvent

from ledger.errors import SignatureError
from ledger.merkle import leaf_hash, root_of
from ledger.transcoder import canonical_json

__all__ = [
    "GENESIS_HASH",
    "START_OF_LOG",
    "EventHasher",
    "LogHead",
    "Submission",
    "chain_hashes",
    "event_hash",
    "event_hash_of",
    "sign_submission",
    "submission_message",
    "submission_root",
]

GENESIS_HASH = bytes(32)
"""The 'previous hash' of a record's first event."""

_EVENT_DOMAIN = b"tabien/event/v1\x00"
_sha256 = hashlib.sha256
_PACK_VERSION = struct.Struct(">q").pack
_PACK_LENGTH = struct.Struct(">I").pack


def event_hash(previous: bytes, stored: StoredEvent) -> bytes:
    """The hash of one stored event, chained to its record's previous event."""
    return event_hash_of(previous, stored.originator_id, stored.originator_version,
                         stored.topic, stored.state)


def event_hash_of(previous: bytes, originator: UUID | str, version: int, topic_text: str,
                  state: bytes) -> bytes:
    """``event_hash`` from the parts of a stored event."""
    originator_bytes = originator.bytes if isinstance(originator, UUID) else originator.encode()
    return _framed_hash(previous, originator_bytes, version, _framed_topic(topic_text), state)


def _framed_topic(topic_text: str) -> bytes:
    topic = topic_text.encode()
    return _PACK_LENGTH(len(topic)) + topic


def _framed_hash(previous: bytes, originator: bytes, version: int, framed_topic: bytes,
                 state: bytes) -> bytes:
    return _sha256(b"".join((_EVENT_DOMAIN, previous, _PACK_LENGTH(len(originator)), originator,
                             _PACK_VERSION(version), framed_topic, state))).digest()


class EventHasher:
    """``event_hash_of`` for a long run of events, as the auditor reads them: each topic's
    framing is encoded once rather than once per event."""

    _MAX_TOPICS = 4096  # a ledger has a few dozen; a damaged one must not fill memory

    def __init__(self) -> None:
        self._topics: dict[str, bytes] = {}

    def __call__(self, previous: bytes, originator: bytes, version: int, topic_text: str,
                 state: bytes) -> bytes:
        """As ``event_hash_of``, the record id given as its bytes (``RawLogRow``)."""
        framed_topic = self._topics.get(topic_text)
        if framed_topic is None:
            framed_topic = _framed_topic(topic_text)
            if len(self._topics) < self._MAX_TOPICS:
                self._topics[topic_text] = framed_topic
        return _framed_hash(previous, originator, version, framed_topic, state)


def chain_hashes(
    stored_events: Sequence[StoredEvent], heads: dict[UUID | str, bytes]
) -> list[bytes]:
    """Hash a batch of events in order; ``heads`` gives each record's last hash before it.

    ``heads`` is updated in place, so it ends holding each record's new head.
    """
    hashes = []
    for stored in stored_events:
        digest = event_hash(heads.get(stored.originator_id, GENESIS_HASH), stored)
        heads[stored.originator_id] = digest
        hashes.append(digest)
    return hashes


def submission_root(event_hashes: Iterable[bytes]) -> bytes:
    """The RFC 6962 Merkle root over a submission's event hashes, in append order."""
    return root_of([leaf_hash(h) for h in event_hashes])


@dataclass(frozen=True)
class LogHead:
    """The log as a signer sees it: how many events, and the hash of the submission that
    ends there (``Submission.hash``; ``GENESIS_HASH`` before the first)."""

    size: int
    previous: bytes


START_OF_LOG = LogHead(0, GENESIS_HASH)

_SUBMISSION_DOMAIN = b"tabien/submission/v2\x00"


@dataclass(frozen=True)
class Submission:
    """A signed batch of events: who signed what, when, the root it signed, and the log it
    follows (its size and the previous submission's hash)."""

    submission_id: UUID
    key_id: str
    signed_at: datetime
    purpose: str
    event_count: int
    root: bytes
    signature: bytes
    log_size: int = 0
    previous: bytes = GENESIS_HASH

    @property
    def message(self) -> bytes:
        return submission_message(self.submission_id, self.key_id, self.signed_at,
                                  self.purpose, self.event_count, self.root,
                                  LogHead(self.log_size, self.previous))

    @property
    def hash(self) -> bytes:
        """What the next submission names as its ``previous``: SHA-256 over the signed
        message and the signature."""
        return _sha256(_SUBMISSION_DOMAIN + self.message + self.signature).digest()

    @property
    def head_after(self) -> LogHead:
        """The log as it stands once this submission is appended."""
        return LogHead(self.log_size + self.event_count, self.hash)

    def verify_signature(self, public_key: Ed25519PublicKey) -> None:
        try:
            public_key.verify(self.signature, self.message)
        except InvalidSignature:
            raise SignatureError(
                f"submission {self.submission_id}: signature does not verify with key "
                f"{self.key_id}",
                f"ลายมือชื่อดิจิทัลของชุดรายการ {self.submission_id} ไม่ถูกต้องสำหรับกุญแจ "
                f"{self.key_id}",
            ) from None


def submission_message(submission_id: UUID, key_id: str, signed_at: datetime, purpose: str,
                       event_count: int, root: bytes, after: LogHead = START_OF_LOG) -> bytes:
    """The exact bytes a submission's signature covers."""
    return canonical_json({
        "type": "tabien-submission/v2",
        "submission_id": str(submission_id),
        "key_id": key_id,
        "signed_at": signed_at.isoformat(),
        "purpose": purpose,
        "event_count": event_count,
        "root": root.hex(),
        "log_size": after.size,
        "previous": after.previous.hex(),
    })


def sign_submission(private_key: Ed25519PrivateKey, *, submission_id: UUID, key_id: str,
                    signed_at: datetime, purpose: str, event_hashes: Sequence[bytes],
                    root: bytes | None = None, after: LogHead = START_OF_LOG) -> Submission:
    """Sign a batch of event hashes as one submission (``root`` if already computed),
    appended after the log ``after``."""
    if root is None:
        root = submission_root(event_hashes)
    message = submission_message(submission_id, key_id, signed_at, purpose,
                                 len(event_hashes), root, after)
    return Submission(submission_id, key_id, signed_at, purpose, len(event_hashes), root,
                      private_key.sign(message), after.size, after.previous)
