"""Ed25519 keys as ``did:key`` identifiers and Multikey ``publicKeyMultibase`` values.

Standards:

- The did:key Method v0.7, https://w3c-ccg.github.io/did-method-key/ : a DID that *is* the public
  key, so a verifier resolves it without a network or a registry (DESIGN.md decision 12).
- Controlled Identifiers v1.0 §2.2.2 Multikey, https://www.w3.org/TR/cid-1.0/#Multikey : the
  key is the multicodec ``ed25519-pub`` (0xed as an unsigned varint: bytes 0xed 0x01) followed
  by the 32 raw key bytes, written in multibase base58btc (prefix ``z``), so every Ed25519 key
  begins ``z6Mk``.
- Base58btc is the Bitcoin alphabet (draft-msporny-base58); leading zero bytes become ``1``.
"""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ledger.errors import InvalidInput

__all__ = [
    "b58decode",
    "b58encode",
    "did_key",
    "multibase_b58decode",
    "multibase_b58encode",
    "public_key_from",
    "public_key_from_multibase",
    "public_key_multibase",
    "verification_method",
]

_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_INDEX = {char: value for value, char in enumerate(_ALPHABET)}
_ED25519_PUB = b"\xed\x01"  # multicodec 0xed, varint-encoded
_DID_KEY = "did:key:"


def b58encode(data: bytes) -> str:
    """Base58btc: the bytes as one big-endian number in base 58, zero bytes kept as ``1``."""
    zeros = len(data) - len(data.lstrip(b"\0"))
    number = int.from_bytes(data, "big")
    digits: list[str] = []
    while number:
        number, digit = divmod(number, 58)
        digits.append(_ALPHABET[digit])
    return "1" * zeros + "".join(reversed(digits))


def b58decode(text: str) -> bytes:
    """The bytes of a base58btc string; ``InvalidInput`` for a character outside the alphabet."""
    number = 0
    for char in text:
        if char not in _INDEX:
            raise InvalidInput(
                f"not base58btc: the character {char!r} is outside the Bitcoin alphabet",
                f"ไม่ใช่รหัส base58btc: อักขระ {char!r} ไม่อยู่ในชุดอักขระของ Bitcoin")
        number = number * 58 + _INDEX[char]
    zeros = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return b"\0" * zeros + body


def multibase_b58encode(data: bytes) -> str:
    return "z" + b58encode(data)


def multibase_b58decode(text: str) -> bytes:
    """The bytes of a multibase base58btc value (``z`` then base58btc)."""
    if not text.startswith("z") or len(text) < 2:
        raise InvalidInput(
            "not a multibase base58btc value: it must start with 'z'",
            "ไม่ใช่ค่า multibase แบบ base58btc: ต้องขึ้นต้นด้วย 'z'")
    return b58decode(text[1:])


def _raw(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_key_multibase(public_key: Ed25519PublicKey) -> str:
    """The Multikey ``publicKeyMultibase`` of an Ed25519 key: ``z6Mk…``."""
    return multibase_b58encode(_ED25519_PUB + _raw(public_key))


def public_key_from_multibase(text: str) -> Ed25519PublicKey:
    """The Ed25519 key a ``publicKeyMultibase`` value names; refuses any other kind of key."""
    data = multibase_b58decode(text)
    if not data.startswith(_ED25519_PUB) or len(data) != len(_ED25519_PUB) + 32:
        raise InvalidInput(
            "not an Ed25519 Multikey: expected the prefix 0xed01 and 32 key bytes",
            "ไม่ใช่กุญแจสาธารณะ Ed25519 แบบ Multikey: ต้องมีคำนำหน้า 0xed01 และกุญแจยาว 32 ไบต์")
    try:
        return Ed25519PublicKey.from_public_bytes(data[len(_ED25519_PUB):])
    except ValueError as error:  # OpenSSL may refuse bytes that are no point on the curve
        raise InvalidInput(f"not an Ed25519 public key: {error}",
                           "ไม่ใช่กุญแจสาธารณะ Ed25519 ที่ถูกต้อง") from error


def did_key(public_key: Ed25519PublicKey) -> str:
    """``did:key:z6Mk…``: the DID that is this key."""
    return _DID_KEY + public_key_multibase(public_key)


def verification_method(public_key: Ed25519PublicKey) -> str:
    """``did:key:z6Mk…#z6Mk…``: the key's verification method, as a proof names it."""
    multibase = public_key_multibase(public_key)
    return f"{_DID_KEY}{multibase}#{multibase}"


def public_key_from(did_or_method: str) -> Ed25519PublicKey:
    """The Ed25519 key of a ``did:key`` DID or of its verification method (``did#fragment``).

    The fragment, when present, must repeat the key (the did:key method gives each DID exactly
    one verification method, named by the key itself); anything else is refused.
    """
    if not isinstance(did_or_method, str) or not did_or_method.startswith(_DID_KEY):
        raise InvalidInput(
            "not a did:key identifier: it must start with 'did:key:'",
            "ไม่ใช่ตัวระบุ did:key: ต้องขึ้นต้นด้วย 'did:key:'")
    did, hash_mark, fragment = did_or_method.partition("#")
    multibase = did[len(_DID_KEY):]
    if hash_mark and fragment != multibase:
        raise InvalidInput(
            "the did:key verification method's fragment must repeat its key",
            "ส่วนท้าย (#) ของวิธีตรวจสอบแบบ did:key ต้องเป็นกุญแจเดียวกับตัว DID")
    return public_key_from_multibase(multibase)
