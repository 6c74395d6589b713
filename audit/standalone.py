"""A standalone verifier of tabien's checkpoints and proofs: this one file, Python's standard
library and ``cryptography``, nothing else — a bank, a court or another agency can check a
proof without the database or tabien.

    python standalone.py checkpoint-key.vkey proof.json

``checkpoint-key.vkey`` holds the checkpoint key's verifier key (``name+hash+base64``, as
``tabien audit checkpoints export`` writes it). The proof is an inclusion proof (an event is in
the signed log) or a consistency proof (a later checkpoint extends an earlier one), each with
its signed checkpoint note(s). Exit 0 when it holds, 1 when it does not, saying why.

The algorithms are RFC 9162 §2.1.3.2 and §2.1.4.2; the note format is C2SP signed-note with
the tlog-checkpoint body (origin, size, base64 root).
"""

from __future__ import annotations

import base64
import hashlib
import json
import sys
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

__all__ = ["ProofError", "check_file", "open_checkpoint", "verify_consistency",
           "verify_inclusion"]


class ProofError(ValueError):
    """The proof, the checkpoint or its signature does not hold."""


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _vkey(text: str) -> tuple[str, bytes, Ed25519PublicKey]:
    try:
        name, key_hash, encoded = text.strip().split("+", 2)
        raw = base64.b64decode(encoded, validate=True)
    except ValueError as e:
        raise ProofError(f"malformed verifier key: {e}") from None
    if len(raw) != 33 or raw[0] != 1:
        raise ProofError("the verifier key is not an Ed25519 key")
    expected = hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4]
    if expected.hex() != key_hash:
        raise ProofError("the verifier key's hash does not match its name and key")
    return name, expected, Ed25519PublicKey.from_public_bytes(raw[1:])


def open_checkpoint(note: str, vkey: str) -> tuple[str, int, bytes]:
    """(origin, size, root) of a checkpoint note signed by the key ``vkey``."""
    name, key_hash, public_key = _vkey(vkey)
    text, separator, signatures = note.rpartition("\n\n")
    if not separator:
        raise ProofError("the checkpoint has no signature block")
    body = text + "\n"
    for line in signatures.splitlines():
        prefix = f"\u2014 {name} "
        if not line.startswith(prefix):
            continue
        blob = base64.b64decode(line[len(prefix):])
        if blob[:4] != key_hash:
            continue
        try:
            public_key.verify(blob[4:], body.encode())
        except InvalidSignature:
            raise ProofError("the checkpoint's signature does not verify") from None
        lines = body.split("\n")
        root = base64.b64decode(lines[2])
        if len(root) != 32 or not lines[1].isdigit():
            raise ProofError("the checkpoint's body is malformed")
        return lines[0], int(lines[1]), root
    raise ProofError("the checkpoint is not signed by this key")


def verify_inclusion(proof: dict[str, Any], vkey: str) -> None:
    _, size, root = open_checkpoint(proof["checkpoint"], vkey)
    index, path = int(proof["leaf_index"]), [bytes.fromhex(h) for h in proof["proof"]]
    if size != int(proof["tree_size"]) or index >= size:
        raise ProofError("the proof's size or index does not fit the checkpoint")
    node = hashlib.sha256(b"\x00" + bytes.fromhex(proof["event_hash"])).digest()
    first, last = index, size - 1
    for sibling in path:
        if last == 0:
            raise ProofError("the inclusion proof is too long")
        if first & 1 or first == last:
            node = _node(sibling, node)
            while not first & 1 and first:
                first, last = first >> 1, last >> 1
        else:
            node = _node(node, sibling)
        first, last = first >> 1, last >> 1
    if last != 0 or node != root:
        raise ProofError("the event is not in the log under this checkpoint")


def verify_consistency(proof: dict[str, Any], vkey: str) -> None:
    _, old_size, old_root = open_checkpoint(proof["old_checkpoint"], vkey)
    _, new_size, new_root = open_checkpoint(proof["new_checkpoint"], vkey)
    path = [bytes.fromhex(h) for h in proof["proof"]]
    if old_size > new_size:
        raise ProofError("the old checkpoint is larger than the new one")
    if old_size in (new_size, 0):
        # Equal trees must be equal; every tree extends the empty one (tabien's policy).
        if path or (old_size == new_size and old_root != new_root):
            raise ProofError("equal or empty trees take an empty proof and equal roots")
        return
    if not path:
        raise ProofError("the consistency proof is empty")
    if old_size & (old_size - 1) == 0:
        path = [old_root, *path]
    first, last = old_size - 1, new_size - 1
    while first & 1:
        first, last = first >> 1, last >> 1
    old_node = new_node = path[0]
    for sibling in path[1:]:
        if last == 0:
            raise ProofError("the consistency proof is too long")
        if first & 1 or first == last:
            old_node, new_node = _node(sibling, old_node), _node(sibling, new_node)
            while not first & 1 and first:
                first, last = first >> 1, last >> 1
        else:
            new_node = _node(new_node, sibling)
        first, last = first >> 1, last >> 1
    if last != 0 or old_node != old_root or new_node != new_root:
        raise ProofError("the new checkpoint does not extend the old one")


def check_file(vkey: str, proof: dict[str, Any]) -> str:
    kind = proof.get("type")
    if kind == "tabien-inclusion-proof/v1":
        verify_inclusion(proof, vkey)
        return f"event {proof['event']} is in the log of size {proof['tree_size']}"
    if kind == "tabien-consistency-proof/v1":
        verify_consistency(proof, vkey)
        return "the new checkpoint extends the old one"
    raise ProofError(f"unknown proof type {kind!r}")


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__)
        return 2
    with open(argv[1], encoding="utf-8") as vkey_file, open(argv[2], encoding="utf-8") as f:
        vkey, proof = vkey_file.read(), json.load(f)
    try:
        print("OK:", check_file(vkey, proof))
    except (ProofError, KeyError, ValueError) as e:
        print("FAILED:", e)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
