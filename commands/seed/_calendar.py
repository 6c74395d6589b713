"""Date arithmetic of the simulation: years, half-years, and the days orders fall on."""

from __future__ import annotations

import random
from datetime import date, timedelta
from itertools import pairwise

from commands.seed._assumptions import RENUMBERING


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a common year
        return day.replace(year=day.year + years, day=28)


def full_years(since: date, on: date) -> int:
    years = on.year - since.year
    return years - 1 if add_years(since, years) > on else years


def day_in(rng: random.Random, first: date, end: date) -> date:
    """A day in ``[first, end)``; ``first`` when the span is empty."""
    return first + timedelta(days=rng.randrange(max(1, (end - first).days)))


def _round_days(start: date, until: date) -> list[date]:
    return [day for year in range(start.year, until.year + 1)
            for day in (date(year, 4, 1), date(year, 10, 1)) if start <= day < until]


def periods(start: date, until: date) -> list[tuple[date, date]]:
    return list(pairwise(sorted({start, until, *_round_days(start, until)})))


def renumbering_day(start: date, until: date) -> date:
    if start <= RENUMBERING < until:
        return RENUMBERING
    middle = start + (until - start) / 2
    return min(_round_days(start, until) or [middle], key=lambda day: abs(day - middle))


def next_standing_day(day: date) -> date:
    """History's standing orders fall on 1 February or 1 August, so they share orders."""
    for candidate in (date(day.year, 2, 1), date(day.year, 8, 1), date(day.year + 1, 2, 1)):
        if candidate >= day:
            return candidate
    raise AssertionError("unreachable")


def appointment_day(day: date) -> date:
    """The latest appointment call (16 May or 1 December) on or before ``day``."""
    calls = (date(day.year, 12, 1), date(day.year, 5, 16), date(day.year - 1, 12, 1))
    return next(call for call in calls if call <= day)
