"""Self-service for teachers (issue 17, item 7) in the ledger: a teacher's confirmation and
change request are written by the server's service key naming her; her area's registrar
declines a request or turns it into a correction order. Each kind of event is signed by one
role only — refused at the write, and flagged by ``tabien verify`` when forced into the store
past the write. On SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app
from audit.incremental import verify_since
from audit.parallel import Parallel
from audit.verify import verify_in_chunks, verify_ledger
from commands.bootstrap import add_area
from commands.orders import OrderDesk
from commands.self_service import (
    confirm_record,
    confirmations_of,
    decline_request,
    draft_correction_for,
    queue,
    request_change,
    requests_of,
)
from ledger import application
from ledger.application import Ledger
from ledger.checkpoints import create_checkpoint
from ledger.errors import Conflict, InvalidInput, SignatureError
from ledger.evidence import EvidenceRef, EvidenceStore
from ledger.keys import KEY_ROLES, Signer
from ledger.self_service import ChangeRequest
from ledger.signing import SIGNERS
from tests.conftest import LedgerEnv
from tests.factories import AREA, SECRET, open_person, write_history

OTHER = "สพม.11"
SCAN = b"%PDF-1.4\n% the salary order\n" * 10
PDF = EvidenceRef(hashlib.sha256(SCAN).hexdigest(), "สลิปเงินเดือน.pdf", "application/pdf",
                  len(SCAN))


@pytest.fixture
def env(ledger_env: LedgerEnv) -> LedgerEnv:
    write_history(ledger_env.ledger, ledger_env.keys.authority, open_person(1),
                  open_person(2), purpose="บรรจุ")
    return ledger_env


def _request(env: LedgerEnv, n: int = 1, section: str = "positions") -> ChangeRequest:
    return request_change(env.ledger, env.keys.service, open_person(n).id, section=section,
                          reason="เงินเดือนแรกบรรจุไม่ตรงกับคำสั่ง", evidence=[PDF],
                          requested_by="teach")


# ------------------------------------------------------------------ the handlers


def test_a_teacher_confirms_the_version_of_her_record_she_read(env: LedgerEnv) -> None:
    record_id = open_person(1).id
    version = env.ledger.record(record_id).version
    confirmed = confirm_record(env.ledger, env.keys.service, record_id, confirmed_by="teach",
                               record_version=version)
    assert confirmed.record_version == version
    again = confirm_record(env.ledger, env.keys.service, record_id, confirmed_by="teach")
    assert [(c.confirmed_by, c.record_version) for c in confirmations_of(env.ledger,
                                                                           record_id)] == [
        ("teach", version), ("teach", version)]
    assert again.confirmed_at >= confirmed.confirmed_at


def test_a_confirmation_of_a_version_no_longer_current_is_refused(env: LedgerEnv) -> None:
    record_id = open_person(1).id
    before = env.ledger.store.count_events()
    with pytest.raises(Conflict):
        confirm_record(env.ledger, env.keys.service, record_id, confirmed_by="teach",
                       record_version=1)
    assert env.ledger.store.count_events() == before


def test_a_change_request_goes_to_its_areas_queue(env: LedgerEnv) -> None:
    request = _request(env)
    assert request.area == AREA
    assert request.evidence == [PDF]
    assert [r.request.id for r in queue(env.ledger, AREA)] == [request.id]
    assert [(r.request.id, r.status) for r in requests_of(env.ledger, request.record_id)] == [
        (request.id, "submitted")]
    assert queue(env.ledger, OTHER) == []


@pytest.mark.parametrize("bad", [
    {"section": "salary-please"}, {"reason": ""}, {"reason": "ก" * 1001},
    {"reason": "ข้อความ\u202eกลับด้าน"}, {"evidence": [{"sha256": "not-a-hash"}]},
    {"evidence": [PDF] * 11}, {"requested_by": ""}])
def test_a_malformed_request_is_refused_and_nothing_written(env: LedgerEnv,
                                                            bad: dict[str, object]) -> None:
    before = env.ledger.store.count_events()
    fields: dict[str, object] = {"section": "positions", "reason": "ผิด", "evidence": [],
                                 "requested_by": "teach", **bad}
    with pytest.raises(InvalidInput):
        request_change(env.ledger, env.keys.service, open_person(1).id, **fields)  # type: ignore[arg-type]
    assert env.ledger.store.count_events() == before


def test_a_registrar_declines_once_with_a_reason(env: LedgerEnv) -> None:
    request = _request(env)
    declined = decline_request(env.ledger, env.keys.registrar, request.id,
                               reason="หลักฐานไม่ชัดเจน", declined_by="reg")
    assert (declined.status, declined.decline_reason, declined.decided_by) == (
        "declined", "หลักฐานไม่ชัดเจน", "reg")
    with pytest.raises(Conflict):
        decline_request(env.ledger, env.keys.registrar, request.id, reason="อีกครั้ง",
                        declined_by="reg")
    # Decided requests follow the open ones in the queue.
    later = _request(env, 2)
    assert [r.request.id for r in queue(env.ledger, AREA)] == [later.id, request.id]


def test_a_request_turned_into_a_correction_is_done_when_the_order_is_issued(
        env: LedgerEnv) -> None:
    desk = OrderDesk(env.ledger, SECRET)
    request = _request(env)
    drafted, order = draft_correction_for(
        env.ledger, desk, env.keys.registrar, request.id, order_number="61/2567",
        order_date=date(2024, 6, 1), version=2, changes={"salary": 15_100}, drafted_by="reg")
    assert drafted.status == "drafted"
    assert str(request.id) in order.title
    assert order.status == "checked"
    assert requests_of(env.ledger, request.record_id)[0].status == "drafted"
    with pytest.raises(Conflict):
        decline_request(env.ledger, env.keys.registrar, request.id, reason="สาย",
                        declined_by="reg")
    desk.issue(env.keys.authority, order)
    assert requests_of(env.ledger, request.record_id)[0].status == "done"
    # The record holds the correction (the views apply it: tests/test_self_service_api.py).
    assert env.ledger.record(request.record_id).version == request.record_version + 1
    assert verify_ledger(env.ledger.store, env.ledger.mapper).ok


# ------------------------------------------------------------------ at the write


def test_only_the_service_key_writes_a_teachers_request(env: LedgerEnv) -> None:
    before = env.ledger.store.count_events()
    for signer in (env.keys.registrar, env.keys.authority, env.keys.admin):
        with pytest.raises(SignatureError):
            request_change(env.ledger, signer, open_person(1).id, section="positions",
                           reason="ผิด", evidence=[], requested_by="teach")
        with pytest.raises(SignatureError):
            confirm_record(env.ledger, signer, open_person(1).id, confirmed_by="teach")
    assert env.ledger.store.count_events() == before


def test_the_service_key_may_not_decline(env: LedgerEnv) -> None:
    request = _request(env)
    before = env.ledger.store.count_events()
    for signer in (env.keys.service, env.keys.authority):
        with pytest.raises(SignatureError, match="may not sign"):
            decline_request(env.ledger, signer, request.id, reason="ไม่", declined_by="x")
    assert env.ledger.store.count_events() == before


def test_a_registrar_of_another_area_may_not_decide(env: LedgerEnv) -> None:
    theirs = add_area(env.ledger, env.store, env.keys.admin, OTHER)
    request = _request(env)
    before = env.ledger.store.count_events()
    with pytest.raises(SignatureError, match="outside the key's area"):
        decline_request(env.ledger, theirs.registrar, request.id, reason="ไม่",
                        declined_by="reg-other")
    assert env.ledger.store.count_events() == before


# ------------------------------------------------------------------ verify


def _forced_decline(env: LedgerEnv, signer: Signer, monkeypatch: pytest.MonkeyPatch) -> str:
    request = _request(env)
    everyone = frozenset(KEY_ROLES)
    with monkeypatch.context() as patch:
        patch.setattr(application, "SIGNERS", dict.fromkeys(SIGNERS, everyone))
        patch.setattr(Ledger, "_check_self_service", staticmethod(lambda key, draft: None))
        decline_request(env.ledger, signer, request.id, reason="ไม่", declined_by="x")
    return str(env.ledger.store.submissions()[-1].submission.submission_id)


def _findings(env: LedgerEnv) -> list[tuple[str, str, str]]:
    report = verify_ledger(env.ledger.store, env.ledger.mapper)
    found = [(f.check, f.where, f.message) for f in report.findings]
    for size in (1, 3):
        chunked = verify_in_chunks(env.ledger.store, env.ledger.mapper,
                                   Parallel(env.url, workers=0, chunk_size=size))
        assert chunked is not None
        assert [(f.check, f.message) for f in chunked.findings] == [
            (c, m) for c, _, m in found]
    return found


def test_verify_flags_a_decline_forced_in_with_the_service_key(
        env: LedgerEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    submission = _forced_decline(env, env.keys.service, monkeypatch)
    found = _findings(env)
    assert [c for c, _, _ in found] == ["signature"], found
    assert submission in found[0][1]
    assert "decisions on teachers' requests (registrar only)" in found[0][2]


def test_verify_flags_a_decline_forced_in_by_another_areas_registrar(
        env: LedgerEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    theirs = add_area(env.ledger, env.store, env.keys.admin, OTHER)
    submission = _forced_decline(env, theirs.registrar, monkeypatch)
    found = _findings(env)
    assert [c for c, _, _ in found] == ["authority"], found
    assert submission in found[0][1]
    assert AREA in found[0][2]


def test_verify_flags_a_request_forced_in_with_a_registrars_key(
        env: LedgerEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    everyone = frozenset(KEY_ROLES)
    with monkeypatch.context() as patch:
        patch.setattr(application, "SIGNERS", dict.fromkeys(SIGNERS, everyone))
        patch.setattr(Ledger, "_check_self_service", staticmethod(lambda key, draft: None))
        request_change(env.ledger, env.keys.registrar, open_person(1).id,
                       section="positions", reason="ผิด", evidence=[], requested_by="teach")
    found = _findings(env)
    assert [c for c, _, _ in found] == ["signature"], found
    assert "self-service events (service only)" in found[0][2]


def test_an_honest_self_service_trail_verifies(env: LedgerEnv, tmp_path: Path) -> None:
    files = tmp_path / "evidence"
    EvidenceStore(files).put(SCAN, PDF.name, PDF.media_type)
    confirm_record(env.ledger, env.keys.service, open_person(1).id, confirmed_by="teach")
    decline_request(env.ledger, env.keys.registrar, _request(env).id, reason="ไม่ครบ",
                    declined_by="reg")
    _request(env, 2)
    assert _findings(env) == []
    result = CliRunner().invoke(app, ["verify"],
                                env={**env.cli_env, "TABIEN_EVIDENCE_DIR": str(files)})
    assert result.exit_code == 0, result.output


def test_tabien_verify_names_a_decline_by_another_areas_registrar(
        env: LedgerEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    """The request is made before a checkpoint, the forced decline after it: the incremental
    verification reads the request's area from before its window, and the full one too."""
    theirs = add_area(env.ledger, env.store, env.keys.admin, OTHER)
    request = _request(env)
    create_checkpoint(env.ledger.store, env.keys.checkpoint)
    everyone = frozenset(KEY_ROLES)
    with monkeypatch.context() as patch:
        patch.setattr(application, "SIGNERS", dict.fromkeys(SIGNERS, everyone))
        patch.setattr(Ledger, "_check_self_service", staticmethod(lambda key, draft: None))
        decline_request(env.ledger, theirs.registrar, request.id, reason="ไม่",
                        declined_by="reg-other")
    submission = str(env.ledger.store.submissions()[-1].submission.submission_id)
    since = verify_since(env.ledger.store, env.ledger.key, env.keys.checkpoint.key_id,
                         mapper=env.ledger.mapper)
    assert [f.check for f in since.findings] == ["authority"], since.findings
    assert submission in since.findings[0].where
    assert f"which was in {AREA}" in since.findings[0].message
    result = CliRunner().invoke(app, ["verify"], env=env.cli_env)
    assert result.exit_code == 1, result.output
    flat = " ".join(result.output.split())
    assert submission in flat
    assert "[authority]" in flat


def test_verify_rechecks_the_files_sent_with_a_request(env: LedgerEnv, tmp_path: Path) -> None:
    files = EvidenceStore(tmp_path / "evidence")
    files.put(SCAN, PDF.name, PDF.media_type)
    _request(env)
    assert verify_ledger(env.ledger.store, env.ledger.mapper, evidence=files).ok
    files.path_for(PDF.sha256).write_bytes(SCAN + b"altered")
    report = verify_ledger(env.ledger.store, env.ledger.mapper, evidence=files)
    assert [f.check for f in report.findings] == ["evidence"], report.findings
    assert PDF.sha256 in report.findings[0].message
