"""Tampering done straight in SQL, as an attacker with database access would, on both backends.

Each scenario changes the stored ledger behind the application's back and then runs
``tabien verify`` as an auditor would: it must exit 1 and name what failed. The untouched
ledger exits 0.
"""

from __future__ import annotations

import base64
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlparse

import psycopg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from eventsourcing.persistence import StoredEvent
from typer.testing import CliRunner

from api.cli import app
from ledger.checkpoints import create_checkpoint
from ledger.integrity import event_hash, sign_submission
from ledger.note import sign_note
from tests.conftest import LedgerEnv
from tests.factories import small_ledger
from tests.pg import pg_url


class RawDB:
    """The attacker's view: plain SQL on the ledger's tables, whatever the backend."""

    def __init__(self, env: LedgerEnv) -> None:
        self.env = env
        self.postgres = env.backend == "postgres"
        self.events = "ledger_events" if self.postgres else "stored_events"
        self.submissions = f"{self.events}_submissions"
        self.checkpoints = f"{self.events}_checkpoints"
        self.id_column = "notification_id" if self.postgres else "rowid"
        self.p = "%s" if self.postgres else "?"

    @contextmanager
    def connect(self) -> Iterator[Any]:
        if self.postgres:
            schema = parse_qs(urlparse(self.env.url).query)["schema"][0]
            with psycopg.connect(pg_url(), autocommit=True) as conn:
                conn.execute(f'SET search_path TO "{schema}"')
                yield conn
        else:
            conn = sqlite3.connect(urlparse(self.env.url).path[1:], isolation_level=None)
            try:
                yield conn
            finally:
                conn.close()

    def run(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        sql = sql.replace("?", self.p).replace("{events}", self.events) \
            .replace("{submissions}", self.submissions).replace("{checkpoints}", self.checkpoints) \
            .replace("{id}", self.id_column)
        with self.connect() as conn:
            cursor = conn.execute(sql, params)
            try:
                return [tuple(r) for r in cursor.fetchall()]
            except (psycopg.ProgrammingError, sqlite3.ProgrammingError):
                return []

    def rows(self) -> list[tuple[Any, ...]]:
        return self.run("SELECT {id}, originator_id, originator_version, topic, state, "
                        "event_hash FROM {events} ORDER BY {id}")

    def originator(self, value: Any) -> Any:
        return value if self.postgres else str(value)


def verify_cli(env: LedgerEnv) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["verify"], env=env.cli_env)
    return result.exit_code, result.output


@pytest.fixture
def tampered_env(ledger_env: LedgerEnv) -> LedgerEnv:
    small_ledger(ledger_env.ledger, ledger_env.keys.authority)
    create_checkpoint(ledger_env.ledger.store, ledger_env.keys.checkpoint)
    return ledger_env


# ------------------------------------------------------------------ the scenarios


def change_one_byte(db: RawDB) -> None:
    position, _, _, _, state, _ = db.rows()[6]
    altered = bytearray(state)
    altered[len(altered) // 2] ^= 0x01
    db.run("UPDATE {events} SET state = ? WHERE {id} = ?", (bytes(altered), position))


def delete_an_event(db: RawDB) -> None:
    # a record's event with a later one of the same record, so that its chain breaks
    rows = [row for row in db.rows() if row[3].startswith("ledger.record:")]
    doomed = next(row for i, row in enumerate(rows[7:], start=7)
                  if any(later[1] == row[1] for later in rows[i + 1:]))
    db.run("DELETE FROM {events} WHERE {id} = ?", (doomed[0],))


def swap_two_events(db: RawDB) -> None:
    # two events of one record, so that its chain runs backwards in the log
    rows = db.rows()[5:]
    first, second = next((a[0], b[0]) for i, a in enumerate(rows) for b in rows[i + 1:]
                         if a[1] == b[1])
    db.run("UPDATE {events} SET {id} = -1 WHERE {id} = ?", (first,))
    db.run("UPDATE {events} SET {id} = ? WHERE {id} = ?", (first, second))
    db.run("UPDATE {events} SET {id} = ? WHERE {id} = -1", (second,))


def _forge(db: RawDB, template: tuple[Any, ...], version: int, previous: bytes,
           position: int) -> bytes:
    _, originator, _, topic, state, _ = template
    stored = StoredEvent(uuid.UUID(str(originator)), version, topic, state)
    digest = event_hash(previous, stored)
    db.run("INSERT INTO {events} ({id}, originator_id, originator_version, topic, state, "
           "event_hash) VALUES (?, ?, ?, ?, ?, ?)",
           (position, db.originator(originator), version, topic, state, digest))
    return digest


def insert_a_forged_event(db: RawDB) -> None:
    rows = db.rows()
    last = rows[-1]
    # A well-formed next event of the last record, with a correctly recomputed hash.
    _forge(db, last, last[2] + 1, bytes(last[5]), last[0] + 1)


def truncate_and_append_another_history(db: RawDB) -> None:
    rows = db.rows()
    last = rows[-1]
    submission_id, key_id, first, count = db.run(
        "SELECT submission_id, key_id, first_notification_id, event_count FROM {submissions} "
        "ORDER BY first_notification_id DESC LIMIT 1")[0]
    # The last submission — an order and the one record event it issues — taken out …
    db.run("DELETE FROM {events} WHERE {id} >= ?", (first,))
    db.run("DELETE FROM {submissions} WHERE submission_id = ?", (submission_id,))
    # … and a different history put in its place, "signed" for the same key id by a key the
    # attacker made up: hashes and root are right, the signature cannot be.
    before = next(r for r in reversed(rows) if r[1] == last[1] and r[2] < last[2])
    digest = _forge(db, before, last[2], bytes(before[5]), first)
    forged = sign_submission(Ed25519PrivateKey.generate(), submission_id=uuid.uuid4(),
                             key_id=key_id, signed_at=datetime.now(UTC), purpose="forged",
                             event_hashes=[digest])
    db.run("INSERT INTO {submissions} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
           (db.originator(forged.submission_id), forged.key_id, forged.signed_at.isoformat(),
            forged.purpose, 1, forged.root, forged.signature, first, first,
            forged.log_size, forged.previous))
    assert count == last[0] - first + 1


def alter_a_checkpoint(db: RawDB) -> None:
    size, note = db.run("SELECT tree_size, note FROM {checkpoints}")[0]
    lines = note.split("\n")
    lines[2] = base64.b64encode(bytes(32)).decode()
    db.run("UPDATE {checkpoints} SET note = ? WHERE tree_size = ?", ("\n".join(lines), size))


def replace_a_checkpoint(db: RawDB) -> None:
    size, note = db.run("SELECT tree_size, note FROM {checkpoints}")[0]
    body = note.split("\n\n")[0] + "\n"
    # Same key name, another key: the note's key hash cannot match the registered key.
    forged = sign_note(body, "tabien-checkpoint", Ed25519PrivateKey.generate())
    db.run("UPDATE {checkpoints} SET note = ? WHERE tree_size = ?", (forged, size))


SCENARIOS: dict[str, tuple[Callable[[RawDB], None], list[str]]] = {
    "change one byte of a stored event": (change_one_byte, ["[hash]", "version"]),
    "delete an event": (delete_an_event, ["[chain]", "[checkpoint]"]),
    "swap two events": (swap_two_events, ["[chain]", "[checkpoint]"]),
    "insert a forged event": (insert_a_forged_event, ["[unsigned]"]),
    "truncate the tail and append a different history": (
        truncate_and_append_another_history, ["[signature]"]),
    "alter a checkpoint": (alter_a_checkpoint, ["[checkpoint]"]),
    "replace a checkpoint": (replace_a_checkpoint, ["[checkpoint]"]),
}


def test_the_untouched_ledger_verifies(tampered_env: LedgerEnv) -> None:
    code, output = verify_cli(tampered_env)
    assert code == 0, output
    assert "intact" in output


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_tampering_is_detected_and_named(tampered_env: LedgerEnv, scenario: str) -> None:
    tamper, expected = SCENARIOS[scenario]
    tamper(RawDB(tampered_env))
    code, output = verify_cli(tampered_env)
    assert code == 1, output
    for words in expected:
        assert words in output, f"{scenario}: {words!r} not in\n{output}"
