"""Order numbers carry a Buddhist-Era year (issue 15: ``518/2026`` was accepted). An order
drafted in tabien is numbered ``number/B.E. year``; a number an entry cites is kept as written
(legacy records cite such things as ``ทะเบียนคุณวุฒิ 0412/2551``) unless it ends in a C.E.
year."""

from __future__ import annotations

from datetime import date

import pytest

from ledger.entries import parse_entry
from ledger.errors import InvalidInput
from ledger.order import Order
from ledger.vocabulary import check_cited_number, normalise_order_number


@pytest.mark.parametrize(("written", "kept"), [("120/2569", "120/2569"),
                                               (" 0120/2569 ", "0120/2569"),
                                               ("๑๒๐/๒๕๖๙", "120/2569")])
def test_an_order_number_is_kept_in_one_form(written: str, kept: str) -> None:
    assert normalise_order_number(written) == kept


@pytest.mark.parametrize("number", ["518/2026", "๕๑๘/๒๐๒๖"])
def test_an_order_number_with_a_christian_era_year_is_refused_with_the_number_meant(
        number: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        normalise_order_number(number)
    assert "518/2569" in caught.value.message
    assert "ปี พ.ศ." in caught.value.message_th


@pytest.mark.parametrize("number", ["120", "120/69", "ที่ 120/2569", "120-2569", ""])
def test_an_order_number_not_in_the_form_number_slash_year_is_refused(number: str) -> None:
    with pytest.raises(InvalidInput, match=r"e\.g\. 120/2569"):
        normalise_order_number(number)


@pytest.mark.parametrize("cited", ["ทะเบียนคุณวุฒิ 0412/2551", "12/2540", "ศธ 04002/ว123"])
def test_a_cited_number_is_kept_as_written(cited: str) -> None:
    assert check_cited_number(cited) == cited


def test_a_cited_number_ending_in_a_christian_era_year_is_refused() -> None:
    with pytest.raises(InvalidInput, match="12/2567"):
        check_cited_number("ทะเบียนคุณวุฒิ 12/2024")


def test_an_order_cannot_be_drafted_under_a_christian_era_number() -> None:
    with pytest.raises(InvalidInput, match="518/2569"):
        Order.draft(authority="สพม.16", area="สพม.16", order_number="518/2026",
                    order_date=date(2026, 12, 3), title="ย้าย", lines=[{"kind": "x"}])


def test_an_entry_citing_a_christian_era_order_number_is_refused() -> None:
    with pytest.raises(InvalidInput, match="518/2569"):
        parse_entry({"kind": "training_recorded", "national_id": "1234567890121",
                     "effective_date": "2026-12-01", "course": "x", "place": "y",
                     "order": {"authority": "สพม.16", "order_number": "518/2026",
                               "order_date": "2026-12-01"}})
