"""Unit tests of the ledger's core pieces: transcoding, hashing, keys, checkpoints, config."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from uuid import uuid4

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from eventsourcing.persistence import StoredEvent
from hypothesis import given
from hypothesis import strategies as st

from audit.verify import verify_ledger
from ledger.checkpoints import create_checkpoint
from ledger.config import database_env
from ledger.errors import InvalidInput, RuleViolation, SignatureError
from ledger.integrity import GENESIS_HASH, chain_hashes, event_hash
from ledger.keys import KeyStore, SigningKey
from ledger.merkle import leaf_hash, root_of
from ledger.note import CheckpointBody, open_note
from ledger.record import PersonnelRecord
from ledger.transcoder import CanonicalTranscoder, LedgerMapper
from tests.conftest import LedgerEnv
from tests.factories import draft_order, open_person, order, raise_salary, small_ledger

MAPPER = LedgerMapper(CanonicalTranscoder())


# ------------------------------------------------------------------ transcoding


@given(salary=st.integers(0, 200_000), percent=st.decimals(0, 10, places=2),
       day=st.dates(date(1985, 5, 1), date(2100, 12, 31)))
def test_events_survive_a_round_trip_with_their_types(salary: int, percent: Decimal,
                                                     day: date) -> None:
    record = open_person(1)
    record.record(PersonnelRecord.SalaryRaised, effective_date=day, order=order("1/2567", day),
                  new_salary=salary, percent=percent, steps=None, calculation_base=salary,
                  special_compensation=0, appraisal="ดีมาก")
    for event in record.collect_events():
        stored = MAPPER.to_stored_event(event)
        assert MAPPER.to_domain_event(stored) == event
        # Canonical: encoding the decoded event again gives the same bytes.
        assert MAPPER.to_stored_event(MAPPER.to_domain_event(stored)).state == stored.state


def test_stored_state_is_plain_sorted_json_with_thai_text() -> None:
    record = open_person(2)
    stored = MAPPER.to_stored_event(record.collect_events()[0])
    assert stored.state.startswith(b'{"area":"')
    assert b'"birth_date":"1985-05-01"' in stored.state
    assert "ครู2".encode() in stored.state


# ------------------------------------------------------------------- hashing


def test_each_event_hash_chains_to_the_previous_one_of_its_record() -> None:
    record_id = uuid4()
    first = StoredEvent(record_id, 1, "t", b"{}")
    second = StoredEvent(record_id, 2, "t", b"{}")
    hashes = chain_hashes([first, second], {})
    assert hashes[0] == event_hash(GENESIS_HASH, first)
    assert hashes[1] == event_hash(hashes[0], second)
    # The same event on another chain has another hash.
    assert event_hash(bytes(32), second) != event_hash(b"\x01" * 32, second)


def test_the_hash_frames_its_fields_so_bytes_cannot_move_between_them() -> None:
    record_id = uuid4()
    a = event_hash(GENESIS_HASH, StoredEvent(record_id, 1, "ab", b"c"))
    b = event_hash(GENESIS_HASH, StoredEvent(record_id, 1, "a", b"bc"))
    assert a != b


# ---------------------------------------------------------------------- keys


def test_a_key_is_usable_only_inside_its_validity_period() -> None:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    key = SigningKey.register("registrar-x", "registrar", "สพม.16",
                              Ed25519PrivateKey.generate().public_key(), start,
                              start + timedelta(days=365))
    key.check_usable_at(start + timedelta(days=1))
    with pytest.raises(SignatureError, match="not valid yet"):
        key.check_usable_at(start - timedelta(seconds=1))
    with pytest.raises(SignatureError, match="expired"):
        key.check_usable_at(start + timedelta(days=365))


def test_a_rotated_key_is_not_usable_after_the_rotation() -> None:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    key = SigningKey.register("registrar-x", "registrar", "สพม.16",
                              Ed25519PrivateKey.generate().public_key(), start)
    key.rotate("registrar-y+00000000", start + timedelta(days=10))
    key.check_usable_at(start + timedelta(days=9))
    with pytest.raises(SignatureError, match="rotated"):
        key.check_usable_at(start + timedelta(days=10))


def test_unknown_roles_and_empty_validity_are_refused() -> None:
    public = Ed25519PrivateKey.generate().public_key()
    now = datetime.now(UTC)
    with pytest.raises(InvalidInput, match="unknown key role"):
        SigningKey.register("x", "superuser", "", public, now)
    with pytest.raises(InvalidInput, match="must end after"):
        SigningKey.register("x", "registrar", "", public, now, now)


def test_private_keys_are_stored_encrypted(tmp_path: Path) -> None:
    store = KeyStore(tmp_path, passphrase=b"correct horse")
    store.generate("registrar-a")
    pem = (tmp_path / "registrar-a.key.pem").read_bytes()
    assert b"ENCRYPTED PRIVATE KEY" in pem
    assert (tmp_path / "registrar-a.key.pem").stat().st_mode & 0o077 == 0
    with pytest.raises(SignatureError, match="wrong passphrase"):
        KeyStore(tmp_path, passphrase=b"wrong").load("registrar-a")


def test_key_names_cannot_escape_the_key_folder(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput):
        KeyStore(tmp_path, passphrase=b"x").path_for("../etc/passwd")


# ------------------------------------------------------------------- records


def test_nothing_takes_effect_after_leaving_service_but_a_correction_may() -> None:
    record = open_person(3)
    record.record(PersonnelRecord.LeftService, effective_date=date(2030, 10, 1),
                  order=order("9/2573", date(2030, 9, 1)), reason="retired")
    with pytest.raises(RuleViolation) as refused:
        raise_salary(record, date(2031, 4, 1), 20_000)
    assert refused.value.rule == "record.after-leaving-service"
    record.record(PersonnelRecord.EntryRevoked, effective_date=date(2031, 4, 1),
                  order=order("10/2574", date(2031, 4, 1)), revokes=3,
                  reason="คำสั่งให้ออกถูกเพิกถอน")
    assert record.left_on is None


def test_a_correction_must_name_an_existing_entry() -> None:
    record = open_person(4)
    with pytest.raises(RuleViolation, match="does not exist"):
        record.record(PersonnelRecord.EntryCorrected, effective_date=date(2011, 1, 1),
                      order=order("1/2554", date(2011, 1, 1)), corrects=99, changes={},
                      reason="x")


def test_an_unknown_leaving_reason_is_refused() -> None:
    with pytest.raises(RuleViolation, match="unknown reason"):
        open_person(5).record(PersonnelRecord.LeftService, effective_date=date(2020, 1, 1),
                              order=order("1/2563", date(2020, 1, 1)), reason="vanished")


# ------------------------------------------------------------ the application


def test_plain_save_is_refused(ledger_env: LedgerEnv) -> None:
    with pytest.raises(SignatureError, match="only signed"):
        ledger_env.ledger.save(open_person(6))


def test_checkpoints_extend_incrementally_to_the_same_root(ledger_env: LedgerEnv) -> None:
    ledger, keys = ledger_env.ledger, ledger_env.keys
    small_ledger(ledger, keys.authority, people=3)
    first = create_checkpoint(ledger.store, keys.checkpoint)
    assert create_checkpoint(ledger.store, keys.checkpoint) == first  # nothing new
    ledger.submit(keys.registrar, draft_order(50), purpose="one more")
    second = create_checkpoint(ledger.store, keys.checkpoint)
    leaves = [leaf_hash(row.event_hash) for row in ledger.store.iter_log()]
    verifiers = {keys.checkpoint.name: keys.checkpoint.public_key}
    body = CheckpointBody.parse(open_note(second.note, verifiers).text)
    assert body.size == len(leaves) == first.tree_size + 1
    assert body.root == root_of(leaves)


def test_verify_refuses_a_ledger_whose_root_key_is_not_the_pinned_one(
        ledger_env: LedgerEnv) -> None:
    report = verify_ledger(ledger_env.ledger.store, ledger_env.ledger.mapper,
                           trusted_root="tabien-admin+00000000")
    assert not report.ok
    assert report.findings[0].check == "trust-root"
    assert verify_ledger(ledger_env.ledger.store, ledger_env.ledger.mapper,
                         trusted_root=ledger_env.keys.admin.key_id).ok


# -------------------------------------------------------------------- config


def test_database_urls_choose_the_backend() -> None:
    assert database_env("sqlite:///tabien.db")["SQLITE_DBNAME"] == "tabien.db"
    assert database_env("sqlite:////var/lib/tabien.db")["SQLITE_DBNAME"] == "/var/lib/tabien.db"
    pg = database_env("postgresql://reg:s%40cret@db.local:6543/tabien?schema=area16")
    assert pg["POSTGRES_HOST"] == "db.local"
    assert pg["POSTGRES_PORT"] == "6543"
    assert pg["POSTGRES_PASSWORD"] == "s@cret"
    assert pg["POSTGRES_SCHEMA"] == "area16"
    with pytest.raises(InvalidInput, match="unsupported database URL"):
        database_env("mysql://x")
