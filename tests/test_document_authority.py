"""Who may issue and revoke documents (issue 17): the area's certificate key issues, the area's
registrar revokes with a reason, and the order correcting a stated entry revokes by itself.

Each attack is refused at the write and, forced into the store past that check, named by
``tabien verify`` — on SQLite and PostgreSQL.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest

from audit.verify import verify_ledger
from commands.bootstrap import add_area, certificate_signer
from commands.orders import OrderDesk
from ledger import application
from ledger.application import Ledger
from ledger.document_index import index_of
from ledger.documents import STATUS_LIST_LENGTH, IssuedDocument, document_id_for
from ledger.errors import Conflict, InvalidInput, SignatureError
from ledger.keys import Signer
from ledger.signing import SIGNERS
from tests.conftest import LedgerEnv
from tests.factories import AREA, SECRET, open_person, write_history

OTHER = "สพม.11"
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _document(record_id: uuid.UUID, *, area: str = AREA, slot: int = 7,
              stated: list[int] | None = None) -> IssuedDocument:
    return IssuedDocument.issue(
        area=area, kind="salary", record_id=record_id, purpose="ประกอบการขอสินเชื่อ",
        requested_by="teacher1", channel="api", issued_at=NOW, as_of=date(2026, 12, 1),
        valid_until=date(2027, 3, 1), status_list=1, status_index=slot,
        credential_sha256="00" * 32, stated=stated or [1], checkpoint_size=1)


def _issue(ledger: Ledger, signer: Signer, document: IssuedDocument) -> None:
    ledger.submit(signer, document, purpose="ออกเอกสาร")


@pytest.fixture
def person(ledger_env: LedgerEnv) -> uuid.UUID:
    record = open_person(1)
    write_history(ledger_env.ledger, ledger_env.keys.authority, record)
    return record.id


def test_the_areas_certificate_key_issues_and_its_registrar_revokes(
        ledger_env: LedgerEnv, person: uuid.UUID) -> None:
    ledger, keys = ledger_env.ledger, ledger_env.keys
    certificate = certificate_signer(ledger, ledger_env.store, AREA)
    assert ledger.key_role(certificate.key_id) == ("certificate", AREA)
    _issue(ledger, certificate, _document(person))
    document_id = document_id_for(AREA, 1, 7)
    document = ledger.repository.get(document_id)
    assert isinstance(document, IssuedDocument)
    document.revoke(reason="ออกให้ผิดวัตถุประสงค์", revoked_by="registrar1", revoked_at=NOW)
    ledger.submit(keys.registrar, document, purpose="เพิกถอนเอกสาร")
    state = index_of(ledger).get(document_id)
    assert state is not None
    assert state.revoked
    assert state.revoked_reason == "ออกให้ผิดวัตถุประสงค์"
    assert verify_ledger(ledger.store, ledger.mapper).ok


def test_no_other_key_issues_a_document(ledger_env: LedgerEnv, person: uuid.UUID) -> None:
    ledger, keys = ledger_env.ledger, ledger_env.keys
    before = ledger.store.count_events()
    for signer in (keys.registrar, keys.authority, keys.service, keys.admin):
        with pytest.raises(SignatureError, match="may not sign IssuedDocument"):
            _issue(ledger, signer, _document(person))
    other = certificate_signer(ledger, ledger_env.store, OTHER)
    with pytest.raises(SignatureError, match=f"of {AREA}"):
        _issue(ledger, other, _document(person))
    assert ledger.store.count_events() == before + 1  # only the other area's key registered


def test_a_document_is_revoked_only_by_its_areas_registrar_with_a_reason(
        ledger_env: LedgerEnv, person: uuid.UUID) -> None:
    ledger, keys = ledger_env.ledger, ledger_env.keys
    _issue(ledger, certificate_signer(ledger, ledger_env.store, AREA), _document(person))
    theirs = add_area(ledger, ledger_env.store, keys.admin, OTHER)
    before = ledger.store.count_events()
    for signer, refusal in ((keys.service, "may not sign IssuedDocument"),
                            (theirs.registrar, f"of {AREA}")):
        document = ledger.repository.get(document_id_for(AREA, 1, 7))
        document.revoke(reason="เหตุผล", revoked_by="x", revoked_at=NOW)
        with pytest.raises(SignatureError, match=refusal):
            ledger.submit(signer, document, purpose="เพิกถอน")
    document = ledger.repository.get(document_id_for(AREA, 1, 7))
    for reason in ("", "   ", "x" * 301, "\u202eเหตุผล"):
        with pytest.raises(InvalidInput):
            document.revoke(reason=reason, revoked_by="x", revoked_at=NOW)
    assert ledger.store.count_events() == before


def test_a_slot_is_never_given_twice_and_a_document_is_revoked_once(
        ledger_env: LedgerEnv, person: uuid.UUID) -> None:
    ledger = ledger_env.ledger
    certificate = certificate_signer(ledger, ledger_env.store, AREA)
    _issue(ledger, certificate, _document(person, slot=99))
    with pytest.raises(Conflict):
        _issue(ledger, certificate, _document(person, slot=99))
    document = ledger.repository.get(document_id_for(AREA, 1, 99))
    document.revoke(reason="ซ้ำ", revoked_by="r", revoked_at=NOW)
    ledger.submit(ledger_env.keys.registrar, document, purpose="เพิกถอน")
    again = ledger.repository.get(document_id_for(AREA, 1, 99))
    with pytest.raises(Conflict, match="already revoked"):
        again.revoke(reason="อีกครั้ง", revoked_by="r", revoked_at=NOW)
    with pytest.raises(ValueError, match="no slot"):
        document_id_for(AREA, 1, STATUS_LIST_LENGTH)


@pytest.mark.parametrize("forced", ["registrar-issues", "other-area-certificate-issues"])
def test_verify_names_a_document_forced_past_the_write(
        ledger_env: LedgerEnv, person: uuid.UUID, forced: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    ledger, keys = ledger_env.ledger, ledger_env.keys
    signer = keys.registrar if forced == "registrar-issues" else certificate_signer(
        ledger, ledger_env.store, OTHER)
    with monkeypatch.context() as patch:
        patch.setattr(application, "SIGNERS", dict.fromkeys(SIGNERS, frozenset(
            {"registrar", "authority", "certificate", "service", "admin", "checkpoint"})))
        patch.setattr(Ledger, "_check_document_areas", staticmethod(lambda key, draft: None))
        _issue(ledger, signer, _document(person))
    submission_id = str(ledger.store.submissions()[-1].submission.submission_id)
    report = verify_ledger(ledger.store, ledger.mapper)
    assert not report.ok
    [finding] = report.findings
    assert submission_id in finding.where
    if forced == "registrar-issues":
        assert finding.check == "signature"
        assert "may not sign document issuances" in finding.message
    else:
        assert finding.check == "authority"
        assert AREA in finding.message


def test_the_order_correcting_a_stated_entry_revokes_the_document(
        ledger_env: LedgerEnv, person: uuid.UUID) -> None:
    """A certificate is never valid beside the correction of what it states: the correcting
    order's own submission revokes it, naming the order."""
    ledger, keys = ledger_env.ledger, ledger_env.keys
    record = ledger.record(person)
    stated = [1]  # the record's opening: its name
    _issue(ledger, certificate_signer(ledger, ledger_env.store, AREA),
           _document(person, stated=stated))
    desk = OrderDesk(ledger, SECRET)  # the factories' people are found with theirs
    national_id = record.national_id
    order = desk.draft(keys.registrar, authority=AREA, area=AREA, order_number="900/2569",
                       order_date=date(2026, 12, 2), title="แก้ไขรายการ", lines=[{
                           "national_id": national_id, "kind": "entry_corrected",
                           "effective_date": "2026-12-02", "corrects": stated[0],
                           "changes": {"first_name": "แก้ไข"}, "reason": "ชื่อผิด",
                           "order": {"authority": AREA, "order_number": "900/2569",
                                     "order_date": "2026-12-02"}}])
    desk.check(keys.registrar, order)
    desk.issue(keys.authority, desk.order(AREA, "900/2569"))
    state = index_of(ledger).get(document_id_for(AREA, 1, 7))
    assert state is not None
    assert state.revoked
    assert state.superseded_by == f"{AREA}/900/2569"
    assert verify_ledger(ledger.store, ledger.mapper).ok
