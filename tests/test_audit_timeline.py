"""The auditor's timeline and diff of one record, read from the ledger (both backends)."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime

from typer.testing import CliRunner

from api.cli import app
from audit.timeline import timeline
from ledger.identity import record_id_for
from ledger.keys import KeyStore
from ledger.record import PersonnelRecord
from tests.conftest import LedgerEnv
from tests.factories import national_id, open_person, order, write_history


def corrected_teacher(env: LedgerEnv) -> datetime:
    secret = KeyStore(env.keys_dir, passphrase=b"test-passphrase").identity_secret()
    record = open_person(1, appointed=date(2012, 5, 16))
    # The CLI finds records with the key folder's secret: open the record under it.
    record._id = record_id_for(national_id(1), secret)
    for event in record.pending_events:
        object.__setattr__(event, "originator_id", record.id)
    write_history(env.ledger, env.keys.authority, record, purpose="appointment")
    before = datetime.now(UTC)
    time.sleep(0.01)
    record.record(PersonnelRecord.EntryCorrected, effective_date=date(2015, 1, 5),
                  order=order("3/2558", date(2015, 1, 5)), corrects=2,
                  changes={"salary": 8_700}, reason="บันทึกอัตราเงินเดือนผิดบัญชี")
    write_history(env.ledger, env.keys.authority, record, purpose="correction")
    return before


def test_the_timeline_names_signers_and_links_corrections(ledger_env: LedgerEnv) -> None:
    corrected_teacher(ledger_env)
    secret = KeyStore(ledger_env.keys_dir, passphrase=b"test-passphrase").identity_secret()
    entries = timeline(ledger_env.ledger.store, ledger_env.ledger.mapper,
                       record_id_for(national_id(1), secret))
    assert [e.kind for e in entries] == ["record_opened", "appointed", "entry_corrected"]
    assert entries[1].key_id == ledger_env.keys.authority.key_id
    assert entries[2].key_id == ledger_env.keys.authority.key_id  # corrections are orders too
    assert entries[2].amends == 2
    assert entries[1].amended_by == [3]
    assert entries[0].position < entries[2].position
    result = CliRunner().invoke(app, ["audit", "timeline", national_id(1)],
                                env=ledger_env.cli_env)
    assert result.exit_code == 0, result.output
    assert "แก้ไขรายการที่ 2" in result.output


def test_the_diff_shows_a_correction_in_the_known_axis(ledger_env: LedgerEnv) -> None:
    before = corrected_teacher(ledger_env)
    result = CliRunner().invoke(app, ["audit", "diff", national_id(1), "--from",
                                      before.isoformat(), "--to", datetime.now(UTC).isoformat(),
                                      "--axis", "known"], env=ledger_env.cli_env)
    assert result.exit_code == 0, result.output
    assert "salary: 15050 → 8700" in result.output
    same = CliRunner().invoke(app, ["audit", "diff", national_id(1), "--from", "2013-01-01",
                                    "--to", "2014-01-01"], env=ledger_env.cli_env)
    assert "no difference" in same.output
    bad = CliRunner().invoke(app, ["audit", "diff", national_id(1), "--from", "2013-01-01",
                                   "--to", "2014-01-01", "--axis", "sideways"],
                             env=ledger_env.cli_env)
    assert bad.exit_code == 2
