"""Salaries within the known ranges, raises, and the years a standing needs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import ROUND_CEILING, Decimal

from commands.seed._assumptions import W9_FROM
from ledger.errors import InvalidInput
from ledger.rules import rank_label, salary_range, salary_tables


def known_range(rank: str, on: date) -> tuple[int, int] | None:
    """The (minimum, maximum) in force on ``on``, or None where either figure is not known."""
    found = salary_range(rank, on)
    if found is None or found.minimum is None or found.maximum is None:
        return None
    return found.minimum, found.maximum


def _nearest_known_range(rank: str, on: date) -> tuple[int, int]:
    """The range of the latest table before ``on`` that gives both figures, else the first
    table that does. Only to draw a plausible synthetic salary: never applied as a rule."""
    known = [(table.effective_from, (found.minimum, found.maximum))
             for table in salary_tables() if (found := table.range_for(rank)).minimum is not None
             and found.maximum is not None]
    if not known:
        raise InvalidInput(f"no salary range is known for rank {rank}",
                           f"ไม่ทราบช่วงเงินเดือนของอันดับ {rank_label(rank)}")
    earlier = [limits for since, limits in known if since <= on]
    return earlier[-1] if earlier else known[0][1]


def band(rank: str, days: Sequence[date]) -> tuple[int, int]:
    """A salary band that lies within the rank's known range on each of ``days``."""
    known = [limits for day in days if (limits := known_range(rank, day)) is not None]
    if not known:
        return _nearest_known_range(rank, days[0])
    low, high = max(lo for lo, _ in known), min(hi for _, hi in known)
    return (low, high) if low <= high else known[-1]


def starting_salary(rank: str, on: date) -> int:
    known = known_range(rank, on)
    # Before the first table known here the starting salary is NOT FOUND: the nearest
    # table's minimum stands in for it.
    return known[0] if known else _nearest_known_range(rank, on)[0]


def at_least_minimum(rank: str, on: date, salary: int) -> int:
    known = known_range(rank, on)
    return max(salary, known[0]) if known else salary


def round10(amount: float) -> int:
    return round(amount / 10) * 10


def _raise_amount(base: int, percent: Decimal) -> int:
    """base × percent / 100, rounded up to the next 10 baht."""
    tens = (Decimal(base) * percent / 1000).to_integral_value(rounding=ROUND_CEILING)
    return int(tens) * 10


def raised(rank: str, on: date, salary: int, percent: Decimal) -> tuple[int, int]:
    """(new salary, special compensation): what does not fit under the cap is paid aside."""
    wanted = salary + _raise_amount(salary, percent)
    known = known_range(rank, on)
    if known is None:
        # The range is NOT FOUND: a ceiling made up here would put an unsourced figure
        # into signed records, so the raise is given in full and nothing is paid aside.
        return wanted, 0
    low, high = known
    if wanted <= high:
        return max(wanted, low), 0
    new_salary = max(salary, high)
    return new_salary, wanted - new_salary


def years_required(target: str, degree: str, on: date) -> int:
    """Years in the current rank before applying for ``target`` (REFERENCE §4)."""
    if on < W9_FROM:
        # ว17/2552: ชำนาญการ after 6/4/2 years as ครู by degree; เชี่ยวชาญ after 3 years as
        # ชำนาญการพิเศษ (the "or ชำนาญการ ≥ 5 years" path is left out).
        teacher_years = {"bachelor": 6, "master": 4, "doctorate": 2}[degree]
        return {"senior": teacher_years, "senior_special": 1, "expert": 3}[target]
    # ว9/2564: 4 consecutive years for ชำนาญการ and ชำนาญการพิเศษ; เชี่ยวชาญ NOT FOUND (4 used).
    return 4
