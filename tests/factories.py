"""Small, readable careers for tests (the demo seed lives in commands.seed)."""

from __future__ import annotations

import itertools
from datetime import date
from uuid import UUID

from commands.transcription import transcribe_history, transcription_of
from ledger.application import Ledger
from ledger.identity import check_digit, record_id_for
from ledger.keys import Signer
from ledger.order import Order
from ledger.record import PersonnelRecord
from ledger.vocabulary import OrderRef

SECRET = b"s" * 32
AREA = "สพม.16"


def national_id(n: int) -> str:
    """A valid national ID numbered ``n`` (type 1, registry office 1001)."""
    first12 = f"11001{n:07d}"
    return first12 + str(check_digit(first12))


def order(number: str, on: date) -> OrderRef:
    return OrderRef(AREA, number, on)


def open_person(n: int, *, birth: date = date(1985, 5, 1),
                appointed: date = date(2010, 5, 16), secret: bytes = SECRET) -> PersonnelRecord:
    nid = national_id(n)
    record = PersonnelRecord.open(
        record_id_for(nid, secret), effective_date=appointed,
        order=order(f"{n}/2553", appointed), national_id=nid, prefix="นางสาว",
        first_name=f"ครู{n}", last_name="ใจดี", birth_date=birth, area=AREA)
    record.record(PersonnelRecord.Appointed, effective_date=appointed,
                  order=order(f"{n}/2553", appointed), position_title="ครูผู้ช่วย",
                  position_number=f"{1000 + n}", unit="โรงเรียนปากพนัง", area=AREA,
                  rank="assistant", salary=15_050, staff_type="teacher", on_probation=True)
    return record


def raise_salary(record: PersonnelRecord, on: date, new_salary: int,
                 number: str = "77/2554") -> None:
    record.record(PersonnelRecord.SalaryRaised, effective_date=on,
                  order=order(number, on), new_salary=new_salary, percent=None, steps=None,
                  calculation_base=None, special_compensation=0, appraisal="ดี")


_TRANSCRIPTIONS = itertools.count(1)
CUT_OVER = date(2100, 1, 1)  # tests' histories are all "before the cut-over"


def write_history(ledger: Ledger, authority: Signer, *records: PersonnelRecord,
                  purpose: str = "รับโอนทะเบียนประวัติ (test)") -> list[int]:
    """Append records' pending events as a transcription that ``authority`` issues for its
    area: how tests put a history in place without running each order through the desk."""
    area = ledger.key_role(authority.key_id)[1] or AREA  # a key of no area: refused anyway
    number = f"{next(_TRANSCRIPTIONS)}/2569"
    return transcribe_history(ledger, authority, list(records),
                              order=OrderRef(area, number, date(2026, 12, 1)), area=area,
                              cut_over=CUT_OVER, purpose=purpose)


def transcription(area: str, *records: PersonnelRecord) -> Order:
    """An issued transcription of ``area`` carrying the records' pending events: what an
    authority of that area may sign with them (tests that force one past a check)."""
    number = f"{next(_TRANSCRIPTIONS)}/2569"
    order = transcription_of(list(records), order=OrderRef(area, number, date(2026, 12, 1)),
                             area=area, cut_over=CUT_OVER, title="รับโอน (test)")
    assert order is not None
    return order


def small_ledger(ledger: Ledger, signer: Signer, people: int = 4,
                 secret: bytes = SECRET) -> list[UUID]:
    """``people`` careers in three submissions: openings, a salary order, one more raise."""
    records = [open_person(n, secret=secret) for n in range(1, people + 1)]
    write_history(ledger, signer, *records, purpose="คำสั่ง บรรจุและแต่งตั้ง")
    for i, record in enumerate(records):
        raise_salary(record, date(2011, 4, 1), 15_500 + 10 * i)
    write_history(ledger, signer, *records, purpose="คำสั่ง เลื่อนเงินเดือน 1 เม.ย. 2554")
    raise_salary(records[0], date(2011, 10, 1), 16_000, "300/2554")
    write_history(ledger, signer, records[0], purpose="คำสั่ง เลื่อนเงินเดือน 1 ต.ค. 2554")
    return [r.id for r in records]


def draft_order(n: int) -> Order:
    """A draft order numbered ``n``: a registrar's write that carries no career event."""
    return Order.draft(authority=AREA, area=AREA, order_number=f"{n}/2569",
                       order_date=date(2026, 12, 1), title=f"ร่างคำสั่ง {n}",
                       lines=[{"kind": "salary_raised", "national_id": national_id(n)}])
