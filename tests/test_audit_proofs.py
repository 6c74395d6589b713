"""Inclusion and consistency proofs, checked by an independent RFC 9162 verifier written here
(recursive, from the definitions — not tabien's code), failing after any bit flip; the
standalone verifier; and a forked history caught against checkpoints kept by a witness."""

from __future__ import annotations

import base64
import hashlib
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from typer.testing import CliRunner

from api.cli import app
from audit.proofs import consistency_file, inclusion_file
from ledger.checkpoints import create_checkpoint
from tests.conftest import LedgerEnv
from tests.factories import draft_order, small_ledger
from tests.test_tampering import RawDB

ROOT = Path(__file__).resolve().parent.parent


# ------------------------------------------------ an independent verifier (RFC 9162)


def node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def split(n: int) -> int:
    """The largest power of two smaller than n (RFC 9162 §2.1.1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def root_from_audit_path(index: int, size: int, leaf: bytes, path: list[bytes]) -> bytes:
    """PATH(m, D[n]) read back by its definition: the last element is the top sibling."""
    if size == 1:
        assert not path, "path too long"
        return leaf
    assert path, "path too short"
    k = split(size)
    if index < k:
        return node(root_from_audit_path(index, k, leaf, path[:-1]), path[-1])
    return node(path[-1], root_from_audit_path(index - k, size - k, leaf, path[:-1]))


def roots_from_subproof(m: int, n: int, complete: bool, proof: list[bytes],
                        old_root: bytes) -> tuple[bytes, bytes]:
    """SUBPROOF(m, D[n], b) read back by its definition, consuming ``proof`` from its end:
    returns (the old tree's hash within this subtree, this subtree's new hash)."""
    if m == n:
        if complete:
            return old_root, old_root
        h = proof.pop()
        return h, h
    k = split(n)
    if m <= k:
        right = proof.pop()
        old, new = roots_from_subproof(m, k, complete, proof, old_root)
        return old, node(new, right)
    left = proof.pop()
    old, new = roots_from_subproof(m - k, n - k, False, proof, old_root)
    return node(left, old), node(left, new)


def signed_root(note: str, public_key: Ed25519PublicKey) -> tuple[int, bytes]:
    """Size and root of a C2SP checkpoint note, after checking its Ed25519 signature."""
    body, _, signatures = note.rpartition("\n\n")
    line = signatures.splitlines()[0]
    blob = base64.b64decode(line.split(" ")[-1])
    public_key.verify(blob[4:], (body + "\n").encode())
    lines = body.split("\n")
    return int(lines[1]), base64.b64decode(lines[2])


def independent_inclusion(proof: dict[str, Any], key: Ed25519PublicKey) -> bool:
    try:
        size, root = signed_root(proof["checkpoint"], key)
        leaf = hashlib.sha256(b"\x00" + bytes.fromhex(proof["event_hash"])).digest()
        path = [bytes.fromhex(h) for h in proof["proof"]]
        return size == proof["tree_size"] and proof["leaf_index"] < size and \
            root_from_audit_path(proof["leaf_index"], size, leaf, path) == root
    except Exception:
        return False


def independent_consistency(proof: dict[str, Any], key: Ed25519PublicKey) -> bool:
    try:
        old_size, old_root = signed_root(proof["old_checkpoint"], key)
        new_size, new_root = signed_root(proof["new_checkpoint"], key)
        path = [bytes.fromhex(h) for h in proof["proof"]]
        old, new = roots_from_subproof(old_size, new_size, True, path, old_root)
        return not path and old == old_root and new == new_root
    except Exception:
        return False


def flips(proof: dict[str, Any]) -> list[dict[str, Any]]:
    """The proof with one bit flipped, in every hash it carries and in its root line."""
    variants = []
    for field in ("proof",):
        for i, value in enumerate(proof[field]):
            for bit in (0, 77, 255):
                raw = bytearray(bytes.fromhex(value))
                raw[bit // 8] ^= 1 << (bit % 8)
                changed = list(proof[field])
                changed[i] = raw.hex()
                variants.append({**proof, field: changed})
    if "event_hash" in proof:
        raw = bytearray(bytes.fromhex(proof["event_hash"]))
        raw[5] ^= 0x10
        variants.append({**proof, "event_hash": raw.hex()})
    for key in ("checkpoint", "old_checkpoint", "new_checkpoint"):
        if key in proof:
            lines = proof[key].split("\n")
            root = bytearray(base64.b64decode(lines[2]))
            root[0] ^= 1
            lines[2] = base64.b64encode(bytes(root)).decode()
            variants.append({**proof, key: "\n".join(lines)})
    return variants


# ------------------------------------------------------------------- the tests


def two_checkpoints(env: LedgerEnv) -> tuple[int, int]:
    small_ledger(env.ledger, env.keys.authority, people=5)
    first = create_checkpoint(env.ledger.store, env.keys.checkpoint).tree_size
    for n in range(20, 27):
        env.ledger.submit(env.keys.registrar, draft_order(n), purpose=f"person {n}")
    second = create_checkpoint(env.ledger.store, env.keys.checkpoint).tree_size
    return first, second


def test_inclusion_proofs_hold_and_fail_after_any_bit_flip(ledger_env: LedgerEnv) -> None:
    first, second = two_checkpoints(ledger_env)
    key = ledger_env.keys.checkpoint.public_key
    positions = [row.notification_id for row in ledger_env.ledger.store.iter_log()]
    for position in positions[:: max(1, len(positions) // 9)]:
        for size in (first, second):
            if positions.index(position) >= size:
                continue
            proof = orjson.loads(inclusion_file(ledger_env.ledger.store, position,
                                                checkpoint_size=size))
            assert independent_inclusion(proof, key)
            for bad in flips(proof):
                assert not independent_inclusion(bad, key)


def test_consistency_proofs_hold_and_fail_after_any_bit_flip(ledger_env: LedgerEnv) -> None:
    first, second = two_checkpoints(ledger_env)
    key = ledger_env.keys.checkpoint.public_key
    proof = orjson.loads(consistency_file(ledger_env.ledger.store, first, second))
    assert proof["proof"]
    assert independent_consistency(proof, key)
    for bad in flips(proof):
        assert not independent_consistency(bad, key)


def test_the_standalone_verifier_needs_only_the_key_and_the_file(
        ledger_env: LedgerEnv, tmp_path: Path) -> None:
    first, _ = two_checkpoints(ledger_env)
    runner, env = CliRunner(), ledger_env.cli_env
    assert runner.invoke(app, ["audit", "checkpoints", "export", "--out",
                               str(tmp_path / "witness.jsonl")], env=env).exit_code == 0
    position = list(ledger_env.ledger.store.iter_log())[3].notification_id
    assert runner.invoke(app, ["audit", "proof", "--position", str(position), "--out",
                               str(tmp_path / "inclusion.json")], env=env).exit_code == 0
    assert runner.invoke(app, ["audit", "consistency", "--old", str(first), "--out",
                               str(tmp_path / "consistency.json")], env=env).exit_code == 0
    standalone = ROOT / "audit" / "standalone.py"
    for name in ("inclusion.json", "consistency.json"):
        # Run as a plain script in an empty folder: no tabien on the path.
        done = subprocess.run([sys.executable, str(standalone), str(tmp_path / "witness.vkey"),
                               str(tmp_path / name)], cwd=tmp_path, capture_output=True,
                              text=True, check=False, env={"PYTHONPATH": ""})
        assert done.returncode == 0, done.stdout + done.stderr
        assert done.stdout.startswith("OK")
        tampered = orjson.loads((tmp_path / name).read_bytes())
        tampered["proof"][0] = "00" * 32
        (tmp_path / f"bad-{name}").write_bytes(orjson.dumps(tampered))
        done = subprocess.run([sys.executable, str(standalone), str(tmp_path / "witness.vkey"),
                               str(tmp_path / f"bad-{name}")], cwd=tmp_path,
                              capture_output=True, text=True, check=False)
        assert done.returncode == 1
        assert "FAILED" in done.stdout


def test_a_forked_history_is_caught_against_a_witness(ledger_env: LedgerEnv,
                                                      tmp_path: Path) -> None:
    # A witness keeps the checkpoints of a ledger with two checkpoints …
    first, second = two_checkpoints(ledger_env)
    runner, env = CliRunner(), ledger_env.cli_env
    witness = tmp_path / "witness.jsonl"
    assert runner.invoke(app, ["audit", "checkpoints", "export", "--out", str(witness)],
                         env=env).exit_code == 0
    # … the database is rolled back to the first checkpoint, as from an old backup …
    db = RawDB(ledger_env)
    last_kept = [r[0] for r in db.rows()][first - 1]
    db.run("DELETE FROM {events} WHERE {id} > ?", (last_kept,))
    db.run("DELETE FROM {submissions} WHERE first_notification_id > ?", (last_kept,))
    db.run("DELETE FROM {checkpoints} WHERE tree_size > ?", (first,))
    # … and a different history is appended, properly signed, and checkpointed.
    ledger = ledger_env.reopen()
    for n in range(40, 48):
        ledger.submit(ledger_env.keys.registrar, draft_order(n), purpose=f"other {n}")
    create_checkpoint(ledger.store, ledger_env.keys.checkpoint)
    # The database alone looks intact; against the witness, the fork shows.
    alone = runner.invoke(app, ["verify"], env=env)
    assert alone.exit_code == 0, alone.output
    against = runner.invoke(app, ["verify", "--against", str(witness)], env=env)
    assert against.exit_code == 1
    assert f"witnessed checkpoint at size {second}" in against.output


@pytest.mark.parametrize("content", [b"not json\n", b'{"verifier_key": "x"}\n',
                                     b'{"tree_size": "3", "note": 5}\n'])
def test_a_malformed_witness_file_is_refused(ledger_env: LedgerEnv, tmp_path: Path,
                                            content: bytes) -> None:
    path = tmp_path / "witness.jsonl"
    path.write_bytes(content)
    result = CliRunner().invoke(app, ["verify", "--against", str(path)], env=ledger_env.cli_env)
    assert result.exit_code == 2
