"""Tests of ledger.credentials.token: the QR code's COSE_Sign1 / CWT token in Base45.

The COSE structure is checked against RFC 9052 by taking the token apart here with cbor2 and
zlib alone, not with the module's own decoder.
"""

from __future__ import annotations

import contextlib
import re
import zlib
from datetime import UTC, datetime, timedelta
from typing import Any

import base45
import cbor2
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.credentials.token import (
    FACTS_CLAIM,
    TOKEN_PREFIX,
    TokenContents,
    decode_token,
    encode_token,
    verify_token,
)
from ledger.errors import InvalidDate, InvalidInput, SignatureError, TabienError

THAI = re.compile("[\u0e00-\u0e7f]")
KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
ISSUED = datetime(2025, 10, 1, 9, 0, tzinfo=UTC)
EXPIRES = ISSUED + timedelta(days=3650)
ISSUER = "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
FACTS = {"ชื่อ": "นางสาวสมศรี ใจดี", "ตำแหน่ง": "ครู คศ.2", "ขั้น": 45670, "ลงนาม": True}


def token(facts: dict[str, Any] | None = None, *, expires: datetime | None = EXPIRES) -> str:
    return encode_token(FACTS if facts is None else facts, KEY, kid=b"area-1001",
                        issued_at=ISSUED, expires_at=expires, issuer=ISSUER)


def cose_bytes(text: str) -> bytes:
    return zlib.decompress(base45.b45decode(text.removeprefix(TOKEN_PREFIX)))


def repack(message: bytes) -> str:
    return TOKEN_PREFIX + base45.b45encode(zlib.compress(message)).decode()


def test_a_token_round_trips_its_facts_issuer_times_and_key_id() -> None:
    contents = verify_token(token(), KEY.public_key())
    assert contents.claims == FACTS
    assert contents.issuer == ISSUER
    assert contents.issued_at == ISSUED
    assert contents.expires_at == EXPIRES
    assert contents.kid == b"area-1001"
    assert decode_token(token()) == contents


def test_a_token_without_expiry_has_none() -> None:
    assert verify_token(token(expires=None), KEY.public_key()).expires_at is None


def test_nested_facts_come_back_as_plain_lists_and_dicts() -> None:
    facts = {"events": [{"code": "P1", "date": "2568-10-01"}], "hash": b"\x01\x02"}
    assert verify_token(token(facts), KEY.public_key()).claims == facts


def test_the_token_is_a_tagged_cose_sign1_with_eddsa_as_rfc_9052_says() -> None:
    item = cbor2.loads(cose_bytes(token()))
    assert item.tag == 18
    protected, unprotected, payload, signature = item.value
    assert cbor2.loads(protected) == {1: -8, 4: b"area-1001"}
    assert unprotected == {}
    claims = cbor2.loads(payload)
    assert claims[1] == ISSUER
    assert claims[6] == int(ISSUED.timestamp())
    assert claims[4] == int(EXPIRES.timestamp())
    assert claims[FACTS_CLAIM] == FACTS
    sig_structure = cbor2.dumps(["Signature1", protected, b"", payload])
    KEY.public_key().verify(signature, sig_structure)


def test_the_text_uses_only_the_qr_alphanumeric_alphabet() -> None:
    assert re.fullmatch(r"[0-9A-Z $%*+\-./:]+", token())


def test_a_300_character_thai_record_fits_a_qr_code_at_level_m() -> None:
    """Under 900 Base45 characters: QR version 19 at level M holds 1,016 alphanumerics."""
    facts = {
        "ชื่อ": "นางสาวสมศรี ใจดีมีสุข",
        "ตำแหน่ง": "ครู วิทยฐานะครูชำนาญการพิเศษ ตำแหน่งเลขที่ 4567",
        "สังกัด": "โรงเรียนบ้านหนองบัววิทยาคาร สำนักงานเขตพื้นที่การศึกษาประถมศึกษาขอนแก่น เขต 1",
        "รายการ": "เลื่อนเงินเดือน 1 ตุลาคม 2568 อันดับ คศ.3 ขั้น 45,670 บาท ตามคำสั่งสำนักงาน"
                  "เขตพื้นที่การศึกษาประถมศึกษาขอนแก่น เขต 1 ที่ 123/2568 ลงวันที่ 30 กันยายน 2568",
    }
    size = sum(len(key) + len(value) for key, value in facts.items())
    assert 300 <= size <= 330
    assert len(token(facts)) < 900


def test_another_key_does_not_verify() -> None:
    with pytest.raises(SignatureError) as caught:
        verify_token(token(), Ed25519PrivateKey.generate().public_key())
    assert THAI.search(caught.value.message_th)


def test_an_expired_token_is_refused_when_the_time_is_given() -> None:
    verify_token(token(), KEY.public_key(), now=EXPIRES - timedelta(seconds=1))
    with pytest.raises(InvalidInput, match="expired"):
        verify_token(token(), KEY.public_key(), now=EXPIRES)


SIGNED = cose_bytes(token())


def test_every_bit_flipped_in_the_cose_message_is_refused() -> None:
    """Each of the message's bits in turn: the headers, the claims, the signature, the framing."""
    accepted = []
    for index in range(len(SIGNED)):
        for bit in range(8):
            altered = bytearray(SIGNED)
            altered[index] ^= 1 << bit
            try:
                verify_token(repack(bytes(altered)), KEY.public_key())
            except (InvalidInput, SignatureError):
                continue
            accepted.append((index, bit))
    assert accepted == []


@settings(max_examples=200)
@given(st.data())
def test_any_character_changed_in_the_text_is_refused(data: st.DataObject) -> None:
    text = token()
    index = data.draw(st.integers(len(TOKEN_PREFIX), len(text) - 1))
    char = data.draw(st.sampled_from(base45.BASE45_CHARSET).filter(lambda c: c != text[index]))
    with pytest.raises((InvalidInput, SignatureError)):
        verify_token(text[:index] + char + text[index + 1:], KEY.public_key())


# -- malformed tokens: a clear error in both languages, never a traceback --------------------

def cose(protected: Any = None, unprotected: Any = None, payload: Any = None,
         signature: Any = None, tag: int = 18) -> str:
    item = cbor2.loads(SIGNED)
    parts = list(item.value)
    for index, value in enumerate((protected, unprotected, payload, signature)):
        if value is not None:
            parts[index] = value
    return repack(cbor2.dumps(cbor2.CBORTag(tag, parts)))


def claims(**changes: Any) -> bytes:
    payload = dict(cbor2.loads(cbor2.loads(SIGNED).value[2]))
    for label, value in changes.items():
        key = {"iss": 1, "iat": 6, "exp": 4, "facts": FACTS_CLAIM}[label]
        if value is None:
            del payload[key]
        else:
            payload[key] = value
    return cbor2.dumps(payload)


@pytest.mark.parametrize(("text", "reason"), [
    ("", "begin with 'TB1:'"),
    ("HC1:6BFOXN*TS0BI$ZD4N9:9S6RCVN5+O30K3/XIV0W23NTDE", "begin with 'TB1:'"),
    ("tb1:" + token()[4:], "begin with 'TB1:'"),
    (None, "begin with 'TB1:'"),
    (b"TB1:", "begin with 'TB1:'"),
    ("TB1:" + "abc", "Base45"),
    ("TB1:" + "A", "Base45"),
    ("TB1:" + "GGW", "Base45"),  # 65535 < value
    ("TB1:" + "ก", "Base45"),
    ("TB1:", "cut short"),
    ("TB1:" + base45.b45encode(b"not zlib").decode(), "zlib"),
    (token()[:-6], "zlib"),
    (repack(SIGNED)[:-3] + "000", "zlib"),
    ("TB1:" + base45.b45encode(zlib.compress(SIGNED) + b"x").decode(), "followed by more"),
    ("TB1:" + base45.b45encode(zlib.compress(bytes(100_000))).decode(), "too large"),
    (repack(b"\xff\x00"), "not valid CBOR"),
    (repack(b""), "not valid CBOR"),
    (repack(SIGNED + b"\x00"), "bytes after the CBOR item"),
    (repack(cbor2.dumps(list(cbor2.loads(SIGNED).value))), "tag 18"),
    (cose(tag=98), "tag 18"),
    (repack(cbor2.dumps(cbor2.CBORTag(18, [b"", {}, b""]))), "four items"),
    (repack(cbor2.dumps(cbor2.CBORTag(18, b"abcd"))), "four items"),
    (cose(payload="text"), "byte strings"),
    (cose(unprotected={4: b"other"}), "unprotected header must be empty"),
    (cose(unprotected=[]), "unprotected header must be empty"),
    (cose(signature=b"short"), "64-byte"),
    (cose(protected=cbor2.dumps({1: -7, 4: b"k"})), "EdDSA"),
    (cose(protected=cbor2.dumps([1, -8])), "EdDSA"),
    (cose(protected=b"\xa1\x01"), "protected header is not valid CBOR"),
    (cose(protected=cbor2.dumps({1: -8})), "key id"),
    (cose(protected=cbor2.dumps({1: -8, 4: "text"})), "key id"),
    (cose(payload=cbor2.dumps([1, 2])), "map of CWT claims"),
    (cose(payload=b"\xa2\x01\x01\x01\x02"), "not valid CBOR"),  # key 1 twice
    (cose(payload=claims(iss=None)), "issuer"),
    (cose(payload=claims(facts=None)), "facts claim"),
    (cose(payload=claims(facts=[1])), "facts claim"),
    (cose(payload=claims(iat=None)), "iat claim is not a whole number"),
    (cose(payload=claims(iat="2025-10-01")), "iat claim is not a whole number"),
    (cose(payload=claims(iat=1.5)), "iat claim is not a whole number"),
    (cose(payload=claims(exp=10**20)), "exp claim is out of range"),
    (cose(payload=claims(facts={1: "x"})), "text-keyed maps"),
    (cose(payload=claims(facts={"when": datetime(2025, 1, 1, tzinfo=UTC)})), "text-keyed maps"),
])
def test_a_malformed_token_is_refused_with_a_reason_in_both_languages(text: Any,
                                                                      reason: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        decode_token(text)
    assert reason in caught.value.message
    assert THAI.search(caught.value.message_th)


def test_a_well_formed_token_with_a_forged_signature_decodes_but_does_not_verify() -> None:
    forged = cose(signature=bytes(64))
    assert isinstance(decode_token(forged), TokenContents)
    with pytest.raises(SignatureError):
        verify_token(forged, KEY.public_key())


@settings(max_examples=300)
@given(st.binary(max_size=200))
def test_random_bytes_in_a_token_give_an_error_of_ours_not_a_traceback(data: bytes) -> None:
    with contextlib.suppress(TabienError):
        decode_token(repack(data))


@given(st.text(max_size=60))
def test_random_text_gives_an_error_of_ours_not_a_traceback(text: str) -> None:
    with pytest.raises(TabienError):
        verify_token(TOKEN_PREFIX + text, KEY.public_key())


@pytest.mark.parametrize("kid", [b"", "area-1001"])
def test_a_key_id_must_be_non_empty_bytes(kid: Any) -> None:
    with pytest.raises(InvalidInput):
        encode_token(FACTS, KEY, kid=kid, issued_at=ISSUED, expires_at=None, issuer=ISSUER)


def test_naive_times_are_refused_when_encoding() -> None:
    with pytest.raises(InvalidDate):
        encode_token(FACTS, KEY, kid=b"k", issued_at=datetime(2025, 10, 1), expires_at=None,
                     issuer=ISSUER)


def nested(depth: int) -> list[Any]:
    outer: list[Any] = []
    inner = outer
    for _ in range(depth):
        inner.append([])
        inner = inner[0]
    return outer


@pytest.mark.parametrize("facts", [{"when": datetime(2025, 1, 1, tzinfo=UTC)}, {"s": {1, 2}},
                                   {"n": {1: "x"}}, {"deep": nested(100_000)}])
def test_facts_that_are_not_json_like_are_refused_when_encoding(facts: Any) -> None:
    with pytest.raises(InvalidInput) as caught:
        token(facts)
    assert THAI.search(caught.value.message_th)
