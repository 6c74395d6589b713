"""The ก.ค.ศ.16 as people read it: Thai labels of the form, Buddhist-Era dates; as text for
the terminal and as an HTML page."""

from __future__ import annotations

import html
from collections.abc import Iterable
from datetime import date

from ledger.identity import format_national_id
from ledger.rules import standing_by_code
from ledger.thaidate import format_thai_date, format_thai_datetime
from ledger.vocabulary import LEAVING_REASONS
from projections.kks16 import Kks16, Row

__all__ = ["to_html", "to_text"]


def _d(day: date | None) -> str:
    return format_thai_date(day) if day else "-"


def _marks(row: Row) -> str:
    return (" [แก้ไขแล้ว]" if row.corrected else "") + (" [ยกเลิก]" if row.revoked else "")


def _header(record: Kks16) -> list[tuple[str, str]]:
    left = (f"{_d(record.left[0])} ({LEAVING_REASONS.get(record.left[1], record.left[1])})"
            if record.left else "-")
    return [
        ("๑. ชื่อ", record.name),
        ("เลขประจำตัวประชาชน", format_national_id(record.national_id)
         if len(record.national_id) == 13 else record.national_id),
        ("๒. วัน เดือน ปี เกิด", _d(record.birth_date)),
        ("๓. วันครบเกษียณอายุ", _d(record.retirement_date)),
        ("๔. ชื่อคู่สมรส", record.spouse_name or "-"),
        ("๕. ชื่อบิดา", record.father_name or "-"),
        ("๖. ชื่อมารดา", record.mother_name or "-"),
        ("๗. วันสั่งบรรจุ", _d(record.appointed_on)),
        ("ตำแหน่งปัจจุบัน", f"{record.position_title} เลขที่ {record.position_number or '-'} "
                           f"{record.unit} {record.area}"),
        ("วิทยฐานะ", standing_by_code(record.standing).label_th
         if record.standing != "none" else "-"),
        ("อัตราเงินเดือน", f"{record.salary:,} บาท" if record.salary else "-"),
        ("ภูมิลำเนา", record.domicile or "-"),
        ("พ้นจากราชการ", left),
    ]


def _sections(record: Kks16) -> list[tuple[str, list[Row]]]:
    return [
        ("๑๐. ประวัติการศึกษา", record.education),
        ("ฝึกอบรมและดูงาน", record.training),
        ("๑๑. การได้รับโทษทางวินัย", record.discipline),
        ("๑๒. วันที่ไม่ได้รับเงินเดือนหรือได้รับไม่เต็ม", record.days_without_pay),
        ("เครื่องราชอิสริยาภรณ์", record.decorations),
        ("การเปลี่ยนชื่อ-ชื่อสกุล", record.name_history),
        ("ความสามารถพิเศษ", record.special_skills),
        ("การปฏิบัติราชการพิเศษ", record.special_duties),
        ("เอกสารหลักฐาน", record.evidence),
    ]


def _caption(record: Kks16) -> str:
    parts = ["ทะเบียนประวัติข้าราชการครูและบุคลากรทางการศึกษา (ก.ค.ศ.16)"]
    if record.as_of:
        parts.append(f"ณ วันที่ {format_thai_date(record.as_of)}")
    if record.known_at:
        parts.append(f"ตามที่บันทึกไว้ถึง {format_thai_datetime(record.known_at)}")
    return " ".join(parts)


def to_text(record: Kks16) -> str:
    lines = [_caption(record), ""]
    lines += [f"{label}: {value}" for label, value in _header(record)]
    lines += ["", "๑๓. ตำแหน่งและอัตราเงินเดือน"]
    for p in record.positions:
        salary = f"{p.salary:,}" if p.salary else "-"
        lines.append(f"  {_d(p.on)} | {p.text} | {p.title} | {p.number} | {p.rank} | "
                     f"{salary} | {p.reference}{_marks(p)}")
    for title, rows in _sections(record):
        lines += ["", title, *_rows_text(rows)]
    lines += ["", "การลา (วัน)"]
    for year, kinds in sorted(record.leave_by_year.items()):
        lines.append(f"  พ.ศ. {year}: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
    lines += ["", SCHEDULED_TITLE, *_scheduled_text(record)]
    return "\n".join(lines) + "\n"


# Orders already recorded that take effect after the record's date: shown apart, never as
# the person's current position or pay.
SCHEDULED_TITLE = "คำสั่งที่ยังไม่มีผล (มีผลหลังวันที่ของทะเบียนนี้)"


def _scheduled_text(record: Kks16) -> list[str]:
    return [f"  มีผล {_d(r.on)} | {r.text} | {r.reference}" for r in record.scheduled] \
        or ["  -"]


def _rows_text(rows: Iterable[Row]) -> list[str]:
    return [f"  {_d(r.on)} | {r.text} | {r.reference}{_marks(r)}" for r in rows] or ["  -"]


def to_html(record: Kks16) -> str:
    e = html.escape
    head = "".join(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>" for k, v in _header(record))
    positions = "".join(
        f"<tr class='{'revoked' if p.revoked else ''}'><td>{e(_d(p.on))}</td><td>{e(p.text)}"
        f"{e(_marks(p))}</td><td>{e(p.title)}</td><td>{e(p.number)}</td><td>{e(p.rank)}</td>"
        f"<td>{e(f'{p.salary:,}' if p.salary else '-')}</td><td>{e(p.reference)}</td></tr>"
        for p in record.positions)
    sections = "".join(
        f"<h2>{e(title)}</h2><ul>"
        + ("".join(f"<li>{e(_d(r.on))} — {e(r.text)} <small>{e(r.reference)}"
                   f"{e(_marks(r))}</small></li>" for r in rows) or "<li>-</li>") + "</ul>"
        for title, rows in _sections(record))
    scheduled = "".join(f"<li>มีผล {e(_d(r.on))} — {e(r.text)} <small>{e(r.reference)}</small>"
                        "</li>" for r in record.scheduled) or "<li>-</li>"
    sections += f"<h2 id='scheduled'>{e(SCHEDULED_TITLE)}</h2><ul>{scheduled}</ul>"
    return (
        "<!doctype html><html lang='th'><head><meta charset='utf-8'>"
        f"<title>{e(record.name)} — ก.ค.ศ.16</title><style>"
        "body{font-family:'Sarabun','TH Sarabun New',sans-serif;margin:2em}"
        "table{border-collapse:collapse}td,th{border:1px solid #999;padding:.25em .5em;"
        "text-align:left}tr.revoked td{text-decoration:line-through;color:#777}</style>"
        f"</head><body><h1>{e(_caption(record))}</h1><table>{head}</table>"
        "<h2>๑๓. ตำแหน่งและอัตราเงินเดือน</h2><table><tr><th>วัน เดือน ปี</th><th>รายการ</th>"
        "<th>ตำแหน่ง</th><th>เลขที่ตำแหน่ง</th><th>อันดับ</th><th>อัตราเงินเดือน</th>"
        f"<th>เอกสารอ้างอิง</th></tr>{positions}</table>{sections}</body></html>"
    )
