"""Revocation of certificates by a W3C Bitstring Status List.

Standard: Bitstring Status List v1.0, https://www.w3.org/TR/vc-bitstring-status-list/ .

Each certificate names one bit of a published list (its ``credentialStatus`` entry, §2.1); the
issuer sets the bit to revoke it. The list is at least 131,072 bits long (§5.3, "herd
privacy": a verifier fetching it learns nothing of which certificate it checks), bit 0 is the
most significant bit of the first byte (§3.1), and it travels GZIP-compressed in multibase
base64url without padding (``u`` prefix). Only one-bit purposes are supported (revocation and
suspension); a correction of a stated fact revokes the certificate that stated it
(DESIGN.md decision 12).

``status_list_credential`` returns the list as an *unsigned* VC 2.0; the caller signs it with
``data_integrity.add_proof``, and a verifier checks that proof before ``check_status``.
"""

from __future__ import annotations

import base64
import gzip
import re
import zlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ledger.credentials.data_integrity import xml_datetime
from ledger.errors import InvalidInput

__all__ = [
    "MIN_LENGTH",
    "STATUS_PURPOSES",
    "StatusBits",
    "check_status",
    "status_entry",
    "status_list_credential",
]

MIN_LENGTH = 131_072  # bits: 16 KiB, the specification's minimum (§5.3 herd privacy)
STATUS_PURPOSES = ("revocation", "suspension")
_MAX_BYTES = 8 * 1024 * 1024  # 67 million certificates: far past a nation's teachers
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")
_GZIP_ONLY = 16 + zlib.MAX_WBITS  # zlib's wbits for a gzip member and nothing else
_VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"


def _bad_list(english: str, thai: str) -> InvalidInput:
    return InvalidInput(f"not a usable status list: {english}",
                        f"รายการสถานะใช้ไม่ได้: {thai}")


class StatusBits:
    """A bitstring of certificate statuses; bit ``i`` set means certificate ``i`` is revoked."""

    def __init__(self, length: int = MIN_LENGTH) -> None:
        if not isinstance(length, int) or length < MIN_LENGTH or length % 8:
            raise _bad_list(f"its length must be a multiple of 8 of at least {MIN_LENGTH} bits",
                            f"ความยาวต้องเป็นพหุคูณของ 8 และไม่น้อยกว่า {MIN_LENGTH} บิต")
        self._bytes = bytearray(length // 8)

    @property
    def length(self) -> int:
        return len(self._bytes) * 8

    def _locate(self, index: int) -> tuple[int, int]:
        """The byte holding bit ``index`` and its mask: bit 0 is the first byte's top bit."""
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < self.length:
            raise InvalidInput(
                f"status index {index!r} is outside the list of {self.length} entries",
                f"ลำดับสถานะ {index!r} อยู่นอกรายการซึ่งมี {self.length} ลำดับ")
        return index // 8, 0x80 >> (index % 8)

    def get(self, index: int) -> bool:
        position, mask = self._locate(index)
        return bool(self._bytes[position] & mask)

    def set(self, index: int, value: bool = True) -> None:
        position, mask = self._locate(index)
        if value:
            self._bytes[position] |= mask
        else:
            self._bytes[position] &= ~mask & 0xFF

    def __eq__(self, other: object) -> bool:
        return isinstance(other, StatusBits) and self._bytes == other._bytes

    __hash__ = None  # type: ignore[assignment]  # mutable, so unhashable

    def encoded(self) -> str:
        """§3.1 ``encodedList``: ``u`` + base64url (no padding) of the GZIP'd bitstring."""
        # mtime=0: the same bits always give the same text, so a republished list is stable.
        compressed = gzip.compress(bytes(self._bytes), compresslevel=9, mtime=0)
        return "u" + base64.urlsafe_b64encode(compressed).decode("ascii").rstrip("=")

    @classmethod
    def decode(cls, encoded: str) -> StatusBits:
        """The bits of an ``encodedList``; ``InvalidInput`` for anything malformed."""
        data = _inflate(_unbase64url(encoded))
        if len(data) * 8 < MIN_LENGTH:
            raise _bad_list(f"it holds fewer than {MIN_LENGTH} bits",
                            f"มีน้อยกว่า {MIN_LENGTH} บิต")
        bits = cls(len(data) * 8)
        bits._bytes[:] = data
        return bits


def _unbase64url(encoded: Any) -> bytes:
    if not isinstance(encoded, str) or not encoded.startswith("u"):
        raise _bad_list("encodedList must be multibase base64url (starting with 'u')",
                        "encodedList ต้องเป็น multibase base64url (ขึ้นต้นด้วย 'u')")
    body = encoded[1:]
    if not _BASE64URL.fullmatch(body) or len(body) % 4 == 1:
        raise _bad_list("encodedList is not base64url without padding",
                        "encodedList ไม่ใช่ base64url แบบไม่มีตัวเติม")
    return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))


def _inflate(compressed: bytes) -> bytes:
    inflater = zlib.decompressobj(_GZIP_ONLY)
    try:
        data = inflater.decompress(compressed, _MAX_BYTES)
    except zlib.error as error:
        raise _bad_list("encodedList is not GZIP-compressed, or is damaged",
                        "encodedList ไม่ได้บีบอัดแบบ GZIP หรือเสียหาย") from error
    if not inflater.eof or inflater.unconsumed_tail or inflater.unused_data:
        raise _bad_list("encodedList's GZIP data is cut short, too large, or followed by more",
                        "ข้อมูล GZIP ของ encodedList ไม่ครบ ใหญ่เกินไป หรือมีข้อมูลต่อท้าย")
    return data


def _check_purpose(purpose: Any) -> str:
    if purpose not in STATUS_PURPOSES:
        raise InvalidInput(
            f"status purpose {purpose!r} is not one of {', '.join(STATUS_PURPOSES)}",
            f"วัตถุประสงค์ของสถานะ {purpose!r} ต้องเป็น revocation (เพิกถอน) หรือ suspension (ระงับ)")
    return str(purpose)


def status_list_credential(*, list_url: str, issuer_did: str, purpose: str = "revocation",
                           bits: StatusBits, valid_from: datetime) -> dict[str, Any]:
    """The unsigned ``BitstringStatusListCredential`` (§2.2) publishing ``bits``."""
    return {
        "@context": [_VC_CONTEXT],
        "id": list_url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_did,
        "validFrom": xml_datetime(valid_from),
        "credentialSubject": {
            "id": f"{list_url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": _check_purpose(purpose),
            "encodedList": bits.encoded(),
        },
    }


def status_entry(list_url: str, index: int, purpose: str = "revocation") -> dict[str, Any]:
    """A certificate's ``credentialStatus`` (§2.1): bit ``index`` of the list at ``list_url``."""
    if not isinstance(index, int) or isinstance(index, bool) or index < 0:
        raise InvalidInput(f"status index {index!r} must be a whole number, 0 or more",
                           f"ลำดับสถานะ {index!r} ต้องเป็นจำนวนเต็มตั้งแต่ 0 ขึ้นไป")
    return {
        "id": f"{list_url}#{index}",
        "type": "BitstringStatusListEntry",
        "statusPurpose": _check_purpose(purpose),
        "statusListIndex": str(index),  # the specification writes it as a string
        "statusListCredential": list_url,
    }


def check_status(entry: Mapping[str, Any], list_credential: Mapping[str, Any]) -> bool:
    """Whether the entry's bit is set (True: revoked or suspended), per §3.2's validation.

    The list must be the one the entry names, for the same purpose; its proof is the caller's
    to have verified.
    """
    index, purpose, url = _read_entry(entry)
    subject = _read_list(list_credential, url)
    if subject.get("statusPurpose") != purpose:
        raise InvalidInput(
            f"the status list is for {subject.get('statusPurpose')!r}, the entry for {purpose!r}",
            f"รายการสถานะมีวัตถุประสงค์ {subject.get('statusPurpose')!r} "
            f"ไม่ตรงกับของใบรับรอง {purpose!r}")
    bits = StatusBits.decode(subject.get("encodedList", ""))
    return bits.get(index)


def _read_entry(entry: Any) -> tuple[int, str, str]:
    if not isinstance(entry, Mapping) or entry.get("type") != "BitstringStatusListEntry":
        raise InvalidInput("the credentialStatus is not a BitstringStatusListEntry",
                           "credentialStatus ไม่ใช่ BitstringStatusListEntry")
    if entry.get("statusSize", 1) != 1:
        raise InvalidInput("only one-bit statuses (statusSize 1) are supported",
                           "รองรับเฉพาะสถานะขนาดหนึ่งบิต (statusSize 1)")
    index = entry.get("statusListIndex")
    # 18 digits at most: a longer number is out of any list's range, and int() of thousands
    # of digits is refused by Python itself (a ValueError, not our error).
    if (not isinstance(index, str) or not index.isascii() or not index.isdigit()
            or len(index) > 18):
        raise InvalidInput("statusListIndex must be a whole number written as a string",
                           "statusListIndex ต้องเป็นจำนวนเต็มที่เขียนเป็นข้อความ")
    url = entry.get("statusListCredential")
    if not isinstance(url, str) or not url:
        raise InvalidInput("the credentialStatus names no statusListCredential",
                           "credentialStatus ไม่ได้ระบุ statusListCredential")
    return int(index), _check_purpose(entry.get("statusPurpose")), url


def _read_list(credential: Any, url: str) -> Mapping[str, Any]:
    types = credential.get("type") if isinstance(credential, Mapping) else None
    if not isinstance(types, list) or "BitstringStatusListCredential" not in types:
        raise _bad_list("it is not a BitstringStatusListCredential",
                        "ไม่ใช่ BitstringStatusListCredential")
    if credential.get("id") != url:
        raise _bad_list(f"it is {credential.get('id')!r}, not the list {url!r} the entry names",
                        f"เป็นรายการ {credential.get('id')!r} ไม่ใช่รายการ {url!r} ที่ใบรับรองระบุ")
    subject = credential.get("credentialSubject")
    if not isinstance(subject, Mapping) or subject.get("type") != "BitstringStatusList":
        raise _bad_list("its credentialSubject is not a BitstringStatusList",
                        "credentialSubject ไม่ใช่ BitstringStatusList")
    return subject
