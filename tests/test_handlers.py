"""Command handlers as given-events / when-command / then-events: each order line, once its
rules pass, becomes exactly the event the ก.ค.ศ.16 records — on a person whose history is
given."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from commands.orders import OrderDesk
from ledger.identity import record_id_for
from ledger.record import PersonnelRecord
from tests.conftest import LedgerEnv
from tests.factories import AREA, SECRET, national_id
from tests.test_orders import opening_lines

NID = national_id(1)


def given_a_teacher(env: LedgerEnv, extra: list[dict[str, Any]] = ()) -> OrderDesk:  # type: ignore[assignment]
    """Given: appointed ครูผู้ช่วย on 16 May 2012 (2554 table), plus ``extra`` lines."""
    desk = OrderDesk(env.ledger, SECRET)
    ref = {"authority": AREA, "order_number": "1/2555", "order_date": "2012-05-01"}
    lines = [line | {"effective_date": "2012-05-16", "order": ref}
             for line in opening_lines(1, ref=ref)]
    lines[0]["birth_date"] = "12/3/2531"  # born 12 Mar 1988: 24 on appointment
    lines[1]["salary"] = 8_700
    lines.extend(extra)
    order = desk.draft(env.keys.registrar, authority=AREA, area=AREA, order_number="1/2555",
                       order_date=date(2012, 5, 1), title="given", lines=lines)
    assert desk.check(env.keys.registrar, order).passed
    desk.issue(env.keys.authority, desk.order(AREA, "1/2555"))
    return desk


def when_issued(env: LedgerEnv, desk: OrderDesk, line: dict[str, Any]) -> list[Any]:
    """When: a one-line order is checked and issued; then: the events it appended."""
    before = len(list(env.ledger.events.get(record_id_for(NID, SECRET))))
    ref = {"authority": AREA, "order_number": "9/2568", "order_date": "2025-01-05"}
    order = desk.draft(env.keys.registrar, authority=AREA, area=AREA, order_number="9/2568",
                       order_date=date(2025, 1, 5), title="when",
                       lines=[{"national_id": NID, "order": ref, **line}])
    report = desk.check(env.keys.registrar, order)
    assert report.passed, [f.message_en for checked in report.lines for f in checked.failures]
    desk.issue(env.keys.authority, desk.order(AREA, "9/2568"))
    return list(env.ledger.events.get(record_id_for(NID, SECRET)))[before:]


CASES: list[tuple[str, dict[str, Any], type[PersonnelRecord.Event], dict[str, Any]]] = [
    ("a percentage raise", {"kind": "salary_raised", "effective_date": "2013-04-01",
                            "new_salary": 9_000, "percent": "3.4", "steps": None,
                            "calculation_base": 8_700, "special_compensation": 0,
                            "appraisal": "ดีเด่น"},
     PersonnelRecord.SalaryRaised, {"new_salary": 9_000, "appraisal": "ดีเด่น"}),
    ("a transfer after a year", {"kind": "transferred", "effective_date": "2013-05-16",
                                 "position_title": "ครูผู้ช่วย", "position_number": "T9",
                                 "unit": "โรงเรียนหัวไทร", "area": AREA},
     PersonnelRecord.Transferred, {"unit": "โรงเรียนหัวไทร", "position_number": "T9"}),
    ("a renumbering", {"kind": "position_renumbered", "effective_date": "2014-10-01",
                       "old_number": "P1", "new_number": "N-0001"},
     PersonnelRecord.PositionRenumbered, {"old_number": "P1", "new_number": "N-0001"}),
    ("a correction", {"kind": "entry_corrected", "effective_date": "2013-01-10", "corrects": 2,
                      "changes": {"position_number": "P1-A"}, "reason": "เลขที่ตำแหน่งผิด"},
     PersonnelRecord.EntryCorrected, {"corrects": 2, "changes": {"position_number": "P1-A"}}),
    ("a revocation", {"kind": "entry_revoked", "effective_date": "2013-01-10", "revokes": 2,
                      "reason": "คำสั่งซ้ำ"},
     PersonnelRecord.EntryRevoked, {"revokes": 2}),
    ("a retirement on its day", {"kind": "left_service", "effective_date": "2048-10-01",
                                 "reason": "retired"},
     PersonnelRecord.LeftService, {"reason": "retired"}),
]


@pytest.mark.parametrize(("story", "line", "event_class", "fields"), CASES,
                         ids=[c[0] for c in CASES])
def test_a_line_becomes_its_event(ledger_env: LedgerEnv, story: str, line: dict[str, Any],
                                  event_class: type[PersonnelRecord.Event],
                                  fields: dict[str, Any]) -> None:
    desk = given_a_teacher(ledger_env)
    events = when_issued(ledger_env, desk, line)
    assert [type(e) for e in events] == [event_class]
    for name, value in fields.items():
        assert getattr(events[0], name) == value, story
    assert events[0].order.order_number == "9/2568"


def test_development_then_k1_then_a_standing(ledger_env: LedgerEnv) -> None:
    # Given a ครูผู้ช่วย who passed two years' development on 16 May 2014,
    passed = {"national_id": NID, "kind": "probation_passed", "effective_date": "2014-05-16",
              "order": {"authority": AREA, "order_number": "1/2555", "order_date": "2012-05-01"},
              "programme": "เตรียมความพร้อมและพัฒนาอย่างเข้ม"}
    desk = given_a_teacher(ledger_env, [passed])
    # when appointed ครู คศ.1, then a position change to k1 is recorded;
    events = when_issued(ledger_env, desk, {
        "kind": "position_changed", "effective_date": "2014-05-16", "position_title": "ครู",
        "position_number": "P1", "unit": "โรงเรียนทุ่งสง", "area": AREA, "rank": "k1",
        "salary": 11_930})
    assert [type(e) for e in events] == [PersonnelRecord.PositionChanged]
    assert events[0].rank == "k1"
