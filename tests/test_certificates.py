"""Certified copies and certificates (issue 17): issued over the API and the CLI, verified by
anyone; altered, revoked, expired or superseded, they fail — on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from pypdf import PdfReader, PdfWriter
from typer.testing import CliRunner

from api.cli import app
from audit.certificates import Verdict, verify_bytes
from ledger.credentials import StatusBits, add_proof, check_status, encode_token
from ledger.document_index import index_of
from projections.record_projection import rebuild
from tests.conftest import LedgerEnv
from tests.factories import national_id
from tests.web import Api, is_problem

PURPOSE = "ประกอบการขอสินเชื่อธนาคาร"


def _issue(api: Api, user: str = "reg", kind: str = "salary", person: int = 1,
           **extra: Any) -> Any:
    return api.client.post("/api/v1/documents", headers=api.as_(user), json={
        "kind": kind, "national_id": national_id(person), "purpose": PURPOSE, **extra})


def _verify(api: Api, data: bytes, now: datetime | None = None) -> Verdict:
    return verify_bytes(data, ledger=api.services.ledger, now=now)


@pytest.fixture
def issued(api: Api) -> dict[str, Any]:
    response = _issue(api)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


# ------------------------------------------------------------------ issue and verify


def test_a_salary_certificate_verifies_as_pdf_credential_and_qr(api: Api,
                                                                 issued: dict[str, Any]) -> None:
    pdf = base64.b64decode(issued["pdf_base64"])
    credential = orjson.dumps(issued["credential"])
    for data in (pdf, credential, issued["verify_url"].encode(), issued["token"].encode()):
        verdict = _verify(api, data)
        assert verdict.valid, verdict.problems
        assert verdict.online
        assert verdict.document_id == issued["document_id"]
    subject = issued["credential"]["credentialSubject"]
    assert subject["salary"] == 16_000
    assert subject["position"] == "ครูผู้ช่วย"
    assert subject["nationalId"].startswith("x-xxxx-xxxxx-")
    assert issued["did"].startswith("did:key:z6Mk")
    assert issued["credential"]["proof"]["cryptosuite"] == "eddsa-jcs-2022"
    # The public route gives the same answer, with no sign-in.
    answer = api.client.post("/api/v1/verify", files={"file": ("c.pdf", pdf)})
    assert answer.status_code == 200
    assert answer.json()["status"] == "valid"
    page = api.client.post("/verify", data={"text": issued["verify_url"]})
    assert page.status_code == 200
    assert "ใช้ได้" in page.text
    assert "ครูผู้ช่วย" in page.text


def test_the_issuance_is_in_the_ledger_and_the_access_log(api: Api,
                                                          issued: dict[str, Any]) -> None:
    from uuid import UUID

    state = index_of(api.services.ledger).get(UUID(issued["document_id"]))
    assert state is not None
    assert (state.kind, state.purpose, state.requested_by) == ("salary", PURPOSE, "reg")
    access = api.client.get(f"/api/v1/audit/access/{national_id(1)}", headers=api.as_("aud"))
    assert any(PURPOSE in entry["purpose"] for entry in access.json())


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _leaves(v, (*path, k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _leaves(v, (*path, i))]
    return [path]


def _altered(credential: dict[str, Any], path: tuple[Any, ...]) -> dict[str, Any]:
    copy: Any = orjson.loads(orjson.dumps(credential))
    target = copy
    for step in path[:-1]:
        target = target[step]
    old = target[path[-1]]
    target[path[-1]] = (old + 1 if isinstance(old, int) and not isinstance(old, bool)
                        else (not old if isinstance(old, bool) else f"{old}x"))
    return dict(copy)


def test_any_field_of_the_credential_altered_fails(api: Api, issued: dict[str, Any]) -> None:
    credential = issued["credential"]
    paths = _leaves(credential)
    assert len(paths) > 40
    for path in paths:
        verdict = _verify(api, orjson.dumps(_altered(credential, path)))
        assert not verdict.valid, path


def test_a_credential_re_signed_by_another_key_fails(api: Api, issued: dict[str, Any]) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from ledger.credentials import did_key, verification_method

    forger = Ed25519PrivateKey.generate()
    unsigned = {k: v for k, v in issued["credential"].items() if k != "proof"}
    unsigned["issuer"] = {**unsigned["issuer"], "id": did_key(forger.public_key())}
    unsigned["credentialSubject"] = {**unsigned["credentialSubject"], "salary": 99_990}
    forged = add_proof(unsigned, forger, created=datetime.now(UTC),
                       verification_method=verification_method(forger.public_key()))
    verdict = _verify(api, orjson.dumps(forged))
    assert verdict.status == "invalid"
    assert any("ledger" in en for en, _ in verdict.problems)


def _replace_attachment(pdf: bytes, suffix: str, data: bytes) -> bytes:
    reader = PdfReader(io.BytesIO(pdf))
    writer = PdfWriter()
    writer.append(reader)
    for name, contents in reader.attachments.items():
        writer.add_attachment(name, data if name.endswith(suffix) else contents[0])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_the_pdfs_attachment_or_token_altered_fails(api: Api, issued: dict[str, Any]) -> None:
    pdf = base64.b64decode(issued["pdf_base64"])
    credential = _altered(issued["credential"], ("credentialSubject", "salary"))
    verdict = _verify(api, _replace_attachment(pdf, ".vc.json", orjson.dumps(credential)))
    assert verdict.status == "invalid"
    token = issued["token"]
    flipped = token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]
    assert _verify(api, flipped.encode()).status == "invalid"
    verdict = _verify(api, _replace_attachment(pdf, ".token.txt", flipped.encode()))
    assert verdict.status == "invalid"


def test_a_token_re_signed_by_another_key_fails(api: Api, issued: dict[str, Any]) -> None:
    """Even naming the real credential's hash: only the area's certificate key signs tokens."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from ledger.credentials import decode_token

    real = decode_token(issued["token"])
    forger = Ed25519PrivateKey.generate()
    raw = forger.public_key().public_bytes(serialization.Encoding.Raw,
                                           serialization.PublicFormat.Raw)
    claims = {**real.claims, "s": 99_990}
    forged = encode_token(claims, forger, kid=raw, issued_at=real.issued_at,
                          expires_at=real.expires_at, issuer=real.issuer)
    verdict = _verify(api, forged.encode())
    assert verdict.status == "invalid"


# ------------------------------------------------------------------ no longer valid


def test_a_revoked_certificate_fails_and_its_status_list_says_so(
        api: Api, issued: dict[str, Any]) -> None:
    document_id = issued["document_id"]
    other = api.client.post(f"/api/v1/documents/{document_id}/revoke",
                            headers=api.as_("reg-other"), json={"reason": "ผิด"})
    is_problem(other, 404)
    bad = api.client.post(f"/api/v1/documents/{document_id}/revoke", headers=api.as_("reg"),
                          json={"reason": ""})
    is_problem(bad, 400)
    revoked = api.client.post(f"/api/v1/documents/{document_id}/revoke",
                              headers=api.as_("reg"), json={"reason": "ออกให้ผิดวัตถุประสงค์"})
    assert revoked.status_code == 200, revoked.text
    again = api.client.post(f"/api/v1/documents/{document_id}/revoke", headers=api.as_("reg"),
                            json={"reason": "อีกครั้ง"})
    is_problem(again, 409)
    verdict = _verify(api, orjson.dumps(issued["credential"]))
    assert verdict.status == "revoked"
    entry = issued["credential"]["credentialStatus"]
    path = entry["statusListCredential"].split("/api/v1", 1)[1]
    listed = api.client.get(f"/api/v1{path}")  # public: no sign-in
    assert listed.status_code == 200
    assert check_status(entry, listed.json())
    state = api.client.get(f"/api/v1/documents/{document_id}", headers=api.as_("reg")).json()
    assert state["revoked"]
    assert state["revoked_reason"] == "ออกให้ผิดวัตถุประสงค์"


def test_an_expired_certificate_fails(api: Api) -> None:
    body = _issue(api, valid_days=1).json()
    later = datetime.now(UTC) + timedelta(days=3)
    assert _verify(api, orjson.dumps(body["credential"]), now=later).status == "expired"
    assert _verify(api, body["token"].encode(), now=later).status == "expired"


def test_a_fresh_status_list_has_no_bit_set(api: Api, issued: dict[str, Any]) -> None:
    entry = issued["credential"]["credentialStatus"]
    path = entry["statusListCredential"].split("/api/v1", 1)[1]
    listed = api.client.get(f"/api/v1{path}").json()
    assert not check_status(entry, listed)
    encoded = listed["credentialSubject"]["encodedList"]
    assert not any(StatusBits.decode(encoded).get(i) for i in range(0, 131_072, 4096))


# ------------------------------------------------------------------ who may ask


def test_a_teacher_asks_only_for_their_own(api: Api) -> None:
    mine = _issue(api, user="teach", kind="employment")
    assert mine.status_code == 201, mine.text
    before = api.events()
    theirs = _issue(api, user="teach", kind="employment", person=2)
    assert theirs.status_code in (403, 404)
    assert api.events() == before  # a denial writes nothing to the ledger


def test_a_registrar_of_another_area_learns_nothing(api: Api) -> None:
    before = api.events()
    is_problem(_issue(api, user="reg-other"), 404)
    for user in ("auth", "pay", "aud", "adm"):
        assert _issue(api, user=user).status_code == 403
    assert api.events() == before


def test_bad_requests_are_refused_and_nothing_written(api: Api) -> None:
    before = api.events()
    for payload in ({"kind": "diploma"}, {"purpose": ""}, {"purpose": "\u202eกู้เงิน"},
                    {"valid_days": 0}, {"valid_days": 366}, {"as_of": "2999-01-01"},
                    {"national_id": "1234567890123"}):
        body = {"kind": "salary", "national_id": national_id(1), "purpose": PURPOSE, **payload}
        response = api.client.post("/api/v1/documents", headers=api.as_("reg"), json=body)
        assert response.status_code == 400, (payload, response.text)
    is_problem(_issue(api, person=77), 404)
    assert api.events() == before


def test_the_same_idempotency_key_gives_the_same_document(api: Api) -> None:
    headers = {**api.as_("reg"), "Idempotency-Key": "certificate-1"}
    body = {"kind": "salary", "national_id": national_id(1), "purpose": PURPOSE}
    first = api.client.post("/api/v1/documents", headers=headers, json=body)
    before = api.events()
    second = api.client.post("/api/v1/documents", headers=headers, json=body)
    assert second.json()["document_id"] == first.json()["document_id"]
    assert api.events() == before


def test_the_pdf_alone_when_asked_for(api: Api) -> None:
    response = api.client.post("/api/v1/documents", headers={**api.as_("reg"),
                                                              "Accept": "application/pdf"},
                               json={"kind": "copy", "national_id": national_id(1),
                                     "purpose": "ประกอบการสมัครศึกษาต่อ", "thai_digits": True})
    assert response.status_code == 201
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert _verify(api, response.content).valid
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "๒๕๕๓" in text  # appointed in 2553 B.E., printed in Thai digits


def test_verification_of_garbage_is_a_clear_answer(api: Api) -> None:
    for data in (b"", b"{not json", b"%PDF-1.7 broken", b"hello", b"TB1:XYZ"):
        answer = api.client.post("/api/v1/verify", data={"text": data.decode()})
        if not data:
            is_problem(answer, 400)
            continue
        assert answer.status_code == 200
        assert answer.json()["status"] == "invalid"
        assert answer.json()["problems"][0]["th"]
    page = api.client.post("/verify", data={"text": ""})
    assert page.status_code == 400
    assert "กรุณาแนบไฟล์" in page.text


# ------------------------------------------------------------------ the command line


def test_the_cli_issues_verifies_and_revokes(api: Api, ledger_env: LedgerEnv,
                                             tmp_path: Path) -> None:
    runner = CliRunner()
    env = {**ledger_env.cli_env, "TABIEN_USER": "registrar1"}
    out = tmp_path / "out"
    result = runner.invoke(app, ["copy", "issue", "--national-id", national_id(2),
                                 "--purpose", "ประกอบการสมัครงาน", "--out", str(out)], env=env)
    assert result.exit_code == 0, result.output
    [pdf] = out.glob("*.pdf")
    [credential] = out.glob("*.vc.json")
    assert pdf.stem == credential.name.removesuffix(".vc.json")
    assert "did:key:z6Mk" in result.output
    verified = runner.invoke(app, ["certificate", "verify", str(pdf)], env=env)
    assert verified.exit_code == 0, verified.output
    result = runner.invoke(app, ["certificate", "issue", "--kind", "employment",
                                 "--national-id", national_id(2), "--purpose", "สมัครงาน",
                                 "--out", str(out), "--valid-days", "30"], env=env)
    assert result.exit_code == 0, result.output
    revoked = runner.invoke(app, ["certificate", "revoke", pdf.stem, "--reason", "ขอใหม่"],
                            env=env)
    assert revoked.exit_code == 0, revoked.output
    verified = runner.invoke(app, ["certificate", "verify", str(credential)], env=env)
    assert verified.exit_code == 1
    assert "ถูกเพิกถอน" in verified.output
    offline = runner.invoke(app, ["certificate", "verify", "--offline", str(credential)],
                            env=env)
    assert offline.exit_code == 0, offline.output  # offline cannot know of the revocation
    wrong = runner.invoke(app, ["certificate", "issue", "--kind", "diploma", "--national-id",
                                national_id(2), "--purpose", "x", "--out", str(out)], env=env)
    assert wrong.exit_code == 2


def test_a_document_is_made_only_from_a_view_that_has_caught_up(
        api: Api, ledger_env: LedgerEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.factories import raise_salary, write_history

    monkeypatch.setenv("TABIEN_VIEW_WAIT_SECONDS", "0")
    api.services.__dict__.pop("certificates", None)
    record = api.services.ledger.record(api.services.view.record_id(national_id(3)))
    raise_salary(record, date(2012, 4, 1), 17_000, "88/2555")
    write_history(api.services.ledger, ledger_env.keys.authority, record, purpose="เลื่อน")
    before = api.events()
    is_problem(_issue(api, person=3), 503, "view-behind")
    assert api.events() == before
    rebuild(api.services.ledger, api.services.view)
    assert _issue(api, person=3).json()["credential"]["credentialSubject"]["salary"] == 17_000
