"""Reading the cells of one row, collecting every problem instead of stopping at the first.

A registrar fixing a rejected row wants all its problems at once, so each reader returns
``None`` on a bad cell and records a bilingual reason; the row is rejected if any reason was
recorded. Dates are counted by era so that the summary can say how many were B.E. and C.E.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from pythainlp.util import thai_digit_to_arabic_digit

from commands.legacy_import._layouts import column_th
from commands.legacy_import._source import Row
from ledger.entries import bidi_messages, has_bidi_control
from ledger.errors import InvalidInput, TabienError
from ledger.identity import normalise_national_id
from ledger.thaidate import parse_date, parse_date_flexible
from ledger.vocabulary import OrderRef, check_cited_number

__all__ = ["EraCount", "Reason", "RowReader"]

T = TypeVar("T")

# DPIS stores dates as 'YYYY-MM-DD HH:MM:SS' (REFERENCE §1.3); only the day matters here.
_TIME_OF_DAY = re.compile(r"(?<=\d) ?(?:T| )\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?$")
_AMOUNT = re.compile(r"\d{1,3}(?:,\d{3})+|\d+")
_MAX_SALARY = 1_000_000


@dataclass(frozen=True)
class Reason:
    message: str
    message_th: str

    @classmethod
    def of(cls, error: TabienError, column: str | None = None) -> Reason:
        if column is None:
            return cls(error.message, error.message_th)
        return cls(f"{column}: {error.message}", f"{column_th(column)}: {error.message_th}")


@dataclass
class EraCount:
    be: int = 0
    ce: int = 0


@dataclass
class RowReader:
    """Typed access to one row's cells; problems go to ``reasons``."""

    row: Row
    eras: EraCount
    reasons: list[Reason] = field(default_factory=list)

    def text(self, column: str, *, required: bool = False) -> str:
        value = self.row.cells.get(column, "")
        if required and not value:
            self.missing(column)
        if has_bidi_control(value):
            en, th = bidi_messages(column)
            self.reasons.append(Reason(en, th.replace(column, column_th(column), 1)))
        return value

    def missing(self, column: str) -> None:
        self.reasons.append(Reason(f"{column} is required", f"ต้องระบุ {column_th(column)}"))

    def parsed(self, column: str, parse: Callable[[str], T], *,
               required: bool = False) -> T | None:
        """``parse`` the cell; a blank cell is None (or a reason when required)."""
        value = self.text(column, required=required)
        if not value:
            return None
        try:
            return parse(value)
        except TabienError as e:
            self.reasons.append(Reason.of(e, column))
            return None

    def national_id(self) -> str | None:
        return self.parsed("national_id", normalise_national_id, required=True)

    def day(self, column: str, *, required: bool = True) -> date | None:
        return self.parsed(column, self._day, required=required)

    def _day(self, text: str) -> date:
        text = _TIME_OF_DAY.sub("", text.strip())
        # parse_date refuses what cannot be placed in an era for certain (2567-04-01, or a
        # day-first C.E. date a US-locale spreadsheet may have written month-first);
        # parse_date_flexible then names the era the year was written in.
        day = parse_date(text)
        _, era = parse_date_flexible(text)
        if era == "BE":
            self.eras.be += 1
        else:
            self.eras.ce += 1
        return day

    def amount(self, column: str, *, required: bool = False) -> int | None:
        return self.parsed(column, _amount, required=required)

    def decimal(self, column: str) -> Decimal | None:
        return self.parsed(column, _decimal)

    def order(self) -> OrderRef | None:
        number = self.parsed("order_number", check_cited_number, required=True)
        on = self.day("order_date")
        authority = self.text("authority", required=True)
        if not number or not authority or on is None:
            return None
        return OrderRef(authority=authority, order_number=number, order_date=on)


def _amount(text: str) -> int:
    """Whole baht: ``15,050``, ``15050.00``, ``๑๕,๐๕๐`` or ``15,050 บาท``."""
    cleaned = thai_digit_to_arabic_digit(text).replace("บาท", "").strip()
    whole, _, fraction = cleaned.partition(".")
    if not _AMOUNT.fullmatch(whole) or fraction.strip("0"):
        raise InvalidInput(f"{text!r} is not an amount in whole baht",
                           f"{text!r} ไม่ใช่จำนวนเงินเป็นบาทเต็ม")
    value = int(whole.replace(",", ""))
    if not 0 < value < _MAX_SALARY:
        raise InvalidInput(f"{text!r} is outside 1–{_MAX_SALARY - 1:,} baht",
                           f"{text!r} อยู่นอกช่วง 1–{_MAX_SALARY - 1:,} บาท")
    return value


def _decimal(text: str) -> Decimal:
    """``3.5``, ``3.5%``, ``1 ขั้น`` or ``๑.๕``."""
    cleaned = thai_digit_to_arabic_digit(text).replace("%", "").replace("ขั้น", "").strip()
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite() or not 0 <= number <= 100:
        raise InvalidInput(f"{text!r} is not a number from 0 to 100",
                           f"{text!r} ไม่ใช่ตัวเลขระหว่าง 0 ถึง 100")
    return number
