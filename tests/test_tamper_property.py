"""Property: for random careers and a random single-byte change anywhere in the stored events,
verification fails."""

from __future__ import annotations

import sqlite3
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.verify import verify_ledger
from commands.bootstrap import KeySet, load_key_set, register_keys
from ledger.application import Ledger
from ledger.keys import KeyStore
from ledger.record import PersonnelRecord
from tests.factories import open_person, order, raise_salary, write_history

COLUMNS = ["originator_id", "originator_version", "topic", "state", "event_hash"]


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> KeySet:
    store = KeyStore(tmp_path_factory.mktemp("keys"), passphrase=b"test-passphrase")
    for name in ("tabien-admin", "tabien-checkpoint", "tabien-service", "registrar-spm16",
                 "authority-spm16"):
        store.generate(name)
    return load_key_set(store)


def career_step(record: PersonnelRecord, kind: int, year: int) -> None:
    on = date(year, 4, 1)
    if kind == 0:
        raise_salary(record, on, record.salary + 500, f"{year}/1")
    elif kind == 1:
        record.record(PersonnelRecord.Transferred, effective_date=on, order=order(f"{year}/2", on),
                      position_title="ครู", position_number=f"T{year}", unit="โรงเรียนทุ่งสง",
                      area="สพม.16")
    elif kind == 2:
        record.record(PersonnelRecord.LeaveRecorded, effective_date=on,
                      order=order(f"{year}/3", on), leave_type="ลาป่วย", days=2, started=on,
                      finished=on)
    else:
        record.record(PersonnelRecord.EntryCorrected, effective_date=on,
                      order=order(f"{year}/4", on), corrects=2, changes={"salary": 15_060},
                      reason="แก้ไขอัตราเงินเดือนที่บันทึกผิด")


careers = st.lists(st.lists(st.integers(0, 3), max_size=5), min_size=1, max_size=4)
mutations = st.tuples(st.integers(0, 10_000), st.sampled_from(COLUMNS), st.integers(0, 10_000),
                      st.integers(1, 255))


def build(path: Path, keys: KeySet, plan: list[list[int]]) -> None:
    ledger = Ledger(url=f"sqlite:///{path}")
    register_keys(ledger, keys, "สพม.16")
    records = [open_person(n + 1) for n in range(len(plan))]
    write_history(ledger, keys.authority, *records, purpose="openings")
    for year_offset in range(max(len(steps) for steps in plan)):
        touched = []
        for record, steps in zip(records, plan, strict=True):
            if year_offset < len(steps):
                career_step(record, steps[year_offset], 2011 + year_offset)
                touched.append(record)
        if touched:
            write_history(ledger, keys.authority, *touched, purpose=f"round {year_offset}")
    ledger.close()


def flip(path: Path, mutation: tuple[int, str, int, int]) -> None:
    row_pick, column, offset, mask = mutation
    conn = sqlite3.connect(path, isolation_level=None)
    rowids = [r[0] for r in conn.execute("SELECT rowid FROM stored_events ORDER BY rowid")]
    rowid = rowids[row_pick % len(rowids)]
    select = f"SELECT {column} FROM stored_events WHERE rowid = ?"
    (value,) = conn.execute(select, (rowid,)).fetchone()
    conn.execute(f"UPDATE stored_events SET {column} = ? WHERE rowid = ?",
                 (mutate(value, offset, mask), rowid))
    conn.close()


def mutate(value: Any, offset: int, mask: int) -> Any:
    if isinstance(value, int):
        # One byte of the stored integer's 8-byte form.
        raw = bytearray(value.to_bytes(8, "big", signed=True))
        raw[offset % 8] ^= mask
        return int.from_bytes(raw, "big", signed=True)
    raw = bytearray(value.encode() if isinstance(value, str) else value)
    raw[offset % len(raw)] ^= mask
    # Text columns must stay text: a change that breaks UTF-8 is stored as raw bytes, which an
    # attacker could equally do.
    if isinstance(value, str):
        try:
            return raw.decode()
        except UnicodeDecodeError:
            return bytes(raw)
    return bytes(raw)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plan=careers, mutation=mutations)
def test_any_single_byte_change_is_detected(keys: KeySet, plan: list[list[int]],
                                           mutation: tuple[int, str, int, int]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "tabien.db"
        build(path, keys, plan)
        ledger = Ledger(url=f"sqlite:///{path}")
        assert verify_ledger(ledger.store, ledger.mapper).ok
        ledger.close()
        flip(path, mutation)
        ledger = Ledger(url=f"sqlite:///{path}")
        report = verify_ledger(ledger.store, ledger.mapper)
        ledger.close()
        assert not report.ok, f"undetected change: {mutation}"
