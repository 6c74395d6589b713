"""The area authority's orders: salary rounds and table moves, leaving, probation,
standings, appointments, transfers, the renumbering, decorations and penalties."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal

from commands.seed._assumptions import (
    APPRAISALS,
    CONFER_CHANCE,
    DECORATIONS,
    NEXT_STANDING,
    PENALTIES,
    SERVICE_BEFORE_RAISE,
    TRANSFER_PER_YEAR,
)
from commands.seed._calendar import add_years, full_years
from commands.seed._drawing import draw_degree
from commands.seed._model import Entrant, Person, School, due_decoration
from commands.seed._pay import (
    at_least_minimum,
    known_range,
    raised,
    starting_salary,
    years_required,
)
from commands.seed._seeder import SeederBase
from commands.seed._vocabulary import DECORATION_AUTHORITY, PROGRAMME, TEACHER_TITLE
from ledger.record import PersonnelRecord
from ledger.rules import rank_for_standing, salary_table_in_force
from ledger.thaidate import format_thai_date, to_be_year
from ledger.vocabulary import OrderRef


class AuthorityOrders(SeederBase):
    """The area authority's orders, each made as one signed submission."""

    def _salary_round(self, day: date) -> None:
        """The round of 1 April or 1 October: one order for the whole area."""
        # A penalty heavier than ภาคทัณฑ์ in the half-year withholds the raise.
        half_year_ago = day - timedelta(days=183)
        eligible = [person for person in self._serving(day)
                    if person.appointed_on <= day - SERVICE_BEFORE_RAISE
                    and not person.penalised_within(day, half_year_ago)]
        if not eligible:
            return
        order = self._order(day, 14, 60)
        for person in eligible:
            self._raise(person, day, order)
        self._submit(order, eligible, self._purpose(
            order, f"เลื่อนเงินเดือนข้าราชการครู ณ วันที่ {format_thai_date(day)}"))

    def _raise(self, person: Person, day: date, order: OrderRef) -> None:
        label, _, low, high = self.rng.choices(APPRAISALS, [a[1] for a in APPRAISALS])[0]
        percent = (Decimal(self.rng.randrange(low, high + 1, 5)) / 100).quantize(Decimal("0.01"))
        # ฐานในการคำนวณ is NOT FOUND for teachers (REFERENCE §2.2): the salary stands in.
        base = person.record.salary
        new_salary, special = raised(person.rank, day, base, percent)
        self._record(person, PersonnelRecord.SalaryRaised, order, day, new_salary=new_salary,
                     percent=percent, steps=None, calculation_base=base,
                     special_compensation=special, appraisal=label)

    def _move_tables(self, day: date) -> None:
        """A new salary table: a salary below the rank's new minimum moves up to it. One above
        the maximum (possible only for a salary raised where no range was known, before the
        first table known here) is brought down to it, to keep the data within the rules."""
        moves: list[tuple[Person, int]] = []
        for person in self._serving(day):
            known = known_range(person.rank, day)
            if known is not None and not known[0] <= person.record.salary <= known[1]:
                moves.append((person, min(max(person.record.salary, known[0]), known[1])))
        self._table_moves(day, moves)

    def _table_moves(self, day: date, items: Sequence[tuple[Person, int]]) -> None:
        table = salary_table_in_force(day)
        if not items or table is None:
            return
        order = self._order(day, 7, 45)
        for person, salary in items:
            self._record(person, PersonnelRecord.SalaryTableMoved, order, day,
                         new_salary=salary, table_id=table.id)
        self._submit(order, [person for person, _ in items], self._purpose(
            order, f"ปรับอัตราเงินเดือนข้าราชการครูตาม{table.title_th}"))

    def _leave(self, day: date, persons: Sequence[Person], reason: str, subject: str) -> None:
        leavers = [person for person in persons if person.in_service_on(day)]
        if not leavers:
            return
        # A retirement list is announced before the day; a death is ordered after it.
        order = self._order(day, 5, 30) if reason == "deceased" else self._order(day, -45, -7)
        for person in leavers:
            self.positions.release(person.school, person.position.number)
            self._record(person, PersonnelRecord.LeftService, order, day, reason=reason)
        self._submit(order, leavers, self._purpose(order, subject))

    def _pass_probation(self, day: date, items: Sequence[tuple[Person, int]]) -> None:
        """ครูผู้ช่วย who completed the two-year programme become ครู คศ.1."""
        items = [(person, salary) for person, salary in items if person.in_service_on(day)]
        if not items:
            return
        order = self._order(day, 7, 45)
        for person, salary in items:
            position = person.position
            self._record(person, PersonnelRecord.ProbationPassed, order, day,
                         programme=PROGRAMME)
            self._record(person, PersonnelRecord.PositionChanged, order, day,
                         position_title=TEACHER_TITLE, position_number=position.number,
                         unit=position.unit, area=position.area, rank="k1", salary=salary)
            person.teacher_since = day
        self._submit(order, [person for person, _ in items], self._purpose(
            order, "ให้ครูผู้ช่วยที่ผ่านการเตรียมความพร้อมและพัฒนาอย่างเข้ม ดำรงตำแหน่งครู"))

    def _confer(self, day: date, items: Sequence[tuple[Person, str, int]]) -> None:
        """One order conferring standings, each with its rank and salary."""
        if not items:
            return
        order = self._order(day, 20, 75)
        for person, standing, salary in items:
            self._record(person, PersonnelRecord.StandingConferred, order, day,
                         standing=standing, rank=rank_for_standing(standing), salary=salary)
            person.standing_since = day
        self._submit(order, [person for person, _, _ in items],
                     self._purpose(order, "ให้ข้าราชการครูมีวิทยฐานะและเลื่อนเป็นวิทยฐานะ"))

    def _standing_round(self, day: date) -> None:
        """Those eligible for their next standing apply; some are conferred it this time."""
        self._confer(day, self._standing_candidates(day))

    def _standing_candidates(self, day: date) -> list[tuple[Person, str, int]]:
        items: list[tuple[Person, str, int]] = []
        for person in self._serving(day):
            target = NEXT_STANDING.get(person.record.standing)
            since = person.standing_since or person.teacher_since
            if target is None or since is None or person.rank == "assistant":
                continue
            # ว9/2564: no penalty heavier than ภาคทัณฑ์ in the past four years.
            if person.penalised_within(day, add_years(day, -4)):
                continue
            if full_years(since, day) < years_required(target, person.degree, day):
                continue
            if self.rng.random() < CONFER_CHANCE[target]:
                rank = rank_for_standing(target)
                items.append((person, target, at_least_minimum(rank, day, person.record.salary)))
        return items

    def _appointment_call(self, day: date) -> None:
        """New ครูผู้ช่วย fill the posts of leavers, keeping the head count near its size."""
        vacancies = self.ctx.people - len(self._serving(day))
        if vacancies <= 0:
            return
        entrants = [self._new_entrant(day, school)
                    for school in self._pick_schools(day, vacancies)]
        self._record_degrees(day, self._open(day, entrants),
                             "บันทึกประวัติการศึกษาของข้าราชการครูบรรจุใหม่")

    def _new_entrant(self, day: date, school: School) -> Entrant:
        age = self.rng.choices(range(23, 31), (5, 6, 5, 4, 3, 2, 1, 1))[0]
        birth = add_years(day, -age) - timedelta(days=self.rng.randint(1, 364))
        degree = draw_degree(self.rng, experienced=False) if age >= 26 else "bachelor"
        entrant = self._draw_entrant(birth, degree, school, day, day)
        entrant.salary = starting_salary("assistant", day)
        return entrant

    def _transfers(self, day: date) -> None:
        """The yearly transfer list: a few percent move, each after ≥ 12 months in the unit."""
        candidates = [person for person in self._serving(day)
                      if person.rank != "assistant"
                      and full_years(person.unit_since, day) >= 1
                      and person.retires_on > add_years(day, 1)]
        count = min(len(candidates), round(len(candidates) * TRANSFER_PER_YEAR
                                           + self.rng.uniform(-1, 1)))
        movers = sorted(self.rng.sample(candidates, max(0, count)), key=lambda p: p.number)
        if not movers:
            return
        order = self._order(day, -30, -7)
        for person in movers:
            self._transfer(person, day, order)
        self._submit(order, movers, self._purpose(order, "ย้ายข้าราชการครู"))

    def _transfer(self, person: Person, day: date, order: OrderRef) -> None:
        destination = self._pick_schools(day, 1, avoid=person.school)[0]
        self.positions.release(person.school, person.position.number)
        number = self.positions.take(destination)
        self._record(person, PersonnelRecord.Transferred, order, day,
                     position_title=person.position.title, position_number=number,
                     unit=destination.name, area=self.area)
        person.school, person.unit_since = destination, day

    def _renumber(self, day: date) -> None:
        """The area renumbers every post once: one order, old number → new number."""
        serving = self._serving(day)
        mapping = self.positions.renumber(
            self.schools, [(person.school, person.position.number) for person in serving])
        if not serving:
            return
        order = self._order(day, -21, -7)
        for person in serving:
            old = person.position.number
            self._record(person, PersonnelRecord.PositionRenumbered, order, day,
                         old_number=old, new_number=mapping[old])
        self._submit(order, serving, self._purpose(
            order, "เปลี่ยนแปลงเลขที่ตำแหน่งข้าราชการครูในสถานศึกษา"))

    def _decorations(self, day: date) -> None:
        """Those due for the next class get it; the registrar records it from the gazette."""
        due = [person for person in self._serving(day) if due_decoration(person, day)]
        if not due:
            return
        order = self._order(day, 60, 120, DECORATION_AUTHORITY)
        be_year = to_be_year(order.order_date)
        gazette = (f"ราชกิจจานุเบกษา เล่ม {be_year - 2426} ตอนที่ {self.rng.randint(10, 40)} ข "
                   f"หน้า {self.rng.randint(1, 300)} ลงวันที่ {format_thai_date(order.order_date)}")
        for person in due:
            person.decoration += 1
            person.decorated_in = day.year
            self._record(person, PersonnelRecord.DecorationConferred, order, day,
                         decoration=DECORATIONS[person.decoration], gazette=gazette)
        self._submit(order, due, self._purpose(
            order, f"การพระราชทานเครื่องราชอิสริยาภรณ์ ประจำปี {to_be_year(day)}"))

    def _penalise(self, person: Person, day: date) -> None:
        if not person.in_service_on(day):
            return
        penalty, _, description, bars = self.rng.choices(PENALTIES,
                                                         [p[1] for p in PENALTIES])[0]
        order = self._order(day, 0, 0)
        self._record(person, PersonnelRecord.DisciplinePenalised, order, day,
                     penalty=penalty, description=description)
        if bars:
            person.penalised_on = day
        self._submit(order, [person],
                     self._purpose(order, "ลงโทษทางวินัยข้าราชการครู"))
