"""A teacher's day with e-services (issue 17), narrated step by step on SQLite and PostgreSQL:
she asks for a salary certificate at school, a bank verifies it from the QR on the printed page,
she asks for a correction of her salary line, the correction is issued, and the bank's second
look finds the old certificate superseded."""

from __future__ import annotations

import base64
import io
from typing import Any
from uuid import UUID

import pypdfium2
import zxingcpp
from pypdf import PdfReader

from api.certificates import IssueRequest, issuer_of, letter_facts
from projections.documents import certificate_text
from projections.record_projection import rebuild
from tests.factories import AREA, national_id
from tests.web import Api

PDF_EVIDENCE = b"%PDF-1.4 order 300/2554 (scanned)"


def _qr_on_page(pdf: bytes) -> str:
    """What a phone's camera reads off the printed page: the page rendered, the QR decoded."""
    page = pypdfium2.PdfDocument(pdf)[0]
    image = page.render(scale=200 / 72).to_pil()
    codes = zxingcpp.read_barcodes(image)
    assert [c.format for c in codes] == [zxingcpp.BarcodeFormat.QRCode] * len(codes), codes
    # One QR on the page (the decoder may report one code twice from its two passes).
    [text] = {str(c.text) for c in codes}
    return text


def _bank_checks(api: Api, **upload: Any) -> dict[str, Any]:
    """The bank, not signed in, asks the public verification route."""
    answer = api.client.post("/api/v1/verify", **upload)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_a_teachers_day(api: Api) -> None:
    nid = national_id(1)
    # At school, the teacher asks for a salary certificate for her bank loan;
    asked = api.client.post("/api/v1/documents", headers=api.as_("teach"), json={
        "kind": "salary", "national_id": nid, "purpose": "ประกอบการขอสินเชื่อธนาคาร"})
    assert asked.status_code == 201, asked.text
    certificate = asked.json()
    pdf = base64.b64decode(certificate["pdf_base64"])
    # it is a Thai PDF whose text is the certificate's own words, in Sarabun, embedded;
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "หนังสือรับรอง" in text
    assert "เงินเดือน" in text
    assert "16,000" in text
    fonts = {str(f) for page in PdfReader(io.BytesIO(pdf)).pages
             for f in page["/Resources"]["/Font"].values()}
    assert fonts
    # she prints it; the bank scans the QR on the page with a phone and opens the link;
    link = _qr_on_page(pdf)
    assert link == certificate["verify_url"]
    assert link.split("#", 1)[0].endswith("/verify")
    seen = _bank_checks(api, data={"text": link})
    assert seen["status"] == "valid", seen["problems"]
    assert seen["subject"]["name"]
    assert seen["subject"]["salary"] == 16_000
    # the bank also checks the PDF file she e-mailed: valid, and it states what the QR says;
    seen = _bank_checks(api, files={"file": ("certificate.pdf", pdf, "application/pdf")})
    assert seen["status"] == "valid"
    assert seen["subject"]["salary"] == 16_000
    assert seen["issuer"] == certificate["did"]

    # Later she notices the raise of 1 October 2011 was recorded as 16,000 where the order
    # said 16,100, and asks for a correction of section 13 with the order as evidence;
    record = api.client.get(f"/api/v1/records/{nid}", headers=api.as_("teach")).json()
    salary_line = record["positions"][-1]
    assert salary_line["salary"] == 16_000
    made = api.client.post("/api/v1/me/change-requests", headers=api.as_("teach"),
                           data={"section": "positions",
                                 "reason": "เงินเดือน 1 ต.ค. 2554 ไม่ตรงกับคำสั่งที่ 300/2554"},
                           files=[("files", ("order.pdf", PDF_EVIDENCE, "application/pdf"))])
    assert made.status_code == 201, made.text
    request_id = made.json()["id"]
    # her area's registrar drafts the correction from the request;
    drafted = api.client.post(f"/api/v1/change-requests/{request_id}/correction",
                              headers=api.as_("reg"),
                              json={"order_number": "61/2569", "order_date": "2026-11-09",
                                    "version": salary_line["version"],
                                    "changes": {"new_salary": 16_100}})
    assert drafted.status_code == 201, drafted.text
    # the area's authority issues it (maker-checker), and the view catches up;
    issued = api.client.post(f"/api/v1/orders/{AREA}/61/2569/issue", headers=api.as_("auth"))
    assert issued.status_code == 200, issued.text
    rebuild(api.services.ledger, api.services.view)
    # the same order revoked the certificate that stated the old salary;
    state = api.client.get(f"/api/v1/documents/{certificate['document_id']}",
                           headers=api.as_("teach")).json()
    assert state["revoked"]
    assert state["superseded_by"] == f"{AREA}/61/2569"
    # so when the bank looks again, the old certificate fails as superseded;
    for upload in ({"data": {"text": link}},
                   {"files": {"file": ("certificate.pdf", pdf, "application/pdf")}}):
        seen = _bank_checks(api, **upload)
        assert seen["status"] == "superseded", seen
        assert any("61/2569" in p["th"] for p in seen["problems"])
    # and the new one she asks for states the corrected salary and is valid.
    again = api.client.post("/api/v1/documents", headers=api.as_("teach"), json={
        "kind": "salary", "national_id": nid, "purpose": "ประกอบการขอสินเชื่อธนาคาร"}).json()
    assert again["credential"]["credentialSubject"]["salary"] == 16_100
    seen = _bank_checks(api, data={"text": again["verify_url"]})
    assert seen["status"] == "valid"


def test_the_pdfs_text_is_the_certificates_words(api: Api) -> None:
    """The text extracted from the PDF equals the Thai text it was made from."""
    asked = api.client.post("/api/v1/documents", headers=api.as_("reg"), json={
        "kind": "employment", "national_id": national_id(2), "purpose": "สมัครงาน"}).json()
    pdf = base64.b64decode(asked["pdf_base64"])
    prepared = api.services.certificates.prepare(
        IssueRequest("employment", national_id(2), "สมัครงาน", "reg"))
    facts = letter_facts(prepared, UUID(asked["document_id"]))
    expected = certificate_text(facts, issuer_of(prepared.statement.area))
    extracted = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    squeeze = "".join
    assert squeeze(expected.split()) in squeeze(extracted.split())
