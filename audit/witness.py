"""A witness: keeps its own copy of the checkpoints it has seen, and cosigns each new one
only if it extends the last (an RFC 9162 consistency proof), refusing a rollback or a fork.

The witness's file is JSON lines, read by ``tabien verify --against`` like an export
(``audit.proofs.read_checkpoints``): the ledger's checkpoint verifier keys, pinned when the
file is made; the witness's own verifier key; then each checkpoint seen, as the signed note
with the witness's cosignature added — a C2SP ``cosignature/v1`` line (Ed25519, key type
0x04, the signing time in seconds before the signature), which readers of the ledger's
signature alone skip as a key they do not know.
"""

from __future__ import annotations

import base64
import hashlib
import struct
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from ledger.errors import IntegrityError, InvalidInput, SignatureError, TabienError
from ledger.merkle import verify_consistency
from ledger.note import CheckpointBody, open_note, parse_verifier_key

__all__ = ["COSIGNATURE_TYPE", "Refused", "Witness", "cosign", "cosigner_key",
           "verify_cosignature"]

COSIGNATURE_TYPE = 0x04
"""C2SP signed-note key type of a timestamped Ed25519 cosignature (tlog-cosignature)."""


class Refused(TabienError):
    """The witness will not cosign: a rollback, a fork, or a note it cannot open."""


def _raw(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def _key_id(name: str, public_key: Ed25519PublicKey) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([COSIGNATURE_TYPE])
                          + _raw(public_key)).digest()[:4]


def cosigner_key(name: str, public_key: Ed25519PublicKey) -> str:
    """The witness's verifier key: ``name+<key ID>+base64(0x04 || public key)``."""
    encoded = base64.b64encode(bytes([COSIGNATURE_TYPE]) + _raw(public_key)).decode()
    return f"{name}+{_key_id(name, public_key).hex()}+{encoded}"


def _message(text: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n".encode() + text.encode()


def _split(note: str) -> tuple[str, str]:
    split = note.rfind("\n\n")
    if split < 0:
        raise Refused("not a signed note", "ไม่ใช่บันทึกที่ลงนาม")
    return note[:split + 1], note[split + 2:]


def cosign(note: str, name: str, private_key: Ed25519PrivateKey,
           now: datetime | None = None) -> str:
    """The note with this witness's cosignature line added (replacing an earlier one)."""
    text, block = _split(note)
    timestamp = int((now or datetime.now(UTC)).timestamp())
    key_id = _key_id(name, private_key.public_key())
    signature = private_key.sign(_message(text, timestamp))
    line = f"\u2014 {name} " + base64.b64encode(
        key_id + struct.pack(">Q", timestamp) + signature).decode()
    kept = [x for x in block.splitlines() if not x.startswith(f"\u2014 {name} ")]
    return text + "\n" + "".join(x + "\n" for x in kept) + line + "\n"


def verify_cosignature(note: str, vkey: str) -> int:
    """The time (seconds) at which the witness of ``vkey`` cosigned ``note``."""
    name, key_id_hex, encoded = vkey.split("+", 2)
    raw = base64.b64decode(encoded)
    if raw[0] != COSIGNATURE_TYPE:
        raise InvalidInput("not a cosignature key", "ไม่ใช่กุญแจลงนามร่วม")
    public_key = Ed25519PublicKey.from_public_bytes(raw[1:])
    text, block = _split(note)
    for line in block.splitlines():
        if line.startswith(f"\u2014 {name} "):
            data = base64.b64decode(line.split(" ", 2)[2])
            if data[:4].hex() != key_id_hex or len(data) != 4 + 8 + 64:
                continue
            timestamp = struct.unpack(">Q", data[4:12])[0]
            try:
                public_key.verify(data[12:], _message(text, timestamp))
            except Exception:
                break
            return int(timestamp)
    raise SignatureError(f"no valid cosignature by {name}", f"ไม่มีลายมือชื่อร่วมของ {name}")


@dataclass
class _Seen:
    size: int
    root: bytes
    note: str


class Witness:
    """A witness's file and key. ``ledger_keys`` (verifier keys of the ledger's checkpoint
    keys) are pinned in the file the first time; later they are read from it."""

    def __init__(self, path: Path, name: str, private_key: Ed25519PrivateKey) -> None:
        self.path = path
        self.name = name
        self.private_key = private_key
        self.ledger_keys: list[str] = []
        self.seen: list[_Seen] = []
        if path.exists():
            self._read()

    def _read(self) -> None:
        for line in self.path.read_bytes().splitlines():
            if not line.strip():
                continue
            item: dict[str, Any] = orjson.loads(line)
            if "verifier_key" in item:
                self.ledger_keys.append(str(item["verifier_key"]))
            elif "note" in item:
                body = self._open(str(item["note"]))
                self.seen.append(_Seen(body.size, body.root, str(item["note"])))

    def _open(self, note: str) -> CheckpointBody:
        verifiers = dict(parse_verifier_key(k) for k in self.ledger_keys)
        try:
            return CheckpointBody.parse(open_note(note, verifiers).text)
        except (SignatureError, IntegrityError) as e:
            raise Refused(f"the checkpoint does not open with the pinned keys: {e.message}",
                          f"เปิดจุดตรวจสอบด้วยกุญแจที่ตรึงไว้ไม่ได้: {e.message_th}") from None

    @property
    def last(self) -> _Seen | None:
        return self.seen[-1] if self.seen else None

    def witness(self, note: str, proof: list[bytes], ledger_keys: list[str]) -> str:
        """Check ``note`` against the last checkpoint seen (``proof``: the consistency proof
        from its size), cosign it and keep it; raise ``Refused`` on a rollback or a fork."""
        lines: list[bytes] = []
        if not self.ledger_keys:
            self.ledger_keys = list(ledger_keys)
            lines += [orjson.dumps({"verifier_key": k}) for k in self.ledger_keys]
            lines.append(orjson.dumps({"witness_key": cosigner_key(
                self.name, self.private_key.public_key())}))
        body = self._open(note)
        last = self.last
        if last is not None:
            if body.size < last.size:
                raise Refused(f"rollback: the checkpoint of size {body.size} is smaller than "
                              f"the {last.size} already seen",
                              f"ย้อนกลับ: จุดตรวจสอบขนาด {body.size} เล็กกว่า {last.size} ที่เคยเห็น")
            if body.size == last.size and body.root == last.root:
                return last.note
            try:
                verify_consistency(last.size, body.size, last.root, body.root, proof)
            except IntegrityError as e:
                raise Refused(f"fork: the checkpoint of size {body.size} does not extend the "
                              f"one of size {last.size} already seen ({e.message})",
                              f"แยกสาย: จุดตรวจสอบขนาด {body.size} ไม่ได้ต่อจากขนาด "
                              f"{last.size} ที่เคยเห็น") from None
        cosigned = cosign(note, self.name, self.private_key)
        lines.append(orjson.dumps({"tree_size": body.size, "note": cosigned}))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("ab") as f:
            f.write(b"".join(x + b"\n" for x in lines))
        self.seen.append(_Seen(body.size, body.root, cosigned))
        return cosigned
