"""The API's access-log writer (both backends): reads from many threads at once are all
logged, in fewer submissions than reads; a read logged meanwhile by another writer of the
same record is taken into account; a bad entry is refused alone; the log verifies."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest

from api.web.access_log import AccessLogWriter
from audit.verify import verify_ledger
from commands.access import accesses_of, log_read
from ledger.access import RecordAccess, access_id_for
from ledger.errors import InvalidInput
from tests.conftest import LedgerEnv
from tests.factories import small_ledger

READERS = 40
READS_EACH = 10


def test_concurrent_reads_are_all_logged_in_shared_submissions(ledger_env: LedgerEnv) -> None:
    # Given four records and a writer,
    records = small_ledger(ledger_env.ledger, ledger_env.keys.authority)
    writer = AccessLogWriter(ledger_env.ledger, lambda: ledger_env.keys.service)
    submissions_before = len(ledger_env.ledger.store.submissions())

    def reader(n: int) -> None:
        for i in range(READS_EACH):
            writer.log(records[(n + i) % len(records)], reader=f"reader-{n}",
                       purpose="ตรวจสอบ")

    # when 40 readers read 10 times each, all at once,
    with ThreadPoolExecutor(READERS) as pool:
        list(pool.map(reader, range(READERS)))
    # then every read is in the log, each reader's ten,
    logged = [e for r in records for e in accesses_of(ledger_env.ledger, r)]
    assert len(logged) == READERS * READS_EACH
    assert {e.reader for e in logged} == {f"reader-{n}" for n in range(READERS)}
    # in fewer submissions than reads (they were written together),
    written = len(ledger_env.ledger.store.submissions()) - submissions_before
    assert 1 <= written < READERS * READS_EACH
    # and a read logged meanwhile by another writer (the CLI) is followed, not overwritten.
    log_read(ledger_env.ledger, ledger_env.keys.service, records[0], purpose="cli",
             reader="cli-user")
    writer.log(records[0], reader="after", purpose="ตรวจสอบ")
    assert [e.reader for e in accesses_of(ledger_env.ledger, records[0])][-2:] == [
        "cli-user", "after"]
    writer.close()
    assert verify_ledger(ledger_env.ledger.store, ledger_env.ledger.mapper).ok


def test_an_entry_without_a_purpose_is_refused_alone(ledger_env: LedgerEnv) -> None:
    records = small_ledger(ledger_env.ledger, ledger_env.keys.authority)
    writer = AccessLogWriter(ledger_env.ledger, lambda: ledger_env.keys.service)
    before = ledger_env.ledger.store.count_events()
    with pytest.raises(InvalidInput):
        writer.log(records[0], reader="someone", purpose="   ")
    assert ledger_env.ledger.store.count_events() == before
    writer.log(records[0], reader="someone", purpose="ตรวจสอบ")
    assert [e.purpose for e in accesses_of(ledger_env.ledger, records[0])] == ["ตรวจสอบ"]
    writer.close()


def test_a_new_writer_continues_each_record_s_log_from_its_stored_version(
        ledger_env: LedgerEnv) -> None:
    """A server that starts again (a writer with nothing kept) continues the access logs of
    records read many times before, found in one look-up of their versions, without
    replaying their reads; the chain of each log still verifies."""
    records = small_ledger(ledger_env.ledger, ledger_env.keys.authority)
    store = ledger_env.ledger.store
    first = AccessLogWriter(ledger_env.ledger, lambda: ledger_env.keys.service, stream=3)
    for n in range(25):
        first.log(records[n % 2], reader=f"before-{n}", purpose="ตรวจสอบ")
    first.close()
    ids = [access_id_for(r, 3) for r in records]
    # Records 0 and 1 were read (13 and 12 times, after the Opened event); 2 and 3 never.
    assert store.select_versions(ids) == {ids[0]: 14, ids[1]: 13}
    assert store.select_versions([]) == {}
    again = AccessLogWriter(ledger_env.ledger, lambda: ledger_env.keys.service, stream=3)
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda r: again.log(r, reader="after", purpose="ตรวจสอบ"), records))
    again.close()
    assert store.select_versions(ids) == {ids[0]: 15, ids[1]: 14, ids[2]: 2, ids[3]: 2}
    readers = [e.reader for e in accesses_of(ledger_env.ledger, records[0])]
    assert readers == [f"before-{n}" for n in range(0, 25, 2)] + ["after"]
    assert verify_ledger(store, ledger_env.ledger.mapper).ok


def test_an_access_aggregate_at_a_version_continues_from_it() -> None:
    record_id = uuid.uuid4()
    access = RecordAccess.at_version(record_id, 5, 41)
    assert (access.id, access.version) == (access_id_for(record_id, 5), 41)
    assert (access.record_id, access.stream) == (record_id, 5)
    access.read("someone", "api", "ตรวจสอบ", datetime.now(UTC))
    [event] = access.collect_events()
    assert event.originator_version == 42
