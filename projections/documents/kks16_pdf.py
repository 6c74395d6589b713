"""The ก.ค.ศ.16 as a PDF: ``projections.render.layout``'s sheets, items and tables in the
form's order, so the text, the HTML page and the PDF hold the same form.

Tables have borders and repeat their header row on every page they run onto; rows of
revoked entries are printed grey and struck through, and keep render.py's marks
([แก้ไขแล้ว], [ยกเลิก]) so the mark survives a black-and-white copy.
"""

from __future__ import annotations

from collections.abc import Sequence

from projections.documents.pdf import Attachment, Certification, ThaiPdf, render
from projections.kks16_model import Kks16
from projections.render import Item, Sheet, Table, _caption, layout

__all__ = ["kks16_pdf", "kks16_transcript"]

_LABEL_WIDTH = 58.0
_BODY = 11.0
_CELL = 9.5
# Cells that hold file names and hashes: identifiers, never written in Thai digits.
_VERBATIM_COLUMNS = frozenset({"ไฟล์", "SHA-256"})
# Column widths in millimetres (the page's text width is 174 mm), per section.
_WIDTHS: dict[str, tuple[float, ...]] = {
    "photos": (14, 16, 52, 42, 50),
    "section-10": (48, 38, 50, 38),
    "section-13": (29, 34, 26, 17, 16, 18, 34),
}
_THREE_COLUMNS = (40.0, 84.0, 50.0)


def kks16_pdf(record: Kks16, *, certification: Certification | None = None,
              attachments: Sequence[Attachment] = (), thai_digits: bool = False) -> bytes:
    """One person's ก.ค.ศ.16 as an A4 PDF, with the certification block (and its QR) at the
    end when the copy is certified, and ``attachments`` embedded."""
    return _document(record, certification, attachments, thai_digits).to_bytes()


def kks16_transcript(record: Kks16, *, certification: Certification | None = None,
                     thai_digits: bool = False) -> list[str]:
    """Every line the PDF draws, in drawing order (what a reader should extract)."""
    pdf = _document(record, certification, (), thai_digits)
    return pdf.transcript


def _document(record: Kks16, certification: Certification | None,
              attachments: Sequence[Attachment], thai_digits: bool) -> ThaiPdf:
    def build(pdf: ThaiPdf) -> None:
        pdf.add_page()
        pdf.paragraph(pdf.digits(_caption(record)), size=14, bold=True, align="C")
        for sheet in layout(record):
            _sheet(pdf, sheet)
        if certification is not None:
            pdf.certification_block(certification)
        pdf.attach(attachments)

    return render(build, title=f"{record.name} — ก.ค.ศ.16",
                  subject="ทะเบียนประวัติข้าราชการครูและบุคลากรทางการศึกษา (ก.ค.ศ.16)",
                  thai_digits=thai_digits,
                  footer_id=certification.document_id if certification else "")


def _sheet(pdf: ThaiPdf, sheet: Sheet) -> None:
    if sheet.title:
        pdf.add_page()  # ข้อมูลสำคัญโดยย่อ is a sheet of its own, as on paper
        pdf.paragraph(sheet.title, size=14, bold=True, align="C")
    for block in sheet.blocks:
        if isinstance(block, Item):
            _item(pdf, block)
        else:
            _table(pdf, block)


def _item(pdf: ThaiPdf, item: Item) -> None:
    """The label in the left column, its value beside it."""
    pdf.use(_BODY, bold=True)
    labels = pdf.wrap(item.label, _LABEL_WIDTH - 2)
    pdf.use(_BODY)
    values = pdf.wrap(pdf.digits(item.value), pdf.epw - _LABEL_WIDTH)
    pdf.keep_room(pdf.line_height() * max(len(labels), len(values)))
    top = pdf.get_y()
    pdf.use(_BODY, bold=True)
    for line in labels:
        pdf.write_line(line, width=_LABEL_WIDTH)
    bottom = pdf.get_y()
    pdf.set_y(top)
    pdf.use(_BODY)
    for line in values:
        pdf.write_line(line, x=pdf.l_margin + _LABEL_WIDTH)
    pdf.set_y(max(bottom, pdf.get_y()))


def _table(pdf: ThaiPdf, table: Table) -> None:
    pdf.ln(2)
    pdf.use(_BODY, bold=True)
    # The title, the header and a first row together: a title never ends a page alone.
    pdf.keep_room(pdf.line_height() * 4)
    pdf.paragraph(table.title, size=_BODY, bold=True)
    if not table.rows:
        pdf.paragraph("-", size=_BODY)
        return
    rows = [[cell if column in _VERBATIM_COLUMNS else pdf.digits(cell)
             for column, cell in zip(table.columns, cells, strict=True)]
            for cells in table.rows]
    pdf.grid(table.columns, rows, _widths(table), struck=table.struck, size=_CELL)
    pdf.ln(1)


def _widths(table: Table) -> tuple[float, ...]:
    if table.anchor in _WIDTHS:
        return _WIDTHS[table.anchor]
    if len(table.columns) == 3:
        return _THREE_COLUMNS
    # The leave table: the year, then one column per kind of leave taken.
    rest = (174.0 - 16) / max(1, len(table.columns) - 1)
    return (16.0, *(rest,) * (len(table.columns) - 1))
