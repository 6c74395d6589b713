""""Now" means now (issue 15): a transfer issued today that takes effect in twelve days is
not yet the person's position. The current record, the position registry, the area report and
the month's payroll all read the day as it is, and show the order apart as scheduled
(คำสั่งที่ยังไม่มีผล); read as of the day it takes effect, it is in force. Reported: a
transfer effective 15 Dec 2569, issued 3 Dec 2569, already showed as the person's position
in a plain GET /records/ID, and `tabien positions` showed the old post as vacant."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from typer.testing import CliRunner

from api.cli import app
from api.web.record_cache import RecordCache
from ledger.thaidate import format_thai_date, today
from projections.payroll import build_feed
from projections.positions import position_registry
from projections.record_projection import rebuild
from projections.reports import area_report
from tests.factories import AREA, national_id
from tests.web import OTHER_AREA, Api, is_problem

NID = national_id(1)
OLD_POST, NEW_POST = "1001", "2002"  # open_person(1) holds 1001 in AREA


def be_number(n: int, on: date) -> str:
    return f"{n}/{on.year + 543}"


@pytest.fixture
def transfer_ordered(api: Api) -> dict[str, Any]:
    """Teacher 1, serving in AREA since 2010, transferred to OTHER_AREA by an order issued
    today that takes effect in twelve days."""
    issued_on = today()
    effective = issued_on + timedelta(days=12)
    number = be_number(88, issued_on)
    ref = {"authority": AREA, "order_number": number, "order_date": issued_on.isoformat()}
    line = {"national_id": NID, "kind": "transferred", "effective_date": effective.isoformat(),
            "order": ref, "position_title": "ครู", "position_number": NEW_POST,
            "unit": "โรงเรียนทุ่งสง", "area": OTHER_AREA}
    drafted = api.client.post("/api/v1/orders", headers=api.as_("reg"), json={
        "authority": AREA, "area": AREA, "order_number": number,
        "order_date": issued_on.isoformat(), "title": "ย้ายข้าราชการครู", "lines": [line]})
    assert drafted.status_code == 201, drafted.text
    path = f"/api/v1/orders/{AREA}/{number}"
    assert api.client.post(f"{path}/check", headers=api.as_("reg")).json()["passed"]
    issued = api.client.post(f"{path}/issue", headers=api.as_("auth"))
    assert issued.status_code == 200, issued.text
    rebuild(api.services.ledger, api.services.view)
    return {"effective": effective, "number": number}


def read(api: Api, user: str = "reg", **params: str) -> dict[str, Any]:
    answer = api.client.get(f"/api/v1/records/{NID}", headers=api.as_(user), params=params)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_the_current_record_keeps_the_post_until_the_transfer_takes_effect(
        api: Api, transfer_ordered: dict[str, Any]) -> None:
    effective = transfer_ordered["effective"]
    # Read without a date, the record is as of today: still in the old post and area,
    now = read(api)
    assert (now["position_number"], now["area"]) == (OLD_POST, AREA)
    assert now["as_of"] == today().isoformat()
    # with the transfer listed apart, with its date and order,
    [scheduled] = now["scheduled"]
    assert scheduled["on"] == effective.isoformat()
    assert scheduled["kind"] == "transferred"
    assert scheduled["area"] == OTHER_AREA
    assert transfer_ordered["number"] in scheduled["reference"]
    # and it is not in the positions section yet.
    assert not any(row["on"] == effective.isoformat() for row in now["positions"])
    # Read as of the day it takes effect (by the new area's registrar: the person is theirs
    # then), the transfer is in force and nothing is pending.
    then = read(api, "reg-other", as_of=effective.isoformat())
    assert (then["position_number"], then["area"]) == (NEW_POST, OTHER_AREA)
    assert then["scheduled"] == []
    # The day before, the answer is today's.
    assert read(api, as_of=(effective - timedelta(days=1)).isoformat())["area"] == AREA


def test_the_registrar_of_the_new_area_may_read_the_arriving_record(
        api: Api, transfer_ordered: dict[str, Any]) -> None:
    assert read(api, "reg-other")["area"] == AREA
    # Another person of the old area is not theirs: answered as if there were none.
    is_problem(api.client.get(f"/api/v1/records/{national_id(2)}",
                              headers=api.as_("reg-other")), 404, "not-found")


def test_the_registry_holds_the_post_today_and_vacates_it_on_the_day(
        api: Api, transfer_ordered: dict[str, Any]) -> None:
    effective = transfer_ordered["effective"]
    view, mapper = api.services.view, api.services.ledger.mapper
    now = position_registry(view, mapper, AREA)
    holder = now.positions[OLD_POST].holder
    assert holder is not None
    assert holder.national_id == NID
    [change] = now.scheduled
    assert (change.on, change.leaves, change.takes) == (effective, OLD_POST, None)
    assert position_registry(view, mapper, AREA, as_of=effective).positions[OLD_POST].vacant
    arriving = position_registry(view, mapper, OTHER_AREA)
    assert NEW_POST not in arriving.positions
    assert [(c.leaves, c.takes) for c in arriving.scheduled] == [(None, NEW_POST)]
    on_the_day = position_registry(view, mapper, OTHER_AREA, as_of=effective)
    new_holder = on_the_day.positions[NEW_POST].holder
    assert new_holder is not None
    assert new_holder.national_id == NID


def test_the_positions_command_shows_the_holder_and_the_order_apart(
        api: Api, transfer_ordered: dict[str, Any], ledger_env: Any) -> None:
    result = CliRunner().invoke(app, ["positions", "--area", AREA], env=ledger_env.cli_env)
    assert result.exit_code == 0, result.output
    line = next(row for row in result.output.splitlines() if row.strip("│ ").startswith(OLD_POST))
    assert "ว่าง" not in line, line
    assert "คำสั่งที่ยังไม่มีผล" in result.output
    assert format_thai_date(transfer_ordered["effective"], abbreviated=True) in result.output


def test_the_area_report_and_payroll_still_count_the_teacher(
        api: Api, transfer_ordered: dict[str, Any]) -> None:
    view, mapper = api.services.view, api.services.ledger.mapper
    assert area_report(view, mapper, AREA).in_service == 4
    assert area_report(view, mapper, OTHER_AREA).in_service == 0
    month = today().strftime("%Y-%m")
    paid = {line.national_id for line in build_feed(view, mapper, AREA, month).lines}
    assert NID in paid


def test_the_record_command_shows_the_order_apart(
        api: Api, transfer_ordered: dict[str, Any], ledger_env: Any) -> None:
    result = CliRunner().invoke(app, ["record", "show", NID], env=ledger_env.cli_env)
    assert result.exit_code == 0, result.output
    scheduled = result.output.split("คำสั่งที่ยังไม่มีผล", 1)[1]
    assert "ย้ายไปดำรงตำแหน่ง" in scheduled
    assert format_thai_date(transfer_ordered["effective"]) in scheduled


def test_a_record_kept_from_yesterday_is_built_again_today(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = RecordCache(api.services.view, api.services.ledger.mapper, lambda r: r.as_of
                        .isoformat().encode() if r.as_of else b"")
    monkeypatch.setattr("api.web.record_cache.today", lambda: date(2026, 12, 14))
    assert cache.load(NID).json == b"2026-12-14"
    assert cache.lookup(NID) is not None
    monkeypatch.setattr("api.web.record_cache.today", lambda: date(2026, 12, 15))
    assert cache.lookup(NID) is None
