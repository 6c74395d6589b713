"""A small base for tabien's printed documents: fpdf2, A4 portrait, Sarabun, Thai shaping and
Thai line breaking (DESIGN decision 11).

- The fonts are the Sarabun TTFs the ``fontpkg-sarabun`` package ships, embedded (subset);
  no font installed on the machine is ever used.
- ``set_text_shaping(True)`` has HarfBuzz place stacked vowels and tone marks.
- Thai is written without spaces between words, and fpdf2 breaks lines only at spaces (or
  inside a word when none is left), so text is broken here (``thai_text``): PyThaiNLP's
  ``newmm`` tokenizer gives the words and lines are filled by measured width; fpdf2 is
  handed lines that fit.
- ``fpdf_thai`` adjusts two things in fpdf2 so that the text a reader copies out is the
  text written (Sara Am, and marks HarfBuzz shifts left).

Every line drawn is kept in ``ThaiPdf.transcript`` in drawing order, so tests can compare it
with what a PDF reader extracts.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import fontpkg
import segno
from fpdf import FPDF

from projections.documents.fpdf_thai import EmptyClusterMaps, ThaiFont
from projections.documents.thai_text import thai_digits_of, wrap_words

__all__ = ["Attachment", "Certification", "ThaiPdf", "attachments_of", "render",
           "thai_digits_of", "wrap_words"]

FAMILY = "Sarabun"
_REGULAR, _BOLD = 400, 700
PT = 25.4 / 72  # millimetres in a point
LINE_FACTOR = 1.55  # Thai needs room above and below the line for stacked marks
QR_SIZE_MM = 48.0  # large enough for a version-25 code to scan when printed (0.4 mm/module)


@dataclass(frozen=True)
class Certification:
    """The certification block printed at the end of a document: a title (รับรองสำเนาถูกต้อง),
    the caller's lines (who certifies, position, date, purpose, validity, document id,
    issuer), the text the QR encodes, and a sentence telling how to verify. ``document_id``,
    when given, is printed in every page's footer."""

    title: str
    lines: tuple[str, ...]
    qr_text: str
    note: str
    document_id: str = ""


@dataclass(frozen=True)
class Attachment:
    """A file carried inside the PDF (the full credential JSON, for one)."""

    name: str
    data: bytes
    media_type: str
    description: str = ""




class ThaiPdf(FPDF):
    """An A4 portrait page in Sarabun with Thai shaping, word breaking and a footer that
    reads "หน้า ๑/๓" (and the document id, when there is one)."""

    def __init__(self, *, title: str, subject: str, thai_digits: bool = False,
                 footer_id: str = "") -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.thai_digits = thai_digits
        self.footer_id = footer_id
        self.transcript: list[str] = []
        self.set_margins(18, 15, 18)
        self.set_auto_page_break(True, margin=16)
        for style, weight in (("", _REGULAR), ("B", _BOLD)):
            self.add_font(FAMILY, style, str(fontpkg.path(FAMILY, weight)))
            # fpdf2 makes the font object itself; only its shaping step is replaced.
            self.fonts[f"{FAMILY.lower()}{style}"].__class__ = ThaiFont
        self.set_text_shaping(True)
        self.set_title(title)
        self.set_subject(subject)
        self.set_creator("tabien")
        self.set_lang("th-TH")
        self.set_font(FAMILY, size=12)

    # -- measuring and writing

    def digits(self, text: str) -> str:
        return thai_digits_of(text, self.thai_digits)

    def width_of(self, text: str) -> float:
        return _width(self.font_style, self.font_size_pt, text, self)

    def line_height(self) -> float:
        return self.font_size_pt * PT * LINE_FACTOR

    def wrap(self, text: str, width: float, first_width: float | None = None) -> list[str]:
        return wrap_words(text, width, self.width_of, first_width=first_width)

    def use(self, size: float, *, bold: bool = False) -> None:
        self.set_font(FAMILY, "B" if bold else "", size)

    def write_line(self, text: str, *, width: float = 0, align: str = "L",
                   x: float | None = None) -> None:
        """One line already known to fit, then down to the next."""
        if x is not None:
            self.set_x(x)
        self.transcript.append(text)
        self.cell(w=width, h=self.line_height(), text=text, align=align,
                  new_x="LMARGIN", new_y="NEXT")

    def paragraph(self, text: str, *, size: float = 12, bold: bool = False, align: str = "L",
                  indent: float = 0, first_indent: float = 0) -> None:
        """``text`` broken between words into the width from the left margin (+ ``indent``;
        + ``first_indent`` more on the first line, as Thai letters begin a paragraph)."""
        self.use(size, bold=bold)
        room = self.epw - indent
        lines = self.wrap(text, room, room - first_indent)
        for n, line in enumerate(lines):
            self.keep_room(self.line_height())
            shift = first_indent if n == 0 else 0
            self.write_line(line, width=room - shift, align=align,
                            x=self.l_margin + indent + shift)

    def keep_room(self, height: float) -> None:
        """A new page when ``height`` no longer fits on this one."""
        if self.get_y() + height > self.page_break_trigger:
            self.add_page()

    # -- tables

    def grid(self, header: Sequence[str], rows: Sequence[Sequence[str]],
             widths: Sequence[float], *, struck: Sequence[bool] = (), size: float = 10) -> None:
        """A bordered table whose header row is printed again on every page it runs onto;
        ``struck`` rows are grey and struck through. Cells are broken between words here,
        and drawn a line at a time (fpdf2's own table measures every cell again, character
        by character, which took most of a form's time)."""
        self.use(size, bold=True)
        head = self._cells(header, widths)
        self.use(size)
        body = [self._cells(row, widths) for row in rows]
        self._grid_row(head, widths, size, heading=True)
        for cells, gone in zip(body, struck or (False,) * len(body), strict=True):
            if self.get_y() + self._row_height(cells) > self.page_break_trigger:
                self.add_page()
                self._grid_row(head, widths, size, heading=True)
            self._grid_row(cells, widths, size, struck=gone)

    def _cells(self, texts: Sequence[str], widths: Sequence[float]) -> list[list[str]]:
        return [self.wrap(text, width - 2 * self.c_margin - 0.3)
                for text, width in zip(texts, widths, strict=True)]

    def _row_height(self, cells: Sequence[Sequence[str]]) -> float:
        return max(1, *(len(lines) for lines in cells)) * self.line_height() + 1

    def _grid_row(self, cells: Sequence[Sequence[str]], widths: Sequence[float], size: float,
                  *, heading: bool = False, struck: bool = False) -> None:
        top, height, x = self.get_y(), self._row_height(cells), self.l_margin
        self.set_fill_color(232)
        self.set_text_color(110 if struck else 0)
        for lines, width in zip(cells, widths, strict=True):
            self.rect(x, top, width, height, style="DF" if heading else "D")
            self.set_font(FAMILY, ("B" if heading else "") + ("S" if struck else ""), size)
            for n, line in enumerate(lines):
                self.set_xy(x, top + 0.5 + n * self.line_height())
                self.transcript.append(line)
                self.cell(w=width, h=self.line_height(), text=line)
            x += width
        self.set_text_color(0)
        self.set_xy(self.l_margin, top + height)

    # -- page furniture

    def footer(self) -> None:
        """None while the pages are laid out: ``number_pages`` writes them all at the end,
        when the total is known (fpdf2's own alias for it is written in Arabic digits)."""

    def number_pages(self) -> None:
        """"หน้า x/n" (after the document id, when there is one) at the foot of every page."""
        self.set_auto_page_break(False)
        total = self.page_no()
        for number in range(1, total + 1):
            self.page = number  # fpdf2 appends to an earlier page's contents
            # Set the font afresh on each page: fpdf2 writes Tf only when the font changes.
            self.use(7, bold=True)
            self.use(8)
            self.set_text_color(0)
            text = f"หน้า {self.digits(str(number))}/{self.digits(str(total))}"
            if self.footer_id:
                text = f"{self.footer_id}  {text}"
            self.transcript.append(text)
            self.set_xy(self.l_margin, -12)
            self.cell(w=0, h=4, text=text, align="R")
        self.page = total

    # -- blocks shared by documents

    def certification_block(self, certification: Certification) -> None:
        """A box with the certification's title, its lines and note, and the QR beside them."""
        self.use(11)
        text_width = self.epw - QR_SIZE_MM - 10
        lines = [line for text in certification.lines for line in self.wrap(text, text_width)]
        notes = self.wrap(certification.note, text_width)
        height = max(QR_SIZE_MM + 6, self.line_height() * (len(lines) + len(notes) + 1.5) + 6)
        self.keep_room(height + 4)
        self.ln(4)
        top = self.get_y()
        self.rect(self.l_margin, top, self.epw, height)
        self.set_xy(self.l_margin + 3, top + 3)
        self.use(12, bold=True)
        self.write_line(certification.title, width=text_width, x=self.l_margin + 3)
        self.use(11)
        for line in [*lines, *notes]:
            self.write_line(line, width=text_width, x=self.l_margin + 3)
        qr_x = self.l_margin + self.epw - QR_SIZE_MM - 3
        self.qr(certification.qr_text, x=qr_x, y=top + 3, size=QR_SIZE_MM)
        self.set_y(top + height + 2)

    def qr(self, text: str, *, x: float, y: float, size: float) -> None:
        """``text`` as a QR code (error correction M) drawn in vector rectangles, one per
        run of dark modules in a row: sharp in print and in every viewer (a small image
        scaled up is smoothed by some), with the quiet zone of 4 modules inside ``size``."""
        code = segno.make_qr(text, error="m", boost_error=False)
        rows = [list(row) for row in code.matrix_iter(scale=1, border=4)]
        module = size / len(rows)
        self.set_fill_color(0)
        for n, row in enumerate(rows):
            for start, length in _dark_runs(row):
                # A hair taller than a module: no light seam between rows when rendered.
                self.rect(x + start * module, y + n * module, length * module,
                          module + 0.02, style="F")

    def attach(self, attachments: Sequence[Attachment]) -> None:
        for item in attachments:
            self.embed_file(bytes=item.data, basename=item.name, mime_type=item.media_type,
                            desc=item.description, modification_date=_EPOCH)

    def to_bytes(self) -> bytes:
        return bytes(self.output(output_producer_class=EmptyClusterMaps))


# Attachments carry a fixed date: the same document made twice is the same bytes.
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


_WIDTHS: dict[tuple[str, float, str], float] = {}


def _width(style: str, size: float, text: str, pdf: FPDF) -> float:
    # A word's shaped width is the same in every document of this font and size: measure it
    # once (shaping is the dear part of laying a page out).
    key = (style, size, text)
    found = _WIDTHS.get(key)
    if found is None:
        found = _WIDTHS[key] = pdf.get_string_width(text)
    return found


def _dark_runs(row: Sequence[int]) -> list[tuple[int, int]]:
    """Where each run of dark modules starts in ``row``, and how long it is."""
    runs: list[tuple[int, int]] = []
    start = -1
    for at, dark in enumerate([*row, 0]):
        if dark and start < 0:
            start = at
        elif not dark and start >= 0:
            runs.append((start, at - start))
            start = -1
    return runs


def render(build: Callable[[ThaiPdf], None], *, title: str, subject: str,
           thai_digits: bool = False, footer_id: str = "") -> ThaiPdf:
    """The document ``build`` lays out, its pages numbered."""
    pdf = ThaiPdf(title=title, subject=subject, thai_digits=thai_digits, footer_id=footer_id)
    build(pdf)
    pdf.number_pages()
    return pdf


def attachments_of(pdf: bytes) -> dict[str, bytes]:
    """The files embedded in ``pdf``, by name."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    return {name: contents[0] for name, contents in reader.attachments.items() if contents}
