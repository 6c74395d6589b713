"""The API's access-log writer (both backends): reads from many threads at once are all
logged, in fewer submissions than reads; a read logged meanwhile by another writer of the
same record is taken into account; a bad entry is refused alone; the log verifies."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from api.web.access_log import AccessLogWriter
from audit.verify import verify_ledger
from commands.access import accesses_of, log_read
from ledger.errors import InvalidInput
from tests.conftest import LedgerEnv
from tests.factories import small_ledger

READERS = 40
READS_EACH = 10


def test_concurrent_reads_are_all_logged_in_shared_submissions(ledger_env: LedgerEnv) -> None:
    # Given four records and a writer,
    records = small_ledger(ledger_env.ledger, ledger_env.keys.authority)
    writer = AccessLogWriter(ledger_env.ledger, lambda: ledger_env.keys.registrar)
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
    log_read(ledger_env.ledger, ledger_env.keys.registrar, records[0], purpose="cli",
             reader="cli-user")
    writer.log(records[0], reader="after", purpose="ตรวจสอบ")
    assert [e.reader for e in accesses_of(ledger_env.ledger, records[0])][-2:] == [
        "cli-user", "after"]
    writer.close()
    assert verify_ledger(ledger_env.ledger.store, ledger_env.ledger.mapper).ok


def test_an_entry_without_a_purpose_is_refused_alone(ledger_env: LedgerEnv) -> None:
    records = small_ledger(ledger_env.ledger, ledger_env.keys.authority)
    writer = AccessLogWriter(ledger_env.ledger, lambda: ledger_env.keys.registrar)
    before = ledger_env.ledger.store.count_events()
    with pytest.raises(InvalidInput):
        writer.log(records[0], reader="someone", purpose="   ")
    assert ledger_env.ledger.store.count_events() == before
    writer.log(records[0], reader="someone", purpose="ตรวจสอบ")
    assert [e.purpose for e in accesses_of(ledger_env.ledger, records[0])] == ["ตรวจสอบ"]
    writer.close()
