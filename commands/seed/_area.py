"""The orchestration: the incumbents at the start, then the half-years in order."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from functools import partial
from itertools import groupby

from commands.bootstrap import DEMO_AREA, KeySet
from commands.seed._assumptions import DECORATION_CEILING, DECORATION_YEARS, DIE, DISCIPLINE, RESIGN
from commands.seed._books import SeedSummary
from commands.seed._calendar import (
    add_years,
    appointment_day,
    day_in,
    full_years,
    periods,
    renumbering_day,
)
from commands.seed._drawing import career_steps, draw_age, draw_degree, price_history
from commands.seed._model import Entrant, Person, School, Step
from commands.seed._orders import AuthorityOrders
from commands.seed._pay import at_least_minimum
from commands.seed._registrar import RegistrarRecordings
from commands.seed._seeder import Context
from ledger.application import Ledger
from ledger.errors import InvalidInput
from ledger.rules import salary_tables


def seed_area(ledger: Ledger, keys: KeySet, identity_secret: bytes, *, people: int, years: int,
              seed: int, area: str = DEMO_AREA, until: date = date(2026, 10, 1),
              progress: Callable[[int], None] | None = None) -> SeedSummary:
    """Seed ``years`` years of ``people`` teachers' careers in ``area``, ending before ``until``.

    ``until`` is the first day not simulated. ``progress`` is called after each submission
    with the number of events it appended.
    """
    if people < 1 or years < 1:
        raise InvalidInput("people and years must be at least 1",
                           "จำนวนคนและจำนวนปีต้องไม่น้อยกว่า 1")
    start = add_years(until, -years)
    seeder = _Seeder(Context(ledger, keys, identity_secret, random.Random(seed), area,
                             people, progress, until))
    seeder.populate(start)
    renumber_day = renumbering_day(start, until)
    for first, end in periods(start, until):
        seeder.run_period(first, end, renumber_day)
    return seeder.summary()


_Action = tuple[date, int, Callable[[], None]]

# Same-day order of actions: leaving first (the day of leaving is the first day out of
# service, so a retiree gets no 1 October raise), then a salary table change, the salary
# round, other orders, and the registrar's recordings last.
_LEAVING, _TABLE, _ROUND, _ORDER, _AMEND, _MEMO = range(6)


class _Seeder(AuthorityOrders, RegistrarRecordings):
    """The whole simulation: the incumbents, then each half-year's orders and recordings."""

    # ----------------------------------------------------------- the incumbents

    def populate(self, start: date) -> None:
        """The people in service at the start, with the short history of their careers."""
        drafts = [self._draft_incumbent(start) for _ in range(self.ctx.people)]
        rows = sorted(((step.day, step.kind, index, step) for index, (_, steps) in
                       enumerate(drafts) for step in steps), key=lambda row: row[:3])
        persons: dict[int, Person] = {}
        for (day, kind), group in groupby(rows, key=lambda row: row[:2]):
            items = [(index, step) for _, _, index, step in group]
            if kind == "appoint":
                opened = self._open(day, [drafts[index][0] for index, _ in items])
                persons.update(zip((index for index, _ in items), opened, strict=True))
            elif kind == "probation":
                self._pass_probation(day, [(persons[index], step.salary) for index, step in items])
            elif kind == "table":
                self._table_moves(day, [(persons[index], step.salary) for index, step in items])
            else:
                self._confer(day, [(persons[index], step.standing, step.salary)
                                   for index, step in items])
        ordered = [persons[index] for index in range(len(drafts))]
        self._record_degrees(start, ordered, "นำเข้าประวัติการศึกษาของข้าราชการครูในสังกัด")
        for person in ordered:
            self._inherit_decorations(person, start)

    def _draft_incumbent(self, start: date) -> tuple[Entrant, list[Step]]:
        rng = self.rng
        age = draw_age(rng)
        birth = add_years(start, -age) - timedelta(days=rng.randint(1, 364))
        appointed_at = rng.randint(23, max(23, min(age, 33)))
        appointed = appointment_day(add_years(start, appointed_at - age)
                                    - timedelta(days=rng.randint(1, 300)))
        appointed = max(appointed, add_years(birth, 22))
        degree = draw_degree(rng, experienced=True)
        steps = career_steps(rng, appointed, degree, start)
        price_history(rng, steps, start, full_years(appointed, start))
        entrant = self._draw_entrant(birth, degree, self._weighted_school(), appointed, start)
        entrant.salary = steps[0].salary
        return entrant, steps

    def _weighted_school(self) -> School:
        return self.rng.choices(self.schools, [school.weight for school in self.schools])[0]

    def _inherit_decorations(self, person: Person, start: date) -> None:
        # Decorations before the start are not synthesised as entries, but the ladder goes on
        # from where a person of that service would stand.
        ceiling = DECORATION_CEILING.get(person.rank, -1)
        service = full_years(person.appointed_on, start)
        person.decoration = min(ceiling, service // DECORATION_YEARS - 1)
        if person.decoration >= 0:
            person.decorated_in = start.year - self.rng.randrange(DECORATION_YEARS)

    # ---------------------------------------------------------------- the periods

    def run_period(self, first: date, end: date, renumber_day: date) -> None:
        """Plan the half-year ``[first, end)``, then carry it out in effective-date order."""
        actions: list[_Action] = []
        actions += self._plan_leaving(first, end)
        actions += self._plan_tables(first, end)
        if first.day == 1 and first.month in (4, 10):
            actions.append((first, _ROUND, partial(self._salary_round, first)))
        if first <= renumber_day < end:
            actions.append((renumber_day, _ORDER, partial(self._renumber, renumber_day)))
        actions += self._plan_probation(first, end)
        actions += self._plan_orders(first, end)
        last = end - timedelta(days=1)
        actions.append((last, _AMEND, partial(self._amend, last)))
        actions.append((last, _MEMO, partial(self._registrar_batch, first, end)))
        for _, _, act in sorted(actions, key=lambda action: action[:2]):
            act()

    def _plan_leaving(self, first: date, end: date) -> list[_Action]:
        """Retirements (one order per day), and now and then a resignation or a death."""
        actions: list[_Action] = []
        retiring = sorted((person.retires_on, person.number, person)
                          for person in self._serving(first) if person.retires_on < end)
        for day, group in groupby(retiring, key=lambda row: row[0]):
            actions.append((day, _LEAVING, partial(
                self._leave, day, [row[2] for row in group], "retired",
                "ข้าราชการครูพ้นจากราชการเนื่องจากเกษียณอายุราชการ")))
        for person in self._serving(first):
            draw, day = self.rng.random(), day_in(self.rng, first, end)
            if day >= person.retires_on:
                continue
            if draw < RESIGN:
                actions.append((day, _LEAVING, partial(
                    self._leave, day, [person], "resigned", "อนุญาตให้ข้าราชการครูลาออกจากราชการ")))
            elif draw < RESIGN + DIE * (1 + person.age_on(first) / 20):
                actions.append((day, _LEAVING, partial(
                    self._leave, day, [person], "deceased",
                    "ให้ข้าราชการครูพ้นจากราชการเนื่องจากถึงแก่กรรม")))
        return actions

    def _plan_tables(self, first: date, end: date) -> list[_Action]:
        return [(table.effective_from, _TABLE, partial(self._move_tables, table.effective_from))
                for table in salary_tables() if first <= table.effective_from < end]

    def _plan_probation(self, first: date, end: date) -> list[_Action]:
        due = sorted((add_years(person.appointed_on, 2), person.number, person)
                     for person in self._serving(first) if person.rank == "assistant")
        return [(day, _ORDER, partial(self._probation_due, day, [row[2] for row in group]))
                for day, group in groupby(due, key=lambda row: row[0]) if first <= day < end]

    def _probation_due(self, day: date, persons: Sequence[Person]) -> None:
        # The salary is read when the order is made: a round may have raised it meanwhile.
        self._pass_probation(day, [(person, at_least_minimum("k1", day, person.record.salary))
                                   for person in persons])

    def _plan_orders(self, first: date, end: date) -> list[_Action]:
        """The area's other orders of the half-year, each on a plausible day."""
        rng = self.rng
        planned = [(day_in(rng, first + timedelta(days=30), end), self._appointment_call),
                   (day_in(rng, first + timedelta(days=45), end), self._standing_round)]
        for year in range(first.year, end.year + 1):
            # Transfers take effect as the school year starts in May; decorations are
            # conferred on 28 July (an approximation: before 2017 it was 5 December).
            planned.append((date(year, 5, rng.randint(1, 20)), self._transfers))
            planned.append((date(year, 7, 28), self._decorations))
        for person in self._serving(first):
            if rng.random() < DISCIPLINE:
                planned.append((day_in(rng, first, end), partial(self._penalise, person)))
        return [(day, _ORDER, partial(act, day)) for day, act in planned if first <= day < end]
