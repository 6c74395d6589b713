"""Value objects shared by career events: the order reference and the Thai labels."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from pythainlp.util import thai_digit_to_arabic_digit

from ledger.errors import InvalidInput
from ledger.thaidate import BE_OFFSET, detect_era
from ledger.transcoder import register_value_class

__all__ = ["ADDRESS_TYPES", "LEAVING_REASONS", "STAFF_TYPES", "OrderRef", "check_cited_number",
           "normalise_order_number", "order_number_for_lookup"]

_ORDER_NUMBER = re.compile(r"(?P<n>[0-9]{1,6})/(?P<y>[0-9]{4})")
_TRAILING_YEAR = re.compile(r"(?P<n>[0-9]{1,6})/(?P<y>[0-9]{4})$")


def normalise_order_number(text: str) -> str:
    """An order number as written on new input: ``120/2569``, its year Buddhist Era (Thai
    digits become ASCII, so that ``๑๒๐/๒๕๖๙`` is the same order). A C.E. year (``518/2026``)
    is refused with the number it most likely meant."""
    cleaned = order_number_for_lookup(text)
    match = _ORDER_NUMBER.fullmatch(cleaned)
    if match is None:
        raise InvalidInput(
            f"order number {text!r} is not a number and a Buddhist-Era year, e.g. 120/2569",
            f"เลขที่คำสั่ง {text!r} ต้องเป็นเลขที่/ปี พ.ศ. เช่น 120/2569")
    _refuse_christian_era(text, match)
    return cleaned


def check_cited_number(text: str) -> str:
    """The number of an order or document an entry cites, as written (legacy records cite
    such things as ``ทะเบียนคุณวุฒิ 0412/2551``); refused only when it ends in a C.E. year
    (``518/2026``), the slip that would date it five centuries back."""
    match = _TRAILING_YEAR.search(thai_digit_to_arabic_digit(text).strip())
    if match is not None:
        _refuse_christian_era(text, match)
    return text


def _refuse_christian_era(text: str, match: re.Match[str]) -> None:
    year = int(match["y"])
    if detect_era(year) == "CE":
        meant = f"{match['n']}/{year + BE_OFFSET}"
        raise InvalidInput(
            f"order number {text!r} carries a Christian-Era year; order numbers carry the "
            f"Buddhist-Era year: {meant}",
            f"เลขที่คำสั่ง {text!r} ใช้ปี ค.ศ. เลขที่คำสั่งต้องใช้ปี พ.ศ. เช่น {meant}")


def order_number_for_lookup(text: str) -> str:
    """The form an order number is kept in, for finding one already kept."""
    return thai_digit_to_arabic_digit(text).strip()


@register_value_class
@dataclass(frozen=True)
class OrderRef:
    """The order (คำสั่ง) that authorises an entry: who issued it, its number and its date.

    The ก.ค.ศ.16 prints it as "คำสั่ง <authority> ที่ <number> ลว. <date>".
    """

    authority: str
    order_number: str
    order_date: date

    def __post_init__(self) -> None:
        if not self.authority.strip() or not self.order_number.strip():
            raise InvalidInput(
                "an order reference needs an authority and an order number",
                "การอ้างอิงคำสั่งต้องมีผู้ออกคำสั่งและเลขที่คำสั่ง",
            )
        if not isinstance(self.order_date, date):
            raise InvalidInput(
                "the order date must be a date", "วันที่ของคำสั่งต้องเป็นวันที่"
            )

    @property
    def reference_th(self) -> str:
        """Short Thai reference, e.g. ``คำสั่ง สพม.16 ที่ 123/2567``."""
        return f"คำสั่ง {self.authority} ที่ {self.order_number}"


LEAVING_REASONS: dict[str, str] = {
    "retired": "เกษียณอายุราชการ",
    "resigned": "ลาออกจากราชการ",
    "dismissed": "ถูกให้ออก/ปลดออก/ไล่ออกจากราชการ",
    "deceased": "ถึงแก่กรรม",
}


# ประเภทข้าราชการ (ก.พ.7 item 9), as Sapphire's teacher system offers them (REFERENCE §1.2).
# An appointment says which; the ledger keeps the code, the form prints the label.
STAFF_TYPES: dict[str, str] = {
    "teacher": "ข้าราชการครู",
    "administrator": "ผู้บริหาร",
    "other_38c2": "บุคลากรทางการศึกษาอื่นตามมาตรา 38 ค.(2)",
}

# The two addresses of "ข้อมูลสำคัญโดยย่อ" ๒.
ADDRESS_TYPES: dict[str, str] = {
    "current": "ที่อยู่ปัจจุบัน",
    "registered": "ที่อยู่ตามทะเบียนบ้าน",
}
