"""Writes of the API that run at the same time, on SQLite and PostgreSQL.

Orders are drafted, checked and issued without a server-wide lock: an idempotency key is
claimed in the replies table before its write runs, and a submission whose records changed
since they were read is refused by the ledger whole, then checked again against the records
as they are now.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from api.web.accounts import Accounts, Claimed, KeptReply, ReplyStore
from api.web.problems import Problem
from ledger.errors import InvalidInput
from tests.factories import AREA, national_id
from tests.test_orders import opening_lines
from tests.web import Api, is_problem


def _fresh_store(api: Api, clock: Any = None) -> ReplyStore:
    """Another handle on the server's replies table (made by its first use)."""
    api.services.accounts.replies  # noqa: B018
    datastore = api.services.accounts.recorder.datastore  # type: ignore[attr-defined]
    if clock is None:
        return ReplyStore(datastore, create=False)
    return ReplyStore(datastore, create=False, clock=clock)


# ------------------------------------------------------------------ idempotency keys


def test_a_key_under_way_is_refused_then_its_first_answer_is_replayed(api: Api) -> None:
    services = api.services
    started, finish = threading.Event(), threading.Event()
    calls: list[str] = []

    def slow_write() -> tuple[int, Any]:
        calls.append("first")
        started.set()
        assert finish.wait(10)
        return 201, {"order": "10/2567"}

    def second_write() -> tuple[int, Any]:
        calls.append("second")
        return 201, {"order": "another"}

    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(services.once, "reg", "key-1", b"same request", slow_write,
                            exclusive=False)
        assert started.wait(10)
        # While the first is writing, the same key is refused, and nothing more runs.
        with pytest.raises(Problem) as refused:
            services.once("reg", "key-1", b"same request", second_write, exclusive=False)
        assert refused.value.status == 409
        assert refused.value.code == "idempotency-key-in-use"
        assert refused.value.headers["Retry-After"] == "1"
        finish.set()
        assert first.result(10).status_code == 201
    # Once it is done, the same key gets the first answer again, marked as a replay.
    again = services.once("reg", "key-1", b"same request", second_write, exclusive=False)
    assert again.status_code == 201
    assert again.body == b'{"order":"10/2567"}'
    assert again.headers["Idempotent-Replay"] == "true"
    assert calls == ["first"]
    # Another user's key of the same name is theirs alone.
    other = services.once("auth", "key-1", b"same request", second_write, exclusive=False)
    assert "Idempotent-Replay" not in other.headers
    assert calls == ["first", "second"]


def test_a_refused_write_gives_its_key_back(api: Api) -> None:
    services = api.services

    def refused() -> tuple[int, Any]:
        raise InvalidInput("no", "ไม่")

    with pytest.raises(InvalidInput):
        services.once("reg", "key-2", b"request", refused, exclusive=False)
    assert _fresh_store(api).get("reg", "key-2") is None
    answer = services.once("reg", "key-2", b"request", lambda: (409, {"why": "taken"}))
    assert answer.status_code == 409
    assert _fresh_store(api).get("reg", "key-2") is None  # an error answer is not kept
    done = services.once("reg", "key-2", b"request", lambda: (201, {"ok": True}))
    assert done.status_code == 201
    kept = _fresh_store(api).get("reg", "key-2")
    assert kept is not None
    assert kept.status == 201


def test_a_claim_its_process_left_behind_is_taken_over_after_a_while(api: Api) -> None:
    now = [1_000.0]
    store = _fresh_store(api, clock=lambda: now[0])
    first = store.claim("reg", "key-3", "fp-a")
    assert isinstance(first, Claimed)
    now[0] += 10
    held = store.claim("reg", "key-3", "fp-a")
    assert isinstance(held, KeptReply)
    assert held.status == ReplyStore.UNDER_WAY
    now[0] += ReplyStore.STALE_SECONDS
    # The process that claimed it is gone: the claim is taken over, as the same attempt (so
    # the ledger can tell what that process wrote before it died).
    taken = store.claim("reg", "key-3", "fp-b")
    assert isinstance(taken, Claimed)
    assert taken.taken_over
    assert taken.attempt == first.attempt
    store.keep(KeptReply("reg", "key-3", "fp-b", 200, '{"n": 1}'))
    finished = store.claim("reg", "key-3", "fp-b")
    assert finished == KeptReply("reg", "key-3", "fp-b", 200, '{"n": 1}')
    now[0] += 10 * ReplyStore.STALE_SECONDS
    assert store.claim("reg", "key-3", "fp-b") == finished  # a finished reply is never taken


def test_replies_kept_before_claims_existed_are_still_answered(api: Api) -> None:
    """A replies table from the version before claims (no ``claimed_at``) gains the column
    when the store is opened, and its replies are found as before."""
    store = _fresh_store(api)
    table = store._table
    store._run(f"DROP TABLE IF EXISTS {table}", ())
    store._run(f"CREATE TABLE {table} (username text NOT NULL, key text NOT NULL, "
               "fingerprint text NOT NULL, status integer NOT NULL, body text NOT NULL, "
               "PRIMARY KEY (username, key))", ())
    store._run(f"INSERT INTO {table} VALUES ('reg', 'old-key', 'fp', 201, '{{}}')", ())
    # Opened afresh, as a server that starts after the upgrade opens it.
    accounts = Accounts(api.services.url)
    try:
        reopened = accounts.replies
        assert reopened.claim("reg", "old-key", "fp") == KeptReply("reg", "old-key", "fp",
                                                                     201, "{}")
        assert isinstance(reopened.claim("reg", "new-key", "fp"), Claimed)
    finally:
        accounts.close()


# ------------------------------------------------------------------ orders at once


def _draft(api: Api, number: str, lines: list[dict[str, Any]]) -> None:
    body = {"authority": AREA, "area": AREA, "order_number": number,
            "order_date": "2024-05-01", "title": "คำสั่งทดสอบ", "lines": lines}
    response = api.client.post("/api/v1/orders", json=body, headers=api.as_("reg"))
    assert response.status_code == 201, response.text
    checked = api.client.post(f"/api/v1/orders/{AREA}/{number}/check", headers=api.as_("reg"))
    assert checked.json()["passed"], checked.text


def test_orders_issued_at_the_same_time_are_all_written_once(api: Api) -> None:
    numbers = [f"{20 + n}/2567" for n in range(6)]
    for n, number in enumerate(numbers):
        ref = {"authority": AREA, "order_number": number, "order_date": "2024-05-01"}
        _draft(api, number, opening_lines(100 + n, ref=ref))
    before = api.events()

    def issue(number: str) -> Any:
        return api.client.post(f"/api/v1/orders/{AREA}/{number}/issue", headers={
            **api.as_("auth"), "Idempotency-Key": f"issue-{number}"})

    with ThreadPoolExecutor(len(numbers)) as pool:
        answers = list(pool.map(issue, numbers + numbers))  # each twice, at once
    assert all(a.status_code in (200, 409) for a in answers), [a.text for a in answers]
    issued = [a for a in answers if a.status_code == 200 and not a.json()["already_issued"]
              and "idempotent-replay" not in a.headers]
    for refused in (a for a in answers if a.status_code == 409):
        assert refused.json()["code"] == "idempotency-key-in-use"
    # Each order wrote its events exactly once, however its two requests met.
    assert len(issued) == len(numbers)
    assert api.events() == before + sum(a.json()["event_count"] for a in issued)


def _raise_line(number: str, effective: str, salary: int) -> dict[str, Any]:
    return {"national_id": national_id(2), "kind": "salary_raised",
            "effective_date": effective, "new_salary": salary, "percent": "3",
            "steps": None, "calculation_base": 15_050, "special_compensation": 0,
            "appraisal": "ดีมาก",
            "order": {"authority": AREA, "order_number": number, "order_date": "2024-05-01"}}


def test_an_issue_whose_record_changed_meanwhile_is_checked_again(api: Api) -> None:
    """Two orders raise one teacher's salary. The second is read and checked; before its
    submission lands, the first is issued; the ledger refuses the second (its record moved
    on), and the route checks it again against the record as it now is and issues it."""
    services = api.services
    _draft(api, "30/2567", [_raise_line("30/2567", "2012-04-01", 16_000)])
    _draft(api, "31/2567", [_raise_line("31/2567", "2012-10-01", 16_500)])
    submit = services.ledger.submit
    submissions: list[str] = []

    def first_the_other_order(signer: Any, *aggregates: Any, **kwargs: Any) -> Any:
        purpose = kwargs.get("purpose", "")
        submissions.append(purpose)
        if "31/2567" in purpose and len(submissions) == 1:
            other = services.desk.order(AREA, "30/2567")
            services.desk.issue(services.keys_for(AREA).authority, other)
        return submit(signer, *aggregates, **kwargs)

    services.ledger.submit = first_the_other_order  # type: ignore[method-assign]
    try:
        answer = api.client.post(f"/api/v1/orders/{AREA}/31/2567/issue",
                                 headers=api.as_("auth"))
    finally:
        del services.ledger.submit
    assert answer.status_code == 200, answer.text
    purposes = [p.split(":")[0] for p in submissions]
    assert purposes == ["คำสั่ง สพม.16 ที่ 31/2567", "คำสั่ง สพม.16 ที่ 30/2567",
                        "คำสั่ง สพม.16 ที่ 31/2567"]
    timeline = api.client.get(f"/api/v1/records/{national_id(2)}/timeline",
                              headers=api.as_("aud")).json()
    raises = [e["order"] for e in timeline if e["kind"] == "salary_raised"]
    assert [o for o in raises if "30/2567" in o or "31/2567" in o] == raises[-2:]
    assert "30/2567" in raises[-2]
    assert "31/2567" in raises[-1]


def test_a_key_reused_for_another_order_is_still_refused(api: Api) -> None:
    ref = {"authority": AREA, "order_number": "40/2567", "order_date": "2024-05-01"}
    body = {"authority": AREA, "area": AREA, "order_number": "40/2567",
            "order_date": "2024-05-01", "title": "คำสั่งทดสอบ",
            "lines": opening_lines(140, ref=ref)}
    headers = {**api.as_("reg"), "Idempotency-Key": "same"}
    assert api.client.post("/api/v1/orders", json=body, headers=headers).status_code == 201
    before = api.events()
    other = {**body, "order_number": "41/2567"}
    is_problem(api.client.post("/api/v1/orders", json=other, headers=headers), 409,
               "idempotency-key-reused")
    assert api.events() == before
