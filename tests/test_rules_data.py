from __future__ import annotations

import copy
import json
from datetime import date, datetime
from importlib import resources
from itertools import pairwise
from typing import Any

import pytest

from ledger.errors import InvalidInput
from ledger.rules import (
    RANKS,
    STANDINGS,
    AllowanceTable,
    RulesDataError,
    SalaryTable,
    _loading,
    allowance_tables,
    rank_for_standing,
    salary_range,
    salary_table_in_force,
    salary_tables,
    standing_allowance,
    standing_for_rank,
)

DATA_FILES = ("salary_tables.json", "standing_allowances.json")


def raw(name: str) -> Any:
    return json.loads(resources.files("ledger.rules").joinpath(name).read_text("utf-8"))


# --- provenance ------------------------------------------------------------------------


def test_every_table_names_its_source_and_the_basis_of_its_dates() -> None:
    tables: list[SalaryTable | AllowanceTable] = [*salary_tables(), *allowance_tables()]
    for table in tables:
        assert table.source.instrument_th
        assert table.source.urls
        assert all(url.startswith("http") for url in table.source.urls)
        assert table.date_basis


def test_no_figure_the_reference_marks_not_found_has_a_number() -> None:
    k4 = salary_range("k4", date(2020, 1, 1))
    k5 = salary_range("k5", date(2020, 1, 1))
    for item in (k4, k5):
        assert item is not None
        assert (item.minimum, item.maximum) == (None, None)
        assert item.missing is not None
        assert "NOT FOUND" in item.missing


def test_every_missing_figure_is_explained() -> None:
    for table in salary_tables():
        for item in table.ranges:
            has_gap = item.minimum is None or item.maximum is None
            assert has_gap == (item.missing is not None), (table.id, item.rank)


@pytest.mark.parametrize("name", DATA_FILES)
def test_the_unverified_recollection_is_not_used(name: str) -> None:
    text = resources.files("ledger.rules").joinpath(name).read_text("utf-8")
    for unsourced in ("69040", "69,040", "76800", "76,800"):
        assert unsourced not in text


# --- choosing the table in force -------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "table_id"),
    [
        (date(2010, 12, 31), None),
        (date(2011, 4, 1), "salary-range-2554"),
        (date(2013, 6, 1), "salary-range-2554"),
        (date(2015, 3, 31), "salary-range-2554"),
        (date(2015, 4, 1), "salary-range-2558"),
        (date(2020, 6, 1), "salary-range-2558"),
        (datetime(2020, 6, 1, 12, 0), "salary-range-2558"),
    ],
)
def test_a_lookup_picks_the_table_in_force_on_the_day(day: date, table_id: str | None) -> None:
    table = salary_table_in_force(day)
    assert (table.id if table else None) == table_id


def test_the_same_rank_has_different_ranges_in_different_years() -> None:
    older = salary_range("k1", date(2013, 6, 1))
    newer = salary_range("k1", date(2020, 6, 1))
    assert older is not None
    assert newer is not None
    assert (older.minimum, older.maximum, older.temporary_minimum) == (11930, 29700, 8130)
    assert (newer.minimum, newer.maximum, newer.temporary_minimum) == (15440, 34310, None)
    assert newer.table_id == "salary-range-2558"


def test_no_range_is_known_before_the_first_table() -> None:
    assert salary_range("k1", date(2005, 1, 1)) is None


def test_tables_do_not_overlap() -> None:
    tables = salary_tables()
    for earlier, later in pairwise(tables):
        assert earlier.effective_to is not None
        assert earlier.effective_to < later.effective_from


# --- standings -------------------------------------------------------------------------


def test_a_standing_has_its_allowance() -> None:
    senior = standing_allowance("senior", date(2020, 1, 1))
    assert senior is not None
    assert senior.amount == 3500
    amounts = {
        code: allowance.amount
        for code in ("none", "senior_special", "expert", "expert_special")
        if (allowance := standing_allowance(code, date(2020, 1, 1))) is not None
    }
    assert amounts == {"none": 0, "senior_special": 5600, "expert": 9900, "expert_special": 13000}


def test_the_higher_expert_special_rate_is_conditional_and_its_criteria_are_missing() -> None:
    allowance = standing_allowance("expert_special", date(2020, 1, 1))
    assert allowance is not None
    assert allowance.conditional_amount == 15600
    assert allowance.condition_th
    assert allowance.missing


def test_ranks_and_standings_are_ordered_with_thai_labels() -> None:
    assert [rank.code for rank in RANKS] == ["assistant", "k1", "k2", "k3", "k4", "k5"]
    assert [rank.label_th for rank in RANKS] == ["ครูผู้ช่วย", "คศ.1", "คศ.2", "คศ.3", "คศ.4", "คศ.5"]
    assert [s.code for s in STANDINGS] == [
        "none",
        "senior",
        "senior_special",
        "expert",
        "expert_special",
    ]
    assert [s.label_th for s in STANDINGS][1:] == [
        "ชำนาญการ",
        "ชำนาญการพิเศษ",
        "เชี่ยวชาญ",
        "เชี่ยวชาญพิเศษ",
    ]
    assert [s.level for s in STANDINGS] == list(range(5))


@pytest.mark.parametrize(
    ("standing", "rank"),
    [
        ("none", "k1"),
        ("senior", "k2"),
        ("senior_special", "k3"),
        ("expert", "k4"),
        ("expert_special", "k5"),
    ],
)
def test_a_standing_implies_a_rank(standing: str, rank: str) -> None:
    assert rank_for_standing(standing) == rank
    assert standing_for_rank(rank) == standing


def test_an_assistant_teacher_has_no_standing() -> None:
    assert standing_for_rank("assistant") == "none"


@pytest.mark.parametrize(
    "call",
    [
        lambda: salary_range("k9", date(2020, 1, 1)),
        lambda: standing_allowance("master", date(2020, 1, 1)),
    ],
)
def test_unknown_codes_are_refused_in_both_languages(call: Any) -> None:
    with pytest.raises(InvalidInput) as caught:
        call()
    assert "unknown" in caught.value.message
    assert "ไม่รู้จัก" in caught.value.message_th


# --- a malformed file is refused with a clear message ----------------------------------


def load_salary_data_from(monkeypatch: pytest.MonkeyPatch, data: Any) -> Any:
    monkeypatch.setattr(_loading, "read_json", lambda name: _loading.Node(data, name))
    return _loading.salary_data.__wrapped__()  # the uncached loader


def test_the_shipped_file_loads_through_the_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    loaded = load_salary_data_from(monkeypatch, raw("salary_tables.json"))
    assert loaded.tables == salary_tables()


def break_salary_file(change: str) -> Any:
    data = copy.deepcopy(raw("salary_tables.json"))
    newer = data["tables"][1]
    if change == "null without note":
        del newer["ranges"]["k4"]["missing"]
    elif change == "rank left out":
        del newer["ranges"]["k3"]
    elif change == "overlap":
        data["tables"][0]["effective_to"] = "2016-01-01"
    elif change == "no source":
        newer["source"]["urls"] = []
    elif change == "bad date":
        newer["effective_from"] = "1/4/2558"
    elif change == "boolean amount":
        newer["ranges"]["k1"]["min"] = True
    elif change == "min above max":
        newer["ranges"]["k1"]["min"] = 99999
    return data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("null without note", "missing"),
        ("rank left out", "ranges"),
        ("overlap", "overlaps"),
        ("no source", "urls"),
        ("bad date", "effective_from"),
        ("boolean amount", "whole baht"),
        ("min above max", "min <= max"),
    ],
)
def test_a_malformed_salary_file_is_refused(
    monkeypatch: pytest.MonkeyPatch, change: str, message: str
) -> None:
    with pytest.raises(RulesDataError, match=message) as caught:
        load_salary_data_from(monkeypatch, break_salary_file(change))
    assert "salary_tables.json" in str(caught.value)
