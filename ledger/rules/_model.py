"""The types of the rules data (``ledger.rules``), apart from the loader that builds them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

from ledger.errors import InvalidInput

__all__ = ["AllowanceTable", "Rank", "RulesDataError", "SalaryRange", "SalaryTable", "Source",
           "Standing", "StandingAllowance"]

T = TypeVar("T")


class RulesDataError(ValueError):
    """A rules file shipped with tabien is malformed.

    This is a defect in the package, not a user's mistake, so it stays outside the
    ``TabienError`` tree: boundaries should answer it as an internal error.
    """


# --- the data types --------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """The legal instrument behind a table and where its figures were read."""

    instrument_th: str
    urls: tuple[str, ...]
    note: str | None


@dataclass(frozen=True)
class Rank:
    """A salary rank (อันดับ); ``level`` orders ranks from ครูผู้ช่วย (0) upwards."""

    code: str
    label_th: str
    level: int
    standing: str


@dataclass(frozen=True)
class Standing:
    """An academic standing (วิทยฐานะ); ``level`` orders them from ``none`` (0) upwards."""

    code: str
    label_th: str
    level: int
    rank: str
    positions_th: tuple[str, ...]


@dataclass(frozen=True)
class SalaryRange:
    """Minimum and maximum monthly salary of one rank in one table, in whole baht.

    ``minimum``/``maximum`` are ``None`` where the sources do not give the figure;
    ``missing`` then says what is missing.
    """

    rank: str
    minimum: int | None
    maximum: int | None
    temporary_minimum: int | None
    missing: str | None
    note: str | None
    table_id: str
    source: Source


@dataclass(frozen=True)
class SalaryTable:
    id: str
    title_th: str
    effective_from: date
    effective_to: date | None
    date_basis: str
    source: Source
    ranges: tuple[SalaryRange, ...]

    def in_force_on(self, on: date) -> bool:
        return _in_force(self.effective_from, self.effective_to, on)

    def range_for(self, rank: str) -> SalaryRange:
        return _only(self.ranges, rank, lambda item: item.rank, "rank", "อันดับ")


@dataclass(frozen=True)
class StandingAllowance:
    """Monthly เงินวิทยฐานะ of one standing, in whole baht.

    ``conditional_amount`` is a higher rate paid only under criteria (``condition_th``)
    that are not encoded here.
    """

    standing: str
    amount: int
    conditional_amount: int | None
    condition_th: str | None
    missing: str | None
    note: str | None
    table_id: str
    source: Source


@dataclass(frozen=True)
class AllowanceTable:
    id: str
    title_th: str
    effective_from: date
    effective_to: date | None
    date_basis: str
    source: Source
    allowances: tuple[StandingAllowance, ...]

    def in_force_on(self, on: date) -> bool:
        return _in_force(self.effective_from, self.effective_to, on)

    def allowance_for(self, standing: str) -> StandingAllowance:
        return _only(self.allowances, standing, lambda item: item.standing, "standing",
                     "วิทยฐานะ")


def _only(items: Sequence[T], code: str, code_of: Callable[[T], str], what: str,
          what_th: str) -> T:
    for item in items:
        if code_of(item) == code:
            return item
    known = ", ".join(code_of(item) for item in items)
    raise InvalidInput(f"unknown {what} code {code!r}; known codes: {known}",
                       f"ไม่รู้จักรหัส{what_th} {code!r} รหัสที่มี: {known}")


def _in_force(start: date, end: date | None, on: date) -> bool:
    # A datetime would refuse to compare with the table's dates; only its day matters.
    day = date(on.year, on.month, on.day)
    return start <= day and (end is None or day <= end)
