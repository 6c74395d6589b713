"""C2SP signed notes (c2sp.org/signed-note) and checkpoint bodies (c2sp.org/tlog-checkpoint).

Only Ed25519 signatures (signature type 0x01) are made or checked.  A signed
note is its text, a blank line, then one line per signature::

    <text ending in a newline>
    <blank line>
    — <key name> base64(4-byte key ID || 64-byte Ed25519 signature)

Choices where the specifications leave room
-------------------------------------------

* A note may carry at most :data:`MAX_SIGNATURES` signature lines (the spec
  requires accepting at least 16).
* Signature lines and verifier keys must use canonical base64 (padding and
  unused bits as the encoder writes them), so each signature has one spelling.
* Every signature from a known key (name and key ID both match) is verified,
  repeated ones included; one failure refuses the whole note.
* The eight hex digits of a verifier key's ID must be lowercase, as written.
* A checkpoint's tree size must fit in 64 bits, as in every tlog.

Errors: notes that fail to open raise :class:`SignatureError`; checkpoint bodies
that fail to parse raise :class:`IntegrityError`; bad arguments to the writing
side (text, key names, verifier keys, body fields) raise :class:`InvalidInput`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from ledger.errors import IntegrityError, InvalidInput, SignatureError

__all__ = [
    "MAX_SIGNATURES",
    "SIGNATURE_TYPE_ED25519",
    "CheckpointBody",
    "SignedNote",
    "add_signature",
    "key_hash",
    "open_note",
    "parse_verifier_key",
    "sign_note",
    "verifier_key",
]

SIGNATURE_TYPE_ED25519: Final = 0x01
MAX_SIGNATURES: Final = 100

_SIGNATURE_PREFIX: Final = "\u2014 "
_KEY_ID_SIZE: Final = 4
_ED25519_SIGNATURE_SIZE: Final = 64
_ED25519_KEY_SIZE: Final = 32
_ROOT_SIZE: Final = 32
_MAX_TREE_SIZE: Final = 2**64 - 1
_CONTROL_EXCEPT_NEWLINE: Final = re.compile(r"[\x00-\x09\x0b-\x1f]")
_KEY_ID_HEX: Final = re.compile(r"[0-9a-f]{8}")
_TREE_SIZE: Final = re.compile(r"0|[1-9][0-9]{0,19}")


@dataclass(frozen=True)
class SignedNote:
    """An opened note: its text and the known signers whose signatures verified."""

    text: str
    signers: tuple[str, ...]


@dataclass(frozen=True)
class _SignatureLine:
    name: str
    key_id: bytes
    signature: bytes
    line: str


# -- keys --------------------------------------------------------------------


def key_hash(name: str, public_key: Ed25519PublicKey) -> bytes:
    """The 4-byte key ID: SHA-256(name || 0x0A || 0x01 || public key)[:4]."""
    _require_key_name(name)
    material = name.encode() + b"\n" + bytes([SIGNATURE_TYPE_ED25519]) + _raw(public_key)
    return hashlib.sha256(material).digest()[:_KEY_ID_SIZE]


def verifier_key(name: str, public_key: Ed25519PublicKey) -> str:
    """The verifier key text ``name+<key ID in hex>+base64(0x01 || public key)``."""
    encoded = _b64(bytes([SIGNATURE_TYPE_ED25519]) + _raw(public_key))
    return f"{name}+{key_hash(name, public_key).hex()}+{encoded}"


def parse_verifier_key(vkey: str) -> tuple[str, Ed25519PublicKey]:
    """Read a verifier key written by :func:`verifier_key`, checking its key ID."""
    parts = vkey.split("+", 2)  # base64 may hold "+" too; a name may not
    if len(parts) != 3:
        raise _bad_vkey("it must have three parts separated by '+'", "ต้องมีสามส่วนคั่นด้วย '+'")
    name, key_id_hex, encoded_key = parts
    if not _is_key_name(name):
        raise _bad_vkey("the key name is invalid", "ชื่อกุญแจไม่ถูกต้อง")
    if not _KEY_ID_HEX.fullmatch(key_id_hex):
        raise _bad_vkey(
            "the key ID must be 8 lowercase hex digits", "รหัสกุญแจต้องเป็นเลขฐานสิบหกตัวพิมพ์เล็ก 8 หลัก"
        )
    key_bytes = _unb64(encoded_key)
    if key_bytes is None or len(key_bytes) != 1 + _ED25519_KEY_SIZE:
        raise _bad_vkey(
            "the key must be canonical base64 of 33 bytes",
            "กุญแจต้องเป็น base64 มาตรฐานของข้อมูล 33 ไบต์",
        )
    if key_bytes[0] != SIGNATURE_TYPE_ED25519:
        raise _bad_vkey(
            "only Ed25519 keys (type 0x01) are supported", "รองรับเฉพาะกุญแจ Ed25519 (ชนิด 0x01)"
        )
    try:
        public_key = Ed25519PublicKey.from_public_bytes(key_bytes[1:])
    except ValueError:
        raise _bad_vkey("the key is not an Ed25519 public key", "ไม่ใช่กุญแจสาธารณะ Ed25519") from None
    if key_hash(name, public_key).hex() != key_id_hex:
        raise _bad_vkey("the key ID does not match the name and key", "รหัสกุญแจไม่ตรงกับชื่อและกุญแจ")
    return name, public_key


# -- notes -------------------------------------------------------------------


def sign_note(text: str, name: str, private_key: Ed25519PrivateKey) -> str:
    """Sign ``text`` (which must end in a newline) and return the signed note."""
    _require_note_text(text)
    _require_key_name(name)
    return text + "\n" + _signature_line(text, name, private_key)


def add_signature(note: str, name: str, private_key: Ed25519PrivateKey) -> str:
    """Add a co-signature to a signed note, replacing one by the same key.

    Existing signatures are kept as they are and not verified here: open the
    note with :func:`open_note` first when co-signing must depend on them.
    """
    _require_key_name(name)
    text, lines = _split_note(note)
    own_id = key_hash(name, private_key.public_key())
    kept = [sig.line for sig in lines if (sig.name, sig.key_id) != (name, own_id)]
    if len(kept) >= MAX_SIGNATURES:
        raise InvalidInput(
            f"a note may carry at most {MAX_SIGNATURES} signatures",
            f"บันทึกหนึ่งฉบับมีลายมือชื่อได้ไม่เกิน {MAX_SIGNATURES} รายการ",
        )
    old_block = "".join(line + "\n" for line in kept)
    return text + "\n" + old_block + _signature_line(text, name, private_key)


def open_note(note: str, verifiers: Mapping[str, Ed25519PublicKey]) -> SignedNote:
    """Verify a signed note against known keys, by key name.

    Signatures from unknown keys (name or key ID not matching a verifier) are
    ignored, as the spec requires.  Raises :class:`SignatureError` if the note is
    malformed, if a signature from a known key fails, or if no known key signed;
    :class:`InvalidInput` if a name in ``verifiers`` is not a valid key name.
    """
    text, lines = _split_note(note)
    known = {(name, key_hash(name, key)): key for name, key in verifiers.items()}
    message = text.encode()
    signers: list[str] = []
    for sig in lines:
        public_key = known.get((sig.name, sig.key_id))
        if public_key is None:
            continue
        _verify_line(public_key, sig, message)
        if sig.name not in signers:
            signers.append(sig.name)
    if not signers:
        raise SignatureError(
            "the note has no signature from a known key",
            "บันทึกนี้ไม่มีลายมือชื่อจากกุญแจที่รู้จัก",
        )
    return SignedNote(text=text, signers=tuple(signers))


# -- checkpoint bodies ---------------------------------------------------------


@dataclass(frozen=True)
class CheckpointBody:
    """The note text of a tlog checkpoint: origin, tree size, root, extensions."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Frozen, so normalise through object.__setattr__; a list of extensions
        # would otherwise make the body unhashable.
        object.__setattr__(self, "extensions", tuple(self.extensions))
        _require_body_line(self.origin, "origin", "ต้นทาง")
        _require_tree_size(self.size)
        if not isinstance(self.root, bytes) or len(self.root) != _ROOT_SIZE:
            raise InvalidInput(
                "the checkpoint root must be exactly 32 bytes",
                "แฮชรากของจุดตรวจต้องยาว 32 ไบต์พอดี",
            )
        for extension in self.extensions:
            _require_body_line(extension, "extension line", "บรรทัดส่วนขยาย")

    def to_text(self) -> str:
        """The note text: one line each for origin, size, root, then extensions."""
        lines = [self.origin, str(self.size), _b64(self.root), *self.extensions]
        return "".join(line + "\n" for line in lines)

    @classmethod
    def parse(cls, text: str) -> CheckpointBody:
        """Read a checkpoint body; malformed bodies raise :class:`IntegrityError`."""
        if not text.endswith("\n"):
            raise _bad_checkpoint("it must end with a newline", "ต้องลงท้ายด้วยการขึ้นบรรทัดใหม่")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise _bad_checkpoint(
                "it needs origin, tree size and root lines",
                "ต้องมีบรรทัดต้นทาง ขนาดต้นไม้ และแฮชราก",
            )
        origin, size_line, root_line, *extensions = lines
        try:
            return cls(
                origin, _parse_tree_size(size_line), _parse_root(root_line), tuple(extensions)
            )
        except InvalidInput as exc:
            raise IntegrityError(
                f"malformed checkpoint: {exc.message}", f"จุดตรวจผิดรูปแบบ: {exc.message_th}"
            ) from exc


# -- internals ---------------------------------------------------------------


def _raw(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes | None:
    # Re-encoding refuses padding-bit and padding variants that b64decode accepts.
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    return data if _b64(data) == text else None


def _is_key_name(name: str) -> bool:
    return (
        bool(name)
        and "+" not in name
        and not any(char.isspace() for char in name)
        and _is_note_safe(name)
    )


def _is_note_safe(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return _CONTROL_EXCEPT_NEWLINE.search(text) is None


def _require_key_name(name: str) -> None:
    if not _is_key_name(name):
        raise InvalidInput(
            f"key name {name!r} must be non-empty, with no spaces, '+' or control characters",
            f"ชื่อกุญแจ {name!r} ต้องไม่ว่าง และต้องไม่มีช่องว่าง เครื่องหมาย '+' หรืออักขระควบคุม",
        )


def _require_note_text(text: str) -> None:
    if not text.endswith("\n"):
        raise InvalidInput(
            "note text must end with a newline",
            "ข้อความของบันทึกต้องลงท้ายด้วยการขึ้นบรรทัดใหม่",
        )
    if not _is_note_safe(text):
        raise InvalidInput(
            "note text must be valid UTF-8 with no control characters but newline",
            "ข้อความของบันทึกต้องเป็น UTF-8 ที่ถูกต้องและไม่มีอักขระควบคุมนอกจากการขึ้นบรรทัดใหม่",
        )


def _signature_line(text: str, name: str, private_key: Ed25519PrivateKey) -> str:
    key_id = key_hash(name, private_key.public_key())
    signature = private_key.sign(text.encode())
    return f"{_SIGNATURE_PREFIX}{name} {_b64(key_id + signature)}\n"


def _split_note(note: str) -> tuple[str, list[_SignatureLine]]:
    if not _is_note_safe(note):
        raise _malformed(
            "it must be valid UTF-8 with no control characters but newline",
            "ต้องเป็น UTF-8 ที่ถูกต้องและไม่มีอักขระควบคุมนอกจากการขึ้นบรรทัดใหม่",
        )
    # The text may hold blank lines itself; the last one starts the signatures.
    split = note.rfind("\n\n")
    if split < 0:
        raise _malformed(
            "no blank line separates the text from the signatures",
            "ไม่มีบรรทัดว่างคั่นระหว่างข้อความกับลายมือชื่อ",
        )
    text, block = note[: split + 1], note[split + 2 :]
    if not block.endswith("\n"):
        raise _malformed(
            "the signature lines must follow the blank line and end with a newline",
            "บรรทัดลายมือชื่อต้องตามหลังบรรทัดว่างและลงท้ายด้วยการขึ้นบรรทัดใหม่",
        )
    raw_lines = block[:-1].split("\n")
    if len(raw_lines) > MAX_SIGNATURES:
        raise _malformed(
            f"it has more than {MAX_SIGNATURES} signatures",
            f"มีลายมือชื่อเกิน {MAX_SIGNATURES} รายการ",
        )
    return text, [_parse_signature_line(line, number) for number, line in enumerate(raw_lines, 1)]


def _parse_signature_line(line: str, number: int) -> _SignatureLine:
    if not line.startswith(_SIGNATURE_PREFIX):
        raise _malformed(
            f"signature line {number} does not start with an em dash and a space",
            f"บรรทัดลายมือชื่อที่ {number} ไม่ได้ขึ้นต้นด้วยขีดยาว (em dash) และช่องว่าง",
        )
    name, _, encoded = line[len(_SIGNATURE_PREFIX) :].partition(" ")
    if not _is_key_name(name):
        raise _malformed(
            f"signature line {number} has an invalid key name",
            f"บรรทัดลายมือชื่อที่ {number} มีชื่อกุญแจไม่ถูกต้อง",
        )
    decoded = _unb64(encoded)
    if decoded is None or len(decoded) <= _KEY_ID_SIZE:
        raise _malformed(
            f"signature line {number} is not canonical base64 of a key ID and a signature",
            f"บรรทัดลายมือชื่อที่ {number} ไม่ใช่ base64 มาตรฐานของรหัสกุญแจและลายมือชื่อ",
        )
    return _SignatureLine(name, decoded[:_KEY_ID_SIZE], decoded[_KEY_ID_SIZE:], line)


def _verify_line(public_key: Ed25519PublicKey, sig: _SignatureLine, message: bytes) -> None:
    if not _ed25519_verifies(public_key, sig.signature, message):
        key = f"{sig.name}+{sig.key_id.hex()}"
        raise SignatureError(
            f"the signature by key {key} does not verify",
            f"ลายมือชื่อของกุญแจ {key} ตรวจสอบไม่ผ่าน",
        )


def _ed25519_verifies(public_key: Ed25519PublicKey, signature: bytes, message: bytes) -> bool:
    if len(signature) != _ED25519_SIGNATURE_SIZE:
        return False
    try:
        public_key.verify(signature, message)
    except InvalidSignature:
        return False
    return True


def _require_body_line(line: str, what: str, what_th: str) -> None:
    if not isinstance(line, str) or not line or "\n" in line or not _is_note_safe(line):
        raise InvalidInput(
            f"the {what} must be a non-empty line of text with no control characters",
            f"{what_th}ต้องเป็นข้อความหนึ่งบรรทัดที่ไม่ว่างและไม่มีอักขระควบคุม",
        )


def _require_tree_size(size: int) -> None:
    if isinstance(size, bool) or not isinstance(size, int) or not 0 <= size <= _MAX_TREE_SIZE:
        raise InvalidInput(
            "the tree size must be an integer from 0 to 2^64 - 1",
            "ขนาดต้นไม้ต้องเป็นจำนวนเต็มตั้งแต่ 0 ถึง 2^64 - 1",
        )


def _parse_tree_size(line: str) -> int:
    if not _TREE_SIZE.fullmatch(line):
        raise InvalidInput(
            f"tree size {line!r} is not a decimal number without leading zeros",
            f"ขนาดต้นไม้ {line!r} ไม่ใช่เลขฐานสิบที่ไม่มีศูนย์นำหน้า",
        )
    return int(line)


def _parse_root(line: str) -> bytes:
    root = _unb64(line)
    if root is None or len(root) != _ROOT_SIZE:
        raise InvalidInput(
            "the root line is not canonical base64 of 32 bytes",
            "บรรทัดแฮชรากไม่ใช่ base64 มาตรฐานของข้อมูล 32 ไบต์",
        )
    return root


def _malformed(reason: str, reason_th: str) -> SignatureError:
    return SignatureError(f"malformed signed note: {reason}", f"บันทึกที่ลงนามผิดรูปแบบ: {reason_th}")


def _bad_vkey(reason: str, reason_th: str) -> InvalidInput:
    return InvalidInput(f"malformed verifier key: {reason}", f"กุญแจตรวจสอบผิดรูปแบบ: {reason_th}")


def _bad_checkpoint(reason: str, reason_th: str) -> IntegrityError:
    return IntegrityError(f"malformed checkpoint: {reason}", f"จุดตรวจผิดรูปแบบ: {reason_th}")
