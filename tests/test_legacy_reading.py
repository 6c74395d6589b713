"""Reading legacy CSV files: encodings, headers, line numbers, labels, dates and amounts.

No ledger is needed: these are the checks made before any row meets a record.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from commands.legacy_import._candidates import history_candidate, people_candidate
from commands.legacy_import._cells import EraCount, RowReader
from commands.legacy_import._labels import kind_of, rank_of, reason_of, standing_of
from commands.legacy_import._source import SourceFile, read_source
from ledger.errors import InvalidInput

PEOPLE_HEADER = ("national_id,prefix,first_name,last_name,birth_date,area,record_date,"
                 "order_number,order_date,authority")
PERSON = "3800100123454,นางสาว,กาญจนา,แก้วมณี,12/3/2528,สพม.16,16/5/2553,245/2553,10/5/2553,สพม.12"
HISTORY_HEADER = ("national_id,date,kind,position,noposition,radub,salary,noorder,dateorder,"
                  "authority")


def write(tmp_path: Path, data: bytes, name: str = "file.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def source(tmp_path: Path, text: str) -> SourceFile:
    return read_source(write(tmp_path, text.encode("utf-8")))


@pytest.mark.parametrize(("data", "encoding"), [
    (f"{PEOPLE_HEADER}\n{PERSON}\n".encode("utf-8-sig"), "UTF-8 with BOM"),
    (f"{PEOPLE_HEADER}\n{PERSON}\n".encode(), "UTF-8"),
    (f"{PEOPLE_HEADER}\n{PERSON}\n".encode("cp874"), "TIS-620 (cp874)"),
])
def test_the_encoding_is_detected(tmp_path: Path, data: bytes, encoding: str) -> None:
    read = read_source(write(tmp_path, data))
    assert read.encoding == encoding
    assert read.rows[0].cells["first_name"] == "กาญจนา"


def test_bytes_that_are_neither_utf8_nor_tis620_refuse_the_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="cannot be read as TIS-620"):
        read_source(write(tmp_path, PEOPLE_HEADER.encode() + b"\n\xdb\xfc\n"))


def test_thai_dpis_and_sapphire_headers_are_aliases(tmp_path: Path) -> None:
    thai = source(tmp_path, "เลขประจำตัวประชาชน,วัน เดือน ปี,ประเภทรายการ,ตำแหน่ง,เลขที่ตำแหน่ง,"
                            "อันดับ,อัตราเงินเดือน,เลขที่คำสั่ง,ลงวันที่,ผู้ออกคำสั่ง\n")
    sapphire = source(tmp_path, HISTORY_HEADER + "\n")
    dpis = source(tmp_path, "PER_CARDNO,POH_EFFECTIVEDATE,Kind,POH_PL_NAME,POH_POS_NO,LEVEL_NO,"
                            "POH_SALARY,POH_DOCNO,POH_DOCDATE,Authority\n")
    assert thai.layout.name == sapphire.layout.name == dpis.layout.name == "history"
    assert thai.columns == sapphire.columns == dpis.columns


def test_a_header_problem_refuses_the_whole_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="lacks required column") as missing:
        source(tmp_path, "national_id,first_name,birth_date\n")
    assert "นามสกุล (last_name)" in missing.value.message_th
    with pytest.raises(InvalidInput, match="both mean salary"):
        source(tmp_path, HISTORY_HEADER + ",เงินเดือน\n")
    with pytest.raises(InvalidInput, match="fits no import layout"):
        source(tmp_path, "name,value\n")


def test_line_numbers_are_spreadsheet_rows(tmp_path: Path) -> None:
    read = source(tmp_path, f'{PEOPLE_HEADER},note\n{PERSON},"two\nlines"\n,,,\n{PERSON},x\n')
    assert [row.line for row in read.rows] == [2, 4]  # the quoted cell is one row; 3 is blank
    assert read.blank_rows == 1
    assert read.ignored == ("note",)


def test_semicolon_files_are_read(tmp_path: Path) -> None:
    read = source(tmp_path, f"{PEOPLE_HEADER.replace(',', ';')}\n{PERSON.replace(',', ';')}\n")
    assert read.rows[0].cells["birth_date"] == "12/3/2528"


@pytest.mark.parametrize(("text", "code"), [
    ("เลื่อนขั้นเงินเดือน", "salary_raised"), ("บรรจุและแต่งตั้ง", "appointed"),
    ("แต่งตั้ง (ให้ดำรงตำแหน่งอื่น)", "position_changed"), ("ย้าย", "transferred"),
    ("ได้รับวิทยฐานะ", "standing_conferred"), ("LEFT_SERVICE", "left_service"),
])
def test_kind_labels(text: str, code: str) -> None:
    assert kind_of(text) == code


def test_rank_standing_and_reason_labels() -> None:
    assert [rank_of(t) for t in ("ครูผู้ช่วย", "คศ.1", "ค.ศ. ๒", "คศ3", "k4")] == [
        "assistant", "k1", "k2", "k3", "k4"]
    assert standing_of("ชำนาญการพิเศษ") == "senior_special"
    assert reason_of("เกษียณอายุราชการ") == "retired"
    with pytest.raises(InvalidInput, match="unknown rank 'ระดับ 7'"):
        rank_of("ระดับ 7")


def reader_for(tmp_path: Path, header: str, line: str) -> RowReader:
    return RowReader(source(tmp_path, f"{header}\n{line}\n").rows[0], EraCount())


def test_dates_in_either_era_and_dpis_timestamps(tmp_path: Path) -> None:
    reader = reader_for(tmp_path, HISTORY_HEADER, "3800100123454,2010-05-16 00:00:00,appointed,"
                                                  "ครู,2108,คศ.1,15050,1/2553,2010-05-10,สพม.12")
    assert reader.day("date") == date(2010, 5, 16)
    reader.row.cells["date"] = "16 พ.ค. 2553"
    assert reader.day("date") == date(2010, 5, 16)
    assert (reader.eras.be, reader.eras.ce) == (1, 1)
    reader.row.cells["date"] = "16/5/2010"  # a day-first C.E. date may be month-first
    assert reader.day("date") is None
    assert "ambiguous" in reader.reasons[0].message


def test_amounts_and_numbers(tmp_path: Path) -> None:
    reader = reader_for(tmp_path, HISTORY_HEADER + ",percent",
                        '3800100123454,1/4/2567,salary_raised,ครู,2108,คศ.1,"๑๕,๐๕๐.๐๐",'
                        '1/2567,1/4/2567,สพม.16,3.5%')
    assert reader.amount("salary") == 15_050
    assert reader.decimal("percent") == Decimal("3.5")
    reader.row.cells["salary"] = "15050.50"
    assert reader.amount("salary") is None
    assert "whole baht" in reader.reasons[0].message


def test_every_problem_of_a_row_is_reported_at_once(tmp_path: Path) -> None:
    reader = reader_for(tmp_path, HISTORY_HEADER,
                        "1234,2567-04-01,appointed,ครู,,คศ.9,,1/2567,1/4/2567,สพม.16")
    assert history_candidate(reader) is None
    found = " | ".join(r.message for r in reader.reasons)
    for problem in ("national_id:", "Buddhist-Era", "position_number is required",
                    "unknown rank", "salary is required"):
        assert problem in found


def test_a_people_row_needs_an_area(tmp_path: Path) -> None:
    header = PEOPLE_HEADER.replace(",area", "")
    line = PERSON.replace(",สพม.16,", ",", 1)
    reader = reader_for(tmp_path, header, line)
    assert people_candidate(reader, None) is None
    assert "--area" in reader.reasons[0].message
    candidate = people_candidate(reader_for(tmp_path, header, line), "สพม.16")
    assert candidate is not None
    assert candidate.fields["area"] == "สพม.16"
