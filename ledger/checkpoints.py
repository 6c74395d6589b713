"""Signed checkpoints of the ledger's Merkle log (C2SP tlog-checkpoint in a signed note).

A checkpoint states "the log had N events and this root" under the ledger's checkpoint key.
Each stored checkpoint also keeps the compact range (the Merkle frontier) at its size, so the
next checkpoint hashes only the events appended since; the frontier is a cache, and
verification recomputes every root from the events themselves.

The server signs one by itself (``Checkpointer``, a thread beside the projection runner)
whenever the log has grown, every ``TABIEN_CHECKPOINT_SECONDS``; auditors may ask for one
(``POST /api/v1/audit/checkpoints``) and `tabien checkpoint` signs one.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Callable
from datetime import UTC, datetime

from ledger.errors import SignatureError
from ledger.keys import Signer
from ledger.merkle import CompactRange, leaf_hash
from ledger.note import CheckpointBody, sign_note
from ledger.persistence import CheckpointRow, LedgerRecorder

__all__ = ["Checkpointer", "checkpoint_time", "create_checkpoint", "log_origin"]

_log = logging.getLogger(__name__)


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
    try:
        store.insert_checkpoint(row)
    except Exception:
        # Another process signed the same size first (the size is the table's key).
        same = [c for c in store.checkpoints() if c.tree_size == row.tree_size]
        if not same:
            raise
        return same[0]
    return row


class Checkpointer:
    """Signs a checkpoint every ``seconds`` when the log has grown, in a thread of its own,
    until ``stop``. ``signer`` is asked for the checkpoint key each round (keys rotate)."""

    def __init__(self, store: LedgerRecorder, signer: Callable[[], Signer],
                 seconds: float, *, close: Callable[[], None] | None = None) -> None:
        self.store = store
        self.close = close  # called once stopped (the store's connections)
        self.signer = signer
        self.seconds = seconds
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tabien-checkpointer",
                                        daemon=True)

    def start(self) -> Checkpointer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        with contextlib.suppress(RuntimeError):  # never started
            self._thread.join(timeout=30)
        if self.close is not None:
            self.close()

    def round(self) -> CheckpointRow | None:
        """One round: a new checkpoint if the log has grown since the latest, else None."""
        latest = self.store.checkpoints()
        size = latest[-1].tree_size if latest else 0
        if self.store.log_head().size <= size:  # positions are gap-free: an index look-up
            return None
        return create_checkpoint(self.store, self.signer())

    def _run(self) -> None:
        while not self._stopped.wait(self.seconds):
            try:
                self.round()
            except Exception:  # a round that failed is tried again at the next
                _log.exception("signing a checkpoint failed")


def checkpoint_time(body: CheckpointBody) -> datetime | None:
    """The signing time a checkpoint states in its ``time`` extension line, if any."""
    for line in body.extensions:
        if line.startswith("time "):
            return datetime.fromisoformat(line.removeprefix("time "))
    return None
