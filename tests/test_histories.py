"""Many records' histories read together: the same events as reading each record alone.

Checking and issuing an order, and previewing a salary round, read the history of every
record they name. They read them a batch at a time (one query per 1,000 records on
PostgreSQL) instead of one record per query; these tests hold the batched read to the
library's own one-record read, across batch boundaries, on both backends.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import uuid4

import pytest

from commands import orders as orders_module
from commands.orders import OrderDesk
from commands.salary_round import records_of_area
from ledger import application
from ledger.identity import record_id_for
from tests.conftest import LedgerEnv
from tests.factories import AREA, SECRET, national_id, small_ledger
from tests.test_orders import REF, draft, opening_lines


def as_read_alone(env: LedgerEnv, record_id: Any) -> list[tuple[int, str, bytes]]:
    return [(e.originator_version, type(e).__qualname__, env.ledger.mapper.to_stored_event(e)
             .state) for e in env.ledger.events.get(record_id)]


def test_histories_are_the_events_each_record_has_alone(
        ledger_env: LedgerEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given four careers of three to four events each, read two records per query,
    record_ids = small_ledger(ledger_env.ledger, ledger_env.keys.authority)
    monkeypatch.setattr(application, "_HISTORIES_AT_ONCE", 2)
    never_written = uuid4()
    wanted = [record_ids[2], never_written, *record_ids, record_ids[0]]
    # when their histories are read together, a record asked for twice and one never written
    # among them,
    histories = ledger_env.ledger.histories(wanted)
    # then each record has exactly the events it has alone, oldest first,
    assert set(histories) == set(record_ids)
    for record_id in record_ids:
        events = histories[record_id]
        assert [e.originator_version for e in events] == list(range(1, len(events) + 1))
        got = [(e.originator_version, type(e).__qualname__,
                ledger_env.ledger.mapper.to_stored_event(e).state) for e in events]
        assert got == as_read_alone(ledger_env, record_id)
    # the first person has the extra raise (four events, the others three),
    assert len(histories[record_ids[0]]) == 4
    assert {len(histories[r]) for r in record_ids[1:]} == {3}
    # and a record with no events is left out.
    assert never_written not in histories
    assert ledger_env.ledger.histories([]) == {}


def test_lines_of_one_person_see_each_other_across_batches(
        ledger_env: LedgerEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given an order whose histories are read three lines at a time, where a person's
    # opening and appointment fall in different batches (lines 3 and 4),
    monkeypatch.setattr(orders_module, "_LINES_AT_ONCE", 3)
    lines = opening_lines(1) + opening_lines(2) + opening_lines(3)
    order = draft(ledger_env, lines)
    desk = OrderDesk(ledger_env.ledger, SECRET)
    # when it is checked, every line passes: the appointment sees the opening before it,
    report = desk.check(ledger_env.keys.registrar, order)
    assert report.passed, report.results()
    # and issued, each person's record is opened and appointed once.
    result = desk.issue(ledger_env.keys.authority, desk.order(AREA, REF["order_number"]))
    assert result.event_count == 7
    for n in (1, 2, 3):
        record = ledger_env.reopen().record(record_id_for(national_id(n), SECRET))
        assert record.version == 2
        assert record.position is not None


def test_a_person_opened_twice_across_batches_is_still_refused(
        ledger_env: LedgerEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given an order that opens the same person's record in two different batches,
    monkeypatch.setattr(orders_module, "_LINES_AT_ONCE", 2)
    lines = [*opening_lines(1), opening_lines(2)[0], opening_lines(1)[0]]
    order = draft(ledger_env, lines)
    # then the check fails the second opening (the batch saw the first one), and only it.
    report = OrderDesk(ledger_env.ledger, SECRET).check(ledger_env.keys.registrar, order)
    failed = {line.line for line in report.lines if line.failures}
    assert failed == {4}


def test_a_round_preview_reads_the_area_a_page_at_a_time(ledger_env: LedgerEnv) -> None:
    # Given four careers in the area (each raised on 1 April 2554, the first again in October),
    small_ledger(ledger_env.ledger, ledger_env.keys.authority)
    # then the area's records come back in the order they were opened, each with its facts,
    found = list(records_of_area(ledger_env.ledger, AREA))
    assert [facts.national_id for _, facts in found] == [national_id(n) for n in (1, 2, 3, 4)]
    assert [facts.salary for _, facts in found] == [16_000, 15_510, 15_520, 15_530]
    assert found[0][1].salaries[-1] == (date(2011, 10, 1), 16_000)
    # and another area has none of them.
    assert list(records_of_area(ledger_env.ledger, "สพป.ไม่มี")) == []
