"""The CSV layouts the import reads, and how a file's header tells which one it is.

Each column has an English name, the Thai headers of the paper form (ก.พ.7) and the column
names of the systems that exported the data (DPIS ``PER_*``, Sapphire's ``salary`` table), so
an export can be imported with its header as it is. Headers are compared without case,
spaces, ``_`` or ``-``: ``National ID``, ``national_id`` and ``NATIONAL-ID`` are one column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ledger.errors import InvalidInput

__all__ = ["LAYOUTS", "Column", "Layout", "column_th", "detect_layout", "header_key"]

_IGNORED_IN_HEADERS = re.compile(r"[\s_\-]+")


def header_key(text: str) -> str:
    return _IGNORED_IN_HEADERS.sub("", text.replace("\ufeff", "")).casefold()


@dataclass(frozen=True)
class Column:
    name: str
    thai: tuple[str, ...]
    other: tuple[str, ...] = ()  # names used by DPIS or Sapphire exports
    required: bool = False

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(header_key(n) for n in (self.name, *self.thai, *self.other))


@dataclass(frozen=True)
class Layout:
    name: str
    title_th: str
    columns: tuple[Column, ...]
    signature: frozenset[str]  # columns whose presence identifies the layout

    def column(self, key: str) -> Column | None:
        return next((c for c in self.columns if key in c.keys), None)


_ORDER_COLUMNS = (
    # เอกสารอ้างอิง: the reference column of ก.พ.7 sections 10-12 (a degree's registration).
    Column("order_number", ("เลขที่คำสั่ง", "คำสั่งที่", "เอกสารอ้างอิง"),
           ("noorder", "poh_docno", "sah_docno"), required=True),
    Column("order_date", ("ลงวันที่", "วันที่คำสั่ง", "ลว."), ("dateorder", "poh_docdate",
                                                              "sah_docdate"), required=True),
    Column("authority", ("ผู้ออกคำสั่ง", "หน่วยงานที่ออกคำสั่ง"), ("order_authority",),
           required=True),
)

PEOPLE = Layout("people", "ข้อมูลส่วนบุคคล (ก.พ.7 หน้า 1)", (
    Column("national_id", ("เลขประจำตัวประชาชน", "เลขบัตรประชาชน"), ("per_cardno", "idcard"),
           required=True),
    Column("prefix", ("คำนำหน้าชื่อ", "คำนำหน้า"), ("prename",), required=True),
    Column("first_name", ("ชื่อ",), ("per_name",), required=True),
    Column("last_name", ("นามสกุล", "ชื่อสกุล"), ("per_surname", "surname"), required=True),
    Column("birth_date", ("วันเกิด", "วัน เดือน ปี เกิด", "วันเดือนปีเกิด"),
           ("per_birthdate", "birthday"), required=True),
    Column("gender", ("เพศ",), ("per_gender", "sex")),
    Column("father_name", ("ชื่อบิดา",)),
    Column("mother_name", ("ชื่อมารดา",)),
    Column("spouse_name", ("ชื่อคู่สมรส",)),
    Column("domicile", ("ภูมิลำเนา",)),
    Column("area", ("เขตพื้นที่การศึกษา", "เขตพื้นที่", "สพท.")),
    Column("record_date", ("วันสั่งบรรจุ", "วันเปิดทะเบียน"), ("appointment_date",),
           required=True),
    *_ORDER_COLUMNS,
), frozenset({"first_name", "birth_date"}))

HISTORY = Layout("history", "ตำแหน่งและอัตราเงินเดือน (ก.พ.7 ข้อ 13)", (
    Column("national_id", ("เลขประจำตัวประชาชน", "เลขบัตรประชาชน"), ("per_cardno", "idcard"),
           required=True),
    Column("date", ("วัน เดือน ปี", "วันที่", "วันที่มีผล"), ("effective_date",
                                                            "poh_effectivedate",
                                                            "sah_effectivedate"),
           required=True),
    Column("kind", ("ประเภทรายการ", "ประเภท", "รายการ"), ("mov_type",), required=True),
    Column("position", ("ตำแหน่ง",), ("position_title", "poh_pl_name")),
    Column("position_number", ("เลขที่ตำแหน่ง", "เลขตำแหน่ง"), ("noposition", "poh_pos_no")),
    Column("rank", ("อันดับ", "ระดับ"), ("radub", "level_no")),
    Column("salary", ("อัตราเงินเดือน", "เงินเดือน"), ("poh_salary", "sah_salary")),
    Column("unit", ("สถานศึกษา", "หน่วยงาน", "โรงเรียน", "สังกัด")),
    Column("area", ("เขตพื้นที่การศึกษา", "เขตพื้นที่", "สพท.")),
    Column("standing", ("วิทยฐานะ",)),
    Column("old_position_number", ("เลขที่ตำแหน่งเดิม",)),
    Column("percent", ("ร้อยละ", "ร้อยละที่ได้เลื่อน"), ("sah_percent_up",)),
    Column("steps", ("จำนวนขั้น", "ขั้น")),
    Column("detail", ("รายละเอียด", "หมายเหตุ"), ("remark", "poh_remark")),
    *_ORDER_COLUMNS,
), frozenset({"kind"}))

EDUCATION = Layout("education", "ประวัติการศึกษา (ก.พ.7 ข้อ 10)", (
    Column("national_id", ("เลขประจำตัวประชาชน", "เลขบัตรประชาชน"), ("per_cardno", "idcard"),
           required=True),
    Column("institution", ("สถานศึกษา", "สถาบัน"), ("ins_name",), required=True),
    Column("degree", ("วุฒิที่ได้รับ", "วุฒิ", "ปริญญา"), ("en_name",), required=True),
    Column("major", ("สาขาวิชาเอก", "สาขาวิชา", "วิชาเอก"), ("em_name",)),
    Column("started", ("ตั้งแต่", "วันเริ่มศึกษา"), ("edu_startdate",), required=True),
    Column("finished", ("ถึง", "วันสำเร็จการศึกษา"), ("edu_enddate",), required=True),
    *_ORDER_COLUMNS,
), frozenset({"degree", "institution"}))

# Checked in this order: an education file has a สถานศึกษา column too, so it goes first
# lest that column be read as a history file's unit.
LAYOUTS: tuple[Layout, ...] = (EDUCATION, HISTORY, PEOPLE)


def column_th(name: str) -> str:
    """A column as Thai messages name it: ``อัตราเงินเดือน (salary)``."""
    for layout in LAYOUTS:
        column = next((c for c in layout.columns if c.name == name), None)
        if column is not None:
            return f"{column.thai[0]} ({name})"
    return name


def detect_layout(header: list[str], path_name: str) -> Layout:
    """The layout whose identifying columns the header has; refuse a header that fits none."""
    keys = {header_key(cell) for cell in header}
    for layout in LAYOUTS:
        present = {c.name for c in layout.columns if set(c.keys) & keys}
        if layout.signature <= present:
            return layout
    raise InvalidInput(
        f"{path_name}: the header fits no import layout — a people file needs first_name and "
        f"birth_date, a history file a kind column, an education file institution and degree",
        f"{path_name}: หัวตารางไม่ตรงกับรูปแบบใด — ไฟล์ข้อมูลบุคคลต้องมีคอลัมน์ ชื่อ และ วันเกิด "
        f"ไฟล์ประวัติตำแหน่งต้องมีคอลัมน์ ประเภทรายการ ไฟล์ประวัติการศึกษาต้องมี สถานศึกษา และ วุฒิ",
    )
