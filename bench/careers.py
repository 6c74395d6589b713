"""Careers for the benchmark: the ledger's own ``PersonnelRecord`` aggregates and events.

Written here rather than taken from ``tests/`` so that ``tabien bench`` works from an installed
package. Both the ledger and the plain baseline save these same aggregates, so both sides store
the same events.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import date

from commands.bootstrap import DEMO_AREA
from commands.transcription import transcription_of
from ledger.identity import check_digit, record_id_for
from ledger.order import Order
from ledger.record import PersonnelRecord
from ledger.vocabulary import OrderRef

__all__ = ["AREA", "RECORD_SECRET", "People", "raise_salaries"]

AREA = DEMO_AREA
# Record ids are keyed hashes of national IDs; any fixed secret of 32 bytes will do here.
RECORD_SECRET = b"tabien-bench-record-id-secret-32"
_APPOINTED = date(2010, 5, 16)
_BIRTH = date(1985, 5, 1)
_FIRST_SALARY = 15_050


def _national_id(n: int) -> str:
    first12 = f"11001{n:07d}"
    return first12 + str(check_digit(first12))


def _order(number: str, on: date) -> OrderRef:
    return OrderRef(AREA, number, on)


class People:
    """Opens records for people numbered in sequence, so no national ID repeats in a run."""

    def __init__(self, first: int = 1) -> None:
        self._numbers = itertools.count(first)

    def open(self, count: int) -> list[PersonnelRecord]:
        """``count`` new records, each with two pending events (opened, appointed)."""
        return [self._open_one(next(self._numbers)) for _ in range(count)]

    @staticmethod
    def _open_one(n: int) -> PersonnelRecord:
        nid = _national_id(n)
        order = _order(f"{n}/2553", _APPOINTED)
        record = PersonnelRecord.open(
            record_id_for(nid, RECORD_SECRET), effective_date=_APPOINTED, order=order,
            national_id=nid, prefix="นางสาว", first_name=f"ครู{n}", last_name="ใจดี",
            birth_date=_BIRTH, area=AREA)
        record.record(PersonnelRecord.Appointed, effective_date=_APPOINTED, order=order,
                      position_title="ครูผู้ช่วย", position_number=f"{1000 + n}",
                      unit="โรงเรียนปากพนัง", area=AREA, rank="assistant",
                      salary=_FIRST_SALARY, staff_type="teacher", on_probation=True)
        return record


def raise_salaries(records: Sequence[PersonnelRecord], round_number: int) -> None:
    """One pending salary raise on each record (a yearly order, one year per round)."""
    on = date(2011 + round_number % 40, 4, 1)
    order = _order(f"{round_number + 1}/{on.year + 543}", on)
    for record in records:
        record.record(PersonnelRecord.SalaryRaised, effective_date=on, order=order,
                      new_salary=record.salary + 500, percent=None, steps=None,
                      calculation_base=None, special_compensation=0, appraisal="ดี")


_TRANSCRIPTIONS = itertools.count(1)
_CUT_OVER = date(2100, 1, 1)  # the bench's careers are all history


def issued_with(records: Sequence[PersonnelRecord]) -> Order:
    """The order the records' pending events go in with: a transcription the area's
    authority issues (``commands.transcription``), as every career event needs an order."""
    number = next(_TRANSCRIPTIONS)
    order = transcription_of(records, order=_order(f"{number}/2569", date(2026, 12, 1)),
                             area=AREA, cut_over=_CUT_OVER, title="รับโอนทะเบียนประวัติ (bench)")
    assert order is not None, "no pending events"
    return order
