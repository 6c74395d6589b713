"""Pay rules as effective-dated data with their legal sources (DESIGN decision 9).

The figures live in JSON files beside this module, so that a change in the law is a new
table with a new ``effective_from``, never an edit to code, and a 2014 event is still
explained by the table in force in 2014. Each file is read and checked once.

Codes used in events and commands:

========================  ==================  ==================================
rank code                 Thai label          standing that goes with it
========================  ==================  ==================================
``assistant``             ครูผู้ช่วย          ``none``
``k1``                    คศ.1                ``none``
``k2``                    คศ.2                ``senior`` (ชำนาญการ)
``k3``                    คศ.3                ``senior_special`` (ชำนาญการพิเศษ)
``k4``                    คศ.4                ``expert`` (เชี่ยวชาญ)
``k5``                    คศ.5                ``expert_special`` (เชี่ยวชาญพิเศษ)
========================  ==================  ==================================

Standings (วิทยฐานะ) are ordered ``none < senior < senior_special < expert <
expert_special``; ``Standing.level`` and ``Rank.level`` give that order as integers.

A figure that the sources do not give is ``None`` with a ``missing`` note; it is never
filled in with a guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final

from ledger.errors import InvalidInput

__all__ = [
    "RANKS",
    "STANDINGS",
    "AllowanceTable",
    "Rank",
    "RulesDataError",
    "SalaryRange",
    "SalaryTable",
    "Source",
    "Standing",
    "StandingAllowance",
    "allowance_table_in_force",
    "allowance_tables",
    "rank_by_code",
    "rank_for_standing",
    "salary_range",
    "salary_table_in_force",
    "salary_tables",
    "standing_allowance",
    "standing_by_code",
    "standing_for_rank",
]


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
        return next(item for item in self.ranges if item.rank == rank_by_code(rank).code)


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
        code = standing_by_code(standing).code
        return next(item for item in self.allowances if item.standing == code)


# --- lookups ---------------------------------------------------------------------------


def salary_tables() -> tuple[SalaryTable, ...]:
    """Every salary table, oldest first."""
    return salary_data().tables


def allowance_tables() -> tuple[AllowanceTable, ...]:
    """Every standing-allowance table, oldest first."""
    return allowance_data().tables


def salary_table_in_force(on: date) -> SalaryTable | None:
    """The salary table in force on ``on``, or None before the first table known here."""
    return next((table for table in salary_tables() if table.in_force_on(on)), None)


def salary_range(rank: str, on: date) -> SalaryRange | None:
    """The range of ``rank`` on ``on``; None when no table known here was in force."""
    rank_by_code(rank)
    table = salary_table_in_force(on)
    return None if table is None else table.range_for(rank)


def allowance_table_in_force(on: date) -> AllowanceTable | None:
    """The standing-allowance table in force on ``on``, or None before the first one."""
    return next((table for table in allowance_tables() if table.in_force_on(on)), None)


def standing_allowance(standing: str, on: date) -> StandingAllowance | None:
    """เงินวิทยฐานะ of ``standing`` on ``on``; None when no table known here was in force."""
    standing_by_code(standing)
    table = allowance_table_in_force(on)
    return None if table is None else table.allowance_for(standing)


def rank_by_code(code: str) -> Rank:
    """The rank with this code, or InvalidInput naming the codes that exist."""
    for rank in RANKS:
        if rank.code == code:
            return rank
    known = ", ".join(rank.code for rank in RANKS)
    raise InvalidInput(
        f"unknown rank code {code!r}; known codes: {known}",
        f"ไม่รู้จักรหัสอันดับ {code!r} รหัสที่มี: {known}",
    )


def standing_by_code(code: str) -> Standing:
    """The standing with this code, or InvalidInput naming the codes that exist."""
    for standing in STANDINGS:
        if standing.code == code:
            return standing
    known = ", ".join(standing.code for standing in STANDINGS)
    raise InvalidInput(
        f"unknown standing code {code!r}; known codes: {known}",
        f"ไม่รู้จักรหัสวิทยฐานะ {code!r} รหัสที่มี: {known}",
    )


def rank_for_standing(standing: str) -> str:
    """The rank a standing implies: ``senior`` → ``k2``; ``none`` → ``k1`` (a ครู)."""
    return standing_by_code(standing).rank


def standing_for_rank(rank: str) -> str:
    """The standing that goes with a rank: ``k2`` → ``senior``; ``assistant`` → ``none``."""
    return rank_by_code(rank).standing


def _in_force(start: date, end: date | None, on: date) -> bool:
    # A datetime would refuse to compare with the table's dates; only its day matters.
    day = date(on.year, on.month, on.day)
    return start <= day and (end is None or day <= end)


# --- the data, read once ---------------------------------------------------------------

# The loader builds the classes above, so it is imported only once they are defined.
from ledger.rules._loading import (  # noqa: E402
    allowance_data,
    ranks_with_standings,
    salary_data,
)

RANKS: Final[tuple[Rank, ...]] = ranks_with_standings()
STANDINGS: Final[tuple[Standing, ...]] = allowance_data().standings
