"""Incremental verification (`tabien verify --since`): what was appended after the latest
checkpoint is checked in full, and a change before it cannot hide behind it (both backends)."""

from __future__ import annotations

from typer.testing import CliRunner

from api.cli import app
from ledger.checkpoints import create_checkpoint
from tests.conftest import LedgerEnv
from tests.factories import draft_order, small_ledger
from tests.test_tampering import RawDB, change_one_byte, insert_a_forged_event


def checkpointed_then_more(env: LedgerEnv) -> None:
    small_ledger(env.ledger, env.keys.authority, people=4)
    create_checkpoint(env.ledger.store, env.keys.checkpoint)
    for n in range(30, 34):
        env.ledger.submit(env.keys.registrar, draft_order(n), purpose=f"person {n}")


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
