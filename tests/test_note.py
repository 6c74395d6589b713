"""Tests of ledger.note: C2SP signed notes, verifier keys and checkpoint bodies.

Published vectors, used byte for byte:

* the PeterNeumann / EnochRoot keys and signatures of golang.org/x/mod's
  sumdb/note tests (BSD-3-Clause), the reference implementation of signed
  notes; its signing key is given there as a seed;
* the example checkpoint body of c2sp.org/tlog-checkpoint (its signature's key
  is not published, so only the body is used).

Everything else is checked against an independent computation in this file.
"""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import given
from hypothesis import strategies as st

from ledger.errors import IntegrityError, InvalidInput, SignatureError
from ledger.note import (
    MAX_SIGNATURES,
    CheckpointBody,
    SignedNote,
    add_signature,
    key_hash,
    open_note,
    parse_verifier_key,
    sign_note,
    verifier_key,
)

EM_DASH = "\u2014"

# golang.org/x/mod sumdb/note note_test.go.  The signer key is
# "PRIVATE+KEY+PeterNeumann+c74f20a3+" + base64(0x01 || Ed25519 seed).
PETER_SIGNER_KEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
PETER_SIG = (
    EM_DASH + " PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKv"
    "qfqdngotpRZb6KE6RyyBwJnAM=\n"
)
ENOCH_SIG = (
    EM_DASH + " EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01"
    "oOTGwnWLox33WWd1RvMc+QQ=\n"
)

# c2sp.org/tlog-checkpoint, the example's note text.
C2SP_CHECKPOINT_TEXT = (
    "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
)

LOG_NAME = "tabien.example/log"
WITNESS_NAME = "witness.example/w1"


def _key(seed_byte: int) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(bytes([seed_byte]) * 32)


def _raw(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def _peter_key() -> Ed25519PrivateKey:
    # The base64 part may itself contain "+", so split off the four fields before it.
    encoded = PETER_SIGNER_KEY.split("+", 4)[4]
    type_and_seed = base64.b64decode(encoded)
    assert type_and_seed[0] == 0x01
    return Ed25519PrivateKey.from_private_bytes(type_and_seed[1:])


LOG_KEY = _key(1)
WITNESS_KEY = _key(2)
STRANGER_KEY = _key(3)
TEXT = "tabien.example/log\n42\n" + "A" * 43 + "=\n"


def _expected_key_id(name: str, public_key: Ed25519PublicKey) -> bytes:
    return hashlib.sha256(name.encode() + b"\n\x01" + _raw(public_key)).digest()[:4]


# -- published vectors --------------------------------------------------------


def test_go_vector_key_id_and_verifier_key() -> None:
    public_key = _peter_key().public_key()
    assert key_hash("PeterNeumann", public_key).hex() == "c74f20a3"
    assert verifier_key("PeterNeumann", public_key) == PETER_VKEY
    name, parsed = parse_verifier_key(PETER_VKEY)
    assert name == "PeterNeumann"
    assert _raw(parsed) == _raw(public_key)


def test_go_vector_signature_is_reproduced() -> None:
    # Ed25519 is deterministic, so signing the same text gives the same bytes.
    assert sign_note(GO_TEXT, "PeterNeumann", _peter_key()) == GO_TEXT + "\n" + PETER_SIG


def test_go_vector_opens_and_ignores_unknown_signers() -> None:
    note = GO_TEXT + "\n" + PETER_SIG + ENOCH_SIG
    peter = parse_verifier_key(PETER_VKEY)[1]
    enoch = parse_verifier_key(ENOCH_VKEY)[1]
    assert open_note(note, {"PeterNeumann": peter}) == SignedNote(GO_TEXT, ("PeterNeumann",))
    both = open_note(note, {"EnochRoot": enoch, "PeterNeumann": peter})
    assert both.signers == ("PeterNeumann", "EnochRoot")


def test_go_vector_corrupted_signature_is_refused() -> None:
    corrupted = PETER_SIG[:60] + "ABCD" + PETER_SIG[60:]
    peter = parse_verifier_key(PETER_VKEY)[1]
    with pytest.raises(SignatureError, match="does not verify"):
        open_note(GO_TEXT + "\n" + corrupted, {"PeterNeumann": peter})


def test_c2sp_checkpoint_example_body_parses_and_round_trips() -> None:
    body = CheckpointBody.parse(C2SP_CHECKPOINT_TEXT)
    assert body.origin == "example.com/behind-the-sofa"
    assert body.size == 20852163
    assert body.root == base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
    assert body.extensions == ()
    assert body.to_text() == C2SP_CHECKPOINT_TEXT


# -- keys ----------------------------------------------------------------------


def test_key_hash_matches_an_independent_computation() -> None:
    public_key = LOG_KEY.public_key()
    assert key_hash(LOG_NAME, public_key) == _expected_key_id(LOG_NAME, public_key)


def test_verifier_key_round_trip_and_layout() -> None:
    public_key = WITNESS_KEY.public_key()
    vkey = verifier_key(WITNESS_NAME, public_key)
    name, key_id, encoded = vkey.split("+")
    assert name == WITNESS_NAME
    assert key_id == _expected_key_id(WITNESS_NAME, public_key).hex()
    assert base64.b64decode(encoded) == b"\x01" + _raw(public_key)
    parsed_name, parsed_key = parse_verifier_key(vkey)
    assert (parsed_name, _raw(parsed_key)) == (WITNESS_NAME, _raw(public_key))


def _mangled_vkeys() -> list[str]:
    mangled = {PETER_VKEY[start:end] for start in range(67) for end in range(start, 67)}
    for position, char in enumerate(PETER_VKEY):
        mangled.add(PETER_VKEY[:position] + chr(ord(char) + 1) + PETER_VKEY[position + 1 :])
    mangled.discard(PETER_VKEY)
    return sorted(mangled)


def test_every_truncated_or_altered_verifier_key_is_refused() -> None:
    assert len(PETER_VKEY) == 66
    for vkey in _mangled_vkeys():
        with pytest.raises(InvalidInput):
            parse_verifier_key(vkey)


@pytest.mark.parametrize(
    "vkey",
    [
        PETER_VKEY.replace("c74f20a3", "C74F20A3"),
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW+x",
        "PeterNeumann+c74f20a3",
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3+Ahpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TX",
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW==",
    ],
    ids=["uppercase-id", "four-parts", "two-parts", "space-in-name", "type-0x02", "key", "padding"],
)
def test_malformed_verifier_keys_are_refused(vkey: str) -> None:
    with pytest.raises(InvalidInput, match="verifier key"):
        parse_verifier_key(vkey)


@pytest.mark.parametrize("name", ["", "a b", "a+b", "tab\tname", "nbsp\u00a0name", "ctl\x01"])
def test_invalid_key_names_are_refused(name: str) -> None:
    with pytest.raises(InvalidInput, match="key name"):
        sign_note(TEXT, name, LOG_KEY)


# -- signing and opening ----------------------------------------------------------


def test_sign_note_layout_matches_an_independent_computation() -> None:
    note = sign_note(TEXT, LOG_NAME, LOG_KEY)
    signature = LOG_KEY.sign(TEXT.encode())
    key_id = _expected_key_id(LOG_NAME, LOG_KEY.public_key())
    expected_line = f"{EM_DASH} {LOG_NAME} {base64.b64encode(key_id + signature).decode()}\n"
    assert note == TEXT + "\n" + expected_line


def test_round_trip() -> None:
    note = sign_note(TEXT, LOG_NAME, LOG_KEY)
    opened = open_note(note, {LOG_NAME: LOG_KEY.public_key()})
    assert opened == SignedNote(text=TEXT, signers=(LOG_NAME,))


@given(
    st.lists(
        st.text(st.characters(blacklist_categories=["Cs", "Cc"]), max_size=30),
        min_size=1,
        max_size=5,
    )
)
def test_any_text_round_trips_including_blank_lines(lines: list[str]) -> None:
    text = "".join(line + "\n" for line in lines)
    note = sign_note(text, LOG_NAME, LOG_KEY)
    assert open_note(note, {LOG_NAME: LOG_KEY.public_key()}).text == text


def test_co_signatures() -> None:
    note = add_signature(sign_note(TEXT, LOG_NAME, LOG_KEY), WITNESS_NAME, WITNESS_KEY)
    verifiers = {LOG_NAME: LOG_KEY.public_key(), WITNESS_NAME: WITNESS_KEY.public_key()}
    assert open_note(note, verifiers).signers == (LOG_NAME, WITNESS_NAME)
    assert open_note(note, {WITNESS_NAME: WITNESS_KEY.public_key()}).signers == (WITNESS_NAME,)
    assert note.count(EM_DASH) == 2


def test_co_signing_again_with_the_same_key_replaces_its_line() -> None:
    note = add_signature(sign_note(TEXT, LOG_NAME, LOG_KEY), WITNESS_NAME, WITNESS_KEY)
    broken = note.replace(note.splitlines()[-1][-10:], "AAAAAAAAA=")
    repaired = add_signature(broken, WITNESS_NAME, WITNESS_KEY)
    assert repaired == note
    assert add_signature(note, WITNESS_NAME, WITNESS_KEY) == note


def test_tampered_text_is_refused() -> None:
    note = sign_note(TEXT, LOG_NAME, LOG_KEY).replace("\n42\n", "\n43\n")
    with pytest.raises(SignatureError, match="does not verify"):
        open_note(note, {LOG_NAME: LOG_KEY.public_key()})


def test_tampered_signature_is_refused() -> None:
    note = sign_note(TEXT, LOG_NAME, LOG_KEY)
    line = note.splitlines()[-1]
    encoded = line.rsplit(" ", 1)[1]
    raw = bytearray(base64.b64decode(encoded))
    raw[10] ^= 0x01
    tampered = note.replace(encoded, base64.b64encode(bytes(raw)).decode())
    with pytest.raises(SignatureError, match="does not verify"):
        open_note(tampered, {LOG_NAME: LOG_KEY.public_key()})


def test_truncated_signature_from_a_known_key_is_refused() -> None:
    key_id = key_hash(LOG_NAME, LOG_KEY.public_key())
    line = f"{EM_DASH} {LOG_NAME} {base64.b64encode(key_id + bytes(63)).decode()}\n"
    with pytest.raises(SignatureError, match="does not verify"):
        open_note(TEXT + "\n" + line, {LOG_NAME: LOG_KEY.public_key()})


def test_wrong_key_under_the_expected_name_is_not_a_known_signer() -> None:
    # Same name, other key: the key ID differs, so the spec calls it unknown.
    note = sign_note(TEXT, LOG_NAME, STRANGER_KEY)
    with pytest.raises(SignatureError, match="no signature from a known key"):
        open_note(note, {LOG_NAME: LOG_KEY.public_key()})


def test_unknown_signers_do_not_hide_a_bad_known_signature() -> None:
    note = add_signature(sign_note(TEXT, LOG_NAME, LOG_KEY), WITNESS_NAME, WITNESS_KEY)
    tampered = note.replace("\n42\n", "\n41\n")
    with pytest.raises(SignatureError):
        open_note(tampered, {LOG_NAME: LOG_KEY.public_key()})


def test_no_verifiers_means_no_known_signer() -> None:
    with pytest.raises(SignatureError, match="no signature from a known key"):
        open_note(sign_note(TEXT, LOG_NAME, LOG_KEY), {})


def _good_note() -> str:
    return sign_note(TEXT, LOG_NAME, LOG_KEY)


def _good_line() -> str:
    return _good_note()[len(TEXT) + 1 :]


@pytest.mark.parametrize(
    "note",
    [
        pytest.param(TEXT, id="no-signatures"),
        pytest.param(TEXT + "\n", id="blank-line-only"),
        pytest.param(_good_note()[:-1], id="no-final-newline"),
        pytest.param(TEXT + _good_line(), id="no-blank-line"),
        pytest.param(TEXT + "\n" + _good_line().replace(EM_DASH, "-"), id="hyphen-not-em-dash"),
        pytest.param(TEXT + "\n" + _good_line().replace(EM_DASH + " ", EM_DASH), id="no-space"),
        pytest.param(TEXT + "\n" + _good_line().replace(" ", "  ", 1), id="double-space"),
        pytest.param(TEXT + "\n" + _good_line().replace("/log", "/log+1"), id="plus-in-name"),
        pytest.param(TEXT + "\n" + _good_line()[:-2] + "\n", id="broken-base64"),
        pytest.param(TEXT + "\n" + _good_line() + "trailing text\n", id="text-after-sigs"),
        pytest.param(TEXT + "\n" + _good_line() + "\n", id="blank-line-after-sigs"),
        pytest.param(TEXT + "\n" + f"{EM_DASH} {LOG_NAME} AAAAAA==\n", id="key-id-only"),
        pytest.param(TEXT + "\n" + f"{EM_DASH} {LOG_NAME}\n", id="no-signature"),
        pytest.param("\r" + _good_note(), id="carriage-return"),
        pytest.param("\x01" + _good_note(), id="control-character"),
        pytest.param("\ud800" + _good_note(), id="lone-surrogate"),
        pytest.param(TEXT + "\n" + _good_line() * (MAX_SIGNATURES + 1), id="too-many"),
    ],
)
def test_malformed_notes_are_refused(note: str) -> None:
    with pytest.raises(SignatureError, match="malformed") as caught:
        open_note(note, {LOG_NAME: LOG_KEY.public_key()})
    assert caught.value.message_th != caught.value.message


def test_non_canonical_base64_in_a_signature_line_is_refused() -> None:
    # Both spell five zero bytes, but "AAAAAAB=" sets an unused trailing bit.
    assert base64.b64decode("AAAAAAB=") == base64.b64decode("AAAAAAA=") == bytes(5)
    line = f"{EM_DASH} unknown.example AAAAAAB=\n"
    line_ok = f"{EM_DASH} unknown.example AAAAAAA=\n"
    with pytest.raises(SignatureError, match="malformed"):
        open_note(_good_note() + line, {LOG_NAME: LOG_KEY.public_key()})
    # A well-formed line from an unknown key is ignored.
    opened = open_note(_good_note() + line_ok, {LOG_NAME: LOG_KEY.public_key()})
    assert opened.signers == (LOG_NAME,)


def test_sixteen_signatures_are_accepted() -> None:
    note = sign_note(TEXT, LOG_NAME, LOG_KEY)
    for number in range(15):
        note = add_signature(note, f"witness.example/{number}", _key(10 + number))
    assert open_note(note, {LOG_NAME: LOG_KEY.public_key()}).signers == (LOG_NAME,)


@pytest.mark.parametrize("text", ["", "no newline", "ends in return\r\n", "bell\x07\n", "\ud800\n"])
def test_sign_note_refuses_bad_text(text: str) -> None:
    with pytest.raises(InvalidInput, match="note text"):
        sign_note(text, LOG_NAME, LOG_KEY)


def test_add_signature_refuses_a_malformed_note() -> None:
    with pytest.raises(SignatureError, match="malformed"):
        add_signature(TEXT, WITNESS_NAME, WITNESS_KEY)


# -- checkpoint bodies ---------------------------------------------------------------


ROOT = hashlib.sha256(b"root").digest()


@pytest.mark.parametrize("extensions", [(), ("ext one",), ("a", "b+c")])
@pytest.mark.parametrize("size", [0, 1, 2**64 - 1])
def test_checkpoint_round_trip(size: int, extensions: tuple[str, ...]) -> None:
    body = CheckpointBody(LOG_NAME, size, ROOT, extensions)
    text = body.to_text()
    root_line = base64.b64encode(ROOT).decode()
    assert text == "".join(f"{line}\n" for line in [LOG_NAME, str(size), root_line, *extensions])
    assert CheckpointBody.parse(text) == body


def test_checkpoint_signed_as_a_note() -> None:
    body = CheckpointBody(LOG_NAME, 7, ROOT)
    note = add_signature(sign_note(body.to_text(), LOG_NAME, LOG_KEY), WITNESS_NAME, WITNESS_KEY)
    opened = open_note(note, {LOG_NAME: LOG_KEY.public_key()})
    assert CheckpointBody.parse(opened.text) == body


GOOD_ROOT_LINE = base64.b64encode(ROOT).decode()


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(f"o\n5\n{GOOD_ROOT_LINE}", id="no-final-newline"),
        pytest.param("o\n5\n", id="two-lines"),
        pytest.param(f"\n5\n{GOOD_ROOT_LINE}\n", id="empty-origin"),
        pytest.param(f"o\n05\n{GOOD_ROOT_LINE}\n", id="leading-zero"),
        pytest.param(f"o\n00\n{GOOD_ROOT_LINE}\n", id="double-zero"),
        pytest.param(f"o\n+5\n{GOOD_ROOT_LINE}\n", id="plus-sign"),
        pytest.param(f"o\n-1\n{GOOD_ROOT_LINE}\n", id="negative"),
        pytest.param(f"o\n 5\n{GOOD_ROOT_LINE}\n", id="space"),
        pytest.param(f"o\n1_000\n{GOOD_ROOT_LINE}\n", id="underscore"),
        pytest.param(f"o\n\u0665\n{GOOD_ROOT_LINE}\n", id="arabic-indic-digit"),
        pytest.param(f"o\n0x10\n{GOOD_ROOT_LINE}\n", id="hex"),
        pytest.param(f"o\n{2**64}\n{GOOD_ROOT_LINE}\n", id="over-64-bits"),
        pytest.param(f"o\n\n{GOOD_ROOT_LINE}\n", id="empty-size"),
        pytest.param("o\n5\n" + base64.b64encode(ROOT[:31]).decode() + "\n", id="root-31-bytes"),
        pytest.param("o\n5\n" + base64.b64encode(ROOT + b"x").decode() + "\n", id="root-33-bytes"),
        pytest.param(f"o\n5\n{GOOD_ROOT_LINE.rstrip('=')}\n", id="root-unpadded"),
        pytest.param(f"o\n5\n{GOOD_ROOT_LINE[:-2]}B=\n", id="root-non-canonical"),
        pytest.param(f"o\n5\n{GOOD_ROOT_LINE}\n\n", id="empty-extension"),
        pytest.param(f"o\n5\n{GOOD_ROOT_LINE}\next\n\nmore\n", id="blank-line-inside"),
        pytest.param(f"o\r\n5\n{GOOD_ROOT_LINE}\n", id="carriage-return"),
    ],
)
def test_malformed_checkpoint_bodies_are_refused(text: str) -> None:
    with pytest.raises(IntegrityError, match="malformed checkpoint"):
        CheckpointBody.parse(text)


def test_root_non_canonical_case_is_really_non_canonical() -> None:
    variant = GOOD_ROOT_LINE[:-2] + "B="
    assert variant != GOOD_ROOT_LINE
    assert base64.b64decode(variant)[:31] == ROOT[:31]


@pytest.mark.parametrize(
    ("origin", "size", "root"),
    [
        ("", 1, ROOT),
        ("two\nlines", 1, ROOT),
        (LOG_NAME, -1, ROOT),
        (LOG_NAME, 2**64, ROOT),
        (LOG_NAME, True, ROOT),
        (LOG_NAME, 1, ROOT[:31]),
    ],
    ids=["empty-origin", "newline-origin", "negative", "too-big", "bool", "short-root"],
)
def test_checkpoint_constructor_refuses_bad_fields(origin: str, size: int, root: bytes) -> None:
    with pytest.raises(InvalidInput):
        CheckpointBody(origin, size, root)


def test_checkpoint_extensions_must_be_single_non_empty_lines() -> None:
    with pytest.raises(InvalidInput):
        CheckpointBody(LOG_NAME, 1, ROOT, ("",))
    with pytest.raises(InvalidInput):
        CheckpointBody(LOG_NAME, 1, ROOT, ("a\nb",))
