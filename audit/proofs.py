"""Proofs for auditors and witnesses: inclusion of an event under a checkpoint, consistency
between two checkpoints, and the export of signed checkpoints.

Each proof is a JSON file that carries the signed checkpoint note(s) it is checked against, so
``audit/standalone.py`` (with nothing but ``cryptography``) and the checkpoint key's verifier
key are all a reader needs. Leaves are the stored event hashes; a proof over a changed event
cannot match the signed root.
"""

from __future__ import annotations

from typing import Any

import orjson

from audit.verify import WITNESSED
from ledger.errors import InvalidInput, NotFound
from ledger.merkle import consistency_proof, inclusion_proof, leaf_hash
from ledger.persistence import CheckpointRow, LedgerRecorder, LogRow

__all__ = ["consistency_file", "export_checkpoints", "inclusion_file",
           "latest_with_consistency", "read_checkpoints"]


def _checkpoint(store: LedgerRecorder, size: int | None) -> CheckpointRow:
    rows = store.checkpoints()
    if not rows:
        raise NotFound("the ledger has no checkpoint yet: run `tabien checkpoint`",
                       "ยังไม่มีจุดตรวจสอบ: ใช้คำสั่ง tabien checkpoint")
    if size is None:
        return rows[-1]
    for row in rows:
        if row.tree_size == size:
            return row
    raise NotFound(f"no checkpoint at size {size}; sizes: {[r.tree_size for r in rows]}",
                   f"ไม่มีจุดตรวจสอบที่ขนาด {size}")


def _log(store: LedgerRecorder, size: int) -> list[LogRow]:
    rows: list[LogRow] = []
    for row in store.iter_log():
        if len(rows) == size:
            break
        rows.append(row)
    return rows


def inclusion_file(store: LedgerRecorder, position: int, *,
                   checkpoint_size: int | None = None) -> bytes:
    """A proof that the event at ``position`` (notification id) is in the signed log."""
    checkpoint = _checkpoint(store, checkpoint_size)
    log = _log(store, checkpoint.tree_size)
    index = next((i for i, row in enumerate(log) if row.notification_id == position), None)
    if index is None:
        raise NotFound(f"no event at position {position} under the checkpoint of size "
                       f"{checkpoint.tree_size}",
                       f"ไม่มีรายการที่ตำแหน่ง {position} ภายใต้จุดตรวจสอบนี้")
    row = log[index]
    leaves = [leaf_hash(r.event_hash) for r in log]
    proof = inclusion_proof(leaves, index, checkpoint.tree_size)
    return orjson.dumps({
        "type": "tabien-inclusion-proof/v1",
        "checkpoint": checkpoint.note,
        "leaf_index": index,
        "tree_size": checkpoint.tree_size,
        "event_hash": row.event_hash.hex(),
        "event": {"record_id": str(row.originator_id), "version": row.originator_version,
                  "position": row.notification_id, "topic": row.topic},
        "proof": [h.hex() for h in proof],
    }, option=orjson.OPT_INDENT_2)


def consistency_file(store: LedgerRecorder, old_size: int, new_size: int | None = None) -> bytes:
    """A proof that the checkpoint of ``new_size`` extends the one of ``old_size``."""
    old, new = _checkpoint(store, old_size), _checkpoint(store, new_size)
    if old.tree_size > new.tree_size:
        raise InvalidInput("the old checkpoint must not be larger than the new one",
                           "จุดตรวจสอบเดิมต้องไม่ใหญ่กว่าจุดตรวจสอบใหม่")
    leaves = [leaf_hash(r.event_hash) for r in _log(store, new.tree_size)]
    return orjson.dumps({
        "type": "tabien-consistency-proof/v1",
        "old_checkpoint": old.note,
        "new_checkpoint": new.note,
        "proof": [h.hex() for h in consistency_proof(leaves, old.tree_size, new.tree_size)],
    }, option=orjson.OPT_INDENT_2)


def latest_with_consistency(store: LedgerRecorder, old_size: int) -> tuple[str, list[bytes]]:
    """The latest signed checkpoint and a consistency proof to it from ``old_size`` (empty
    when the log is now smaller: the witness refuses that by itself)."""
    new = _checkpoint(store, None)
    if old_size > new.tree_size:
        return new.note, []
    leaves = [leaf_hash(r.event_hash) for r in _log(store, new.tree_size)]
    return new.note, consistency_proof(leaves, old_size, new.tree_size)


def export_checkpoints(store: LedgerRecorder, verifier_keys: list[str]) -> bytes:
    """Every signed checkpoint, for witnesses to keep: JSON lines, the keys first."""
    lines = [orjson.dumps({"verifier_key": key}) for key in verifier_keys]
    lines += [orjson.dumps({"tree_size": row.tree_size, "note": row.note})
              for row in store.checkpoints()]
    return b"\n".join(lines) + b"\n"


def read_checkpoints(data: bytes) -> list[CheckpointRow]:
    """Checkpoints from an export file, marked as witnessed (their signatures are checked by
    the verifier against the ledger's registered checkpoint keys)."""
    rows = []
    for number, line in enumerate(data.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item: dict[str, Any] = orjson.loads(line)
        except orjson.JSONDecodeError:
            raise InvalidInput(f"line {number} of the checkpoint file is not JSON",
                               f"บรรทัด {number} ของไฟล์จุดตรวจสอบไม่ใช่ JSON") from None
        if "note" in item:
            if not isinstance(item.get("tree_size"), int) or not isinstance(item["note"], str):
                raise InvalidInput(f"line {number}: a checkpoint needs tree_size and note",
                                   f"บรรทัด {number}: จุดตรวจสอบต้องมี tree_size และ note")
            rows.append(CheckpointRow(item["tree_size"], WITNESSED, item["note"], b""))
    if not rows:
        raise InvalidInput("the file holds no checkpoint", "ไฟล์ไม่มีจุดตรวจสอบ")
    return rows
