"""Dates the Thai way: Buddhist-Era display, careful parsing, fiscal years and retirement.

Dates are stored as ISO C.E. dates and shown in the Buddhist Era (B.E. = C.E. + 543), as
``domain/REFERENCE.md`` §7 and DESIGN decision 11 fix. Legacy data mixes both eras, and a
B.E. year mistaken for a C.E. one moves a date by 543 years without any error, so parsing
refuses whatever it cannot place in an era for certain.

Accepted forms (Thai digits ๐-๙ may replace ASCII digits anywhere):

=========================  ==========================================================
``2024-04-01``             ISO date, C.E. year
``พ.ศ. 2567-04-01``        ISO-like date whose year is marked B.E.
``1/4/2567``, ``01/04/2567``  day/month/year, B.E. year (always day first, never month)
``1 เมษายน 2567``          day, Thai month name (full or abbreviated, ``1 เม.ย. 2567``),
``1 เมษายน พ.ศ. 2567``     B.E. year, optionally marked ``พ.ศ.``
=========================  ==========================================================

Every year is written with four digits: a two-digit year cannot be placed in an era.

Before 1 January 2484 B.E. (1941) the Thai year began on 1 April, so the simple +543 rule
is a year off for January-March of earlier years (PyThaiNLP's ``thai_strftime`` documents
the same limit). Parsing refuses such B.E. dates; formatting applies +543 throughout, as
DPIS does.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Literal

from pythainlp.util import thai_digit_to_arabic_digit, thai_strftime

from ledger.errors import InvalidDate

__all__ = [
    "BE_OFFSET",
    "Era",
    "day_reaching_age",
    "detect_era",
    "end_of_day",
    "fiscal_year",
    "fiscal_year_bounds",
    "format_thai_date",
    "format_thai_datetime",
    "format_thai_month",
    "last_day_in_service",
    "parse_date",
    "parse_date_flexible",
    "parse_moment",
    "parse_month",
    "retirement_date",
    "to_be_year",
    "today",
]

Era = Literal["BE", "CE"]

BE_OFFSET = 543
RETIREMENT_AGE = 60
# DPIS's rule (`save_date`): no C.E. year in a personnel record comes near 2400, and no
# B.E. year is below it.
_ERA_THRESHOLD = 2400
_FIRST_JANUARY_NEW_YEAR_BE = 2484
_FISCAL_YEAR_FIRST_MONTH = 10
# Thailand has kept UTC+7 without daylight saving since 1920; a fixed offset needs no tzdata.
_BANGKOK = timezone(timedelta(hours=7), "Asia/Bangkok")


def _month_names(directive: str) -> dict[str, int]:
    # Derived from thai_strftime so that parsing accepts exactly what formatting prints.
    return {thai_strftime(datetime(2000, month, 1), directive): month for month in range(1, 13)}


_FULL_MONTHS = _month_names("%B")
_ABBREVIATED_MONTHS = _month_names("%b")
_MONTHS = _FULL_MONTHS | _ABBREVIATED_MONTHS
_THAI_MONTH_NAME = {month: name for name, month in _FULL_MONTHS.items()}

_ISO = re.compile(r"(?P<mark>พ\.ศ\. ?)?(?P<y>[0-9]{4})-(?P<m>[0-9]{2})-(?P<d>[0-9]{2})")
_SLASHED = re.compile(r"(?P<d>[0-9]{1,2})/(?P<m>[0-9]{1,2})/(?P<y>[0-9]{4})")
_SPELLED = re.compile(r"(?P<d>[0-9]{1,2}) (?P<month>[^\s0-9]+) (?P<mark>พ\.ศ\. ?)?(?P<y>[0-9]{4})")
_TWO_DIGIT_YEAR = re.compile(r"[0-9]{1,2}(?:/[0-9]{1,2}/| [^\s0-9]+ )[0-9]{2}")

_ACCEPTED_EN = "2024-04-01 (C.E.), พ.ศ. 2567-04-01, 1/4/2567 or 1 เมษายน 2567 (B.E.)"
_ACCEPTED_TH = "2024-04-01 (ค.ศ.), พ.ศ. 2567-04-01, 1/4/2567 หรือ 1 เมษายน 2567 (พ.ศ.)"


# --- eras and formatting ---------------------------------------------------------------


def to_be_year(d: date) -> int:
    """The Buddhist-Era year of ``d``."""
    return d.year + BE_OFFSET


def detect_era(year: int) -> Era:
    """``"BE"`` for a year above 2400, else ``"CE"`` (the DPIS rule, REFERENCE §7)."""
    return "BE" if year > _ERA_THRESHOLD else "CE"


def format_thai_date(d: date, *, thai_digits: bool = False, abbreviated: bool = False) -> str:
    """``"1 เมษายน 2567"``, or ``"1 เม.ย. 2567"`` when abbreviated; Thai digits on request."""
    month = "%b" if abbreviated else "%B"
    return thai_strftime(_midnight(d), f"%-d {month} %Y", thaidigit=thai_digits)


def format_thai_month(d: date, *, thai_digits: bool = False, abbreviated: bool = False) -> str:
    """The month of ``d`` in the Buddhist Era: ``"เมษายน 2567"``, or ``"เม.ย. 2567"``."""
    month = "%b" if abbreviated else "%B"
    return thai_strftime(_midnight(d), f"{month} %Y", thaidigit=thai_digits)


def format_thai_datetime(
    moment: datetime, *, thai_digits: bool = False, abbreviated: bool = False
) -> str:
    """``"1 เมษายน 2567 เวลา 13.05 น."`` in Thailand's time.

    An aware datetime (the ledger records UTC) is shown in Bangkok time; a naive one is
    taken to be Thai wall-clock time already.
    """
    if moment.tzinfo is not None:
        moment = moment.astimezone(_BANGKOK)
    month = "%b" if abbreviated else "%B"
    return thai_strftime(moment, f"%-d {month} %Y เวลา %H.%M น.", thaidigit=thai_digits)


def today() -> date:
    """Today's date in Thailand: what "now" means for a record read without a date."""
    return datetime.now(_BANGKOK).date()


def end_of_day(d: date) -> datetime:
    """The last moment of ``d`` in Thailand, as an aware datetime."""
    return datetime.combine(_plain_date(d), time.max, tzinfo=_BANGKOK)


def _midnight(d: date) -> datetime:
    return datetime.combine(_plain_date(d), time())


def _plain_date(d: date) -> date:
    # datetime is a date subclass; mixing the two breaks comparisons and arithmetic.
    return date(d.year, d.month, d.day)


# --- parsing ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Written:
    """A date as written, before its year is placed in an era."""

    text: str
    year: int
    month: int
    day: int
    day_first: bool
    marked_be: bool


def parse_date(text: str) -> date:
    """Parse one of the accepted forms (module docstring); refuse anything doubtful.

    An ISO date must carry a C.E. year and a day-first date a B.E. year: ``2567-04-01`` and
    ``1/4/2024`` are refused, because guessing wrong silently moves a date by 543 years.
    """
    written = _read(text)
    return _to_date(written, _strict_era(written))


def parse_date_flexible(text: str) -> tuple[date, Era]:
    """Parse a date for imports of legacy data, and say which era its year was taken in.

    Accepts the forms of ``parse_date`` written in either era, placing each year by
    ``detect_era`` as DPIS does: ``2567-04-01`` gives (2024-04-01, "BE"), ``1/4/2024``
    gives (2024-04-01, "CE"). A year marked ``พ.ศ.`` must still be a B.E. year.
    """
    written = _read(text)
    if written.marked_be:
        _check_marked_year(written)
    era: Era = "BE" if written.marked_be else detect_era(written.year)
    return _to_date(written, era), era


def _read(text: str) -> _Written:
    cleaned = " ".join(thai_digit_to_arabic_digit(text).split())
    if not cleaned:
        raise InvalidDate("no date given", "ไม่ได้ระบุวันที่")
    if match := _ISO.fullmatch(cleaned):
        return _written(text, match, day_first=False, month=int(match["m"]))
    if match := _SLASHED.fullmatch(cleaned):
        return _written(text, match, day_first=True, month=int(match["m"]))
    if match := _SPELLED.fullmatch(cleaned):
        return _written(text, match, day_first=True, month=_month_number(text, match["month"]))
    if _TWO_DIGIT_YEAR.fullmatch(cleaned):
        raise InvalidDate(
            f"{text!r} has a two-digit year, which cannot be placed in an era; "
            f"write all four digits, e.g. 1/4/2567",
            f"{text!r} ระบุปีเพียง 2 หลัก จึงไม่อาจรู้ว่าเป็นปีศักราชใด ให้เขียนปีให้ครบ 4 หลัก เช่น 1/4/2567",
        )
    raise InvalidDate(
        f"{text!r} is not a date in an accepted form: {_ACCEPTED_EN}",
        f"{text!r} ไม่ใช่วันที่ในรูปแบบที่รับได้: {_ACCEPTED_TH}",
    )


def _written(text: str, match: re.Match[str], *, day_first: bool, month: int) -> _Written:
    return _Written(
        text=text,
        year=int(match["y"]),
        month=month,
        day=int(match["d"]),
        day_first=day_first,
        marked_be=match.groupdict().get("mark") is not None,
    )


def _month_number(text: str, name: str) -> int:
    if name in _MONTHS:
        return _MONTHS[name]
    raise InvalidDate(
        f"{text!r}: {name!r} is not a Thai month name; write it in full (เมษายน) "
        f"or abbreviated (เม.ย.)",
        f"{text!r}: {name!r} ไม่ใช่ชื่อเดือน ให้เขียนชื่อเดือนเต็ม (เมษายน) หรือแบบย่อ (เม.ย.)",
    )


def _strict_era(written: _Written) -> Era:
    if written.marked_be:
        _check_marked_year(written)
        return "BE"
    era = detect_era(written.year)
    if not written.day_first and era == "BE":
        _refuse_be_year_in_iso(written)
    if written.day_first and era == "CE":
        _refuse_ambiguous_day_first(written)
    return "CE" if not written.day_first else "BE"


def _check_marked_year(written: _Written) -> None:
    if detect_era(written.year) == "CE":
        raise InvalidDate(
            f"{written.text!r} marks {written.year} as a Buddhist-Era year, but it looks like "
            f"a Christian-Era year (B.E. {written.year + BE_OFFSET})",
            f"{written.text!r} ระบุ พ.ศ. {written.year} แต่ปีนี้ดูเหมือนเป็นปีคริสต์ศักราช "
            f"(ตรงกับ พ.ศ. {written.year + BE_OFFSET})",
        )


def _refuse_be_year_in_iso(written: _Written) -> None:
    # The date itself must exist, and be placed in one C.E. year, before it is offered back.
    _refuse_old_thai_new_year(written)
    _check_month_and_day(written, written.year - BE_OFFSET, "BE")
    iso = f"{written.year - BE_OFFSET:04d}-{written.month:02d}-{written.day:02d}"
    thai = f"{written.day}/{written.month}/{written.year}"
    raise InvalidDate(
        f"{written.text!r} looks like a Buddhist-Era year given as a Christian-Era date; "
        f"an ISO date (YYYY-MM-DD) takes the Christian-Era year: use {iso} or {thai}",
        f"{written.text!r} ดูเหมือนเป็นปีพุทธศักราชที่เขียนในรูปแบบวันที่คริสต์ศักราช "
        f"วันที่แบบ ปี-เดือน-วัน ต้องใช้ปี ค.ศ. ให้ใช้ {iso} หรือ {thai}",
    )


def _refuse_ambiguous_day_first(written: _Written) -> None:
    advice_en, advice_th = _day_first_advice(written)
    raise InvalidDate(
        f"{written.text!r} is ambiguous: a day-first date must carry a Buddhist-Era year, "
        f"and {written.year} is not one; {advice_en}",
        f"{written.text!r} กำกวม: วันที่แบบ วัน/เดือน/ปี ต้องใช้ปีพุทธศักราช แต่ {written.year} "
        f"ไม่ใช่ปี พ.ศ. {advice_th}",
    )


def _day_first_advice(written: _Written) -> tuple[str, str]:
    """What to write instead, naming only dates that parse: the date as written, else with
    day and month swapped (12/15/2026 was meant month first), else the accepted forms."""
    for day, month in ((written.day, written.month), (written.month, written.day)):
        if _exists(written.year, month, day):
            be = f"{day}/{month}/{written.year + BE_OFFSET}"
            iso = f"{written.year:04d}-{month:02d}-{day:02d}"
            if not _parses(be):  # before 2484 B.E. (or 2400) only the C.E. form is certain
                return f"write {iso} (C.E.)", f"ให้เขียน {iso} (ค.ศ.)"
            return (f"write {be} (B.E.) or {iso} (C.E.)",
                    f"ให้เขียน {be} (พ.ศ.) หรือ {iso} (ค.ศ.)")
    return (f"no such day exists in {written.year}; accepted forms: {_ACCEPTED_EN}",
            f"ไม่มีวันดังกล่าวในปี {written.year} รูปแบบที่รับได้: {_ACCEPTED_TH}")


def _parses(text: str) -> bool:
    try:
        parse_date(text)
    except InvalidDate:
        return False
    return True


def _exists(year: int, month: int, day: int) -> bool:
    return 1 <= year <= 9999 and 1 <= month <= 12 and \
        1 <= day <= calendar.monthrange(year, month)[1]


def _to_date(written: _Written, era: Era) -> date:
    if era == "BE":
        _refuse_old_thai_new_year(written)
    year = written.year - BE_OFFSET if era == "BE" else written.year
    _check_month_and_day(written, year, era)
    return date(year, written.month, written.day)


def _refuse_old_thai_new_year(written: _Written) -> None:
    if written.year < _FIRST_JANUARY_NEW_YEAR_BE and written.month <= 3:
        raise InvalidDate(
            f"{written.text!r}: before B.E. 2484 the Thai year began on 1 April, so January "
            f"to March of B.E. {written.year} may fall in either of two C.E. years; "
            f"enter the date as a C.E. ISO date",
            f"{written.text!r}: ก่อน พ.ศ. 2484 ปีใหม่เริ่มวันที่ 1 เมษายน เดือนมกราคมถึงมีนาคม "
            f"ของ พ.ศ. {written.year} จึงอาจตรงกับปี ค.ศ. ได้สองปี "
            f"ให้ระบุเป็นวันที่ ค.ศ. แบบ ปี-เดือน-วัน",
        )


def _check_month_and_day(written: _Written, year: int, era: Era) -> None:
    if not 1 <= year <= 9999:
        raise InvalidDate(
            f"{written.text!r}: year {written.year} is out of range",
            f"{written.text!r}: ปี {written.year} อยู่นอกช่วงที่รับได้",
        )
    if not 1 <= written.month <= 12:
        raise InvalidDate(
            f"{written.text!r}: there is no month {written.month}",
            f"{written.text!r}: ไม่มีเดือนที่ {written.month}",
        )
    days = calendar.monthrange(year, written.month)[1]
    if not 1 <= written.day <= days:
        era_en, era_th = ("B.E.", "พ.ศ.") if era == "BE" else ("C.E.", "ค.ศ.")
        raise InvalidDate(
            f"{written.text!r}: {calendar.month_name[written.month]} {era_en} {written.year} "
            f"has no day {written.day} (it has {days} days)",
            f"{written.text!r}: เดือน{_THAI_MONTH_NAME[written.month]} {era_th} {written.year} "
            f"ไม่มีวันที่ {written.day} (มี {days} วัน)",
        )


# --- months and moments ----------------------------------------------------------------

_ISO_MONTH = re.compile(r"(?P<y>[0-9]{4})-(?P<m>[0-9]{2})")
_SLASHED_MONTH = re.compile(r"(?P<m>[0-9]{1,2})/(?P<y>[0-9]{4})")
_SPELLED_MONTH = re.compile(r"(?P<month>[^\s0-9]+) (?:พ\.ศ\. ?)?(?P<y>[0-9]{4})")
_ISO_MOMENT_YEAR = re.compile(r"(?P<y>[0-9]{4})-[0-9]{2}-[0-9]{2}(?:[T ].*)?")
_MONTHS_EN = "2026-05 (C.E.), 5/2569 or พฤษภาคม 2569 (B.E.)"
_MONTHS_TH = "2026-05 (ค.ศ.), 5/2569 หรือ พฤษภาคม 2569 (พ.ศ.)"


def parse_month(text: str) -> date:
    """A month, as its first day: ``2026-05`` (C.E.), ``5/2569``, ``พฤษภาคม 2569`` or
    ``พ.ค. 2569`` (B.E.); by the same rule as ``parse_date``, a year in ISO form is C.E. and a
    year after the month is B.E., and whatever breaks the rule is refused with advice."""
    cleaned = " ".join(thai_digit_to_arabic_digit(text).split())
    if match := _ISO_MONTH.fullmatch(cleaned):
        year, month = int(match["y"]), int(match["m"])
        if detect_era(year) == "BE":
            raise InvalidDate(
                f"{text!r} looks like a Buddhist-Era year in the ISO form YYYY-MM, which takes "
                f"the Christian-Era year: write {year - BE_OFFSET}-{month:02d} or "
                f"{month}/{year}",
                f"{text!r} ดูเหมือนเป็นปี พ.ศ. ในรูปแบบ ปี-เดือน ซึ่งต้องใช้ปี ค.ศ. ให้เขียน "
                f"{year - BE_OFFSET}-{month:02d} หรือ {month}/{year}")
        return _first_of_month(text, year, month)
    if match := _SLASHED_MONTH.fullmatch(cleaned):
        return _be_month(text, int(match["y"]), int(match["m"]))
    if match := _SPELLED_MONTH.fullmatch(cleaned):
        return _be_month(text, int(match["y"]), _month_number(text, match["month"]))
    raise InvalidDate(f"{text!r} is not a month in an accepted form: {_MONTHS_EN}",
                      f"{text!r} ไม่ใช่เดือนในรูปแบบที่รับได้: {_MONTHS_TH}")


def _be_month(text: str, year: int, month: int) -> date:
    if detect_era(year) == "CE":
        valid = 1 <= month <= 12
        be, ce = f"{month}/{year + BE_OFFSET}", f"{year}-{month:02d}"
        raise InvalidDate(
            f"{text!r} is ambiguous: a month written before its year must carry a "
            f"Buddhist-Era year, and {year} is not one; write "
            + (f"{be} (B.E.) or {ce} (C.E.)" if valid else _MONTHS_EN),
            f"{text!r} กำกวม: เดือนที่เขียนก่อนปีต้องใช้ปีพุทธศักราช แต่ {year} ไม่ใช่ปี พ.ศ. ให้เขียน "
            + (f"{be} (พ.ศ.) หรือ {ce} (ค.ศ.)" if valid else _MONTHS_TH))
    return _first_of_month(text, year - BE_OFFSET, month)


def _first_of_month(text: str, year: int, month: int) -> date:
    if not 1 <= month <= 12:
        raise InvalidDate(f"{text!r}: there is no month {month}",
                          f"{text!r}: ไม่มีเดือนที่ {month}")
    if not 1 <= year <= 9999:
        raise InvalidDate(f"{text!r}: year {year} is out of range",
                          f"{text!r}: ปี {year} อยู่นอกช่วงที่รับได้")
    return date(year, month, 1)


def parse_moment(text: str) -> datetime:
    """A moment: ISO 8601 (``2026-12-03T10:00:00+07:00``; without an offset it is naive,
    and callers take it as UTC), or a day in any form ``parse_date`` reads, meaning the end
    of that day in Thailand ("as known on 3 Dec 2569" includes all of that day). An ISO year
    is C.E.: a B.E. year is refused with the same moment in C.E., rather than read as a time
    five centuries ahead."""
    cleaned = thai_digit_to_arabic_digit(text).strip()
    if not any(mark in cleaned for mark in ("T", ":")):
        day = parse_date(text)
        return datetime.combine(day, time.max, tzinfo=_BANGKOK)
    match = _ISO_MOMENT_YEAR.fullmatch(cleaned)
    if match and detect_era(int(match["y"])) == "BE":
        fixed = f"{int(match['y']) - BE_OFFSET:04d}{cleaned[4:]}"
        raise InvalidDate(
            f"{text!r} looks like a Buddhist-Era year in an ISO date-time, which takes the "
            f"Christian-Era year: write {fixed}",
            f"{text!r} ดูเหมือนเป็นปี พ.ศ. ในรูปแบบวันเวลา ISO ซึ่งต้องใช้ปี ค.ศ. ให้เขียน {fixed}")
    try:
        return datetime.fromisoformat(cleaned)
    except ValueError:
        raise InvalidDate(
            f"{text!r} is not an ISO 8601 date-time, e.g. 2026-12-03T10:00:00+07:00, nor a "
            f"date such as 3/12/2569",
            f"{text!r} ไม่ใช่วันเวลาแบบ ISO 8601 เช่น 2026-12-03T10:00:00+07:00 "
            f"หรือวันที่ เช่น 3/12/2569") from None


# --- age, retirement, fiscal years -----------------------------------------------------


def day_reaching_age(birth: date, years: int) -> date:
    """The day on which a person born on ``birth`` completes ``years`` years of age.

    Thai age counting (ครม. นร 0205/ว42, 13 Mar 2538) counts the day of birth as the first
    day of life, so a year of age is complete at the end of the day *before* the birthday
    anniversary: born 1 Oct 2492 B.E., one is 60 on 30 Sep 2552. For 29 February births the
    anniversary in a common year is taken as 1 March, so the age is reached on 28 February.
    """
    birth = _plain_date(birth)
    try:
        anniversary = birth.replace(year=birth.year + years)
    except ValueError:
        anniversary = date(birth.year + years, 3, 1)
    return anniversary - timedelta(days=1)


def last_day_in_service(birth: date) -> date:
    """30 September ending the fiscal year in which the person reaches 60.

    The law retires civil servants "at the end of the fiscal year in which they reach 60
    full years" (พ.ร.บ.บำเหน็จบำนาญข้าราชการ 2494 ม.19). This is the date the ก.ค.ศ.16
    form prints as วันครบเกษียณอายุ.
    """
    _, last_day = fiscal_year_bounds(fiscal_year(day_reaching_age(birth, RETIREMENT_AGE)))
    return last_day


def retirement_date(birth: date) -> date:
    """1 October after ``last_day_in_service``: the first day out of service.

    Because age 60 is reached the day before the anniversary, someone born on 1 October
    reaches it on 30 September and leaves a year earlier than someone born on 2 October:
    1949-10-01 → 2009-10-01, 1949-10-02 → 2010-10-01 (REFERENCE §7).
    """
    return last_day_in_service(birth) + timedelta(days=1)


def fiscal_year(d: date) -> int:
    """The B.E. fiscal year of ``d``; it runs from 1 October to 30 September.

    1 Oct 2023 is in fiscal year 2567 (it ends on 30 Sep 2024 = 2567 B.E.).
    """
    ending_year = d.year + 1 if d.month >= _FISCAL_YEAR_FIRST_MONTH else d.year
    return ending_year + BE_OFFSET


def fiscal_year_bounds(fiscal_year_be: int) -> tuple[date, date]:
    """First and last day (C.E. dates) of a B.E. fiscal year: 2567 → 2023-10-01, 2024-09-30."""
    ending_year = fiscal_year_be - BE_OFFSET
    return date(ending_year - 1, 10, 1), date(ending_year, 9, 30)
