"""``MerkleLevels`` gives the same inclusion proofs as the one-proof-at-a-time path."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.errors import InvalidInput
from ledger.merkle import MerkleLevels, inclusion_proof, leaf_hash, root_of, verify_inclusion


def _leaves(count: int) -> list[bytes]:
    return [leaf_hash(hashlib.sha256(str(i).encode()).digest()) for i in range(count)]


@settings(max_examples=150, deadline=None)
@given(st.integers(min_value=1, max_value=300).flatmap(
    lambda size: st.tuples(st.just(size), st.integers(min_value=0, max_value=size - 1))))
def test_every_proof_equals_the_tree_hashed_per_proof(case: tuple[int, int]) -> None:
    size, index = case
    leaves = _leaves(size)
    levels = MerkleLevels(leaves)
    assert levels.root() == root_of(leaves)
    proof = levels.inclusion_proof(index)
    assert proof == inclusion_proof(leaves, index, size)
    verify_inclusion(leaves[index], index, size, proof, levels.root())  # raises if wrong


def test_an_index_outside_the_tree_is_refused() -> None:
    levels = MerkleLevels(_leaves(5))
    for index in (-1, 5):
        with pytest.raises(InvalidInput, match="out of range"):
            levels.inclusion_proof(index)
