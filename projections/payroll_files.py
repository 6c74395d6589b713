"""The month's payroll feed as files ready to send (ข้อมูลจ่ายตรง): CSV (UTF-8 with a byte-order
mark, so Excel shows the Thai), XLSX, and pipe-delimited text, laid out from one description
(``COLUMNS`` and the parts below), so the three files say the same thing.

Every file holds, in this order:

1. the people, one row each, by position number (``payroll.position_order``), under a header;
   ranks and standings by their Thai labels (คศ.3, ชำนาญการพิเศษ), money as numbers;
2. a totals row: how many people, and the sum of every money column;
3. the reconciliation (กระทบยอด): last month's total + this month's changes (joined, left,
   changed) = this month's total, with the verdict; and the arrears, paid beside it;
4. the notes (หมายเหตุ): what the reference does not give (position allowance figures, the
   Comptroller General's own file format: NOT FOUND), where the file comes from (area, month,
   export time, and the ledger position and event hash it was made at), and each person's
   arrears by month, in Thai B.E. month names.

An XLSX has 1–2 on its first sheet (header frozen), 3 and 4 on sheets of their own, columns
sized to their content. CSV and text carry 3 and 4 after the totals row, each part after a
blank row and a row with its title.

A text cell that a spreadsheet could take for a formula (one beginning with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return) is neutralised as ``ledger.spreadsheet`` says for
every file tabien writes: in CSV and text prefixed with an apostrophe; in XLSX stored as text
with the quote-prefix mark. A lone ``-`` (no standing) is left as it is. Numbers stay numbers.

The API and the command line name a file alike: ``file_name``.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from ledger.filenames import ascii_words
from ledger.rules import rank_label, standing_label
from ledger.spreadsheet import is_risky, neutralise, put_text
from ledger.thaidate import format_thai_datetime, format_thai_month
from projections.payroll import POSITION_ALLOWANCE_NOTE, PayLine, PayrollFeed

__all__ = [
    "CGD_FORMAT_NOTE",
    "COLUMNS",
    "FORMATS",
    "TOTAL_LABEL",
    "Cell",
    "Column",
    "Part",
    "arrears_months_text",
    "ascii_file_name",
    "file_name",
    "is_risky",
    "neutralise",
    "parts",
    "to_csv",
    "to_pipe",
    "to_xlsx",
    "write",
]

CGD_FORMAT_NOTE = ("รูปแบบแฟ้มทางการของกรมบัญชีกลาง (ระบบจ่ายตรง) ไม่พบในข้อมูลอ้างอิง (NOT FOUND): "
                   "คอลัมน์ในแฟ้มนี้เป็นของ tabien ตาม docs/payroll.md / the Comptroller General's "
                   "official file format is NOT FOUND in the reference: these columns are "
                   "tabien's own, documented in docs/payroll.md")

Cell = str | int | None


@dataclass(frozen=True)
class Column:
    """A column of the people's rows: its key (the text file's header), its heading in Thai
    and English, how a line gives its cell, and whether it is money (numeric, totalled)."""

    key: str
    th: str
    en: str
    value: Callable[[PayLine], Cell]
    money: bool = False

    @property
    def heading(self) -> str:
        return f"{self.th} ({self.en})"


def arrears_months_text(line: PayLine) -> str:
    """``เมษายน 2567, พฤษภาคม 2567``: the months a line's arrears cover."""
    return ", ".join(format_thai_month(owed.month) for owed in line.arrears_months)


COLUMNS: tuple[Column, ...] = (
    Column("national_id", "เลขประจำตัวประชาชน", "national ID", lambda line: line.national_id),
    Column("name", "ชื่อ-สกุล", "name", lambda line: line.name),
    Column("position_number", "เลขที่ตำแหน่ง", "position number",
           lambda line: line.position_number),
    Column("rank", "อันดับ", "rank", lambda line: rank_label(line.rank)),
    Column("standing", "วิทยฐานะ", "standing", lambda line: standing_label(line.standing)),
    Column("salary", "เงินเดือน", "salary", lambda line: line.salary, money=True),
    Column("standing_allowance", "เงินวิทยฐานะ", "standing allowance",
           lambda line: line.standing_allowance, money=True),
    Column("position_allowance", "เงินประจำตำแหน่ง", "position allowance",
           lambda line: line.position_allowance, money=True),
    Column("total", "รวมจ่าย", "total", lambda line: line.total, money=True),
    Column("arrears", "ตกเบิก", "arrears", lambda line: line.arrears, money=True),
    Column("arrears_months", "ตกเบิกของเดือน", "arrears months", arrears_months_text),
    Column("note", "หมายเหตุ", "note", lambda line: line.note),
)

FORMATS = ("csv", "xlsx", "txt")

TOTAL_LABEL = "รวม (total)"


@dataclass(frozen=True)
class Part:
    """A titled table of a file: the people and totals, the reconciliation, the notes …"""

    title: str
    header: list[str]
    rows: list[list[Cell]]


# ---------------------------------------------------------------- the parts


def parts(feed: PayrollFeed) -> tuple[Part, Part, Part, Part]:
    """(people with totals, reconciliation, notes, arrears by month)."""
    return _people(feed), _reconciliation(feed), _notes(feed), _arrears(feed)


def _people(feed: PayrollFeed) -> Part:
    rows: list[list[Cell]] = [[column.value(line) for column in COLUMNS] for line in feed.lines]
    totals: list[Cell] = [sum(_money(row[i]) for row in rows) if column.money else None
                          for i, column in enumerate(COLUMNS)]
    totals[0], totals[1] = TOTAL_LABEL, f"{len(feed.lines):,} คน (people)"
    return Part(format_thai_month(feed.month), [c.heading for c in COLUMNS], [*rows, totals])


def _money(cell: Cell) -> int:
    return cell if isinstance(cell, int) else 0


def _signed(amount: int) -> str:
    return f"+ {amount:,}" if amount >= 0 else f"− {-amount:,}"


def _reconciliation(feed: PayrollFeed) -> Part:
    changes = feed.change_summary()
    before = feed.previous_total
    if feed.previous is None:
        last = "ยอดเดือนก่อน (last month's total): ไม่มี แฟ้มแรกของเขต (none: the area's first feed)"
    else:
        last = f"ยอดเดือนก่อน (last month's total): {format_thai_month(feed.previous[0])}"
    after = before + changes.amount
    if feed.reconciles():
        verdict = (f"ผลการกระทบยอด (verdict): ถูกต้อง (reconciles): {before:,} "
                   f"{_signed(changes.amount)} = {after:,} = ยอดเดือนนี้ (this month's total)")
    else:
        verdict = (f"ผลการกระทบยอด (verdict): ไม่ตรง (does not reconcile): {before:,} "
                   f"{_signed(changes.amount)} = {after:,} ≠ ยอดเดือนนี้ (this month's total) "
                   f"{feed.total:,}")
    with_arrears = sum(1 for line in feed.lines if line.arrears)
    rows: list[list[Cell]] = [
        [last, None, before],
        ["เริ่มรับ (joined)", *changes.joined],
        ["หยุดรับ (left)", *changes.left],
        ["เปลี่ยนแปลงจำนวนเงิน (changed)", *changes.changed],
        ["รวมการเปลี่ยนแปลง (changes)", changes.people, changes.amount],
        [f"ยอดเดือนนี้ (this month's total): {format_thai_month(feed.month)}",
         len(feed.lines), feed.total],
        [verdict, None, None],
        ["ตกเบิก จ่ายพร้อมเดือนนี้ ไม่รวมในการกระทบยอด (arrears, paid with this month, "
         "outside the reconciliation)", with_arrears, feed.arrears],
        ["รวมจ่ายเดือนนี้พร้อมตกเบิก (this month's total with arrears)", None,
         feed.total + feed.arrears],
    ]
    return Part("กระทบยอด (reconciliation)",
                ["รายการ (item)", "จำนวนคน (people)", "จำนวนเงิน บาท (baht)"], rows)


def _notes(feed: PayrollFeed) -> Part:
    source = (f"เขตพื้นที่ (area): {feed.area}; เดือน (month): {format_thai_month(feed.month)} "
              f"({feed.month:%Y-%m}); ส่งออกเมื่อ (exported): "
              f"{format_thai_datetime(feed.exported_at)}")
    rows: list[list[Cell]] = [[POSITION_ALLOWANCE_NOTE], [CGD_FORMAT_NOTE], [source]]
    if feed.made_at is not None:
        rows.append([feed.made_at.note()])
    return Part("หมายเหตุ (notes)", ["หมายเหตุ (note)"], rows)



def _arrears(feed: PayrollFeed) -> Part:
    rows: list[list[Cell]] = [
        [line.national_id, line.name, line.position_number, format_thai_month(owed.month),
         owed.amount]
        for line in feed.lines for owed in line.arrears_months]
    if not rows:
        rows = [["ไม่มีตกเบิกเดือนนี้ (no arrears this month)", None, None, None, None]]
    return Part("ตกเบิกรายเดือน (arrears by month)",
                ["เลขประจำตัวประชาชน (national ID)", "ชื่อ-สกุล (name)",
                 "เลขที่ตำแหน่ง (position number)", "เดือน (month)", "ตกเบิก (arrears)"], rows)


# ---------------------------------------------------------------- cells

def _text_cells(row: Iterable[Cell]) -> list[str]:
    return ["" if cell is None else str(cell) if isinstance(cell, int) else neutralise(cell)
            for cell in row]


# ---------------------------------------------------------------- CSV and text


def _rows_after_header(feed: PayrollFeed) -> list[list[str]]:
    """The people and totals, then each other part after a blank row and its title."""
    people, *others = parts(feed)
    rows: list[list[Cell]] = list(people.rows)
    for part in others:
        rows += [[], [part.title], list(part.header), *part.rows]
    return [_text_cells(row) for row in rows]


def to_csv(feed: PayrollFeed) -> bytes:
    """UTF-8 with a byte-order mark, so Excel opens the Thai text correctly."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([column.heading for column in COLUMNS])
    writer.writerows(_rows_after_header(feed))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _pipe_field(text: str) -> str:
    return " ".join(text.replace("|", "/").splitlines()) if text else text


def to_pipe(feed: PayrollFeed) -> bytes:
    """One line per row, fields separated by ``|``; the header gives the columns' keys."""
    rows = [[column.key for column in COLUMNS], *_rows_after_header(feed)]
    return ("\n".join("|".join(_pipe_field(f) for f in row) for row in rows) + "\n").encode()


# ---------------------------------------------------------------- XLSX

_MIN_WIDTH, _MAX_WIDTH = 8, 80


def _shown_length(cell: Cell) -> int:
    """Roughly how many character widths a cell takes: Thai vowels and tone marks written
    above or below a letter take none."""
    if cell is None:
        return 0
    text = f"{cell:,}" if isinstance(cell, int) else cell
    return sum(1 for ch in text if unicodedata.category(ch) not in ("Mn", "Me", "Cf"))


def _widths(rows: Iterable[list[Cell]]) -> dict[int, int]:
    widths: dict[int, int] = {}
    for row in rows:
        for index, cell in enumerate(row, start=1):
            widths[index] = max(widths.get(index, 0), _shown_length(cell))
    return {index: max(_MIN_WIDTH, min(_MAX_WIDTH, width + 2)) for index, width in
            widths.items()}


def _put_row(sheet: Any, number: int, row: list[Cell], *, bold: bool = False) -> None:
    from openpyxl.styles import Alignment, Font  # type: ignore[import-untyped]

    for index, value in enumerate(row, start=1):
        if value is None:
            continue
        cell = sheet.cell(number, index)
        if isinstance(value, int):
            cell.value = value
            cell.number_format = "#,##0"
        else:
            put_text(cell, value)
            if _shown_length(value) > _MAX_WIDTH:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        if bold:
            cell.font = Font(bold=True)


def _sheet(sheet: Any, sections: list[Part], *, titled: bool) -> int:
    """Write ``sections`` one below the other (each after a blank row and its title when
    ``titled``), size the columns, and give the number of the last row."""
    from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

    number = 0
    for part in sections:
        if titled:
            number += 1 if number else 0
            number += 1
            _put_row(sheet, number, [part.title], bold=True)
        number += 1
        _put_row(sheet, number, list(part.header), bold=True)
        for row in part.rows:
            number += 1
            _put_row(sheet, number, row)
    every_row: list[list[Cell]] = []
    for part in sections:
        every_row += [[*part.header], *part.rows]
    for index, width in _widths(every_row).items():
        sheet.column_dimensions[get_column_letter(index)].width = width
    return number


def to_xlsx(feed: PayrollFeed) -> bytes:
    """The people and totals on the first sheet (header frozen), the reconciliation and the
    notes on sheets of their own."""
    from openpyxl import Workbook  # type: ignore[import-untyped]
    from openpyxl.styles import Font

    people, reconciliation, notes, arrears = parts(feed)
    book = Workbook()
    first = book.active
    first.title = people.title
    totals = _sheet(first, [people], titled=False)
    for cell in first[totals]:
        cell.font = Font(bold=True)
    first.freeze_panes = "A2"
    second = book.create_sheet("กระทบยอด")
    _sheet(second, [reconciliation], titled=False)
    second.freeze_panes = "A2"
    _sheet(book.create_sheet("หมายเหตุ"), [notes, arrears], titled=True)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------- writing and naming

_WRITERS: dict[str, Callable[[PayrollFeed], bytes]] = {
    "csv": to_csv, "xlsx": to_xlsx, "txt": to_pipe}


def write(feed: PayrollFeed, ext: str) -> bytes:
    """The feed as a file of format ``ext`` (one of ``FORMATS``)."""
    return _WRITERS[ext](feed)


# Letters and digits (Thai and Latin), dot, hyphen and underscore: nothing any file system or
# shell treats specially. Areas are at most 100 characters of 3 bytes in UTF-8; 60 keep the
# name well under the 255 bytes most file systems allow.
_UNSAFE = re.compile(r"[^0-9A-Za-z\u0E01-\u0E3A\u0E40-\u0E4E._-]+")
_AREA_CHARACTERS = 60


def file_name(area: str, month: date, ext: str) -> str:
    """``payroll-สพม.16-2026-05.csv``: the name the API and the command line give a file, safe
    on every common system (spaces and other marks become ``_``; the month in C.E., ISO)."""
    if ext not in FORMATS:
        raise ValueError(f"unknown payroll file format {ext!r}")
    safe = _UNSAFE.sub("_", unicodedata.normalize("NFC", area))[:_AREA_CHARACTERS]
    return f"payroll-{safe.strip('._') or 'area'}-{month:%Y-%m}.{ext}"


def ascii_file_name(area: str, month: date, ext: str) -> str:
    """The name for a client that reads only ASCII (a Content-Disposition's ``filename``
    beside ``filename*``): what is ASCII in the area's name is kept (``สพม.16`` → ``16``),
    so ``payroll-16-2026-05.csv``."""
    kept = ascii_words(area, _AREA_CHARACTERS)
    return file_name(kept, month, ext) if kept else f"payroll-{month:%Y-%m}.{ext}"
