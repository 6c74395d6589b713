"""The registrar's recordings: leave, training, degrees, skills, name changes, and the
corrections and revocations of mistaken entries."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_CEILING, Decimal
from typing import Any

from commands.seed._assumptions import (
    CANCELLED_LEAVE,
    DOCTOR,
    DUPLICATE_TRAINING,
    LEAVES,
    MARRIAGE,
    MASTER,
    SKILL,
    TRAINING,
    WRONG_DAYS,
)
from commands.seed._calendar import add_years, day_in
from commands.seed._model import Degree, Person
from commands.seed._seeder import SeederBase
from commands.seed._vocabulary import (
    COURSES,
    DOCTORATE,
    FEMALE,
    MALE,
    MASTER_DEGREES,
    MASTER_MAJORS,
    SKILLS,
    SURNAMES,
    TRAINING_PLACES,
    UNIVERSITIES,
)
from ledger.record import PersonnelRecord
from ledger.thaidate import format_thai_date
from ledger.vocabulary import OrderRef


class RegistrarRecordings(SeederBase):
    """The registrar's batches: one per half-year, and one of the amendments due."""

    def _amend(self, day: date) -> None:
        """Corrections and revocations that have come due, as one registrar batch."""
        due = [item for item in self.amendments if item.due <= day]
        self.amendments = [item for item in self.amendments if item.due > day]
        # Corrections first; a correction of an entry revoked meanwhile is moot.
        due.sort(key=lambda item: item.changes is None)
        memo = self._memo(day)
        amended: list[Person] = []
        for item in due:
            record = item.person.record
            if record.entries[item.version].revoked:
                continue
            if item.changes is None:
                record.record(PersonnelRecord.EntryRevoked, effective_date=day, order=memo,
                              revokes=item.version, reason=item.reason)
            else:
                record.record(PersonnelRecord.EntryCorrected, effective_date=day, order=memo,
                              corrects=item.version, changes=item.changes, reason=item.reason)
            amended.append(item.person)
        self._submit(memo, amended,
                     self._purpose(memo, "แก้ไขและยกเลิกรายการในทะเบียนประวัติ"))

    def _registrar_batch(self, first: date, end: date) -> None:
        """The half-year's recordings: leave, training, degrees, skills, name changes."""
        day = end - timedelta(days=1)
        memo = self._memo(day + timedelta(days=self.rng.randint(1, 20)))
        touched = []
        for person in self._serving(day):
            window = (max(first, person.appointed_on), end)
            version = person.record.version
            self._record_leave(person, window, memo)
            self._record_training(person, window, memo)
            self._record_growth(person, window, memo)
            if person.record.version != version:
                touched.append(person)
        self._submit(memo, touched, self._purpose(
            memo, f"บันทึกทะเบียนประวัติ ระหว่างวันที่ {format_thai_date(first)} "
                  f"ถึงวันที่ {format_thai_date(day)}"))

    def _record_leave(self, person: Person, window: tuple[date, date], memo: OrderRef) -> None:
        """The half-year's leave, in the order it was taken."""
        for started, leave_type, days, length in sorted(self._draw_leave(person, window)):
            wrong = self.rng.random() < WRONG_DAYS
            self._record(person, PersonnelRecord.LeaveRecorded, memo, started,
                         leave_type=leave_type, days=days + 1 if wrong else days,
                         started=started, finished=started + timedelta(days=length - 1))
            if wrong:
                self._amend_later(person, started, "จำนวนวันลาไม่ถูกต้อง", {"days": str(days)})
            elif self.rng.random() < CANCELLED_LEAVE:
                self._amend_later(person, started, "ผู้ลายกเลิกวันลา", None)

    def _draw_leave(self, person: Person,
                    window: tuple[date, date]) -> list[tuple[date, str, Decimal, int]]:
        rng = self.rng
        drawn: list[tuple[date, str, Decimal, int]] = []
        for leave_type, chance, choices, who in LEAVES:
            if not self._may_take(person, who, window[0]) or rng.random() >= chance:
                continue
            days = Decimal(rng.choice(choices))
            length = max(1, int(days.to_integral_value(rounding=ROUND_CEILING)))
            started = day_in(rng, window[0], window[1] - timedelta(days=length))
            if started + timedelta(days=length) <= window[1]:
                drawn.append((started, leave_type, days, length))
        return drawn

    @staticmethod
    def _may_take(person: Person, who: str, day: date) -> bool:
        if who == "male":
            return person.gender == MALE
        if who == "young-female":
            return person.gender == FEMALE and person.age_on(day) < 42
        return True

    def _record_training(self, person: Person, window: tuple[date, date],
                         memo: OrderRef) -> None:
        rng = self.rng
        if rng.random() >= TRAINING:
            return
        length = rng.randint(1, 5)
        started = day_in(rng, window[0], window[1] - timedelta(days=length))
        if started + timedelta(days=length) > window[1]:
            return
        fields: dict[str, Any] = {
            "course": rng.choice(COURSES), "place": rng.choice(TRAINING_PLACES),
            "started": started, "finished": started + timedelta(days=length - 1)}
        self._record(person, PersonnelRecord.TrainingRecorded, memo, started, **fields)
        if rng.random() < DUPLICATE_TRAINING:
            # Keyed twice by mistake; the duplicate is revoked later (never mistyped itself,
            # so that no correction targets a revoked entry).
            person.record.record(PersonnelRecord.TrainingRecorded, effective_date=started,
                                 order=memo, **fields)
            self._amend_later(person, started, "บันทึกซ้ำ", None)

    def _record_growth(self, person: Person, window: tuple[date, date],
                       memo: OrderRef) -> None:
        """A further degree, a special skill, a marriage: each now and then."""
        rng = self.rng
        day = day_in(rng, *window)
        if person.degree != "doctorate" and person.age_on(day) < 50 and rng.random() < (
                MASTER if person.degree == "bachelor" else DOCTOR):
            self._record_further_degree(person, day, memo)
        if person.skills < 2 and rng.random() < SKILL:
            person.skills += 1
            self._record(person, PersonnelRecord.SpecialSkillRecorded, memo, day,
                         description=rng.choice(SKILLS))
        prefix, first_name, last_name = person.record.name
        if prefix == "นางสาว" and person.age_on(day) < 45 and rng.random() < MARRIAGE:
            husband = rng.choice([name for name in SURNAMES if name != last_name])
            self._record(person, PersonnelRecord.NameChanged, memo, day, prefix="นาง",
                         first_name=first_name, last_name=husband)

    def _record_further_degree(self, person: Person, day: date, memo: OrderRef) -> None:
        rng = self.rng
        if person.degree == "bachelor":
            person.degree, span = "master", 2
            title, major = rng.choice(MASTER_DEGREES), rng.choice(MASTER_MAJORS)
        else:
            person.degree, span = "doctorate", 3
            title, major = DOCTORATE
        degree = Degree(rng.choice(UNIVERSITIES), title, major, add_years(day, -span), day)
        person.degrees.append(degree)
        self._record_degree(person, degree, memo)
