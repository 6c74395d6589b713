"""Bad input is refused with a clear message (Thai and English) and nothing is written."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner

from api.cli import app
from ledger.errors import Conflict, SignatureError
from ledger.keys import Signer, SigningKey, key_record_id
from tests.conftest import LedgerEnv
from tests.factories import draft_order, national_id, open_person, raise_salary, write_history

GOOD_ORDER = {"authority": "สพม.16", "order_number": "15/2567", "order_date": "2024-04-20"}


def opening(n: int, **overrides: Any) -> dict[str, Any]:
    line = {
        "national_id": national_id(n), "kind": "record_opened", "effective_date": "2024-05-16",
        "order": GOOD_ORDER, "prefix": "นาย", "first_name": "สมชาย", "last_name": "ใจดี",
        "birth_date": "1/2/2539", "area": "สพม.16", "gender": "ชาย", "father_name": "",
        "mother_name": "", "spouse_name": "", "domicile": "นครศรีธรรมราช",
    }
    line.update(overrides)
    return line


_NUMBERS = itertools.count(100)


def append_as_order(invoke: Callable[[list[str]], tuple[int, str]], path: Path,
                    *lines: dict[str, Any] | str) -> tuple[int, str]:
    """``tabien append`` drafts the lines as an order, which is then checked and issued: the
    first step that fails, or the last, with everything said so far. Lines citing
    ``GOOD_ORDER`` are left to name the drafted order instead (a number is used once)."""
    number = f"{next(_NUMBERS)}/2567"
    path.write_text("\n".join(
        line if isinstance(line, str) else
        orjson.dumps({k: v for k, v in line.items()
                      if k != "order" or v != GOOD_ORDER}).decode()
        for line in lines), encoding="utf-8")
    said = []
    for args in (["append", str(path), "--number", number, "--date", GOOD_ORDER["order_date"]],
                 ["order", "check", number], ["order", "issue", number]):
        code, output = invoke(args)
        said.append(output)
        if code != 0:
            break
    return code, "\n".join(said)


def run_append(env: LedgerEnv, tmp_path: Path, *lines: dict[str, Any] | str) -> tuple[int, str]:
    def invoke(args: list[str]) -> tuple[int, str]:
        result = CliRunner().invoke(app, args, env=env.cli_env)
        return result.exit_code, result.output

    return append_as_order(invoke, tmp_path / "entries.jsonl", *lines)


def events(env: LedgerEnv) -> int:
    """The events of personnel records: an order's own draft and check are not entries."""
    return sum(1 for n in env.ledger.recorder.select_notifications(None, 10**9)
               if n.topic.startswith("ledger.record:"))


def test_a_good_file_is_appended(ledger_env: LedgerEnv, tmp_path: Path) -> None:
    before = events(ledger_env)
    code, output = run_append(ledger_env, tmp_path, opening(1), opening(2))
    assert code == 0, output
    assert events(ledger_env) == before + 2


@pytest.mark.parametrize(("line", "english", "thai"), [
    (opening(1, national_id="1-1001-00000-01-0"), "fails its check", "ไม่ผ่านการตรวจสอบ"),
    (opening(1, kind="promoted_to_king"), "unknown event kind", "ไม่รู้จักประเภทรายการ"),
    (opening(1, order={**GOOD_ORDER, "order_number": "16/2567"}), "must be this order",
     "ต้องอ้างอิงคำสั่งนี้"),
    (opening(1, effective_date="2567-04-01"), "Buddhist-Era year", "พุทธศักราช"),
    (opening(1, order={"authority": "สพม.16", "order_number": "", "order_date": "2024-01-01"}),
     "order number", "เลขที่คำสั่ง"),
    ("{not json", "not valid JSON", "ไม่ใช่ JSON"),
    (opening(1, salary="หนึ่งหมื่น"), "unknown field", "ไม่รู้จัก"),
])
def test_bad_lines_are_refused_and_nothing_is_written(
        ledger_env: LedgerEnv, tmp_path: Path, line: dict[str, Any] | str, english: str,
        thai: str) -> None:
    before = events(ledger_env)
    # One good line beside the bad one: the whole file is refused, not just the bad line.
    code, output = run_append(ledger_env, tmp_path, opening(2), line)
    assert code == 2, output
    assert english in output, output
    assert thai in output, output
    assert "line 2" in output
    assert events(ledger_env) == before


def test_an_entry_after_leaving_service_is_refused(ledger_env: LedgerEnv, tmp_path: Path) -> None:
    appointed = {"national_id": national_id(3), "kind": "appointed",
                 "effective_date": "2024-05-16", "position_title": "ครูผู้ช่วย",
                 "position_number": "P3", "unit": "โรงเรียนทุ่งสง", "area": "สพม.16",
                 "rank": "assistant", "salary": 15_050, "staff_type": "teacher",
                 "on_probation": True}
    assert run_append(ledger_env, tmp_path, opening(3), appointed)[0] == 0
    left = {"national_id": national_id(3), "kind": "left_service", "effective_date": "2025-01-01",
            "order": GOOD_ORDER, "reason": "resigned"}
    assert run_append(ledger_env, tmp_path, left)[0] == 0
    before = events(ledger_env)
    late = dict(left, kind="special_skill", description="ดนตรีไทย")
    late.pop("reason")
    code, output = run_append(ledger_env, tmp_path, late)
    assert code == 2
    assert "left service" in output
    assert "พ้นจากราชการ" in output
    assert events(ledger_env) == before


# ------------------------------------------------------------------- signatures


def test_an_unsigned_submission_is_refused(ledger_env: LedgerEnv) -> None:
    before = events(ledger_env)
    draft = ledger_env.ledger.prepare(open_person(5))
    with pytest.raises(SignatureError, match="not signed"):
        ledger_env.ledger.append(draft, None)
    assert events(ledger_env) == before


def test_a_submission_signed_by_another_key_is_refused(ledger_env: LedgerEnv) -> None:
    before = events(ledger_env)
    draft = ledger_env.ledger.prepare(open_person(6))
    impostor = Signer(ledger_env.keys.registrar.key_id, "registrar-spm16",
                      Ed25519PrivateKey.generate())
    with pytest.raises(SignatureError, match="does not verify") as refused:
        ledger_env.ledger.append(draft, draft.sign(impostor, "forged"))
    assert "ลายมือชื่อ" in refused.value.message_th
    assert events(ledger_env) == before


def test_events_changed_after_signing_are_refused(ledger_env: LedgerEnv) -> None:
    draft = ledger_env.ledger.prepare(open_person(7))
    submission = draft.sign(ledger_env.keys.registrar, "ok")
    other = ledger_env.ledger.prepare(open_person(8))
    with pytest.raises(SignatureError, match="root does not match"):
        ledger_env.ledger.append(other, submission)


def test_a_stale_signature_is_refused(ledger_env: LedgerEnv) -> None:
    draft = ledger_env.ledger.prepare(open_person(9))
    stale = draft.sign(ledger_env.keys.registrar, "old",
                       signed_at=datetime.now(UTC) - timedelta(hours=2))
    with pytest.raises(SignatureError, match="too far"):
        ledger_env.ledger.append(draft, stale)


def test_a_revoked_key_is_refused(ledger_env: LedgerEnv) -> None:
    ledger = ledger_env.ledger
    key = ledger.key(ledger_env.keys.registrar.key_id)
    key.revoke(datetime.now(UTC) - timedelta(seconds=1), "เครื่องคอมพิวเตอร์สูญหาย")
    ledger.submit(ledger_env.keys.admin, key, purpose="revoke the registrar key")
    before = events(ledger_env)
    with pytest.raises(SignatureError, match="revoked") as refused:
        ledger.submit(ledger_env.keys.registrar, draft_order(10), purpose="after revocation")
    assert "เพิกถอน" in refused.value.message_th
    assert events(ledger_env) == before


def test_a_key_not_yet_valid_is_refused(ledger_env: LedgerEnv) -> None:
    ledger = ledger_env.ledger
    private = Ed25519PrivateKey.generate()
    future = SigningKey.register("registrar-next", "registrar", "สพม.16", private.public_key(),
                                 datetime.now(UTC) + timedelta(days=30))
    ledger.submit(ledger_env.keys.admin, future, purpose="register next year's key")
    before = events(ledger_env)
    signer = Signer(future.key_id, "registrar-next", private)
    with pytest.raises(SignatureError, match="not valid yet"):
        ledger.submit(signer, draft_order(11), purpose="too early")
    assert events(ledger_env) == before


def test_an_unregistered_key_is_refused(ledger_env: LedgerEnv) -> None:
    private = Ed25519PrivateKey.generate()
    signer = Signer("stranger+00000000", "stranger", private)
    with pytest.raises(Exception, match="not registered"):
        ledger_env.ledger.submit(signer, draft_order(12), purpose="who?")


def test_a_checkpoint_key_may_not_sign_career_events(ledger_env: LedgerEnv) -> None:
    with pytest.raises(SignatureError, match="may not sign"):
        ledger_env.ledger.submit(ledger_env.keys.checkpoint, open_person(13), purpose="x")


def test_only_the_admin_may_register_keys(ledger_env: LedgerEnv) -> None:
    key = SigningKey.register("rogue", "admin", "", Ed25519PrivateKey.generate().public_key(),
                              datetime.now(UTC))
    with pytest.raises(SignatureError, match="may not sign"):
        ledger_env.ledger.submit(ledger_env.keys.registrar, key, purpose="self-promotion")
    assert key_record_id(key.key_id) not in ledger_env.ledger.repository


# ------------------------------------------------------------- two writers


def test_two_writers_on_one_record_one_wins_the_other_conflicts(ledger_env: LedgerEnv) -> None:
    ledger = ledger_env.ledger
    opened = open_person(20)
    write_history(ledger, ledger_env.keys.authority, opened, purpose="opening")
    record_id = opened.id
    first, second = ledger_env.reopen().record(record_id), ledger_env.reopen().record(record_id)
    raise_salary(first, date(2011, 4, 1), 15_500)
    raise_salary(second, date(2011, 4, 1), 15_600)
    write_history(ledger, ledger_env.keys.authority, first, purpose="writer one")
    before = events(ledger_env)
    with pytest.raises(Conflict) as lost:
        write_history(ledger, ledger_env.keys.authority, second, purpose="writer two")
    assert "ลองอีกครั้ง" in lost.value.message_th
    assert events(ledger_env) == before
    assert ledger_env.reopen().record(record_id).salary == 15_500


# U+202E RIGHT-TO-LEFT OVERRIDE, U+2066 LEFT-TO-RIGHT ISOLATE … U+2069 POP DIRECTIONAL ISOLATE
BIDI = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068",
        "\u2069"]


@pytest.mark.parametrize("mark", BIDI)
@pytest.mark.parametrize("field", ["first_name", "domicile"])
def test_a_bidirectional_control_in_a_text_field_is_refused(
        ledger_env: LedgerEnv, tmp_path: Path, field: str, mark: str) -> None:
    """Issue 16: text could hold a right-to-left override, so a name or a place read on a
    form in another order than it is stored."""
    before = events(ledger_env)
    code, output = run_append(ledger_env, tmp_path, opening(2),
                              opening(1, **{field: f"สม{mark}ชาย"}))
    assert code == 2, output
    assert f"field {field} holds a bidirectional control character" in output
    assert f"ช่อง {field} มีอักขระควบคุมทิศทางข้อความ" in output
    assert "line 2" in output
    assert events(ledger_env) == before


def test_a_bidirectional_control_inside_an_object_field_is_refused(
        ledger_env: LedgerEnv, tmp_path: Path) -> None:
    before = events(ledger_env)
    line = {"national_id": national_id(1), "kind": "entry_corrected",
            "effective_date": "2024-05-16", "order": GOOD_ORDER, "corrects": 1,
            "reason": "พิมพ์ผิด", "changes": {"first_name": "ab\u202ecd"}}
    code, output = run_append(ledger_env, tmp_path, opening(1), line)
    assert code == 2, output
    assert "bidirectional control character" in output
    assert events(ledger_env) == before
