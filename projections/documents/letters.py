"""Certificates as Thai government offices write them: the หนังสือรับรอง of the ระเบียบสำนัก
นายกรัฐมนตรีว่าด้วยงานสารบรรณ — ที่ (the document number) on the left, the office and its
address on the right, the heading หนังสือรับรอง, a paragraph beginning
"หนังสือฉบับนี้ให้ไว้เพื่อรับรองว่า", "ให้ไว้ ณ วันที่ …", the signer's name and position —
then tabien's certification block with the QR.

A หนังสือรับรอง carries no date line under the address (its date is the "ให้ไว้ ณ วันที่"
line), so none is printed. Each certificate states only the facts it is given:
``certificate_text`` is the exact Thai text the PDF is made from, for tests and for the
public verification page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from pythainlp.util import bahttext, thai_strftime

from projections.documents.pdf import Attachment, Certification, ThaiPdf, render, thai_digits_of

__all__ = ["EmploymentFacts", "Issuer", "SalaryFacts", "certificate_pdf", "certificate_text",
           "certificate_transcript"]

HEADING = "หนังสือรับรอง"
OPENING = "หนังสือฉบับนี้ให้ไว้เพื่อรับรองว่า"
_SIZE = 13.0
_FIRST_INDENT = 25.0  # Thai letters begin a paragraph 2.5 cm in
_RIGHT_BLOCK = 80.0  # the office's name and address, and the signature, on the right


@dataclass(frozen=True)
class Issuer:
    office: str
    address: str
    signer_name: str
    signer_position: str


@dataclass(frozen=True)
class EmploymentFacts:
    """What a หนังสือรับรองการเป็นข้าราชการ states."""

    name: str
    position: str
    rank: str
    standing: str
    unit: str
    area: str
    appointed_on: date
    as_of: date
    document_number: str
    purpose: str


@dataclass(frozen=True)
class SalaryFacts:
    """What a หนังสือรับรองเงินเดือน states: the salary and each allowance, in บาท."""

    name: str
    position: str
    rank: str
    standing: str
    unit: str
    area: str
    salary: Decimal
    allowances: tuple[tuple[str, Decimal], ...]
    as_of: date
    document_number: str
    purpose: str


Facts = EmploymentFacts | SalaryFacts


# ------------------------------------------------------------------ the words


def _on(day: date) -> str:
    return str(thai_strftime(datetime(day.year, day.month, day.day), "%-d %B พ.ศ. %Y"))


def _who(facts: Facts) -> str:
    """The person, their position, rank and standing, and where they serve; a fact not
    given is left out, never guessed."""
    parts = [facts.name, "เป็นข้าราชการครูและบุคลากรทางการศึกษา", f"ตำแหน่ง{facts.position}"]
    if facts.rank:
        parts.append(f"อันดับ {facts.rank}")
    if facts.standing:
        parts.append(f"วิทยฐานะ{facts.standing}")
    parts.append(f"สังกัด{facts.unit}")
    if facts.area:
        parts.append(facts.area)
    return " ".join(parts)


def _amount(label: str, baht: Decimal) -> str:
    return f"{label} {baht:,.2f} บาท ({bahttext(float(baht))})"


def _body(facts: Facts) -> list[str]:
    """The paragraphs between the heading and "ให้ไว้ ณ วันที่"."""
    if isinstance(facts, EmploymentFacts):
        return [f"{OPENING} {_who(facts)} ได้รับการบรรจุแต่งตั้งเมื่อวันที่ "
                f"{_on(facts.appointed_on)} จนถึงปัจจุบัน",
                f"หนังสือรับรองฉบับนี้ออกให้เพื่อ{facts.purpose}"]
    total = facts.salary + sum((baht for _, baht in facts.allowances), Decimal(0))
    amounts = [_amount("เงินเดือน", facts.salary),
               *(_amount(label, baht) for label, baht in facts.allowances),
               _amount("รวมทั้งสิ้น", total)]
    return [f"{OPENING} {_who(facts)} ได้รับเงินเดือนและเงินอื่น ณ วันที่ "
            f"{_on(facts.as_of)} ดังนี้",
            *amounts,
            f"หนังสือรับรองฉบับนี้ออกให้เพื่อ{facts.purpose}"]


def _kind(facts: Facts) -> str:
    return ("หนังสือรับรองการเป็นข้าราชการ" if isinstance(facts, EmploymentFacts)
            else "หนังสือรับรองเงินเดือน")


def _parts(facts: Facts, issuer: Issuer, thai_digits: bool) -> dict[str, list[str]]:
    """The letter's lines by part; with ``thai_digits``, every number in them (the document
    number, the address, คศ.3, dates and amounts) in Thai digits."""
    parts = {
        "number": [f"ที่ {facts.document_number}"],
        "office": [issuer.office, issuer.address],
        "heading": [HEADING],
        "body": _body(facts),
        "given": [f"ให้ไว้ ณ วันที่ {_on(facts.as_of)}"],
        "signer": [f"({issuer.signer_name})", issuer.signer_position],
    }
    return {part: [thai_digits_of(line, thai_digits) for line in lines]
            for part, lines in parts.items()}


def certificate_text(facts: Facts, issuer: Issuer, *, thai_digits: bool = False) -> str:
    """The certificate's Thai text, a line per part, as the PDF prints it (unwrapped)."""
    return "\n".join(line for lines in _parts(facts, issuer, thai_digits).values()
                     for line in lines)


# ------------------------------------------------------------------ the page


def certificate_pdf(facts: Facts, *, issuer: Issuer, certification: Certification,
                    attachments: Sequence[Attachment] = (), thai_digits: bool = False) -> bytes:
    """The certificate as an A4 PDF with the certification block, QR and attachments."""
    return _document(facts, issuer, certification, attachments, thai_digits).to_bytes()


def certificate_transcript(facts: Facts, *, issuer: Issuer, certification: Certification,
                           thai_digits: bool = False) -> list[str]:
    """Every line the PDF draws, in drawing order (what a reader should extract)."""
    pdf = _document(facts, issuer, certification, (), thai_digits)
    return pdf.transcript


def _document(facts: Facts, issuer: Issuer, certification: Certification,
              attachments: Sequence[Attachment], thai_digits: bool) -> ThaiPdf:
    parts = _parts(facts, issuer, thai_digits)

    def build(pdf: ThaiPdf) -> None:
        pdf.add_page()
        pdf.ln(12)  # where the Garuda stands on the office's paper
        _head(pdf, parts["number"][0], parts["office"])
        pdf.ln(6)
        pdf.paragraph(HEADING, size=16, bold=True, align="C")
        pdf.ln(4)
        for paragraph in parts["body"]:
            pdf.paragraph(paragraph, size=_SIZE, first_indent=_FIRST_INDENT)
        pdf.ln(4)
        pdf.paragraph(parts["given"][0], size=_SIZE, indent=pdf.epw - _RIGHT_BLOCK - 20)
        pdf.ln(14)  # room for the signature
        for line in parts["signer"]:
            pdf.paragraph(line, size=_SIZE, indent=pdf.epw - _RIGHT_BLOCK, align="C")
        pdf.certification_block(certification)
        pdf.attach(attachments)

    return render(build, title=_kind(facts), subject=f"{_kind(facts)} {facts.name}",
                  thai_digits=thai_digits, footer_id=certification.document_id)


def _head(pdf: ThaiPdf, number: str, office: Sequence[str]) -> None:
    """ที่ on the left; the office and its address on the right, from the same line."""
    pdf.use(_SIZE)
    top = pdf.get_y()
    pdf.write_line(number, width=pdf.epw - _RIGHT_BLOCK)
    pdf.set_y(top)
    x = pdf.l_margin + pdf.epw - _RIGHT_BLOCK
    for text in office:
        for line in pdf.wrap(text, _RIGHT_BLOCK):
            pdf.write_line(line, width=_RIGHT_BLOCK, x=x)
