"""RFC 6962 / RFC 9162 §2.1 Merkle tree: tree hash, compact range, proofs.

The ledger commits to its history with the Merkle Tree Hash (MTH) of RFC 9162
§2.1.1 over SHA-256, with domain-separated leaf (0x00) and node (0x01) hashes.
Every function here works on leaf hashes that the caller has already computed
with :func:`leaf_hash`, so that a leaf's bytes never have to be kept in memory.

Policies, where the RFC leaves a choice or says nothing
-------------------------------------------------------

* **Every hash is exactly 32 bytes.**  A leaf hash, a root or a proof element of
  any other length is refused before any arithmetic: by :class:`IntegrityError`
  in the verifiers, by :class:`InvalidInput` in the builders.  This holds even
  where the RFC's arithmetic would not look at the value, e.g. two equal roots
  of equal-size trees: a 12-byte "root" is not a SHA-256 root of anything.
* **Consistency from the empty tree.**  RFC 9162 defines consistency proofs
  only for ``0 < m < n``.  Here every tree is consistent with the empty tree:
  for ``old_size == 0`` the proof must be empty and ``old_root`` must be
  :data:`EMPTY_ROOT` (MTH of no leaves, §2.1.1); ``new_root`` is then only
  length-checked, because no proof can bind it.  A caller starting from size 0
  learns nothing from the proof and must trust ``new_root`` by other means (its
  signature).  :func:`consistency_proof` returns ``[]`` for ``old_size == 0``.
* **Equal sizes.**  ``old_size == new_size`` needs an empty proof and equal
  roots; at size 0 both roots must be :data:`EMPTY_ROOT`.

Costs: :func:`root_of` and :meth:`CompactRange.extend` do ``n - 1`` node hashes
level by level, with one list per level.  Proof builders work from the leaf
list and cost O(n) hashes per proof; callers that serve many proofs should
cache subtree roots.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Final

from ledger.errors import IntegrityError, InvalidInput

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "AlignedRun",
    "CompactRange",
    "MerkleLevels",
    "aligned_subtrees",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "root_of",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE: Final = 32
EMPTY_ROOT: Final = hashlib.sha256(b"").digest()

_LEAF_PREFIX: Final = b"\x00"
_NODE_PREFIX: Final = b"\x01"
_SIZE_BYTES: Final = 8
_sha256 = hashlib.sha256
_PROOF_KIND_TH: Final = {"inclusion": "การอยู่ในต้นไม้", "consistency": "ความสอดคล้อง"}


def leaf_hash(data: bytes) -> bytes:
    """SHA-256(0x00 || data), the hash of one leaf."""
    return _sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right), the hash of an interior node."""
    return _sha256(_NODE_PREFIX + left + right).digest()


def root_of(leaf_hashes: Sequence[bytes]) -> bytes:
    """The Merkle Tree Hash of already-hashed leaves (RFC 9162 §2.1.1)."""
    _require_leaf_hashes(leaf_hashes, len(leaf_hashes))
    return _subtree_root(leaf_hashes, 0, len(leaf_hashes))


# -- compact range -----------------------------------------------------------


class CompactRange:
    """The Merkle frontier of the leaves ``[0, size)``.

    It holds one perfect-subtree root per set bit of ``size``, the largest
    (leftmost) first, which is all that is needed to append further leaves and
    to compute the root of the whole tree.
    """

    __slots__ = ("_hashes", "_size")

    def __init__(self) -> None:
        self._hashes: list[bytes] = []
        self._size = 0

    @property
    def size(self) -> int:
        """The number of leaves appended so far."""
        return self._size

    def append(self, leaf_hash: bytes) -> None:
        """Append one leaf hash."""
        _require_hash_input(leaf_hash, "leaf hash", "แฮชของใบ")
        self._push(leaf_hash, 0)

    def extend(self, leaf_hashes: Iterable[bytes]) -> None:
        """Append many leaf hashes, in order, at the cost of ``root_of`` on them."""
        batch = leaf_hashes if isinstance(leaf_hashes, list | tuple) else list(leaf_hashes)
        _require_leaf_hashes(batch, len(batch))
        for level, subtree_root in aligned_subtrees(self._size, batch):
            self._push(subtree_root, level)

    def push_subtree(self, subtree_root: bytes, level: int) -> None:
        """Append a perfect subtree of ``2**level`` leaves, already hashed to its root.

        Only a subtree that starts where a tree of that size may (``size`` a multiple of
        ``2**level``) fits; ``aligned_subtrees`` cuts a run of leaves into such pieces.
        """
        _require_hash_input(subtree_root, "subtree root", "รากของต้นไม้ย่อย")
        if level < 0 or self._size % (1 << level):
            raise InvalidInput(
                f"a subtree of 2**{level} leaves cannot start at leaf {self._size}",
                f"ต้นไม้ย่อยขนาด 2**{level} ใบเริ่มที่ใบ {self._size} ไม่ได้",
            )
        self._push(subtree_root, level)

    def root(self) -> bytes:
        """The Merkle Tree Hash of every leaf appended so far."""
        if not self._hashes:
            return EMPTY_ROOT
        root = self._hashes[-1]
        for left in reversed(self._hashes[:-1]):
            root = node_hash(left, root)
        return root

    def copy(self) -> CompactRange:
        """An independent copy: appending to one does not change the other."""
        twin = CompactRange()
        twin._hashes = list(self._hashes)
        twin._size = self._size
        return twin

    def to_bytes(self) -> bytes:
        """Size as 8 bytes big-endian, then the frontier hashes, largest subtree first."""
        return self._size.to_bytes(_SIZE_BYTES, "big") + b"".join(self._hashes)

    @classmethod
    def from_bytes(cls, data: bytes) -> CompactRange:
        """Rebuild a range written by :meth:`to_bytes`; malformed input is refused."""
        if len(data) < _SIZE_BYTES:
            raise _bad_range_encoding(
                f"{len(data)} bytes is shorter than the 8-byte size",
                f"ยาว {len(data)} ไบต์ ซึ่งสั้นกว่าขนาด 8 ไบต์",
            )
        size = int.from_bytes(data[:_SIZE_BYTES], "big")
        expected = _SIZE_BYTES + HASH_SIZE * size.bit_count()
        if len(data) != expected:
            raise _bad_range_encoding(
                f"size {size} needs {expected} bytes, got {len(data)}",
                f"ขนาด {size} ต้องใช้ {expected} ไบต์ แต่ได้ {len(data)} ไบต์",
            )
        compact = cls()
        compact._size = size
        compact._hashes = [
            bytes(data[offset : offset + HASH_SIZE])
            for offset in range(_SIZE_BYTES, expected, HASH_SIZE)
        ]
        return compact

    def __repr__(self) -> str:
        return f"CompactRange(size={self._size}, root={self.root().hex()})"

    def _push(self, subtree_root: bytes, level: int) -> None:
        # The caller guarantees size is a multiple of 2**level, so the new subtree
        # merges with its left neighbours exactly while the matching bits are set.
        hashes = self._hashes
        hashes.append(subtree_root)
        carry = self._size >> level
        while carry & 1:
            right = hashes.pop()
            hashes[-1] = node_hash(hashes[-1], right)
            carry >>= 1
        self._size += 1 << level


class AlignedRun:
    """Leaves ``[begin, end)`` of a larger tree as the fewest perfect subtrees, each ready for
    ``CompactRange.push_subtree``: how a run of leaves is hashed without those before it."""

    def __init__(self, begin: int) -> None:
        self.end = begin
        self.subtrees: list[tuple[int, bytes]] = []

    def extend(self, leaf_hashes: Sequence[bytes]) -> None:
        for level, root in aligned_subtrees(self.end, leaf_hashes):
            self._push(level, root)

    def _push(self, level: int, root: bytes) -> None:
        start = self.end
        self.end += 1 << level
        subtrees = self.subtrees
        # Two neighbours of one size merge when together they start on their joint size.
        while subtrees and subtrees[-1][0] == level and (start - (1 << level)) % (2 << level) == 0:
            root = node_hash(subtrees.pop()[1], root)
            start -= 1 << level
            level += 1
        subtrees.append((level, root))


# -- proofs ------------------------------------------------------------------


def inclusion_proof(leaf_hashes: Sequence[bytes], index: int, size: int) -> list[bytes]:
    """The audit path PATH(index, D[0:size]) of RFC 9162 §2.1.3.1, leaf end first."""
    _require_prefix(leaf_hashes, size)
    if not 0 <= index < size:
        raise InvalidInput(
            f"leaf index {index} is out of range for tree size {size}",
            f"ลำดับใบ {index} อยู่นอกขอบเขตของต้นไม้ขนาด {size}",
        )
    siblings: list[bytes] = []
    low, high = 0, size
    while high - low > 1:
        split = low + _largest_power_of_two_below(high - low)
        if index < split:
            siblings.append(_subtree_root(leaf_hashes, split, high))
            high = split
        else:
            siblings.append(_subtree_root(leaf_hashes, low, split))
            low = split
    siblings.reverse()
    return siblings


class MerkleLevels:
    """Every level of the tree over ``leaf_hashes``, built once, so that many inclusion proofs
    under one size cost a few look-ups each (certificates state several events, and a run of
    certificates many more), where ``inclusion_proof`` hashes the whole tree per proof.

    Level ``l`` node ``k`` is the root of the leaves ``[k·2^l, min((k+1)·2^l, size))``: pairing
    with the odd last node carried up unchanged builds exactly RFC 9162's tree."""

    def __init__(self, leaf_hashes: Sequence[bytes]) -> None:
        self.size = len(leaf_hashes)
        self.levels: list[list[bytes]] = [list(leaf_hashes)]
        while len(self.levels[-1]) > 1:
            self.levels.append(_hash_pairs(self.levels[-1]))

    def root(self) -> bytes:
        return self.levels[-1][0] if self.size else EMPTY_ROOT

    def inclusion_proof(self, index: int) -> list[bytes]:
        """PATH(index, D[0:size]), leaf end first, as ``inclusion_proof`` gives it."""
        if not 0 <= index < self.size:
            raise InvalidInput(
                f"leaf index {index} is out of range for tree size {self.size}",
                f"ลำดับใบ {index} อยู่นอกขอบเขตของต้นไม้ขนาด {self.size}")
        siblings: list[bytes] = []
        low, high = 0, self.size
        while high - low > 1:
            split = low + _largest_power_of_two_below(high - low)
            if index < split:
                siblings.append(self._node(split, high))
                high = split
            else:
                siblings.append(self._node(low, split))
                low = split
        siblings.reverse()
        return siblings

    def _node(self, start: int, end: int) -> bytes:
        level = (end - start - 1).bit_length()
        return self.levels[level][start >> level]


def consistency_proof(leaf_hashes: Sequence[bytes], old_size: int, new_size: int) -> list[bytes]:
    """PROOF(old_size, D[0:new_size]) of RFC 9162 §2.1.4.1; ``[]`` from size 0 (see policy)."""
    _require_prefix(leaf_hashes, new_size)
    if not 0 <= old_size <= new_size:
        raise InvalidInput(
            f"old tree size {old_size} must be between 0 and the new size {new_size}",
            f"ขนาดต้นไม้เดิม {old_size} ต้องอยู่ระหว่าง 0 ถึงขนาดใหม่ {new_size}",
        )
    if old_size in (0, new_size):
        return []
    nodes: list[bytes] = []
    low, high, old_is_whole_subtree = 0, new_size, True
    while high != old_size:
        split = low + _largest_power_of_two_below(high - low)
        if old_size <= split:
            nodes.append(_subtree_root(leaf_hashes, split, high))
            high = split
        else:
            nodes.append(_subtree_root(leaf_hashes, low, split))
            low, old_is_whole_subtree = split, False
    # The verifier already holds the old root, so it is left out when the old
    # tree is itself one subtree of the new tree (SUBPROOF's flag b).
    if not old_is_whole_subtree:
        nodes.append(_subtree_root(leaf_hashes, low, high))
    nodes.reverse()
    return nodes


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check an audit path with the algorithm of RFC 9162 §2.1.3.2.

    Raises :class:`IntegrityError` naming what failed.
    """
    _require_hash(leaf_hash, "leaf hash", "แฮชของใบ")
    _require_hash(root, "root", "แฮชราก")
    _require_proof_hashes(proof)
    if not 0 <= index < size:
        raise IntegrityError(
            f"leaf index {index} is out of range for tree size {size}",
            f"ลำดับใบ {index} อยู่นอกขอบเขตของต้นไม้ขนาด {size}",
        )
    _require_proof_length(len(proof), _inclusion_proof_length(index, size), "inclusion")
    if _root_from_inclusion(leaf_hash, index, size, proof) != root:
        raise IntegrityError(
            f"inclusion proof for leaf {index} does not lead to the expected root of size {size}",
            f"หลักฐานการอยู่ในต้นไม้ของใบลำดับ {index} ไม่ให้แฮชรากที่คาดไว้ของต้นไม้ขนาด {size}",
        )


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """Check that the tree of ``new_size`` extends the tree of ``old_size``.

    Uses the algorithm of RFC 9162 §2.1.4.2, plus the module's policies for
    equal sizes and for ``old_size == 0``.  Raises :class:`IntegrityError`.
    """
    _require_hash(old_root, "old root", "แฮชรากเดิม")
    _require_hash(new_root, "new root", "แฮชรากใหม่")
    _require_proof_hashes(proof)
    if not 0 <= old_size <= new_size:
        raise IntegrityError(
            f"old tree size {old_size} must be between 0 and the new size {new_size}",
            f"ขนาดต้นไม้เดิม {old_size} ต้องอยู่ระหว่าง 0 ถึงขนาดใหม่ {new_size}",
        )
    if old_size in (0, new_size):
        _verify_trivial_consistency(old_size, new_size, old_root, new_root, proof)
        return
    expected = _consistency_proof_length(old_size, new_size)
    _require_proof_length(len(proof), expected, "consistency")
    old_computed, new_computed = _roots_from_consistency(old_size, new_size, old_root, proof)
    if old_computed != old_root:
        raise IntegrityError(
            f"consistency proof does not match the old root of size {old_size}",
            f"หลักฐานความสอดคล้องไม่ตรงกับแฮชรากเดิมของต้นไม้ขนาด {old_size}",
        )
    if new_computed != new_root:
        raise IntegrityError(
            f"consistency proof does not match the new root of size {new_size}",
            f"หลักฐานความสอดคล้องไม่ตรงกับแฮชรากใหม่ของต้นไม้ขนาด {new_size}",
        )


# -- internals ---------------------------------------------------------------


def _hash_pairs(level: Sequence[bytes]) -> list[bytes]:
    # Carrying an odd last node up unchanged builds exactly RFC 9162's tree,
    # whose split point is the largest power of two below n.
    pairs = iter(level)
    sha256, prefix = _sha256, _NODE_PREFIX
    parents = [
        sha256(prefix + left + right).digest() for left, right in zip(pairs, pairs, strict=False)
    ]
    if len(level) & 1:
        parents.append(level[-1])
    return parents


def _subtree_root(leaf_hashes: Sequence[bytes], start: int, end: int) -> bytes:
    if start == end:
        return EMPTY_ROOT
    level = _hash_pairs(leaf_hashes[start:end])
    while len(level) > 1:
        level = _hash_pairs(level)
    return level[0]


def aligned_subtrees(offset: int, leaf_hashes: Sequence[bytes]) -> list[tuple[int, bytes]]:
    """The leaves ``[offset, offset + len)`` of some larger tree as perfect subtrees.

    Each piece is ``(level, root)`` of ``2**level`` leaves starting at a multiple of
    ``2**level``, left to right, so that a ``CompactRange`` of size ``offset`` takes them in
    order with ``push_subtree``. Whoever holds a run of leaves can hash it without the leaves
    before it: this is how verification splits the log between processes.
    """
    pieces: list[tuple[int, bytes]] = []
    start, end = 0, len(leaf_hashes)
    while start < end:
        # Whole perfect subtrees hash much faster level by level than leaf by leaf.
        chunk = _aligned_chunk(offset + start, end - start)
        pieces.append((chunk.bit_length() - 1, _subtree_root(leaf_hashes, start, start + chunk)))
        start += chunk
    return pieces


def _largest_power_of_two_below(count: int) -> int:
    return 1 << ((count - 1).bit_length() - 1)


def _aligned_chunk(size: int, available: int) -> int:
    largest_fit = 1 << (available.bit_length() - 1)
    if size == 0:
        return largest_fit
    return min(size & -size, largest_fit)


def _inclusion_proof_length(index: int, size: int) -> int:
    # Below the level where the paths to index and to the last leaf part, every
    # level gives one sibling; above it, one left sibling per set bit of index.
    below_fork = (index ^ (size - 1)).bit_length()
    return below_fork + (index >> below_fork).bit_count()


def _consistency_proof_length(old_size: int, new_size: int) -> int:
    # The proof is an inclusion proof of the old tree's last perfect subtree,
    # preceded by that subtree's root unless the old tree is that subtree.
    levels_skipped = (old_size & -old_size).bit_length() - 1
    last_old, last_new = old_size - 1, new_size - 1
    below_fork = (last_old ^ last_new).bit_length()
    length = below_fork - levels_skipped + (last_old >> below_fork).bit_count()
    old_is_power_of_two = old_size & (old_size - 1) == 0
    return length if old_is_power_of_two else length + 1


def _root_from_inclusion(leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes]) -> bytes:
    position, last = index, size - 1
    computed = leaf_hash
    for sibling in proof:
        if last == 0:
            raise _overlong_proof("inclusion")
        if position & 1 or position == last:
            computed = node_hash(sibling, computed)
            # On the right edge a node without a right sibling is promoted as is.
            while position and not position & 1:
                position, last = position >> 1, last >> 1
        else:
            computed = node_hash(computed, sibling)
        position, last = position >> 1, last >> 1
    if last != 0:
        raise IntegrityError(
            "inclusion proof does not reach the root",
            "หลักฐานการอยู่ในต้นไม้ไปไม่ถึงราก",
        )
    return computed


def _roots_from_consistency(
    old_size: int, new_size: int, old_root: bytes, proof: Sequence[bytes]
) -> tuple[bytes, bytes]:
    path = [old_root, *proof] if old_size & (old_size - 1) == 0 else list(proof)
    position, last = old_size - 1, new_size - 1
    while position & 1:
        position, last = position >> 1, last >> 1
    old_computed = new_computed = path[0]
    for node in path[1:]:
        if last == 0:
            raise _overlong_proof("consistency")
        if position & 1 or position == last:
            old_computed = node_hash(node, old_computed)
            new_computed = node_hash(node, new_computed)
            while position and not position & 1:
                position, last = position >> 1, last >> 1
        else:
            new_computed = node_hash(new_computed, node)
        position, last = position >> 1, last >> 1
    if last != 0:
        raise IntegrityError(
            "consistency proof does not reach the new root",
            "หลักฐานความสอดคล้องไปไม่ถึงแฮชรากใหม่",
        )
    return old_computed, new_computed


def _verify_trivial_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    if proof:
        raise IntegrityError(
            f"consistency proof from size {old_size} to {new_size} must be empty,"
            f" got {len(proof)} hashes",
            f"หลักฐานความสอดคล้องจากขนาด {old_size} ถึง {new_size} ต้องว่างเปล่า แต่มีแฮช {len(proof)} ค่า",
        )
    if old_size == 0 and old_root != EMPTY_ROOT:
        raise IntegrityError(
            "the root of the empty tree must be SHA-256 of the empty string",
            "แฮชรากของต้นไม้ว่างต้องเป็น SHA-256 ของสตริงว่าง",
        )
    if old_size == new_size and old_root != new_root:
        raise IntegrityError(
            f"roots differ although both trees have size {old_size}",
            f"แฮชรากไม่ตรงกันทั้งที่ต้นไม้ทั้งสองมีขนาด {old_size}",
        )


def _require_proof_length(got: int, expected: int, kind: str) -> None:
    if got != expected:
        raise IntegrityError(
            f"{kind} proof has {got} hashes, expected {expected}",
            f"หลักฐาน{_PROOF_KIND_TH[kind]}มีแฮช {got} ค่า แต่ต้องมี {expected} ค่า",
        )


def _overlong_proof(kind: str) -> IntegrityError:
    return IntegrityError(
        f"{kind} proof has hashes left over after reaching the root",
        f"หลักฐาน{_PROOF_KIND_TH[kind]}มีแฮชเหลือหลังจากถึงรากแล้ว",
    )


def _require_hash(value: bytes, what: str, what_th: str) -> None:
    if len(value) != HASH_SIZE:
        raise IntegrityError(
            f"{what} must be exactly 32 bytes, got {len(value)}",
            f"{what_th}ต้องยาว 32 ไบต์พอดี แต่ได้ {len(value)} ไบต์",
        )


def _require_proof_hashes(proof: Sequence[bytes]) -> None:
    for position, element in enumerate(proof):
        _require_hash(element, f"proof element {position}", f"องค์ประกอบที่ {position} ของหลักฐาน")


def _require_hash_input(value: bytes, what: str, what_th: str) -> None:
    if len(value) != HASH_SIZE:
        raise InvalidInput(
            f"{what} must be exactly 32 bytes, got {len(value)}",
            f"{what_th}ต้องยาว 32 ไบต์พอดี แต่ได้ {len(value)} ไบต์",
        )


def _require_leaf_hashes(leaf_hashes: Sequence[bytes], count: int) -> None:
    # One C-level pass over the lengths; it costs a few percent of hashing.
    checked = leaf_hashes if count == len(leaf_hashes) else leaf_hashes[:count]
    lengths = set(map(len, checked))
    if lengths and lengths != {HASH_SIZE}:
        raise InvalidInput(
            "every leaf hash must be exactly 32 bytes",
            "แฮชของใบทุกค่าต้องยาว 32 ไบต์พอดี",
        )


def _require_prefix(leaf_hashes: Sequence[bytes], size: int) -> None:
    if not 0 <= size <= len(leaf_hashes):
        raise InvalidInput(
            f"tree size {size} is out of range for {len(leaf_hashes)} leaves",
            f"ขนาดต้นไม้ {size} อยู่นอกขอบเขตของใบที่มี {len(leaf_hashes)} ใบ",
        )
    _require_leaf_hashes(leaf_hashes, size)


def _bad_range_encoding(reason: str, reason_th: str) -> InvalidInput:
    return InvalidInput(
        f"malformed compact range: {reason}",
        f"ข้อมูลช่วงกะทัดรัดของต้นไม้เมอร์เคิลผิดรูปแบบ: {reason_th}",
    )
