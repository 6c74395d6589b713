"""The simulation's state and plumbing: submitting, order numbers, entries, new records."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from commands.bootstrap import KeySet
from commands.seed._assumptions import TYPO
from commands.seed._books import (
    OrderBook,
    Positions,
    SeedSummary,
    Tally,
    mistyped_order,
    order_as_input,
)
from commands.seed._calendar import full_years
from commands.seed._drawing import draw_degrees, draw_national_id
from commands.seed._model import Amendment, Degree, Entrant, Person, School
from commands.seed._vocabulary import (
    ASSISTANT_TITLE,
    FEMALE,
    FEMALE_NAMES,
    MALE,
    MALE_NAMES,
    PLACES,
    SCHOOL_SUFFIXES,
    SURNAMES,
)
from commands.transcription import transcribe_history
from ledger.application import Ledger
from ledger.identity import record_id_for
from ledger.record import PersonnelRecord
from ledger.thaidate import retirement_date
from ledger.vocabulary import OrderRef


@dataclass
class Context:
    ledger: Ledger
    keys: KeySet
    secret: bytes
    rng: random.Random
    area: str
    people: int
    progress: Callable[[int], None] | None
    cut_over: date  # the first day not simulated: the demo area's history ends before it


class SeederBase:
    """The simulation's state between orders: the live aggregates are never reloaded.

    The orders and the registrar's recordings are written on top of it (``_orders``,
    ``_registrar``); ``_area`` runs them half-year by half-year.
    """

    def __init__(self, context: Context) -> None:
        self.ctx = context
        self.rng = context.rng
        self.area = context.area
        self.memo_authority = f"กลุ่มบริหารงานบุคคล {context.area}"
        self.schools = self._make_schools()
        self.positions = Positions()
        self.orders = OrderBook(self.rng)
        self.persons: list[Person] = []
        self.amendments: list[Amendment] = []
        self.used_ids: set[str] = set()
        self.tally = Tally()

    def summary(self) -> SeedSummary:
        return SeedSummary(
            people_total=len(self.persons),
            in_service=sum(1 for person in self.persons if person.record.left_on is None),
            events=self.tally.events, submissions=self.tally.submissions,
            first_date=self.tally.first, last_date=self.tally.last,
            by_kind=dict(sorted(self.tally.kinds.items())))

    # ------------------------------------------------------------------ plumbing

    def _make_schools(self) -> list[School]:
        count = min(25, max(10, round(self.ctx.people / 12)))
        places = self.rng.sample(PLACES, count)
        return [School(101 + index, f"โรงเรียน{district}{self.rng.choice(SCHOOL_SUFFIXES)}",
                       self.rng.choice((1, 2, 2, 3, 3, 4, 6)))
                for index, (district, _) in enumerate(places)]

    def _submit(self, order: OrderRef, persons: Iterable[Person], purpose: str) -> None:
        """Append one order (or one registrar batch) as one signed submission: the history
        is the demo area's legacy record, transcribed by its authority (``commands.
        transcription``)."""
        records = {person.record.id: person.record for person in persons}
        events = [event for record in records.values() for event in record.pending_events
                  if isinstance(event, PersonnelRecord.Event)]
        if not events:
            return
        transcribe_history(self.ctx.ledger, self.ctx.keys.authority, list(records.values()),
                           order=order, area=self.area, cut_over=self.ctx.cut_over,
                           purpose=purpose)
        self.tally.note(events)
        if self.ctx.progress is not None:
            self.ctx.progress(len(events))

    def _order(self, effective: date, earliest: int, latest: int,
               authority: str | None = None) -> OrderRef:
        """An order dated between ``earliest`` and ``latest`` days from ``effective``."""
        order_date = effective + timedelta(days=self.rng.randint(earliest, latest))
        return self.orders.issue(authority or self.area, order_date)

    def _memo(self, day: date) -> OrderRef:
        """The registrar's memo (บันทึกข้อความ) that a batch of recordings refers to."""
        return self.orders.issue(self.memo_authority, day)

    def _purpose(self, order: OrderRef, subject: str) -> str:
        if order.authority == self.memo_authority:
            return f"บันทึกข้อความ {order.authority} ที่ {order.order_number} เรื่อง {subject}"
        return f"{order.reference_th} เรื่อง {subject}"

    def _record(self, person: Person, event_class: type[PersonnelRecord.Event],
                order: OrderRef, day: date, **fields: Any) -> None:
        """Record one entry; now and then with a mistyped order number, corrected later."""
        mistyped = self.rng.random() < TYPO
        used = mistyped_order(order) if mistyped else order
        person.record.record(event_class, effective_date=day, order=used, **fields)
        if mistyped:
            self._amend_later(person, day, "วันที่ของคำสั่งไม่ถูกต้อง (พิมพ์ปีผิด)",
                              {"order": order_as_input(order)})

    def _amend_later(self, person: Person, day: date, reason: str,
                     changes: dict[str, Any] | None) -> None:
        due = day + timedelta(days=self.rng.randint(90, 240))
        self.amendments.append(Amendment(person, person.record.version, due, reason, changes))

    def _serving(self, day: date) -> list[Person]:
        return [person for person in self.persons if person.in_service_on(day)]

    def _pick_schools(self, day: date, count: int, avoid: School | None = None) -> list[School]:
        """Schools short of their share of the area's teachers are the likeliest to get one."""
        serving = Counter(person.school.code for person in self._serving(day))
        total = sum(school.weight for school in self.schools)
        choices = [school for school in self.schools if school is not avoid]
        picked: list[School] = []
        for _ in range(count):
            weights = [max(0.5, school.weight * self.ctx.people / total - serving[school.code])
                       for school in choices]
            school = self.rng.choices(choices, weights)[0]
            serving[school.code] += 1
            picked.append(school)
        return picked

    # ------------------------------------------------------------------ entrants

    def _draw_entrant(self, birth: date, degree: str, school: School, appointed: date,
                      latest: date) -> Entrant:
        rng = self.rng
        gender = FEMALE if rng.random() < 0.65 else MALE
        family = rng.choice(SURNAMES)
        age = full_years(birth, latest)
        married = age >= 27 and rng.random() < 0.6
        spouse_family = rng.choice(SURNAMES) if married else family
        if gender == MALE:
            prefix, first, last = "นาย", rng.choice(MALE_NAMES), family
            spouse = f"นาง{rng.choice(FEMALE_NAMES)} {family}" if married else ""
        else:
            # A married woman usually takes her husband's surname.
            prefix = "นาง" if married else "นางสาว"
            first, last = rng.choice(FEMALE_NAMES), spouse_family
            spouse = f"นาย{rng.choice(MALE_NAMES)} {spouse_family}" if married else ""
        district, province = rng.choice(PLACES)
        return Entrant(
            national_id=draw_national_id(rng, self.used_ids, birth), gender=gender,
            prefix=prefix, first_name=first, last_name=last, birth=birth,
            father=f"นาย{rng.choice(MALE_NAMES)} {family}",
            mother=f"นาง{rng.choice(FEMALE_NAMES)} {family}", spouse=spouse,
            domicile=f"อำเภอ{district} จังหวัด{province}", degree=degree,
            degrees=draw_degrees(rng, birth, degree, appointed, latest), school=school)

    def _open(self, day: date, entrants: Sequence[Entrant]) -> list[Person]:
        """One appointment order: each record opened and the person appointed ครูผู้ช่วย."""
        order = self._order(day, -21, -3)
        persons = [self._open_one(day, entrant, order) for entrant in entrants]
        self._submit(order, persons, self._purpose(
            order, "บรรจุและแต่งตั้งผู้สอบแข่งขันได้ให้ดำรงตำแหน่งครูผู้ช่วย"))
        return persons

    def _open_one(self, day: date, entrant: Entrant, order: OrderRef) -> Person:
        record = PersonnelRecord.open(
            record_id_for(entrant.national_id, self.ctx.secret), effective_date=day,
            order=order, national_id=entrant.national_id, prefix=entrant.prefix,
            first_name=entrant.first_name, last_name=entrant.last_name,
            birth_date=entrant.birth, area=self.area, gender=entrant.gender,
            father_name=entrant.father, mother_name=entrant.mother,
            spouse_name=entrant.spouse, domicile=entrant.domicile)
        person = Person(len(self.persons) + 1, record, entrant.gender, entrant.degree,
                        entrant.degrees, entrant.school, day, retirement_date(entrant.birth))
        self.persons.append(person)
        self._record(person, PersonnelRecord.Appointed, order, day,
                     position_title=ASSISTANT_TITLE,
                     position_number=self.positions.take(entrant.school),
                     unit=entrant.school.name, area=self.area, rank="assistant",
                     salary=entrant.salary, staff_type="teacher", on_probation=True)
        return person

    def _record_degrees(self, day: date, persons: Sequence[Person], subject: str) -> None:
        """The registrar records the degrees of newly opened records."""
        memo = self._memo(day)
        for person in persons:
            for degree in person.degrees:
                self._record_degree(person, degree, memo)
        self._submit(memo, persons, self._purpose(memo, subject))

    def _record_degree(self, person: Person, degree: Degree, memo: OrderRef) -> None:
        self._record(person, PersonnelRecord.EducationRecorded, memo, degree.finished,
                     institution=degree.institution, degree=degree.degree, major=degree.major,
                     started=degree.started, finished=degree.finished)
