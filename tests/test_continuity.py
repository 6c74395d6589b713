"""Nothing removed unnoticed (issue 16): a whole submission deleted from the middle of the log,
after the latest checkpoint, is found by `tabien verify` — in one pass, in chunks and with
`--since` — on both backends, by the gap it leaves in the positions."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from api.cli import app
from api.cli_web import _checkpointer
from audit.parallel import Parallel
from audit.verify import verify_in_chunks, verify_ledger
from audit.witness import verify_cosignature
from commands.access import log_read
from ledger.checkpoints import Checkpointer, create_checkpoint
from ledger.errors import Conflict
from tests.conftest import LedgerEnv
from tests.factories import draft_order, raise_salary, small_ledger, write_history
from tests.test_tampering import RawDB
from tests.web import Api


def _checkpointed_then(env: LedgerEnv) -> dict[str, tuple[int, int]]:
    """A checkpointed ledger, then four submissions; each one's positions by name."""
    ledger, keys = env.ledger, env.keys
    records = small_ledger(ledger, keys.authority, people=3)
    create_checkpoint(ledger.store, keys.checkpoint)
    spans: dict[str, tuple[int, int]] = {}

    def submitted(name: str, write: Callable[[], object]) -> None:
        write()
        row = ledger.store.submissions()[-1]
        spans[name] = (row.first_notification_id, row.last_notification_id)

    submitted("opening", lambda: ledger.submit(keys.registrar, draft_order(40), purpose="40"))
    record = ledger.repository.get(records[1])
    raise_salary(record, date(2012, 4, 1), record.salary + 100, "7/2555")
    submitted("one event", lambda: write_history(ledger, keys.authority, record, purpose="raise"))
    submitted("access log", lambda: log_read(ledger, keys.service, records[2],
                                             purpose="ตรวจสอบ", reader="auditor"))
    submitted("last", lambda: ledger.submit(keys.registrar, draft_order(41), purpose="41"))
    return spans


def _delete_submission(db: RawDB, first: int, last: int) -> None:
    db.run("DELETE FROM {events} WHERE {id} >= ? AND {id} <= ?", (first, last))
    db.run("DELETE FROM {submissions} WHERE first_notification_id = ?", (first,))


def _named(first: int, last: int) -> str:
    return f"position {first}" if first == last else f"positions {first}-{last}"


def test_the_untouched_ledger_verifies_every_way(ledger_env: LedgerEnv) -> None:
    _checkpointed_then(ledger_env)
    for args in (["verify"], ["verify", "--since"]):
        result = CliRunner().invoke(app, args, env=ledger_env.cli_env)
        assert result.exit_code == 0, result.output
    report = verify_in_chunks(ledger_env.ledger.store, ledger_env.ledger.mapper,
                              Parallel(ledger_env.url, workers=0, chunk_size=2))
    assert report is not None
    assert report.ok, report.findings


@pytest.mark.parametrize("which", ["opening", "one event", "access log"])
def test_a_submission_deleted_from_the_middle_is_a_gap(ledger_env: LedgerEnv,
                                                       which: str) -> None:
    spans = _checkpointed_then(ledger_env)
    first, last = spans[which]
    _delete_submission(RawDB(ledger_env), first, last)
    named = f"[gap] {_named(first, last)}"
    for args in (["verify"], ["verify", "--since"]):
        result = CliRunner().invoke(app, args, env=ledger_env.cli_env)
        assert result.exit_code == 1, (args, result.output)
        assert named in result.output, (args, result.output)
    store, mapper = ledger_env.ledger.store, ledger_env.ledger.mapper
    for size in (1, 2, 3, 5, 100):
        report = verify_in_chunks(store, mapper, Parallel(ledger_env.url, workers=0,
                                                          chunk_size=size))
        assert report is not None
        assert not report.ok, size
    assert named in "\n".join(str(f) for f in verify_ledger(store, mapper).findings)


def test_worker_processes_find_the_gap(ledger_env: LedgerEnv) -> None:
    spans = _checkpointed_then(ledger_env)
    _delete_submission(RawDB(ledger_env), *spans["one event"])
    result = CliRunner().invoke(app, ["verify", "--workers", "2"], env=ledger_env.cli_env)
    assert result.exit_code == 1, result.output
    assert "[gap]" in result.output


def test_a_rolled_back_write_leaves_no_gap(ledger_env: LedgerEnv) -> None:
    """Positions are numbered under the write lock, not drawn from a sequence: a write that
    fails (here a version conflict) consumes none."""
    ledger, keys = ledger_env.ledger, ledger_env.keys
    records = small_ledger(ledger, keys.authority, people=2)
    stale = ledger.repository.get(records[0])
    fresh = ledger.repository.get(records[0])
    raise_salary(fresh, date(2012, 4, 1), fresh.salary + 100, "1/2555")
    write_history(ledger, keys.authority, fresh, purpose="first")
    raise_salary(stale, date(2012, 4, 1), stale.salary + 200, "2/2555")
    with pytest.raises(Conflict):
        write_history(ledger, keys.authority, stale, purpose="conflicting")
    ledger.submit(keys.registrar, draft_order(50), purpose="after the conflict")
    positions = [row.notification_id for row in ledger.store.iter_log()]
    assert positions == list(range(1, len(positions) + 1))
    assert verify_ledger(ledger.store, ledger.mapper).ok


# ------------------------------------------------------- each submission signs what came before


def _renumber_after(db: RawDB, last: int, by: int) -> None:
    """Close a gap: every later position moved down ``by`` (through negatives, so that no
    two rows ever share a position)."""
    db.run("UPDATE {events} SET {id} = -({id} - ?) WHERE {id} > ?", (by, last))
    db.run("UPDATE {events} SET {id} = -{id} WHERE {id} < 0")
    db.run("UPDATE {submissions} SET first_notification_id = first_notification_id - ?, "
           "last_notification_id = last_notification_id - ? WHERE first_notification_id > ?",
           (by, by, last))


@pytest.mark.parametrize("which", ["opening", "one event", "access log"])
def test_a_submission_removed_and_the_gap_closed_breaks_the_next(ledger_env: LedgerEnv,
                                                                which: str) -> None:
    spans = _checkpointed_then(ledger_env)
    first, last = spans[which]
    db = RawDB(ledger_env)
    _delete_submission(db, first, last)
    _renumber_after(db, last, last - first + 1)
    positions = [row[0] for row in db.rows()]
    assert positions == list(range(1, len(positions) + 1))  # no gap left to see
    for args in (["verify"], ["verify", "--since"]):
        result = CliRunner().invoke(app, args, env=ledger_env.cli_env)
        assert result.exit_code == 1, (args, result.output)
        assert "[continuity]" in result.output, (args, result.output)
        assert "[gap]" not in result.output
    store, mapper = ledger_env.ledger.store, ledger_env.ledger.mapper
    for size in (1, 2, 3, 100):
        report = verify_in_chunks(store, mapper, Parallel(ledger_env.url, workers=0,
                                                          chunk_size=size))
        assert report is not None
        assert {f.check for f in report.findings} == {"continuity"}, (size, report.findings)


def test_every_submission_signs_the_log_before_it(ledger_env: LedgerEnv) -> None:
    _checkpointed_then(ledger_env)
    rows = ledger_env.ledger.store.submissions()
    previous = None
    for row in rows:
        assert row.submission.log_size == row.first_notification_id - 1
        assert row.submission.previous == (previous.submission.hash if previous
                                           else bytes(32))
        previous = row


def test_a_draft_signed_before_another_write_is_refused_and_nothing_written(
        ledger_env: LedgerEnv) -> None:
    """``append`` of a submission signed after a log that has since grown: a conflict, to be
    signed again; ``submit`` signs again by itself (here a second ledger wrote in between)."""
    ledger, keys = ledger_env.ledger, ledger_env.keys
    draft = ledger.prepare(draft_order(60))
    signed = draft.sign(keys.registrar, "stale")
    other = ledger_env.reopen()
    try:
        other.submit(keys.registrar, draft_order(61), purpose="first")
        before = ledger.store.count_events()
        with pytest.raises(Conflict):
            ledger.append(draft, signed)
        assert ledger.store.count_events() == before
        other.submit(keys.registrar, draft_order(62), purpose="again")
        ledger.submit(keys.registrar, draft_order(63), purpose="re-signed by itself")
    finally:
        other.close()
    assert verify_ledger(ledger.store, ledger.mapper).ok


# ------------------------------------------------------------- checkpoints the server makes


def _verify(env: LedgerEnv, *args: str, seconds: str | None = None) -> tuple[int, str]:
    extra = {"TABIEN_CHECKPOINT_SECONDS": seconds} if seconds is not None else {}
    result = CliRunner().invoke(app, ["verify", *args], env={**env.cli_env, **extra})
    return result.exit_code, result.output


def test_a_fresh_ledger_without_a_checkpoint_verifies(ledger_env: LedgerEnv) -> None:
    small_ledger(ledger_env.ledger, ledger_env.keys.authority)
    assert not ledger_env.ledger.store.checkpoints()
    code, output = _verify(ledger_env)  # younger than the interval (60 s by default)
    assert code == 0, output
    assert "0 checkpoints" in output


def test_every_checkpoint_deleted_with_old_events_fails(ledger_env: LedgerEnv) -> None:
    small_ledger(ledger_env.ledger, ledger_env.keys.authority)
    create_checkpoint(ledger_env.ledger.store, ledger_env.keys.checkpoint)
    assert _verify(ledger_env, seconds="0.2")[0] == 0  # covered: however old, it is fine
    RawDB(ledger_env).run("DELETE FROM {checkpoints}")
    time.sleep(0.5)  # older than twice the interval
    code, output = _verify(ledger_env, seconds="0.2")
    assert code == 1, output
    assert "[checkpoint] positions 1-" in output
    assert "covered by no checkpoint" in output
    assert _verify(ledger_env)[0] == 0  # with the default interval, they are still young


def test_a_tail_after_the_latest_checkpoint_is_not_a_finding(ledger_env: LedgerEnv) -> None:
    # Commands run without the server: a checkpoint, then reads and writes that no server
    # checkpoints; minutes later, verify still passes, the checkpoint binding what it covers.
    small_ledger(ledger_env.ledger, ledger_env.keys.authority)
    create_checkpoint(ledger_env.ledger.store, ledger_env.keys.checkpoint)
    ledger_env.ledger.submit(ledger_env.keys.registrar, draft_order(90), purpose="90")
    time.sleep(0.5)  # older than twice the interval
    code, output = _verify(ledger_env, seconds="0.2")
    assert code == 0, output


def _server_checkpoints(env: LedgerEnv, monkeypatch: pytest.MonkeyPatch,
                        count: int) -> None:
    """Run the server's checkpointer (as `tabien serve` starts it) until the log holds
    ``count`` checkpoints."""
    for name, value in {**env.cli_env, "TABIEN_CHECKPOINT_SECONDS": "0.05"}.items():
        monkeypatch.setenv(name, value)
    checkpointer = _checkpointer(env.url)
    try:
        deadline = time.monotonic() + 20
        while len(env.ledger.store.checkpoints()) < count:
            assert time.monotonic() < deadline, "the server signed no checkpoint"
            time.sleep(0.02)
    finally:
        checkpointer.stop()


def test_the_server_checkpoints_by_itself_and_a_deleted_tail_is_found(
        ledger_env: LedgerEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    small_ledger(ledger_env.ledger, ledger_env.keys.authority)
    _server_checkpoints(ledger_env, monkeypatch, 1)
    size = ledger_env.ledger.store.checkpoints()[-1].tree_size
    assert size == ledger_env.ledger.store.count_events()
    assert _verify(ledger_env)[0] == 0
    # Nothing new: no new checkpoint; something new: one more.
    server = Checkpointer(ledger_env.ledger.store, lambda: ledger_env.keys.checkpoint, 60)
    assert server.round() is None  # (not started: one round, here)
    ledger_env.ledger.submit(ledger_env.keys.registrar, draft_order(70), purpose="70")
    _server_checkpoints(ledger_env, monkeypatch, 2)
    # The tail the server has checkpointed, deleted with its submission.
    db = RawDB(ledger_env)
    last = ledger_env.ledger.store.submissions()[-1]
    _delete_submission(db, last.first_notification_id, last.last_notification_id)
    for args in ((), ("--since",)):
        code, output = _verify(ledger_env, *args)
        assert code == 1, (args, output)
        assert "history was truncated" in output or "history before it was changed" in output


def test_an_auditor_may_ask_for_a_checkpoint(api: Api) -> None:
    store = api.services.ledger.store
    response = api.client.post("/api/v1/audit/checkpoints", headers=api.as_("aud"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["tree_size"] == store.count_events()
    assert [c.tree_size for c in store.checkpoints()] == [body["tree_size"]]
    again = api.client.post("/api/v1/audit/checkpoints", headers=api.as_("aud")).json()
    assert again == body  # nothing appended since: the same checkpoint
    for user in ("reg", "auth", "teach", "pay"):
        assert api.client.post("/api/v1/audit/checkpoints",
                               headers=api.as_(user)).status_code == 403


# ------------------------------------------------------------------------------ witnesses


def _witness(env: LedgerEnv, tmp: Path) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["witness", "--state", str(tmp / "witness.jsonl"),
                                      "--key", str(tmp / "witness.pem")], env=env.cli_env)
    return result.exit_code, result.output


def test_a_witness_cosigns_what_extends_and_refuses_a_rollback(ledger_env: LedgerEnv,
                                                               tmp_path: Path) -> None:
    ledger, keys = ledger_env.ledger, ledger_env.keys
    small_ledger(ledger, keys.authority)
    create_checkpoint(ledger.store, keys.checkpoint)
    assert _witness(ledger_env, tmp_path)[0] == 0
    ledger.submit(keys.registrar, draft_order(80), purpose="80")
    create_checkpoint(ledger.store, keys.checkpoint)
    code, output = _witness(ledger_env, tmp_path)
    assert code == 0, output
    assert _witness(ledger_env, tmp_path)[0] == 0  # the same again: nothing new to keep
    state = tmp_path / "witness.jsonl"
    lines = [orjson.loads(x) for x in state.read_bytes().splitlines()]
    vkey = next(x["witness_key"] for x in lines if "witness_key" in x)
    notes = [x["note"] for x in lines if "note" in x]
    assert len(notes) == 2
    for note in notes:
        assert verify_cosignature(note, vkey) > 0
    against = ["verify", "--against", str(state)]
    assert CliRunner().invoke(app, against, env=ledger_env.cli_env).exit_code == 0
    # The database rolled back: the last submission and its checkpoint gone.
    db = RawDB(ledger_env)
    last = ledger.store.submissions()[-1]
    _delete_submission(db, last.first_notification_id, last.last_notification_id)
    db.run("DELETE FROM {checkpoints} WHERE tree_size > ?", (last.first_notification_id - 1,))
    assert _verify(ledger_env)[0] == 0  # consistent, older: only the witness can tell
    code, output = _witness(ledger_env, tmp_path)
    assert code == 1, output
    assert "rollback" in output
    result = CliRunner().invoke(app, against, env=ledger_env.cli_env)
    assert result.exit_code == 1, result.output
    assert "history was truncated" in result.output


def test_a_witness_refuses_a_fork(ledger_env: LedgerEnv, tmp_path: Path) -> None:
    ledger, keys = ledger_env.ledger, ledger_env.keys
    small_ledger(ledger, keys.authority)
    ledger.submit(keys.registrar, draft_order(81), purpose="81")
    create_checkpoint(ledger.store, keys.checkpoint)
    assert _witness(ledger_env, tmp_path)[0] == 0
    # The tail removed with its checkpoint, then another history written in its place and
    # checkpointed by the server as usual.
    db = RawDB(ledger_env)
    last = ledger.store.submissions()[-1]
    _delete_submission(db, last.first_notification_id, last.last_notification_id)
    db.run("DELETE FROM {checkpoints}")
    fresh = ledger_env.reopen()
    try:
        fresh.submit(keys.registrar, draft_order(82), purpose="82")
        fresh.submit(keys.registrar, draft_order(83), purpose="83")
        create_checkpoint(fresh.store, keys.checkpoint)
    finally:
        fresh.close()
    assert _verify(ledger_env)[0] == 0
    code, output = _witness(ledger_env, tmp_path)
    assert code == 1, output
    assert "fork" in output
    result = CliRunner().invoke(app, ["verify", "--against", str(tmp_path / "witness.jsonl")],
                                env=ledger_env.cli_env)
    assert result.exit_code == 1, result.output
    assert "witnessed checkpoint" in result.output


def test_a_checkpoint_made_right_after_init_verifies(ledger_env: LedgerEnv) -> None:
    # Its key was registered by the submission the checkpoint ends with: signed after it.
    create_checkpoint(ledger_env.ledger.store, ledger_env.keys.checkpoint)
    code, output = _verify(ledger_env)
    assert code == 0, output
    ledger_env.ledger.submit(ledger_env.keys.registrar, draft_order(91), purpose="91")
    code, output = _verify(ledger_env)
    assert code == 0, output
