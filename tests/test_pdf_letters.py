"""Certificates as Thai PDFs (DESIGN decisions 11, 12): what a bank officer reads on paper, what
a reader copies out of the file, the QR a phone scans and the credential riding inside are
all the same facts.

Real libraries throughout: pypdf extracts the text and the attachments, pypdfium2 renders the
pages to pixels, zxing-cpp reads the QR from those pixels.
"""

from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader
from pythainlp.tokenize import word_tokenize

from projections.documents import (
    Attachment,
    Certification,
    EmploymentFacts,
    Issuer,
    SalaryFacts,
    attachments_of,
    certificate_pdf,
    certificate_text,
)
from projections.documents.letters import certificate_transcript

ISSUER = Issuer(office="สำนักงานเขตพื้นที่การศึกษามัธยมศึกษานครศรีธรรมราช",
                address="ถนนราชดำเนิน ตำบลในเมือง อำเภอเมือง จังหวัดนครศรีธรรมราช 80000",
                signer_name="นายสมศักดิ์ ตั้งใจทำ",
                signer_position="ผู้อำนวยการสำนักงานเขตพื้นที่การศึกษามัธยมศึกษานครศรีธรรมราช")
EMPLOYMENT = EmploymentFacts(
    name="นางสาวน้ำผึ้ง ปั้นทองคำ", position="ครู", rank="คศ.3", standing="ชำนาญการพิเศษ",
    unit="โรงเรียนปากพนัง", area="สำนักงานเขตพื้นที่การศึกษามัธยมศึกษานครศรีธรรมราช",
    appointed_on=date(2010, 5, 16), as_of=date(2024, 4, 1), document_number="ศธ 04278/123",
    purpose="ประกอบการขอสินเชื่อเพื่อที่อยู่อาศัยกับธนาคารอาคารสงเคราะห์")
SALARY = SalaryFacts(
    name=EMPLOYMENT.name, position="ครู", rank="คศ.3", standing="ชำนาญการพิเศษ",
    unit="โรงเรียนปากพนัง", area=EMPLOYMENT.area, salary=Decimal("29000"),
    allowances=(("เงินวิทยฐานะ", Decimal("5600")), ("เงินค่าตอบแทนพิเศษ", Decimal("1250.50"))),
    as_of=date(2024, 4, 1), document_number="ศธ 04278/124", purpose="ประกอบการขอสินเชื่อ")
DOCUMENT_ID = "urn:uuid:6f1c9a52-0d5e-4a57-9d8e-2b1f4c7e9a10"
# About 600 characters, as a COSE_Sign1 token in Base45 is (decision 12).
QR_TEXT = "HC1:" + "".join(f"6BF{n:03d}:9%2%A*-+" for n in range(40))
CERTIFICATION = Certification(
    title="รับรองความถูกต้องโดยระบบทะเบียนประวัติอิเล็กทรอนิกส์",
    lines=("ผู้รับรอง นายสมชาย ใจดี ตำแหน่ง เจ้าหน้าที่ทะเบียนประวัติ",
           "วันที่รับรอง 1 เมษายน 2567 ใช้ได้ถึง 30 กันยายน 2567",
           f"เลขที่เอกสาร {DOCUMENT_ID}",
           "ผู้ออก did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"),
    qr_text=QR_TEXT,
    note="ตรวจสอบได้โดยสแกนคิวอาร์โค้ด หรือเปิดไฟล์ข้อมูลรับรองที่แนบอยู่ในเอกสารนี้",
    document_id=DOCUMENT_ID)
CREDENTIAL = ('{"@context":["https://www.w3.org/ns/credentials/v2"],'
              '"type":["VerifiableCredential"],"credentialSubject":{"name":"น้ำผึ้ง"}}\n'
              ).encode() + bytes(range(256))  # any bytes, not only text, ride unchanged


def the_pdf(facts: EmploymentFacts | SalaryFacts = EMPLOYMENT, **options: Any) -> bytes:
    return certificate_pdf(facts, issuer=ISSUER, certification=CERTIFICATION, **options)


def extracted(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def no_whitespace(text: str) -> str:
    return re.sub(r"\s+", "", text)


def page_image(pdf: bytes, dpi: int = 200, page: int = 0) -> Image.Image:
    image: Image.Image = pdfium.PdfDocument(pdf)[page].render(scale=dpi / 72).to_pil()
    return image


def test_the_text_copied_out_of_the_pdf_is_the_text_it_was_made_from() -> None:
    """Every character in order, Sara Am (ำ, two glyphs once shaped) included: only line
    breaks and spaces may differ."""
    pdf = the_pdf()
    text = extracted(pdf)
    drawn = certificate_transcript(EMPLOYMENT, issuer=ISSUER, certification=CERTIFICATION)
    assert no_whitespace(text) == no_whitespace("".join(drawn))
    for line in certificate_text(EMPLOYMENT, ISSUER).splitlines():
        assert no_whitespace(line) in no_whitespace(text)
    assert not re.search(r"[\x00-\x08\x0b-\x1f]", text), "a glyph read back as a control code"


def test_every_thai_word_reads_back_whole() -> None:
    text = extracted(the_pdf())
    lines = text.splitlines()
    words = [word for paragraph in certificate_text(EMPLOYMENT, ISSUER).splitlines()
             for word in word_tokenize(paragraph, engine="newmm", keep_whitespace=False)]
    for word in words:
        assert any(word in line for line in lines), word
    for word in ("น้ำผึ้ง", "ปั้นทองคำ", "ตำแหน่ง", "ตั้งใจทำ", "สงเคราะห์"):
        assert word in text


def test_the_employment_certificate_states_the_facts_in_the_offices_words() -> None:
    text = certificate_text(EMPLOYMENT, ISSUER)
    assert text.splitlines()[:2] == ["ที่ ศธ 04278/123", ISSUER.office]
    assert "\nหนังสือรับรอง\nหนังสือฉบับนี้ให้ไว้เพื่อรับรองว่า นางสาวน้ำผึ้ง ปั้นทองคำ " \
           "เป็นข้าราชการครูและบุคลากรทางการศึกษา ตำแหน่งครู อันดับ คศ.3 " \
           "วิทยฐานะชำนาญการพิเศษ สังกัดโรงเรียนปากพนัง " in text
    assert "ได้รับการบรรจุแต่งตั้งเมื่อวันที่ 16 พฤษภาคม พ.ศ. 2553 จนถึงปัจจุบัน" in text
    assert "ออกให้เพื่อประกอบการขอสินเชื่อเพื่อที่อยู่อาศัยกับธนาคารอาคารสงเคราะห์" in text
    assert "ให้ไว้ ณ วันที่ 1 เมษายน พ.ศ. 2567" in text
    assert text.endswith(f"({ISSUER.signer_name})\n{ISSUER.signer_position}")


def test_a_fact_not_given_is_not_stated() -> None:
    text = certificate_text(EmploymentFacts(**{**EMPLOYMENT.__dict__, "standing": "",
                                               "rank": ""}), ISSUER)
    assert "วิทยฐานะ" not in text
    assert "อันดับ" not in text


def test_the_salary_certificate_gives_each_amount_in_figures_and_words() -> None:
    text = certificate_text(SALARY, ISSUER)
    assert "เงินเดือน 29,000.00 บาท (สองหมื่นเก้าพันบาทถ้วน)" in text
    assert "เงินวิทยฐานะ 5,600.00 บาท (ห้าพันหกร้อยบาทถ้วน)" in text
    assert "เงินค่าตอบแทนพิเศษ 1,250.50 บาท (หนึ่งพันสองร้อยห้าสิบบาทห้าสิบสตางค์)" in text
    assert "รวมทั้งสิ้น 35,850.50 บาท (สามหมื่นห้าพันแปดร้อยห้าสิบบาทห้าสิบสตางค์)" in text
    assert "ได้รับเงินเดือนและเงินอื่น ณ วันที่ 1 เมษายน พ.ศ. 2567 ดังนี้" in text
    assert no_whitespace("(สามหมื่นห้าพันแปดร้อยห้าสิบบาทห้าสิบสตางค์)") in \
        no_whitespace(extracted(the_pdf(SALARY)))


def test_thai_digits_print_every_number_in_thai() -> None:
    text = extracted(the_pdf(SALARY, thai_digits=True))
    assert "๒๕๖๗" in text
    assert "๒๙,๐๐๐.๐๐" in text
    assert "หน้า ๑/๑" in text
    body = text.split(CERTIFICATION.title)[0]  # the caller's lines and ids stay as given
    assert not re.search("[0-9]", body), body
    assert certificate_text(SALARY, ISSUER, thai_digits=True).startswith("ที่ ศธ ๐๔๒๗๘/๑๒๔")


def test_sarabun_is_embedded_and_no_other_font_is_used() -> None:
    reader = PdfReader(io.BytesIO(the_pdf()))
    names = set()
    for page in reader.pages:
        fonts: Any = page["/Resources"]["/Font"]
        for ref in fonts.values():
            font = ref.get_object()
            names.add(str(font["/BaseFont"]))
            [descendant] = font["/DescendantFonts"]
            descriptor = descendant.get_object()["/FontDescriptor"].get_object()
            assert "/FontFile2" in descriptor, font["/BaseFont"]
            assert "/ToUnicode" in font
    assert len(names) == 2, names  # regular and bold
    assert all("Sarabun" in name for name in names), names


def test_the_page_shows_ink_where_the_text_is(tmp_path: Path) -> None:
    image = page_image(the_pdf(), dpi=150).convert("L")
    image.save("/tmp/tabien-certificate.png")  # to look at the shaping by eye
    width, height = image.size
    heading = image.crop((width // 3, int(height * 0.20), 2 * width // 3, int(height * 0.25)))
    margin = image.crop((0, 0, width // 12, height // 12))
    assert heading.getextrema()[0] < 80  # dark pixels: the heading is drawn
    assert margin.getextrema()[0] == 255  # nothing in the blank top-left corner


def test_the_qr_scans_from_the_printed_page_and_gives_back_its_text() -> None:
    assert len(QR_TEXT) == 604
    barcodes = zxingcpp.read_barcodes(page_image(the_pdf(), dpi=200))
    assert [b.text for b in barcodes] == [QR_TEXT]
    assert barcodes[0].format == zxingcpp.BarcodeFormat.QRCode
    assert barcodes[0].ec_level == "M"


def test_the_qr_is_at_least_40_mm_wide_on_paper() -> None:
    dpi = 200
    [barcode] = zxingcpp.read_barcodes(page_image(the_pdf(), dpi=dpi))
    position = barcode.position
    width_px = abs(position.top_right.x - position.top_left.x)
    assert width_px / dpi * 25.4 >= 40


def test_the_credential_rides_inside_the_pdf_byte_for_byte() -> None:
    pdf = the_pdf(attachments=[Attachment("credential.json", CREDENTIAL, "application/json",
                                          "ข้อมูลรับรองแบบ W3C Verifiable Credential")])
    assert attachments_of(pdf) == {"credential.json": CREDENTIAL}
    assert attachments_of(the_pdf()) == {}


def test_the_pdf_says_what_it_is() -> None:
    reader = PdfReader(io.BytesIO(the_pdf()))
    info = reader.metadata
    assert info is not None
    assert info.title == "หนังสือรับรองการเป็นข้าราชการ"
    assert info.subject == f"หนังสือรับรองการเป็นข้าราชการ {EMPLOYMENT.name}"
    assert info.creator == "tabien"
    assert reader.trailer["/Root"]["/Lang"] == "th-TH"
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width) * 25.4 / 72), round(float(box.height) * 25.4 / 72)) == \
        (210, 297)


@pytest.mark.parametrize("facts", [EMPLOYMENT, SALARY])
def test_the_footer_names_the_document_and_its_pages(facts: EmploymentFacts | SalaryFacts
                                                     ) -> None:
    assert f"{DOCUMENT_ID}  หน้า 1/1" in extracted(the_pdf(facts))


def test_the_fonts_come_from_the_fontpkg_sarabun_package_not_the_machine() -> None:
    import fontpkg_sarabun

    from projections.documents.pdf import ThaiPdf

    pdf = ThaiPdf(title="t", subject="s")
    files = {Path(str(getattr(font, "ttffile", ""))) for font in pdf.fonts.values()}
    assert files == {fontpkg_sarabun.ROOT / "files" / "Sarabun-Regular.ttf",
                     fontpkg_sarabun.ROOT / "files" / "Sarabun-Bold.ttf"}
