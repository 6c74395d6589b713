"""Addresses and photos enter as every other entry does: checked at input, signed, and kept
(a photo in the evidence store by its SHA-256, which ``tabien verify`` checks). Malformed,
unauthorised and duplicate input is refused with a clear message in Thai and English, and
nothing is written."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from api.cli import app
from commands.bootstrap import add_area
from commands.orders import OrderDesk
from ledger.errors import RuleViolation, SignatureError
from ledger.evidence import EvidenceRef, EvidenceStore
from ledger.identity import record_id_for
from ledger.record import PersonnelRecord
from projections.kks16 import build_record
from tests.conftest import LedgerEnv
from tests.factories import AREA, national_id, open_person, order
from tests.test_bad_input import GOOD_ORDER, append_as_order, events, opening

PHOTO = b"\x89PNG\r\n\x1a\n a passport photo"
OTHER_AREA = "สพม.11"


def photo_ref(data: bytes = PHOTO, media_type: str = "image/png") -> dict[str, Any]:
    return {"sha256": hashlib.sha256(data).hexdigest(), "name": "รูปถ่าย-2567.png",
            "media_type": media_type, "size": len(data)}


def address(n: int = 1, **overrides: Any) -> dict[str, Any]:
    line = {"national_id": national_id(n), "kind": "address_recorded",
            "effective_date": "2024-06-01", "order": GOOD_ORDER, "address_type": "current",
            "address": "99 หมู่ 2 ตำบลท่าซัก อำเภอเมือง จังหวัดนครศรีธรรมราช",
            "telephone": "075-123456"}
    line.update(overrides)
    return line


def photo(n: int = 1, **overrides: Any) -> dict[str, Any]:
    line = {"national_id": national_id(n), "kind": "photo_recorded",
            "effective_date": "1/6/2567", "order": GOOD_ORDER, "photo": photo_ref()}
    line.update(overrides)
    return line


def tabien(env: LedgerEnv, tmp_path: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        app, list(args), env=env.cli_env | {"TABIEN_EVIDENCE_DIR": str(tmp_path / "evidence")})
    return result.exit_code, result.output


def append(env: LedgerEnv, tmp_path: Path, *lines: dict[str, Any]) -> tuple[int, str]:
    """The lines drafted as an order by ``tabien append``, then checked and issued."""
    return append_as_order(lambda args: tabien(env, tmp_path, *args),
                           tmp_path / "entries.jsonl", *lines)


def record_of(env: LedgerEnv, n: int = 1) -> PersonnelRecord:
    return env.ledger.record(record_id_for(national_id(n), env.store.identity_secret()))


@pytest.fixture
def opened(ledger_env: LedgerEnv, tmp_path: Path) -> LedgerEnv:
    code, output = append(ledger_env, tmp_path, opening(1))
    assert code == 0, output
    return ledger_env


def test_an_address_and_a_photo_are_appended_and_shown(opened: LedgerEnv,
                                                       tmp_path: Path) -> None:
    code, output = append(opened, tmp_path, address(),
                          address(address_type="registered", address="12 ถนนราชดำเนิน",
                                  telephone=""), photo())
    assert code == 0, output
    record = build_record(opened.ledger.events.get(record_of(opened).id))
    assert record.current_address.startswith("99 หมู่ 2")
    assert record.telephone == "075-123456"
    assert record.registered_address == "12 ถนนราชดำเนิน"
    assert [(p.year, p.sha256) for p in record.photos] == [(2567, photo_ref()["sha256"])]


@pytest.mark.parametrize(("line", "english", "thai"), [
    (address(address_type="home"), "unknown address type", "ไม่รู้จักประเภทที่อยู่"),
    (address(address="   "), "the address is empty", "ต้องระบุที่อยู่"),
    (address(address="99 หมู่ 2\x00"), "control character", "อักขระควบคุม"),
    (address(address=["99", "หมู่ 2"]), "must be text", "ต้องเป็นข้อความ"),
    (address(telephone="<script>alert(1)</script>"), "not a telephone number",
     "ไม่ใช่หมายเลขโทรศัพท์"),
    ({k: v for k, v in address().items() if k != "telephone"}, "field telephone is required",
     "ต้องระบุช่อง telephone"),
    (address(effective_date="2567-06-01"), "Buddhist-Era year", "พุทธศักราช"),
    (address(owner="someone else"), "unknown field", "ไม่รู้จัก"),
    (photo(photo=photo_ref(media_type="application/pdf")), "must be an image",
     "ต้องเป็นไฟล์ภาพ"),
    (photo(photo={**photo_ref(), "sha256": "../../etc/passwd"}), "64 lowercase hexadecimal",
     "เลขฐานสิบหก"),
    (photo(photo={k: v for k, v in photo_ref().items() if k != "size"}), "missing: size",
     "ต้องเป็นออบเจกต์"),
    (photo(photo="รูปถ่าย.png"), "must be an object", "ต้องเป็นออบเจกต์"),
    (photo(effective_date="1/6/2024"), "1/6/2024", "2024"),
])
def test_malformed_addresses_and_photos_are_refused_and_nothing_is_written(
        opened: LedgerEnv, tmp_path: Path, line: dict[str, Any], english: str,
        thai: str) -> None:
    before = events(opened)
    # A good line beside the bad one: the whole file is refused.
    code, output = append(opened, tmp_path, address(telephone=""), line)
    assert code == 2, output
    assert english in output, output
    assert thai in output, output
    assert events(opened) == before


def test_an_unknown_staff_type_is_refused_with_the_codes_that_exist(
        opened: LedgerEnv, tmp_path: Path) -> None:
    before = events(opened)
    appointed = {"national_id": national_id(1), "kind": "appointed",
                 "effective_date": "2024-05-16", "order": GOOD_ORDER, "position_title": "ครู",
                 "position_number": "P1", "unit": "โรงเรียนทุ่งสง", "area": AREA,
                 "rank": "assistant", "salary": 15_050, "staff_type": "ครู",
                 "on_probation": True}
    code, output = append(opened, tmp_path, appointed)
    assert code == 2, output
    assert "unknown staff type" in output
    assert "ไม่รู้จักประเภทข้าราชการ" in output
    assert "teacher (ข้าราชการครู)" in output
    assert events(opened) == before


# ------------------------------------------------------------------- duplicates


def test_the_same_photo_twice_is_refused_and_nothing_is_written(
        opened: LedgerEnv, tmp_path: Path) -> None:
    before = events(opened)
    code, output = append(opened, tmp_path, photo(), photo(effective_date="2025-01-01"))
    assert code == 2, output
    assert "already on the record" in output
    assert "บันทึกไว้แล้ว" in output
    assert events(opened) == before
    # Recorded once, it is refused again later too.
    assert append(opened, tmp_path, photo())[0] == 0
    code, output = append(opened, tmp_path, photo(effective_date="2025-01-01"))
    assert code == 2, output
    assert "record.photo-duplicate" in output


def test_the_address_already_in_force_is_refused_and_a_new_one_is_not(
        opened: LedgerEnv, tmp_path: Path) -> None:
    assert append(opened, tmp_path, address())[0] == 0
    before = events(opened)
    code, output = append(opened, tmp_path, address(effective_date="2025-01-01"))
    assert code == 2, output
    assert "record.address-unchanged" in output
    assert "ที่อยู่ปัจจุบันนี้บันทึกไว้แล้ว" in output
    assert events(opened) == before
    moved = address(effective_date="2025-01-01", address="1 ถนนใหม่ อำเภอทุ่งสง")
    assert append(opened, tmp_path, moved)[0] == 0


def test_a_revoked_photo_may_be_recorded_again() -> None:
    record = open_person(1)
    ref = EvidenceRef(**photo_ref())
    record.record(PersonnelRecord.PhotoRecorded, effective_date=date(2024, 6, 1),
                  order=order("1/2567", date(2024, 6, 1)), photo=ref)
    wrong = record.version
    with pytest.raises(RuleViolation, match="already on the record"):
        record.record(PersonnelRecord.PhotoRecorded, effective_date=date(2024, 6, 2),
                      order=order("2/2567", date(2024, 6, 2)), photo=ref)
    record.record(PersonnelRecord.EntryRevoked, effective_date=date(2024, 6, 3),
                  order=order("3/2567", date(2024, 6, 3)), revokes=wrong,
                  reason="บันทึกผิดวันที่")
    record.record(PersonnelRecord.PhotoRecorded, effective_date=date(2024, 6, 4),
                  order=order("4/2567", date(2024, 6, 4)), photo=ref)
    assert [p.version for p in build_record(record.collect_events()).photos] == [record.version]


# ------------------------------------------------------------------ authority


def test_a_key_that_may_not_sign_career_entries_writes_no_address(opened: LedgerEnv) -> None:
    record = record_of(opened)
    record.record(PersonnelRecord.AddressRecorded, effective_date=date(2024, 6, 1),
                  order=order("15/2567", date(2024, 4, 20)), address_type="current",
                  address="99 หมู่ 2", telephone="")
    before = events(opened)
    with pytest.raises(SignatureError, match="may not sign") as refused:
        opened.ledger.submit(opened.keys.checkpoint, record, purpose="ที่อยู่")
    assert "ไม่มีสิทธิ์ลงนาม" in refused.value.message_th
    assert events(opened) == before


def test_another_areas_order_cannot_record_her_address_or_photo(opened: LedgerEnv) -> None:
    others = add_area(opened.ledger, opened.store, opened.keys.admin, OTHER_AREA)
    desk = OrderDesk(opened.ledger, opened.store.identity_secret())
    ref = {"authority": OTHER_AREA, "order_number": "5/2567", "order_date": "2024-06-01"}
    drafted = desk.draft(others.registrar, authority=OTHER_AREA, area=OTHER_AREA,
                         order_number="5/2567", order_date=date(2024, 6, 1),
                         title="บันทึกที่อยู่และรูปถ่าย",
                         lines=[address(order=ref), photo(order=ref)])
    report = desk.check(others.registrar, drafted)
    assert {(line.line, f.rule) for line in report.lines for f in line.failures} == \
        {(1, "person.area"), (2, "person.area")}
    assert any("ผิดเขตพื้นที่" in f.message_th for line in report.lines for f in line.failures)
    before = events(opened)
    with pytest.raises(RuleViolation, match=r"person\.area"):
        desk.issue(others.authority, desk.order(OTHER_AREA, "5/2567"))
    assert events(opened) == before


# ------------------------------------------------------------------ tabien verify


def test_verify_checks_the_photo_file(opened: LedgerEnv, tmp_path: Path) -> None:
    picture = tmp_path / "รูปถ่าย-2567.png"
    picture.write_bytes(PHOTO)
    code, output = tabien(opened, tmp_path, "evidence", "put", str(picture))
    assert code == 0, output
    assert orjson.loads(output) == photo_ref()
    assert append(opened, tmp_path, photo())[0] == 0
    code, output = tabien(opened, tmp_path, "verify")
    assert code == 0, output
    store = EvidenceStore(tmp_path / "evidence")
    store.path_for(photo_ref()["sha256"]).unlink()
    code, output = tabien(opened, tmp_path, "verify")
    assert code == 1, output
    assert "[evidence]" in output
    assert "'รูปถ่าย-2567.png', field photo): missing" in output
