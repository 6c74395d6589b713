"""The compact token a certificate's QR code holds, built as the EU Digital COVID Certificate is.

Layers, outermost first::

    "TB1:"  Base45 (RFC 9285)  zlib (RFC 1950)  COSE_Sign1 (RFC 9052, tag 18)  CWT claims (RFC 8392)

Standards:

- RFC 9052 §4.2 COSE_Sign1, https://www.rfc-editor.org/rfc/rfc9052#section-4.2 : the array
  ``[protected bstr, unprotected map, payload bstr, signature bstr]`` under tag 18, signed over
  ``Sig_structure = ["Signature1", protected, external_aad = b"", payload]`` (§4.4);
- RFC 9053 §2.2 EdDSA (``alg`` -8), https://www.rfc-editor.org/rfc/rfc9053#section-2.2 ;
- RFC 8392 CWT claims, https://www.rfc-editor.org/rfc/rfc8392 : 1 ``iss``, 4 ``exp``, 6 ``iat``;
- RFC 9285 Base45, https://www.rfc-editor.org/rfc/rfc9285 : its alphabet is QR alphanumeric
  mode's, so the token fills a QR code densely;
- the EU DCC (eHealth Network, "Electronic Health Certificate Container Format"): prefix, zlib,
  Base45, COSE_Sign1, CWT — tabien uses its own prefix ``TB1:`` (tabien, version 1).

The certificate's facts ride in one private-use CWT claim, ``FACTS_CLAIM`` = -65537 (RFC 8392
§9.1 keeps integers below -65536 for private use; the EU DCC's -260 is a registered claim of
its own), as a CBOR map with text keys. The key id sits in the *protected* header, so it is
signed; the unprotected header must be empty, so no byte of the token goes unsigned.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import base45
import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ledger.errors import InvalidDate, InvalidInput, SignatureError

__all__ = [
    "FACTS_CLAIM",
    "TOKEN_PREFIX",
    "TokenContents",
    "decode_token",
    "encode_token",
    "verify_token",
]

TOKEN_PREFIX = "TB1:"
FACTS_CLAIM = -65537
_ISS, _EXP, _IAT = 1, 4, 6  # RFC 8392 §3.1
_ALG, _KID = 1, 4  # RFC 9052 §3.1 header labels
_EDDSA = -8
_COSE_SIGN1 = 18
_SIGNATURE_LENGTH = 64
# A QR code holds under 3 kB; a token that inflates past this is no token of ours (and a
# zlib bomb is stopped before it fills memory).
_MAX_INFLATED = 64 * 1024
_DECODE_ERRORS = (cbor2.CBORError, ValueError, TypeError, OverflowError, RecursionError)


@dataclass(frozen=True)
class TokenContents:
    """A token taken apart; ``decode_token`` has *not* checked its signature."""

    kid: bytes
    issuer: str
    issued_at: datetime
    expires_at: datetime | None
    claims: dict[str, Any]
    protected: bytes
    payload: bytes
    signature: bytes

    def signed_bytes(self) -> bytes:
        """The ``Sig_structure`` the signature covers (RFC 9052 §4.4)."""
        return _sig_structure(self.protected, self.payload)


def _malformed(english: str, thai: str) -> InvalidInput:
    return InvalidInput(f"not a tabien certificate token: {english}",
                        f"ไม่ใช่รหัสใบรับรองของทะเบียน: {thai}")


def _sig_structure(protected: bytes, payload: bytes) -> bytes:
    return cbor2.dumps(["Signature1", protected, b"", payload])


def _seconds(moment: datetime, name: str) -> int:
    """CWT NumericDate: whole seconds since the epoch, UTC."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidDate(f"the token's {name} time needs a time zone",
                          f"เวลา {name} ของรหัสใบรับรองต้องระบุเขตเวลา")
    return int(moment.timestamp())


def encode_token(claims: Mapping[str, Any], private_key: Ed25519PrivateKey, *, kid: bytes,
                 issued_at: datetime, expires_at: datetime | None, issuer: str) -> str:
    """``TB1:`` + Base45 of the zlib-compressed COSE_Sign1 carrying ``claims`` (text keys)."""
    if not isinstance(kid, bytes) or not kid:
        raise InvalidInput("a token's key id must be non-empty bytes",
                           "รหัสกุญแจ (kid) ของรหัสใบรับรองต้องเป็นไบต์และไม่ว่าง")
    try:
        facts = _plain(claims)
    except RecursionError as error:
        raise InvalidInput("a certificate token's facts are nested too deeply",
                           "ข้อมูลในรหัสใบรับรองซ้อนกันลึกเกินไป") from error
    payload_map: dict[int, Any] = {_ISS: issuer, _IAT: _seconds(issued_at, "iat"),
                                   FACTS_CLAIM: facts}
    if expires_at is not None:
        payload_map[_EXP] = _seconds(expires_at, "exp")
    try:
        payload = cbor2.dumps(payload_map)
    except cbor2.CBORError as error:
        raise InvalidInput(f"the token's claims cannot be written as CBOR: {error}",
                           "ข้อมูลในรหัสใบรับรองไม่สามารถเขียนเป็น CBOR ได้") from error
    protected = cbor2.dumps({_ALG: _EDDSA, _KID: kid})
    signature = private_key.sign(_sig_structure(protected, payload))
    message = cbor2.dumps(cbor2.CBORTag(_COSE_SIGN1, [protected, {}, payload, signature]))
    text: bytes = base45.b45encode(zlib.compress(message, 9))
    return TOKEN_PREFIX + text.decode("ascii")


def decode_token(text: str) -> TokenContents:
    """Take a token apart, checking its form at every layer but *not* its signature."""
    message = _inflate(_unbase45(_unprefix(text)))
    protected, payload, signature = _cose_sign1(message)
    kid = _protected_kid(protected)
    issuer, issued_at, expires_at, claims = _cwt_claims(payload)
    return TokenContents(kid, issuer, issued_at, expires_at, claims, protected, payload,
                         signature)


def verify_token(text: str, public_key: Ed25519PublicKey, *,
                 now: datetime | None = None) -> TokenContents:
    """``decode_token``, then the signature by ``public_key`` and, given ``now``, the expiry.

    Which key to pass is the caller's to find from ``decode_token(text).kid``.
    """
    contents = decode_token(text)
    try:
        public_key.verify(contents.signature, contents.signed_bytes())
    except InvalidSignature as error:
        raise SignatureError(
            "the certificate token's signature does not match: it was altered, or signed by "
            "another key",
            "ลายมือชื่อของรหัสใบรับรองไม่ถูกต้อง: ข้อมูลถูกแก้ไข หรือลงนามด้วยกุญแจอื่น") from error
    if now is not None and contents.expires_at is not None and now >= contents.expires_at:
        raise InvalidInput(f"the certificate token expired at {contents.expires_at.isoformat()}",
                           f"รหัสใบรับรองหมดอายุแล้วเมื่อ {contents.expires_at.isoformat()}")
    return contents


# -- the layers, outermost first ---------------------------------------------------------------

def _unprefix(text: Any) -> str:
    if not isinstance(text, str) or not text.strip().startswith(TOKEN_PREFIX):
        raise _malformed(f"it must begin with {TOKEN_PREFIX!r}",
                         f"ต้องขึ้นต้นด้วย {TOKEN_PREFIX!r}")
    return text.strip()[len(TOKEN_PREFIX):]


def _unbase45(body: str) -> bytes:
    try:
        data: bytes = base45.b45decode(body)
    except ValueError as error:
        raise _malformed("its text is not Base45 (RFC 9285)",
                         "ข้อความไม่อยู่ในรูปแบบ Base45 (RFC 9285)") from error
    return data


def _inflate(data: bytes) -> bytes:
    inflater = zlib.decompressobj()
    try:
        inflated = inflater.decompress(data, _MAX_INFLATED)
    except zlib.error as error:
        raise _malformed("its data is not zlib-compressed, or is damaged",
                         "ข้อมูลไม่ได้บีบอัดแบบ zlib หรือเสียหาย") from error
    if not inflater.eof or inflater.unconsumed_tail or inflater.unused_data:
        raise _malformed("its zlib data is cut short, too large, or followed by more",
                         "ข้อมูลที่บีบอัดแบบ zlib ไม่ครบ ใหญ่เกินไป หรือมีข้อมูลต่อท้าย")
    return inflated


def _cbor(data: bytes, what: str, what_th: str) -> Any:
    """One CBOR item filling ``data`` exactly: trailing bytes would go unsigned."""
    stream = io.BytesIO(data)
    try:
        value = cbor2.CBORDecoder(stream, allow_duplicate_keys=False).decode()
    except _DECODE_ERRORS as error:
        raise _malformed(f"its {what} is not valid CBOR", f"{what_th}ไม่ใช่ CBOR ที่ถูกต้อง") from error
    if stream.tell() != len(data):
        raise _malformed(f"its {what} has bytes after the CBOR item",
                         f"{what_th}มีข้อมูลเกินต่อท้าย")
    return value


def _cose_sign1(message: bytes) -> tuple[bytes, bytes, bytes]:
    item = _cbor(message, "COSE message", "ข้อความ COSE ")
    if not isinstance(item, cbor2.CBORTag) or item.tag != _COSE_SIGN1:
        raise _malformed("it is not a COSE_Sign1 message (CBOR tag 18)",
                         "ไม่ใช่ข้อความ COSE_Sign1 (แท็ก CBOR 18)")
    parts = item.value
    if not isinstance(parts, (list, tuple)) or len(parts) != 4:
        raise _malformed("a COSE_Sign1 message is an array of four items",
                         "ข้อความ COSE_Sign1 ต้องเป็นอาร์เรย์สี่ช่อง")
    protected, unprotected, payload, signature = parts
    if not all(isinstance(part, bytes) for part in (protected, payload, signature)):
        raise _malformed("its protected header, payload and signature must be byte strings",
                         "ส่วนหัวที่ลงนาม เนื้อหา และลายมือชื่อต้องเป็นสายไบต์")
    if not isinstance(unprotected, Mapping) or unprotected:
        raise _malformed("its unprotected header must be empty (nothing unsigned is read)",
                         "ส่วนหัวที่ไม่ได้ลงนามต้องว่าง")
    if len(signature) != _SIGNATURE_LENGTH:
        raise _malformed("its signature is not a 64-byte Ed25519 signature",
                         "ลายมือชื่อไม่ใช่ลายมือชื่อ Ed25519 ขนาด 64 ไบต์")
    return protected, payload, signature


def _protected_kid(protected: bytes) -> bytes:
    header = _cbor(protected, "protected header", "ส่วนหัวที่ลงนาม ")
    if not isinstance(header, Mapping) or header.get(_ALG) != _EDDSA:
        raise _malformed("its algorithm is not EdDSA (COSE alg -8)",
                         "อัลกอริทึมไม่ใช่ EdDSA (COSE alg -8)")
    kid = header.get(_KID)
    if not isinstance(kid, bytes) or not kid:
        raise _malformed("its protected header has no key id (kid)",
                         "ส่วนหัวที่ลงนามไม่มีรหัสกุญแจ (kid)")
    return kid


def _cwt_claims(payload: bytes) -> tuple[str, datetime, datetime | None, dict[str, Any]]:
    claims = _cbor(payload, "payload", "เนื้อหา ")
    if not isinstance(claims, Mapping):
        raise _malformed("its payload is not a map of CWT claims",
                         "เนื้อหาไม่ใช่ชุดข้อมูลอ้างสิทธิ์ CWT")
    issuer = claims.get(_ISS)
    facts = claims.get(FACTS_CLAIM)
    if not isinstance(issuer, str) or not isinstance(facts, Mapping):
        raise _malformed("its payload lacks the issuer (1) or the facts claim",
                         "เนื้อหาไม่มีผู้ออก (1) หรือข้อมูลของใบรับรอง")
    expires = claims.get(_EXP)
    return (issuer, _moment(claims.get(_IAT), "iat"),
            None if expires is None else _moment(expires, "exp"), _plain(facts))


def _moment(value: Any, name: str) -> datetime:
    if not isinstance(value, int) or isinstance(value, bool):
        raise _malformed(f"its {name} claim is not a whole number of seconds",
                         f"ข้อมูล {name} ไม่ใช่จำนวนวินาทีเต็ม")
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError) as error:
        raise _malformed(f"its {name} claim is out of range",
                         f"ข้อมูล {name} อยู่นอกช่วงที่ใช้ได้") from error


def _plain(value: Any) -> Any:
    """The JSON-like value a facts claim may hold, CBOR's tuples and frozen maps made plain."""
    if value is None or isinstance(value, (str, int, float, bool, bytes)):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, Mapping) and all(isinstance(key, str) for key in value):
        return {key: _plain(item) for key, item in value.items()}
    raise InvalidInput("a certificate token's facts may hold only text-keyed maps, arrays, text, "
                       "numbers, booleans, null and bytes",
                       "ข้อมูลในรหัสใบรับรองต้องเป็นแผนที่ที่มีคีย์เป็นข้อความ อาร์เรย์ ข้อความ ตัวเลข "
                       "ค่าจริงเท็จ ค่าว่าง หรือไบต์เท่านั้น")
