"""A small base for tabien's printed documents: fpdf2, A4 portrait, Sarabun, Thai shaping and
Thai line breaking (DESIGN decision 11).

- The fonts are the Sarabun TTFs the ``fontpkg-sarabun`` package ships, embedded (subset);
  no font installed on the machine is ever used.
- ``set_text_shaping(True)`` has HarfBuzz place stacked vowels and tone marks.
- Thai is written without spaces between words, and fpdf2 breaks lines only at spaces (or
  inside a word when none is left), so text is broken here: PyThaiNLP's ``newmm`` tokenizer
  gives the words and lines are filled by measured width; fpdf2 is handed lines that fit.
- fpdf2 places a mark HarfBuzz shifts left (the tone mark of ปั้น) with a jump back and
  forth of the text position, which readers take for a space between words ("ปั้ น"); the
  font below gives such a mark an advance as wide as its shift, so no gap is seen.
- HarfBuzz decomposes Sara Am (ำ) into two glyphs; fpdf2 maps the first to the character and
  leaves the second unmapped, so a reader copies a stray control character. The producer
  below maps such glyphs to nothing in the ToUnicode CMap: copied text is the text written.

Every line drawn is kept in ``ThaiPdf.transcript`` in drawing order, so tests can compare it
with what a PDF reader extracts.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import fontpkg
import segno
from fpdf import FPDF
from fpdf.fonts import Glyph, TTFFont
from fpdf.output import OutputProducer
from pythainlp.tokenize import word_tokenize
from pythainlp.util import arabic_digit_to_thai_digit

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


# ------------------------------------------------------------------ words and digits


@lru_cache(maxsize=65536)
def _words(text: str) -> tuple[str, ...]:
    # Cached: a form repeats the same labels and cell texts on every page and every record.
    words: list[str] = []
    for token in word_tokenize(text, engine="newmm", keep_whitespace=True):
        # newmm cuts identifiers at punctuation (did:key:z6Mk…); a run without Thai or
        # spaces is one word, broken only when it is wider than a line. It also cuts
        # abbreviations at their dots (มี.ค., พ.ศ., สพม.16), which are one word on paper.
        if words and ((_latin(token) and _latin(words[-1])) or _abbreviated(words[-1], token)):
            words[-1] += token
        else:
            words.append(token)
        if "." in token:
            _join_stem(words)
    return tuple(words)


_STEM = 6  # the longest abbreviation up to its dot (สพม., ผอ.)


def _join_stem(words: list[str]) -> None:
    """Join the short pieces newmm cut an unknown abbreviation into (ส|พม before .16)."""
    while (len(words) >= 2 and not words[-2].isspace() and not words[-2].endswith(".")
           and len(words[-2]) + len(words[-1]) <= _STEM):
        words[-2:] = [words[-2] + words[-1]]


def _abbreviated(before: str, token: str) -> bool:
    # Brackets stay with the words they enclose: "(ทดลอง", "ราชการ)", never "(" alone.
    return not token.isspace() and (token.startswith((".", ")")) or before.endswith((".", "(")))


def _latin(token: str) -> bool:
    return not token.isspace() and not any("\u0e00" <= char <= "\u0e7f" for char in token)


def thai_digits_of(text: str, thai_digits: bool) -> str:
    return str(arabic_digit_to_thai_digit(text)) if thai_digits and text else text


def _is_mark(char: str) -> bool:
    # Thai above/below vowels and tone marks attach to the character before them.
    return char in "\u0e31\u0e34\u0e35\u0e36\u0e37\u0e38\u0e39\u0e3a\u0e47\u0e48\u0e49" \
                   "\u0e4a\u0e4b\u0e4c\u0e4d\u0e4e"


def wrap_words(text: str, width: float, measure: Callable[[str], float], *,
               first_width: float | None = None) -> list[str]:
    """``text`` as lines no wider than ``width`` (the first ``first_width``, for a paragraph
    indented the Thai way), broken only between words; a word wider than a whole line, such
    as a long identifier, is broken between characters."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line, used = "", 0.0
        for word in _words(paragraph):
            room = first_width if first_width is not None and not lines else width
            pieces = _split_long(word, room, measure) if measure(word) > room else [word]
            for piece in pieces:
                size = measure(piece)
                if line and used + size > room:
                    lines.append(line.rstrip())
                    line, used = "", 0.0
                if line or not piece.isspace():  # a break eats the space it replaces
                    line += piece
                    used += size
        lines.append(line.rstrip())
    return lines


def _split_long(word: str, width: float, measure: Callable[[str], float]) -> list[str]:
    pieces, piece = [], ""
    for char in word:
        if piece and not _is_mark(char) and measure(piece + char) > width:
            pieces.append(piece)
            piece = ""
        piece += char
    return [*pieces, piece]


# ------------------------------------------------------------------ the document


class _EmptyClusterMaps(OutputProducer):
    """fpdf2's producer, with the glyphs HarfBuzz adds inside a cluster (the second glyph
    of a decomposed Sara Am) mapped to no character in the ToUnicode CMap instead of being
    left out of it (where readers then invent a character from the glyph's code)."""

    def _add_fonts(self, *args: Any, **kwargs: Any) -> Any:
        objects = super()._add_fonts(*args, **kwargs)
        for font in self.fpdf.fonts.values():
            if isinstance(font, TTFFont) and font.i in objects:
                _map_to_nothing(font, objects[font.i])
        return objects


def _map_to_nothing(font: TTFFont, font_object: Any) -> None:
    codes = sorted(code for glyph, code in font.subset.items()
                   if glyph is not None and isinstance(glyph.unicode, tuple)
                   and not glyph.unicode)
    stream = getattr(font_object, "to_unicode", None)
    if not codes or stream is None:
        return
    block = "".join(f"{len(chunk)} beginbfchar\n" + "".join(f"<{c:04X}> <>\n" for c in chunk)
                    + "endbfchar\n" for chunk in (codes[i:i + 100]
                                                  for i in range(0, len(codes), 100)))
    contents = stream.content_stream().replace(b"endcmap\n", block.encode() + b"endcmap\n", 1)
    stream._contents = contents
    stream.length = len(contents)


class _ThaiFont(TTFFont):
    """fpdf2's TrueType font, with each mark that HarfBuzz shifts left drawn by a glyph code
    whose advance (the PDF's /W width) equals the shift. fpdf2 moves the text position back
    to the pen right after the mark, so the drawing is unchanged; a reader following the
    text position sees the pen come back to where the mark's advance left it, not a gap."""

    __slots__ = ()  # TTFFont has slots: the same layout lets an added font take this class

    def shape_text(self, text: str, font_size_pt: float,
                   text_shaping_params: dict[str, Any] | None) -> Sequence[dict[str, Any]]:
        shaped = super().shape_text(text, font_size_pt, text_shaping_params)
        if not any(info["x_offset"] < 0 and info["x_advance"] == 0 for info in shaped):
            return shaped
        glyphs = {code: glyph for glyph, code in self.subset.items() if glyph is not None}
        for info in shaped:
            glyph = glyphs.get(info["mapped_char"])
            shift = -round(info["x_offset"] * self.scale)
            if glyph is not None and info["x_advance"] == 0 and shift > glyph.glyph_width:
                wide = Glyph(glyph.glyph_id, glyph.unicode, glyph.glyph_name, shift)
                info["mapped_char"] = self.subset.pick_glyph(wide)
                info["force_positioning"] = True
        return shaped


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
            self.fonts[f"{FAMILY.lower()}{style}"].__class__ = _ThaiFont
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
        self.image(qr_png(certification.qr_text), x=qr_x, y=top + 3, w=QR_SIZE_MM,
                   h=QR_SIZE_MM)
        self.set_y(top + height + 2)

    def attach(self, attachments: Sequence[Attachment]) -> None:
        for item in attachments:
            self.embed_file(bytes=item.data, basename=item.name, mime_type=item.media_type,
                            desc=item.description, modification_date=_EPOCH)

    def to_bytes(self) -> bytes:
        return bytes(self.output(output_producer_class=_EmptyClusterMaps))


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


def qr_png(text: str) -> io.BytesIO:
    """``text`` as a QR (error correction M) in a PNG, one pixel per module: the PDF scales
    it, and pixel-exact modules keep it sharp at any size."""
    out = io.BytesIO()
    segno.make_qr(text, error="m", boost_error=False).save(out, kind="png", scale=1,
                                                            border=4)
    out.seek(0)
    return out


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
