"""Tests of ledger.credentials.data_integrity: the eddsa-jcs-2022 cryptosuite.

The vectors in tests/vectors/vc-di-eddsa are copied verbatim from the W3C vc-di-eddsa
specification's test vectors (W3C Software and Document License, LICENSE.md beside them).
Every intermediate value the eddsa-jcs-2022 folder publishes is reproduced: the canonical
document, the proof configuration and its canonical form, both hashes and their
concatenation, the signature in hex and in base58btc, and the signed document.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.credentials.data_integrity import (
    ProofCheck,
    add_proof,
    canonicalize,
    hash_data,
    proof_configuration,
    verify_proof,
)
from ledger.credentials.did_key import (
    did_key,
    multibase_b58decode,
    multibase_b58encode,
    verification_method,
)
from ledger.errors import InvalidDate, InvalidInput

VECTORS = Path(__file__).parent / "vectors" / "vc-di-eddsa"
JCS = VECTORS / "eddsa-jcs-2022"
THAI = re.compile("[\u0e00-\u0e7f]")
CREATED = datetime(2023, 2, 24, 23, 36, 38, tzinfo=UTC)


def load(path: Path) -> Any:
    return json.loads(path.read_text())


def text(name: str) -> str:
    return (JCS / name).read_text().strip()


def vector_private_key() -> Ed25519PrivateKey:
    seed = multibase_b58decode(load(VECTORS / "keyPair.json")["privateKeyMultibase"])[2:]
    return Ed25519PrivateKey.from_private_bytes(seed)


UNSIGNED = load(VECTORS / "unsigned.json")
SIGNED = load(JCS / "signedJCS.json")
METHOD = SIGNED["proof"]["verificationMethod"]
OPTIONS = {"type": "DataIntegrityProof", "cryptosuite": "eddsa-jcs-2022",
           "created": "2023-02-24T23:36:38Z", "verificationMethod": METHOD,
           "proofPurpose": "assertionMethod"}


# -- the published intermediate values -------------------------------------------------------

def test_the_canonical_document_is_the_vectors() -> None:
    assert canonicalize(UNSIGNED).decode() == text("canonDocJCS.txt")


def test_the_proof_configuration_carries_the_documents_context() -> None:
    config = proof_configuration(OPTIONS, UNSIGNED)
    assert config == load(JCS / "proofConfigJCS.json")
    assert canonicalize(config).decode() == text("proofCanonJCS.txt")


def test_both_hashes_and_their_concatenation_are_the_vectors() -> None:
    config = proof_configuration(OPTIONS, UNSIGNED)
    assert hashlib.sha256(canonicalize(config)).hexdigest() == text("proofHashJCS.txt")
    assert hashlib.sha256(canonicalize(UNSIGNED)).hexdigest() == text("docHashJCS.txt")
    assert hash_data(config, UNSIGNED).hex() == text("combinedHashJCS.txt")


def test_the_signature_is_the_vectors_in_hex_and_base58btc() -> None:
    signature = vector_private_key().sign(hash_data(proof_configuration(OPTIONS, UNSIGNED),
                                                    UNSIGNED))
    assert signature.hex() == text("sigHexJCS.txt")
    assert multibase_b58encode(signature) == text("sigBTC58JCS.txt")


def test_add_proof_yields_the_signed_vector_exactly() -> None:
    signed = add_proof(UNSIGNED, vector_private_key(), verification_method=METHOD,
                       created=CREATED)
    assert signed == SIGNED
    assert signed["proof"]["proofValue"] == text("sigBTC58JCS.txt")
    assert "proof" not in UNSIGNED  # the input is left as it was


def test_created_is_written_in_utc_whatever_the_zone_given() -> None:
    bangkok = CREATED.astimezone(timezone(timedelta(hours=7)))
    signed = add_proof(UNSIGNED, vector_private_key(), verification_method=METHOD,
                       created=bangkok)
    assert signed == SIGNED


# -- verification ----------------------------------------------------------------------------

def test_the_signed_vector_verifies_with_nothing_but_itself() -> None:
    check = verify_proof(SIGNED)
    assert check.valid, check.problem_en
    assert check.verification_method == METHOD
    assert check.did == METHOD.partition("#")[0]
    assert check.public_key == vector_private_key().public_key()
    assert check.created == "2023-02-24T23:36:38Z"


def test_a_fresh_key_signs_and_verifies_the_employment_vector() -> None:
    key = Ed25519PrivateKey.generate()
    document = load(VECTORS / "employmentAuth.json")
    signed = add_proof(document, key, verification_method=verification_method(key.public_key()),
                       created=datetime.now(UTC))
    assert verify_proof(signed, expected_method_prefix=did_key(key.public_key())).valid


def test_a_thai_credential_signs_and_verifies() -> None:
    key = Ed25519PrivateKey.generate()
    document = {"@context": ["https://www.w3.org/ns/credentials/v2"],
                "type": ["VerifiableCredential"], "issuer": did_key(key.public_key()),
                "credentialSubject": {"name": "นางสาวสมศรี ใจดี", "position": "ครู คศ.2"}}
    signed = add_proof(document, key, verification_method=verification_method(key.public_key()),
                       created=CREATED)
    assert verify_proof(signed).valid


def test_a_proof_by_another_key_than_expected_is_refused() -> None:
    other = did_key(Ed25519PrivateKey.generate().public_key())
    check = verify_proof(SIGNED, expected_method_prefix=other)
    assert not check.valid
    assert "expected key" in check.problem_en


def test_another_proof_purpose_than_expected_is_refused() -> None:
    assert not verify_proof(SIGNED, proof_purpose="authentication").valid


def test_a_context_appended_after_the_signed_ones_still_verifies_as_the_spec_says() -> None:
    """vc-di-eddsa §3.3.2 step 4: the document's @context must *begin* with the proof's."""
    extended = copy.deepcopy(SIGNED)
    extended["@context"].append("https://example.org/more/v1")
    assert verify_proof(extended).valid


# -- any single alteration is detected (property-based) --------------------------------------

Path_ = tuple[str | int, ...]


def leaf_paths(value: Any, path: Path_ = ()) -> list[Path_]:
    if isinstance(value, dict):
        return [p for key, item in value.items() for p in leaf_paths(item, (*path, key))]
    if isinstance(value, list):
        return [p for index, item in enumerate(value) for p in leaf_paths(item, (*path, index))]
    return [path]


def object_paths(value: Any, path: Path_ = ()) -> list[Path_]:
    found = [path] if isinstance(value, dict) else []
    children = (value.items() if isinstance(value, dict)
                else enumerate(value) if isinstance(value, list) else [])
    return found + [p for key, item in children for p in object_paths(item, (*path, key))]


def at(document: Any, path: Path_) -> Any:
    for step in path:
        document = document[step]
    return document


# Removing the proof's @context leaves the signed bytes as they were: the proof configuration
# then takes the document's @context (§3.3.5), which is the same list. Not a tampering.
SAME_BYTES_REMOVALS = {(("proof",), "@context")}
REMOVALS = [(path, key) for path in object_paths(SIGNED) for key in at(SIGNED, path)
            if (path, key) not in SAME_BYTES_REMOVALS]
JSON_LEAVES = st.one_of(st.none(), st.booleans(), st.integers(-(2**53) + 1, 2**53 - 1),
                        st.text(max_size=20))


@settings(max_examples=300)
@given(st.sampled_from(leaf_paths(SIGNED)), JSON_LEAVES)
def test_changing_any_leaf_value_breaks_the_proof(path: Path_, value: Any) -> None:
    altered = copy.deepcopy(SIGNED)
    if at(altered, path) == value and type(at(altered, path)) is type(value):
        value = f"{value}x"
    at(altered, path[:-1])[path[-1]] = value
    assert not verify_proof(altered).valid


@settings(max_examples=200)
@given(st.sampled_from(object_paths(SIGNED)), st.text(min_size=1, max_size=10), JSON_LEAVES)
def test_adding_any_key_anywhere_breaks_the_proof(path: Path_, key: str, value: Any) -> None:
    altered = copy.deepcopy(SIGNED)
    target = at(altered, path)
    if key in target:
        key += "\u0e01"
    target[key] = value
    assert not verify_proof(altered).valid


@pytest.mark.parametrize(("path", "key"), REMOVALS)
def test_removing_any_key_breaks_the_proof(path: Path_, key: str) -> None:
    altered = copy.deepcopy(SIGNED)
    del at(altered, path)[key]
    assert not verify_proof(altered).valid


@pytest.mark.parametrize(("field", "value"), [
    ("created", "2023-02-24T23:36:39Z"),
    ("verificationMethod", verification_method(Ed25519PrivateKey.generate().public_key())),
    ("proofValue", multibase_b58encode(bytes(64))),
])
def test_altering_the_proofs_own_fields_breaks_it(field: str, value: str) -> None:
    altered = copy.deepcopy(SIGNED)
    altered["proof"][field] = value
    assert not verify_proof(altered).valid


@settings(max_examples=100)
@given(st.integers(0, 63), st.integers(0, 7))
def test_flipping_any_bit_of_the_signature_breaks_the_proof(byte: int, bit: int) -> None:
    signature = bytearray(multibase_b58decode(SIGNED["proof"]["proofValue"]))
    signature[byte] ^= 1 << bit
    altered = copy.deepcopy(SIGNED)
    altered["proof"]["proofValue"] = multibase_b58encode(bytes(signature))
    assert not verify_proof(altered).valid


# -- malformed input: a reason, never a traceback --------------------------------------------

def with_proof(**changes: Any) -> dict[str, Any]:
    altered = copy.deepcopy(SIGNED)
    for name, value in changes.items():
        if value is None:
            del altered["proof"][name]
        else:
            altered["proof"][name] = value
    return altered


@pytest.mark.parametrize(("secured", "reason"), [
    ([SIGNED], "not a JSON object"),
    ("text", "not a JSON object"),
    (None, "not a JSON object"),
    ({**UNSIGNED}, "no proof"),
    ({**UNSIGNED, "proof": [SIGNED["proof"]]}, "proof sets"),
    ({**UNSIGNED, "proof": "z2Hn"}, "proof sets"),
    (with_proof(type="Ed25519Signature2020"), "DataIntegrityProof"),
    (with_proof(cryptosuite="eddsa-rdfc-2022"), "eddsa-jcs-2022"),
    (with_proof(cryptosuite=None), "eddsa-jcs-2022"),
    (with_proof(verificationMethod=None), "no verificationMethod"),
    (with_proof(verificationMethod=7), "no verificationMethod"),
    (with_proof(verificationMethod="https://vc.example/issuers/5678#key-1"), "did:key"),
    (with_proof(verificationMethod="did:key:zDnaegE6RR3atJtHKwTRTWHsJ3kNHqFwv7n9YjTgmU7TyfU76"),
     "Ed25519"),
    (with_proof(proofPurpose=None), "no proofPurpose"),
    (with_proof(proofPurpose="authentication"), "purpose"),
    (with_proof(created="24 February 2023"), "dateTimeStamp"),
    (with_proof(created="2023-13-24T23:36:38Z"), "dateTimeStamp"),
    (with_proof(created="2023-02-24T23:36:38"), "dateTimeStamp"),
    (with_proof(created=20230224), "dateTimeStamp"),
    (with_proof(proofValue=None), "no proofValue"),
    (with_proof(proofValue=""), "no proofValue"),
    (with_proof(proofValue="u" + SIGNED["proof"]["proofValue"][1:]), "start with 'z'"),
    (with_proof(proofValue=SIGNED["proof"]["proofValue"] + "0"), "base58btc"),
    (with_proof(proofValue="z2HnFSSPPBzR36"), "64-byte"),
    (with_proof(**{"@context": ["https://www.w3.org/ns/credentials/v2"] * 2}), "@context"),
    ({key: value for key, value in SIGNED.items() if key != "@context"}, "@context"),
    ({**SIGNED, "credentialSubject": {"id": "did:example:abcdefgh", "n": 2**60}}, "RFC 8785"),
    ({**SIGNED, "credentialSubject": {"id": "did:example:abcdefgh", "n": float("nan")}},
     "RFC 8785"),
    ({**SIGNED, "name": "Alumni Credential!"}, "signature does not match"),
])
def test_a_malformed_credential_gets_a_reason_in_both_languages(secured: Any,
                                                                reason: str) -> None:
    check = verify_proof(secured)
    assert check == ProofCheck(False, check.problem_en, check.problem_th)
    assert reason in check.problem_en
    assert THAI.search(check.problem_th)


JSON_VALUES = st.recursive(JSON_LEAVES | st.floats(allow_nan=True),
                           lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(max_size=5), inner, max_size=3),
                           max_leaves=10)


@settings(max_examples=300)
@given(st.sampled_from([*OPTIONS, "proofValue", "@context"]), JSON_VALUES)
def test_any_value_in_any_proof_field_gives_a_check_never_an_exception(field: str,
                                                                       value: Any) -> None:
    altered = copy.deepcopy(SIGNED)
    altered["proof"][field] = value
    assert isinstance(verify_proof(altered), ProofCheck)


@given(JSON_VALUES)
def test_any_json_value_at_all_gives_a_check_never_an_exception(value: Any) -> None:
    assert not verify_proof(value).valid
    assert not verify_proof({**UNSIGNED, "proof": value}).valid


def nested(depth: int) -> list[Any]:
    outer: list[Any] = []
    inner = outer
    for _ in range(depth):
        inner.append([])
        inner = inner[0]
    return outer


@pytest.mark.parametrize("where", ["document", "proof"])
def test_a_hostile_nesting_gets_a_reason_not_a_recursion_error(where: str) -> None:
    altered = copy.deepcopy(SIGNED)
    (altered if where == "document" else altered["proof"])["deep"] = nested(100_000)
    check = verify_proof(altered)
    assert not check.valid
    assert THAI.search(check.problem_th)


def test_a_document_with_a_proof_already_is_not_signed_again() -> None:
    with pytest.raises(InvalidInput):
        add_proof(SIGNED, vector_private_key(), verification_method=METHOD, created=CREATED)


def test_a_naive_created_time_is_refused() -> None:
    with pytest.raises(InvalidDate):
        add_proof(UNSIGNED, vector_private_key(), verification_method=METHOD,
                  created=datetime(2023, 2, 24, 23, 36, 38))


@pytest.mark.parametrize("document", [[UNSIGNED], {**UNSIGNED, "n": 2**60},
                                      {**UNSIGNED, "deep": nested(100_000)}])
def test_what_json_cannot_hold_is_refused_before_signing(document: Any) -> None:
    with pytest.raises(InvalidInput) as caught:
        add_proof(document, vector_private_key(), verification_method=METHOD, created=CREATED)
    assert THAI.search(caught.value.message_th)
