"""The ก.ค.ศ.16 complete and in the form's order (issue 15, item 5).

Reported: items 8 (วันเริ่มปฏิบัติราชการ) and 9 (ประเภทข้าราชการ), the addresses and the photo
were missing; sections ran ๑–๗, ๑๓, then ๑๐–๑๒, with training, decorations and the rest
unnumbered; education and training periods printed as ``2005-06-01 – 2010-03-31``; the HTML
left out the leave; the record's JSON said ``k2`` and ``senior`` where a person reads คศ.2 and
ชำนาญการพิเศษ. What must hold: every item and section of the form, in its order and numbering,
in the text and the HTML alike; every date in the Buddhist Era; leave in the HTML; codes shown
by their Thai labels, and the API giving both the code and its label.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from api.cli import app
from ledger.evidence import EvidenceRef
from ledger.identity import record_id_for
from ledger.record import PersonnelRecord as P
from ledger.thaidate import today
from projections.diff import diff_records
from projections.kks16 import Kks16, build_record
from projections.record_projection import rebuild
from projections.render import SCHEDULED_TITLE, to_html, to_text
from tests.conftest import LedgerEnv
from tests.factories import national_id, open_person, order, raise_salary, write_history
from tests.web import Api

PHOTO = b"\xff\xd8\xff\xe0 a photo of teacher 1, 2555"
PHOTO_REF = EvidenceRef(hashlib.sha256(PHOTO).hexdigest(), "ครู1-2555.jpg", "image/jpeg",
                        len(PHOTO))

# The form as tabien prints it (docs/kks16.md), top to bottom: the main sheet (photo strip,
# items 1–9, the unnumbered header items, sections 10–13), the sheet ข้อมูลสำคัญโดยย่อ (1–7),
# then what tabien adds.
FORM_ORDER = [
    "รูปถ่าย",
    "๑. ชื่อ", "๒. วัน เดือน ปี เกิด", "๓. วันครบเกษียณอายุ", "๔. ชื่อคู่สมรส", "๕. ชื่อบิดา",
    "๖. ชื่อมารดา", "๗. วันสั่งบรรจุ", "๘. วันเริ่มปฏิบัติราชการ", "๙. ประเภทข้าราชการ",
    "เลขประจำตัวประชาชน", "เลขประจำตัวข้าราชการ", "ภูมิลำเนา", "เครื่องราชอิสริยาภรณ์",
    "๑๐. ประวัติการศึกษา ฝึกอบรมและดูงาน", "๑๑. การได้รับโทษทางวินัย",
    "๑๒. วันที่ไม่ได้รับเงินเดือน หรือได้รับไม่เต็ม", "๑๓. ตำแหน่งและอัตราเงินเดือน",
    "ข้อมูลสำคัญโดยย่อ",
    "๑. ชื่อ", "๒. ที่อยู่ปัจจุบัน", "ที่อยู่ตามทะเบียนบ้าน",
    "๓. เครื่องราชอิสริยาภรณ์ วันที่ได้รับ วันส่งคืน", "๔. จำนวนวันลาหยุดราชการ ขาดราชการ มาสาย",
    "๕. ความสามารถพิเศษ", "๖. การปฏิบัติราชการพิเศษ", "๗. รายการอื่น ๆ ที่จำเป็น",
    "เอกสารหลักฐาน", SCHEDULED_TITLE,
]
THAI_NUMBERS = ["๑", "๒", "๓", "๔", "๕", "๖", "๗", "๘", "๙", "๑๐", "๑๑", "๑๒", "๑๓"]


def career() -> P:
    """Teacher 1 (open_person: born 1 May 1985, appointed 16 May 2010 as ครูผู้ช่วย), with an
    entry in every part of the form and a transfer ordered today for three weeks on."""
    r = open_person(1)
    r.record(P.EducationRecorded, effective_date=date(2010, 3, 31),
             order=order("1/2553", date(2010, 4, 20)), institution="มหาวิทยาลัยทักษิณ",
             degree="ครุศาสตรบัณฑิต", major="คณิตศาสตร์", started=date(2005, 6, 1),
             finished=date(2010, 3, 31))
    r.record(P.TrainingRecorded, effective_date=date(2012, 10, 3),
             order=order("5/2555", date(2012, 9, 20)), course="การสอนคณิตศาสตร์ รุ่นที่ 3",
             place="สพม.16", started=date(2012, 10, 1), finished=date(2012, 10, 3))
    raise_salary(r, date(2011, 4, 1), 15_500)
    r.record(P.DisciplinePenalised, effective_date=date(2015, 2, 1),
             order=order("9/2558", date(2015, 2, 1)), penalty="ภาคทัณฑ์",
             description="มาสายเป็นประจำ")
    r.record(P.DaysWithoutPayRecorded, effective_date=date(2016, 1, 8),
             order=order("2/2559", date(2016, 1, 20)), started=date(2016, 1, 4),
             finished=date(2016, 1, 8), description="ลากิจเกินสิทธิ")
    r.record(P.StandingConferred, effective_date=date(2016, 6, 1),
             order=order("30/2559", date(2016, 6, 20)), standing="senior_special", rank="k3",
             salary=29_000)
    r.record(P.DecorationConferred, effective_date=date(2016, 7, 28),
             order=order("40/2559", date(2016, 12, 1)), decoration="ตริตาภรณ์ช้างเผือก",
             gazette="ราชกิจจานุเบกษา เล่ม 133 ตอนที่ 20 ข")
    for day, kind, days in ((date(2017, 1, 9), "ลาป่วย", "2"), (date(2017, 3, 9), "ลากิจส่วนตัว",
                                                                 "1.5")):
        r.record(P.LeaveRecorded, effective_date=day, order=order("3/2560", day),
                 leave_type=kind, days=Decimal(days), started=day, finished=day)
    r.record(P.SpecialSkillRecorded, effective_date=date(2017, 5, 1),
             order=order("5/2560", date(2017, 5, 1)), description="ดนตรีไทย")
    r.record(P.SpecialDutyRecorded, effective_date=date(2018, 5, 1),
             order=order("6/2561", date(2018, 5, 1)), description="กรรมการคุมสอบ")
    r.record(P.NameChanged, effective_date=date(2019, 2, 14),
             order=order("7/2562", date(2019, 2, 20)), prefix="นาง", first_name="ครู1",
             last_name="รักเรียน")
    record_addresses_and_photo(r)
    r.record(P.EvidenceAttached, effective_date=date(2019, 3, 1),
             order=order("8/2562", date(2019, 3, 1)), attached_to=2, evidence=PHOTO_REF,
             description="สำเนาคำสั่งบรรจุ")
    r.record(P.Transferred, effective_date=today() + timedelta(days=21),
             order=order(f"88/{today().year + 543}", today()), position_title="ครู",
             position_number="2002", unit="โรงเรียนทุ่งสง", area="สพม.16")
    return r


def record_addresses_and_photo(r: P) -> None:
    r.record(P.AddressRecorded, effective_date=date(2019, 3, 1),
             order=order("8/2562", date(2019, 3, 1)), address_type="current",
             address="99 หมู่ 2 ตำบลปากพนังฝั่งตะวันออก อำเภอปากพนัง จังหวัดนครศรีธรรมราช",
             telephone="075-123456")
    r.record(P.AddressRecorded, effective_date=date(2019, 3, 1),
             order=order("8/2562", date(2019, 3, 1)), address_type="registered",
             address="12 ถนนราชดำเนิน อำเภอเมือง จังหวัดนครศรีธรรมราช", telephone="")
    r.record(P.PhotoRecorded, effective_date=date(2012, 6, 1),
             order=order("8/2562", date(2019, 3, 1)), photo=PHOTO_REF)


def the_record() -> Kks16:
    return build_record(career().collect_events())


def in_order(document: str, labels: list[str], before: str = "", after: str = "") -> None:
    """Each label appears, as a label (after ``before``), after the one before it."""
    at = 0
    for label in labels:
        found = document.find(f"{before}{label}", at)
        assert found >= 0, f"{label!r} missing, or out of order, after {document[at - 80:at]!r}"
        at = found + len(before) + len(label)


def test_the_text_has_every_item_and_section_in_the_forms_order() -> None:
    in_order(to_text(the_record()), FORM_ORDER, before="\n")


def test_the_html_has_every_item_and_section_in_the_forms_order() -> None:
    in_order(to_html(the_record()), FORM_ORDER, before=">")


def numbering(document: str, pattern: str) -> list[list[str]]:
    """The numbers of the numbered items and sections, per sheet (split at the brief one)."""
    main, brief = document.split("ข้อมูลสำคัญโดยย่อ", 1)
    return [re.findall(pattern, main), re.findall(pattern, brief)]


def test_the_numbering_is_the_forms_in_text_and_html() -> None:
    record = the_record()
    expected = [THAI_NUMBERS, THAI_NUMBERS[:7]]
    assert numbering(to_text(record), r"(?m)^([๐-๙]+)\. ") == expected
    assert numbering(to_html(record), r"<(?:th|h2|h3)[^>]*>([๐-๙]+)\. ") == expected


def test_items_8_and_9_come_from_the_appointment() -> None:
    record = the_record()
    assert record.duty_started_on == date(2010, 5, 16)
    assert (record.staff_type, record.staff_type_th) == ("teacher", "ข้าราชการครู")
    text = to_text(record)
    assert "๘. วันเริ่มปฏิบัติราชการ: 16 พฤษภาคม 2553" in text
    assert "๙. ประเภทข้าราชการ: ข้าราชการครู" in text


ISO_DATE = re.compile(r"(?<![0-9])[0-9]{4}-[0-9]{2}-[0-9]{2}(?![0-9])")


def test_every_date_is_buddhist_era_periods_included() -> None:
    record = the_record()
    for document in (to_text(record), to_html(record)):
        assert not ISO_DATE.search(document), ISO_DATE.search(document)
        for year in ("2005", "2010", "2012", "2016"):  # C.E. years of the career
            assert f" {year}" not in document
            assert f">{year}" not in document
        assert "1 มิ.ย. 2548 – 31 มี.ค. 2553" in document  # the degree
        assert "1 ต.ค. 2555 – 3 ต.ค. 2555" in document  # the course
        assert "4 ม.ค. 2559 – 8 ม.ค. 2559" in document  # section 12
        assert "16 พฤษภาคม 2553" in document
    assert record.education[0].text == "ครุศาสตรบัณฑิต คณิตศาสตร์ มหาวิทยาลัยทักษิณ " \
                                       "(1 มิ.ย. 2548 – 31 มี.ค. 2553)"


def test_the_html_has_the_leave_by_buddhist_year() -> None:
    page = to_html(the_record())
    leave = page.split("id='brief-4'", 1)[1].split("</table>", 1)[0]
    assert "<th>ลาป่วย</th><th>ลากิจส่วนตัว</th>" in leave  # DPIS's column order
    assert "<td>2560</td><td>2</td><td>1.5</td>" in leave


def test_codes_are_shown_by_their_thai_labels() -> None:
    record = the_record()
    assert (record.rank, record.rank_th) == ("k3", "คศ.3")
    assert (record.standing, record.standing_th) == ("senior_special", "ชำนาญการพิเศษ")
    assert record.positions[-1].rank == "คศ.3"
    assert record.positions[-1].rank_code == "k3"
    for document in (to_text(record), to_html(record)):
        assert "คศ.3" in document
        assert "ชำนาญการพิเศษ" in document
        assert "ข้าราชการครู" in document
        assert "senior_special" not in document
        assert "teacher" not in document


def test_the_addresses_and_the_photo_with_its_year() -> None:
    record = the_record()
    assert record.current_address.startswith("99 หมู่ 2")
    assert record.telephone == "075-123456"
    assert record.registered_address.startswith("12 ถนนราชดำเนิน")
    [photo] = record.photos
    assert (photo.year, photo.sha256, photo.name) == (2555, PHOTO_REF.sha256, "ครู1-2555.jpg")
    text = to_text(record)
    assert f"  ๑ | 2555 | ครู1-2555.jpg | {PHOTO_REF.sha256[:16]}…" in text
    assert "๒. ที่อยู่ปัจจุบัน: 99 หมู่ 2" in text
    assert "โทรศัพท์ 075-123456" in text
    assert "เครื่องราชอิสริยาภรณ์: ตริตาภรณ์ช้างเผือก" in text


def test_a_returned_decoration_is_no_longer_held() -> None:
    r = career()
    r.record(P.DecorationReturned, effective_date=date(2020, 1, 10),
             order=order("1/2563", date(2020, 1, 10)), decoration="ตริตาภรณ์ช้างเผือก")
    record = build_record(r.collect_events())
    assert record.decoration == ""
    assert [row.returned for row in record.decorations] == [False, True]


def test_a_revoked_address_gives_way_to_the_one_before() -> None:
    r = career()
    r.record(P.AddressRecorded, effective_date=date(2021, 1, 1),
             order=order("2/2564", date(2021, 1, 1)), address_type="current",
             address="1 ถนนใหม่ อำเภอทุ่งสง", telephone="")
    moved = r.version
    events = r.collect_events()
    assert build_record(events).current_address == "1 ถนนใหม่ อำเภอทุ่งสง"
    r.record(P.EntryRevoked, effective_date=date(2021, 2, 1),
             order=order("3/2564", date(2021, 2, 1)), revokes=moved, reason="บันทึกผิดคน")
    events += r.collect_events()
    assert build_record(events).current_address.startswith("99 หมู่ 2")


# ------------------------------------------------------------------------ the API


def her_standing_and_home(api: Api, ledger_env: LedgerEnv) -> None:
    """Teacher 1 of the API's ledger becomes ชำนาญการ (คศ.2); her addresses and photo are
    recorded; the view is rebuilt."""
    record = api.services.ledger.record(record_id_for(national_id(1),
                                                      ledger_env.store.identity_secret()))
    record.record(P.StandingConferred, effective_date=date(2016, 6, 1),
                  order=order("30/2559", date(2016, 6, 20)), standing="senior", rank="k2",
                  salary=22_000)
    record_addresses_and_photo(record)
    write_history(api.services.ledger, ledger_env.keys.authority, record,
                               purpose="วิทยฐานะ ที่อยู่ รูปถ่าย")
    rebuild(api.services.ledger, api.services.view)


def test_the_api_gives_each_code_with_its_label(api: Api, ledger_env: LedgerEnv) -> None:
    her_standing_and_home(api, ledger_env)
    answer = api.client.get(f"/api/v1/records/{national_id(1)}", headers=api.as_("reg"))
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    assert (body["rank"], body["rank_th"]) == ("k2", "คศ.2")
    assert (body["standing"], body["standing_th"]) == ("senior", "ชำนาญการ")
    assert (body["staff_type"], body["staff_type_th"]) == ("teacher", "ข้าราชการครู")
    assert body["duty_started_on"] == body["appointed_on"] == "2010-05-16"
    assert body["positions"][-1]["rank"] == "คศ.2"
    assert body["positions"][-1]["rank_code"] == "k2"
    assert body["registered_address"].startswith("12 ถนนราชดำเนิน")
    assert body["telephone"] == "075-123456"
    assert body["photos"][0]["year"] == 2555
    assert body["photos"][0]["sha256"] == PHOTO_REF.sha256
    # As of a date, the record is built afresh: the same keys.
    then = api.client.get(f"/api/v1/records/{national_id(1)}", headers=api.as_("reg"),
                          params={"as_of": "2017-01-01"})
    assert then.status_code == 200, then.text
    assert (then.json()["standing"], then.json()["standing_th"]) == ("senior", "ชำนาญการ")



def test_tabien_record_show_prints_the_form(api: Api, ledger_env: LedgerEnv,
                                            tmp_path: Path) -> None:
    her_standing_and_home(api, ledger_env)
    page = tmp_path / "kks16.html"
    result = CliRunner().invoke(app, ["record", "show", national_id(1), "--html", str(page)],
                                env=ledger_env.cli_env)
    assert result.exit_code == 0, result.output
    in_order(result.output, FORM_ORDER, before="\n")
    in_order(page.read_text(encoding="utf-8"), FORM_ORDER, before=">")
    assert "๙. ประเภทข้าราชการ: ข้าราชการครู" in result.output
    assert "อันดับ: คศ.2" in result.output
    assert not ISO_DATE.search(result.output)

def test_the_audit_diff_reads_labels_and_buddhist_era_dates() -> None:
    events = career().collect_events()
    before = build_record(events, as_of=date(2016, 5, 31))
    after = build_record(events, as_of=date(2019, 6, 1))
    changes = {name: (old, new) for name, old, new in diff_records(before, after)}
    assert changes["rank"] == ("ครูผู้ช่วย", "คศ.3")
    assert changes["standing"] == ("-", "ชำนาญการพิเศษ")
    assert changes["current_address"][1].startswith("99 หมู่ 2")
    assert changes["decoration"] == ("", "ตริตาภรณ์ช้างเผือก")
    assert changes["name"] == ("นางสาวครู1 ใจดี", "นางครู1 รักเรียน")
    assert not any(ISO_DATE.search(f"{old} {new}") for old, new in changes.values())
