"""A correction's changes are kept canonical (ISO C.E. dates), whatever form they were typed in,
and read back typed by every reader.

Reproduces a reported defect: a correction whose changes held a date as the registrar typed it
(``"1/4/2567"``) was stored as typed, and ``effective_date_of`` (projections.kks16) and
``commands.facts._corrected`` then crashed on ``date.fromisoformat``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from commands.facts import RecordFacts
from commands.orders import OrderDesk
from ledger.entries import parse_entry, typed_changes
from ledger.record import PersonnelRecord
from projections.kks16 import build_record
from projections.render import to_html, to_text
from tests.conftest import LedgerEnv
from tests.factories import (
    AREA,
    SECRET,
    national_id,
    open_person,
    order,
    raise_salary,
    write_history,
)

REF = {"authority": AREA, "order_number": "21/2567", "order_date": "2024-05-02"}


def correction(changes: dict[str, Any], corrects: int = 3) -> dict[str, Any]:
    return {"national_id": national_id(1), "kind": "entry_corrected",
            "effective_date": "2024-05-02", "order": REF, "reason": "พิมพ์วันที่ผิด",
            "corrects": corrects, "changes": changes}


def test_changes_typed_the_thai_way_are_kept_as_iso_dates() -> None:
    entry = parse_entry(correction({
        "effective_date": "1/4/2567", "new_salary": 16_000, "days": 1.5,
        "order": {"authority": AREA, "order_number": "๗๗/๒๕๖๗", "order_date": "1 เม.ย. 2567"},
    }))
    assert entry.fields["changes"] == {
        "effective_date": "2024-04-01", "new_salary": 16_000, "days": "1.5",
        "order": {"authority": AREA, "order_number": "๗๗/๒๕๖๗", "order_date": "2024-04-01"},
    }
    assert typed_changes(entry.fields["changes"])["effective_date"] == date(2024, 4, 1)
    assert typed_changes(entry.fields["changes"])["days"] == Decimal("1.5")


def _corrected_career(changes: dict[str, Any]) -> list[PersonnelRecord.Event]:
    record = open_person(1)
    raise_salary(record, date(2011, 4, 1), 15_500)  # entry 3
    record.record(PersonnelRecord.EntryCorrected, effective_date=date(2024, 5, 2),
                  order=order("21/2567", date(2024, 5, 2)), corrects=3, changes=changes,
                  reason="พิมพ์วันที่ผิด")
    return list(record.collect_events())


def test_a_corrected_date_typed_the_thai_way_moves_the_entry_everywhere() -> None:
    changes = parse_entry(correction({"effective_date": "1/10/2554"})).fields["changes"]
    events = _corrected_career(changes)
    record = build_record(events, as_of=date(2024, 6, 1))
    assert [p.on for p in record.positions] == [date(2010, 5, 16), date(2011, 10, 1)]
    assert "1 ตุลาคม 2554" in to_text(record)
    assert "1 ตุลาคม 2554" in to_html(record)
    facts = RecordFacts.from_events(events)
    assert facts.salaries == [(date(2010, 5, 16), 15_050), (date(2011, 10, 1), 15_500)]


def test_changes_stored_as_typed_before_the_fix_are_still_read() -> None:
    # Events written by the old code hold the date as it was typed: they are in ledgers now.
    events = _corrected_career({"effective_date": "1/10/2554"})
    record = build_record(events, as_of=date(2024, 6, 1))
    assert record.positions[-1].on == date(2011, 10, 1)
    assert record.positions[-1].corrected
    facts = RecordFacts.from_events(events)
    assert facts.salary_on(date(2011, 9, 30)) == 15_050
    assert facts.salary_on(date(2011, 10, 1)) == 15_500


def test_an_order_correcting_a_date_stores_it_canonically(ledger_env: LedgerEnv) -> None:
    write_history(ledger_env.ledger, ledger_env.keys.authority, _opened_and_raised(),
                             purpose="บรรจุและเลื่อนเงินเดือน")
    desk = OrderDesk(ledger_env.ledger, SECRET)
    drafted = desk.draft(ledger_env.keys.registrar, authority=AREA, area=AREA,
                         order_number="21/2567", order_date=date(2024, 5, 2),
                         title="แก้ไขคำสั่ง", lines=[correction({"effective_date": "1/10/2554"})])
    assert desk.check(ledger_env.keys.registrar, drafted).passed
    desk.issue(ledger_env.keys.authority, desk.order(AREA, "21/2567"))
    events = list(ledger_env.ledger.events.get(_opened_and_raised().id))
    [fix] = [e for e in events if isinstance(e, PersonnelRecord.EntryCorrected)]
    assert fix.changes == {"effective_date": "2011-10-01"}
    assert [p.on for p in build_record(events).positions][-1] == date(2011, 10, 1)


def _opened_and_raised() -> PersonnelRecord:
    record = open_person(1)
    raise_salary(record, date(2011, 4, 1), 15_500)
    return record


def test_a_corrected_order_reference_is_the_one_the_record_cites() -> None:
    # A keyer's slip: the raise's order keyed with its effective date, not the day it was
    # signed; the correction gives the order as signed.
    changes = parse_entry(correction({"order": {"authority": AREA, "order_number": "77/2554",
                                                "order_date": "20/4/2554"}})).fields["changes"]
    raised = build_record(_corrected_career(changes), as_of=date(2024, 6, 1)).positions[-1]
    assert raised.reference == "คำสั่ง สพม.16 ที่ 77/2554 ลว. 20 เม.ย. 2554"
    assert raised.corrected


def test_payroll_reaches_back_to_a_corrected_date_stored_as_typed() -> None:
    # The arrears of a feed start from the earliest month a correction touches: the entry's
    # own date or the date it is moved to, read the same way whatever form it was stored in.
    from projections.payroll import _affected_from

    for stored in ("1/10/2553", "2010-10-01"):
        events = _corrected_career({"effective_date": stored})
        by_version = {e.originator_version: e for e in events}
        assert _affected_from(events[-1], by_version) == date(2010, 10, 1)
