"""A projection runner killed mid-stream and restarted ends with a view identical to a
rebuild: no event skipped, none applied twice. On both backends."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from projections.record_projection import open_view, rebuild
from projections.store import RecordView
from tests.conftest import LedgerEnv
from tests.factories import AREA, open_person, write_history

ROOT = Path(__file__).resolve().parent.parent


def snapshot(view: RecordView) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    people = view.people_of_area(AREA)
    entries = [(r.record_id, r.version, r.kind, r.position, r.fields)
               for p in people for r in view.entries(p.record_id)]
    return sorted(entries, key=repr), sorted((p.national_id, p.record_id) for p in people)


def run_projector(env: LedgerEnv) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "api.cli", "project", "--once"], cwd=ROOT,
                            env={**os.environ, **env.cli_env, "PYTHONPATH": str(ROOT)},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.slow
def test_a_runner_killed_mid_stream_resumes_to_the_same_view_as_a_rebuild(
        ledger_env: LedgerEnv) -> None:
    ledger = ledger_env.ledger
    for start in range(1, 3_001, 1_000):
        write_history(ledger, ledger_env.keys.authority,
                      *[open_person(n) for n in range(start, start + 1_000)], purpose="staff")
    view = open_view(ledger_env.url)
    head = ledger.recorder.max_notification_id() or 0
    # The runner starts catching up; it is killed part of the way through …
    child = run_projector(ledger_env)
    deadline = time.monotonic() + 120
    while (view.max_tracking_id("Ledger") or 0) < 500:
        assert child.poll() is None, child.stderr.read() if child.stderr else ""
        assert time.monotonic() < deadline
        time.sleep(0.01)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    killed_at = view.max_tracking_id("Ledger") or 0
    assert 0 < killed_at < head
    # … restarted, it finishes from where its last transaction ended.
    restarted = run_projector(ledger_env)
    _, errors = restarted.communicate(timeout=600)
    assert restarted.returncode == 0, errors
    assert view.max_tracking_id("Ledger") == head
    resumed = snapshot(view)
    assert len(resumed[0]) == 6_000
    # A rebuild from position zero gives exactly the same rows.
    rebuild(ledger, view)
    assert snapshot(view) == resumed


def test_project_once_stops_when_only_access_log_entries_follow(ledger_env: LedgerEnv) -> None:
    # Given careers, then a read logged after the last career event (the view does not
    # track access-log entries, so the log's head is never the view's position),
    from commands.access import log_read

    ledger = ledger_env.ledger
    people = [open_person(n) for n in range(1, 4)]
    write_history(ledger, ledger_env.keys.authority, *people, purpose="staff")
    log_read(ledger, ledger_env.keys.service, people[0].id, purpose="ตรวจสอบ", reader="aud")
    # when the projector is asked to catch up once, it does so and stops, saying no lag.
    child = run_projector(ledger_env)
    output, errors = child.communicate(timeout=120)
    assert child.returncode == 0, errors
    assert "(lag 0;" in output
    assert len(snapshot(open_view(ledger_env.url))[1]) == 3
