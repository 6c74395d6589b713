"""A write whose process died after the ledger committed it, before its answer was kept, is
not made a second time when the client retries with the same Idempotency-Key.

The claim of a key names an attempt. Submissions made under an attempt get ids derived from
it (its first, second … submission), so the retry — which takes over the dead process's
claim, and its attempt, once the claim is stale — makes the same submission ids; the ledger
refuses them (the submission id is its primary key) and says ``already-written``. That answer
is kept for the key, so no later retry runs the write either.
"""

from __future__ import annotations

import uuid

import pytest

from api.web.accounts import Claimed, ReplyStore
from ledger import application
from ledger.application import submissions_of_attempt
from ledger.errors import AlreadyWritten, Conflict
from tests.conftest import LedgerEnv
from tests.factories import AREA, draft_order
from tests.test_orders import draft, opening_lines
from tests.test_web_api import _draft_body
from tests.web import Api, is_problem

# ------------------------------------------------------------------ the ledger


def test_a_write_run_again_under_its_attempt_writes_nothing_twice(
        ledger_env: LedgerEnv) -> None:
    ledger, registrar = ledger_env.ledger, ledger_env.keys.registrar
    attempt = uuid.uuid4()
    # Given a submission made under an attempt (the run whose process then died),
    with submissions_of_attempt(attempt):
        ledger.submit(registrar, draft_order(1), purpose="first run")
    before = ledger.store.count_events()
    # when the same attempt runs again — its write rebuilt from the records as they are now,
    # so not the same events —
    with submissions_of_attempt(attempt), pytest.raises(AlreadyWritten) as refused:
        ledger.submit(registrar, draft_order(2), purpose="run again")
    # then it is refused as already written, in Thai too, and nothing more is written;
    assert "ไม่มีการบันทึกซ้ำ" in refused.value.message_th
    assert ledger.store.count_events() == before
    # another attempt (a new request) writes as usual.
    with submissions_of_attempt(uuid.uuid4()):
        ledger.submit(registrar, draft_order(2), purpose="a new request")
    assert ledger.store.count_events() > before


def test_a_streamed_write_run_again_under_its_attempt_writes_nothing_twice(
        ledger_env: LedgerEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(application, "_STREAM_FROM", 2)  # two events or more: streamed
    ledger, registrar = ledger_env.ledger, ledger_env.keys.registrar
    attempt = uuid.uuid4()
    with submissions_of_attempt(attempt):
        ledger.submit(registrar, draft_order(1), purpose="first run")
    before = ledger.store.count_events()
    with submissions_of_attempt(attempt), pytest.raises(AlreadyWritten):
        ledger.submit(registrar, draft_order(2), purpose="run again")
    assert ledger.store.count_events() == before


def test_an_attempt_that_wrote_only_after_a_conflict_is_still_known_to_have_written(
        ledger_env: LedgerEnv) -> None:
    ledger, registrar = ledger_env.ledger, ledger_env.keys.registrar
    ledger.submit(registrar, draft_order(1), purpose="someone else's first")
    attempt = uuid.uuid4()
    assert not ledger.attempt_wrote(attempt)
    # Given an attempt whose first submission was refused (a record changed meanwhile) and
    # whose second, tried again within the same run, was written,
    with submissions_of_attempt(attempt):
        with pytest.raises(Conflict):
            ledger.submit(registrar, draft_order(1), purpose="clashes")
        ledger.submit(registrar, draft_order(2), purpose="written on the second try")
    # then the ledger knows the attempt wrote, before anything is run again.
    assert ledger.attempt_wrote(attempt)


def test_outside_an_attempt_a_clash_is_an_ordinary_conflict(ledger_env: LedgerEnv) -> None:
    # A record's version taken by another writer is a conflict to reload and retry, not
    # "already written": no attempt names these submissions.
    ledger, registrar = ledger_env.ledger, ledger_env.keys.registrar
    ledger.submit(registrar, draft_order(1), purpose="first")
    with pytest.raises(Conflict, match="reload and retry") as clash:
        ledger.submit(registrar, draft_order(1), purpose="the same record opened again")
    assert type(clash.value) is Conflict


# ------------------------------------------------------------------ the claims


def _store(api: Api, now: list[float]) -> ReplyStore:
    api.services.accounts.replies  # noqa: B018 — made by its first use
    datastore = api.services.accounts.recorder.datastore  # type: ignore[attr-defined]
    return ReplyStore(datastore, create=False, clock=lambda: now[0])


def test_a_claim_given_back_starts_a_new_attempt(api: Api) -> None:
    now = [1_000.0]
    store = _store(api, now)
    first = store.claim("reg", "key-1", "fp")
    assert isinstance(first, Claimed)
    store.release("reg", "key-1")  # the write was refused: nothing of it was written
    again = store.claim("reg", "key-1", "fp")
    assert isinstance(again, Claimed)
    assert again.attempt != first.attempt


def test_a_claim_from_before_attempts_gets_one_when_taken_over_and_keeps_it(api: Api) -> None:
    now = [1_000.0]
    store = _store(api, now)
    assert isinstance(store.claim("reg", "key-2", "fp"), Claimed)
    store._run(f"UPDATE {store._table} SET attempt = '' WHERE key = 'key-2'", ())
    now[0] += 2 * ReplyStore.STALE_SECONDS
    taken = store.claim("reg", "key-2", "fp")
    assert isinstance(taken, Claimed)
    assert taken.taken_over
    now[0] += 2 * ReplyStore.STALE_SECONDS
    assert store.claim("reg", "key-2", "fp") == taken  # the same attempt the next time


# ------------------------------------------------------------------ over HTTP


def _as_if_the_process_died_before_keeping_the_answer(api: Api, key: str) -> None:
    """The row as a crash between the ledger's commit and the kept reply leaves it: the key
    still claimed, under way, long ago."""
    store = _store(api, [0.0])
    store._run(f"UPDATE {store._table} SET status = 0, body = '', claimed_at = 0 "
               "WHERE key = ?", (key,))


def test_a_check_retried_after_its_process_died_is_not_made_twice(api: Api) -> None:
    drafted = api.client.post("/api/v1/orders", json=_draft_body(), headers=api.as_("reg"))
    assert drafted.status_code == 201, drafted.text
    check_path = f"/api/v1/orders/{AREA}/10/2567/check"
    with_key = {**api.as_("reg"), "Idempotency-Key": "check-10-2567"}
    # The registrar checks the order; the check is written,
    first = api.client.post(check_path, headers=with_key)
    assert first.status_code == 200, first.text
    after_check = api.events()
    # but the server dies before the answer is kept, and the registrar never gets it.
    _as_if_the_process_died_before_keeping_the_answer(api, "check-10-2567")
    # Sent again with the same key, after the claim has gone stale, the check is not made a
    # second time: the answer says it was made already, in Thai and English,
    retried = is_problem(api.client.post(check_path, headers=with_key), 409, "already-written")
    assert "ไม่มีการบันทึกซ้ำ" in retried["detail_th"]
    assert api.events() == after_check
    # and that answer is kept: sent once more, it is replayed, and still nothing is written.
    replayed = api.client.post(check_path, headers=with_key)
    is_problem(replayed, 409, "already-written")
    assert replayed.headers["idempotent-replay"] == "true"
    assert api.events() == after_check
    # A new check, with a new key, is a new request and is written.
    fresh = api.client.post(check_path, headers={**api.as_("reg"), "Idempotency-Key": "check-2"})
    assert fresh.status_code == 200, fresh.text
    assert api.events() == after_check + 1


def test_a_draft_run_again_under_its_attempt_says_already_written_not_number_used(
        ledger_env: LedgerEnv) -> None:
    attempt = uuid.uuid4()
    with submissions_of_attempt(attempt):
        draft(ledger_env, opening_lines(1))
    # Run again as the same attempt, the draft is known for what it is, made already;
    with submissions_of_attempt(attempt), pytest.raises(AlreadyWritten):
        draft(ledger_env, opening_lines(1))
    # sent as a new request, the same number is a number already used.
    with pytest.raises(Conflict, match="already used"):
        draft(ledger_env, opening_lines(1))
