from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.errors import InvalidDate
from ledger.thaidate import (
    day_reaching_age,
    detect_era,
    fiscal_year,
    fiscal_year_bounds,
    format_thai_date,
    format_thai_datetime,
    last_day_in_service,
    parse_date,
    parse_date_flexible,
    parse_moment,
    parse_month,
    retirement_date,
    to_be_year,
)

THAI = re.compile(r"[\u0E00-\u0E7F]")
# From 1941 the Thai year begins on 1 January, so +543 holds for every day.
modern_dates = st.dates(min_value=date(1941, 1, 1), max_value=date(2300, 12, 31))


# --- formatting ------------------------------------------------------------------------


def test_years_are_shown_in_the_buddhist_era() -> None:
    assert to_be_year(date(2024, 4, 1)) == 2567


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({}, "1 เมษายน 2567"),
        ({"abbreviated": True}, "1 เม.ย. 2567"),
        ({"thai_digits": True}, "๑ เมษายน ๒๕๖๗"),
        ({"thai_digits": True, "abbreviated": True}, "๑ เม.ย. ๒๕๖๗"),
    ],
)
def test_dates_are_formatted_with_thai_month_names(options: dict[str, bool], expected: str) -> None:
    assert format_thai_date(date(2024, 4, 1), **options) == expected


def test_every_month_has_its_thai_name() -> None:
    names = [format_thai_date(date(2024, month, 1)).split()[1] for month in range(1, 13)]
    assert names[0] == "มกราคม"
    assert names[9] == "ตุลาคม"
    assert len(set(names)) == 12


def test_a_datetime_is_formatted_as_its_day() -> None:
    assert format_thai_date(datetime(2024, 4, 1, 23, 59)) == "1 เมษายน 2567"


def test_a_recorded_utc_time_is_shown_in_bangkok_time() -> None:
    # 18:30 UTC on 31 March is 01:30 on 1 April in Thailand.
    moment = datetime(2024, 3, 31, 18, 30, tzinfo=UTC)
    assert format_thai_datetime(moment) == "1 เมษายน 2567 เวลา 01.30 น."
    assert format_thai_datetime(moment, thai_digits=True, abbreviated=True) == (
        "๑ เม.ย. ๒๕๖๗ เวลา ๐๑.๓๐ น."
    )


def test_a_naive_time_is_taken_as_thai_wall_clock_time() -> None:
    assert format_thai_datetime(datetime(2024, 4, 1, 9, 5)) == "1 เมษายน 2567 เวลา 09.05 น."


def test_an_aware_time_in_another_zone_is_converted() -> None:
    tokyo = timezone(timedelta(hours=9))
    assert format_thai_datetime(datetime(2024, 4, 1, 9, 0, tzinfo=tokyo)).endswith("07.00 น.")


# --- parsing ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "2024-04-01",
        "1/4/2567",
        "01/04/2567",
        " 1/4/2567 ",
        "พ.ศ. 2567-04-01",
        "พ.ศ.2567-04-01",
        "1 เมษายน 2567",
        "1 เม.ย. 2567",
        "1 เมษายน พ.ศ. 2567",
        "1  เมษายน  พ.ศ.2567",
        "๑/๔/๒๕๖๗",
        "๑ เมษายน ๒๕๖๗",
        "๒๐๒๔-๐๔-๐๑",
    ],
)
def test_accepted_forms_parse_to_the_same_day(text: str) -> None:
    assert parse_date(text) == date(2024, 4, 1)


def test_a_buddhist_era_year_in_an_iso_date_is_refused() -> None:
    with pytest.raises(InvalidDate) as caught:
        parse_date("2567-04-01")
    error = caught.value
    assert "looks like a Buddhist-Era year given as a Christian-Era date" in error.message
    assert "use 2024-04-01 or 1/4/2567" in error.message
    assert "พุทธศักราช" in error.message_th
    assert "2024-04-01" in error.message_th
    assert "1/4/2567" in error.message_th


@pytest.mark.parametrize(
    ("text", "english", "thai"),
    [
        ("31/02/2567", "has no day 31 (it has 29 days)", "ไม่มีวันที่ 31"),
        ("29/02/2566", "has no day 29 (it has 28 days)", "ไม่มีวันที่ 29"),
        ("2023-02-29", "has no day 29", "ไม่มีวันที่ 29"),
        ("31 เมษายน 2567", "has no day 31", "เดือนเมษายน"),
        ("0/4/2567", "has no day 0", "ไม่มีวันที่ 0"),
        ("1/13/2567", "no month 13", "ไม่มีเดือนที่ 13"),
        ("1/4/2024", "ambiguous", "กำกวม"),
        ("01/04/1990", "ambiguous", "กำกวม"),
        ("1 เมษายน 2024", "ambiguous", "กำกวม"),
        ("1/4/67", "two-digit year", "2 หลัก"),
        ("1 เม.ย. 67", "two-digit year", "2 หลัก"),
        ("พ.ศ. 2024-04-01", "looks like a Christian-Era year", "คริสต์ศักราช"),
        ("1 เมย 2567", "not a Thai month name", "ไม่ใช่ชื่อเดือน"),
        ("1/2/2480", "began on 1 April", "1 เมษายน"),
        ("4/1/2024", "ambiguous", "กำกวม"),
        ("2024/04/01", "not a date in an accepted form", "ไม่ใช่วันที่"),
        ("0000-01-01", "out of range", "นอกช่วง"),
        ("", "no date", "ไม่ได้ระบุ"),
        ("yesterday", "not a date in an accepted form", "ไม่ใช่วันที่"),
    ],
)
def test_refusals_say_why_in_english_and_thai(text: str, english: str, thai: str) -> None:
    with pytest.raises(InvalidDate) as caught:
        parse_date(text)
    assert english in caught.value.message
    assert thai in caught.value.message_th


def test_a_leap_day_of_a_buddhist_era_leap_year_is_accepted() -> None:
    assert parse_date("29/02/2567") == date(2024, 2, 29)


def test_april_of_an_old_year_is_not_affected_by_the_old_new_year() -> None:
    assert parse_date("1/4/2480") == date(1937, 4, 1)


@given(modern_dates, st.booleans(), st.booleans())
def test_every_formatted_date_parses_back(day: date, abbreviated: bool, thai_digits: bool) -> None:
    text = format_thai_date(day, abbreviated=abbreviated, thai_digits=thai_digits)
    assert parse_date(text) == day


@given(modern_dates)
def test_iso_and_day_first_forms_parse_back(day: date) -> None:
    assert parse_date(day.isoformat()) == day
    assert parse_date(f"{day.day}/{day.month}/{to_be_year(day)}") == day


# --- advice is always a date that exists (issue 15) ------------------------------------

_DATE_IN_ADVICE = re.compile(r"[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}|[0-9]{4}-[0-9]{2}-[0-9]{2}")


def advised_dates(error: InvalidDate) -> list[str]:
    """The dates an error tells the user to write (not the text it quotes back, nor the
    examples in its list of accepted forms)."""
    said = error.message.split("'", 2)[2] + " " + error.message_th.split("'", 2)[2]
    said = said.split("accepted forms")[0].split("รูปแบบที่รับได้")[0]
    return _DATE_IN_ADVICE.findall(said)


def test_a_month_first_date_is_advised_back_as_the_date_meant() -> None:
    """``12/15/2026`` was answered "write 12/15/2569 (B.E.) or 2026-15-12 (C.E.)": two
    dates that do not exist."""
    with pytest.raises(InvalidDate) as caught:
        parse_date("12/15/2026")
    assert "write 15/12/2569 (B.E.) or 2026-12-15 (C.E.)" in caught.value.message
    assert "15/12/2569 (พ.ศ.) หรือ 2026-12-15 (ค.ศ.)" in caught.value.message_th


def test_a_date_that_exists_in_no_reading_is_advised_only_the_accepted_forms() -> None:
    with pytest.raises(InvalidDate) as caught:
        parse_date("31/2/2026")
    assert "no such day" in caught.value.message
    assert "ไม่มีวันดังกล่าว" in caught.value.message_th


def test_a_buddhist_era_iso_date_that_does_not_exist_says_so_rather_than_advise() -> None:
    with pytest.raises(InvalidDate) as caught:
        parse_date("2567-02-30")
    assert "has no day 30" in caught.value.message
    assert advised_dates(caught.value) == []


@given(st.integers(1, 40), st.integers(1, 40), st.integers(1800, 2300))
def test_every_date_advised_parses(day: int, month: int, year: int) -> None:
    for text in (f"{day}/{month}/{year}", f"{year + 543:04d}-{month:02d}-{day:02d}"):
        try:
            parse_date(text)
        except InvalidDate as error:
            for advice in advised_dates(error):
                parse_date(advice)  # raises if the advice is not a valid date


# --- months and moments ------------------------------------------------------------------


@pytest.mark.parametrize("text", ["2026-05", "5/2569", "05/2569", "พฤษภาคม 2569",
                                  "พ.ค. 2569", "พฤษภาคม พ.ศ. 2569", "๕/๒๕๖๙"])
def test_a_month_is_read_in_either_era_by_its_form(text: str) -> None:
    assert parse_month(text) == date(2026, 5, 1)


@pytest.mark.parametrize(
    ("text", "english", "thai"),
    [
        ("2569-05", "write 2026-05 or 5/2569", "ต้องใช้ปี ค.ศ."),
        ("5/2026", "write 5/2569 (B.E.) or 2026-05 (C.E.)", "5/2569 (พ.ศ.) หรือ 2026-05 (ค.ศ.)"),
        ("พฤษภาคม 2026", "5/2569 (B.E.)", "กำกวม"),
        ("13/2569", "no month 13", "ไม่มีเดือนที่ 13"),
        ("2026-13", "no month 13", "ไม่มีเดือนที่ 13"),
        ("May 2026", "not a Thai month name", "ไม่ใช่ชื่อเดือน"),
        ("2026", "not a month in an accepted form", "ไม่ใช่เดือน"),
    ],
)
def test_a_month_refused_says_why_in_english_and_thai(text: str, english: str,
                                                      thai: str) -> None:
    with pytest.raises(InvalidDate) as caught:
        parse_month(text)
    assert english in caught.value.message
    assert thai in caught.value.message_th


def test_a_moment_with_a_buddhist_era_year_is_refused_with_the_same_moment_in_ce() -> None:
    with pytest.raises(InvalidDate) as caught:
        parse_moment("2569-12-03T10:00:00+07:00")
    assert "write 2026-12-03T10:00:00+07:00" in caught.value.message
    assert "ปี พ.ศ." in caught.value.message_th


@pytest.mark.parametrize("text", ["2026-12-03T10:00:00+07:00", "2026-12-03 03:00:00+00:00"])
def test_an_iso_moment_is_read(text: str) -> None:
    assert parse_moment(text) == datetime(2026, 12, 3, 3, 0, tzinfo=UTC)


def test_a_moment_that_is_not_iso_is_refused() -> None:
    with pytest.raises(InvalidDate, match="not an ISO 8601"):
        parse_moment("2026-12-03T25:00")


@pytest.mark.parametrize("text", ["3/12/2569", "2026-12-03", "3 ธันวาคม 2569"])
def test_a_day_alone_as_a_moment_is_the_end_of_that_day_in_thailand(text: str) -> None:
    assert parse_moment(text) == datetime(2026, 12, 3, 16, 59, 59, 999999, tzinfo=UTC)


def test_a_day_alone_as_a_moment_follows_the_date_rules() -> None:
    with pytest.raises(InvalidDate, match="Buddhist-Era year"):
        parse_moment("2569-12-03")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-04-01", (date(2024, 4, 1), "CE")),
        ("2567-04-01", (date(2024, 4, 1), "BE")),
        ("1/4/2567", (date(2024, 4, 1), "BE")),
        ("1/4/2024", (date(2024, 4, 1), "CE")),
        ("1 เมษายน 2024", (date(2024, 4, 1), "CE")),
        ("พ.ศ. 2567-04-01", (date(2024, 4, 1), "BE")),
    ],
)
def test_flexible_parsing_reports_the_era_it_detected(
    text: str, expected: tuple[date, str]
) -> None:
    assert parse_date_flexible(text) == expected


@pytest.mark.parametrize("text", ["พ.ศ. 2024-04-01", "31/02/2567", "1/4/67", "2567-02-30"])
def test_flexible_parsing_still_refuses_what_no_era_can_fix(text: str) -> None:
    with pytest.raises(InvalidDate):
        parse_date_flexible(text)


@pytest.mark.parametrize(
    ("year", "era"), [(2024, "CE"), (2400, "CE"), (2401, "BE"), (2567, "BE"), (1900, "CE")]
)
def test_years_above_2400_are_buddhist_era(year: int, era: str) -> None:
    assert detect_era(year) == era


# --- age and retirement ----------------------------------------------------------------


def test_age_is_reached_the_day_before_the_anniversary() -> None:
    assert day_reaching_age(date(1949, 10, 1), 60) == date(2009, 9, 30)


def test_a_leap_day_birth_reaches_its_age_at_the_end_of_february() -> None:
    assert day_reaching_age(date(2000, 2, 29), 1) == date(2001, 2, 28)
    assert day_reaching_age(date(2000, 2, 29), 4) == date(2004, 2, 28)


@pytest.mark.parametrize(
    ("birth", "last_day", "out"),
    [
        # REFERENCE §7: born 1 Oct 2492 → out 1 Oct 2552; born 2 Oct 2492 → out 1 Oct 2553.
        (date(1949, 10, 1), date(2009, 9, 30), date(2009, 10, 1)),
        (date(1949, 10, 2), date(2010, 9, 30), date(2010, 10, 1)),
        # Age 60 on 31 Dec 2024, inside fiscal year 2568 (Oct 2024 - Sep 2025).
        (date(1965, 1, 1), date(2025, 9, 30), date(2025, 10, 1)),
        (date(1965, 9, 30), date(2025, 9, 30), date(2025, 10, 1)),
        (date(1965, 12, 31), date(2026, 9, 30), date(2026, 10, 1)),
        (date(1964, 2, 29), date(2024, 9, 30), date(2024, 10, 1)),
        (date(1963, 2, 28), date(2023, 9, 30), date(2023, 10, 1)),
    ],
)
def test_retirement_follows_the_fiscal_year_of_the_sixtieth_year(
    birth: date, last_day: date, out: date
) -> None:
    assert last_day_in_service(birth) == last_day
    assert retirement_date(birth) == out


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)))
def test_retirement_matches_the_rule_of_thumb(birth: date) -> None:
    # REFERENCE §7: born 1 Jan - 1 Oct → retire in birth year + 60; 2 Oct - 31 Dec → + 61.
    extra = 61 if (birth.month, birth.day) > (10, 1) else 60
    assert retirement_date(birth) == date(birth.year + extra, 10, 1)
    assert last_day_in_service(birth) == date(birth.year + extra, 9, 30)


# --- fiscal years ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "year"),
    [
        (date(2023, 9, 30), 2566),
        (date(2023, 10, 1), 2567),
        (date(2024, 1, 1), 2567),
        (date(2024, 9, 30), 2567),
        (date(2024, 10, 1), 2568),
        (date(2024, 12, 31), 2568),
    ],
)
def test_fiscal_years_run_october_to_september(day: date, year: int) -> None:
    assert fiscal_year(day) == year


def test_fiscal_year_bounds() -> None:
    assert fiscal_year_bounds(2567) == (date(2023, 10, 1), date(2024, 9, 30))


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2300, 12, 31)))
def test_every_day_lies_within_its_fiscal_year(day: date) -> None:
    first, last = fiscal_year_bounds(fiscal_year(day))
    assert first <= day <= last
    assert (last - first).days + 1 in {365, 366}
