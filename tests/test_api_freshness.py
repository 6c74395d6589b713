"""What the API keeps in memory is never used once what it was built from has changed (both
backends): a kept ก.ค.ศ.16 after a new entry is projected — by this process, heard at once,
or by another, found by polling — an account after its tokens are revoked, a token after it
expires. And the projection's subscription moves past the events it does not want."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import orjson
import pytest
from eventsourcing.utils import get_topic
from hypothesis import given, settings
from hypothesis import strategies as st

from api.web.accounts import Accounts
from api.web.kept import Kept
from api.web.record_cache import RecordCache
from api.web.services import to_json
from api.web.tokens import TokenSigner
from commands.access import log_read
from ledger.access import RecordAccess
from projections import store
from projections.record_projection import RECORD_TOPICS, open_view, rebuild, record_runner
from projections.store import RecordView
from tests.conftest import LedgerEnv
from tests.factories import national_id, raise_salary, small_ledger, write_history
from tests.pg import database_url, fresh_schema

PASSWORD = "correct horse battery staple"


def salary(cached_json: bytes) -> int:
    return int(orjson.loads(cached_json)["salary"])


def give_a_raise(env: LedgerEnv, record_id: object, salary: int) -> int:
    """Append a raise to a record; return its position in the log."""
    record = env.ledger.repository.get(record_id)  # type: ignore[arg-type]
    raise_salary(record, date(2020, 4, 1), salary, number="9/2563")
    return write_history(env.ledger, env.keys.authority, record, purpose="raise")[-1]


@dataclass
class Projected:
    records: list[UUID]
    view: RecordView
    cache: RecordCache


@pytest.fixture
def projected(ledger_env: LedgerEnv) -> Iterator[Projected]:
    """Four people, their view, and the API's cache over it."""
    records = small_ledger(ledger_env.ledger, ledger_env.keys.authority)
    view = open_view(ledger_env.url)
    rebuild(ledger_env.ledger, view)
    yield Projected(records, view, RecordCache(view, ledger_env.ledger.mapper, to_json))
    view.datastore.close()  # type: ignore[attr-defined]


def test_a_kept_record_is_rebuilt_once_this_process_projects_a_change(
        ledger_env: LedgerEnv, projected: Projected) -> None:
    # Given a projected ledger and the API's cache over its view,
    records, cache = projected.records, projected.cache
    nid = national_id(1)
    # a first read builds the record and keeps it, the second is served from memory;
    assert cache.lookup(nid) is None
    built = cache.load(nid)
    assert cache.lookup(nid) == built
    # when a raise is appended and the projection runner of this process projects it,
    with record_runner(ledger_env.url) as runner:
        runner.wait(give_a_raise(ledger_env, records[0], 16_400), timeout=20)
    # then the kept record is no longer used, and the rebuilt one shows the raise,
    assert cache.lookup(nid) is None
    rebuilt = cache.load(nid)
    assert salary(rebuilt.json) == 16_400
    assert salary(built.json) != 16_400
    # while another person's kept record, unchanged, is still served.
    other = cache.load(national_id(2))
    assert cache.lookup(national_id(2)) == other


def test_a_change_projected_by_another_process_is_found_by_polling(
        ledger_env: LedgerEnv, projected: Projected) -> None:
    # Given a kept record whose cache does not hear this process's view writes (as if the
    # projection ran in another process),
    records, cache = projected.records, projected.cache
    store._listeners.discard(cache)
    nid = national_id(1)
    cache.load(nid)
    # when a raise is projected elsewhere,
    with record_runner(ledger_env.url) as runner:
        runner.wait(give_a_raise(ledger_env, records[0], 16_600), timeout=20)
    # the kept record is still served until the cache polls,
    assert cache.lookup(nid) is not None
    # and after the poll it is rebuilt with the raise.
    cache.refresh()
    assert cache.lookup(nid) is None
    assert salary(cache.load(nid).json) == 16_600


def test_a_view_emptied_for_a_rebuild_drops_every_kept_record(projected: Projected) -> None:
    projected.cache.load(national_id(1))
    assert projected.cache.lookup(national_id(1)) is not None
    projected.view.clear()
    assert projected.cache.lookup(national_id(1)) is None


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["put", "change"]), st.integers(0, 2),
                          st.integers(1, 20)), max_size=40))
def test_a_kept_value_is_never_older_than_the_newest_known_change(
        steps: list[tuple[str, int, int]]) -> None:
    # Whatever order values are stored and changes announced in (a value built from an old
    # read may be stored after a newer change was heard), a value given out is never older
    # than the newest change known of its source.
    kept: Kept[int] = Kept(capacity=2)
    newest: dict[int, int] = {}
    for action, source, version in steps:
        if action == "put":
            kept.put(source, version, source, version)
        else:
            kept.changed(source, version)
            newest[source] = max(newest.get(source, 0), version)
        for key in range(3):
            value = kept.get(key)
            if value is not None:
                assert value >= newest.get(key, 0)
    assert len(kept) <= 2


def test_a_revoked_account_is_not_served_from_memory(ledger_env: LedgerEnv) -> None:
    # Given an account kept by the server's accounts store,
    server = Accounts(ledger_env.url)
    server.add_user("aud", PASSWORD, role="auditor", areas=[])
    kept = server.load_signed_in("aud")
    assert server.signed_in("aud") is kept
    # when another store of this process (the CLI beside the server) revokes its tokens,
    Accounts(ledger_env.url).revoke_tokens("aud")
    # then the server hears of it at once,
    assert server.signed_in("aud") is None
    assert server.load_signed_in("aud").tokens_valid_after is not None
    # and a change by another process (whose saves the server does not hear) is found by
    # polling.
    from api.web import accounts as accounts_module

    accounts_module._open_accounts.discard(server)
    server.load_signed_in("aud")
    Accounts(ledger_env.url).revoke_tokens("aud")
    assert server.signed_in("aud") is not None
    server.refresh()
    assert server.signed_in("aud") is None


def test_a_kept_token_still_expires() -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    signer = TokenSigner(Ed25519PrivateKey.generate(), timedelta(minutes=5))
    token, issued = signer.issue("aud")
    claims = signer.read(token)  # verified, and kept
    assert claims is not None
    assert (claims.username, claims.token_id) == ("aud", issued.token_id)
    # A kept token is not checked again, but whether it has expired is, on every read.
    assert signer.read(token, now=claims.expires_at) is None
    assert signer.read(token, now=claims.expires_at - timedelta(seconds=1)) == claims
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    assert signer.read(forged) is None


def test_the_projection_moves_past_events_it_does_not_want(ledger_env: LedgerEnv) -> None:
    # Given a subscription to career events only,
    records = small_ledger(ledger_env.ledger, ledger_env.keys.authority)
    subscription = ledger_env.ledger.recorder.subscribe(gt=0, topics=list(RECORD_TOPICS))
    with subscription:
        wanted = [next(subscription) for _ in range(ledger_env.ledger.store.count_events(
        ) - _events_not_wanted(ledger_env))]
        assert all(n.topic in RECORD_TOPICS for n in wanted)
        # when reads are logged after the last career event (events it does not want),
        for _ in range(3):
            log_read(ledger_env.ledger, ledger_env.keys.service, records[0],
                     purpose="ตรวจสอบ", reader="aud")
        highest = ledger_env.ledger.recorder.max_notification_id()
        # then its next pull starts past them: it does not scan them again on every wake-up.
        deadline = time.monotonic() + 10
        while (subscription._last_notification_id or 0) < (highest or 0):  # type: ignore[attr-defined]
            assert time.monotonic() < deadline, "the subscription stayed behind"
            subscription._has_been_notified.set()  # type: ignore[attr-defined]
            time.sleep(0.05)
        # and a career event appended afterwards is still delivered.
        position = give_a_raise(ledger_env, records[1], 17_000)
        assert next(subscription).id == position


def _events_not_wanted(env: LedgerEnv) -> int:
    return sum(1 for n in env.ledger.recorder.select_notifications(1, 10_000)
               if n.topic not in RECORD_TOPICS)


def test_two_processes_log_reads_of_one_record_in_streams_of_their_own(
        ledger_env: LedgerEnv) -> None:
    # Two access-log writers with streams of their own (two server processes), reading the
    # same record at once: no conflict, and every read is listed in the order read.
    from api.web.access_log import AccessLogWriter
    from commands.access import accesses_of

    records = small_ledger(ledger_env.ledger, ledger_env.keys.authority)
    first = AccessLogWriter(ledger_env.ledger, lambda: ledger_env.keys.service, 1)
    second = AccessLogWriter(ledger_env.ledger, lambda: ledger_env.keys.service, 2)
    for i in range(3):
        first.log(records[0], reader=f"one-{i}", purpose="ตรวจสอบ")
        second.log(records[0], reader=f"two-{i}", purpose="ตรวจสอบ")
    first.close()
    second.close()
    listed = accesses_of(ledger_env.ledger, records[0])
    assert [e.reader for e in listed] == [f"{w}-{i}" for i in range(3) for w in ("one", "two")]
    assert {e.stream for e in listed} == {1, 2}
    assert [e.read_at for e in listed] == sorted(e.read_at for e in listed)


def test_an_access_opened_before_streams_reads_as_stream_zero() -> None:
    import uuid

    from ledger.transcoder import CanonicalTranscoder, LedgerMapper

    mapper = LedgerMapper(CanonicalTranscoder())
    record_id = uuid.uuid4()
    stored = mapper.to_stored_event(RecordAccess.for_record(record_id).collect_events()[0])
    state = orjson.loads(stored.state)
    del state["stream"]  # as written before streams existed
    old = type(stored)(stored.originator_id, stored.originator_version, stored.topic,
                       orjson.dumps(state))
    opened = mapper.to_domain_event(old)
    assert get_topic(type(opened)) == get_topic(RecordAccess.Opened)
    access = opened.mutate(None)  # type: ignore[attr-defined]
    assert access.stream == 0
    assert access.record_id == record_id


@pytest.mark.postgres
def test_each_server_process_claims_an_access_stream_of_its_own() -> None:
    from api.web.startup import claim_access_stream, one_at_a_time

    with fresh_schema() as schema:
        claim_and_release(database_url(schema), claim_access_stream, one_at_a_time)


def claim_and_release(url: str, claim_access_stream: Any, one_at_a_time: Any) -> None:
    claims = [claim_access_stream(url) for _ in range(3)]
    streams = {c.stream for c in claims}
    assert len(streams) == 3
    assert 0 not in streams
    claims[0].release()
    again = claim_access_stream(url)
    assert again.stream == claims[0].stream
    for claim in (*claims[1:], again):
        claim.release()
    with one_at_a_time(url):  # the start-up lock can be taken and given back
        pass
    with one_at_a_time(url):
        pass


def test_on_sqlite_a_server_writes_stream_zero(tmp_path: Path) -> None:
    from api.web.startup import claim_access_stream

    assert claim_access_stream(f"sqlite:///{tmp_path}/t.db").stream == 0



@pytest.mark.postgres
def test_writes_of_two_server_processes_take_turns() -> None:
    # Two write locks on one database, as two worker processes hold them: while one is held
    # the other waits, and it goes ahead as soon as the first is given back.
    from api.web.startup import WriteLock

    with fresh_schema() as schema:
        first, second = WriteLock(database_url(schema)), WriteLock(database_url(schema))
        order: list[str] = []
        entered = threading.Event()

        def other_process() -> None:
            with second:
                order.append("second")

        with first:
            thread = threading.Thread(target=other_process)
            thread.start()
            entered.wait(0.5)  # give the other a chance to (wrongly) get in
            order.append("first")
        thread.join(timeout=10)
        assert order == ["first", "second"]
        first.close()
        second.close()
