"""The fast path for reads of current records (``api.web.fast_reads``), on both backends.

Its promise: a request it answers gets the same status, body and access-log entry as the
route would give; everything else reaches the application untouched. Each test sends the
same request to the application with and without it, and looks at which answered.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.web.app import create_app
from api.web.fast_reads import DEFAULT_PURPOSE, FastReads
from commands.access import accesses_of
from tests.factories import national_id
from tests.web import Api, is_problem


class _Counting:
    """The application behind the fast path, counting the requests that reach it."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.reached = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.reached += 1
        await self.app(scope, receive, send)


@pytest.fixture
def both(api: Api) -> Iterator[tuple[TestClient, TestClient, _Counting]]:
    """A client through the fast path (to a counted application) and one straight to the
    application, over the same services."""
    plain = create_app(api.services, fast_reads=False)
    behind = _Counting(plain)
    with TestClient(FastReads(behind, api.services)) as fast, TestClient(plain) as slow:
        yield fast, slow, behind


def _accesses(api: Api, person: int) -> list[tuple[str, str]]:
    record_id = api.services.view.record_id(national_id(person))
    assert record_id is not None
    return [(a.reader, a.purpose) for a in accesses_of(api.services.ledger, record_id)]


def _kept(fast: TestClient, api: Api, person: int = 2) -> str:
    """The path of a record read once by an auditor, so that it is kept from now on."""
    path = f"/api/v1/records/{national_id(person)}"
    assert fast.get(path, headers=api.as_("aud")).status_code == 200
    return path


def test_a_kept_record_is_answered_ahead_of_the_application(
        api: Api, both: tuple[TestClient, TestClient, _Counting]) -> None:
    fast, slow, behind = both
    path = f"/api/v1/records/{national_id(2)}"
    # The first read builds the record: the application answers it, and keeps it.
    first = fast.get(path, headers=api.as_("aud"))
    assert first.status_code == 200, first.text
    assert behind.reached == 1
    # From then on the fast path answers, with the route's very bytes and headers …
    again = fast.get(path, headers=api.as_("aud"))
    assert behind.reached == 1
    reference = slow.get(path, headers=api.as_("aud"))
    assert again.content == reference.content == first.content
    assert again.headers["content-type"] == reference.headers["content-type"]
    assert again.headers["content-length"] == reference.headers["content-length"]
    # … and every read, whichever answered it, is in the access log.
    assert _accesses(api, 2) == [("aud", DEFAULT_PURPOSE)] * 3


def test_a_purpose_given_is_logged_as_given(
        api: Api, both: tuple[TestClient, TestClient, _Counting]) -> None:
    fast, _slow, behind = both
    path = f"/api/v1/records/{national_id(3)}"
    assert fast.get(path, headers=api.as_("reg")).status_code == 200
    reached = behind.reached
    purpose = "ตรวจสอบเพื่อเลื่อนเงินเดือน 1 เม.ย. 2567"
    answer = fast.get(f"{path}?purpose={quote(purpose)}", headers=api.as_("reg"))
    assert answer.status_code == 200
    assert behind.reached == reached
    assert _accesses(api, 3)[-1] == ("reg", purpose)


def test_refusals_are_left_to_the_application_which_logs_them(
        api: Api, both: tuple[TestClient, TestClient, _Counting]) -> None:
    fast, _slow, behind = both
    path = f"/api/v1/records/{national_id(2)}"
    assert fast.get(path, headers=api.as_("aud")).status_code == 200  # now kept
    for user, status in (("teach", 403),      # a teacher, another teacher's record
                         ("reg-other", 404),  # another area's: as if no such person
                         ("adm", 403),        # an admin reads no records
                         ("pay", 200)):       # payroll of the area
        assert fast.get("/api/v1/me", headers=api.as_(user)).status_code == 200  # kept too
        reached, denials = behind.reached, api.denials()
        answer = fast.get(path, headers=api.as_(user))
        assert answer.status_code == status, (user, answer.text)
        if status == 200:
            assert behind.reached == reached  # answered ahead
            continue
        is_problem(answer, status)
        assert behind.reached == reached + 1
        assert api.denials() == denials + 1


def test_other_queries_are_left_to_the_application(
        api: Api, both: tuple[TestClient, TestClient, _Counting]) -> None:
    fast, slow, behind = both
    path = _kept(fast, api)
    for query in ("as_of=2012-01-01", "known_at=2024-01-01T00:00:00", "purpose=",
                  "purpose=a&purpose=b", "purpose=%3Cscript%3E", "purpose=%ff", "other=1",
                  "purpose=%20%20"):
        reached = behind.reached
        answer = fast.get(f"{path}?{query}", headers=api.as_("aud"))
        assert behind.reached == reached + 1, query
        reference = slow.get(f"{path}?{query}", headers=api.as_("aud"))
        assert answer.status_code == reference.status_code, query


def test_requests_without_a_kept_valid_token_are_left_to_the_application(
        api: Api, both: tuple[TestClient, TestClient, _Counting]) -> None:
    fast, _slow, behind = both
    path = _kept(fast, api)
    for authorization in (None, "Bearer", "Bearer not-a-token", "Basic dXNlcjpwYXNz",
                          f"bearer {api.tokens['aud']} extra"):
        reached, denials = behind.reached, api.denials()
        headers = {} if authorization is None else {"Authorization": authorization}
        is_problem(fast.get(path, headers=headers), 401)
        assert behind.reached == reached + 1, authorization
        assert api.denials() == denials + 1, authorization


def test_a_revoked_token_is_refused_at_once(
        api: Api, both: tuple[TestClient, TestClient, _Counting]) -> None:
    fast, _slow, behind = both
    path = _kept(fast, api)
    assert fast.get(path, headers=api.as_("aud")).status_code == 200
    reached = behind.reached
    api.services.accounts.revoke_tokens("aud")
    is_problem(fast.get(path, headers=api.as_("aud")), 401)
    assert behind.reached == reached + 1


def test_a_changed_record_is_built_again_by_the_application(
        api: Api, both: tuple[TestClient, TestClient, _Counting]) -> None:
    fast, _slow, behind = both
    path = _kept(fast, api)
    record_id = api.services.view.record_id(national_id(2))
    api.services.records.view_changed({record_id: 10**9})  # a newer row is known
    reached = behind.reached
    assert fast.get(path, headers=api.as_("aud")).status_code == 200
    assert behind.reached == reached + 1


def test_a_read_that_cannot_be_logged_is_never_shown(
        api: Api, both: tuple[TestClient, TestClient, _Counting]) -> None:
    fast, _slow, behind = both
    path = _kept(fast, api)
    before = _accesses(api, 2)
    api.services.access_log.close()  # the log refuses every entry from now on
    reached = behind.reached
    answer = fast.get(path, headers=api.as_("aud"))
    assert answer.status_code >= 400
    assert "record_id" not in answer.text
    assert behind.reached == reached + 1  # the application said why
    assert _accesses(api, 2) == before


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(purpose=st.text(max_size=220), spaced=st.booleans())
def test_whatever_the_purpose_both_paths_answer_alike(
        api: Api, both: tuple[TestClient, TestClient, _Counting], purpose: str,
        spaced: bool) -> None:
    """Any purpose text and either spelling of the national ID: the status and body through
    the fast path are those of the application alone."""
    fast, slow, _behind = both
    nid = national_id(4)
    shown = f"{nid[0]} {nid[1:5]} {nid[5:10]} {nid[10:12]} {nid[12]}" if spaced else nid
    path = f"/api/v1/records/{quote(shown)}?purpose={quote(purpose)}"
    fast.get(f"/api/v1/records/{nid}", headers=api.as_("aud"))  # kept from here on
    through_fast = fast.get(path, headers=api.as_("aud"))
    alone = slow.get(path, headers=api.as_("aud"))
    assert through_fast.status_code == alone.status_code
    if alone.status_code == 200:
        assert through_fast.content == alone.content
    else:
        assert through_fast.json()["code"] == alone.json()["code"]
