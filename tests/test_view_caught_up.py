"""Payroll feeds and ก.ค.ศ.16 pages are made only from a record view that has caught up with the
ledger's head (issue 16): a view behind is waited for (``TABIEN_VIEW_WAIT_SECONDS``), then
refused — 503 ``view-behind`` from the API, exit 2 from the CLI — with nothing made, kept or
logged; a caught-up view serves, and the feed names the ledger position and event hash it
was made at. Both backends."""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from api.cli import app
from ledger.errors import InvalidInput
from projections.record_projection import open_view, rebuild, record_runner
from tests.conftest import LedgerEnv
from tests.factories import AREA, national_id, open_person, small_ledger, write_history
from tests.web import Api, is_problem

PAYROLL = f"/api/v1/payroll/{AREA}/2024-05"


def head_of(env: LedgerEnv) -> tuple[int, str]:
    """The ledger's head position and the stored hash (hex) of the event there."""
    head = env.ledger.recorder.max_notification_id() or 0
    return head, env.ledger.store.event_hashes_at([head])[head].hex()


def note_at(position: int, event_hash: str) -> str:
    """The note a payroll file carries of the ledger head it was made at."""
    return (f"ทำจากบัญชีหลักถึงลำดับที่ (ledger position): {position}; "
            f"แฮชของรายการที่ลำดับนั้น (event hash): {event_hash}")


def a_later_appointment(env: LedgerEnv) -> None:
    """A career event the view has not applied (no projection runs in these tests)."""
    write_history(env.ledger, env.keys.authority,
                  open_person(9, secret=env.store.identity_secret()),
                  purpose="appointment after the view was built")


def tabien(env: LedgerEnv, *args: str, wait: str = "0.2") -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args),
                                env={**env.cli_env, "TABIEN_VIEW_WAIT_SECONDS": wait})
    return result.exit_code, result.output


# ------------------------------------------------------------------ the API


def test_a_caught_up_view_serves_and_the_feed_names_the_ledger_head(
        api: Api, ledger_env: LedgerEnv) -> None:
    position, event_hash = head_of(ledger_env)
    answer = api.client.get(PAYROLL, headers=api.as_("pay"))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["ledger_position"], body["ledger_event_hash"]) == (position, event_hash)
    assert f"(ledger position): {position}; " in body["notes"][-1]
    # The export logged an area read: the head moved on, and the access log is no lag.
    later, later_hash = head_of(ledger_env)
    assert later > position
    as_csv = api.client.get(PAYROLL, params={"format": "csv"}, headers=api.as_("pay"))
    rows = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    assert [note_at(later, later_hash)] in rows
    # The spreadsheet carries it on its notes sheet, made after one more logged export.
    latest, latest_hash = head_of(ledger_env)
    as_xlsx = api.client.get(PAYROLL, params={"format": "xlsx"}, headers=api.as_("pay"))
    notes = load_workbook(io.BytesIO(as_xlsx.content))["หมายเหตุ"]
    assert note_at(latest, latest_hash) in {cell.value for row in notes.iter_rows()
                                            for cell in row}


def test_a_view_behind_is_waited_for_then_refused_with_nothing_made(
        api: Api, ledger_env: LedgerEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    view_position = api.services.view.max_tracking_id("Ledger")
    a_later_appointment(ledger_env)
    head, _ = head_of(ledger_env)
    events = api.events()
    monkeypatch.setenv("TABIEN_VIEW_WAIT_SECONDS", "0.5")
    for format in ("json", "csv", "xlsx"):
        started = time.monotonic()
        answer = api.client.get(PAYROLL, params={"format": format}, headers=api.as_("pay"))
        assert time.monotonic() - started >= 0.5  # it waited before refusing
        body = is_problem(answer, 503, "view-behind")
        assert answer.headers["retry-after"] == "5"
        assert (body["view_position"], body["ledger_position"], body["events_behind"]) == (
            view_position, head, 2)  # the opening and the appointment
        assert f"up to position {view_position:,}" in body["detail"]
        assert f"head is position {head:,}" in body["detail"]
        assert "ลำดับที่" in body["detail_th"]
    assert api.events() == events  # no export logged
    assert api.services.view.last_feed_before(AREA, "2100-01-01") is None  # no feed kept
    # Caught up, the same request is served.
    rebuild(api.services.ledger, api.services.view)
    answer = api.client.get(PAYROLL, headers=api.as_("pay"))
    assert answer.status_code == 200, answer.text
    assert answer.json()["ledger_position"] == head
    assert national_id(9) in {line["national_id"] for line in answer.json()["lines"]}


def test_the_route_waits_for_a_projection_that_is_catching_up(
        api: Api, ledger_env: LedgerEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    a_later_appointment(ledger_env)
    head, _ = head_of(ledger_env)
    monkeypatch.setenv("TABIEN_VIEW_WAIT_SECONDS", "30")
    with record_runner(ledger_env.url):
        answer = api.client.get(PAYROLL, headers=api.as_("pay"))
    assert answer.status_code == 200, answer.text
    assert answer.json()["ledger_position"] == head
    assert national_id(9) in {line["national_id"] for line in answer.json()["lines"]}


# ------------------------------------------------------------------ the command line


def test_the_cli_refuses_a_view_behind_and_writes_nothing(ledger_env: LedgerEnv,
                                                          tmp_path: Path) -> None:
    small_ledger(ledger_env.ledger, ledger_env.keys.authority,
                 secret=ledger_env.store.identity_secret())
    rebuild(ledger_env.ledger, open_view(ledger_env.url))
    a_later_appointment(ledger_env)
    head, event_hash = head_of(ledger_env)
    events = ledger_env.ledger.store.count_events()
    out = tmp_path / "out"
    code, output = tabien(ledger_env, "payroll", "export", "--month", "2024-05", "--out",
                          str(out))
    assert code == 2, output
    assert "behind the ledger" in output
    assert "ตามบัญชีหลักไม่ทัน" in output
    assert "tabien project --once" in output
    assert not out.exists()
    assert open_view(ledger_env.url).last_feed_before(AREA, "2100-01-01") is None
    page = tmp_path / "kks16.html"
    code, output = tabien(ledger_env, "record", "show", national_id(1), "--html", str(page))
    assert code == 2, output
    assert not page.exists()
    assert ledger_env.ledger.store.count_events() == events  # nothing logged either
    # Caught up as the refusal says, the export is made, and says where it was made at.
    code, output = tabien(ledger_env, "project", "--once")
    assert code == 0, output
    code, output = tabien(ledger_env, "payroll", "export", "--month", "2024-05", "--out",
                          str(out), "--formats", "csv")
    assert code == 0, output
    assert f"(ledger position): {head}; " in output
    assert note_at(head, event_hash) in next(out.iterdir()).read_text(encoding="utf-8-sig")
    head, event_hash = head_of(ledger_env)  # the export logged an area read
    code, output = tabien(ledger_env, "record", "show", national_id(1), "--html", str(page))
    assert code == 0, output
    assert note_at(head, event_hash) in page.read_text(encoding="utf-8")


def test_access_log_entries_after_the_view_are_no_lag(ledger_env: LedgerEnv,
                                                      tmp_path: Path) -> None:
    """Each export logs an area read into the ledger; the view does not track those, so the
    next export does not wait for them (0 s of waiting)."""
    small_ledger(ledger_env.ledger, ledger_env.keys.authority,
                 secret=ledger_env.store.identity_secret())
    rebuild(ledger_env.ledger, open_view(ledger_env.url))
    for month in ("2024-04", "2024-05"):
        code, output = tabien(ledger_env, "payroll", "export", "--month", month, "--out",
                              str(tmp_path), wait="0")
        assert code == 0, output


def test_the_wait_is_a_number_of_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    from ledger.config import DEFAULT_VIEW_WAIT_SECONDS, view_wait_seconds

    monkeypatch.delenv("TABIEN_VIEW_WAIT_SECONDS", raising=False)
    assert view_wait_seconds() == DEFAULT_VIEW_WAIT_SECONDS == 10
    monkeypatch.setenv("TABIEN_VIEW_WAIT_SECONDS", "2.5")
    assert view_wait_seconds() == 2.5
    for bad in ("soon", "-1", "99999"):
        monkeypatch.setenv("TABIEN_VIEW_WAIT_SECONDS", bad)
        with pytest.raises(InvalidInput, match="TABIEN_VIEW_WAIT_SECONDS"):
            view_wait_seconds()
