"""A signing key is confirmed current under the write lock, not only before it.

The ledger checks a submission against the key as this process last saw it, and the recorder
confirms, holding its write lock, that the key's record has not moved on since. These tests
put another process's revocation exactly between the check and the write — the window the
check alone would leave open — on both paths (one call for a small batch, the streamed write
for a large one) and on both backends.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ledger import application
from ledger.errors import Conflict, SignatureError
from ledger.keys import SigningKey, key_record_id
from ledger.persistence import BulkWrite, KeyMovedOn, KeyVersion
from tests.conftest import LedgerEnv
from tests.factories import draft_order


def events(env: LedgerEnv) -> int:
    return env.ledger.store.count_events()


def revoke_elsewhere(env: LedgerEnv, effective: datetime, reason: str) -> None:
    """Another process revokes the registrar's key from ``effective`` on."""
    other = env.reopen()
    try:
        key = other.key(env.keys.registrar.key_id)
        key.revoke(effective, reason)
        other.submit(env.keys.admin, key, purpose=f"revoke the registrar key: {reason}")
    finally:
        other.close()


def lost_an_hour_ago(env: LedgerEnv) -> Callable[[], None]:
    # Backdated: signatures made since the laptop went missing must not count.
    return lambda: revoke_elsewhere(env, datetime.now(UTC) - timedelta(hours=1),
                                    "the laptop was lost an hour ago")


def just_before_the_first_write(env: LedgerEnv, method: str,
                                happening: Callable[[], None]) -> list[int]:
    """Make ``happening`` run after the ledger's check, as the recorder is first asked to
    write; count the recorder's write calls."""
    recorder = env.ledger.store
    real = getattr(recorder, method)
    calls: list[int] = []

    def writing(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            happening()
        return real(*args, **kwargs)

    setattr(recorder, method, writing)
    return calls


def test_a_key_revoked_between_the_check_and_the_write_signs_nothing(
        ledger_env: LedgerEnv) -> None:
    # Given a ledger that has already checked the registrar's key once,
    ledger = ledger_env.ledger
    ledger.submit(ledger_env.keys.registrar, draft_order(1), purpose="first")
    # when another process revokes the key after the next submission is checked,
    calls = just_before_the_first_write(ledger_env, "insert_events",
                                        lost_an_hour_ago(ledger_env))
    before = events(ledger_env)
    # then the write refuses it under the lock, and the check run again says why,
    with pytest.raises(SignatureError, match="revoked") as refused:
        ledger.submit(ledger_env.keys.registrar, draft_order(2), purpose="second")
    assert "เพิกถอน" in refused.value.message_th
    assert len(calls) == 1  # the recheck refused it: no second write was tried
    # and only the revocation was written.
    assert events(ledger_env) == before + 1


def test_a_key_changed_but_still_usable_is_rechecked_and_the_write_goes_through(
        ledger_env: LedgerEnv) -> None:
    # Given a ledger that has checked the registrar's key,
    ledger = ledger_env.ledger
    ledger.submit(ledger_env.keys.registrar, draft_order(1), purpose="first")
    # when another process revokes it from tonight, between the check and the write,
    tonight = datetime.now(UTC) + timedelta(hours=6)
    calls = just_before_the_first_write(
        ledger_env, "insert_events",
        lambda: revoke_elsewhere(ledger_env, tonight, "the holder retires today"))
    before = events(ledger_env)
    # then the first write finds the key moved on, the recheck passes (signed before tonight),
    positions = ledger.submit(ledger_env.keys.registrar, draft_order(2), purpose="second")
    assert len(calls) == 2
    # and the submission is written once, after the revocation.
    assert positions
    assert events(ledger_env) == before + 1 + len(positions)


def test_a_streamed_write_also_confirms_its_key_under_the_lock(
        ledger_env: LedgerEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given submissions of two events or more streamed as a large order is,
    monkeypatch.setattr(application, "_STREAM_FROM", 2)
    ledger = ledger_env.ledger
    ledger.submit(ledger_env.keys.registrar, draft_order(1), draft_order(2), purpose="first")
    # when the key is revoked elsewhere as the streamed write opens,
    calls = just_before_the_first_write(ledger_env, "bulk_writer",
                                        lost_an_hour_ago(ledger_env))
    before = events(ledger_env)
    # then the stream is refused before a row is written, and the recheck says why.
    with pytest.raises(SignatureError, match="revoked"):
        ledger.submit(ledger_env.keys.registrar, draft_order(3), draft_order(4),
                      purpose="second")
    assert len(calls) == 1
    assert events(ledger_env) == before + 1


def test_the_recorder_refuses_a_key_version_that_is_not_the_newest(
        ledger_env: LedgerEnv) -> None:
    # Given the registrar's key record at some version,
    key: SigningKey = ledger_env.ledger.key(ledger_env.keys.registrar.key_id)
    assert key.id == key_record_id(key.key_id)
    store = ledger_env.ledger.store
    writer: AbstractContextManager[BulkWrite]
    # a write opened on that version is let through (and, with nothing in it, writes nothing),
    with store.bulk_writer(KeyVersion(key.key_id, key.id, key.version)) as writer_open:
        assert writer_open.first_id == writer_open.next_id
    # but one opened on an older version is refused before anything is written.
    before = events(ledger_env)
    writer = store.bulk_writer(KeyVersion(key.key_id, key.id, key.version - 1))
    with pytest.raises(KeyMovedOn), writer:
        pytest.fail("the write lock was given on a stale key version")
    assert events(ledger_env) == before



def test_a_key_that_never_settles_gives_a_clear_conflict_after_three_rechecks(
        ledger_env: LedgerEnv) -> None:
    # Given a store that finds the signing key moved on at every write (as if its record
    # changed again each time — a unit test of the retry's bound, not of the store),
    ledger = ledger_env.ledger
    attempts: list[int] = []

    def always_moved(*args: Any, **kwargs: Any) -> Any:
        attempts.append(1)
        checked = kwargs["integrity"].checked_key
        raise KeyMovedOn(checked)

    ledger.store.insert_events = always_moved  # type: ignore[method-assign]
    before = events(ledger_env)
    # then the ledger stops after three rechecks with a conflict that says to try again,
    with pytest.raises(Conflict, match="kept changing") as refused:
        ledger.submit(ledger_env.keys.registrar, draft_order(1), purpose="never settles")
    assert "ลองอีกครั้ง" in refused.value.message_th
    assert len(attempts) == 3
    # and nothing was written.
    assert events(ledger_env) == before
