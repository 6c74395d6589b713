"""Tests of ledger.credentials.did_key: base58btc, Multikey and did:key for Ed25519.

The key pair is the W3C vc-di-eddsa test vector (tests/vectors/vc-di-eddsa, W3C Software and
Document License beside it); the base58 examples are those of draft-msporny-base58.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from ledger.credentials.did_key import (
    b58decode,
    b58encode,
    did_key,
    multibase_b58decode,
    public_key_from,
    public_key_from_multibase,
    public_key_multibase,
    verification_method,
)
from ledger.errors import InvalidInput

VECTORS = Path(__file__).parent / "vectors" / "vc-di-eddsa"
KEY_PAIR = json.loads((VECTORS / "keyPair.json").read_text())
THAI = re.compile("[\u0e00-\u0e7f]")


def vector_private_key() -> Ed25519PrivateKey:
    """The vector's ``privateKeyMultibase``: multicodec ed25519-priv (0x1300, varint 0x80 0x26)
    followed by the 32-byte seed."""
    data = multibase_b58decode(KEY_PAIR["privateKeyMultibase"])
    assert data[:2] == b"\x80\x26"
    return Ed25519PrivateKey.from_private_bytes(data[2:])


@pytest.mark.parametrize(("data", "text"), [
    (b"Hello World!", "2NEpo7TZRRrLZSi2U"),
    (b"The quick brown fox jumps over the lazy dog.",
     "USm3fpXnKG5EUBx2ndxBDMPVciP5hGey2Jh4NDv6gmeo1LkMeiKrLJUUBk6Z"),
    (bytes.fromhex("0000287fb4cd"), "11233QC4"),
    (b"", ""),
    (b"\0", "1"),
])
def test_base58btc_matches_the_drafts_examples(data: bytes, text: str) -> None:
    assert b58encode(data) == text
    assert b58decode(text) == data


@given(st.binary(max_size=80))
def test_base58btc_round_trips_any_bytes_leading_zeros_included(data: bytes) -> None:
    assert b58decode(b58encode(data)) == data


@pytest.mark.parametrize("char", ["0", "O", "I", "l", "+", "/", "ก"])
def test_base58btc_refuses_characters_outside_the_bitcoin_alphabet(char: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        b58decode("2NEpo" + char)
    assert THAI.search(caught.value.message_th)


def test_the_vector_key_pair_gives_its_published_public_key_multibase() -> None:
    public_key = vector_private_key().public_key()
    assert public_key_multibase(public_key) == KEY_PAIR["publicKeyMultibase"]
    assert public_key_multibase(public_key).startswith("z6Mk")
    assert public_key_from_multibase(KEY_PAIR["publicKeyMultibase"]) == public_key


def test_did_key_and_its_verification_method_name_the_key_twice() -> None:
    public_key = vector_private_key().public_key()
    multibase = KEY_PAIR["publicKeyMultibase"]
    assert did_key(public_key) == f"did:key:{multibase}"
    assert verification_method(public_key) == f"did:key:{multibase}#{multibase}"
    assert public_key_from(did_key(public_key)) == public_key
    assert public_key_from(verification_method(public_key)) == public_key


def test_any_fresh_key_round_trips_through_its_did() -> None:
    public_key = Ed25519PrivateKey.generate().public_key()
    assert public_key_from(verification_method(public_key)) == public_key


MULTIBASE = KEY_PAIR["publicKeyMultibase"]


@pytest.mark.parametrize("text", [
    "",
    "did:web:example.org",
    f"did:key:{MULTIBASE}".upper(),
    "did:key:",
    "did:key:z",
    f"did:key:{MULTIBASE[1:]}",  # no multibase prefix
    f"did:key:u{MULTIBASE[1:]}",  # another multibase
    f"did:key:{MULTIBASE}0",  # '0' is not base58
    f"did:key:{MULTIBASE}2",  # 33 key bytes
    f"did:key:{MULTIBASE[:-2]}",  # too short
    "did:key:zDnaegE6RR3atJtHKwTRTWHsJ3kNHqFwv7n9YjTgmU7TyfU76",  # a P-256 key
    f"did:key:{MULTIBASE}#key-1",  # a fragment that is not the key
    f"did:key:{MULTIBASE}#",
])
def test_anything_but_an_ed25519_did_key_is_refused_in_thai_and_english(text: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        public_key_from(text)
    assert caught.value.message
    assert THAI.search(caught.value.message_th)


def test_a_value_that_is_not_text_is_refused() -> None:
    with pytest.raises(InvalidInput):
        public_key_from(None)  # type: ignore[arg-type]
