"""Unknown areas are errors (issue 15): ``tabien report area --area สพม.99`` printed "0 in
service" and exited 0; ``tabien payroll export --area สพม.99`` wrote three empty files and
kept the feed; the API answered 403 "registrar does not act in area สพม.99". An area is
known to a ledger when its keys are registered there (``commands.areas``); any other is
refused with the nearest known names, before anything is read, written or exported, and is
not logged as a trespass."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from api.cli import app
from commands.areas import known_areas
from projections.record_projection import open_view
from tests.conftest import LedgerEnv
from tests.factories import AREA, national_id, small_ledger
from tests.test_web_api import _draft_body
from tests.web import OTHER_AREA, Api, is_problem

UNKNOWN = "สพม.99"


def tabien(env: LedgerEnv, *args: str) -> Any:
    return CliRunner().invoke(app, list(args), env=env.cli_env)


def assert_refused(result: Any) -> None:
    assert result.exit_code == 2, result.output
    assert f"unknown education area '{UNKNOWN}'" in result.output
    assert "ไม่รู้จักเขตพื้นที่การศึกษา" in result.output
    assert AREA in result.output  # the nearest known area is named


def test_the_known_areas_are_those_with_keys(ledger_env: LedgerEnv) -> None:
    assert known_areas(ledger_env.ledger) == {AREA}


@pytest.mark.parametrize("command", [
    ["report", "area", "--area", UNKNOWN],
    ["positions", "--area", UNKNOWN],
    ["salary-round", "preview", "appraisals.csv", "--date", "2026-04-01", "--area", UNKNOWN],
    ["user", "add", "someone", "--role", "registrar", "--area", UNKNOWN],
])
def test_the_command_line_refuses_an_unknown_area(ledger_env: LedgerEnv, tmp_path: Path,
                                                  command: list[str]) -> None:
    small_ledger(ledger_env.ledger, ledger_env.keys.authority)
    appraisals = tmp_path / "appraisals.csv"
    appraisals.write_text(f"national_id,appraisal,percent\n{national_id(1)},ดี,2\n",
                          encoding="utf-8")
    command = [str(appraisals) if part == "appraisals.csv" else part for part in command]
    events = ledger_env.ledger.store.count_events()
    result = CliRunner().invoke(app, command, env=ledger_env.cli_env,
                                input="correct horse battery staple\n")
    assert_refused(result)
    assert ledger_env.ledger.store.count_events() == events


def test_a_payroll_export_for_an_unknown_area_writes_no_file_and_keeps_no_feed(
        ledger_env: LedgerEnv, tmp_path: Path) -> None:
    folder = tmp_path / "out"
    assert_refused(tabien(ledger_env, "payroll", "export", "--month", "2026-05", "--area",
                          UNKNOWN, "--out", str(folder)))
    assert not folder.exists() or not any(folder.iterdir())
    assert open_view(ledger_env.url).last_feed_before(UNKNOWN, "2026-06-01") is None


def _problem(api: Api, response: Any) -> dict[str, Any]:
    body = is_problem(response, 400, "unknown-area")
    assert UNKNOWN in body["detail"]
    assert "ไม่รู้จักเขตพื้นที่การศึกษา" in body["detail_th"]
    return body


def test_the_api_says_unknown_area_rather_than_forbidden(api: Api) -> None:
    events, denials = api.events(), api.denials()
    _problem(api, api.client.get(f"/api/v1/payroll/{UNKNOWN}/2026-05",
                                 headers=api.as_("pay")))
    _problem(api, api.client.post("/api/v1/orders", headers=api.as_("reg"),
                                  json=_draft_body(area=UNKNOWN)))
    _problem(api, api.client.post("/api/v1/orders", headers=api.as_("reg"),
                                  json={**_draft_body(), "authority": UNKNOWN}))
    _problem(api, api.client.post("/api/v1/salary-rounds/preview", headers=api.as_("reg"),
                                  json={"area": UNKNOWN, "round_date": "2026-04-01",
                                        "appraisals": [{"national_id": national_id(1),
                                                        "percent": "2"}]}))
    _problem(api, api.client.get(f"/api/v1/orders/{UNKNOWN}/1/2569", headers=api.as_("aud")))
    _problem(api, api.client.post("/api/v1/users", headers=api.as_("adm"), json={
        "username": "newreg", "password": "correct horse battery staple",
        "role": "registrar", "areas": [UNKNOWN]}))
    assert (api.events(), api.denials()) == (events, denials)


def test_an_area_of_someone_else_is_still_forbidden(api: Api) -> None:
    is_problem(api.client.get(f"/api/v1/payroll/{OTHER_AREA}/2026-05",
                              headers=api.as_("pay")), 403, "forbidden")


def test_an_order_placing_someone_in_an_unknown_area_names_the_line(api: Api) -> None:
    body = _draft_body()
    body["lines"][1]["area"] = UNKNOWN
    problem = is_problem(api.client.post("/api/v1/orders", headers=api.as_("reg"), json=body),
                         400)
    assert any("line 2" in e and UNKNOWN in e for e in problem["errors"]), problem


@pytest.mark.parametrize(("field", "value"), [("rank", "k9"), ("rank", "คศ.2")])
def test_an_unknown_rank_code_is_refused_naming_the_codes(api: Api, field: str,
                                                          value: str) -> None:
    """Codes are errors too: the rank an appointment gives must be one of the rules'."""
    body = _draft_body()
    body["lines"][1][field] = value
    problem = is_problem(api.client.post("/api/v1/orders", headers=api.as_("reg"), json=body),
                         400)
    assert any("unknown rank code" in e and "k1" in e for e in problem["errors"]), problem
