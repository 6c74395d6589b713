"""A standalone verifier of tabien's certificates and certified copies: this one file and
Python's standard library with ``cryptography``, ``rfc8785``, ``cbor2`` and ``base45`` (and
``pypdf``, for a PDF only) — nothing of tabien. A bank or another agency handed a document
checks it offline:

    python standalone_certificate.py FILE [--status-list LIST.json] [--did did:key:...]
                                          [--now ISO] [--proof-only]

FILE is the document's PDF, its credential (``.vc.json``), or a text file holding the QR's
text (the token ``TB1:…`` or the link ``https://host/verify#TB1:…``, URL-quoted or not).
Each check is printed on one line, in Thai and English:

- the credential's Data Integrity proof, ``eddsa-jcs-2022`` (W3C vc-di-eddsa §3.3): the proof
  configuration with the document's ``@context``; ``SHA-256(JCS(proof configuration)) ||
  SHA-256(JCS(document without proof))`` (JCS is RFC 8785) signed with Ed25519; the signature
  in multibase base58btc; the key read from the ``did:key`` (multicodec 0xed01) it names;
- the issuer is the key that signed (and, with ``--did``, the key the verifier expects);
- the ledger checkpoint the credential carries (``evidence[0].checkpoint``): a C2SP signed note
  (c2sp.org/signed-note, tlog-checkpoint body: origin, size, base64 root) signed by
  ``evidence[0].checkpointKey`` (``name+keyhash+base64(0x01 || key)``), of size ``treeSize``;
- each stated entry's inclusion proof under that checkpoint's root (RFC 9162 §2.1.3.2; the
  leaf is ``SHA-256(0x00 || eventHash)``);
- the expiry (``validUntil``, and ``validFrom``) against now or ``--now``;
- for a PDF, the QR token attached beside the credential: its COSE_Sign1 (RFC 9052, EdDSA)
  signature under the key its ``kid`` names (the raw Ed25519 key), that key being the issuer's,
  and its claim ``h`` being the SHA-256 (hex) of the JCS bytes of the whole credential;
- for a QR token alone (``TB1:`` Base45 → zlib → COSE_Sign1 of CWT claims, the facts under
  claim -65537): its signature and its expiry;
- with ``--status-list`` (the issuer's W3C Bitstring Status List credential, fetched by any
  means): that list's own proof by the same ``did:key``, that it is the list the credential
  names, and that the credential's bit in it (GZIP, multibase ``u`` base64url, bit 0 the top
  bit of byte 0) is 0, not revoked.

``--proof-only`` checks the Data Integrity proof alone (for a credential that is not
tabien's, which carries no ledger evidence and may name another issuer). Exit 0 when every
check holds, 1 when one does not, 2 when the input cannot be read.

What an offline check cannot know: a revocation made after the status list in hand was
published.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import copy
import functools
import hashlib
import io
import json
import re
import sys
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import base45
import cbor2
import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

__all__ = ["Report", "Unreadable", "main", "verify_credential", "verify_token_text"]

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {char: value for value, char in enumerate(_B58)}
_ED25519_PUB = b"\xed\x01"  # multicodec ed25519-pub as a varint
_DID_KEY = "did:key:"
_DATETIME_STAMP = re.compile(
    r"-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")
_TOKEN_PREFIX = "TB1:"
_FACTS_CLAIM, _ISS, _EXP, _IAT = -65537, 1, 4, 6
_ALG, _KID, _EDDSA, _COSE_SIGN1 = 1, 4, -8, 18
_MAX_INFLATED = 64 * 1024
_MAX_LIST_BYTES = 8 * 1024 * 1024
_MIN_LIST_BITS = 131_072
_GZIP_ONLY = 16 + zlib.MAX_WBITS
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")
_HEX64 = re.compile(r"[0-9a-f]{64}")
# What malformed input may raise while it is read; each is turned into a failed check.
_MALFORMED = (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError,
              RecursionError, cbor2.CBORError, zlib.error, binascii.Error,
              rfc8785.CanonicalizationError)


class Unreadable(Exception):
    """The input is no document at all: nothing can be checked (exit 2)."""

    def __init__(self, english: str, thai: str) -> None:
        super().__init__(english)
        self.english, self.thai = english, thai


class _Bad(Exception):
    """One check does not hold, for this reason."""

    def __init__(self, english: str, thai: str) -> None:
        super().__init__(english)
        self.english, self.thai = english, thai


@dataclass
class Report:
    """The checks made, each ``(holds, Thai, English)``; ``holds`` is None for a note."""

    lines: list[tuple[bool | None, str, str]] = field(default_factory=list)

    def check(self, holds: bool, thai: str, english: str) -> None:
        self.lines.append((holds, thai, english))

    def note(self, thai: str, english: str) -> None:
        self.lines.append((None, thai, english))

    def run(self, thai: str, english: str, check: Callable[[], str | None]) -> bool:
        """Run one check; its line says what held, or why it did not."""
        try:
            detail = check()
        except _Bad as bad:
            self.check(False, f"{thai}: {bad.thai}", f"{english}: {bad.english}")
            return False
        except _MALFORMED as error:
            self.check(False, f"{thai}: ข้อมูลผิดรูปแบบ ({type(error).__name__})",
                       f"{english}: malformed ({type(error).__name__}: {error})")
            return False
        self.check(True, thai, f"{english}{f' ({detail})' if detail else ''}")
        return True

    @property
    def failed(self) -> int:
        return sum(1 for holds, _, _ in self.lines if holds is False)

    def render(self) -> str:
        marks = {True: "ผ่าน / OK", False: "ไม่ผ่าน / FAILED", None: "หมายเหตุ / NOTE"}
        out = [f"[{marks[holds]}] {thai} | {english}" for holds, thai, english in self.lines]
        if self.failed:
            out.append(f"ผลการตรวจสอบ: ไม่ผ่าน {self.failed} รายการ | "
                       f"RESULT: NOT VALID ({self.failed} check(s) failed)")
        else:
            out.append("ผลการตรวจสอบ: ถูกต้องทุกรายการ | RESULT: VALID (every check holds)")
        return "\n".join(out)


# -- encodings ---------------------------------------------------------------------------------

def _b58decode(text: str) -> bytes:
    number = 0
    for char in text:
        if char not in _B58_INDEX:
            raise _Bad(f"{char!r} is not a base58btc character",
                       f"อักขระ {char!r} ไม่ใช่ base58btc")
        number = number * 58 + _B58_INDEX[char]
    zeros = len(text) - len(text.lstrip("1"))
    return b"\0" * zeros + number.to_bytes((number.bit_length() + 7) // 8, "big")


def _b58encode(data: bytes) -> str:
    zeros = len(data) - len(data.lstrip(b"\0"))
    number, digits = int.from_bytes(data, "big"), []
    while number:
        number, digit = divmod(number, 58)
        digits.append(_B58[digit])
    return "1" * zeros + "".join(reversed(digits))


def _multibase_b58(text: Any, what: str) -> bytes:
    if not isinstance(text, str) or not text.startswith("z") or len(text) < 2:
        raise _Bad(f"the {what} is not multibase base58btc ('z…')",
                   f"{what} ไม่ใช่ multibase base58btc (ขึ้นต้นด้วย 'z')")
    return _b58decode(text[1:])


def _did_of_raw_key(raw: bytes) -> str:
    return f"{_DID_KEY}z{_b58encode(_ED25519_PUB + raw)}"


def _key_of_did(did_or_method: Any) -> Ed25519PublicKey:
    """The Ed25519 key of a did:key (or its method ``did#fragment``, the fragment the key)."""
    if not isinstance(did_or_method, str) or not did_or_method.startswith(_DID_KEY):
        raise _Bad("the verification method is not a did:key",
                   "วิธีตรวจสอบ (verificationMethod) ไม่ใช่ did:key")
    did, mark, fragment = did_or_method.partition("#")
    multibase = did[len(_DID_KEY):]
    if mark and fragment != multibase:
        raise _Bad("the did:key's fragment does not repeat its key",
                   "ส่วนท้าย (#) ของ did:key ไม่ใช่กุญแจเดียวกัน")
    data = _multibase_b58(multibase, "did:key")
    if not data.startswith(_ED25519_PUB) or len(data) != 34:
        raise _Bad("the did:key is not an Ed25519 key (multicodec 0xed01 and 32 bytes)",
                   "did:key ไม่ใช่กุญแจ Ed25519 (multicodec 0xed01 และ 32 ไบต์)")
    return Ed25519PublicKey.from_public_bytes(data[2:])


def _jcs(value: Any) -> bytes:
    return rfc8785.dumps(value)


def _sha256_hex_of_credential(credential: Mapping[str, Any]) -> str:
    return hashlib.sha256(_jcs(dict(credential))).hexdigest()


def _moment(text: Any, what: str) -> datetime:
    if not isinstance(text, str) or not _DATETIME_STAMP.fullmatch(text):
        raise _Bad(f"{what} is not a date and time with a time zone",
                   f"{what} ไม่ใช่วันเวลาที่ระบุเขตเวลา")
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise _Bad(f"{what} is not a real date and time", f"{what} ไม่ใช่วันเวลาที่มีอยู่จริง") \
            from None


# -- eddsa-jcs-2022 (vc-di-eddsa §3.3.2) ---------------------------------------------------

def verify_data_integrity(secured: Any) -> str:
    """The did:key whose key made the document's ``eddsa-jcs-2022`` proof; ``_Bad`` if none."""
    if not isinstance(secured, Mapping):
        raise _Bad("the credential is not a JSON object", "ข้อมูลรับรองไม่ใช่ออบเจกต์ JSON")
    proof = secured.get("proof")
    if not isinstance(proof, Mapping):
        raise _Bad("the credential has no single proof object", "ข้อมูลรับรองไม่มีหลักฐานการลงนาม")
    if proof.get("type") != "DataIntegrityProof" or proof.get("cryptosuite") != "eddsa-jcs-2022":
        raise _Bad("the proof is not a DataIntegrityProof with eddsa-jcs-2022",
                   "หลักฐานการลงนามไม่ใช่ DataIntegrityProof แบบ eddsa-jcs-2022")
    if proof.get("proofPurpose") != "assertionMethod":
        raise _Bad("the proof's purpose is not assertionMethod",
                   "วัตถุประสงค์ของหลักฐานการลงนามไม่ใช่ assertionMethod")
    if "created" in proof:
        _moment(proof["created"], "the proof's created time")
    method = proof.get("verificationMethod")
    public_key = _key_of_did(method)
    signature = _multibase_b58(proof.get("proofValue"), "proofValue")
    if len(signature) != 64:
        raise _Bad("the proofValue is not a 64-byte Ed25519 signature",
                   "proofValue ไม่ใช่ลายมือชื่อ Ed25519 ขนาด 64 ไบต์")
    unsecured = {name: value for name, value in secured.items() if name != "proof"}
    if "@context" in proof:  # §3.3.2 step 4: the document's @context begins with the proof's
        signed = proof["@context"] if isinstance(proof["@context"], list) else [proof["@context"]]
        present = unsecured.get("@context")
        present = present if isinstance(present, list) else [present]
        if "@context" not in unsecured or present[:len(signed)] != signed:
            raise _Bad("the credential's @context does not begin with the proof's",
                       "@context ของข้อมูลรับรองไม่ขึ้นต้นด้วย @context ของหลักฐานการลงนาม")
        unsecured["@context"] = proof["@context"]
    config = {name: copy.deepcopy(value) for name, value in proof.items()
              if name != "proofValue"}
    if "@context" in unsecured:
        config["@context"] = copy.deepcopy(unsecured["@context"])
    data = hashlib.sha256(_jcs(config)).digest() + hashlib.sha256(_jcs(unsecured)).digest()
    try:
        public_key.verify(signature, data)
    except InvalidSignature:
        raise _Bad("the signature does not match: the credential was altered, or signed by "
                   "another key", "ลายมือชื่อไม่ตรงกับข้อมูลรับรอง: ข้อมูลถูกแก้ไข หรือลงนามด้วยกุญแจอื่น") \
            from None
    return str(method).partition("#")[0]


def _issuer_id(credential: Mapping[str, Any]) -> str:
    issuer = credential.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, Mapping) else issuer
    if not isinstance(issuer_id, str) or not issuer_id:
        raise _Bad("the credential names no issuer", "ข้อมูลรับรองไม่ระบุผู้ออก")
    return issuer_id


# -- the ledger checkpoint (C2SP signed note) and inclusion proofs (RFC 9162) --------------

def _canonical_b64(text: str) -> bytes:
    data = base64.b64decode(text, validate=True)
    if base64.b64encode(data).decode("ascii") != text:
        raise _Bad("not canonical base64", "ไม่ใช่ base64 รูปแบบมาตรฐาน")
    return data


def _verifier_key(vkey: Any) -> tuple[str, bytes, Ed25519PublicKey]:
    if not isinstance(vkey, str) or vkey.count("+") < 2:
        raise _Bad("the checkpointKey is not a verifier key (name+hash+key)",
                   "checkpointKey ไม่ใช่กุญแจตรวจสอบ (ชื่อ+แฮช+กุญแจ)")
    name, key_id_hex, encoded = vkey.split("+", 2)
    raw = _canonical_b64(encoded)
    if len(raw) != 33 or raw[0] != 0x01:
        raise _Bad("the checkpointKey is not an Ed25519 verifier key",
                   "checkpointKey ไม่ใช่กุญแจตรวจสอบแบบ Ed25519")
    key_id = hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4]
    if not name or key_id.hex() != key_id_hex:
        raise _Bad("the checkpointKey's hash does not match its name and key",
                   "แฮชของ checkpointKey ไม่ตรงกับชื่อและกุญแจ")
    return name, key_id, Ed25519PublicKey.from_public_bytes(raw[1:])


def open_checkpoint(note: Any, vkey: Any) -> tuple[str, int, bytes]:
    """(origin, size, root) of a checkpoint note signed by the verifier key ``vkey``."""
    name, key_id, public_key = _verifier_key(vkey)
    if not isinstance(note, str) or "\n\n" not in note or not note.endswith("\n"):
        raise _Bad("the checkpoint is not a signed note", "จุดตรวจสอบไม่ใช่บันทึกที่ลงนาม")
    split = note.rfind("\n\n")
    text, block = note[:split + 1], note[split + 2:]
    signed = False
    for line in block[:-1].split("\n"):
        prefix = f"\u2014 {name} "
        if not line.startswith(prefix):
            continue
        blob = _canonical_b64(line[len(prefix):])
        if blob[:4] != key_id:
            continue
        try:
            public_key.verify(blob[4:], text.encode())
        except InvalidSignature:
            raise _Bad("the checkpoint's signature does not verify: it was altered",
                       "ลายมือชื่อของจุดตรวจสอบไม่ถูกต้อง: ถูกแก้ไข") from None
        signed = True
    if not signed:
        raise _Bad("the checkpoint is not signed by the checkpointKey",
                   "จุดตรวจสอบไม่ได้ลงนามด้วย checkpointKey")
    lines = text[:-1].split("\n")
    if len(lines) < 3 or not re.fullmatch(r"0|[1-9][0-9]{0,19}", lines[1]):
        raise _Bad("the checkpoint's body is malformed", "เนื้อความของจุดตรวจสอบผิดรูปแบบ")
    root = _canonical_b64(lines[2])
    if len(root) != 32:
        raise _Bad("the checkpoint's root is not 32 bytes", "แฮชรากของจุดตรวจสอบไม่ใช่ 32 ไบต์")
    return lines[0], int(lines[1]), root


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def root_from_inclusion(leaf: bytes, index: int, size: int, path: list[bytes]) -> bytes:
    """RFC 9162 §2.1.3.2: the root an audit path leads to from leaf ``index`` of ``size``."""
    if not 0 <= index < size:
        raise _Bad(f"leaf index {index} is outside the tree of size {size}",
                   f"ลำดับใบ {index} อยู่นอกต้นไม้ขนาด {size}")
    first, last, node = index, size - 1, leaf
    for sibling in path:
        if last == 0:
            raise _Bad("the inclusion proof is too long", "หลักฐานการอยู่ในต้นไม้ยาวเกินไป")
        if first & 1 or first == last:
            node = _node(sibling, node)
            while first and not first & 1:
                first, last = first >> 1, last >> 1
        else:
            node = _node(node, sibling)
        first, last = first >> 1, last >> 1
    if last != 0:
        raise _Bad("the inclusion proof is too short", "หลักฐานการอยู่ในต้นไม้สั้นเกินไป")
    return node


def _hash32(text: Any, what: str) -> bytes:
    if not isinstance(text, str) or not _HEX64.fullmatch(text):
        raise _Bad(f"{what} is not 64 lowercase hex digits", f"{what} ไม่ใช่เลขฐานสิบหก 64 หลัก")
    return bytes.fromhex(text)


def _check_event(event: Any, size: int, root: bytes) -> str:
    if not isinstance(event, Mapping):
        raise _Bad("the entry is not a JSON object", "รายการไม่ใช่ออบเจกต์ JSON")
    leaf = hashlib.sha256(b"\x00" + _hash32(event.get("eventHash"), "eventHash")).digest()
    index, path = event.get("leafIndex"), event.get("inclusionProof")
    if not isinstance(index, int) or isinstance(index, bool) or not isinstance(path, list):
        raise _Bad("leafIndex or inclusionProof is missing", "ไม่มี leafIndex หรือ inclusionProof")
    hashes = [_hash32(h, "an inclusionProof hash") for h in path]
    if root_from_inclusion(leaf, index, size, hashes) != root:
        raise _Bad("the entry is not in the log under the checkpoint (an event hash or a "
                   "proof hash was altered)",
                   "รายการไม่อยู่ในบัญชีหลักภายใต้จุดตรวจสอบ (แฮชของรายการหรือของหลักฐานถูกแก้ไข)")
    return f"leaf {index} of {size}"


def _check_evidence(report: Report, credential: Mapping[str, Any]) -> None:
    evidence = credential.get("evidence")
    if not isinstance(evidence, list) or not evidence or not isinstance(evidence[0], Mapping):
        report.check(False, "ไม่มีหลักฐานจากบัญชีหลัก (evidence)",
                     "no ledger evidence: the credential carries no checkpoint or inclusion "
                     "proofs (use --proof-only for a credential that is not tabien's)")
        return
    found = evidence[0]
    opened: list[tuple[int, bytes]] = []

    def checkpoint() -> str:
        origin, size, root = open_checkpoint(found.get("checkpoint"), found.get("checkpointKey"))
        if size != found.get("treeSize"):
            raise _Bad(f"its size {size} is not the treeSize {found.get('treeSize')!r}",
                       f"ขนาด {size} ไม่ตรงกับ treeSize {found.get('treeSize')!r}")
        opened.append((size, root))
        return f"{origin}, size {size}"

    report.run("จุดตรวจสอบของบัญชีหลักลงนามถูกต้องด้วย checkpointKey และขนาดตรงกับ treeSize",
               "the ledger checkpoint is signed by its checkpointKey and its size is treeSize",
               checkpoint)
    events = found.get("events")
    if not isinstance(events, list) or not events:
        report.check(False, "หลักฐานไม่ระบุรายการที่รับรอง (events)",
                     "the evidence states no entries (events)")
        return
    if not opened:
        report.check(False, "ตรวจการอยู่ในบัญชีหลักไม่ได้ เพราะจุดตรวจสอบไม่ถูกต้อง",
                     "the inclusion proofs cannot be checked without a valid checkpoint")
        return
    size, root = opened[0]
    for number, event in enumerate(events, 1):
        position = event.get("position", "?") if isinstance(event, Mapping) else "?"
        report.run(f"รายการที่ {number} (ลำดับ {position}) อยู่ในบัญชีหลักภายใต้จุดตรวจสอบ",
                   f"entry {number} (position {position}) is in the log under the checkpoint",
                   functools.partial(_check_event, event, size, root))


def _check_validity_period(report: Report, credential: Mapping[str, Any], now: datetime) -> None:
    def expiry() -> str:
        if "validUntil" not in credential:
            raise _Bad("the credential states no validUntil", "ข้อมูลรับรองไม่ระบุ validUntil")
        until = _moment(credential["validUntil"], "validUntil")
        if now > until:
            raise _Bad(f"it expired at {credential['validUntil']}",
                       f"หมดอายุแล้วเมื่อ {credential['validUntil']}")
        if "validFrom" in credential and now < _moment(credential["validFrom"], "validFrom"):
            raise _Bad(f"it is valid only from {credential['validFrom']}",
                       f"ใช้ได้ตั้งแต่ {credential['validFrom']} เท่านั้น")
        return f"valid until {credential['validUntil']}"

    report.run("ยังไม่หมดอายุ", "the credential has not expired", expiry)


# -- the QR token (TB1: Base45 → zlib → COSE_Sign1 → CWT) ----------------------------------

@dataclass(frozen=True)
class _Token:
    kid: bytes
    issuer: str
    expires: datetime | None
    facts: Mapping[str, Any]
    signed: bytes
    signature: bytes


def _one_cbor(data: bytes) -> Any:
    stream = io.BytesIO(data)
    value = cbor2.CBORDecoder(stream).decode()
    if stream.tell() != len(data):
        raise _Bad("CBOR with bytes after it", "มีข้อมูลต่อท้าย CBOR")
    return value


def _decode_token(text: str) -> _Token:
    """Take a token apart (its signature is *not* checked here); ``_Bad`` if malformed."""
    if not text.startswith(_TOKEN_PREFIX):
        raise _Bad("it does not begin with TB1:", "ไม่ได้ขึ้นต้นด้วย TB1:")
    compressed: bytes = base45.b45decode(text[len(_TOKEN_PREFIX):])
    inflater = zlib.decompressobj()
    message = inflater.decompress(compressed, _MAX_INFLATED)
    if not inflater.eof or inflater.unconsumed_tail or inflater.unused_data:
        raise _Bad("its zlib data is cut short or too large", "ข้อมูล zlib ไม่ครบหรือใหญ่เกินไป")
    item = _one_cbor(message)
    if not isinstance(item, cbor2.CBORTag) or item.tag != _COSE_SIGN1 \
            or not isinstance(item.value, (list, tuple)) or len(item.value) != 4:
        raise _Bad("it is not a COSE_Sign1 message (tag 18)", "ไม่ใช่ข้อความ COSE_Sign1 (แท็ก 18)")
    protected, unprotected, payload, signature = item.value
    if not all(isinstance(part, bytes) for part in (protected, payload, signature)) \
            or unprotected != {} or len(signature) != 64:
        raise _Bad("its COSE_Sign1 parts are malformed", "ส่วนของ COSE_Sign1 ผิดรูปแบบ")
    header = _one_cbor(protected)
    if not isinstance(header, Mapping) or header.get(_ALG) != _EDDSA \
            or not isinstance(header.get(_KID), bytes):
        raise _Bad("its protected header is not EdDSA with a kid",
                   "ส่วนหัวที่ลงนามไม่ใช่ EdDSA พร้อม kid")
    claims = _one_cbor(payload)
    if not isinstance(claims, Mapping) or not isinstance(claims.get(_ISS), str) \
            or not isinstance(claims.get(_FACTS_CLAIM), Mapping):
        raise _Bad("its CWT claims lack the issuer or the facts", "ไม่มีผู้ออกหรือข้อมูลของใบรับรอง")
    exp = claims.get(_EXP)
    if exp is not None and (not isinstance(exp, int) or isinstance(exp, bool)):
        raise _Bad("its exp claim is not whole seconds", "exp ไม่ใช่จำนวนวินาทีเต็ม")
    signed = cbor2.dumps(["Signature1", protected, b"", payload])
    return _Token(header[_KID], claims[_ISS],
                  None if exp is None else datetime.fromtimestamp(exp, UTC),
                  claims[_FACTS_CLAIM], signed, signature)


def _check_token_signature(token: _Token) -> str:
    if len(token.kid) != 32:
        raise _Bad("its kid is not a raw Ed25519 key", "kid ไม่ใช่กุญแจ Ed25519")
    try:
        Ed25519PublicKey.from_public_bytes(token.kid).verify(token.signature, token.signed)
    except InvalidSignature:
        raise _Bad("its signature does not match: it was altered, or signed by another key",
                   "ลายมือชื่อไม่ถูกต้อง: ข้อมูลถูกแก้ไข หรือลงนามด้วยกุญแจอื่น") from None
    return _did_of_raw_key(token.kid)


def _check_token_expiry(token: _Token, now: datetime) -> str:
    if token.expires is None:
        raise _Bad("the token states no expiry", "โทเคนไม่ระบุวันหมดอายุ")
    if now > token.expires:
        raise _Bad(f"it expired at {token.expires.isoformat()}",
                   f"หมดอายุแล้วเมื่อ {token.expires.isoformat()}")
    return f"valid until {token.expires.isoformat()}"


def _token_of_text(text: str) -> str:
    text = text.strip()
    token = unquote(text.split("#", 1)[1]) if "#" in text else text
    return token.strip()


# -- the status list (W3C Bitstring Status List) ---------------------------------------------

def _status_bit(encoded: Any, index: int) -> bool:
    if not isinstance(encoded, str) or not encoded.startswith("u") \
            or not _BASE64URL.fullmatch(encoded[1:]) or len(encoded) % 4 == 2:
        raise _Bad("encodedList is not multibase base64url ('u…')",
                   "encodedList ไม่ใช่ multibase base64url (ขึ้นต้นด้วย 'u')")
    body = encoded[1:]
    inflater = zlib.decompressobj(_GZIP_ONLY)
    bits = inflater.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)),
                               _MAX_LIST_BYTES)
    if not inflater.eof or inflater.unconsumed_tail or inflater.unused_data:
        raise _Bad("encodedList's GZIP data is cut short or too large",
                   "ข้อมูล GZIP ของ encodedList ไม่ครบหรือใหญ่เกินไป")
    if len(bits) * 8 < _MIN_LIST_BITS or index >= len(bits) * 8:
        raise _Bad(f"the list is too short for index {index}", f"รายการสั้นเกินลำดับ {index}")
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def _read_entry(entry: Any) -> tuple[int, str, str]:
    if not isinstance(entry, Mapping) or entry.get("type") != "BitstringStatusListEntry":
        raise _Bad("the credential's credentialStatus is not a BitstringStatusListEntry",
                   "credentialStatus ไม่ใช่ BitstringStatusListEntry")
    index, url = entry.get("statusListIndex"), entry.get("statusListCredential")
    if not isinstance(index, str) or not re.fullmatch(r"[0-9]{1,18}", index) \
            or not isinstance(url, str) or entry.get("statusSize", 1) != 1:
        raise _Bad("the credentialStatus has no usable index or list",
                   "credentialStatus ไม่มีลำดับหรือรายการที่ใช้ได้")
    return int(index), str(entry.get("statusPurpose")), url


def _check_status(report: Report, status_list: Any, issuer_did: str,
                  entry: tuple[int, str, str | None]) -> None:
    index, purpose, url = entry

    def list_proof() -> str:
        did = verify_data_integrity(status_list)
        if not issuer_did:
            raise _Bad("the credential's own key is unknown, so the list's cannot be compared",
                       "ไม่ทราบกุญแจของเอกสาร จึงเทียบกับกุญแจของรายการสถานะไม่ได้")
        if did != issuer_did or _issuer_id(status_list) != issuer_did:
            raise _Bad(f"it was signed by {did}, not by the credential's issuer {issuer_did}",
                       f"ลงนามโดย {did} ไม่ใช่ผู้ออกเอกสาร {issuer_did}")
        return did

    def names_the_list() -> str:
        types = status_list.get("type")
        subject = status_list.get("credentialSubject")
        if not isinstance(types, list) or "BitstringStatusListCredential" not in types \
                or not isinstance(subject, Mapping) or subject.get("type") != "BitstringStatusList":
            raise _Bad("it is not a BitstringStatusListCredential",
                       "ไม่ใช่ BitstringStatusListCredential")
        if url is not None and status_list.get("id") != url:
            raise _Bad(f"it is {status_list.get('id')!r}, not the list {url!r}",
                       f"เป็นรายการ {status_list.get('id')!r} ไม่ใช่รายการ {url!r}")
        if subject.get("statusPurpose") != purpose:
            raise _Bad(f"it is for {subject.get('statusPurpose')!r}, not {purpose!r}",
                       f"มีวัตถุประสงค์ {subject.get('statusPurpose')!r} ไม่ใช่ {purpose!r}")
        return str(status_list.get("id"))

    def not_revoked() -> str:
        subject = status_list.get("credentialSubject")
        if _status_bit(subject.get("encodedList") if isinstance(subject, Mapping) else None,
                       index):
            raise _Bad(f"bit {index} is set: the document was revoked ({purpose})",
                       f"บิตลำดับ {index} ถูกตั้งไว้: เอกสารถูกเพิกถอนแล้ว")
        return f"bit {index} is 0"

    if not report.run("รายการสถานะลงนามถูกต้องโดยผู้ออกเอกสารคนเดียวกัน",
                      "the status list's own proof holds, by the credential's issuer",
                      list_proof):
        return
    if report.run("รายการสถานะเป็นรายการที่เอกสารระบุ",
                  "the status list is the one the credential names", names_the_list):
        report.run("เอกสารยังไม่ถูกเพิกถอน", "the document is not revoked", not_revoked)


# -- verifying ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Options:
    now: datetime
    status_list: Any = None  # the parsed list credential, when given
    did: str | None = None
    proof_only: bool = False


def verify_credential(credential: Mapping[str, Any], options: Options,
                      report: Report | None = None) -> Report:
    """Every check of a credential (as read from a ``.vc.json`` or from a PDF)."""
    report = report or Report()
    signer: list[str] = []

    def proof() -> str:
        signer.append(verify_data_integrity(credential))
        return signer[0]

    report.run("ลายมือชื่ออิเล็กทรอนิกส์ (eddsa-jcs-2022) ถูกต้อง",
               "the eddsa-jcs-2022 Data Integrity proof holds", proof)
    did = signer[0] if signer else None
    if not options.proof_only:
        report.run("ผู้ออกเอกสาร (issuer) คือกุญแจที่ลงนาม", "the issuer is the key that signed",
                   lambda: _same_did(_issuer_id(credential), did))
    if options.did is not None:
        subject = did if options.proof_only else _issuer_or_none(credential)
        report.run("ผู้ออกเอกสารคือกุญแจที่ระบุด้วย --did", "the issuer is the --did given",
                   lambda: _same_did(subject, options.did))
    if not options.proof_only:
        _check_evidence(report, credential)
        _check_validity_period(report, credential, options.now)
    if options.status_list is not None:
        try:
            entry: tuple[int, str, str | None] = _read_entry(credential.get("credentialStatus"))
        except _Bad as bad:
            report.check(False, bad.thai, bad.english)
        else:
            _check_status(report, options.status_list, did or "", entry)
    else:
        report.note("ไม่ได้ตรวจการเพิกถอน (ไม่ได้ให้ --status-list)",
                    "revocation not checked (no --status-list given)")
    return report


def _issuer_or_none(credential: Mapping[str, Any]) -> str | None:
    try:
        return _issuer_id(credential)
    except _Bad:
        return None


def _same_did(found: str | None, expected: str | None) -> str:
    if found is None or expected is None:
        raise _Bad("there is no key to compare: the signature or the issuer is missing or bad",
                   "ไม่มีกุญแจให้เทียบ: ลายมือชื่อหรือผู้ออกไม่มีหรือไม่ถูกต้อง")
    if found != expected:
        raise _Bad(f"{found} is not {expected}", f"{found} ไม่ใช่ {expected}")
    return found


def _check_attached_token(report: Report, text: str | None, credential: Mapping[str, Any],
                          options: Options) -> None:
    if text is None:
        report.check(False, "ไฟล์ PDF ไม่มีโทเคนคิวอาร์โค้ดแนบ (.token.txt)",
                     "the PDF carries no QR token (.token.txt)")
        return
    decoded: list[_Token] = []

    def signature() -> str:
        decoded.append(_decode_token(_token_of_text(text)))
        return _check_token_signature(decoded[0])

    if not report.run("ลายมือชื่อ COSE ของโทเคนคิวอาร์โค้ดที่แนบถูกต้องตาม kid",
                      "the attached QR token's COSE signature holds under its kid", signature):
        return
    token = decoded[0]
    report.run("โทเคนลงนามโดยผู้ออกเอกสาร", "the token was signed by the credential's issuer",
               lambda: _same_did(_did_of_raw_key(token.kid), _issuer_or_none(credential)))

    def names_credential() -> str:
        digest = _sha256_hex_of_credential(credential)
        if token.facts.get("h") != digest:
            raise _Bad("its claim h is not the SHA-256 of this credential",
                       "ค่า h ในโทเคนไม่ใช่แฮช SHA-256 ของข้อมูลรับรองนี้")
        return f"h = {digest[:16]}…"

    report.run("โทเคนระบุข้อมูลรับรองฉบับนี้ (h = SHA-256 ของ JCS)",
               "the token names this very credential (h = SHA-256 of its JCS)",
               names_credential)
    report.run("โทเคนยังไม่หมดอายุ", "the token has not expired",
               lambda: _check_token_expiry(token, options.now))


def verify_token_text(text: str, options: Options) -> Report:
    """A QR's text alone: its signature, its issuer and its expiry (``Unreadable`` if it is no
    token)."""
    try:
        token = _decode_token(_token_of_text(text))
    except (_Bad, *_MALFORMED) as error:
        raise Unreadable(f"not a tabien QR token: {error}",
                         "ไม่ใช่รหัสคิวอาร์โค้ดของระบบทะเบียนประวัติ") from None
    report = Report()
    facts = token.facts
    report.note(f"เอกสาร {facts.get('id', '?')} ชนิด {facts.get('k', '?')} "
                f"ของ {facts.get('n', '?')}",
                f"document {facts.get('id', '?')}, kind {facts.get('k', '?')}")
    report.run("ลายมือชื่อ COSE ของโทเคนถูกต้องตาม kid",
               "the token's COSE signature holds under its kid",
               lambda: _check_token_signature(token))
    report.run("ผู้ออก (iss) คือกุญแจที่ลงนาม", "the issuer (iss) is the key that signed",
               lambda: _same_did(token.issuer, _did_of_raw_key(token.kid)))
    if options.did is not None:
        report.run("ผู้ออกเอกสารคือกุญแจที่ระบุด้วย --did", "the issuer is the --did given",
                   lambda: _same_did(_did_of_raw_key(token.kid), options.did))
    else:
        report.note("ลายมือชื่อพิสูจน์เพียงว่ากุญแจข้างต้นลงนาม ให้เทียบกับกุญแจของผู้ออก (--did)",
                    "the signature shows only that the key above signed: compare it with the "
                    "issuer's published key (--did)")
    report.run("โทเคนยังไม่หมดอายุ", "the token has not expired",
               lambda: _check_token_expiry(token, options.now))
    slot = facts.get("st")
    if options.status_list is None:
        report.note("ไม่ได้ตรวจการเพิกถอน (ไม่ได้ให้ --status-list)",
                    "revocation not checked (no --status-list given)")
    elif isinstance(slot, list) and len(slot) == 2 and all(
            isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in slot):
        _check_status(report, options.status_list, _did_of_raw_key(token.kid),
                      (slot[1], "revocation", None))
    else:
        report.check(False, "โทเคนไม่ระบุลำดับสถานะ", "the token names no status slot")
    report.note("ข้อมูลรับรองฉบับเต็มไม่ได้ตรวจ (ตรวจได้จากไฟล์ PDF หรือ .vc.json)",
                "the full credential and its ledger evidence are not checked from a QR alone")
    return report


def _load_json(data: bytes, what: str, what_th: str) -> dict[str, Any]:
    try:
        value = json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError):
        raise Unreadable(f"{what} is not valid JSON", f"{what_th}ไม่ใช่ JSON ที่ถูกต้อง") from None
    if not isinstance(value, dict):
        raise Unreadable(f"{what} is not a JSON object", f"{what_th}ไม่ใช่ออบเจกต์ JSON")
    return value


def _pdf_attachments(data: bytes) -> dict[str, bytes]:
    try:
        from pypdf import PdfReader
    except ImportError:
        raise Unreadable("reading a PDF needs the pypdf package (pip install pypdf)",
                         "การอ่านไฟล์ PDF ต้องติดตั้ง pypdf") from None
    try:
        found = PdfReader(io.BytesIO(data)).attachments
        return {str(name): bytes(contents[0]) for name, contents in found.items() if contents}
    except Exception as error:  # pypdf raises many kinds on a damaged file
        raise Unreadable(f"the PDF cannot be read ({type(error).__name__})",
                         "อ่านไฟล์ PDF ไม่ได้") from None


def verify_file(data: bytes, options: Options) -> Report:
    stripped = data.strip()
    if stripped.startswith(b"%PDF"):
        attachments = _pdf_attachments(stripped)
        credential = next((v for k, v in attachments.items() if k.endswith(".vc.json")), None)
        if credential is None:
            raise Unreadable("the PDF carries no credential (.vc.json)",
                             "ไฟล์ PDF ไม่มีข้อมูลรับรองแนบ (.vc.json)")
        document = _load_json(credential, "the PDF's credential", "ข้อมูลรับรองใน PDF ")
        token = next((v for k, v in attachments.items() if k.endswith(".token.txt")), None)
        report = verify_credential(document, options)
        _check_attached_token(report, None if token is None
                              else token.decode("utf-8", "replace"), document, options)
        return report
    if stripped.startswith(b"{"):
        return verify_credential(_load_json(stripped, "the file", "ไฟล์"), options)
    try:
        text = stripped.decode("utf-8")
    except UnicodeDecodeError:
        raise Unreadable("the file is neither a PDF, a credential nor a QR's text",
                         "ไฟล์ไม่ใช่ PDF ข้อมูลรับรอง หรือข้อความจากคิวอาร์โค้ด") from None
    return verify_token_text(text, options)


def _parse_now(text: str | None) -> datetime:
    if text is None:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise Unreadable(f"--now {text!r} is not an ISO date and time",
                         f"--now {text!r} ไม่ใช่วันเวลาแบบ ISO") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _read(path: str, what: str, what_th: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise Unreadable(f"cannot read {what} {path}: {error.strerror}",
                         f"อ่าน{what_th} {path} ไม่ได้") from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Verify a tabien certificate offline (ตรวจสอบเอกสารรับรองโดยไม่ต้องใช้ระบบ)")
    parser.add_argument("file", help="the PDF, the .vc.json, or a text file with the QR's text")
    parser.add_argument("--status-list", help="the issuer's Bitstring Status List credential")
    parser.add_argument("--did", help="the did:key the issuer must be")
    parser.add_argument("--now", help="check expiry at this ISO time instead of now")
    parser.add_argument("--proof-only", action="store_true",
                        help="check the Data Integrity proof only (no ledger evidence expected)")
    args = parser.parse_args(argv)
    try:
        status_list = None if args.status_list is None else _load_json(
            _read(args.status_list, "the status list", "รายการสถานะ"), "the status list",
            "รายการสถานะ")
        options = Options(_parse_now(args.now), status_list, args.did, args.proof_only)
        report = verify_file(_read(args.file, "the file", "ไฟล์"), options)
    except Unreadable as error:
        print(f"อ่านไม่ได้: {error.thai} | UNREADABLE: {error.english}")
        return 2
    except Exception as error:  # never a traceback: anything unforeseen is unreadable input
        print(f"อ่านไม่ได้ | UNREADABLE: {type(error).__name__}: {error}")
        return 2
    print(report.render())
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
