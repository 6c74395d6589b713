"""Evidence files: the content-addressed store, the signed reference, and what verify sees."""

from __future__ import annotations

import hashlib
import os
import sys
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import pytest
from eventsourcing.domain import Aggregate
from typer.testing import CliRunner

from api.cli import app
from audit.verify import verify_ledger
from ledger.entries import parse_entry
from ledger.errors import IntegrityError, InvalidInput, NotFound, RuleViolation, TabienError
from ledger.evidence import EvidenceRef, EvidenceStore, can_hold_evidence
from ledger.identity import record_id_for
from ledger.record import PersonnelRecord
from tests.conftest import LedgerEnv
from tests.factories import AREA, national_id, open_person, order, write_history
from tests.test_tampering import RawDB

SCAN = b"%PDF-1.4\n% a scanned order, signed by the director\n" * 20
ORDER_ARGS = ["--order-authority", AREA, "--order-number", "12/2567", "--order-date",
              "1/4/2567"]


def stored_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*") if p.is_file())


def make_writable(path: Path) -> None:
    path.chmod(0o640)  # the store keeps files read-only; an attacker is not so polite


# ------------------------------------------------------------------- the store


def test_a_file_round_trips_through_the_store(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path)
    ref = store.put(SCAN, "scans/คำสั่ง 12-2567.pdf")
    assert ref == EvidenceRef(hashlib.sha256(SCAN).hexdigest(), "คำสั่ง 12-2567.pdf",
                              "application/pdf", len(SCAN))
    assert store.path_for(ref.sha256) == tmp_path / "sha256" / ref.sha256[:2] / ref.sha256[2:]
    assert store.read(ref) == SCAN
    assert store.read_sha256(ref.sha256) == SCAN
    assert store.problem(ref) is None


def test_the_same_bytes_are_stored_once(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path)
    first = store.put(SCAN, "a.pdf")
    again = store.put(SCAN, "a.pdf")
    renamed = store.put(SCAN, "copy of a.pdf")
    assert first == again
    assert renamed.sha256 == first.sha256
    assert stored_files(tmp_path) == [store.path_for(first.sha256)]


def test_the_media_type_is_guessed_from_the_name_unless_given(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path)
    assert store.put(b"\x89PNG", "photo.png").media_type == "image/png"
    assert store.put(b"?", "no-extension").media_type == "application/octet-stream"
    assert store.put(b"%PDF", "scan", "Application/PDF").media_type == "application/pdf"


def test_a_damaged_file_is_repaired_by_putting_its_bytes_again(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path)
    ref = store.put(SCAN, "a.pdf")
    path = store.path_for(ref.sha256)
    make_writable(path)
    path.write_bytes(b"x" * len(SCAN))
    assert store.put(SCAN, "a.pdf") == ref
    assert store.problem(ref) is None


def test_a_failed_write_leaves_no_partial_file(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    store = EvidenceStore(tmp_path)

    def crash(*_: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(TabienError, match="cannot store the evidence file") as refused:
        store.put(SCAN, "a.pdf")
    assert "จัดเก็บ" in refused.value.message_th
    assert stored_files(tmp_path) == []


@pytest.mark.parametrize("sha256", [
    "../../etc/passwd",
    "../" + "0" * 61,
    "0" * 63,
    "0" * 65,
    "A" * 64,
    "0" * 63 + "/",
    "0" * 64 + "\n",
    "",
])
def test_only_a_sha256_can_name_a_path(tmp_path: Path, sha256: str) -> None:
    store = EvidenceStore(tmp_path)
    with pytest.raises(InvalidInput, match="64 lowercase hexadecimal") as refused:
        store.path_for(sha256)
    assert "64 หลัก" in refused.value.message_th
    with pytest.raises(InvalidInput):
        store.read_sha256(sha256)


def test_empty_and_oversize_files_are_refused(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path, max_bytes=10)
    with pytest.raises(InvalidInput, match="empty") as empty:
        store.put(b"", "a.pdf")
    assert "ว่างเปล่า" in empty.value.message_th
    with pytest.raises(InvalidInput, match="the limit is 10") as large:
        store.put(b"x" * 11, "a.pdf")
    assert "เกินขนาด" in large.value.message_th
    assert store.put(b"x" * 10, "a.pdf").size == 10
    assert EvidenceStore(tmp_path).max_bytes == 50 * 1024 * 1024


def test_problem_says_missing_altered_or_size(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path)
    ref = store.put(SCAN, "a.pdf")
    path = store.path_for(ref.sha256)
    make_writable(path)
    path.write_bytes(SCAN[:-1] + b"!")
    assert store.problem(ref) == "altered: hash differs"
    with pytest.raises(IntegrityError, match="altered"):
        store.read(ref)
    path.write_bytes(SCAN + b"more")
    problem = store.problem(ref)
    assert problem is not None
    assert problem.startswith("altered: size differs")
    path.unlink()
    assert store.problem(ref) == "missing"
    with pytest.raises(NotFound):
        store.read(ref)


@pytest.mark.parametrize(("fields", "words"), [
    ({"sha256": "xyz"}, "64 lowercase hexadecimal"),
    ({"name": ""}, "needs a name"),
    ({"name": "../../etc/passwd"}, "path separator"),
    ({"name": "a\nb.pdf"}, "control character"),
    ({"media_type": "pdf"}, "media type"),
    ({"media_type": "APPLICATION/PDF"}, "media type"),
    ({"size": 0}, "positive number of bytes"),
    ({"size": True}, "positive number of bytes"),
])
def test_an_evidence_reference_refuses_bad_fields(fields: dict[str, Any], words: str) -> None:
    good: dict[str, Any] = {"sha256": "0" * 64, "name": "a.pdf", "media_type": "application/pdf",
                            "size": 1}
    with pytest.raises(InvalidInput, match=words):
        EvidenceRef(**(good | fields))


# --------------------------------------------------------------- the record rule


def evidence_ref() -> EvidenceRef:
    return EvidenceRef(hashlib.sha256(SCAN).hexdigest(), "a.pdf", "application/pdf", len(SCAN))


def attach(record: PersonnelRecord, to: int, on: date = date(2024, 4, 1)) -> None:
    record.record(PersonnelRecord.EvidenceAttached, effective_date=on,
                  order=order("12/2567", on), attached_to=to, evidence=evidence_ref(),
                  description="สำเนาคำสั่ง")


def test_evidence_is_attached_to_an_entry_or_to_the_whole_record() -> None:
    record = open_person(1)
    attach(record, 2)
    attach(record, 0)
    assert [e.KIND for e in record.collect_events()][-2:] == ["evidence_attached"] * 2


def test_attaching_to_an_entry_that_does_not_exist_breaks_a_rule() -> None:
    record = open_person(1)
    with pytest.raises(RuleViolation, match="entry 7 does not exist") as refused:
        attach(record, 7)
    assert refused.value.rule == "record.evidence-unknown-entry"
    assert "ไม่มีรายการลำดับที่ 7" in refused.value.message_th


def test_evidence_can_be_attached_after_the_person_left_service() -> None:
    record = open_person(1)
    record.record(PersonnelRecord.LeftService, effective_date=date(2020, 1, 1),
                  order=order("1/2563", date(2020, 1, 1)), reason="resigned")
    attach(record, 2, on=date(2024, 4, 1))
    assert record.entries[record.version].kind == "evidence_attached"


def test_an_evidence_entry_can_be_given_as_json() -> None:
    ref = evidence_ref()
    entry = parse_entry({
        "national_id": national_id(1), "kind": "evidence_attached",
        "effective_date": "2024-04-01",
        "order": {"authority": AREA, "order_number": "12/2567", "order_date": "1/4/2567"},
        "attached_to": 2, "description": "สำเนาคำสั่ง",
        "evidence": orjson.loads(orjson.dumps(ref)),
    })
    assert entry.fields["evidence"] == ref


@pytest.mark.parametrize(("evidence", "words"), [
    ("not an object", "must be an object"),
    ({"sha256": "0" * 64}, "missing: name, media_type, size"),
    ({"sha256": "0" * 64, "name": "a", "media_type": "text/plain", "size": 1, "x": 1},
     "unknown: x"),
    ({"sha256": "../x", "name": "a", "media_type": "text/plain", "size": 1},
     "64 lowercase hexadecimal"),
    ({"sha256": "0" * 64, "name": "a", "media_type": "text/plain", "size": "1"},
     "evidence.size must be a whole number"),
])
def test_a_bad_evidence_object_is_refused_clearly(evidence: object, words: str) -> None:
    with pytest.raises(InvalidInput, match=words):
        parse_entry({"national_id": national_id(1), "kind": "evidence_attached",
                     "effective_date": "2024-04-01",
                     "order": {"authority": AREA, "order_number": "1", "order_date": "1/4/2567"},
                     "attached_to": 0, "description": "", "evidence": evidence})


# ------------------------------------------------------- the CLI and tabien verify


def person(env: LedgerEnv, n: int = 1) -> str:
    """A record the CLI can find: its id under the key folder's identity secret."""
    record = open_person(n)
    nid = national_id(n)
    events = record.collect_events()
    ours = PersonnelRecord.open(record_id_for(nid, env.store.identity_secret()),
                                **_fields(events[0]))
    ours.record(PersonnelRecord.Appointed, **_fields(events[1]))
    write_history(env.ledger, env.keys.authority, ours, purpose="บรรจุและแต่งตั้ง")
    return nid


def _fields(event: Any) -> dict[str, Any]:
    reserved = {"originator_id", "originator_version", "timestamp", "originator_topic"}
    return {k: v for k, v in vars(event).items() if k not in reserved}


def tabien(env: LedgerEnv, evidence: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args),
                                env=env.cli_env | {"TABIEN_EVIDENCE_DIR": str(evidence)})
    return result.exit_code, result.output


def attach_scan(env: LedgerEnv, tmp_path: Path, nid: str, to: int = 2) -> tuple[int, str]:
    scan = tmp_path / "คำสั่ง 12-2567.pdf"
    scan.write_bytes(SCAN)
    return tabien(env, tmp_path / "evidence", "evidence", "attach", nid, str(scan),
                  "--to", str(to), "--description", "สำเนาคำสั่งบรรจุ", *ORDER_ARGS)


def lose_the_file(path: Path) -> None:
    path.unlink()


def alter_one_byte(path: Path) -> None:
    make_writable(path)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(("damage", "named"), [(lose_the_file, "missing"),
                                               (alter_one_byte, "altered")])
def test_verify_covers_attached_files(ledger_env: LedgerEnv, tmp_path: Path, damage: Any,
                                      named: str) -> None:
    code, output = attach_scan(ledger_env, tmp_path, person(ledger_env))
    assert code == 0, output
    evidence = tmp_path / "evidence"
    code, output = tabien(ledger_env, evidence, "verify")
    assert code == 0, output
    assert "intact" in output
    [stored] = stored_files(evidence)
    damage(stored)
    code, output = tabien(ledger_env, evidence, "verify")
    assert code == 1, output
    assert "[evidence]" in output
    assert named in output
    assert hashlib.sha256(SCAN).hexdigest() in output
    assert "คำสั่ง 12-2567.pdf" in output
    assert "version 3" in output


def test_attaching_to_a_version_that_does_not_exist_writes_nothing(
        ledger_env: LedgerEnv, tmp_path: Path) -> None:
    nid = person(ledger_env)
    before = ledger_env.ledger.store.count_events()
    code, output = attach_scan(ledger_env, tmp_path, nid, to=9)
    assert code == 2, output
    assert "record.evidence-unknown-entry" in output
    assert "ไม่มีรายการลำดับที่ 9" in output
    assert ledger_env.ledger.store.count_events() == before
    assert stored_files(tmp_path / "evidence") == []


def test_an_empty_file_is_refused_before_anything_is_written(
        ledger_env: LedgerEnv, tmp_path: Path) -> None:
    nid = person(ledger_env)
    before = ledger_env.ledger.store.count_events()
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    code, output = tabien(ledger_env, tmp_path / "evidence", "evidence", "attach", nid,
                          str(empty), "--to", "0", "--description", "x", *ORDER_ARGS)
    assert code == 2, output
    assert "empty" in output
    assert "ว่างเปล่า" in output
    assert ledger_env.ledger.store.count_events() == before


def test_show_writes_the_file_only_while_it_is_intact(ledger_env: LedgerEnv,
                                                      tmp_path: Path) -> None:
    assert attach_scan(ledger_env, tmp_path, person(ledger_env))[0] == 0
    evidence, sha256 = tmp_path / "evidence", hashlib.sha256(SCAN).hexdigest()
    copy = tmp_path / "copy.pdf"
    code, output = tabien(ledger_env, evidence, "evidence", "show", sha256.upper(),
                          "--output", str(copy))
    assert code == 0, output
    assert copy.read_bytes() == SCAN
    alter_one_byte(stored_files(evidence)[0])
    code, output = tabien(ledger_env, evidence, "evidence", "show", sha256)
    assert code == 1
    assert "altered" in output
    assert "ถูกแก้ไข" in output
    code, output = tabien(ledger_env, evidence, "evidence", "show", "../../etc/passwd")
    assert code == 2
    assert "64 lowercase hexadecimal" in output


def test_a_reference_from_evidence_put_can_be_appended_as_json(
        ledger_env: LedgerEnv, tmp_path: Path) -> None:
    nid, evidence = person(ledger_env), tmp_path / "evidence"
    scan = tmp_path / "degree.jpg"
    scan.write_bytes(SCAN)
    code, output = tabien(ledger_env, evidence, "evidence", "put", str(scan))
    assert code == 0, output
    line = {"national_id": nid, "kind": "evidence_attached", "effective_date": "2024-04-01",
            "attached_to": 0, "description": "ปริญญาบัตร", "evidence": orjson.loads(output)}
    entries = tmp_path / "entries.jsonl"
    entries.write_bytes(orjson.dumps(line))
    # Drafted as order 12/2567 of the area (the line names no order: it is given this one),
    # then checked and issued.
    for args in (["append", str(entries), "--number", "12/2567", "--date", "1/4/2567"],
                 ["order", "check", "12/2567"], ["order", "issue", "12/2567"]):
        code, output = tabien(ledger_env, evidence, *args)
        assert code == 0, output
    assert tabien(ledger_env, evidence, "verify")[0] == 0
    lose_the_file(stored_files(evidence)[0])
    code, output = tabien(ledger_env, evidence, "verify")
    assert code == 1
    assert "'degree.jpg'" in output
    assert "missing" in output


# ------------------------------------------------------------- tampering in SQL


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_reference_is_inside_the_signed_event(ledger_env: LedgerEnv, tmp_path: Path) -> None:
    assert attach_scan(ledger_env, tmp_path, person(ledger_env))[0] == 0
    evidence = tmp_path / "evidence"
    # The attacker swaps in another file that really is in the store, so only the event's
    # own hash can tell.
    other = EvidenceStore(evidence).put(SCAN + b"forged", "x.pdf")
    db = RawDB(ledger_env)
    position, *_, state, _ = db.rows()[-1]
    original = hashlib.sha256(SCAN).hexdigest().encode()
    assert original in state
    forged = bytes(state).replace(original, other.sha256.encode()) \
        .replace(b'"size":%d' % len(SCAN), b'"size":%d' % other.size)
    db.run("UPDATE {events} SET state = ? WHERE {id} = ?", (forged, position))
    code, output = tabien(ledger_env, evidence, "verify")
    assert code == 1, output
    assert "[hash]" in output
    assert "[evidence]" not in output


def test_a_malformed_state_is_reported_never_fatal(ledger_env: LedgerEnv,
                                                   tmp_path: Path) -> None:
    assert attach_scan(ledger_env, tmp_path, person(ledger_env))[0] == 0
    db = RawDB(ledger_env)
    position = db.rows()[-1][0]
    db.run("UPDATE {events} SET state = ? WHERE {id} = ?",
           (b'{"evidence":{"sha256":"../../etc/passwd"', position))
    code, output = tabien(ledger_env, tmp_path / "evidence", "verify")
    assert code == 1, output
    assert "[hash]" in output
    assert "[evidence]" in output
    assert "cannot be read" in output


# ------------------------------------------------- other aggregates' evidence fields


class Exhibit(Aggregate):
    """Stands in for any other aggregate (e.g. an order) whose events hold a reference."""

    class Created(Aggregate.Created):
        evidence: EvidenceRef | None
        more: list[EvidenceRef]

    def __init__(self, evidence: EvidenceRef | None, more: list[EvidenceRef]) -> None:
        self.evidence = evidence
        self.more = more


def test_verify_finds_references_in_any_aggregate(ledger_env: LedgerEnv,
                                                  tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path / "evidence")
    kept = store.put(SCAN, "kept.pdf")
    lost = store.put(SCAN + b"lost", "lost.pdf")
    ledger_env.ledger.submit(ledger_env.keys.registrar, Exhibit(kept, []),
                             Exhibit(lost, [kept]), Exhibit(None, [kept, lost]),
                             purpose="exhibits")
    store.path_for(lost.sha256).unlink()
    ledger = ledger_env.ledger
    report = verify_ledger(ledger.store, ledger.mapper, evidence=store)
    assert [f.check for f in report.findings] == ["evidence", "evidence"]
    assert "'lost.pdf', field evidence): missing" in report.findings[0].message
    assert "'lost.pdf', field more[1]): missing" in report.findings[1].message
    assert lost.sha256 in report.findings[0].message
    assert verify_ledger(ledger.store, ledger.mapper).ok  # without a store, files are unseen


def test_which_event_classes_can_hold_evidence() -> None:
    assert can_hold_evidence(PersonnelRecord.EvidenceAttached)
    assert can_hold_evidence(Exhibit.Created)
    assert not can_hold_evidence(PersonnelRecord.SalaryRaised)
    assert not can_hold_evidence(PersonnelRecord.EntryCorrected)  # changes: dict[str, Any]


def test_an_unknown_topic_is_never_imported(ledger_env: LedgerEnv, tmp_path: Path) -> None:
    assert attach_scan(ledger_env, tmp_path, person(ledger_env))[0] == 0
    db = RawDB(ledger_env)
    # `this` prints the Zen of Python when imported: harmless, and easy to see if it was.
    assert "this" not in sys.modules
    db.run("UPDATE {events} SET topic = ? WHERE {id} = ?", ("this:s", db.rows()[-1][0]))
    store = EvidenceStore(tmp_path / "evidence")
    report = verify_ledger(ledger_env.ledger.store, ledger_env.ledger.mapper, evidence=store)
    assert "this" not in sys.modules
    evidence = [f for f in report.findings if f.check == "evidence"]
    assert len(evidence) == 1
    assert "'this:s' is not known here" in evidence[0].message
    assert "hash" in {f.check for f in report.findings}
