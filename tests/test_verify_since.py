"""Incremental verification (`tabien verify --since`): what was appended after the latest
checkpoint is checked in full — keys' roles and areas and the record view included (issue 16)
— and a change before it cannot hide behind it (both backends)."""

from __future__ import annotations

from datetime import date

import orjson
import pytest
from eventsourcing.utils import get_topic
from typer.testing import CliRunner

from api.cli import app
from audit.incremental import verify_since
from ledger.application import Ledger
from ledger.checkpoints import create_checkpoint
from ledger.record import PersonnelRecord
from projections.record_projection import open_view, rebuild
from tests.conftest import LedgerEnv
from tests.factories import (
    AREA,
    draft_order,
    open_person,
    raise_salary,
    small_ledger,
    transcription,
    write_history,
)
from tests.test_authority import OTHER, other_keys, transfer
from tests.test_tampering import RawDB, change_one_byte, insert_a_forged_event
from tests.test_view_verify import a_salary_row, mark, view_sql


def checkpointed_then_more(env: LedgerEnv) -> None:
    small_ledger(env.ledger, env.keys.authority, people=4)
    create_checkpoint(env.ledger.store, env.keys.checkpoint)
    for n in range(30, 34):
        env.ledger.submit(env.keys.authority, draft_order(n), purpose=f"person {n}")


def since(env: LedgerEnv) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["verify", "--since"], env=env.cli_env)
    return result.exit_code, result.output


def test_only_the_new_events_are_read_and_they_verify(ledger_env: LedgerEnv) -> None:
    checkpointed_then_more(ledger_env)
    code, output = since(ledger_env)
    assert code == 0, output
    assert "4 events, 4 signed submissions" in output


def test_a_changed_new_event_is_caught(ledger_env: LedgerEnv) -> None:
    checkpointed_then_more(ledger_env)
    db = RawDB(ledger_env)
    position, _, _, _, state, _ = db.rows()[-1]
    altered = bytearray(state)
    altered[10] ^= 1
    db.run("UPDATE {events} SET state = ? WHERE {id} = ?", (bytes(altered), position))
    code, output = since(ledger_env)
    assert code == 1
    assert "[hash]" in output


def test_a_forged_new_event_is_caught(ledger_env: LedgerEnv) -> None:
    checkpointed_then_more(ledger_env)
    insert_a_forged_event(RawDB(ledger_env))
    code, output = since(ledger_env)
    assert code == 1
    assert "[unsigned]" in output


def test_history_before_the_checkpoint_cannot_be_changed_behind_it(
        ledger_env: LedgerEnv) -> None:
    checkpointed_then_more(ledger_env)
    db = RawDB(ledger_env)
    # Deleting an old event changes how many events the checkpoint covers …
    db.run("DELETE FROM {events} WHERE {id} = ?", (db.rows()[7][0],))
    code, output = since(ledger_env)
    assert code == 1
    assert "history before it was changed" in output


def test_a_forged_frontier_is_caught(ledger_env: LedgerEnv) -> None:
    checkpointed_then_more(ledger_env)
    db = RawDB(ledger_env)
    frontier = bytearray(db.run("SELECT compact_range FROM {checkpoints}")[0][0])
    frontier[-1] ^= 1
    db.run("UPDATE {checkpoints} SET compact_range = ?", (bytes(frontier),))
    code, output = since(ledger_env)
    assert code == 1
    assert "frontier" in output
    # A change to an old event's bytes is the full verification's to find.
    change_one_byte(db)
    assert CliRunner().invoke(app, ["verify"], env=ledger_env.cli_env).exit_code == 1


# ------------------------------------------------------------------ roles, areas, the view


def forced(env: LedgerEnv, monkeypatch: pytest.MonkeyPatch, record: object, signer: object,
           purpose: str) -> str:
    """Submit past the write's area check, as one with the database would; the submission's
    id."""
    with monkeypatch.context() as patch:
        patch.setattr(Ledger, "_check_areas", lambda self, key, draft: None)
        # An order of the signer's own area: only the area is wrong.
        area = env.ledger.key_role(signer.key_id)[1]  # type: ignore[attr-defined]
        env.ledger.submit(signer, transcription(area, record),  # type: ignore[arg-type]
                          record, purpose=purpose)
    return str(env.ledger.store.submissions()[-1].submission.submission_id)


def test_a_wrong_area_submission_after_the_checkpoint_is_found(
        ledger_env: LedgerEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    """A registrar of another area signs a raise for our person after the last checkpoint:
    `--since` names the submission, the record and its area, as the full verify does."""
    ledger, theirs = ledger_env.ledger, other_keys(ledger_env)
    ours = open_person(1)
    write_history(ledger, ledger_env.keys.authority, ours, purpose="บรรจุ")
    create_checkpoint(ledger.store, ledger_env.keys.checkpoint)
    assert since(ledger_env)[0] == 0
    record = ledger.record(ours.id)
    raise_salary(record, date(2011, 4, 1), 99_990)
    submission_id = forced(ledger_env, monkeypatch, record, theirs.authority, "นอกเขต")
    code, output = since(ledger_env)
    assert code == 1, output
    flat = " ".join(output.split())
    assert "[authority]" in flat
    assert submission_id in flat
    assert str(ours.id) in flat
    assert f"which was in {AREA}" in flat
    assert CliRunner().invoke(app, ["verify"], env=ledger_env.cli_env).exit_code == 1


def test_the_area_before_the_window_is_read_from_the_records_own_events(
        ledger_env: LedgerEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    """The person was transferred out before the checkpoint: after it, the new area's key
    signs for them rightly, and our old area's key wrongly."""
    ledger, keys, theirs = ledger_env.ledger, ledger_env.keys, other_keys(ledger_env)
    ours = open_person(1)
    write_history(ledger, keys.authority, ours, purpose="บรรจุ")
    record = ledger.record(ours.id)
    transfer(record, OTHER, AREA)
    write_history(ledger, keys.authority, record, purpose="ย้าย")
    create_checkpoint(ledger.store, keys.checkpoint)
    record = ledger.record(ours.id)
    raise_salary(record, date(2016, 4, 1), 20_000)
    write_history(ledger, theirs.authority, record, purpose="เลื่อนเงินเดือน")
    code, output = since(ledger_env)
    assert code == 0, output
    record = ledger.record(ours.id)
    raise_salary(record, date(2017, 4, 1), 99_990)
    submission_id = forced(ledger_env, monkeypatch, record, keys.authority, "นอกเขต")
    report = verify_since(ledger.store, ledger.key, keys.checkpoint.key_id,
                          mapper=ledger.mapper)
    assert [f.check for f in report.findings] == ["authority"], report.findings
    assert submission_id in report.findings[0].where
    assert f"which was in {OTHER}" in report.findings[0].message


def test_an_area_altered_before_the_checkpoint_cannot_hide_behind_it(
        ledger_env: LedgerEnv) -> None:
    """The old transfer's bytes are changed back to our area, to make a later wrong-area
    signature look right: the record's events before the window no longer hash to what the
    window's events chain to."""
    ledger, keys, theirs = ledger_env.ledger, ledger_env.keys, other_keys(ledger_env)
    ours = open_person(1)
    write_history(ledger, keys.authority, ours, purpose="บรรจุ")
    record = ledger.record(ours.id)
    transfer(record, OTHER, AREA)
    write_history(ledger, keys.authority, record, purpose="ย้าย")
    create_checkpoint(ledger.store, keys.checkpoint)
    record = ledger.record(ours.id)
    raise_salary(record, date(2016, 4, 1), 20_000)
    write_history(ledger, theirs.authority, record, purpose="เลื่อนเงินเดือน")
    db = RawDB(ledger_env)
    [(position, state)] = db.run("SELECT {id}, state FROM {events} WHERE topic = ?",
                                 (get_topic(PersonnelRecord.Transferred),))
    altered = orjson.loads(bytes(state))
    altered["area"] = "สพม.99"
    db.run("UPDATE {events} SET state = ? WHERE {id} = ?", (orjson.dumps(altered), position))
    report = verify_since(ledger.store, ledger.key, keys.checkpoint.key_id,
                          mapper=ledger.mapper)
    checks = {f.check for f in report.findings}
    assert "chain" in checks, report.findings
    assert any(str(ours.id) in f.where for f in report.findings if f.check == "chain")


def test_an_edited_view_row_is_found_by_since(ledger_env: LedgerEnv) -> None:
    checkpointed_then_more(ledger_env)
    rebuild(ledger_env.ledger, open_view(ledger_env.url))
    assert since(ledger_env)[0] == 0
    record_id, version, fields = a_salary_row(ledger_env)
    fields["new_salary"] = 88_888
    with view_sql(ledger_env) as c:
        m = mark(ledger_env)
        c.execute(f"UPDATE kks16_entries SET fields = {m} WHERE record_id = {m} "
                  f"AND version = {m}", (orjson.dumps(fields), record_id, version))
    code, output = since(ledger_env)
    assert code == 1, output
    assert "[view]" in output
    assert "field new_salary is 88888 in the view" in output
    result = CliRunner().invoke(app, ["verify", "--since", "--no-views"], env=ledger_env.cli_env)
    assert result.exit_code == 0, result.output


def test_a_later_checkpoint_is_held_to_the_new_events(ledger_env: LedgerEnv) -> None:
    checkpointed_then_more(ledger_env)
    first = ledger_env.ledger.store.checkpoints()[0].tree_size
    create_checkpoint(ledger_env.ledger.store, ledger_env.keys.checkpoint)
    ledger_env.ledger.submit(ledger_env.keys.authority, draft_order(40), purpose="person 40")
    ledger = ledger_env.ledger
    report = verify_since(ledger.store, ledger.key, ledger_env.keys.checkpoint.key_id,
                          since=first, mapper=ledger.mapper)
    assert report.ok, report.findings
    assert (report.events, report.submissions, report.checkpoints) == (5, 5, 1)
    db = RawDB(ledger_env)
    note = db.run("SELECT note FROM {checkpoints} ORDER BY tree_size")[-1][0]
    db.run("UPDATE {checkpoints} SET note = ? WHERE tree_size > ?",
           (note.replace("\n", "\n\n", 1), first))
    report = verify_since(ledger.store, ledger.key, ledger_env.keys.checkpoint.key_id,
                          since=first, mapper=ledger.mapper)
    assert not report.ok
