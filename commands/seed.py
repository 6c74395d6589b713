"""Synthetic but realistic careers for one education area: the demo seed.

``seed_area`` fills a ledger with the teachers of one secondary education area (สพม.) over a
number of years, the way the area's orders would have produced them: each order of the area's
authority (an appointment list, a salary round, a transfer list …) is one signed submission,
and the registrar's own recordings (degrees, training, leave, skills, name changes,
decorations read from the gazette, corrections) are the registrar's submissions. The
simulation runs half-year by half-year between the salary rounds of 1 April and 1 October
(REFERENCE §3) and carries out each half-year's orders in effective-date order. The live
aggregates stay in memory from one order to the next: nothing is read back from the store.

Everything that ends up in events comes from one ``random.Random(seed)``: the same seed gives
the same event contents (the library's ``timestamp``, and the submissions' ids and signing
times, vary; they are not event content).

Simplifications, each chosen to keep the data plausible without pretending to a rule the
references do not give:

* The people in service at the start come with a short history: appointment as ครูผู้ช่วย
  (even before 2547, when that position did not exist yet), the move to ครู คศ.1 two years
  later, each standing they reached, and the move onto the salary table in force at the start,
  which carries their salary at the start. Rounds before the start are not synthesised; the
  earlier rows' salaries are set about 6 % a year lower, within the known ranges.
* ฐานในการคำนวณ (the base of a percentage raise) is NOT FOUND in the reference for teachers
  (§2.2): the current salary is used as the base. The appraisal shares and their percentage
  bands are invented.
* Where a salary range is NOT FOUND (คศ.4 in the 2558 table, anything before the first table
  known here) nothing is capped: the raise is given in full, and a person moving into such a
  rank keeps their salary. A salary that grew that way above the maximum of a table coming
  into force is brought down to it by the table move.
* A retiree gets no raise: REFERENCE §3 grants theirs on 30 September, which would put a
  round off 1 April / 1 October.
* Standing criteria follow the years in REFERENCE §4, switching from ว17/2552 to ว9/2564 on
  ``_W9_FROM``; the years for เชี่ยวชาญ under ว9/2564 are NOT FOUND and borrowed from ชำนาญการพิเศษ.
* The decoration ladder and its waiting years, and every rate (leaving, transfers, leave,
  training, mistakes …) are plausible guesses, not figures from a source.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_CEILING, Decimal
from functools import partial
from itertools import groupby, pairwise
from typing import Any

from commands.bootstrap import DEMO_AREA, KeySet
from ledger.application import Ledger
from ledger.errors import InvalidInput
from ledger.identity import check_digit, record_id_for
from ledger.keys import Signer
from ledger.record import PersonnelRecord, Position
from ledger.rules import (
    rank_for_standing,
    salary_range,
    salary_table_in_force,
    salary_tables,
)
from ledger.thaidate import format_thai_date, retirement_date, to_be_year
from ledger.vocabulary import OrderRef

__all__ = ["SeedSummary", "seed_area"]


@dataclass(frozen=True)
class SeedSummary:
    """What a seed run appended."""

    people_total: int
    in_service: int
    events: int
    submissions: int
    first_date: date | None
    last_date: date | None
    by_kind: dict[str, int]


def seed_area(ledger: Ledger, keys: KeySet, identity_secret: bytes, *, people: int, years: int,
              seed: int, area: str = DEMO_AREA, until: date = date(2026, 10, 1),
              progress: Callable[[int], None] | None = None) -> SeedSummary:
    """Seed ``years`` years of ``people`` teachers' careers in ``area``, ending before ``until``.

    ``until`` is the first day not simulated. ``progress`` is called after each submission
    with the number of events it appended.
    """
    if people < 1 or years < 1:
        raise InvalidInput("people and years must be at least 1",
                           "จำนวนคนและจำนวนปีต้องไม่น้อยกว่า 1")
    start = _add_years(until, -years)
    seeder = _Seeder(_Context(ledger, keys, identity_secret, random.Random(seed), area,
                              people, progress))
    seeder.populate(start)
    renumber_day = _renumbering_day(start, until)
    for first, end in _periods(start, until):
        seeder.run_period(first, end, renumber_day)
    return seeder.summary()


# ------------------------------------------------------------------------- vocabulary
# Names users read are Thai; the codes (ranks, standings, reasons) are ledger.rules' codes.

_MALE_NAMES = (
    "สมชาย", "ประเสริฐ", "วิชัย", "สุริยา", "ธีรวัฒน์", "อนุชา", "กิตติพงษ์", "ณัฐพล", "ปิยะพงษ์",
    "เอกชัย", "จักรพันธ์", "สุทธิพงษ์", "ธนากร", "วีระยุทธ", "ชาญวิทย์", "พงศกร", "อภิสิทธิ์",
    "ศักดิ์ชัย", "นพดล", "ภาณุวัฒน์", "สมศักดิ์", "ไพโรจน์", "ยุทธนา", "ธนพล", "ศุภชัย",
)
_FEMALE_NAMES = (
    "สมศรี", "วิไลวรรณ", "กาญจนา", "สุภาพร", "จิราพร", "อรุณี", "พรทิพย์", "นันทนา", "ศิริพร",
    "รัตนา", "ปวีณา", "ณัฐธิดา", "สุนิสา", "กนกวรรณ", "อัญชลี", "ธิดารัตน์", "เบญจวรรณ", "มณีรัตน์",
    "ปิยนุช", "วรรณา", "ลัดดา", "จันทร์เพ็ญ", "ชุติมา", "พิมพ์ชนก", "สายสุนีย์", "อุไรวรรณ",
)
# Surnames common in the lower South (นครศรีธรรมราช, พัทลุง).
_SURNAMES = (
    "ทองคำ", "แก้วมณี", "หนูนุ่น", "ชูแก้ว", "เพชรรัตน์", "ขุนทอง", "แก้วประดิษฐ์", "สุวรรณรัตน์",
    "บุญช่วย", "ทองสุข", "ศรีทอง", "จันทร์แก้ว", "พรหมแก้ว", "หนูเอียด", "ด้วงช่วย", "เกื้อกูล",
    "รัตนพันธ์", "คงแก้ว", "ชูช่วย", "ทิพย์มณี", "นาคสุข", "อินทร์ทอง", "ปานแก้ว", "บัวทอง",
    "ยอดแก้ว", "เรืองศรี", "สงวนศักดิ์", "ศรีสุข", "ช่วยบำรุง", "คงสง", "ณ นคร", "แสงจันทร์",
)
# (district, province) of the area: schools are named after them, domiciles drawn from them.
_PLACES = (
    ("ทุ่งสง", "นครศรีธรรมราช"), ("ร่อนพิบูลย์", "นครศรีธรรมราช"), ("ปากพนัง", "นครศรีธรรมราช"),
    ("ขนอม", "นครศรีธรรมราช"), ("สิชล", "นครศรีธรรมราช"), ("ท่าศาลา", "นครศรีธรรมราช"),
    ("พรหมคีรี", "นครศรีธรรมราช"), ("ลานสกา", "นครศรีธรรมราช"), ("ฉวาง", "นครศรีธรรมราช"),
    ("พิปูน", "นครศรีธรรมราช"), ("ชะอวด", "นครศรีธรรมราช"), ("หัวไทร", "นครศรีธรรมราช"),
    ("เชียรใหญ่", "นครศรีธรรมราช"), ("ทุ่งใหญ่", "นครศรีธรรมราช"), ("นาบอน", "นครศรีธรรมราช"),
    ("บางขัน", "นครศรีธรรมราช"), ("ถ้ำพรรณรา", "นครศรีธรรมราช"), ("จันดี", "นครศรีธรรมราช"),
    ("นบพิตำ", "นครศรีธรรมราช"), ("ช้างกลาง", "นครศรีธรรมราช"), ("พระพรหม", "นครศรีธรรมราช"),
    ("ควนขนุน", "พัทลุง"), ("ปากพะยูน", "พัทลุง"), ("ศรีบรรพต", "พัทลุง"), ("ตะโหมด", "พัทลุง"),
    ("กงหรา", "พัทลุง"), ("เขาชัยสน", "พัทลุง"), ("บางแก้ว", "พัทลุง"), ("ป่าบอน", "พัทลุง"),
    ("ป่าพะยอม", "พัทลุง"), ("ศรีนครินทร์", "พัทลุง"), ("ลำปำ", "พัทลุง"),
)
_SCHOOL_SUFFIXES = ("วิทยา", "พิทยาคม", "ศึกษา", "วิทยาคาร", "ประชาสรรค์", "ราษฎร์บำรุง")
# The province digits of a national ID's registry office (REFERENCE §7: digits 2-3).
_PROVINCE_CODES = {"นครศรีธรรมราช": "80", "พัทลุง": "93"}

_UNIVERSITIES = (
    "มหาวิทยาลัยราชภัฏนครศรีธรรมราช", "มหาวิทยาลัยทักษิณ", "มหาวิทยาลัยวลัยลักษณ์",
    "มหาวิทยาลัยสงขลานครินทร์", "มหาวิทยาลัยราชภัฏสงขลา", "มหาวิทยาลัยรามคำแหง",
)
_BACHELOR_DEGREES = ("ครุศาสตรบัณฑิต (ค.บ.)", "การศึกษาบัณฑิต (กศ.บ.)",
                     "ศึกษาศาสตรบัณฑิต (ศษ.บ.)", "วิทยาศาสตรบัณฑิต (วท.บ.)")
_MAJORS = ("คณิตศาสตร์", "ภาษาไทย", "ภาษาอังกฤษ", "สังคมศึกษา", "ฟิสิกส์", "เคมี", "ชีววิทยา",
           "วิทยาศาสตร์ทั่วไป", "พลศึกษา", "คอมพิวเตอร์ศึกษา", "ดนตรีศึกษา", "ศิลปศึกษา")
_MASTER_DEGREES = ("ครุศาสตรมหาบัณฑิต (ค.ม.)", "การศึกษามหาบัณฑิต (กศ.ม.)",
                   "ศึกษาศาสตรมหาบัณฑิต (ศษ.ม.)")
_MASTER_MAJORS = ("การบริหารการศึกษา", "หลักสูตรและการสอน", "การวิจัยและประเมินผลการศึกษา",
                  "เทคโนโลยีและสื่อสารการศึกษา")
_DOCTORATE = ("ปรัชญาดุษฎีบัณฑิต (ปร.ด.)", "การบริหารการศึกษา")

_COURSES = (
    "การพัฒนาครูด้วยกระบวนการชุมชนการเรียนรู้ทางวิชาชีพ (PLC)",
    "การจัดการเรียนรู้เชิงรุก (Active Learning)", "การวัดและประเมินผลการเรียนรู้",
    "การใช้เทคโนโลยีดิจิทัลเพื่อการจัดการเรียนรู้", "การจัดทำข้อตกลงในการพัฒนางาน (PA)",
    "ลูกเสือสามัญรุ่นใหญ่ ขั้นความรู้เบื้องต้น", "การดูแลช่วยเหลือนักเรียน",
    "การสอนเพื่อพัฒนาทักษะการคิดวิเคราะห์ (PISA)", "วิทยาการคำนวณ (Coding)",
)
_TRAINING_PLACES = (
    "หอประชุมสำนักงานเขตพื้นที่การศึกษามัธยมศึกษา", "ศูนย์ประชุมจังหวัดนครศรีธรรมราช",
    "มหาวิทยาลัยราชภัฏนครศรีธรรมราช", "มหาวิทยาลัยทักษิณ วิทยาเขตพัทลุง", "ออนไลน์ (ระบบ OBEC Content Center)",
)
_SKILLS = (
    "ภาษาอังกฤษ (สื่อสารได้ดี)", "ดนตรีไทย (ระนาดเอก)", "การเขียนโปรแกรมคอมพิวเตอร์",
    "ผู้ฝึกสอนกีฬาฟุตบอล", "มโนราห์", "หนังตะลุง", "ภาษาจีน (HSK 4)", "การถ่ายภาพและตัดต่อวิดีโอ",
)
# (label, weight, lowest and highest percent in hundredths): invented bands, see the docstring.
_APPRAISALS = (
    ("ดีเด่น", 25, 340, 400), ("ดีมาก", 40, 280, 335), ("ดี", 30, 220, 275), ("พอใช้", 5, 150, 215),
)
# The royal decorations a teacher climbs, lowest first; the ceiling per rank is an approximation
# (the rules of the ระเบียบสำนักนายกรัฐมนตรี are not in the reference).
_DECORATIONS = (
    "เบญจมาภรณ์มงกุฎไทย (บ.ม.)", "เบญจมาภรณ์ช้างเผือก (บ.ช.)", "จัตุรถาภรณ์มงกุฎไทย (จ.ม.)",
    "จัตุรถาภรณ์ช้างเผือก (จ.ช.)", "ตริตาภรณ์มงกุฎไทย (ต.ม.)", "ตริตาภรณ์ช้างเผือก (ต.ช.)",
    "ทวีติยาภรณ์มงกุฎไทย (ท.ม.)", "ทวีติยาภรณ์ช้างเผือก (ท.ช.)", "ประถมาภรณ์มงกุฎไทย (ป.ม.)",
    "ประถมาภรณ์ช้างเผือก (ป.ช.)",
)
_DECORATION_CEILING = {"k1": 5, "k2": 7, "k3": 8, "k4": 9}
_DECORATION_YEARS = 5  # first after five years' service, then a class every five years
# (penalty, weight, description, whether it bars a raise and a standing: heavier than ภาคทัณฑ์)
_PENALTIES = (
    ("ภาคทัณฑ์", 50, "ภาคทัณฑ์ กรณีไม่ปฏิบัติตามระเบียบแบบแผนของทางราชการ", False),
    ("ตัดเงินเดือน", 35, "ตัดเงินเดือนร้อยละ 5 เป็นเวลา 2 เดือน กรณีละทิ้งหน้าที่ราชการ", True),
    ("ลดขั้นเงินเดือน", 15, "ลดเงินเดือนร้อยละ 4 กรณีประพฤติชั่ว", True),
)
# (leave type, chance per half-year, possible days, who may take it)
_LEAVES: tuple[tuple[str, float, tuple[str, ...], str], ...] = (
    ("ลาป่วย", 0.30, ("0.5", "1", "1", "2", "3", "4"), "anyone"),
    ("ลากิจส่วนตัว", 0.15, ("0.5", "1", "1", "2"), "anyone"),
    ("ลาพักผ่อน", 0.10, ("2", "3", "5"), "anyone"),
    ("ลาคลอดบุตร", 0.02, ("90",), "young-female"),
    ("ลาอุปสมบท", 0.004, ("15", "30"), "male"),
)

_ASSISTANT_TITLE = "ครูผู้ช่วย"
_TEACHER_TITLE = "ครู"
_PROGRAMME = "การเตรียมความพร้อมและพัฒนาอย่างเข้ม (ครูผู้ช่วย 2 ปี)"
_DECORATION_AUTHORITY = "สำนักนายกรัฐมนตรี"
_MALE, _FEMALE = "ชาย", "หญิง"

# Chances per person per half-year unless named otherwise: plausible guesses (docstring).
_RESIGN = 0.003
_DIE = 0.0008
_DISCIPLINE = 0.001
_TRANSFER_PER_YEAR = 0.04
_TYPO = 0.008           # an entry recorded with a mistyped order number, corrected later
_WRONG_DAYS = 0.01      # a leave recorded with the wrong number of days
_CANCELLED_LEAVE = 0.005
_DUPLICATE_TRAINING = 0.02
_TRAINING = 0.12
_MARRIAGE = 0.03
_SKILL = 0.015
_MASTER = 0.01
_DOCTOR = 0.002
_CONFER_CHANCE = {"senior": 0.30, "senior_special": 0.15, "expert": 0.01}
_CAREER_REACH = {"senior": 0.9, "senior_special": 0.6, "expert": 0.04}
_NEXT_STANDING = {"none": "senior", "senior": "senior_special", "senior_special": "expert"}

# ว9/2564 criteria replaced ว17/2552 around mid-2021 (REFERENCE §4 gives the circular, not the
# day); 1 July 2021 is an approximation.
_W9_FROM = date(2021, 7, 1)
_RENUMBERING = date(2014, 10, 1)
# A raise needs at least four months' service in the half-year before the round.
_SERVICE_BEFORE_RAISE = timedelta(days=120)

# Same-day order of actions: leaving first (the day of leaving is the first day out of
# service, so a retiree gets no 1 October raise), then a salary table change, the salary
# round, other orders, and the registrar's recordings last.
_LEAVING, _TABLE, _ROUND, _ORDER, _AMEND, _MEMO = range(6)


# ---------------------------------------------------------------------------- dates

def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a common year
        return day.replace(year=day.year + years, day=28)


def _full_years(since: date, on: date) -> int:
    years = on.year - since.year
    return years - 1 if _add_years(since, years) > on else years


def _day_in(rng: random.Random, first: date, end: date) -> date:
    """A day in ``[first, end)``; ``first`` when the span is empty."""
    return first + timedelta(days=rng.randrange(max(1, (end - first).days)))


def _round_days(start: date, until: date) -> list[date]:
    return [day for year in range(start.year, until.year + 1)
            for day in (date(year, 4, 1), date(year, 10, 1)) if start <= day < until]


def _periods(start: date, until: date) -> list[tuple[date, date]]:
    return list(pairwise(sorted({start, until, *_round_days(start, until)})))


def _renumbering_day(start: date, until: date) -> date:
    if start <= _RENUMBERING < until:
        return _RENUMBERING
    middle = start + (until - start) / 2
    return min(_round_days(start, until) or [middle], key=lambda day: abs(day - middle))


def _next_standing_day(day: date) -> date:
    """History's standing orders fall on 1 February or 1 August, so they share orders."""
    for candidate in (date(day.year, 2, 1), date(day.year, 8, 1), date(day.year + 1, 2, 1)):
        if candidate >= day:
            return candidate
    raise AssertionError("unreachable")


def _appointment_day(day: date) -> date:
    """The latest appointment call (16 May or 1 December) on or before ``day``."""
    calls = (date(day.year, 12, 1), date(day.year, 5, 16), date(day.year - 1, 12, 1))
    return next(call for call in calls if call <= day)


# ---------------------------------------------------------------------------- money

def _known_range(rank: str, on: date) -> tuple[int, int] | None:
    """The (minimum, maximum) in force on ``on``, or None where either figure is not known."""
    found = salary_range(rank, on)
    if found is None or found.minimum is None or found.maximum is None:
        return None
    return found.minimum, found.maximum


def _nearest_known_range(rank: str, on: date) -> tuple[int, int]:
    """The range of the latest table before ``on`` that gives both figures, else the first
    table that does. Only to draw a plausible synthetic salary: never applied as a rule."""
    known = [(table.effective_from, (found.minimum, found.maximum))
             for table in salary_tables() if (found := table.range_for(rank)).minimum is not None
             and found.maximum is not None]
    if not known:
        raise InvalidInput(f"no salary range is known for rank {rank}",
                           f"ไม่ทราบช่วงเงินเดือนของอันดับ {rank}")
    earlier = [limits for since, limits in known if since <= on]
    return earlier[-1] if earlier else known[0][1]


def _band(rank: str, days: Sequence[date]) -> tuple[int, int]:
    """A salary band that lies within the rank's known range on each of ``days``."""
    known = [limits for day in days if (limits := _known_range(rank, day)) is not None]
    if not known:
        return _nearest_known_range(rank, days[0])
    low, high = max(lo for lo, _ in known), min(hi for _, hi in known)
    return (low, high) if low <= high else known[-1]


def _starting_salary(rank: str, on: date) -> int:
    known = _known_range(rank, on)
    # Before the first table known here the starting salary is NOT FOUND: the nearest
    # table's minimum stands in for it.
    return known[0] if known else _nearest_known_range(rank, on)[0]


def _at_least_minimum(rank: str, on: date, salary: int) -> int:
    known = _known_range(rank, on)
    return max(salary, known[0]) if known else salary


def _round10(amount: float) -> int:
    return round(amount / 10) * 10


def _raise_amount(base: int, percent: Decimal) -> int:
    """base × percent / 100, rounded up to the next 10 baht."""
    tens = (Decimal(base) * percent / 1000).to_integral_value(rounding=ROUND_CEILING)
    return int(tens) * 10


def _raised(rank: str, on: date, salary: int, percent: Decimal) -> tuple[int, int]:
    """(new salary, special compensation): what does not fit under the cap is paid aside."""
    wanted = salary + _raise_amount(salary, percent)
    known = _known_range(rank, on)
    if known is None:
        # The range is NOT FOUND: a ceiling made up here would put an unsourced figure
        # into signed records, so the raise is given in full and nothing is paid aside.
        return wanted, 0
    low, high = known
    if wanted <= high:
        return max(wanted, low), 0
    new_salary = max(salary, high)
    return new_salary, wanted - new_salary


def _years_required(target: str, degree: str, on: date) -> int:
    """Years in the current rank before applying for ``target`` (REFERENCE §4)."""
    if on < _W9_FROM:
        # ว17/2552: ชำนาญการ after 6/4/2 years as ครู by degree; เชี่ยวชาญ after 3 years as
        # ชำนาญการพิเศษ (the "or ชำนาญการ ≥ 5 years" path is left out).
        teacher_years = {"bachelor": 6, "master": 4, "doctorate": 2}[degree]
        return {"senior": teacher_years, "senior_special": 1, "expert": 3}[target]
    # ว9/2564: 4 consecutive years for ชำนาญการ and ชำนาญการพิเศษ; เชี่ยวชาญ NOT FOUND (4 used).
    return 4


# ----------------------------------------------------------------------- the people

@dataclass
class _School:
    code: int
    name: str
    weight: int
    free_numbers: list[str] = field(default_factory=list)
    next_sequence: int = 1


@dataclass(frozen=True)
class _Degree:
    institution: str
    degree: str
    major: str
    started: date
    finished: date


@dataclass
class _Entrant:
    """A person about to be appointed: the record's page 1 and their first post."""

    national_id: str
    gender: str
    prefix: str
    first_name: str
    last_name: str
    birth: date
    father: str
    mother: str
    spouse: str
    domicile: str
    degree: str
    degrees: list[_Degree]
    school: _School
    salary: int = 0


@dataclass(eq=False)
class _Person:
    """A person in the simulation: the live aggregate plus what only the simulation needs."""

    number: int  # creation order: it fixes every iteration order, hence determinism
    record: PersonnelRecord
    gender: str
    degree: str
    degrees: list[_Degree]
    school: _School
    unit_since: date
    retires_on: date
    teacher_since: date | None = None
    standing_since: date | None = None
    decoration: int = -1
    decorated_in: int | None = None
    penalised_on: date | None = None  # the last penalty heavier than ภาคทัณฑ์
    skills: int = 0

    @property
    def position(self) -> Position:
        assert self.record.position is not None
        return self.record.position

    @property
    def rank(self) -> str:
        return self.position.rank

    @property
    def appointed_on(self) -> date:
        assert self.record.appointed_on is not None
        return self.record.appointed_on

    def in_service_on(self, day: date) -> bool:
        appointed = self.record.appointed_on
        left = self.record.left_on
        return appointed is not None and appointed <= day and (left is None or day < left)

    def age_on(self, day: date) -> int:
        return _full_years(self.record.birth_date, day)

    def penalised_within(self, day: date, since: date) -> bool:
        return self.penalised_on is not None and since <= self.penalised_on < day


@dataclass
class _Step:
    """One row of an incumbent's history before the start."""

    day: date
    kind: str  # "appoint", "probation", "standing" or "table"
    rank: str
    standing: str = "none"
    salary: int = 0


@dataclass
class _Amendment:
    """A correction or revocation the registrar will record once it is due."""

    person: _Person
    version: int
    due: date
    reason: str
    changes: dict[str, Any] | None  # None: revoke the entry


class _Positions:
    """Position numbers: unique in the area before the renumbering, per school after it."""

    def __init__(self) -> None:
        self.renumbered = False
        self.next_area_number = 1001

    def take(self, school: _School) -> str:
        # A vacated post is filled before a new one is created.
        if school.free_numbers:
            return school.free_numbers.pop(0)
        return self._new_number(school)

    def release(self, school: _School, number: str) -> None:
        school.free_numbers.append(number)

    def _new_number(self, school: _School) -> str:
        if self.renumbered:
            number = f"{school.code}{school.next_sequence:03d}"
            school.next_sequence += 1
            return number
        number = str(self.next_area_number)
        self.next_area_number += 1
        return number

    def renumber(self, schools: Sequence[_School],
                 occupied: Sequence[tuple[_School, str]]) -> dict[str, str]:
        """Give every post a number of its school's block; return old → new."""
        self.renumbered = True
        mapping: dict[str, str] = {}
        for school, number in occupied:
            mapping[number] = self._new_number(school)
        for school in schools:
            for number in school.free_numbers:
                mapping[number] = self._new_number(school)
            school.free_numbers = [mapping[number] for number in school.free_numbers]
        return mapping


class _OrderBook:
    """Order numbers, unique per authority and Buddhist-Era year: "123/2567"."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._last: dict[tuple[str, int], int] = {}

    def issue(self, authority: str, order_date: date) -> OrderRef:
        key = (authority, to_be_year(order_date))
        # The authority also issues orders about other matters: numbers have gaps.
        number = self._last.get(key, 0) + self._rng.randint(1, 4)
        self._last[key] = number
        return OrderRef(authority, f"{number}/{key[1]}", order_date)


@dataclass
class _Tally:
    events: int = 0
    submissions: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    first: date | None = None
    last: date | None = None

    def note(self, events: Sequence[PersonnelRecord.Event]) -> None:
        self.events += len(events)
        self.submissions += 1
        for event in events:
            self.kinds[event.KIND] += 1
            day = event.effective_date
            self.first = day if self.first is None else min(self.first, day)
            self.last = day if self.last is None else max(self.last, day)


def _due_decoration(person: _Person, day: date) -> bool:
    if person.decoration >= _DECORATION_CEILING.get(person.rank, -1):
        return False
    if person.decorated_in is None:
        return _full_years(person.appointed_on, day) >= _DECORATION_YEARS
    return day.year - person.decorated_in >= _DECORATION_YEARS


def _mistyped(order: OrderRef) -> OrderRef:
    """A keyer's slip: the order's year typed in the Christian era ("12/2024" for 12/2567).
    It can never be another order's number, since every number here is B.E.-dated."""
    number, year = order.order_number.split("/")
    return OrderRef(order.authority, f"{number}/{int(year) - 543}", order.order_date)


def _order_as_input(order: OrderRef) -> dict[str, str]:
    # A correction's changes are written as the input path (ledger.entries) would give them.
    return {"authority": order.authority, "order_number": order.order_number,
            "order_date": order.order_date.isoformat()}


# --------------------------------------------------------------- drawing people

def _draw_age(rng: random.Random) -> int:
    # Many young teachers from recent hiring and a large cohort near retirement.
    ages = range(23, 60)
    weights = [3.0 if age < 30 else 2.0 if age < 40 else 1.5 if age < 50 else 2.5 for age in ages]
    return rng.choices(ages, weights)[0]


def _draw_national_id(rng: random.Random, used: set[str], birth: date) -> str:
    # Type 1: birth registered on time from 1984; type 3: in a house register at its start.
    kind = "1" if birth >= date(1984, 1, 1) else "3"
    while True:
        district, province = rng.choice(_PLACES)
        number = [place for place in _PLACES if place[1] == province].index((district, province))
        office = f"{_PROVINCE_CODES[province]}{number + 2:02d}"  # 01 is the เมือง district
        first12 = f"{kind}{office}{rng.randrange(100000):05d}{rng.randrange(100):02d}"
        national_id = first12 + str(check_digit(first12))
        if national_id not in used:
            used.add(national_id)
            return national_id


_LEVELS = ("bachelor", "master", "doctorate")


def _draw_degrees(rng: random.Random, birth: date, degree: str, appointed: date,
                  latest: date) -> list[_Degree]:
    """The degrees a person holds: the first before ``appointed``, the others before
    ``latest`` (a further degree is often earned in service)."""
    finished = min(date(birth.year + rng.choice((22, 23)), 3, 31),
                   appointed - timedelta(days=60))
    # A five-year teaching degree starts in June.
    degrees = [_Degree(rng.choice(_UNIVERSITIES), rng.choice(_BACHELOR_DEGREES),
                       rng.choice(_MAJORS), _add_years(finished, -5) + timedelta(days=62),
                       finished)]
    for level, span in (("master", 2), ("doctorate", 3)):
        if _LEVELS.index(degree) < _LEVELS.index(level):
            break
        finished = min(_add_years(finished, span + rng.randint(0, 3)),
                       latest - timedelta(days=30))
        degrees.append(_further_degree(rng, level, finished, span))
    return degrees


def _further_degree(rng: random.Random, level: str, finished: date, span: int) -> _Degree:
    title, major = ((rng.choice(_MASTER_DEGREES), rng.choice(_MASTER_MAJORS))
                    if level == "master" else _DOCTORATE)
    return _Degree(rng.choice(_UNIVERSITIES), title, major, _add_years(finished, -span), finished)


def _draw_degree(rng: random.Random, experienced: bool) -> str:
    weights = (68, 30, 2) if experienced else (85, 15, 0)
    return rng.choices(("bachelor", "master", "doctorate"), weights)[0]


def _career_steps(rng: random.Random, appointed: date, degree: str, start: date) -> list[_Step]:
    """An incumbent's history up to ``start``: appointment, ครู คศ.1, standings, and the move
    onto the salary table in force at the start (the row that carries the start salary)."""
    steps = [_Step(appointed, "appoint", "assistant")]
    teacher_day = _add_years(appointed, 2)
    if teacher_day < start:
        steps.append(_Step(teacher_day, "probation", "k1"))
        steps += _standing_steps(rng, teacher_day, degree, start)
    table = salary_table_in_force(start)
    if table is not None and steps[-1].day < table.effective_from:
        steps.append(_Step(table.effective_from, "table", steps[-1].rank))
    return steps


def _standing_steps(rng: random.Random, teacher_day: date, degree: str,
                    start: date) -> list[_Step]:
    steps: list[_Step] = []
    held, since = "none", teacher_day
    while (target := _NEXT_STANDING.get(held)) is not None:
        if rng.random() >= _CAREER_REACH[target]:
            break
        ready = _add_years(since, _years_required(target, degree, since) + rng.randint(0, 5))
        day = _next_standing_day(ready)
        if day >= start:
            break
        steps.append(_Step(day, "standing", rank_for_standing(target), target))
        held, since = target, day
    return steps


def _price_history(rng: random.Random, steps: list[_Step], start: date, service: int) -> None:
    """Salaries for the history rows: the last one is the salary at the start, the earlier
    ones about 6 % a year lower than it, each within its rank's range where that is known."""
    last = steps[-1]
    low, high = _band(last.rank, (start, last.day))
    share = min(0.97, max(0.02, (service + rng.uniform(-2, 2)) / 32))
    last.salary = _round10(low + (high - low) * share)
    for step in steps[:-1]:
        value = _round10(last.salary * 0.94 ** ((start - step.day).days / 365.25))
        known = _known_range(step.rank, step.day)
        step.salary = min(max(value, known[0]), known[1]) if known else value


# ------------------------------------------------------------------------ the seeder

@dataclass
class _Context:
    ledger: Ledger
    keys: KeySet
    secret: bytes
    rng: random.Random
    area: str
    people: int
    progress: Callable[[int], None] | None


_Action = tuple[date, int, Callable[[], None]]


class _Seeder:
    """The simulation's state between orders: the live aggregates are never reloaded."""

    def __init__(self, context: _Context) -> None:
        self.ctx = context
        self.rng = context.rng
        self.area = context.area
        self.memo_authority = f"กลุ่มบริหารงานบุคคล {context.area}"
        self.schools = self._make_schools()
        self.positions = _Positions()
        self.orders = _OrderBook(self.rng)
        self.persons: list[_Person] = []
        self.amendments: list[_Amendment] = []
        self.used_ids: set[str] = set()
        self.tally = _Tally()

    def summary(self) -> SeedSummary:
        return SeedSummary(
            people_total=len(self.persons),
            in_service=sum(1 for person in self.persons if person.record.left_on is None),
            events=self.tally.events, submissions=self.tally.submissions,
            first_date=self.tally.first, last_date=self.tally.last,
            by_kind=dict(sorted(self.tally.kinds.items())))

    # ------------------------------------------------------------------ plumbing

    def _make_schools(self) -> list[_School]:
        count = min(25, max(10, round(self.ctx.people / 12)))
        places = self.rng.sample(_PLACES, count)
        return [_School(101 + index, f"โรงเรียน{district}{self.rng.choice(_SCHOOL_SUFFIXES)}",
                        self.rng.choice((1, 2, 2, 3, 3, 4, 6)))
                for index, (district, _) in enumerate(places)]

    def _submit(self, signer: Signer, persons: Iterable[_Person], purpose: str) -> None:
        """Append one order (or one registrar batch) as one signed submission."""
        records = {person.record.id: person.record for person in persons}
        events = [event for record in records.values() for event in record.pending_events
                  if isinstance(event, PersonnelRecord.Event)]
        if not events:
            return
        self.ctx.ledger.submit(signer, *records.values(), purpose=purpose)
        self.tally.note(events)
        if self.ctx.progress is not None:
            self.ctx.progress(len(events))

    def _order(self, effective: date, earliest: int, latest: int,
               authority: str | None = None) -> OrderRef:
        """An order dated between ``earliest`` and ``latest`` days from ``effective``."""
        order_date = effective + timedelta(days=self.rng.randint(earliest, latest))
        return self.orders.issue(authority or self.area, order_date)

    def _memo(self, day: date) -> OrderRef:
        """The registrar's memo (บันทึกข้อความ) that a batch of recordings refers to."""
        return self.orders.issue(self.memo_authority, day)

    def _purpose(self, order: OrderRef, subject: str) -> str:
        if order.authority == self.memo_authority:
            return f"บันทึกข้อความ {order.authority} ที่ {order.order_number} เรื่อง {subject}"
        return f"{order.reference_th} เรื่อง {subject}"

    def _record(self, person: _Person, event_class: type[PersonnelRecord.Event],
                order: OrderRef, day: date, **fields: Any) -> None:
        """Record one entry; now and then with a mistyped order number, corrected later."""
        mistyped = self.rng.random() < _TYPO
        used = _mistyped(order) if mistyped else order
        person.record.record(event_class, effective_date=day, order=used, **fields)
        if mistyped:
            self._amend_later(person, day, "เลขที่คำสั่งไม่ถูกต้อง (บันทึกปีเป็น ค.ศ. แทน พ.ศ.)",
                              {"order": _order_as_input(order)})

    def _amend_later(self, person: _Person, day: date, reason: str,
                     changes: dict[str, Any] | None) -> None:
        due = day + timedelta(days=self.rng.randint(90, 240))
        self.amendments.append(_Amendment(person, person.record.version, due, reason, changes))

    def _serving(self, day: date) -> list[_Person]:
        return [person for person in self.persons if person.in_service_on(day)]

    def _pick_schools(self, day: date, count: int, avoid: _School | None = None) -> list[_School]:
        """Schools short of their share of the area's teachers are the likeliest to get one."""
        serving = Counter(person.school.code for person in self._serving(day))
        total = sum(school.weight for school in self.schools)
        choices = [school for school in self.schools if school is not avoid]
        picked: list[_School] = []
        for _ in range(count):
            weights = [max(0.5, school.weight * self.ctx.people / total - serving[school.code])
                       for school in choices]
            school = self.rng.choices(choices, weights)[0]
            serving[school.code] += 1
            picked.append(school)
        return picked

    # ------------------------------------------------------------------ entrants

    def _draw_entrant(self, birth: date, degree: str, school: _School, appointed: date,
                      latest: date) -> _Entrant:
        rng = self.rng
        gender = _FEMALE if rng.random() < 0.65 else _MALE
        family = rng.choice(_SURNAMES)
        age = _full_years(birth, latest)
        married = age >= 27 and rng.random() < 0.6
        spouse_family = rng.choice(_SURNAMES) if married else family
        if gender == _MALE:
            prefix, first, last = "นาย", rng.choice(_MALE_NAMES), family
            spouse = f"นาง{rng.choice(_FEMALE_NAMES)} {family}" if married else ""
        else:
            # A married woman usually takes her husband's surname.
            prefix = "นาง" if married else "นางสาว"
            first, last = rng.choice(_FEMALE_NAMES), spouse_family
            spouse = f"นาย{rng.choice(_MALE_NAMES)} {spouse_family}" if married else ""
        district, province = rng.choice(_PLACES)
        return _Entrant(
            national_id=_draw_national_id(rng, self.used_ids, birth), gender=gender,
            prefix=prefix, first_name=first, last_name=last, birth=birth,
            father=f"นาย{rng.choice(_MALE_NAMES)} {family}",
            mother=f"นาง{rng.choice(_FEMALE_NAMES)} {family}", spouse=spouse,
            domicile=f"อำเภอ{district} จังหวัด{province}", degree=degree,
            degrees=_draw_degrees(rng, birth, degree, appointed, latest), school=school)

    def _open(self, day: date, entrants: Sequence[_Entrant]) -> list[_Person]:
        """One appointment order: each record opened and the person appointed ครูผู้ช่วย."""
        order = self._order(day, -21, -3)
        persons = [self._open_one(day, entrant, order) for entrant in entrants]
        self._submit(self.ctx.keys.authority, persons, self._purpose(
            order, "บรรจุและแต่งตั้งผู้สอบแข่งขันได้ให้ดำรงตำแหน่งครูผู้ช่วย"))
        return persons

    def _open_one(self, day: date, entrant: _Entrant, order: OrderRef) -> _Person:
        record = PersonnelRecord.open(
            record_id_for(entrant.national_id, self.ctx.secret), effective_date=day,
            order=order, national_id=entrant.national_id, prefix=entrant.prefix,
            first_name=entrant.first_name, last_name=entrant.last_name,
            birth_date=entrant.birth, area=self.area, gender=entrant.gender,
            father_name=entrant.father, mother_name=entrant.mother,
            spouse_name=entrant.spouse, domicile=entrant.domicile)
        person = _Person(len(self.persons) + 1, record, entrant.gender, entrant.degree,
                         entrant.degrees, entrant.school, day, retirement_date(entrant.birth))
        self.persons.append(person)
        self._record(person, PersonnelRecord.Appointed, order, day,
                     position_title=_ASSISTANT_TITLE,
                     position_number=self.positions.take(entrant.school),
                     unit=entrant.school.name, area=self.area, rank="assistant",
                     salary=entrant.salary, staff_type="teacher", on_probation=True)
        return person

    def _record_degrees(self, day: date, persons: Sequence[_Person], subject: str) -> None:
        """The registrar records the degrees of newly opened records."""
        memo = self._memo(day)
        for person in persons:
            for degree in person.degrees:
                self._record_degree(person, degree, memo)
        self._submit(self.ctx.keys.registrar, persons, self._purpose(memo, subject))

    def _record_degree(self, person: _Person, degree: _Degree, memo: OrderRef) -> None:
        self._record(person, PersonnelRecord.EducationRecorded, memo, degree.finished,
                     institution=degree.institution, degree=degree.degree, major=degree.major,
                     started=degree.started, finished=degree.finished)

    # ----------------------------------------------------------- the incumbents

    def populate(self, start: date) -> None:
        """The people in service at the start, with the short history of their careers."""
        drafts = [self._draft_incumbent(start) for _ in range(self.ctx.people)]
        rows = sorted(((step.day, step.kind, index, step) for index, (_, steps) in
                       enumerate(drafts) for step in steps), key=lambda row: row[:3])
        persons: dict[int, _Person] = {}
        for (day, kind), group in groupby(rows, key=lambda row: row[:2]):
            items = [(index, step) for _, _, index, step in group]
            if kind == "appoint":
                opened = self._open(day, [drafts[index][0] for index, _ in items])
                persons.update(zip((index for index, _ in items), opened, strict=True))
            elif kind == "probation":
                self._pass_probation(day, [(persons[index], step.salary) for index, step in items])
            elif kind == "table":
                self._table_moves(day, [(persons[index], step.salary) for index, step in items])
            else:
                self._confer(day, [(persons[index], step.standing, step.salary)
                                   for index, step in items])
        ordered = [persons[index] for index in range(len(drafts))]
        self._record_degrees(start, ordered, "นำเข้าประวัติการศึกษาของข้าราชการครูในสังกัด")
        for person in ordered:
            self._inherit_decorations(person, start)

    def _draft_incumbent(self, start: date) -> tuple[_Entrant, list[_Step]]:
        rng = self.rng
        age = _draw_age(rng)
        birth = _add_years(start, -age) - timedelta(days=rng.randint(1, 364))
        appointed_at = rng.randint(23, max(23, min(age, 33)))
        appointed = _appointment_day(_add_years(start, appointed_at - age)
                                     - timedelta(days=rng.randint(1, 300)))
        appointed = max(appointed, _add_years(birth, 22))
        degree = _draw_degree(rng, experienced=True)
        steps = _career_steps(rng, appointed, degree, start)
        _price_history(rng, steps, start, _full_years(appointed, start))
        entrant = self._draw_entrant(birth, degree, self._weighted_school(), appointed, start)
        entrant.salary = steps[0].salary
        return entrant, steps

    def _weighted_school(self) -> _School:
        return self.rng.choices(self.schools, [school.weight for school in self.schools])[0]

    def _inherit_decorations(self, person: _Person, start: date) -> None:
        # Decorations before the start are not synthesised as entries, but the ladder goes on
        # from where a person of that service would stand.
        ceiling = _DECORATION_CEILING.get(person.rank, -1)
        service = _full_years(person.appointed_on, start)
        person.decoration = min(ceiling, service // _DECORATION_YEARS - 1)
        if person.decoration >= 0:
            person.decorated_in = start.year - self.rng.randrange(_DECORATION_YEARS)

    # ---------------------------------------------------------------- the periods

    def run_period(self, first: date, end: date, renumber_day: date) -> None:
        """Plan the half-year ``[first, end)``, then carry it out in effective-date order."""
        actions: list[_Action] = []
        actions += self._plan_leaving(first, end)
        actions += self._plan_tables(first, end)
        if first.day == 1 and first.month in (4, 10):
            actions.append((first, _ROUND, partial(self._salary_round, first)))
        if first <= renumber_day < end:
            actions.append((renumber_day, _ORDER, partial(self._renumber, renumber_day)))
        actions += self._plan_probation(first, end)
        actions += self._plan_orders(first, end)
        last = end - timedelta(days=1)
        actions.append((last, _AMEND, partial(self._amend, last)))
        actions.append((last, _MEMO, partial(self._registrar_batch, first, end)))
        for _, _, act in sorted(actions, key=lambda action: action[:2]):
            act()

    def _plan_leaving(self, first: date, end: date) -> list[_Action]:
        """Retirements (one order per day), and now and then a resignation or a death."""
        actions: list[_Action] = []
        retiring = sorted((person.retires_on, person.number, person)
                          for person in self._serving(first) if person.retires_on < end)
        for day, group in groupby(retiring, key=lambda row: row[0]):
            actions.append((day, _LEAVING, partial(
                self._leave, day, [row[2] for row in group], "retired",
                "ข้าราชการครูพ้นจากราชการเนื่องจากเกษียณอายุราชการ")))
        for person in self._serving(first):
            draw, day = self.rng.random(), _day_in(self.rng, first, end)
            if day >= person.retires_on:
                continue
            if draw < _RESIGN:
                actions.append((day, _LEAVING, partial(
                    self._leave, day, [person], "resigned", "อนุญาตให้ข้าราชการครูลาออกจากราชการ")))
            elif draw < _RESIGN + _DIE * (1 + person.age_on(first) / 20):
                actions.append((day, _LEAVING, partial(
                    self._leave, day, [person], "deceased",
                    "ให้ข้าราชการครูพ้นจากราชการเนื่องจากถึงแก่กรรม")))
        return actions

    def _plan_tables(self, first: date, end: date) -> list[_Action]:
        return [(table.effective_from, _TABLE, partial(self._move_tables, table.effective_from))
                for table in salary_tables() if first <= table.effective_from < end]

    def _plan_probation(self, first: date, end: date) -> list[_Action]:
        due = sorted((_add_years(person.appointed_on, 2), person.number, person)
                     for person in self._serving(first) if person.rank == "assistant")
        return [(day, _ORDER, partial(self._probation_due, day, [row[2] for row in group]))
                for day, group in groupby(due, key=lambda row: row[0]) if first <= day < end]

    def _probation_due(self, day: date, persons: Sequence[_Person]) -> None:
        # The salary is read when the order is made: a round may have raised it meanwhile.
        self._pass_probation(day, [(person, _at_least_minimum("k1", day, person.record.salary))
                                   for person in persons])

    def _plan_orders(self, first: date, end: date) -> list[_Action]:
        """The area's other orders of the half-year, each on a plausible day."""
        rng = self.rng
        planned = [(_day_in(rng, first + timedelta(days=30), end), self._appointment_call),
                   (_day_in(rng, first + timedelta(days=45), end), self._standing_round)]
        for year in range(first.year, end.year + 1):
            # Transfers take effect as the school year starts in May; decorations are
            # conferred on 28 July (an approximation: before 2017 it was 5 December).
            planned.append((date(year, 5, rng.randint(1, 20)), self._transfers))
            planned.append((date(year, 7, 28), self._decorations))
        for person in self._serving(first):
            if rng.random() < _DISCIPLINE:
                planned.append((_day_in(rng, first, end), partial(self._penalise, person)))
        return [(day, _ORDER, partial(act, day)) for day, act in planned if first <= day < end]

    # ------------------------------------------------------------ the orders

    def _salary_round(self, day: date) -> None:
        """The round of 1 April or 1 October: one order for the whole area."""
        # A penalty heavier than ภาคทัณฑ์ in the half-year withholds the raise.
        half_year_ago = day - timedelta(days=183)
        eligible = [person for person in self._serving(day)
                    if person.appointed_on <= day - _SERVICE_BEFORE_RAISE
                    and not person.penalised_within(day, half_year_ago)]
        if not eligible:
            return
        order = self._order(day, 14, 60)
        for person in eligible:
            self._raise(person, day, order)
        self._submit(self.ctx.keys.authority, eligible, self._purpose(
            order, f"เลื่อนเงินเดือนข้าราชการครู ณ วันที่ {format_thai_date(day)}"))

    def _raise(self, person: _Person, day: date, order: OrderRef) -> None:
        label, _, low, high = self.rng.choices(_APPRAISALS, [a[1] for a in _APPRAISALS])[0]
        percent = (Decimal(self.rng.randrange(low, high + 1, 5)) / 100).quantize(Decimal("0.01"))
        # ฐานในการคำนวณ is NOT FOUND for teachers (REFERENCE §2.2): the salary stands in.
        base = person.record.salary
        new_salary, special = _raised(person.rank, day, base, percent)
        self._record(person, PersonnelRecord.SalaryRaised, order, day, new_salary=new_salary,
                     percent=percent, steps=None, calculation_base=base,
                     special_compensation=special, appraisal=label)

    def _move_tables(self, day: date) -> None:
        """A new salary table: a salary below the rank's new minimum moves up to it. One above
        the maximum (possible only for a salary raised where no range was known, before the
        first table known here) is brought down to it, to keep the data within the rules."""
        moves: list[tuple[_Person, int]] = []
        for person in self._serving(day):
            known = _known_range(person.rank, day)
            if known is not None and not known[0] <= person.record.salary <= known[1]:
                moves.append((person, min(max(person.record.salary, known[0]), known[1])))
        self._table_moves(day, moves)

    def _table_moves(self, day: date, items: Sequence[tuple[_Person, int]]) -> None:
        table = salary_table_in_force(day)
        if not items or table is None:
            return
        order = self._order(day, 7, 45)
        for person, salary in items:
            self._record(person, PersonnelRecord.SalaryTableMoved, order, day,
                         new_salary=salary, table_id=table.id)
        self._submit(self.ctx.keys.authority, [person for person, _ in items], self._purpose(
            order, f"ปรับอัตราเงินเดือนข้าราชการครูตาม{table.title_th}"))

    def _leave(self, day: date, persons: Sequence[_Person], reason: str, subject: str) -> None:
        leavers = [person for person in persons if person.in_service_on(day)]
        if not leavers:
            return
        # A retirement list is announced before the day; a death is ordered after it.
        order = self._order(day, 5, 30) if reason == "deceased" else self._order(day, -45, -7)
        for person in leavers:
            self.positions.release(person.school, person.position.number)
            self._record(person, PersonnelRecord.LeftService, order, day, reason=reason)
        self._submit(self.ctx.keys.authority, leavers, self._purpose(order, subject))

    def _pass_probation(self, day: date, items: Sequence[tuple[_Person, int]]) -> None:
        """ครูผู้ช่วย who completed the two-year programme become ครู คศ.1."""
        items = [(person, salary) for person, salary in items if person.in_service_on(day)]
        if not items:
            return
        order = self._order(day, 7, 45)
        for person, salary in items:
            position = person.position
            self._record(person, PersonnelRecord.ProbationPassed, order, day,
                         programme=_PROGRAMME)
            self._record(person, PersonnelRecord.PositionChanged, order, day,
                         position_title=_TEACHER_TITLE, position_number=position.number,
                         unit=position.unit, area=position.area, rank="k1", salary=salary)
            person.teacher_since = day
        self._submit(self.ctx.keys.authority, [person for person, _ in items], self._purpose(
            order, "ให้ครูผู้ช่วยที่ผ่านการเตรียมความพร้อมและพัฒนาอย่างเข้ม ดำรงตำแหน่งครู"))

    def _confer(self, day: date, items: Sequence[tuple[_Person, str, int]]) -> None:
        """One order conferring standings, each with its rank and salary."""
        if not items:
            return
        order = self._order(day, 20, 75)
        for person, standing, salary in items:
            self._record(person, PersonnelRecord.StandingConferred, order, day,
                         standing=standing, rank=rank_for_standing(standing), salary=salary)
            person.standing_since = day
        self._submit(self.ctx.keys.authority, [person for person, _, _ in items],
                     self._purpose(order, "ให้ข้าราชการครูมีวิทยฐานะและเลื่อนเป็นวิทยฐานะ"))

    def _standing_round(self, day: date) -> None:
        """Those eligible for their next standing apply; some are conferred it this time."""
        self._confer(day, self._standing_candidates(day))

    def _standing_candidates(self, day: date) -> list[tuple[_Person, str, int]]:
        items: list[tuple[_Person, str, int]] = []
        for person in self._serving(day):
            target = _NEXT_STANDING.get(person.record.standing)
            since = person.standing_since or person.teacher_since
            if target is None or since is None or person.rank == "assistant":
                continue
            # ว9/2564: no penalty heavier than ภาคทัณฑ์ in the past four years.
            if person.penalised_within(day, _add_years(day, -4)):
                continue
            if _full_years(since, day) < _years_required(target, person.degree, day):
                continue
            if self.rng.random() < _CONFER_CHANCE[target]:
                rank = rank_for_standing(target)
                items.append((person, target, _at_least_minimum(rank, day, person.record.salary)))
        return items

    def _appointment_call(self, day: date) -> None:
        """New ครูผู้ช่วย fill the posts of leavers, keeping the head count near its size."""
        vacancies = self.ctx.people - len(self._serving(day))
        if vacancies <= 0:
            return
        entrants = [self._new_entrant(day, school)
                    for school in self._pick_schools(day, vacancies)]
        self._record_degrees(day, self._open(day, entrants),
                             "บันทึกประวัติการศึกษาของข้าราชการครูบรรจุใหม่")

    def _new_entrant(self, day: date, school: _School) -> _Entrant:
        age = self.rng.choices(range(23, 31), (5, 6, 5, 4, 3, 2, 1, 1))[0]
        birth = _add_years(day, -age) - timedelta(days=self.rng.randint(1, 364))
        degree = _draw_degree(self.rng, experienced=False) if age >= 26 else "bachelor"
        entrant = self._draw_entrant(birth, degree, school, day, day)
        entrant.salary = _starting_salary("assistant", day)
        return entrant

    def _transfers(self, day: date) -> None:
        """The yearly transfer list: a few percent move, each after ≥ 12 months in the unit."""
        candidates = [person for person in self._serving(day)
                      if person.rank != "assistant"
                      and _full_years(person.unit_since, day) >= 1
                      and person.retires_on > _add_years(day, 1)]
        count = min(len(candidates), round(len(candidates) * _TRANSFER_PER_YEAR
                                           + self.rng.uniform(-1, 1)))
        movers = sorted(self.rng.sample(candidates, max(0, count)), key=lambda p: p.number)
        if not movers:
            return
        order = self._order(day, -30, -7)
        for person in movers:
            self._transfer(person, day, order)
        self._submit(self.ctx.keys.authority, movers, self._purpose(order, "ย้ายข้าราชการครู"))

    def _transfer(self, person: _Person, day: date, order: OrderRef) -> None:
        destination = self._pick_schools(day, 1, avoid=person.school)[0]
        self.positions.release(person.school, person.position.number)
        number = self.positions.take(destination)
        self._record(person, PersonnelRecord.Transferred, order, day,
                     position_title=person.position.title, position_number=number,
                     unit=destination.name, area=self.area)
        person.school, person.unit_since = destination, day

    def _renumber(self, day: date) -> None:
        """The area renumbers every post once: one order, old number → new number."""
        serving = self._serving(day)
        mapping = self.positions.renumber(
            self.schools, [(person.school, person.position.number) for person in serving])
        if not serving:
            return
        order = self._order(day, -21, -7)
        for person in serving:
            old = person.position.number
            self._record(person, PersonnelRecord.PositionRenumbered, order, day,
                         old_number=old, new_number=mapping[old])
        self._submit(self.ctx.keys.authority, serving, self._purpose(
            order, "เปลี่ยนแปลงเลขที่ตำแหน่งข้าราชการครูในสถานศึกษา"))

    def _decorations(self, day: date) -> None:
        """Those due for the next class get it; the registrar records it from the gazette."""
        due = [person for person in self._serving(day) if _due_decoration(person, day)]
        if not due:
            return
        order = self._order(day, 60, 120, _DECORATION_AUTHORITY)
        be_year = to_be_year(order.order_date)
        gazette = (f"ราชกิจจานุเบกษา เล่ม {be_year - 2426} ตอนที่ {self.rng.randint(10, 40)} ข "
                   f"หน้า {self.rng.randint(1, 300)} ลงวันที่ {format_thai_date(order.order_date)}")
        for person in due:
            person.decoration += 1
            person.decorated_in = day.year
            self._record(person, PersonnelRecord.DecorationConferred, order, day,
                         decoration=_DECORATIONS[person.decoration], gazette=gazette)
        self._submit(self.ctx.keys.registrar, due, self._purpose(
            order, f"การพระราชทานเครื่องราชอิสริยาภรณ์ ประจำปี {to_be_year(day)}"))

    def _penalise(self, person: _Person, day: date) -> None:
        if not person.in_service_on(day):
            return
        penalty, _, description, bars = self.rng.choices(_PENALTIES,
                                                         [p[1] for p in _PENALTIES])[0]
        order = self._order(day, 0, 0)
        self._record(person, PersonnelRecord.DisciplinePenalised, order, day,
                     penalty=penalty, description=description)
        if bars:
            person.penalised_on = day
        self._submit(self.ctx.keys.authority, [person],
                     self._purpose(order, "ลงโทษทางวินัยข้าราชการครู"))

    # ------------------------------------------------------------ the registrar

    def _amend(self, day: date) -> None:
        """Corrections and revocations that have come due, as one registrar batch."""
        due = [item for item in self.amendments if item.due <= day]
        self.amendments = [item for item in self.amendments if item.due > day]
        # Corrections first; a correction of an entry revoked meanwhile is moot.
        due.sort(key=lambda item: item.changes is None)
        memo = self._memo(day)
        amended: list[_Person] = []
        for item in due:
            record = item.person.record
            if record.entries[item.version].revoked:
                continue
            if item.changes is None:
                record.record(PersonnelRecord.EntryRevoked, effective_date=day, order=memo,
                              revokes=item.version, reason=item.reason)
            else:
                record.record(PersonnelRecord.EntryCorrected, effective_date=day, order=memo,
                              corrects=item.version, changes=item.changes, reason=item.reason)
            amended.append(item.person)
        self._submit(self.ctx.keys.registrar, amended,
                     self._purpose(memo, "แก้ไขและยกเลิกรายการในทะเบียนประวัติ"))

    def _registrar_batch(self, first: date, end: date) -> None:
        """The half-year's recordings: leave, training, degrees, skills, name changes."""
        day = end - timedelta(days=1)
        memo = self._memo(day + timedelta(days=self.rng.randint(1, 20)))
        touched = []
        for person in self._serving(day):
            window = (max(first, person.appointed_on), end)
            version = person.record.version
            self._record_leave(person, window, memo)
            self._record_training(person, window, memo)
            self._record_growth(person, window, memo)
            if person.record.version != version:
                touched.append(person)
        self._submit(self.ctx.keys.registrar, touched, self._purpose(
            memo, f"บันทึกทะเบียนประวัติ ระหว่างวันที่ {format_thai_date(first)} "
                  f"ถึงวันที่ {format_thai_date(day)}"))

    def _record_leave(self, person: _Person, window: tuple[date, date], memo: OrderRef) -> None:
        """The half-year's leave, in the order it was taken."""
        for started, leave_type, days, length in sorted(self._draw_leave(person, window)):
            wrong = self.rng.random() < _WRONG_DAYS
            self._record(person, PersonnelRecord.LeaveRecorded, memo, started,
                         leave_type=leave_type, days=days + 1 if wrong else days,
                         started=started, finished=started + timedelta(days=length - 1))
            if wrong:
                self._amend_later(person, started, "จำนวนวันลาไม่ถูกต้อง", {"days": str(days)})
            elif self.rng.random() < _CANCELLED_LEAVE:
                self._amend_later(person, started, "ผู้ลายกเลิกวันลา", None)

    def _draw_leave(self, person: _Person,
                    window: tuple[date, date]) -> list[tuple[date, str, Decimal, int]]:
        rng = self.rng
        drawn: list[tuple[date, str, Decimal, int]] = []
        for leave_type, chance, choices, who in _LEAVES:
            if not self._may_take(person, who, window[0]) or rng.random() >= chance:
                continue
            days = Decimal(rng.choice(choices))
            length = max(1, int(days.to_integral_value(rounding=ROUND_CEILING)))
            started = _day_in(rng, window[0], window[1] - timedelta(days=length))
            if started + timedelta(days=length) <= window[1]:
                drawn.append((started, leave_type, days, length))
        return drawn

    @staticmethod
    def _may_take(person: _Person, who: str, day: date) -> bool:
        if who == "male":
            return person.gender == _MALE
        if who == "young-female":
            return person.gender == _FEMALE and person.age_on(day) < 42
        return True

    def _record_training(self, person: _Person, window: tuple[date, date],
                         memo: OrderRef) -> None:
        rng = self.rng
        if rng.random() >= _TRAINING:
            return
        length = rng.randint(1, 5)
        started = _day_in(rng, window[0], window[1] - timedelta(days=length))
        if started + timedelta(days=length) > window[1]:
            return
        fields: dict[str, Any] = {
            "course": rng.choice(_COURSES), "place": rng.choice(_TRAINING_PLACES),
            "started": started, "finished": started + timedelta(days=length - 1)}
        self._record(person, PersonnelRecord.TrainingRecorded, memo, started, **fields)
        if rng.random() < _DUPLICATE_TRAINING:
            # Keyed twice by mistake; the duplicate is revoked later (never mistyped itself,
            # so that no correction targets a revoked entry).
            person.record.record(PersonnelRecord.TrainingRecorded, effective_date=started,
                                 order=memo, **fields)
            self._amend_later(person, started, "บันทึกซ้ำ", None)

    def _record_growth(self, person: _Person, window: tuple[date, date],
                       memo: OrderRef) -> None:
        """A further degree, a special skill, a marriage: each now and then."""
        rng = self.rng
        day = _day_in(rng, *window)
        if person.degree != "doctorate" and person.age_on(day) < 50 and rng.random() < (
                _MASTER if person.degree == "bachelor" else _DOCTOR):
            self._record_further_degree(person, day, memo)
        if person.skills < 2 and rng.random() < _SKILL:
            person.skills += 1
            self._record(person, PersonnelRecord.SpecialSkillRecorded, memo, day,
                         description=rng.choice(_SKILLS))
        prefix, first_name, last_name = person.record.name
        if prefix == "นางสาว" and person.age_on(day) < 45 and rng.random() < _MARRIAGE:
            husband = rng.choice([name for name in _SURNAMES if name != last_name])
            self._record(person, PersonnelRecord.NameChanged, memo, day, prefix="นาง",
                         first_name=first_name, last_name=husband)

    def _record_further_degree(self, person: _Person, day: date, memo: OrderRef) -> None:
        rng = self.rng
        if person.degree == "bachelor":
            person.degree, span = "master", 2
            title, major = rng.choice(_MASTER_DEGREES), rng.choice(_MASTER_MAJORS)
        else:
            person.degree, span = "doctorate", 3
            title, major = _DOCTORATE
        degree = _Degree(rng.choice(_UNIVERSITIES), title, major, _add_years(day, -span), day)
        person.degrees.append(degree)
        self._record_degree(person, degree, memo)

