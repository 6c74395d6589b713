"""Handler rules, read as given-events / when-command / then-result.

Each test gives the person's history as entries, sends one order line, and expects either no
failure or a failure naming the rule. The reference's own cases are here: born 1 Oct 2492
retires on 1 Oct 2552, born 2 Oct 2492 on 1 Oct 2553.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from commands.facts import Entry, RecordFacts
from commands.rules import RULES, LineContext, check_line
from ledger.rules.career import ruleset_version

AREA = "สพม.16"


def opened(birth: date = date(1985, 5, 1), area: str = AREA) -> Entry:
    return Entry(1, "record_opened", date(2008, 5, 16),
                 {"national_id": "1234567890121", "birth_date": birth, "area": area})


def appointed(on: date = date(2008, 5, 16), rank: str = "assistant", salary: int = 8_700,
              unit: str = "โรงเรียนปากพนัง", version: int = 2) -> Entry:
    return Entry(version, "appointed", on, {"rank": rank, "salary": salary, "unit": unit,
                                            "area": AREA, "position_title": "ครูผู้ช่วย",
                                            "position_number": "1001"})


def entry(version: int, kind: str, on: date, **fields: Any) -> Entry:
    return Entry(version, kind, on, fields)


def when(given: list[Entry], kind: str, on: date, area: str = AREA, **fields: Any) -> set[str]:
    facts = RecordFacts.from_entries(given)
    return {f.rule for f in check_line(LineContext(facts, kind, on, fields, area))}


def raise_to(amount: int, percent: str | None = "3.0", steps: str | None = None
             ) -> dict[str, Any]:
    return {"new_salary": amount, "percent": Decimal(percent) if percent else None,
            "steps": Decimal(steps) if steps else None}


# ------------------------------------------------------------------- the person


def test_a_line_for_an_unknown_person_fails_person_known() -> None:
    assert when([], "salary_raised", date(2020, 4, 1), **raise_to(20_000)) == {"person.known"}


def test_a_second_opening_fails() -> None:
    assert "record.opened-once" in when([opened()], "record_opened", date(2020, 1, 1),
                                        area=AREA)


def test_a_person_of_another_area_fails_person_area() -> None:
    given = [opened(), appointed()]
    assert "person.area" in when(given, "salary_raised", date(2012, 4, 1), area="สพม.11",
                                 **raise_to(9_000))


# -------------------------------------------------------------------- the dates


def test_an_effective_date_before_appointment_fails() -> None:
    given = [opened(), appointed(on=date(2010, 5, 16))]
    assert "date.before-appointment" in when(given, "salary_raised", date(2010, 4, 1),
                                             **raise_to(9_000, percent=None, steps="1"))


def test_nothing_after_leaving_service() -> None:
    given = [opened(), appointed(), entry(3, "left_service", date(2015, 1, 1), reason="resigned")]
    assert "date.after-leaving" in when(given, "salary_raised", date(2015, 4, 1),
                                        **raise_to(9_500))


@pytest.mark.parametrize(("birth", "out"), [
    (date(1949, 10, 1), date(2009, 10, 1)),   # born 1 Oct 2492 → out 1 Oct 2552
    (date(1949, 10, 2), date(2010, 10, 1)),   # born 2 Oct 2492 → out 1 Oct 2553
])
def test_retirement_takes_effect_on_the_reference_dates(birth: date, out: date) -> None:
    given = [opened(birth=birth), appointed(on=date(1975, 5, 16), rank="k3", salary=30_000)]
    assert when(given, "left_service", out, reason="retired") == set()
    assert "retirement.day" in when(given, "left_service", date(out.year, 9, 30),
                                    reason="retired")
    # After the retirement date nothing else may take effect until it is recorded.
    assert "retirement.date-passed" in when(given, "salary_raised", out, **raise_to(31_000))


def test_appointment_under_eighteen_fails() -> None:
    given = [opened(birth=date(1995, 1, 1))]
    # Age is reached the day before the birthday (ครม. นร 0205/ว42): 18 on 31 Dec 2012.
    line = {"rank": "assistant", "salary": 9_000, "unit": "x", "area": AREA}
    assert "appointment.age" in when(given, "appointed", date(2012, 12, 30), **line)
    assert "appointment.age" not in when(given, "appointed", date(2012, 12, 31), **line)


def test_appointing_someone_already_in_service_fails() -> None:
    assert "appointment.not-in-service" in when([opened(), appointed()], "appointed",
                                                date(2012, 1, 1), rank="k1", salary=12_000,
                                                unit="x", area=AREA)


# --------------------------------------------------------------------- salaries


def test_salary_outside_the_rank_range_in_force_fails() -> None:
    given = [opened(), appointed(on=date(2016, 5, 16), salary=15_050)]
    # The 2558 table: ครูผู้ช่วย 15,050–24,750.
    assert when(given, "salary_raised", date(2017, 4, 1), **raise_to(15_500)) == set()
    assert "salary.within-range" in when(given, "salary_raised", date(2017, 4, 1),
                                         **raise_to(25_000))


def test_older_entries_check_against_the_older_table() -> None:
    given = [opened(), appointed(on=date(2012, 5, 16), salary=8_700)]
    # 8,700 is the 2554 table's minimum for ครูผู้ช่วย, below the 2558 table's 15,050.
    assert when(given, "salary_raised", date(2013, 4, 1), **raise_to(9_000)) == set()


def test_a_rank_whose_range_is_not_found_cannot_pass_silently() -> None:
    given = [opened(), appointed(on=date(2016, 5, 16), rank="k4", salary=60_000)]
    failed = when(given, "salary_raised", date(2017, 4, 1), **raise_to(61_000))
    assert "salary.within-range" in failed


def test_a_raise_cannot_lower_the_salary() -> None:
    given = [opened(), appointed(on=date(2016, 5, 16), salary=16_000)]
    assert "salary.no-decrease" in when(given, "salary_raised", date(2017, 4, 1),
                                        **raise_to(15_500))


def test_raises_take_effect_on_round_days() -> None:
    given = [opened(), appointed(on=date(2016, 5, 16), salary=15_050)]
    assert "salary.round-day" in when(given, "salary_raised", date(2017, 5, 1),
                                      **raise_to(15_500))


def test_percent_raises_and_step_raises_belong_to_their_eras() -> None:
    given = [opened(), appointed(on=date(2008, 5, 16), salary=8_700)]
    assert "salary.era" in when(given, "salary_raised", date(2010, 4, 1), **raise_to(9_000))
    assert "salary.era" not in when(given, "salary_raised", date(2010, 4, 1),
                                    **raise_to(9_000, percent=None, steps="1.5"))
    assert "salary.era" in when(given, "salary_raised", date(2010, 4, 1),
                                **raise_to(9_000, percent=None, steps="3"))
    assert "salary.era" in when(given, "salary_raised", date(2012, 4, 1),
                                **raise_to(9_000, percent=None, steps="1"))


# -------------------------------------------------------------- careers


def test_a_transfer_needs_twelve_months_in_the_unit() -> None:
    given = [opened(), appointed(on=date(2016, 5, 16))]
    assert "transfer.months-in-unit" in when(given, "transferred", date(2017, 5, 1),
                                             unit="โรงเรียนทุ่งสง", area=AREA)
    assert when(given, "transferred", date(2017, 5, 16), unit="โรงเรียนทุ่งสง",
                area=AREA) == set()


def test_an_assistant_teacher_becomes_k1_only_after_development() -> None:
    given = [opened(), appointed(on=date(2016, 5, 16), salary=15_050)]
    line = {"rank": "k1", "salary": 15_440, "unit": "โรงเรียนปากพนัง", "area": AREA,
            "position_title": "ครู", "position_number": "1001"}
    assert "development.before-k1" in when(given, "position_changed", date(2018, 5, 16), **line)
    developed = [*given, entry(3, "probation_passed", date(2018, 5, 16), programme="พัฒนาอย่างเข้ม")]
    assert when(developed, "position_changed", date(2018, 5, 16), **line) == set()


def teacher_since(day: date) -> list[Entry]:
    return [opened(), appointed(on=day, rank="k1", salary=15_440),
            entry(3, "education_recorded", date(2007, 3, 31), degree="ครุศาสตรบัณฑิต",
                  finished=date(2007, 3, 31))]


def test_standings_are_not_skipped() -> None:
    assert "standing.order" in when(teacher_since(date(2010, 5, 16)), "standing_conferred",
                                    date(2018, 1, 1), standing="senior_special", rank="k3",
                                    salary=20_000)


def test_senior_standing_under_w17_needs_six_years_with_a_bachelor() -> None:
    given = teacher_since(date(2010, 5, 16))
    senior = {"standing": "senior", "rank": "k2", "salary": 17_000}
    assert "standing.criteria" in when(given, "standing_conferred", date(2016, 1, 1), **senior)
    assert when(given, "standing_conferred", date(2016, 5, 16), **senior) == set()


def test_a_masters_degree_shortens_the_w17_wait_to_four_years() -> None:
    given = [*teacher_since(date(2010, 5, 16)),
             entry(4, "education_recorded", date(2012, 3, 31), degree="ครุศาสตรมหาบัณฑิต",
                   finished=date(2012, 3, 31))]
    assert when(given, "standing_conferred", date(2014, 5, 16), standing="senior", rank="k2",
                salary=17_000) == set()


def test_w9_2564_needs_four_years_and_refuses_to_guess_the_missing_levels() -> None:
    given = [*teacher_since(date(2018, 5, 16)),
             entry(5, "standing_conferred", date(2022, 6, 1), standing="senior", rank="k2",
                   salary=20_000),
             entry(6, "standing_conferred", date(2023, 6, 1), standing="senior_special",
                   rank="k3", salary=25_000)]
    failed = when(given, "standing_conferred", date(2024, 6, 1), standing="expert", rank="k4",
                  salary=30_000)
    assert "standing.criteria" in failed


def test_a_correction_counts_instead_of_the_entry_it_corrects() -> None:
    given = [opened(), appointed(on=date(2016, 5, 16), salary=15_050),
             entry(3, "entry_corrected", date(2016, 6, 1), corrects=2,
                   changes={"salary": 15_500})]
    assert RecordFacts.from_entries(given).salary == 15_500


def test_a_revoked_leaving_puts_the_person_back_in_service() -> None:
    given = [opened(), appointed(), entry(3, "left_service", date(2015, 1, 1), reason="resigned"),
             entry(4, "entry_revoked", date(2015, 2, 1), revokes=3)]
    assert RecordFacts.from_entries(given).in_service


def test_every_rule_is_exercised_by_a_test_in_this_module() -> None:
    source = Path(__file__).read_text(encoding="utf-8")
    untested = [rule.id for rule in RULES if f'"{rule.id}"' not in source]
    assert untested == []


def test_the_rule_set_has_a_version_that_names_its_data() -> None:
    assert ruleset_version().startswith("tabien-rules/")
