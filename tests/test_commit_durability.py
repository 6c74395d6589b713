"""Which commits wait for the disk, on PostgreSQL, and how many connections a process opens.

An idempotency claim and a write to the record view commit without waiting for PostgreSQL to
flush its log (the claim is flushed by the write it guards, which commits after it; the view
is derived and resumes from its tracking row). Both settings must stay inside their own
transaction: the same pooled connection serves the ledger's appends and the kept replies
next, which must wait. Pools are sized by ``TABIEN_PG_POOL``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import pytest

from api.web.accounts import Accounts, Claimed, KeptReply
from commands.bootstrap import initialise
from ledger.application import Ledger
from ledger.config import DEFAULT_POOL, POOL_ENV, pool_sizes
from ledger.errors import InvalidInput
from ledger.keys import KeyStore
from projections.record_projection import open_view, rebuild
from tests.factories import AREA, small_ledger
from tests.pg import database_url, fresh_schema


def _setting_on_the_pooled_connection(datastore: Any) -> str:
    with datastore.get_connection() as conn:
        row = conn.execute("SHOW synchronous_commit").fetchone()
    assert row is not None
    return str(row["synchronous_commit"])


@pytest.mark.postgres
def test_a_claim_commits_without_the_flush_and_leaves_the_session_as_it_was(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(POOL_ENV, "1,1")  # one connection: the next statement gets the same
    with fresh_schema() as schema:
        url = database_url(schema)
        accounts = Accounts(url)
        try:
            replies = accounts.replies
            assert isinstance(replies.claim("reg", "key-1", "fp"), Claimed)
            datastore = accounts.recorder.datastore  # type: ignore[attr-defined]
            assert _setting_on_the_pooled_connection(datastore) == "on"
            # and the claim is committed: another connection sees it, under way.
            with psycopg.connect(database_url(schema).split("?")[0]) as other:
                row = other.execute(
                    f'SELECT status FROM "{schema}".api_replies WHERE key = %s',
                    ("key-1",)).fetchone()
            assert row == (0,)
            # A second claim of the key finds the first.
            held = replies.claim("reg", "key-1", "fp")
            assert isinstance(held, KeptReply)
            assert held.status == replies.UNDER_WAY
        finally:
            accounts.close()


@pytest.mark.postgres
def test_the_views_commits_leave_the_session_as_it_was(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(POOL_ENV, "1,1")
    with fresh_schema() as schema:
        url = database_url(schema)
        store = KeyStore(tmp_path / "keys", passphrase=b"test-passphrase")
        ledger = Ledger(url=url)
        keys = initialise(ledger, store, development=False)
        small_ledger(ledger, keys.authority, secret=store.identity_secret())
        view = open_view(url)
        try:
            assert rebuild(ledger, view) > 0
            datastore = view.datastore  # type: ignore[attr-defined]
            assert _setting_on_the_pooled_connection(datastore) == "on"
            assert len(view.people_of_area(AREA)) == 4  # committed: the view was written
        finally:
            view.datastore.close()  # type: ignore[attr-defined]
            ledger.close()


def test_pool_sizes_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(POOL_ENV, raising=False)
    assert pool_sizes() == DEFAULT_POOL
    monkeypatch.setenv(POOL_ENV, " 1,5 ")
    assert pool_sizes() == (1, 5)


@pytest.mark.parametrize("text", ["5", "0,4", "5,2", "a,b", "1;5", "-1,3"])
def test_a_pool_size_that_makes_no_sense_is_refused(
        monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setenv(POOL_ENV, text)
    with pytest.raises(InvalidInput) as refused:
        pool_sizes()
    assert POOL_ENV in str(refused.value)
