"""The access log (PDPA): every read path writes who read which record for what purpose, and
tampering with the log is caught like tampering with the ledger (both backends)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from eventsourcing.utils import get_topic
from typer.testing import CliRunner

from api.cli import app
from commands.access import accesses_of
from ledger.access import AreaAccess, RecordAccess, area_access_id_for
from ledger.identity import record_id_for
from ledger.keys import KeyStore
from projections.record_projection import open_view, rebuild
from tests.conftest import LedgerEnv
from tests.factories import national_id, open_person, write_history
from tests.test_tampering import RawDB


def a_teacher(env: LedgerEnv) -> bytes:
    secret = KeyStore(env.keys_dir, passphrase=b"test-passphrase").identity_secret()
    write_history(env.ledger, env.keys.authority, open_person(1, secret=secret),
                  purpose="appointment")
    rebuild(env.ledger, open_view(env.url))
    return secret


def test_every_read_path_writes_an_access_entry(ledger_env: LedgerEnv, tmp_path: Path) -> None:
    secret = a_teacher(ledger_env)
    cli, env = CliRunner(), ledger_env.cli_env | {"TABIEN_USER": "ผู้ตรวจสอบ สตง."}
    nid = national_id(1)
    reads = [
        (["record", "show", nid, "--purpose", "ออกหนังสือรับรอง"], "ออกหนังสือรับรอง"),
        (["audit", "timeline", nid], "การตรวจสอบของผู้ตรวจสอบ (audit)"),
        (["audit", "diff", nid, "--from", "2011-01-01", "--to", "2012-01-01"],
         "การตรวจสอบของผู้ตรวจสอบ (audit)"),
    ]
    for args, _ in reads:
        result = cli.invoke(app, args, env=env)
        assert result.exit_code == 0, result.output
    entries = accesses_of(ledger_env.ledger, record_id_for(nid, secret))
    assert [e.purpose for e in entries] == [purpose for _, purpose in reads]
    assert {e.reader for e in entries} == {"ผู้ตรวจสอบ สตง."}
    # An export reads the whole area: one entry of the area, naming how many it read.
    export = cli.invoke(app, ["payroll", "export", "--month", "2024-03", "--out", str(tmp_path)],
                        env=env)
    assert export.exit_code == 0, export.output
    exported = [e for e in ledger_env.ledger.events.get(area_access_id_for("สพม.16"))
                if isinstance(e, AreaAccess.Exported)]
    assert [(e.records, e.reader) for e in exported] == [(1, "ผู้ตรวจสอบ สตง.")]
    # The position registry names every holder: reading it is an area read too.
    assert cli.invoke(app, ["positions"], env=env).exit_code == 0
    registry_reads = [e for e in ledger_env.ledger.events.get(area_access_id_for("สพม.16"))
                      if isinstance(e, AreaAccess.Exported)][1:]
    assert [(e.purpose, e.detail) for e in registry_reads] == [
        ("ดูทะเบียนตำแหน่ง", "positions สพม.16")]
    # The auditor can ask who read the record.
    listing = cli.invoke(app, ["audit", "access", nid], env=env)
    assert "ออกหนังสือรับรอง" in listing.output
    # And the log verifies with the ledger.
    assert cli.invoke(app, ["verify"], env=env).exit_code == 0


def test_tampering_with_the_access_log_is_detected(ledger_env: LedgerEnv) -> None:
    a_teacher(ledger_env)
    cli = CliRunner()
    assert cli.invoke(app, ["record", "show", national_id(1), "--purpose", "ตรวจสอบ"],
                      env=ledger_env.cli_env).exit_code == 0
    db = RawDB(ledger_env)
    topic = get_topic(RecordAccess.Read)
    position, state = db.run("SELECT {id}, state FROM {events} WHERE topic = ?", (topic,))[0]
    # Someone erases the purpose they gave …
    altered = bytes(state).replace("ตรวจสอบ".encode(), b"xxxxxxx".ljust(21))
    db.run("UPDATE {events} SET state = ? WHERE {id} = ?", (altered, position))
    result = cli.invoke(app, ["verify"], env=ledger_env.cli_env)
    assert result.exit_code == 1
    assert "[hash]" in result.output
    # … or deletes the entry altogether.
    db.run("DELETE FROM {events} WHERE {id} = ?", (position,))
    result = cli.invoke(app, ["verify"], env=ledger_env.cli_env)
    assert result.exit_code == 1


def test_reading_an_evidence_file_is_logged_against_the_records_it_documents(
        ledger_env: LedgerEnv, tmp_path: Path) -> None:
    """A scanned order is personal data too: showing it is logged against each record that
    refers to it; a file no record refers to yet is logged as an area read naming its hash."""
    from tests.test_evidence import SCAN, attach_scan, person, tabien

    nid = person(ledger_env)
    assert attach_scan(ledger_env, tmp_path, nid)[0] == 0
    rebuild(ledger_env.ledger, open_view(ledger_env.url))
    sha256 = hashlib.sha256(SCAN).hexdigest()
    evidence = tmp_path / "evidence"
    code, output = tabien(ledger_env, evidence, "evidence", "show", sha256,
                          "--output", str(tmp_path / "copy.pdf"), "--purpose", "ตรวจคำสั่ง")
    assert code == 0, output
    record_id = record_id_for(nid, ledger_env.store.identity_secret())
    assert [e.purpose for e in accesses_of(ledger_env.ledger, record_id)] == ["ตรวจคำสั่ง"]
    # A file only stored, not yet attached to any record.
    loose = tmp_path / "loose.pdf"
    loose.write_bytes(b"%PDF-1.4 not yet attached")
    assert tabien(ledger_env, evidence, "evidence", "put", str(loose))[0] == 0
    loose_sha256 = hashlib.sha256(loose.read_bytes()).hexdigest()
    assert tabien(ledger_env, evidence, "evidence", "show", loose_sha256)[0] == 0
    area_reads = [e for e in ledger_env.ledger.events.get(area_access_id_for("สพม.16"))
                  if isinstance(e, AreaAccess.Exported)]
    assert [(e.detail, e.records) for e in area_reads] == [(f"evidence {loose_sha256}", 0)]
    # A refused read (a name that is no hash) is no read: nothing is logged.
    before = ledger_env.ledger.store.count_events()
    assert tabien(ledger_env, evidence, "evidence", "show", "../../etc/passwd")[0] == 2
    assert ledger_env.ledger.store.count_events() == before
