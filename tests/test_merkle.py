"""Tests of ledger.merkle: RFC 6962 vectors, a literal RFC 9162 reading, properties.

The vectors in tests/vectors/rfc6962 are copied verbatim from the test data of
transparency-dev/merkle (Apache-2.0, licence beside them).  Each file is one
probe: ``happy-path`` must verify, every other file is a mutation that must
not, e.g. ``size2-div-@2`` halves size2, ``modified-proof@0-bit-@4`` flips bit 4
of proof[0], ``wrong-root1`` replaces root1 by 9 arbitrary bytes.  Two verdicts
are policy rather than arithmetic (hash length, consistency from size 0); the
``test_policy_*`` tests state the choices of ledger.merkle.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.errors import IntegrityError, InvalidInput
from ledger.merkle import (
    EMPTY_ROOT,
    CompactRange,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_of,
    verify_consistency,
    verify_inclusion,
)

VECTOR_ROOT = Path(__file__).parent / "vectors" / "rfc6962"
INCLUSION_FILES = sorted((VECTOR_ROOT / "inclusion").rglob("*.json"))
CONSISTENCY_FILES = sorted((VECTOR_ROOT / "consistency").rglob("*.json"))

# The only vector whose wantErr our policy overrides: it accepts two equal
# 12-byte "roots" for trees of size 1, and we refuse any hash not 32 bytes long.
POLICY_VERDICTS = {"consistency/additional/sizes-are-equal-one-and-proof-is-empty.json": True}

# The leaves of the reference tree behind the happy paths (the RFC 6962 test
# tree of the certificate-transparency code).  The vector files do not carry
# leaves, so test_reference_leaves_reproduce_the_vector_hashes first proves
# these against the leaf hashes and roots in the files.
REFERENCE_LEAVES = [
    bytes.fromhex(text)
    for text in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
REFERENCE_HASHES = [leaf_hash(leaf) for leaf in REFERENCE_LEAVES]


def _vector_id(path: Path) -> str:
    return path.relative_to(VECTOR_ROOT).as_posix()


def _load(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def _hash(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


def _hashes(texts: list[str] | None) -> list[bytes]:
    return [_hash(text) for text in texts or []]


def _check_inclusion_vector(vector: dict[str, Any]) -> None:
    verify_inclusion(
        _hash(vector["leafHash"]),
        vector["leafIdx"],
        vector["treeSize"],
        _hashes(vector["proof"]),
        _hash(vector["root"]),
    )


def _check_consistency_vector(vector: dict[str, Any]) -> None:
    verify_consistency(
        vector["size1"],
        vector["size2"],
        _hash(vector["root1"]),
        _hash(vector["root2"]),
        _hashes(vector["proof"]),
    )


def _happy_paths(files: list[Path]) -> list[Path]:
    return [path for path in files if path.name == "happy-path.json"]


# -- a literal reading of RFC 9162 §2.1, recursion and slices included ---------


def _split(count: int) -> int:
    split = 1
    while split * 2 < count:
        split *= 2
    return split


def _reference_root(hashes: Sequence[bytes]) -> bytes:
    if not hashes:
        return EMPTY_ROOT
    if len(hashes) == 1:
        return hashes[0]
    k = _split(len(hashes))
    return node_hash(_reference_root(hashes[:k]), _reference_root(hashes[k:]))


def _reference_path(index: int, hashes: Sequence[bytes]) -> list[bytes]:
    if len(hashes) <= 1:
        return []
    k = _split(len(hashes))
    if index < k:
        return [*_reference_path(index, hashes[:k]), _reference_root(hashes[k:])]
    return [*_reference_path(index - k, hashes[k:]), _reference_root(hashes[:k])]


def _reference_subproof(old: int, hashes: Sequence[bytes], complete: bool) -> list[bytes]:
    if old == len(hashes):
        return [] if complete else [_reference_root(hashes)]
    k = _split(len(hashes))
    if old <= k:
        return [*_reference_subproof(old, hashes[:k], complete), _reference_root(hashes[k:])]
    return [*_reference_subproof(old - k, hashes[k:], False), _reference_root(hashes[:k])]


def _tree(seed: int, size: int) -> list[bytes]:
    return [leaf_hash(f"{seed}/{number}".encode()) for number in range(size)]


def _flip(value: bytes, bit: int) -> bytes:
    mutable = bytearray(value)
    mutable[bit // 8] ^= 1 << (bit % 8)
    return bytes(mutable)


# -- the vectors ---------------------------------------------------------------


def test_every_vector_file_is_collected() -> None:
    assert (len(INCLUSION_FILES), len(CONSISTENCY_FILES)) == (98, 98)
    assert (VECTOR_ROOT / "LICENSE").is_file()


@pytest.mark.parametrize("path", INCLUSION_FILES, ids=_vector_id)
def test_inclusion_vector(path: Path) -> None:
    vector = _load(path)
    if POLICY_VERDICTS.get(_vector_id(path), vector["wantErr"]):
        with pytest.raises(IntegrityError):
            _check_inclusion_vector(vector)
    else:
        _check_inclusion_vector(vector)


@pytest.mark.parametrize("path", CONSISTENCY_FILES, ids=_vector_id)
def test_consistency_vector(path: Path) -> None:
    vector = _load(path)
    if POLICY_VERDICTS.get(_vector_id(path), vector["wantErr"]):
        with pytest.raises(IntegrityError):
            _check_consistency_vector(vector)
    else:
        _check_consistency_vector(vector)


def test_reference_leaves_reproduce_the_vector_hashes() -> None:
    roots = {}
    for path in _happy_paths(INCLUSION_FILES):
        vector = _load(path)
        roots[vector["treeSize"]] = _hash(vector["root"])
        assert REFERENCE_HASHES[vector["leafIdx"]] == _hash(vector["leafHash"]), path
    for path in _happy_paths(CONSISTENCY_FILES):
        vector = _load(path)
        roots[vector["size1"]] = _hash(vector["root1"])
        roots[vector["size2"]] = _hash(vector["root2"])
    assert sorted(roots) == [1, 2, 3, 5, 6, 7, 8]
    for size, root in roots.items():
        assert root_of(REFERENCE_HASHES[:size]) == root, size


@pytest.mark.parametrize("path", _happy_paths(INCLUSION_FILES), ids=_vector_id)
def test_inclusion_proof_reproduces_happy_path(path: Path) -> None:
    vector = _load(path)
    proof = inclusion_proof(REFERENCE_HASHES, vector["leafIdx"], vector["treeSize"])
    assert proof == _hashes(vector["proof"])


def test_single_entry_vector_is_the_tree_of_one_leaf() -> None:
    vector = _load(VECTOR_ROOT / "inclusion/single-entry/matching-root-and-leaf.json")
    # The generator's one-leaf tree holds the leaf b"data"; its root is its leaf hash.
    leaves = [leaf_hash(b"data")]
    assert _hash(vector["leafHash"]) == leaves[0] == root_of(leaves) == _hash(vector["root"])
    assert inclusion_proof(leaves, 0, 1) == _hashes(vector["proof"]) == []


@pytest.mark.parametrize("path", _happy_paths(CONSISTENCY_FILES), ids=_vector_id)
def test_consistency_proof_reproduces_happy_path(path: Path) -> None:
    vector = _load(path)
    proof = consistency_proof(REFERENCE_HASHES, vector["size1"], vector["size2"])
    assert proof == _hashes(vector["proof"])


# -- policies --------------------------------------------------------------------


def test_policy_hashes_are_exactly_32_bytes_even_for_equal_sizes() -> None:
    """Policy: a root or proof element that is not 32 bytes is refused, always.

    The vector sizes-are-equal-one-and-proof-is-empty expects acceptance of two
    equal 12-byte "roots" ("don't care 2") for trees of size 1; RFC arithmetic
    would only compare them.  We refuse them, because no SHA-256 root is 12
    bytes long; the same probe with a real 32-byte root is accepted.
    """
    vector = _load(
        VECTOR_ROOT / "consistency/additional/sizes-are-equal-one-and-proof-is-empty.json"
    )
    assert vector["wantErr"] is False
    with pytest.raises(IntegrityError, match="32 bytes"):
        _check_consistency_vector(vector)
    verify_consistency(1, 1, REFERENCE_HASHES[0], REFERENCE_HASHES[0], [])
    root = root_of(REFERENCE_HASHES)
    with pytest.raises(IntegrityError, match="32 bytes"):
        verify_inclusion(REFERENCE_HASHES[0], 0, 8, [b"\x00" * 31], root)
    with pytest.raises(IntegrityError, match="32 bytes"):
        verify_inclusion(REFERENCE_HASHES[0], 0, 1, [], root + b"\x00")


def test_policy_any_tree_is_consistent_with_the_empty_tree() -> None:
    """Policy: from size 0, only an empty proof and old_root == EMPTY_ROOT pass.

    RFC 9162 defines no consistency proof for m = 0.  Every tree extends the
    empty tree, so the proof is empty and proves nothing about new_root, which
    is only length-checked: callers must trust it by its signature.
    """
    new_root = root_of(REFERENCE_HASHES[:5])
    verify_consistency(0, 5, EMPTY_ROOT, new_root, [])
    verify_consistency(0, 5, EMPTY_ROOT, _flip(new_root, 0), [])
    assert consistency_proof(REFERENCE_HASHES, 0, 5) == []
    with pytest.raises(IntegrityError, match="must be empty"):
        verify_consistency(0, 5, EMPTY_ROOT, new_root, [EMPTY_ROOT])
    with pytest.raises(IntegrityError, match="empty tree"):
        verify_consistency(0, 5, REFERENCE_HASHES[0], new_root, [])


def test_policy_empty_tree_equals_only_the_empty_tree() -> None:
    """Policy: two trees of size 0 agree only if both roots are EMPTY_ROOT."""
    verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    other = REFERENCE_HASHES[0]
    with pytest.raises(IntegrityError, match="empty tree"):
        verify_consistency(0, 0, other, other, [])
    with pytest.raises(IntegrityError, match="differ"):
        verify_consistency(0, 0, EMPTY_ROOT, other, [])


@pytest.mark.parametrize(
    "path",
    [path for path in CONSISTENCY_FILES if _load(path)["size1"] == 0],
    ids=_vector_id,
)
def test_policy_vectors_from_size_zero_are_refused_for_a_stated_reason(path: Path) -> None:
    """Policy check of every vector with size1 == 0 (all expect an error).

    Each is refused by one of our rules: a hash that is not 32 bytes, a
    non-empty proof, or a size-0 root that is not EMPTY_ROOT.  Note that
    size1-is-zero-and-size2-is-not-zero is refused only because its root2 is
    12 bytes: with a real 32-byte root2 our policy would accept it.
    """
    vector = _load(path)
    assert vector["wantErr"] is True
    with pytest.raises(IntegrityError, match=r"32 bytes|must be empty|empty tree") as caught:
        _check_consistency_vector(vector)
    assert caught.value.message_th != caught.value.message


# -- building the tree -----------------------------------------------------------


def test_hash_definitions() -> None:
    assert hashlib.sha256(b"").digest() == EMPTY_ROOT
    assert leaf_hash(b"abc") == hashlib.sha256(b"\x00abc").digest()
    left, right = b"L" * 32, b"R" * 32
    assert node_hash(left, right) == hashlib.sha256(b"\x01" + left + right).digest()
    assert root_of([]) == EMPTY_ROOT
    assert CompactRange().root() == EMPTY_ROOT


@given(st.integers(min_value=0, max_value=150), st.integers(min_value=0))
def test_root_of_follows_the_rfc_definition(size: int, seed: int) -> None:
    leaves = _tree(seed, size)
    assert root_of(leaves) == _reference_root(leaves)


@given(st.lists(st.binary(min_size=32, max_size=32), max_size=300), st.data())
def test_compact_range_root_equals_root_of(leaves: list[bytes], data: st.DataObject) -> None:
    cut = data.draw(st.integers(min_value=0, max_value=len(leaves)))
    compact = CompactRange()
    for leaf in leaves[:cut]:
        compact.append(leaf)
    snapshot = compact.copy()
    compact.extend(iter(leaves[cut:]))
    assert compact.size == len(leaves)
    assert compact.root() == root_of(leaves)
    assert snapshot.root() == root_of(leaves[:cut])
    assert CompactRange.from_bytes(compact.to_bytes()).root() == compact.root()


def test_compact_range_extend_matches_on_a_large_unaligned_tree() -> None:
    leaves = _tree(7, (1 << 16) + 12345)
    expected = root_of(leaves)
    compact = CompactRange()
    compact.extend(leaves[:3])
    compact.extend(leaves[3:])
    assert compact.root() == expected
    assert compact.to_bytes() == CompactRange.from_bytes(compact.to_bytes()).to_bytes()


def test_compact_range_serialisation_layout() -> None:
    compact = CompactRange()
    compact.extend(REFERENCE_HASHES[:6])
    encoded = compact.to_bytes()
    assert encoded[:8] == (6).to_bytes(8, "big")
    four, two = root_of(REFERENCE_HASHES[:4]), root_of(REFERENCE_HASHES[4:6])
    assert encoded[8:] == four + two
    assert CompactRange().to_bytes() == bytes(8)


@pytest.mark.parametrize(
    "encoded",
    [
        b"",
        bytes(7),
        (1).to_bytes(8, "big"),
        (1).to_bytes(8, "big") + bytes(31),
        (1).to_bytes(8, "big") + bytes(33),
        (3).to_bytes(8, "big") + bytes(32),
        bytes(8) + bytes(32),
    ],
    ids=[
        "empty",
        "short-size",
        "missing-hash",
        "short-hash",
        "trailing-byte",
        "one-of-two",
        "extra",
    ],
)
def test_compact_range_refuses_malformed_encodings(encoded: bytes) -> None:
    with pytest.raises(InvalidInput, match="compact range"):
        CompactRange.from_bytes(encoded)


def test_builders_refuse_bad_input() -> None:
    with pytest.raises(InvalidInput):
        root_of([b"short"])
    with pytest.raises(InvalidInput):
        CompactRange().append(b"\x00" * 33)
    with pytest.raises(InvalidInput):
        CompactRange().extend([REFERENCE_HASHES[0], b""])
    with pytest.raises(InvalidInput):
        inclusion_proof(REFERENCE_HASHES, 8, 8)
    with pytest.raises(InvalidInput):
        inclusion_proof(REFERENCE_HASHES, 0, 9)
    with pytest.raises(InvalidInput):
        consistency_proof(REFERENCE_HASHES, 5, 4)
    with pytest.raises(InvalidInput):
        consistency_proof(REFERENCE_HASHES, -1, 4)


def test_compact_range_copy_is_independent() -> None:
    original = CompactRange()
    original.extend(REFERENCE_HASHES[:3])
    twin = original.copy()
    twin.append(REFERENCE_HASHES[3])
    assert (original.size, twin.size) == (3, 4)
    assert original.root() == root_of(REFERENCE_HASHES[:3])


# -- generated proofs --------------------------------------------------------------


@settings(deadline=None, max_examples=300)
@given(st.integers(min_value=1, max_value=200), st.integers(min_value=0), st.data())
def test_inclusion_proofs_verify_and_any_bit_flip_fails(
    size: int, seed: int, data: st.DataObject
) -> None:
    leaves = _tree(seed, size)
    index = data.draw(st.integers(min_value=0, max_value=size - 1), label="index")
    root = root_of(leaves)
    proof = inclusion_proof(leaves, index, size)
    assert proof == _reference_path(index, leaves)
    verify_inclusion(leaves[index], index, size, proof, root)

    fields = [leaves[index], root, *proof]
    field = data.draw(st.integers(min_value=0, max_value=len(fields) - 1), label="field")
    bit = data.draw(st.integers(min_value=0, max_value=255), label="bit")
    fields[field] = _flip(fields[field], bit)
    with pytest.raises(IntegrityError):
        verify_inclusion(fields[0], index, size, fields[2:], fields[1])


@settings(deadline=None, max_examples=300)
@given(st.integers(min_value=1, max_value=200), st.integers(min_value=0), st.data())
def test_consistency_proofs_verify_and_any_bit_flip_fails(
    new_size: int, seed: int, data: st.DataObject
) -> None:
    leaves = _tree(seed, new_size)
    old_size = data.draw(st.integers(min_value=1, max_value=new_size), label="old_size")
    old_root, new_root = root_of(leaves[:old_size]), root_of(leaves)
    proof = consistency_proof(leaves, old_size, new_size)
    if old_size < new_size:
        assert proof == _reference_subproof(old_size, leaves, True)
    verify_consistency(old_size, new_size, old_root, new_root, proof)

    fields = [old_root, new_root, *proof]
    field = data.draw(st.integers(min_value=0, max_value=len(fields) - 1), label="field")
    bit = data.draw(st.integers(min_value=0, max_value=255), label="bit")
    fields[field] = _flip(fields[field], bit)
    with pytest.raises(IntegrityError):
        verify_consistency(old_size, new_size, fields[0], fields[1], fields[2:])


def test_every_single_bit_flip_fails_on_one_tree() -> None:
    leaves = _tree(1, 13)
    root = root_of(leaves)
    path = inclusion_proof(leaves, 6, 13)
    for field in range(2 + len(path)):
        for bit in range(256):
            values = [leaves[6], root, *path]
            values[field] = _flip(values[field], bit)
            with pytest.raises(IntegrityError):
                verify_inclusion(values[0], 6, 13, values[2:], values[1])
    old_root, proof = root_of(leaves[:6]), consistency_proof(leaves, 6, 13)
    for field in range(2 + len(proof)):
        for bit in range(256):
            values = [old_root, root, *proof]
            values[field] = _flip(values[field], bit)
            with pytest.raises(IntegrityError):
                verify_consistency(6, 13, values[0], values[1], values[2:])


@given(st.integers(min_value=1, max_value=64), st.data())
def test_wrong_positions_and_lengths_are_refused(size: int, data: st.DataObject) -> None:
    leaves = _tree(3, size)
    root = root_of(leaves)
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    proof = inclusion_proof(leaves, index, size)
    with pytest.raises(IntegrityError):
        verify_inclusion(leaves[index], index, size, [*proof, root], root)
    if proof:
        with pytest.raises(IntegrityError, match="expected"):
            verify_inclusion(leaves[index], index, size, proof[:-1], root)
    with pytest.raises(IntegrityError, match="out of range"):
        verify_inclusion(leaves[index], size, size, proof, root)
    with pytest.raises(IntegrityError, match="out of range"):
        verify_inclusion(leaves[index], -1, size, proof, root)


def test_size_ordering_is_checked() -> None:
    root = root_of(REFERENCE_HASHES)
    with pytest.raises(IntegrityError, match="between 0"):
        verify_consistency(8, 7, root, root, [])
    with pytest.raises(IntegrityError, match="between 0"):
        verify_consistency(-1, 7, root, root, [])
    with pytest.raises(IntegrityError, match="empty"):
        verify_consistency(7, 7, root, root, [root])
