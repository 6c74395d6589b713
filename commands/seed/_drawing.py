"""Drawing people: ages, national IDs, degrees, and an incumbent's history before the start."""

from __future__ import annotations

import random
from datetime import date, timedelta

from commands.seed._assumptions import CAREER_REACH, NEXT_STANDING
from commands.seed._calendar import add_years, next_standing_day
from commands.seed._model import Degree, Step
from commands.seed._pay import band, known_range, round10, years_required
from commands.seed._vocabulary import (
    BACHELOR_DEGREES,
    DOCTORATE,
    MAJORS,
    MASTER_DEGREES,
    MASTER_MAJORS,
    PLACES,
    PROVINCE_CODES,
    UNIVERSITIES,
)
from ledger.identity import check_digit
from ledger.rules import rank_for_standing, salary_table_in_force


def draw_age(rng: random.Random) -> int:
    # Many young teachers from recent hiring and a large cohort near retirement.
    ages = range(23, 60)
    weights = [3.0 if age < 30 else 2.0 if age < 40 else 1.5 if age < 50 else 2.5 for age in ages]
    return rng.choices(ages, weights)[0]


def draw_national_id(rng: random.Random, used: set[str], birth: date) -> str:
    # Type 1: birth registered on time from 1984; type 3: in a house register at its start.
    kind = "1" if birth >= date(1984, 1, 1) else "3"
    while True:
        district, province = rng.choice(PLACES)
        number = [place for place in PLACES if place[1] == province].index((district, province))
        office = f"{PROVINCE_CODES[province]}{number + 2:02d}"  # 01 is the เมือง district
        first12 = f"{kind}{office}{rng.randrange(100000):05d}{rng.randrange(100):02d}"
        national_id = first12 + str(check_digit(first12))
        if national_id not in used:
            used.add(national_id)
            return national_id


_LEVELS = ("bachelor", "master", "doctorate")


def draw_degrees(rng: random.Random, birth: date, degree: str, appointed: date,
                 latest: date) -> list[Degree]:
    """The degrees a person holds: the first before ``appointed``, the others before
    ``latest`` (a further degree is often earned in service)."""
    finished = min(date(birth.year + rng.choice((22, 23)), 3, 31),
                   appointed - timedelta(days=60))
    # A five-year teaching degree starts in June.
    degrees = [Degree(rng.choice(UNIVERSITIES), rng.choice(BACHELOR_DEGREES),
                      rng.choice(MAJORS), add_years(finished, -5) + timedelta(days=62),
                      finished)]
    for level, span in (("master", 2), ("doctorate", 3)):
        if _LEVELS.index(degree) < _LEVELS.index(level):
            break
        finished = min(add_years(finished, span + rng.randint(0, 3)),
                       latest - timedelta(days=30))
        degrees.append(_further_degree(rng, level, finished, span))
    return degrees


def _further_degree(rng: random.Random, level: str, finished: date, span: int) -> Degree:
    title, major = ((rng.choice(MASTER_DEGREES), rng.choice(MASTER_MAJORS))
                    if level == "master" else DOCTORATE)
    return Degree(rng.choice(UNIVERSITIES), title, major, add_years(finished, -span), finished)


def draw_degree(rng: random.Random, experienced: bool) -> str:
    weights = (68, 30, 2) if experienced else (85, 15, 0)
    return rng.choices(("bachelor", "master", "doctorate"), weights)[0]


def career_steps(rng: random.Random, appointed: date, degree: str, start: date) -> list[Step]:
    """An incumbent's history up to ``start``: appointment, ครู คศ.1, standings, and the move
    onto the salary table in force at the start (the row that carries the start salary)."""
    steps = [Step(appointed, "appoint", "assistant")]
    teacher_day = add_years(appointed, 2)
    if teacher_day < start:
        steps.append(Step(teacher_day, "probation", "k1"))
        steps += _standing_steps(rng, teacher_day, degree, start)
    table = salary_table_in_force(start)
    if table is not None and steps[-1].day < table.effective_from:
        steps.append(Step(table.effective_from, "table", steps[-1].rank))
    return steps


def _standing_steps(rng: random.Random, teacher_day: date, degree: str,
                    start: date) -> list[Step]:
    steps: list[Step] = []
    held, since = "none", teacher_day
    while (target := NEXT_STANDING.get(held)) is not None:
        if rng.random() >= CAREER_REACH[target]:
            break
        ready = add_years(since, years_required(target, degree, since) + rng.randint(0, 5))
        day = next_standing_day(ready)
        if day >= start:
            break
        steps.append(Step(day, "standing", rank_for_standing(target), target))
        held, since = target, day
    return steps


def price_history(rng: random.Random, steps: list[Step], start: date, service: int) -> None:
    """Salaries for the history rows: the last one is the salary at the start, the earlier
    ones about 6 % a year lower than it, each within its rank's range where that is known."""
    last = steps[-1]
    low, high = band(last.rank, (start, last.day))
    share = min(0.97, max(0.02, (service + rng.uniform(-2, 2)) / 32))
    last.salary = round10(low + (high - low) * share)
    for step in steps[:-1]:
        value = round10(last.salary * 0.94 ** ((start - step.day).days / 365.25))
        known = known_range(step.rank, step.day)
        step.salary = min(max(value, known[0]), known[1]) if known else value
