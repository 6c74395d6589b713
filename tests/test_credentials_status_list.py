"""Tests of ledger.credentials.status_list: W3C Bitstring Status List v1.0.

The empty list's ``encodedList`` below is the example of the specification's §2.2
(https://www.w3.org/TR/vc-bitstring-status-list/), a W3C document.
"""

from __future__ import annotations

import base64
import copy
import gzip
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.credentials.data_integrity import add_proof, verify_proof
from ledger.credentials.did_key import did_key, verification_method
from ledger.credentials.status_list import (
    MIN_LENGTH,
    StatusBits,
    check_status,
    status_entry,
    status_list_credential,
)
from ledger.errors import InvalidInput

THAI = re.compile("[\u0e00-\u0e7f]")
SPEC_EMPTY_LIST = "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA"
LIST_URL = "https://tabien.example/status/1001/1"
KEY = Ed25519PrivateKey.generate()
ISSUER = did_key(KEY.public_key())
VALID_FROM = datetime(2025, 10, 1, tzinfo=UTC)


def encode_gzip(data: bytes) -> str:
    return "u" + base64.urlsafe_b64encode(gzip.compress(data)).decode().rstrip("=")


def list_credential(bits: StatusBits, purpose: str = "revocation") -> dict[str, Any]:
    return status_list_credential(list_url=LIST_URL, issuer_did=ISSUER, purpose=purpose,
                                  bits=bits, valid_from=VALID_FROM)


# -- the bitstring ---------------------------------------------------------------------------

def test_a_fresh_list_holds_the_minimum_16_kib_all_clear() -> None:
    bits = StatusBits()
    assert bits.length == MIN_LENGTH == 131_072
    assert not any(bits.get(index) for index in range(0, MIN_LENGTH, 997))


def test_the_specifications_empty_list_decodes_to_131072_clear_bits() -> None:
    assert StatusBits.decode(SPEC_EMPTY_LIST) == StatusBits()


def test_a_fresh_list_gzips_to_a_short_multibase_base64url_string() -> None:
    encoded = StatusBits().encoded()
    assert encoded.startswith("u")
    assert re.fullmatch(r"u[A-Za-z0-9_-]+", encoded)
    assert len(encoded) < 100
    assert encoded == StatusBits().encoded()  # no time stamp inside: the same bits, same text


def test_bit_zero_is_the_most_significant_bit_of_the_first_byte() -> None:
    bits = StatusBits()
    bits.set(0)
    bits.set(9)
    bits.set(MIN_LENGTH - 1)
    raw = gzip.decompress(base64.urlsafe_b64decode(bits.encoded()[1:] + "=="))
    assert raw[:2] == bytes([0b1000_0000, 0b0100_0000])
    assert raw[-1] == 0b0000_0001


def test_a_bit_can_be_cleared_again() -> None:
    bits = StatusBits()
    bits.set(42)
    bits.set(42, False)
    assert bits == StatusBits()


@settings(max_examples=50)
@given(st.sets(st.integers(0, MIN_LENGTH - 1), max_size=300))
def test_set_bits_round_trip_through_the_encoding(indices: set[int]) -> None:
    bits = StatusBits()
    for index in indices:
        bits.set(index)
    decoded = StatusBits.decode(bits.encoded())
    assert decoded == bits
    assert {index for index in indices if decoded.get(index)} == indices
    probes = [0, 1, 7, 8, MIN_LENGTH - 1, *range(100, 200)]
    assert all(decoded.get(index) == (index in indices) for index in probes)


def test_a_longer_list_round_trips() -> None:
    bits = StatusBits(MIN_LENGTH * 2)
    bits.set(MIN_LENGTH * 2 - 1)
    assert StatusBits.decode(bits.encoded()).get(MIN_LENGTH * 2 - 1)


@pytest.mark.parametrize("length", [0, 8, MIN_LENGTH - 8, MIN_LENGTH + 1, -MIN_LENGTH])
def test_a_list_shorter_than_the_minimum_or_not_whole_bytes_is_refused(length: int) -> None:
    with pytest.raises(InvalidInput) as caught:
        StatusBits(length)
    assert THAI.search(caught.value.message_th)


@pytest.mark.parametrize("index", [-1, MIN_LENGTH, True, "3"])
def test_an_index_outside_the_list_is_refused(index: Any) -> None:
    with pytest.raises(InvalidInput):
        StatusBits().get(index)
    with pytest.raises(InvalidInput):
        StatusBits().set(index)


@pytest.mark.parametrize(("encoded", "reason"), [
    (None, "starting with 'u'"),
    ("", "starting with 'u'"),
    (SPEC_EMPTY_LIST[1:], "starting with 'u'"),
    ("z" + SPEC_EMPTY_LIST[1:], "starting with 'u'"),
    (SPEC_EMPTY_LIST + "=", "base64url"),
    (SPEC_EMPTY_LIST.replace("-", "+"), "base64url"),
    ("uA", "base64url"),
    ("u" + base64.urlsafe_b64encode(b"not gzip").decode().rstrip("="), "GZIP"),
    (SPEC_EMPTY_LIST[:-8], "GZIP"),
    ("u", "GZIP"),
    (encode_gzip(bytes(100)), "fewer than 131072 bits"),
    (encode_gzip(bytes(20 * 1024 * 1024)), "too large"),
    ("u" + base64.urlsafe_b64encode(gzip.compress(bytes(16384)) + b"x").decode().rstrip("="),
     "followed by more"),
])
def test_a_malformed_encoded_list_is_refused_in_both_languages(encoded: Any,
                                                              reason: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        StatusBits.decode(encoded)
    assert reason in caught.value.message
    assert THAI.search(caught.value.message_th)


# -- the credential and its entries ----------------------------------------------------------

def test_the_list_credential_is_a_vc_2_with_a_bitstring_status_list_subject() -> None:
    bits = StatusBits()
    assert list_credential(bits) == {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": LIST_URL,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": ISSUER,
        "validFrom": "2025-10-01T00:00:00Z",
        "credentialSubject": {"id": f"{LIST_URL}#list", "type": "BitstringStatusList",
                              "statusPurpose": "revocation", "encodedList": bits.encoded()},
    }


def test_an_entry_names_its_bit_with_the_index_as_a_string() -> None:
    assert status_entry(LIST_URL, 94567) == {
        "id": f"{LIST_URL}#94567",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "94567",
        "statusListCredential": LIST_URL,
    }


def test_a_revoked_certificate_is_found_revoked_and_another_is_not() -> None:
    bits = StatusBits()
    bits.set(94567)
    signed = add_proof(list_credential(bits), KEY,
                       verification_method=verification_method(KEY.public_key()),
                       created=VALID_FROM)
    assert verify_proof(signed, expected_method_prefix=ISSUER).valid
    assert check_status(status_entry(LIST_URL, 94567), signed) is True
    assert check_status(status_entry(LIST_URL, 94568), signed) is False


def test_a_suspension_list_answers_for_suspension_entries() -> None:
    bits = StatusBits()
    bits.set(5)
    assert check_status(status_entry(LIST_URL, 5, "suspension"), list_credential(bits,
                                                                               "suspension"))


def test_a_list_of_another_url_is_refused() -> None:
    entry = status_entry("https://tabien.example/status/1001/2", 5)
    with pytest.raises(InvalidInput, match="not the list"):
        check_status(entry, list_credential(StatusBits()))


def test_a_list_of_another_purpose_is_refused() -> None:
    with pytest.raises(InvalidInput, match="is for 'suspension'"):
        check_status(status_entry(LIST_URL, 5), list_credential(StatusBits(), "suspension"))


@pytest.mark.parametrize("purpose", ["refresh", "message", "", "Revocation"])
def test_purposes_other_than_revocation_and_suspension_are_refused(purpose: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        status_entry(LIST_URL, 1, purpose)
    assert THAI.search(caught.value.message_th)
    with pytest.raises(InvalidInput):
        list_credential(StatusBits(), purpose)


@pytest.mark.parametrize("index", [-1, True, "5", 2.0])
def test_an_entry_index_must_be_a_whole_number(index: Any) -> None:
    with pytest.raises(InvalidInput):
        status_entry(LIST_URL, index)


def entry_with(**changes: Any) -> dict[str, Any]:
    entry = status_entry(LIST_URL, 5)
    for name, value in changes.items():
        if value is None:
            del entry[name]
        else:
            entry[name] = value
    return entry


@pytest.mark.parametrize(("entry", "reason"), [
    ("not an entry", "BitstringStatusListEntry"),
    (entry_with(type="StatusList2021Entry"), "BitstringStatusListEntry"),
    (entry_with(statusSize=2), "statusSize"),
    (entry_with(statusListIndex=5), "statusListIndex"),
    (entry_with(statusListIndex="-5"), "statusListIndex"),
    (entry_with(statusListIndex="๕"), "statusListIndex"),
    (entry_with(statusListIndex="9" * 5000), "statusListIndex"),
    (entry_with(statusListIndex=None), "statusListIndex"),
    (entry_with(statusListIndex=str(MIN_LENGTH)), "outside the list"),
    (entry_with(statusListCredential=None), "statusListCredential"),
    (entry_with(statusPurpose=None), "status purpose"),
])
def test_a_malformed_entry_is_refused_in_both_languages(entry: Any, reason: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_status(entry, list_credential(StatusBits()))
    assert reason in caught.value.message
    assert THAI.search(caught.value.message_th)


def list_with(path: tuple[str, ...], value: Any) -> dict[str, Any]:
    credential = copy.deepcopy(list_credential(StatusBits()))
    target = credential
    for step in path[:-1]:
        target = target[step]
    if value is None:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return credential


@pytest.mark.parametrize(("credential", "reason"), [
    ([], "BitstringStatusListCredential"),
    (list_with(("type",), ["VerifiableCredential"]), "BitstringStatusListCredential"),
    (list_with(("type",), "BitstringStatusListCredential"), "BitstringStatusListCredential"),
    (list_with(("id",), None), "not the list"),
    (list_with(("credentialSubject",), None), "BitstringStatusList"),
    (list_with(("credentialSubject", "type"), "StatusList2021"), "BitstringStatusList"),
    (list_with(("credentialSubject", "encodedList"), None), "starting with 'u'"),
    (list_with(("credentialSubject", "encodedList"), "uAAAA"), "GZIP"),
])
def test_a_malformed_list_credential_is_refused_in_both_languages(credential: Any,
                                                                  reason: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_status(status_entry(LIST_URL, 5), credential)
    assert reason in caught.value.message
    assert THAI.search(caught.value.message_th)
