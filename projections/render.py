"""The ก.ค.ศ.16 as people read it: the form's items and sections in its own order and
numbering, Thai labels, Buddhist-Era dates; as text for the terminal and as an HTML page.

The form is laid out once (``layout``) and both printers print that layout, so the text and
the page always hold the same items, in the same order, under the same numbers. The layout
is the ก.พ.7's as DPIS and Sapphire's teacher system print it (domain/REFERENCE.md §1.2: the
text fixing the ก.ค.ศ.16's own layout was NOT FOUND); ``docs/kks16.md`` describes it:

- the main sheet: the photo strip, items ๑–๙, the unnumbered header items, sections ๑๐–๑๓;
- the sheet "ข้อมูลสำคัญโดยย่อ", ๑–๗;
- then what tabien adds: the evidence files, and the orders recorded but not yet in effect.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from pythainlp.util import arabic_digit_to_thai_digit

from ledger.identity import format_national_id
from ledger.thaidate import format_thai_date, format_thai_datetime, to_be_year
from projections.kks16 import Kks16, PeriodRow, Row

__all__ = ["SCHEDULED_TITLE", "Item", "Sheet", "Table", "layout", "to_html", "to_text"]

# Orders already recorded that take effect after the record's date: shown apart, never as
# the person's current position or pay.
SCHEDULED_TITLE = "คำสั่งที่ยังไม่มีผล (มีผลหลังวันที่ของทะเบียนนี้)"


@dataclass(frozen=True)
class Item:
    """One item of a sheet: its label as the form prints it (with its number) and value."""

    label: str
    value: str


@dataclass(frozen=True)
class Table:
    """One section of a sheet: its title (with its number), its columns, its rows' cells;
    ``struck`` marks the rows of revoked entries."""

    title: str
    anchor: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...] = ()
    struck: tuple[bool, ...] = ()


@dataclass(frozen=True)
class Sheet:
    title: str
    blocks: tuple[Item | Table, ...]


def layout(record: Kks16) -> list[Sheet]:
    """The whole form, in its order."""
    return [_main_sheet(record), _brief_sheet(record), _added_by_tabien(record)]


# ------------------------------------------------------------------ the sheets


def _main_sheet(record: Kks16) -> Sheet:
    return Sheet("", (_photos(record), *_numbered_items(record), *_header_items(record),
                      _education_and_training(record),
                      _dated("๑๑. การได้รับโทษทางวินัย", "section-11", record.discipline,
                             year_only=True),
                      _periods("๑๒. วันที่ไม่ได้รับเงินเดือน หรือได้รับไม่เต็ม หรือวันที่มิได้"
                               "ประจำปฏิบัติหน้าที่อยู่ในเขตที่ได้มีประกาศใช้กฎอัยการศึก",
                               "section-12", record.days_without_pay),
                      _positions(record)))


def _brief_sheet(record: Kks16) -> Sheet:
    address = record.current_address or "-"
    if record.telephone:
        address += f" โทรศัพท์ {record.telephone}"
    return Sheet("ข้อมูลสำคัญโดยย่อ", (
        Item("๑. ชื่อ", f"{record.name} เกิดวันที่ {_d(record.birth_date)}"),
        Item("๒. ที่อยู่ปัจจุบัน", address),
        Item("ที่อยู่ตามทะเบียนบ้าน", record.registered_address or "-"),
        _dated("๓. เครื่องราชอิสริยาภรณ์ วันที่ได้รับ วันส่งคืน รวมทั้งเอกสารอ้างอิง",
               "brief-3", record.decorations),
        _leave(record),
        _dated("๕. ความสามารถพิเศษ", "brief-5", record.special_skills),
        _dated("๖. การปฏิบัติราชการพิเศษ", "brief-6", record.special_duties),
        _dated("๗. รายการอื่น ๆ ที่จำเป็น (การเปลี่ยนชื่อ-ชื่อสกุล)", "brief-7",
               record.name_history),
    ))


def _added_by_tabien(record: Kks16) -> Sheet:
    scheduled = tuple((_d(r.on), r.text, r.reference) for r in record.scheduled)
    return Sheet("", (
        _dated("เอกสารหลักฐาน", "evidence", record.evidence),
        Table(SCHEDULED_TITLE, "scheduled", ("วันที่มีผล", "รายการ", "เอกสารอ้างอิง"),
              scheduled, (False,) * len(scheduled)),
    ))


# ------------------------------------------------------------------ the parts


def _numbered_items(record: Kks16) -> list[Item]:
    return [
        Item("๑. ชื่อ", record.name),
        Item("๒. วัน เดือน ปี เกิด", _d(record.birth_date)),
        Item("๓. วันครบเกษียณอายุ", _d(record.retirement_date)),
        Item("๔. ชื่อคู่สมรส", record.spouse_name or "-"),
        Item("๕. ชื่อบิดา", record.father_name or "-"),
        Item("๖. ชื่อมารดา", record.mother_name or "-"),
        Item("๗. วันสั่งบรรจุ", _d(record.appointed_on)),
        Item("๘. วันเริ่มปฏิบัติราชการ", _d(record.duty_started_on)),
        Item("๙. ประเภทข้าราชการ", record.staff_type_th or "-"),
    ]


def _header_items(record: Kks16) -> list[Item]:
    """The items DPIS prints unnumbered beside 1–9, then the person's state today."""
    left = f"{_d(record.left[0])} ({record.left_reason_th})" if record.left else "-"
    return [
        Item("เลขประจำตัวประชาชน", format_national_id(record.national_id)
             if len(record.national_id) == 13 else record.national_id),
        Item("เลขประจำตัวข้าราชการ", "-"),  # the ledger keeps none (docs/kks16.md)
        Item("ภูมิลำเนา", record.domicile or "-"),
        Item("เครื่องราชอิสริยาภรณ์", record.decoration or "-"),
        Item("ตำแหน่งปัจจุบัน", f"{record.position_title} เลขที่ {record.position_number or '-'}"
                               f" {record.unit} {record.area}"),
        Item("อันดับ", record.rank_th or "-"),
        Item("วิทยฐานะ", record.standing_th or "-"),
        Item("อัตราเงินเดือน", f"{record.salary:,} บาท" if record.salary else "-"),
        Item("พ้นจากราชการ", left),
    ]


def _photos(record: Kks16) -> Table:
    rows = tuple((_thai(str(n)), str(p.year), p.name, p.sha256[:16] + "…", p.reference)
                 for n, p in enumerate(record.photos, start=1))
    return Table("รูปถ่าย", "photos", ("รูปที่", "พ.ศ.", "ไฟล์", "SHA-256", "เอกสารอ้างอิง"),
                 rows, tuple(p.revoked for p in record.photos))


def _education_and_training(record: Kks16) -> Table:
    rows = [*record.education, *record.training]
    return Table("๑๐. ประวัติการศึกษา ฝึกอบรมและดูงาน", "section-10",
                 ("สถานศึกษา ฝึกอบรมและดูงาน", "ตั้งแต่ – ถึง",
                  "วุฒิที่ได้รับ ระบุสาขาวิชาเอก / หลักสูตร", "เอกสารอ้างอิง"),
                 tuple((r.place, _period(r), r.title + _marks(r), r.reference) for r in rows),
                 tuple(r.revoked for r in rows))


def _periods(title: str, anchor: str, rows: Sequence[PeriodRow]) -> Table:
    return Table(title, anchor, ("ตั้งแต่ – ถึง", "รายการ", "เอกสารอ้างอิง"),
                 tuple((_period(r), r.title + _marks(r), r.reference) for r in rows),
                 tuple(r.revoked for r in rows))


def _dated(title: str, anchor: str, rows: Sequence[Row], *, year_only: bool = False) -> Table:
    return Table(title, anchor, ("พ.ศ." if year_only else "วัน เดือน ปี", "รายการ",
                                 "เอกสารอ้างอิง"),
                 tuple((str(to_be_year(r.on)) if year_only else _d(r.on), r.text + _marks(r),
                        r.reference) for r in rows),
                 tuple(r.revoked for r in rows))


def _positions(record: Kks16) -> Table:
    return Table("๑๓. ตำแหน่งและอัตราเงินเดือน", "section-13",
                 ("วัน เดือน ปี", "รายการ", "ตำแหน่ง", "เลขที่ตำแหน่ง", "อันดับ", "อัตราเงินเดือน",
                  "เอกสารอ้างอิง"),
                 tuple((_d(p.on), p.text + _marks(p), p.title, p.number, p.rank,
                        f"{p.salary:,}" if p.salary else "-", p.reference)
                       for p in record.positions),
                 tuple(p.revoked for p in record.positions))


# The columns of the leave table in DPIS's order (REFERENCE §1.2), with the names Sapphire's
# teacher version and the ledger's own entries use beside them; any other kind follows.
_LEAVE_COLUMNS = ("ลาป่วย", "ลากิจ", "ลากิจส่วนตัว", "ลาพักผ่อน", "ลากิจและพักผ่อน", "สาย",
                  "มาสาย", "ขาดราชการ", "ลาศึกษาต่อ", "ลาคลอดบุตร", "ลาคลอด", "ลาอุปสมบท",
                  "ลาเข้ารับการตรวจเลือก", "ลาไปปฏิบัติงาน(ต่างประเทศ)", "ลาติดตามคู่สมรส",
                  "ลากิจเลี้ยงดูบุตร", "ลาไปช่วยเหลือภริยาที่คลอดบุตร", "ลาไปฟื้นฟูสมรรถภาพ",
                  "ลาพิเศษ")


def _leave_column(kind: str) -> tuple[int, str]:
    return (_LEAVE_COLUMNS.index(kind) if kind in _LEAVE_COLUMNS else len(_LEAVE_COLUMNS), kind)


def _leave(record: Kks16) -> Table:
    kinds = sorted({kind for per_year in record.leave_by_year.values() for kind in per_year},
                   key=_leave_column)
    rows = tuple((str(year), *(str(per_year.get(kind, "-")) for kind in kinds))
                 for year, per_year in sorted(record.leave_by_year.items()))
    return Table("๔. จำนวนวันลาหยุดราชการ ขาดราชการ มาสาย", "brief-4",
                 ("พ.ศ.", *kinds), rows, (False,) * len(rows))


# ------------------------------------------------------------------ cells


def _d(day: date | None) -> str:
    return format_thai_date(day) if day else "-"


def _period(row: PeriodRow) -> str:
    started = format_thai_date(row.started, abbreviated=True) if row.started else "-"
    finished = format_thai_date(row.finished, abbreviated=True) if row.finished else "-"
    return f"{started} – {finished}"


def _marks(row: Row) -> str:
    return (" [แก้ไขแล้ว]" if row.corrected else "") + (" [ยกเลิก]" if row.revoked else "")


def _thai(digits: str) -> str:
    return str(arabic_digit_to_thai_digit(digits))


def _caption(record: Kks16) -> str:
    parts = ["ทะเบียนประวัติข้าราชการครูและบุคลากรทางการศึกษา (ก.ค.ศ.16)"]
    if record.as_of:
        parts.append(f"ณ วันที่ {format_thai_date(record.as_of)}")
    if record.known_at:
        parts.append(f"ตามที่บันทึกไว้ถึง {format_thai_datetime(record.known_at)}")
    return " ".join(parts)


# ------------------------------------------------------------------ text


def to_text(record: Kks16) -> str:
    lines = [_caption(record)]
    for sheet in layout(record):
        if sheet.title:
            lines += ["", sheet.title]
        previous: Item | Table | None = None
        for block in sheet.blocks:
            if isinstance(block, Item):
                if not isinstance(previous, Item):
                    lines.append("")
                lines.append(f"{block.label}: {block.value}")
            else:
                lines += ["", block.title, *_table_text(block)]
            previous = block
    return "\n".join(lines) + "\n"


def _table_text(table: Table) -> list[str]:
    if not table.rows:
        return ["  -"]
    return [f"  ({' | '.join(table.columns)})",
            *(f"  {' | '.join(cells)}" for cells in table.rows)]


# ------------------------------------------------------------------ HTML


def to_html(record: Kks16, *, source: str = "") -> str:
    """The form as a page; ``source`` (``LedgerHead.note``) says which state of the ledger it
    was made from, below the form."""
    e = html.escape
    body: list[str] = [f"<h1>{e(_caption(record))}</h1>"]
    for sheet in layout(record):
        level = 3 if sheet.title else 2
        if sheet.title:
            body.append(f"<h2 class='sheet'>{e(sheet.title)}</h2>")
        items: list[Item] = []
        for block in sheet.blocks:
            if isinstance(block, Item):
                items.append(block)
                continue
            body.append(_items_html(items))
            items = []
            body.append(_table_html(block, level))
        body.append(_items_html(items))
    if source:
        body.append(f"<p class='source'>{e(source)}</p>")
    return (
        "<!doctype html><html lang='th'><head><meta charset='utf-8'>"
        f"<title>{e(record.name)} — ก.ค.ศ.16</title><style>"
        "body{font-family:'Sarabun','TH Sarabun New',sans-serif;margin:2em}"
        "table{border-collapse:collapse;margin-bottom:1em}td,th{border:1px solid #999;"
        "padding:.25em .5em;text-align:left;vertical-align:top}"
        "tr.revoked td{text-decoration:line-through;color:#777}</style>"
        f"</head><body>{''.join(body)}</body></html>"
    )


def _items_html(items: Iterable[Item]) -> str:
    e = html.escape
    rows = "".join(f"<tr><th>{e(i.label)}</th><td>{e(i.value)}</td></tr>" for i in items)
    return f"<table class='items'>{rows}</table>" if rows else ""


_REVOKED = " class='revoked'"


def _table_html(table: Table, level: int) -> str:
    e = html.escape
    heading = f"<h{level} id='{table.anchor}'>{e(table.title)}</h{level}>"
    if not table.rows:
        return f"{heading}<p>-</p>"
    head = "".join(f"<th>{e(c)}</th>" for c in table.columns)
    rows = "".join(
        f"<tr{_REVOKED if struck else ''}>"
        + "".join(f"<td>{e(cell)}</td>" for cell in cells) + "</tr>"
        for cells, struck in zip(table.rows, table.struck or (False,) * len(table.rows),
                                 strict=True))
    return f"{heading}<table><tr>{head}</tr>{rows}</table>"
