"""The words legacy exports use for kinds, ranks, standings, reasons and genders.

Old systems wrote Thai labels (``เลื่อนขั้นเงินเดือน``, ``คศ.๒``, ``ชำนาญการ``) where the
ledger stores codes, so each lookup accepts the code, the ledger's own Thai label and the
labels the ก.พ.7 rows of DPIS and Sapphire print. A value that matches none is a rejected
row naming what is accepted — never a guess.
"""

from __future__ import annotations

import re

from pythainlp.util import thai_digit_to_arabic_digit

from ledger.errors import InvalidInput
from ledger.record import EVENT_KINDS
from ledger.rules import RANKS, STANDINGS
from ledger.vocabulary import LEAVING_REASONS

__all__ = [
    "IMPORTABLE_KINDS",
    "gender_of",
    "kind_of",
    "label_key",
    "rank_of",
    "reason_of",
    "standing_of",
]

# The career kinds a ก.พ.7 section-13 row can carry, with the extra labels old exports use.
_KIND_LABELS: dict[str, tuple[str, ...]] = {
    "appointed": ("บรรจุ", "บรรจุแต่งตั้ง", "บรรจุและแต่งตั้ง", "บรรจุเข้ารับราชการ"),
    "probation_passed": ("พ้นทดลอง", "พ้นการทดลองปฏิบัติหน้าที่ราชการ",
                         "ผ่านการเตรียมความพร้อมและพัฒนาอย่างเข้ม"),
    "salary_raised": ("เลื่อนเงินเดือน", "เลื่อนขั้น", "เลื่อนขั้นเงินเดือน"),
    "salary_table_moved": ("ปรับอัตราเงินเดือน", "ปรับเงินเดือน",
                           "ปรับตามบัญชีเงินเดือนใหม่", "ปรับเงินเดือนตามบัญชีใหม่"),
    "transferred": ("ย้าย", "โอนย้าย"),
    "position_changed": ("แต่งตั้ง", "แต่งตั้งให้ดำรงตำแหน่ง", "ให้ดำรงตำแหน่ง",
                         "เปลี่ยนตำแหน่ง"),
    "standing_conferred": ("วิทยฐานะ", "ได้รับวิทยฐานะ", "เลื่อนวิทยฐานะ",
                           "ให้มีวิทยฐานะ"),
    "position_renumbered": ("เปลี่ยนเลขที่ตำแหน่ง", "เปลี่ยนเลขตำแหน่ง"),
    "left_service": ("พ้นจากราชการ", "พ้นราชการ", "ออกจากราชการ"),
}
IMPORTABLE_KINDS: tuple[str, ...] = tuple(_KIND_LABELS)

_REASON_LABELS: dict[str, tuple[str, ...]] = {
    "retired": ("เกษียณ", "เกษียณอายุ", "เกษียณอายุราชการ"),
    "resigned": ("ลาออก", "ลาออกจากราชการ"),
    "dismissed": ("ให้ออก", "ปลดออก", "ไล่ออก", "ถูกให้ออก"),
    "deceased": ("ถึงแก่กรรม", "เสียชีวิต", "ตาย"),
}
_GENDERS = {"ชาย": "ชาย", "male": "ชาย", "m": "ชาย", "ช": "ชาย",
            "หญิง": "หญิง", "female": "หญิง", "f": "หญิง", "ญ": "หญิง"}
_SPACES = re.compile(r"\s+")


def label_key(text: str) -> str:
    """Compare labels without case, spaces or Thai digits: ``คศ. ๒`` = ``คศ.2``."""
    return _SPACES.sub("", thai_digit_to_arabic_digit(text)).casefold()


def _table(labels: dict[str, tuple[str, ...]]) -> dict[str, str]:
    return {label_key(label): code for code, names in labels.items()
            for label in (code, *names)}


def _kind_table() -> dict[str, str]:
    table = _table(_KIND_LABELS)
    for kind in IMPORTABLE_KINDS:
        for label in EVENT_KINDS[kind].LABEL_TH.split("/"):
            table.setdefault(label_key(label), kind)
    return table


def _rank_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for rank in RANKS:
        number = rank.code[1:] if rank.code.startswith("k") else ""
        for label in (rank.code, rank.label_th, *((f"ค.ศ.{number}", f"คศ{number}")
                                                   if number else ())):
            table[label_key(label)] = rank.code
    return table


def _standing_table() -> dict[str, str]:
    return {label_key(label): standing.code for standing in STANDINGS
            for label in (standing.code, standing.label_th)}


_KINDS = _kind_table()
_RANKS = _rank_table()
_STANDINGS = _standing_table()
_REASONS = _table(_REASON_LABELS) | {label_key(t): c for c, t in LEAVING_REASONS.items()}


def _lookup(table: dict[str, str], text: str, what_en: str, what_th: str,
            known: str) -> str:
    code = table.get(label_key(text))
    if code is None:
        raise InvalidInput(f"unknown {what_en} {text!r}; accepted: {known}",
                           f"ไม่รู้จัก{what_th} {text!r} (ที่รับได้: {known})")
    return code


def kind_of(text: str) -> str:
    """The event kind of a ``kind`` cell: a code or a Thai label."""
    known = ", ".join(f"{k} ({_KIND_LABELS[k][0]})" for k in IMPORTABLE_KINDS)
    return _lookup(_KINDS, text, "kind", "ประเภทรายการ", known)


def rank_of(text: str) -> str:
    """The rank code of a ``rank`` cell: ``ครูผู้ช่วย``, ``คศ.1``…``คศ.5`` or a code."""
    known = ", ".join(f"{r.label_th} ({r.code})" for r in RANKS)
    return _lookup(_RANKS, text, "rank", "อันดับ/ระดับ", known)


def standing_of(text: str) -> str:
    """The standing code of a ``standing`` cell: ``ชำนาญการ`` … or a code."""
    known = ", ".join(f"{s.label_th} ({s.code})" for s in STANDINGS)
    return _lookup(_STANDINGS, text, "standing", "วิทยฐานะ", known)


def reason_of(text: str) -> str:
    """The reason code for leaving service: ``เกษียณ``, ``ลาออก`` … or a code."""
    known = ", ".join(f"{label} ({code})" for code, label in LEAVING_REASONS.items())
    return _lookup(_REASONS, text, "reason for leaving service", "เหตุพ้นจากราชการ", known)


def gender_of(text: str) -> str:
    """ชาย or หญิง, as the ledger stores it, from Thai or English forms."""
    return _lookup(_GENDERS, text, "gender", "เพศ", "ชาย/หญิง, male/female, M/F")
