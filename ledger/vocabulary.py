"""Value objects shared by career events: the order reference and the Thai labels."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ledger.errors import InvalidInput
from ledger.transcoder import register_value_class

__all__ = ["LEAVING_REASONS", "OrderRef"]


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
