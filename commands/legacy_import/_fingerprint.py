"""What makes two entries "the same entry", so that importing a file again adds nothing.

An entry is identified by its kind, the day it takes effect, the order that authorises it
(number, date, authority) and the fields that tell one entry of that kind from another on
the same order (a salary order raises many people, each to their own salary). Text is
compared without case, extra spaces or the difference between Thai and ASCII digits, so a
re-export that writes ``๑๒๓/๒๕๖๗`` for ``123/2567`` is still recognised.

Existing events are fingerprinted as first recorded: a later correction or revocation does
not make the original legacy row new again (importing it would undo the correction).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from pythainlp.util import thai_digit_to_arabic_digit

from ledger.vocabulary import OrderRef

__all__ = ["Fingerprint", "fingerprint", "normalised"]

Fingerprint = tuple[str, ...]

KEY_FIELDS: dict[str, tuple[str, ...]] = {
    "appointed": ("position_number", "rank", "salary"),
    "probation_passed": (),
    "salary_raised": ("new_salary",),
    "salary_table_moved": ("new_salary",),
    "transferred": ("position_number", "unit"),
    "position_changed": ("position_number", "rank", "salary"),
    "standing_conferred": ("standing", "salary"),
    "position_renumbered": ("new_number",),
    "left_service": ("reason",),
    "education_recorded": ("institution", "degree", "major"),
}


def normalised(value: Any) -> str:
    """One comparable text for a field value (dates as ISO, text folded)."""
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    text = " ".join(thai_digit_to_arabic_digit(str(value)).split())
    return text.casefold()


def fingerprint(kind: str, fields: Mapping[str, Any]) -> Fingerprint:
    order = fields.get("order")
    order_part = ((order.order_number, order.order_date, order.authority)
                  if isinstance(order, OrderRef) else ("", "", ""))
    keys = KEY_FIELDS.get(kind, ())
    return (kind, normalised(fields.get("effective_date")),
            *(normalised(v) for v in order_part),
            *(normalised(fields.get(name)) for name in keys))
