"""Crash safety: a process killed with SIGKILL in the middle of issuing a 10,000-event order
leaves all of it or none of it; issuing again then writes it exactly once. On both backends.

The test waits until the issuing process is inside its write transaction — on PostgreSQL its
COPY is running; on SQLite it holds the database's write lock — and kills it there.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import psycopg
import pytest

from commands.orders import OrderDesk
from ledger.record import PersonnelRecord
from tests.conftest import LedgerEnv
from tests.factories import AREA, SECRET, open_person, write_history
from tests.pg import pg_url

ROOT = Path(__file__).resolve().parent.parent
PEOPLE = 10_000
NUMBER = "500/2567"


def prepare_order(env: LedgerEnv) -> None:
    """10,000 teachers, and a checked order giving each of them a raise."""
    records = [open_person(n) for n in range(1, PEOPLE + 1)]
    write_history(env.ledger, env.keys.authority, *records, purpose="staff")
    ref = {"authority": AREA, "order_number": NUMBER, "order_date": "2011-05-10"}
    lines = [{"national_id": r.national_id, "kind": "salary_raised",
              "effective_date": "2011-04-01", "order": ref, "new_salary": 15_500,
              "percent": "3", "steps": None, "calculation_base": 15_050,
              "special_compensation": 0, "appraisal": "ดี"} for r in records]
    desk = OrderDesk(env.ledger, SECRET)
    order = desk.draft(env.keys.registrar, authority=AREA, area=AREA, order_number=NUMBER,
                       order_date=date(2011, 5, 10), title="เลื่อนเงินเดือน", lines=lines)
    report = desk.check(env.keys.registrar, order)
    # 2011 salaries check against the 2554 table, in which 15,500 is inside every range.
    assert report.passed, [f for line in report.lines[:3] for f in line.failures]


def start_issuing(env: LedgerEnv) -> subprocess.Popen[str]:
    child_env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.crash_child", env.url, str(env.keys_dir), AREA, NUMBER],
        cwd=ROOT, env=child_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def inside_write(env: LedgerEnv) -> bool:
    if env.backend == "postgres":
        schema = parse_qs(urlparse(env.url).query)["schema"][0]
        with psycopg.connect(pg_url(), autocommit=True) as conn:
            row = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' "
                "AND query LIKE %s", (f'COPY "{schema}".%',)).fetchone()
        return bool(row and row[0])
    conn = sqlite3.connect(urlparse(env.url).path[1:], timeout=0, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError:  # "database is locked": the child holds the write lock
        return True
    finally:
        conn.close()


def kill_inside_the_write(env: LedgerEnv) -> None:
    child = start_issuing(env)
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "ready"
    deadline = time.monotonic() + 120
    while not inside_write(env):
        assert child.poll() is None, "the issue finished before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.001)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL


def raises_recorded(env: LedgerEnv) -> int:
    topic = f"{PersonnelRecord.SalaryRaised.__module__}:PersonnelRecord.SalaryRaised"
    total, start = 0, None
    while True:
        page = env.ledger.recorder.select_notifications(start, 5_000, topics=[topic],
                                                        inclusive_of_start=False)
        total += len(page)
        if len(page) < 5_000:
            return total
        start = page[-1].id


@pytest.mark.slow
def test_sigkill_while_issuing_leaves_all_or_nothing_and_a_retry_writes_once(
        ledger_env: LedgerEnv) -> None:
    prepare_order(ledger_env)
    before = ledger_env.ledger.store.count_events()
    # Killed inside its write transaction, the issue leaves nothing behind.
    kill_inside_the_write(ledger_env)
    assert raises_recorded(ledger_env) == 0
    assert ledger_env.ledger.store.count_events() == before
    # Issuing again writes the whole order once …
    retry = start_issuing(ledger_env)
    output, errors = retry.communicate(timeout=300)
    assert retry.returncode == 0, errors
    assert f"issued {PEOPLE + 1} False" in output
    assert raises_recorded(ledger_env) == PEOPLE
    assert ledger_env.ledger.store.count_events() == before + PEOPLE + 1
    # … and once more returns the first result, writing nothing.
    again = start_issuing(ledger_env)
    output, errors = again.communicate(timeout=300)
    assert f"issued {PEOPLE + 1} True" in output, errors
    assert ledger_env.ledger.store.count_events() == before + PEOPLE + 1
