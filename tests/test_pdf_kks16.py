"""The ก.ค.ศ.16 as a PDF holds the form render.py lays out, as the text and the HTML page do:
every item and section in the form's order, dates in the Buddhist Era, revoked rows marked,
long sections running over pages with their header row repeated."""

from __future__ import annotations

import io
import re
from datetime import date

import pypdfium2 as pdfium
import zxingcpp
from pypdf import PdfReader

from ledger.record import PersonnelRecord as P
from projections.documents import Attachment, Certification, attachments_of, kks16_pdf
from projections.documents.kks16_pdf import kks16_transcript
from projections.kks16 import Kks16, build_record
from tests.factories import open_person, order, raise_salary
from tests.test_kks16_form import FORM_ORDER, ISO_DATE, career, the_record

CERTIFICATION = Certification(
    title="รับรองสำเนาถูกต้อง",
    lines=("ผู้รับรอง นายสมชาย ใจดี ตำแหน่ง เจ้าหน้าที่ทะเบียนประวัติ",
           "วันที่ 1 เมษายน 2567", "เลขที่เอกสาร kks16-0001"),
    qr_text="https://tabien.example/verify/" + "x" * 200,
    note="ตรวจสอบได้โดยสแกนคิวอาร์โค้ด", document_id="kks16-0001")


def pages_text(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def in_order(haystack: str, needles: list[str]) -> None:
    at = 0
    for needle in needles:
        found = haystack.find(needle, at)
        assert found >= 0, f"{needle!r} missing, or out of order, after {haystack[at - 60:at]!r}"
        at = found + len(needle)


def test_every_line_drawn_reads_back_whole_and_in_order() -> None:
    record = the_record()
    text = squeeze("".join(pages_text(kks16_pdf(record))))
    drawn = [squeeze(line) for line in kks16_transcript(record) if not line.startswith("หน้า ")]
    in_order(text, [line for line in drawn if line])


def test_the_pdf_has_every_item_and_section_in_the_forms_order() -> None:
    text = "\n".join(pages_text(kks16_pdf(the_record())))
    in_order(squeeze(text), [squeeze(label) for label in FORM_ORDER])
    assert "๙. ประเภทข้าราชการ" in text
    assert "ข้าราชการครู" in text


def test_every_date_is_buddhist_era() -> None:
    text = "\n".join(pages_text(kks16_pdf(the_record())))
    assert not ISO_DATE.search(text)
    assert "16 พฤษภาคม 2553" in text
    assert squeeze("1 มิ.ย. 2548 – 31 มี.ค. 2553") in squeeze(text)  # a cell may wrap it
    for year in ("2005", "2010", "2016"):
        assert f" {year}" not in text


def test_thai_digits_write_dates_and_numbers_in_thai() -> None:
    text = "\n".join(pages_text(kks16_pdf(the_record(), thai_digits=True)))
    assert "๑๖ พฤษภาคม ๒๕๕๓" in text
    assert "16 พฤษภาคม 2553" not in text
    assert "๒๙,๐๐๐" in text
    assert re.search(r"หน้า ๑/[๐-๙]+", text)


def test_a_revoked_row_keeps_its_mark() -> None:
    r = career()
    raise_salary(r, date(2018, 4, 1), 30_000, "12/2561")
    wrong = r.version
    r.record(P.EntryRevoked, effective_date=date(2018, 5, 1),
             order=order("13/2561", date(2018, 5, 1)), revokes=wrong, reason="ผิดคน")
    text = squeeze("".join(pages_text(kks16_pdf(build_record(r.collect_events())))))
    assert squeeze("[ยกเลิก]") in text


def long_career(raises: int) -> Kks16:
    r = open_person(7)
    for n in range(raises):
        raise_salary(r, date(2011 + n // 12, n % 12 + 1, 1), 15_500 + 100 * n,
                     f"{100 + n}/{2554 + n // 12}")
    return build_record(r.collect_events())


def test_a_long_section_runs_over_pages_with_its_header_repeated() -> None:
    record = long_career(90)
    assert len(record.positions) == 91
    pages = pages_text(kks16_pdf(record))
    assert len(pages) >= 4
    # The raises' orders are numbered 100/2554 onwards: the pages that list them.
    raises = [n for n, page in enumerate(pages) if re.search(r"ที่1[0-9][0-9]/25", squeeze(page))]
    headed = [n for n, page in enumerate(pages)
              if squeeze("เลขที่ตำแหน่ง อันดับ อัตราเงินเดือน") in squeeze(page)]
    continued = list(range(min(raises), max(raises) + 1))
    assert len(continued) >= 3
    assert set(continued) <= set(headed), (continued, headed)
    for n, page in enumerate(pages, start=1):
        assert f"หน้า {n}/{len(pages)}" in page


def test_the_certified_copy_has_the_block_the_qr_and_the_credential() -> None:
    credential = b'{"type":["VerifiableCredential"]}'
    pdf = kks16_pdf(the_record(), certification=CERTIFICATION,
                    attachments=[Attachment("kks16.json", credential, "application/json")])
    pages = pages_text(pdf)
    assert "รับรองสำเนาถูกต้อง" in pages[-1]
    assert all("kks16-0001" in page for page in pages)
    last = pdfium.PdfDocument(pdf)[len(pages) - 1].render(scale=200 / 72).to_pil()
    assert [b.text for b in zxingcpp.read_barcodes(last)] == [CERTIFICATION.qr_text]
    assert attachments_of(pdf) == {"kks16.json": credential}


def test_the_pdf_says_whose_record_it_is() -> None:
    record = the_record()
    reader = PdfReader(io.BytesIO(kks16_pdf(record)))
    assert reader.metadata is not None
    assert reader.metadata.title == f"{record.name} — ก.ค.ศ.16"
    assert reader.metadata.creator == "tabien"
    assert reader.trailer["/Root"]["/Lang"] == "th-TH"
