"""The people of the simulation: schools, degrees, entrants, persons and their history."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from commands.seed._assumptions import DECORATION_CEILING, DECORATION_YEARS
from commands.seed._calendar import full_years
from ledger.record import PersonnelRecord, Position


@dataclass
class School:
    code: int
    name: str
    weight: int
    free_numbers: list[str] = field(default_factory=list)
    next_sequence: int = 1


@dataclass(frozen=True)
class Degree:
    institution: str
    degree: str
    major: str
    started: date
    finished: date


@dataclass
class Entrant:
    """A person about to be appointed: the record's page 1 and their first post."""

    national_id: str
    gender: str
    prefix: str
    first_name: str
    last_name: str
    birth: date
    father: str
    mother: str
    spouse: str
    domicile: str
    degree: str
    degrees: list[Degree]
    school: School
    salary: int = 0


@dataclass(eq=False)
class Person:
    """A person in the simulation: the live aggregate plus what only the simulation needs."""

    number: int  # creation order: it fixes every iteration order, hence determinism
    record: PersonnelRecord
    gender: str
    degree: str
    degrees: list[Degree]
    school: School
    unit_since: date
    retires_on: date
    teacher_since: date | None = None
    standing_since: date | None = None
    decoration: int = -1
    decorated_in: int | None = None
    penalised_on: date | None = None  # the last penalty heavier than ภาคทัณฑ์
    skills: int = 0

    @property
    def position(self) -> Position:
        assert self.record.position is not None
        return self.record.position

    @property
    def rank(self) -> str:
        return self.position.rank

    @property
    def appointed_on(self) -> date:
        assert self.record.appointed_on is not None
        return self.record.appointed_on

    def in_service_on(self, day: date) -> bool:
        appointed = self.record.appointed_on
        left = self.record.left_on
        return appointed is not None and appointed <= day and (left is None or day < left)

    def age_on(self, day: date) -> int:
        return full_years(self.record.birth_date, day)

    def penalised_within(self, day: date, since: date) -> bool:
        return self.penalised_on is not None and since <= self.penalised_on < day


@dataclass
class Step:
    """One row of an incumbent's history before the start."""

    day: date
    kind: str  # "appoint", "probation", "standing" or "table"
    rank: str
    standing: str = "none"
    salary: int = 0


@dataclass
class Amendment:
    """A correction or revocation the registrar will record once it is due."""

    person: Person
    version: int
    due: date
    reason: str
    changes: dict[str, Any] | None  # None: revoke the entry


def due_decoration(person: Person, day: date) -> bool:
    if person.decoration >= DECORATION_CEILING.get(person.rank, -1):
        return False
    if person.decorated_in is None:
        return full_years(person.appointed_on, day) >= DECORATION_YEARS
    return day.year - person.decorated_in >= DECORATION_YEARS
