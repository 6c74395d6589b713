from __future__ import annotations

import hashlib
import hmac
import re
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.errors import InvalidInput, InvalidNationalID
from ledger.identity import (
    check_digit,
    format_national_id,
    is_valid_national_id,
    normalise_national_id,
    record_id_for,
)

EXAMPLE = "1-2345-67890-12-1"  # REFERENCE §7: Σ = 352, 352 mod 11 = 0 → check digit 1
EXAMPLE_DIGITS = "1234567890121"
SECRET = bytes(range(32))
THAI = re.compile(r"[\u0E00-\u0E7F]")

twelve_digits = st.builds(
    lambda first, rest: first + rest,
    st.sampled_from("123456789"),
    st.text(alphabet="0123456789", min_size=11, max_size=11),
)
valid_ids = twelve_digits.map(lambda twelve: twelve + str(check_digit(twelve)))


def weighted_residue(digits: str) -> int:
    """Σ dᵢ·(14−i) mod 11 over the first twelve digits, computed apart from the module."""
    return sum(int(d) * w for d, w in zip(digits[:12], range(13, 1, -1), strict=True)) % 11


# --- the check digit -------------------------------------------------------------------


def test_the_reference_example_is_valid() -> None:
    assert check_digit(EXAMPLE_DIGITS[:12]) == 1
    assert normalise_national_id(EXAMPLE) == EXAMPLE_DIGITS
    assert is_valid_national_id(EXAMPLE)


@given(twelve_digits)
def test_exactly_one_of_the_ten_possible_last_digits_is_valid(twelve: str) -> None:
    valid = [d for d in "0123456789" if is_valid_national_id(twelve + d)]
    assert valid == [str(check_digit(twelve))]


@given(valid_ids, st.integers(0, 12), st.integers(1, 9))
def test_a_single_digit_change_is_refused_except_where_the_checksum_is_blind(
    valid: str, position: int, shift: int
) -> None:
    changed = valid[:position] + str((int(valid[position]) + shift) % 10) + valid[position + 1 :]
    # The official mod-11 scheme cannot see two kinds of change: any change of the third
    # digit (its weight is 11 ≡ 0 mod 11), and a change that moves the weighted sum
    # between residues 0 and 10, which both give check digit 1. Everything else is caught.
    blind = {weighted_residue(valid), weighted_residue(changed)} == {0, 10} or position == 2
    if changed[0] == "0" or not blind:
        assert not is_valid_national_id(changed)
    else:
        assert is_valid_national_id(changed)


def test_the_checksum_does_not_see_a_change_of_the_third_digit() -> None:
    # Documented so that nobody relies on the check digit to catch every typo.
    assert is_valid_national_id("1-2045-67890-12-1")


@given(valid_ids)
def test_formatting_groups_1_4_5_2_1_and_reads_back(valid: str) -> None:
    formatted = format_national_id(valid)
    assert [len(part) for part in formatted.split("-")] == [1, 4, 5, 2, 1]
    assert normalise_national_id(formatted) == valid


# --- normalisation ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "1234567890121",
        "1-2345-67890-12-1",
        "1 2345 67890 12 1",
        "  1-2345-67890-12-1\n",
        "1–2345–67890–12–1",  # en dashes, as pasted from a word processor
        "๑๒๓๔๕๖๗๘๙๐๑๒๑",
        "๑-๒๓๔๕-๖๗๘๙๐-๑๒-๑",
    ],
)
def test_accepted_spellings_normalise_to_thirteen_ascii_digits(text: str) -> None:
    assert normalise_national_id(text) == EXAMPLE_DIGITS


@pytest.mark.parametrize(
    ("text", "english", "thai"),
    [
        ("", "empty", "ไม่ได้ระบุ"),
        ("1-2345-67890-12", "12 digits", "12 หลัก"),
        ("12345678901210", "14 digits", "14 หลัก"),
        ("1-2345-6789O-12-1", "'O'", "ไม่ใช่ตัวเลข"),
        ("1234567890121x", "'x'", "ไม่ใช่ตัวเลข"),
        ("١٢٣٤٥٦٧٨٩٠١٢١", "other than digits", "ไม่ใช่ตัวเลข"),  # Arabic-Indic digits
        ("0-2345-67890-12-2", "cannot begin with 0", "ขึ้นต้นด้วย 0"),
        ("1-2345-67890-12-2", "call for 1", "หลักตรวจสอบเป็น 1"),
    ],
)
def test_refusals_say_what_is_wrong_in_english_and_thai(text: str, english: str, thai: str) -> None:
    with pytest.raises(InvalidNationalID) as caught:
        normalise_national_id(text)
    assert english in caught.value.message
    assert thai in caught.value.message_th
    assert THAI.search(caught.value.message_th)
    assert not is_valid_national_id(text)


def test_check_digit_needs_twelve_ascii_digits() -> None:
    with pytest.raises(InvalidNationalID) as caught:
        check_digit("12345")
    assert THAI.search(caught.value.message_th)


# --- record ids ------------------------------------------------------------------------


def test_record_id_is_stable_and_matches_its_documented_construction() -> None:
    record_id = record_id_for(EXAMPLE, SECRET)
    digest = hmac.new(
        SECRET, b"tabien/record-id/v1\x00" + EXAMPLE_DIGITS.encode(), hashlib.sha256
    ).digest()
    assert record_id.bytes[:6] == digest[:6]
    assert record_id.bytes[9:] == digest[9:16]
    assert record_id.version == 8
    assert record_id.variant == uuid.RFC_4122
    # Changing the construction would orphan every record: pin one value.
    assert record_id == uuid.UUID("88ebe11f-0c15-8035-a751-c96b11cdb627")


def test_record_id_does_not_depend_on_how_the_number_was_written() -> None:
    assert record_id_for("๑๒๓๔๕๖๗๘๙๐๑๒๑", SECRET) == record_id_for(EXAMPLE, SECRET)


@given(valid_ids, st.binary(min_size=32, max_size=64), st.binary(min_size=32, max_size=64))
def test_record_ids_differ_across_secrets(valid: str, one: bytes, other: bytes) -> None:
    assert record_id_for(valid, one) == record_id_for(valid, one)
    if one != other:
        assert record_id_for(valid, one) != record_id_for(valid, other)


def test_different_people_get_different_record_ids() -> None:
    other = "1234567890" + "13"
    other += str(check_digit(other))
    assert record_id_for(other, SECRET) != record_id_for(EXAMPLE, SECRET)


def test_a_short_secret_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        record_id_for(EXAMPLE, b"x" * 31)
    assert "32" in caught.value.message
    assert THAI.search(caught.value.message_th)


def test_an_invalid_national_id_gets_no_record_id() -> None:
    with pytest.raises(InvalidNationalID):
        record_id_for("1-2345-67890-12-2", SECRET)
