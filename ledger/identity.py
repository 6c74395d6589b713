"""Thai national ID numbers (เลขประจำตัวประชาชน) and the record ids derived from them.

A national ID is 13 digits: the person type (1-8), the registry office, a group and a
sequence number, then a mod-11 check digit (``domain/REFERENCE.md`` §7). Registrars copy
these numbers from paper, spreadsheets and scanned cards, so input arrives with dashes,
spaces and Thai digits; everything is normalised to 13 ASCII digits before it is used.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid

from pythainlp.util import thai_digit_to_arabic_digit

from ledger.errors import InvalidInput, InvalidNationalID

__all__ = [
    "MIN_SECRET_BYTES",
    "check_digit",
    "format_national_id",
    "is_valid_national_id",
    "normalise_national_id",
    "record_id_for",
]

ID_LENGTH = 13
MIN_SECRET_BYTES = 32
_RECORD_ID_DOMAIN = b"tabien/record-id/v1"

# Dash look-alikes arrive when numbers are pasted from word processors and PDFs.
_SEPARATORS = frozenset("-\u2010\u2011\u2012\u2013\u2014\u2212")
_ASCII_DIGITS = frozenset("0123456789")
_GROUPS = (1, 4, 5, 2, 1)


def check_digit(first12: str) -> int:
    """The 13th digit that the first twelve digits call for.

    ``d13 = (11 - (d1*13 + d2*12 + ... + d12*2) mod 11) mod 10``
    """
    if len(first12) != ID_LENGTH - 1 or not set(first12) <= _ASCII_DIGITS:
        raise InvalidNationalID(
            f"check digit needs exactly 12 ASCII digits, got {first12!r}",
            f"การคำนวณเลขตรวจสอบต้องใช้ตัวเลข 12 หลักพอดี แต่ได้รับ {first12!r}",
        )
    weighted = sum(int(digit) * (ID_LENGTH - position) for position, digit in enumerate(first12))
    return (11 - weighted % 11) % 10


def normalise_national_id(text: str) -> str:
    """Return the 13 ASCII digits of ``text`` or raise ``InvalidNationalID`` saying why not.

    Accepted: ASCII or Thai digits (๐-๙), with spaces and dashes anywhere, e.g.
    ``"1-2345-67890-12-1"``, ``"1 2345 67890 12 1"``, ``"๑๒๓๔๕๖๗๘๙๐๑๒๑"``.
    """
    digits = _strip_separators(thai_digit_to_arabic_digit(text))
    _check_characters(text, digits)
    _check_length(digits)
    _check_first_digit(digits)
    _check_check_digit(digits)
    return digits


def is_valid_national_id(text: str) -> bool:
    """Whether ``text`` normalises to a valid national ID."""
    try:
        normalise_national_id(text)
    except InvalidNationalID:
        return False
    return True


def format_national_id(id13: str) -> str:
    """Group a national ID the way the ก.ค.ศ.16 form prints it: ``1-2345-67890-12-1``."""
    digits = normalise_national_id(id13)
    parts: list[str] = []
    start = 0
    for size in _GROUPS:
        parts.append(digits[start : start + size])
        start += size
    return "-".join(parts)


def record_id_for(national_id: str, secret: bytes) -> uuid.UUID:
    """The id of a person's record, derived from the national ID with a keyed hash.

    ``HMAC-SHA256(secret, b"tabien/record-id/v1" + b"\\x00" + the 13 ASCII digits)``; the
    first 16 bytes become a UUID with the version set to 8 and the RFC 4122 variant bits.
    The same person therefore always gets the same record (an import can find a record
    again without an index), and different deployments (different secrets) get unrelated ids.

    Why not ``uuid5``: it is an unkeyed hash, and the space of national IDs is tiny — 12
    free digits, of which the first is 1-8 and the next four name a registry office, with
    the 13th fixed by the check digit: under 10^12 candidates, far fewer in practice.
    Anyone holding the database could hash every candidate in hours and turn every record
    id back into a national ID (personal data under the PDPA). With a secret of at least
    256 bits kept outside the database, the ids reveal nothing without the secret.

    The secret is as long-lived as the ledger: changing it changes every record id.
    """
    if len(secret) < MIN_SECRET_BYTES:
        raise InvalidInput(
            f"record-id secret is {len(secret)} bytes; at least {MIN_SECRET_BYTES} are needed",
            f"กุญแจลับสำหรับสร้างรหัสทะเบียนประวัติยาว {len(secret)} ไบต์ "
            f"ต้องยาวอย่างน้อย {MIN_SECRET_BYTES} ไบต์",
        )
    digits = normalise_national_id(national_id)
    message = _RECORD_ID_DOMAIN + b"\x00" + digits.encode("ascii")
    raw = bytearray(hmac.new(secret, message, hashlib.sha256).digest()[:16])
    raw[6] = (raw[6] & 0x0F) | 0x80
    raw[8] = (raw[8] & 0x3F) | 0x80
    return uuid.UUID(bytes=bytes(raw))


def _strip_separators(text: str) -> str:
    return "".join(char for char in text if not (char.isspace() or char in _SEPARATORS))


def _check_characters(original: str, digits: str) -> None:
    # Test against ASCII digits explicitly: str.isdigit() would let in Arabic-Indic,
    # full-width and other Unicode digits that int() accepts but no card carries.
    strays = sorted({char for char in digits if char not in _ASCII_DIGITS})
    if not strays:
        return
    shown = ", ".join(repr(char) for char in strays)
    raise InvalidNationalID(
        f"national ID {original!r} contains characters other than digits, dashes and "
        f"spaces: {shown}",
        f"เลขประจำตัวประชาชน {original!r} มีอักขระที่ไม่ใช่ตัวเลข ขีด หรือช่องว่าง: {shown}",
    )


def _check_length(digits: str) -> None:
    if not digits:
        raise InvalidNationalID(
            "national ID is empty",
            "ไม่ได้ระบุเลขประจำตัวประชาชน",
        )
    if len(digits) != ID_LENGTH:
        raise InvalidNationalID(
            f"national ID has {len(digits)} digits; it must have {ID_LENGTH}",
            f"เลขประจำตัวประชาชนมี {len(digits)} หลัก แต่ต้องมี {ID_LENGTH} หลัก",
        )


def _check_first_digit(digits: str) -> None:
    if digits[0] == "0":
        raise InvalidNationalID(
            "national ID cannot begin with 0: the first digit is the person type (1-8)",
            "เลขประจำตัวประชาชนขึ้นต้นด้วย 0 ไม่ได้ เพราะหลักแรกคือประเภทบุคคล (1-8)",
        )


def _check_check_digit(digits: str) -> None:
    expected = check_digit(digits[:-1])
    if int(digits[-1]) != expected:
        raise InvalidNationalID(
            f"national ID {digits} fails its check: the last digit is {digits[-1]} but the "
            f"first twelve call for {expected}; a digit was probably mistyped",
            f"เลขประจำตัวประชาชน {digits} ไม่ผ่านการตรวจสอบ: หลักสุดท้ายเป็น {digits[-1]} "
            f"แต่ 12 หลักแรกต้องมีหลักตรวจสอบเป็น {expected} อาจพิมพ์ผิดบางหลัก",
        )
