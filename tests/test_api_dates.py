"""One way to read a date on every route (issue 15): an ISO date carries a C.E. year, a
day-first date or a Thai month name a B.E. year, on query, body and form fields alike; a
B.E. year in ISO form (``2567-04-01``) is refused with a problem that says so in Thai and
English, and nothing is written. The API once answered ``?as_of=2567-04-01`` with the
record of the year 2567 C.E., and refused ``order_date: 15/12/2569`` with a parser's
message while order lines took it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.factories import AREA, national_id
from tests.test_web_api import _draft_body
from tests.test_web_work import OWN, SCAN, _correction, _round, work
from tests.web import Api, is_problem

__all__ = ["work"]  # the fixture, used by this module's tests

Request = Callable[[Api], Any]
NID = national_id(1)


def _order(**changes: Any) -> Request:
    return lambda api: api.client.post("/api/v1/orders", json={**_draft_body(), **changes},
                                       headers=api.as_("reg"))


def _order_line(**changes: Any) -> Request:
    def send(api: Api) -> Any:
        body = _draft_body()
        body["lines"][1].update(changes)
        return api.client.post("/api/v1/orders", json=body, headers=api.as_("reg"))
    return send


def _evidence(order_date: str) -> Request:
    return lambda api: api.client.post(
        f"/api/v1/records/{OWN[0]}/evidence", headers=api.as_("reg"),
        data={"to": "2", "description": "สำเนาคำสั่ง", "order_number": "12/2567",
              "order_date": order_date},
        files={"file": ("คำสั่ง.pdf", SCAN, "application/pdf")})


BUDDHIST_ERA_IN_ISO: dict[str, Request] = {
    "record as_of": lambda api: api.client.get(
        f"/api/v1/records/{NID}", params={"as_of": "2567-04-01"}, headers=api.as_("reg")),
    "record known_at": lambda api: api.client.get(
        f"/api/v1/records/{NID}", params={"known_at": "2567-04-01T00:00:00"},
        headers=api.as_("reg")),
    "order order_date": _order(order_date="2567-05-01"),
    "order line effective_date": _order_line(effective_date="2567-05-16"),
    "salary-round preview round_date": lambda api: api.client.post(
        "/api/v1/salary-rounds/preview", json=_round([NID], round_date="2567-04-01"),
        headers=api.as_("reg")),
    "salary-round draft order_date": lambda api: api.client.post(
        "/api/v1/salary-rounds", headers=api.as_("reg"), json=_round(
            [NID], order_number="70/2567", order_date="2567-05-01")),
    "correction order_date": lambda api: api.client.post(
        "/api/v1/corrections", json=_correction(order_date="2567-06-01"),
        headers=api.as_("reg")),
    "evidence form order_date": _evidence("2567-04-01"),
    "payroll month (path)": lambda api: api.client.get(
        f"/api/v1/payroll/{AREA}/2567-05", headers=api.as_("pay")),
}


@pytest.mark.parametrize("route", sorted(BUDDHIST_ERA_IN_ISO))
def test_a_buddhist_era_year_in_an_iso_date_is_refused_on_every_route(work: Api,
                                                                       route: str) -> None:
    events = work.events()
    problem = is_problem(BUDDHIST_ERA_IN_ISO[route](work), 400)
    # (said in the detail, or in the list of errors for an order's lines)
    english = " ".join([problem["detail"], *problem.get("errors", [])])
    thai = " ".join([problem["detail_th"], *problem.get("errors_th", problem.get("errors", []))])
    assert "Buddhist-Era year" in english, problem
    assert "2024-0" in english  # the same date in C.E., to write instead
    assert "พ.ศ." in thai or "พุทธศักราช" in thai, problem
    assert work.events() == events


def test_an_order_dated_the_thai_way_is_taken_in_every_field(work: Api) -> None:
    body = _draft_body()
    body["order_date"] = "1 พฤษภาคม 2567"
    body["lines"][0]["effective_date"] = "16/5/2567"
    drafted = work.client.post("/api/v1/orders", json=body, headers=work.as_("reg"))
    assert drafted.status_code == 201, drafted.text
    assert drafted.json()["order_date"] == "2024-05-01"


def test_a_record_as_of_a_thai_date_is_the_record_as_of_the_same_day(work: Api) -> None:
    def as_of(day: str) -> Any:
        answer = work.client.get(f"/api/v1/records/{NID}", params={"as_of": day},
                                 headers=work.as_("reg"))
        assert answer.status_code == 200, answer.text
        return answer.json()

    assert as_of("1/6/2553") == as_of("2010-06-01") == as_of("1 มิถุนายน 2553")


def test_a_month_first_date_gets_advice_that_is_a_real_date(work: Api) -> None:
    problem = is_problem(_order(order_date="12/15/2026")(work), 400)
    assert "15/12/2569 (B.E.) or 2026-12-15 (C.E.)" in problem["detail"]
    assert "15/12/2569 (พ.ศ.) หรือ 2026-12-15 (ค.ศ.)" in problem["detail_th"]


def _inputs(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every parameter and request-body property of the document, with its schema."""
    components = document.get("components", {}).get("schemas", {})

    def properties(schema: dict[str, Any], where: str) -> Iterator[tuple[str, dict[str, Any]]]:
        if "$ref" in schema:
            schema = components[schema["$ref"].rsplit("/", 1)[1]]
        for name, sub in schema.get("properties", {}).items():
            yield f"{where}.{name}", sub
            for option in [*sub.get("anyOf", []), sub.get("items", {})]:
                if "$ref" in option:
                    yield from properties(option, f"{where}.{name}")

    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                yield f"{method} {path} {parameter['name']}", parameter["schema"]
            for content in operation.get("requestBody", {}).get("content", {}).values():
                yield from properties(content["schema"], f"{method} {path} body")


def _plain_date(schema: dict[str, Any]) -> bool:
    options = schema.get("anyOf", [schema])
    return any(o.get("format") in ("date", "date-time") and "examples" not in o
               for o in options)


def test_no_route_takes_a_date_the_plain_way(work: Api) -> None:
    """Every date a route reads is read by the rule above: none is a bare ISO ``date``."""
    found = dict(_inputs(work.client.get("/api/v1/openapi.json").json()))
    dated = [where for where in found if where.endswith(("date", "as_of", "known_at"))]
    assert len(dated) >= 7, dated
    assert [where for where, schema in found.items() if _plain_date(schema)] == []


def test_an_order_number_with_a_christian_era_year_is_refused(work: Api) -> None:
    events = work.events()
    problem = is_problem(_order(order_number="518/2026")(work), 400)
    assert "518/2569" in problem["detail"], problem
    assert "518/2569" in problem["detail_th"]
    assert work.events() == events


