"""The area's books: position numbers, order numbers, and the tally of what was appended."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from commands.seed._model import School
from ledger.record import PersonnelRecord
from ledger.thaidate import to_be_year
from ledger.vocabulary import OrderRef


@dataclass(frozen=True)
class SeedSummary:
    """What a seed run appended."""

    people_total: int
    in_service: int
    events: int
    submissions: int
    first_date: date | None
    last_date: date | None
    by_kind: dict[str, int]


class Positions:
    """Position numbers: unique in the area before the renumbering, per school after it."""

    def __init__(self) -> None:
        self.renumbered = False
        self.next_area_number = 1001

    def take(self, school: School) -> str:
        # A vacated post is filled before a new one is created.
        if school.free_numbers:
            return school.free_numbers.pop(0)
        return self._new_number(school)

    def release(self, school: School, number: str) -> None:
        school.free_numbers.append(number)

    def _new_number(self, school: School) -> str:
        if self.renumbered:
            number = f"{school.code}{school.next_sequence:03d}"
            school.next_sequence += 1
            return number
        number = str(self.next_area_number)
        self.next_area_number += 1
        return number

    def renumber(self, schools: Sequence[School],
                 occupied: Sequence[tuple[School, str]]) -> dict[str, str]:
        """Give every post a number of its school's block; return old → new."""
        self.renumbered = True
        mapping: dict[str, str] = {}
        for school, number in occupied:
            mapping[number] = self._new_number(school)
        for school in schools:
            for number in school.free_numbers:
                mapping[number] = self._new_number(school)
            school.free_numbers = [mapping[number] for number in school.free_numbers]
        return mapping


class OrderBook:
    """Order numbers, unique per authority and Buddhist-Era year: "123/2567"."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._last: dict[tuple[str, int], int] = {}

    def issue(self, authority: str, order_date: date) -> OrderRef:
        key = (authority, to_be_year(order_date))
        # The authority also issues orders about other matters: numbers have gaps.
        number = self._last.get(key, 0) + self._rng.randint(1, 4)
        self._last[key] = number
        return OrderRef(authority, f"{number}/{key[1]}", order_date)


@dataclass
class Tally:
    events: int = 0
    submissions: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    first: date | None = None
    last: date | None = None

    def note(self, events: Sequence[PersonnelRecord.Event]) -> None:
        self.events += len(events)
        self.submissions += 1
        for event in events:
            self.kinds[event.KIND] += 1
            day = event.effective_date
            self.first = day if self.first is None else min(self.first, day)
            self.last = day if self.last is None else max(self.last, day)


def mistyped_order(order: OrderRef) -> OrderRef:
    """A keyer's slip: the order's date typed a year early ("ลว. 1 พ.ค. 2566" for 2567), as
    happens in the first weeks of a year. The number stays right, so it names no other
    order."""
    day = order.order_date
    return OrderRef(order.authority, order.order_number,
                    date(day.year - 1, day.month, min(day.day, 28)))


def order_as_input(order: OrderRef) -> dict[str, str]:
    # A correction's changes are written as the input path (ledger.entries) would give them.
    return {"authority": order.authority, "order_number": order.order_number,
            "order_date": order.order_date.isoformat()}
