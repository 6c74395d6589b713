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

from datetime import date
from typing import Final

from ledger.errors import InvalidInput
from ledger.rules._loading import allowance_data, ranks_with_standings, salary_data
from ledger.rules._model import (
    AllowanceTable,
    Rank,
    RulesDataError,
    SalaryRange,
    SalaryTable,
    Source,
    Standing,
    StandingAllowance,
)

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
    "rank_label",
    "salary_range",
    "salary_table_in_force",
    "salary_tables",
    "standing_allowance",
    "standing_by_code",
    "standing_for_rank",
    "standing_label",
]


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


def rank_label(code: str) -> str:
    """The Thai label a person reads for a rank code (``k2`` → ``คศ.2``); an unknown code is
    shown as it is (a message about a wrong code must still be able to name it)."""
    return next((rank.label_th for rank in RANKS if rank.code == code), code)


def standing_label(code: str) -> str:
    """The Thai label of a standing code (``senior`` → ``ชำนาญการ``); ``none`` → ``-``."""
    if code == "none":
        return "-"
    return next((s.label_th for s in STANDINGS if s.code == code), code)


def rank_for_standing(standing: str) -> str:
    """The rank a standing implies: ``senior`` → ``k2``; ``none`` → ``k1`` (a ครู)."""
    return standing_by_code(standing).rank


def standing_for_rank(rank: str) -> str:
    """The standing that goes with a rank: ``k2`` → ``senior``; ``assistant`` → ``none``."""
    return rank_by_code(rank).standing


# --- the data, read once ---------------------------------------------------------------

RANKS: Final[tuple[Rank, ...]] = ranks_with_standings()
STANDINGS: Final[tuple[Standing, ...]] = allowance_data().standings
