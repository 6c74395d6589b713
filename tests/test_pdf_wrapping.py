"""Thai is written without spaces between words, so lines are broken here, between the words
PyThaiNLP finds, never inside one (fpdf2 alone breaks only at spaces, or mid-word)."""

from __future__ import annotations

import io
import itertools

from pypdf import PdfReader
from pythainlp.tokenize import word_tokenize

from projections.documents.pdf import ThaiPdf
from projections.documents.thai_text import wrap_words

PARAGRAPH = (
    "ระเบียบคณะกรรมการข้าราชการครูและบุคลากรทางการศึกษาว่าด้วยระบบทะเบียนประวัติข้าราชการครู"
    "และบุคลากรทางการศึกษาอิเล็กทรอนิกส์กำหนดให้ส่วนราชการจัดทำและเก็บรักษาทะเบียนประวัติ"
    "ให้ถูกต้องครบถ้วนเป็นปัจจุบันอยู่เสมอ โดยผู้มีหน้าที่บันทึกข้อมูลต้องตรวจสอบความถูกต้อง"
    "ของเอกสารหลักฐานก่อนบันทึกทุกครั้ง และแจ้งให้เจ้าของประวัติทราบเมื่อมีการแก้ไขเปลี่ยนแปลง"
    "น้ำผึ้งปั้นทองคำกล้ำกลืนผู้ใหญ่ญี่ปุ่นตั้งใจทำงานตามคำสั่งที่ 12/2567 ลงวันที่ 1 มี.ค. 2567"
)


def a_page() -> ThaiPdf:
    pdf = ThaiPdf(title="ทดสอบ", subject="การตัดบรรทัด")
    pdf.add_page()
    pdf.use(12)
    return pdf


def boundaries(text: str) -> set[int]:
    """Where the tokenizer puts a word boundary, as offsets into ``text``."""
    return set(itertools.accumulate(len(word) for word in
                                    word_tokenize(text, engine="newmm", keep_whitespace=True)))


def test_a_long_thai_paragraph_breaks_only_between_words() -> None:
    pdf = a_page()
    width = 70.0
    lines = wrap_words(PARAGRAPH, width, pdf.width_of)
    assert len(lines) >= 8
    allowed = boundaries(PARAGRAPH)
    at = 0
    for line in lines[:-1]:
        at = PARAGRAPH.index(line, at) + len(line)
        assert at in allowed, f"broken inside a word: {line[-8:]!r} | {PARAGRAPH[at:at + 8]!r}"
        assert pdf.get_string_width(line) <= width + 0.01, line
    # Only the spaces a break replaces are gone: nothing else is lost or added.
    assert "".join(lines) == PARAGRAPH.replace(" ", "", len(lines)) or \
        " ".join(lines).replace(" ", "") == PARAGRAPH.replace(" ", "")


def test_abbreviations_and_identifiers_stay_whole() -> None:
    pdf = a_page()
    for width in (30.0, 35.0, 40.0, 45.0):
        lines = wrap_words("ตามคำสั่ง สพม.16 ที่ 12/2567 ลงวันที่ 1 มี.ค. 2567 ประทับ พ.ศ. "
                           "ผู้ออก did:key:z6MkhaXgBZ", width, pdf.width_of)
        text = "\n".join(lines)
        for whole in ("สพม.16", "มี.ค.", "พ.ศ.", "12/2567"):
            assert whole in text, (width, lines)


def test_a_word_wider_than_the_line_is_cut_between_characters_not_before_a_mark() -> None:
    pdf = a_page()
    lines = wrap_words("เลขที่ " + "z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK" * 2, 40,
                       pdf.width_of)
    assert all(pdf.get_string_width(line) <= 40.01 for line in lines)
    assert "".join(lines[1:]) == "z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK" * 2
    thai = wrap_words("ก" * 30 + "ั้" + "ก" * 30, 20, pdf.width_of)
    assert not any(line[0] in "\u0e31\u0e49" for line in thai)


def test_the_pdf_shows_the_paragraph_in_the_lines_it_was_broken_into() -> None:
    pdf = a_page()
    pdf.paragraph(PARAGRAPH, size=12, indent=0)
    lines = wrap_words(PARAGRAPH, pdf.epw, pdf.width_of)
    pdf.set_y(pdf.get_y())
    document = PdfReader(io.BytesIO(pdf.to_bytes()))
    extracted = [line for line in document.pages[0].extract_text().splitlines() if line]
    assert extracted[:len(lines)] == lines
