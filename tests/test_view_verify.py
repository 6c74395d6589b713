"""`tabien verify` holds the record view to a replay of the ledger up to the view's tracking
position (issue 16): a row edited, deleted or inserted in the view's table is a `[view]`
finding naming the record, version and field; so is a row whose event hash is not the
ledger's stored hash of the event at its position; a view that lags behind is not;
`--no-views` verifies the ledger alone. Both backends."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

import orjson
import psycopg
from typer.testing import CliRunner

from api.cli import app
from projections.record_projection import open_view, rebuild
from projections.view_check import verify_view
from tests.conftest import LedgerEnv
from tests.factories import open_person, small_ledger, write_history
from tests.pg import pg_url


def tabien(env: LedgerEnv, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env=env.cli_env)
    return result.exit_code, result.output


@contextmanager
def view_sql(env: LedgerEnv) -> Iterator[Any]:
    """A cursor on the view's tables, behind the projection's back (as an attacker would)."""
    if env.backend == "sqlite":
        conn = sqlite3.connect(env.url.removeprefix("sqlite:///"))
        try:
            yield conn.cursor()
            conn.commit()
        finally:
            conn.close()
        return
    schema = env.url.rsplit("schema=", 1)[1]
    with psycopg.connect(pg_url(), autocommit=True) as pg:
        pg.execute(f'SET search_path TO "{schema}"')
        yield pg.cursor()


def mark(env: LedgerEnv) -> str:
    return "?" if env.backend == "sqlite" else "%s"


def projected(env: LedgerEnv) -> list[UUID]:
    records = small_ledger(env.ledger, env.keys.authority)
    rebuild(env.ledger, open_view(env.url))
    return records


def a_salary_row(env: LedgerEnv) -> tuple[Any, int, dict[str, Any]]:
    with view_sql(env) as c:
        c.execute("SELECT record_id, version, fields FROM kks16_entries "
                  "WHERE kind = 'salary_raised' ORDER BY position LIMIT 1")
        record_id, version, fields = c.fetchone()
    return record_id, version, orjson.loads(bytes(fields))


def test_an_untouched_view_verifies_and_says_what_it_covered(ledger_env: LedgerEnv) -> None:
    projected(ledger_env)
    position = open_view(ledger_env.url).max_tracking_id("Ledger")
    rows, _ = open_view(ledger_env.url).counts()
    code, output = tabien(ledger_env, "verify")
    assert code == 0, output
    assert f"record view: {rows:,} rows checked up to position {position:,}" in output


def test_an_edited_salary_in_the_view_is_a_finding(ledger_env: LedgerEnv) -> None:
    projected(ledger_env)
    record_id, version, fields = a_salary_row(ledger_env)
    was = fields["new_salary"]
    fields["new_salary"] = 88_888
    with view_sql(ledger_env) as c:
        m = mark(ledger_env)
        c.execute(f"UPDATE kks16_entries SET fields = {m} WHERE record_id = {m} "
                  f"AND version = {m}", (orjson.dumps(fields), record_id, version))
    code, output = tabien(ledger_env, "verify")
    assert code == 1, output
    assert "[view]" in output
    assert f"record {UUID(str(record_id))} version {version}" in output
    assert f"field new_salary is 88888 in the view, {was} in the ledger" in output
    # --no-views verifies the ledger alone, which is intact.
    code, output = tabien(ledger_env, "verify", "--no-views")
    assert code == 0, output
    assert "record view" not in output


def test_an_edited_column_of_a_view_row_is_a_finding(ledger_env: LedgerEnv) -> None:
    projected(ledger_env)
    record_id, version, _ = a_salary_row(ledger_env)
    with view_sql(ledger_env) as c:
        m = mark(ledger_env)
        c.execute(f"UPDATE kks16_entries SET effective_date = '2001-01-01' WHERE "
                  f"record_id = {m} AND version = {m}", (record_id, version))
    code, output = tabien(ledger_env, "verify")
    assert code == 1, output
    assert f"record {UUID(str(record_id))} version {version}" in output
    assert "effective_date is '2001-01-01' in the view" in output


def test_each_row_names_the_stored_hash_of_the_event_at_its_position(
        ledger_env: LedgerEnv) -> None:
    projected(ledger_env)
    rows = open_view(ledger_env.url).entries_between(None, None)
    stored = {row.notification_id: row.event_hash for row in ledger_env.ledger.store.iter_log()}
    assert rows
    assert all(len(row.event_hash) == 32 for row in rows)
    assert {row.position: row.event_hash for row in rows} == {
        row.position: stored[row.position] for row in rows}


def test_an_edited_event_hash_in_the_view_is_a_finding(ledger_env: LedgerEnv) -> None:
    projected(ledger_env)
    record_id, version, _ = a_salary_row(ledger_env)
    with view_sql(ledger_env) as c:
        m = mark(ledger_env)
        c.execute(f"SELECT position, event_hash FROM kks16_entries WHERE record_id = {m} "
                  f"AND version = {m}", (record_id, version))
        position, was = c.fetchone()
        c.execute(f"UPDATE kks16_entries SET event_hash = {m} WHERE record_id = {m} "
                  f"AND version = {m}", (b"\xee" * 32, record_id, version))
    code, output = tabien(ledger_env, "verify")
    assert code == 1, output
    assert f"[view] record {UUID(str(record_id))} version {version}" in output
    assert (f"event hash is {'ee' * 32} in the view, {bytes(was).hex()} at position "
            f"{position} in the ledger") in output


def test_a_row_naming_another_events_hash_is_a_finding(ledger_env: LedgerEnv) -> None:
    """A row moved to another position, its hash with it, names an event it was not made
    from: everything else about the row may be consistent with itself."""
    projected(ledger_env)
    record_id, version, _ = a_salary_row(ledger_env)
    with view_sql(ledger_env) as c:
        m = mark(ledger_env)
        c.execute("SELECT event_hash FROM kks16_entries ORDER BY position LIMIT 1")
        other = bytes(c.fetchone()[0])
        c.execute(f"UPDATE kks16_entries SET event_hash = {m} WHERE record_id = {m} "
                  f"AND version = {m}", (other, record_id, version))
    code, output = tabien(ledger_env, "verify")
    assert code == 1, output
    assert f"event hash is {other.hex()} in the view" in output


def test_a_row_without_a_hash_asks_for_a_rebuild(ledger_env: LedgerEnv) -> None:
    """A view made before rows carried their event's hash: its rows name none until the view
    is rebuilt, and verify says so; a rebuild fills them."""
    projected(ledger_env)
    with view_sql(ledger_env) as c:
        c.execute("UPDATE kks16_entries SET event_hash = NULL")
    code, output = tabien(ledger_env, "verify")
    assert code == 1, output
    assert "row names no event hash" in output
    assert "tabien rebuild kks16" in output
    rebuild(ledger_env.ledger, open_view(ledger_env.url))
    code, output = tabien(ledger_env, "verify")
    assert code == 0, output


def test_a_view_table_of_the_old_layout_gains_the_hash_column(ledger_env: LedgerEnv) -> None:
    """The column is added to a view table made without it (the library creates tables
    only if they do not exist)."""
    projected(ledger_env)
    with view_sql(ledger_env) as c:
        c.execute("ALTER TABLE kks16_entries DROP COLUMN event_hash")
    view = open_view(ledger_env.url)  # opening it creates what is missing
    rows = view.entries_between(None, None)
    assert rows
    assert {row.event_hash for row in rows} == {b""}
    rebuild(ledger_env.ledger, view)
    assert all(len(row.event_hash) == 32 for row in view.entries_between(None, None))


def test_a_deleted_view_row_is_a_finding(ledger_env: LedgerEnv) -> None:
    projected(ledger_env)
    record_id, version, _ = a_salary_row(ledger_env)
    with view_sql(ledger_env) as c:
        m = mark(ledger_env)
        c.execute(f"DELETE FROM kks16_entries WHERE record_id = {m} AND version = {m}",
                  (record_id, version))
    code, output = tabien(ledger_env, "verify")
    assert code == 1, output
    assert f"[view] record {UUID(str(record_id))} version {version}" in output
    assert "row missing from the record view" in output


def test_an_inserted_view_row_is_a_finding(ledger_env: LedgerEnv) -> None:
    projected(ledger_env)
    record_id, version, fields = a_salary_row(ledger_env)
    fields["new_salary"] = 99_999
    with view_sql(ledger_env) as c:
        m = mark(ledger_env)
        c.execute("SELECT kind, effective_date, recorded_at, position FROM kks16_entries "
                  f"WHERE record_id = {m} AND version = {m}", (record_id, version))
        kind, effective, recorded, position = c.fetchone()
        for at in (position, position + 10_000):  # inside the checked range, and above it
            c.execute(f"INSERT INTO kks16_entries VALUES ({m},{m},{m},{m},{m},{m},{m},{m})",
                      (record_id, 90 + at % 7, kind, effective, recorded, at,
                       orjson.dumps(fields), b"\x00" * 32))
    code, output = tabien(ledger_env, "verify")
    assert code == 1, output
    assert output.count("row in the record view that no event of the ledger makes") == 2
    assert f"record {UUID(str(record_id))} version {90 + position % 7}" in output


def test_a_lagging_view_verifies(ledger_env: LedgerEnv) -> None:
    projected(ledger_env)
    behind = open_view(ledger_env.url).max_tracking_id("Ledger")
    write_history(ledger_env.ledger, ledger_env.keys.authority, open_person(9), purpose="later")
    code, output = tabien(ledger_env, "verify")
    assert code == 0, output
    assert f"up to position {behind:,}" in output


def test_the_check_reads_in_pages(ledger_env: LedgerEnv) -> None:
    """Pages of one row: rows are compared across page boundaries just the same."""
    projected(ledger_env)
    ledger, view = ledger_env.ledger, open_view(ledger_env.url)
    report = verify_view(ledger.recorder, ledger.mapper, view, batch=1)
    assert report.findings == []
    assert report.rows == view.counts()[0]
    record_id, version, _ = a_salary_row(ledger_env)
    with view_sql(ledger_env) as c:
        m = mark(ledger_env)
        c.execute(f"DELETE FROM kks16_entries WHERE record_id = {m} AND version = {m}",
                  (record_id, version))
    assert len(verify_view(ledger.recorder, ledger.mapper, view, batch=1).findings) == 1


def test_a_person_moved_to_another_area_in_the_view_is_a_finding(ledger_env: LedgerEnv) -> None:
    """Payroll and the API's look-ups go by the person and area rows: they are checked too."""
    records = projected(ledger_env)
    m = mark(ledger_env)
    key = records[0].hex if ledger_env.backend == "sqlite" else records[0]
    with view_sql(ledger_env) as c:
        c.execute(f"UPDATE kks16_people SET area = 'elsewhere' WHERE record_id = {m}", (key,))
        c.execute(f"INSERT INTO kks16_areas VALUES ('elsewhere', {m})", (key,))
    code, output = tabien(ledger_env, "verify")
    assert code == 1, output
    assert f"[view] record {records[0]}: person row is record {records[0]} in area " \
           "'elsewhere' in the view" in output
    assert "placement in area 'elsewhere' in the record view that no event" in output


def test_a_deleted_person_row_is_a_finding(ledger_env: LedgerEnv) -> None:
    records = projected(ledger_env)
    key = records[1].hex if ledger_env.backend == "sqlite" else records[1]
    with view_sql(ledger_env) as c:
        c.execute(f"DELETE FROM kks16_people WHERE record_id = {mark(ledger_env)}", (key,))
    code, output = tabien(ledger_env, "verify")
    assert code == 1, output
    assert f"[view] record {records[1]}: person row missing from the record view" in output


def test_a_view_filled_by_the_runner_verifies(ledger_env: LedgerEnv) -> None:
    """The runner's rows (one event at a time) are the rebuild's rows, byte for byte."""
    from projections.record_projection import record_runner

    ledger = ledger_env.ledger
    with record_runner(ledger_env.url) as runner:
        small_ledger(ledger, ledger_env.keys.authority)
        runner.wait(ledger.recorder.max_notification_id() or 0, timeout=20)
    view = open_view(ledger_env.url)
    report = verify_view(ledger.recorder, ledger.mapper, view)
    assert report.findings == []
    assert report.rows == view.counts()[0] > 0
