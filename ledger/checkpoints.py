"""Signed checkpoints of the ledger's Merkle log (C2SP tlog-checkpoint in a signed note).

A checkpoint states "the log had N events and this root" under the ledger's checkpoint key.
Each stored checkpoint also keeps the compact range (the Merkle frontier) at its size, so the
next checkpoint hashes only the events appended since; the frontier is a cache, and
verification recomputes every root from the events themselves.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

from ledger.errors import SignatureError
from ledger.keys import Signer
from ledger.merkle import CompactRange, leaf_hash
from ledger.note import CheckpointBody, sign_note
from ledger.persistence import CheckpointRow, LedgerRecorder

__all__ = ["checkpoint_time", "create_checkpoint", "log_origin"]


def log_origin() -> str:
    """The checkpoint origin line: names this log, so notes of two ledgers never mix."""
    return os.environ.get("TABIEN_LOG_ORIGIN") or "tabien.local/ledger"


def create_checkpoint(store: LedgerRecorder, signer: Signer,
                      *, now: datetime | None = None) -> CheckpointRow:
    """Sign a checkpoint at the current size (or return the latest if nothing is new)."""
    latest = store.checkpoints()[-1] if store.checkpoints() else None
    frontier = CompactRange.from_bytes(latest.compact_range) if latest else CompactRange()
    last_id = latest.last_notification_id if latest else 0
    for log_row in store.iter_log(after=last_id):
        frontier.append(leaf_hash(log_row.event_hash))
        last_id = log_row.notification_id
    if latest is not None and frontier.size == latest.tree_size:
        return latest
    moment = (now or datetime.now(UTC)).replace(microsecond=0)
    body = CheckpointBody(origin=log_origin(), size=frontier.size, root=frontier.root(),
                          extensions=(f"time {moment.isoformat()}",))
    if signer.name != signer.key_id.split("+", 1)[0]:
        raise SignatureError("the signer's name does not match its key id",
                             "ชื่อผู้ลงนามไม่ตรงกับรหัสกุญแจ")
    row = CheckpointRow(frontier.size, last_id, sign_note(body.to_text(), signer.name,
                                                          signer.private_key),
                        frontier.to_bytes())
    store.insert_checkpoint(row)
    return row


def checkpoint_time(body: CheckpointBody) -> datetime | None:
    """The signing time a checkpoint states in its ``time`` extension line, if any."""
    for line in body.extensions:
        if line.startswith("time "):
            return datetime.fromisoformat(line.removeprefix("time "))
    return None
