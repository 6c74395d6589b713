"""A salary round of 5,000 people, previewed and issued, checked against an independent
computation written here; and the round's refusals."""

from __future__ import annotations

import math
import random
from datetime import date
from decimal import Decimal

import pytest

from commands.orders import OrderDesk
from commands.salary_round import Appraisal, compute_raise, issue_round, preview_round
from ledger.errors import InvalidInput, RuleViolation
from ledger.identity import format_national_id, record_id_for
from ledger.record import PersonnelRecord
from tests.conftest import LedgerEnv
from tests.factories import AREA, SECRET, national_id, order, write_history

# The 2558 table (ledger/rules/salary_tables.json): ranks whose range is known.
RANGES = {"k1": (15_440, 34_310), "k2": (16_190, 41_620), "k3": (18_860, 58_390)}
ROUND = date(2024, 4, 1)


def expected(salary: int, base: int, percent: Decimal, ceiling: int) -> tuple[int, int, int]:
    """The rule, computed independently: raise = base × percent, up to the next 10 baht;
    above the ceiling the salary stops there and the rest is special compensation."""
    raw = base * percent / 100
    rounded = math.ceil(raw / 10) * 10
    if salary + rounded <= ceiling:
        return rounded, salary + rounded, 0
    new_salary = max(salary, ceiling)
    return new_salary - salary, new_salary, salary + rounded - new_salary


def staff(env: LedgerEnv, people: int, seed: int = 7) -> dict[str, tuple[str, int]]:
    """``people`` teachers in service in the area; returns national ID → (rank, salary)."""
    rng = random.Random(seed)
    records, roster = [], {}
    appointed = date(2018, 5, 16)
    for n in range(1, people + 1):
        rank = rng.choice(list(RANGES))
        low, high = RANGES[rank]
        # About one in ten is at or near the ceiling, so special compensation is exercised.
        salary = (high - rng.choice([0, 100, 300]) if n % 10 == 0
                  else rng.randrange(low, high - 3000, 10))
        nid = national_id(n)
        record = PersonnelRecord.open(
            record_id_for(nid, SECRET), effective_date=appointed, order=order("1/2561", appointed),
            national_id=nid, prefix="นาง", first_name=f"ครู{n}", last_name="ทดสอบ",
            birth_date=date(1980, 1, 1), area=AREA)
        record.record(PersonnelRecord.Appointed, effective_date=appointed,
                      order=order("1/2561", appointed), position_title="ครู",
                      position_number=f"{10_000 + n}", unit="โรงเรียนทุ่งสง", area=AREA,
                      rank=rank, salary=salary, staff_type="teacher", on_probation=False)
        records.append(record)
        roster[nid] = (rank, salary)
    write_history(env.ledger, env.keys.authority, *records, purpose="staff of the test area")
    return roster


def appraisals_for(roster: dict[str, tuple[str, int]], seed: int = 11) -> list[Appraisal]:
    rng = random.Random(seed)
    return [Appraisal(nid, "ดีมาก", Decimal(rng.choice(["2.0", "2.5", "2.8", "3.0"])), salary)
            for nid, (_, salary) in roster.items()]


@pytest.mark.slow
def test_a_round_of_5000_people_is_previewed_and_issued_within_the_pool(
        ledger_env: LedgerEnv) -> None:
    # Given 5,000 teachers of สพม.16 and each one's appraisal,
    roster = staff(ledger_env, 5_000)
    appraisals = appraisals_for(roster)
    # when the registrar previews the 1 April 2024 round,
    preview = preview_round(ledger_env.ledger, AREA, ROUND, appraisals)
    # then nobody is missing, the total stays within 3% of the salary mass on 1 March,
    assert preview.ok, preview.violations[:3]
    assert len(preview.lines) == 5_000
    assert preview.salary_mass == sum(salary for _, salary in roster.values())
    assert preview.total <= preview.salary_mass * Decimal("0.03")
    # and every salary and rounding matches the independent computation.
    by_id = {a.national_id: a for a in appraisals}
    specials = 0
    for line in preview.lines:
        rank, salary = roster[line.national_id]
        a = by_id[line.national_id]
        assert (line.raise_amount, line.new_salary, line.special_compensation) == expected(
            salary, salary, a.percent, RANGES[rank][1])
        assert line.new_salary <= RANGES[rank][1]
        specials += line.special_compensation > 0
    assert specials > 0
    # When the authority issues it, it is one order and the records carry the new salaries.
    desk = OrderDesk(ledger_env.ledger, SECRET)
    result = issue_round(desk, preview, registrar=ledger_env.keys.registrar,
                         authority=ledger_env.keys.authority, order_number="120/2567",
                         order_date=date(2024, 5, 10), idempotency_key="round-2567-1")
    assert result.event_count == 5_001  # 5,000 raises and the order's own Issued event
    sample = preview.lines[123]
    record = ledger_env.reopen().record(record_id_for(sample.national_id, SECRET))
    assert record.salary == sample.new_salary
    # Sending the same issue again returns the first result and writes nothing.
    before = ledger_env.ledger.store.count_events()
    again = desk.issue(ledger_env.keys.authority, desk.order(AREA, "120/2567"),
                       idempotency_key="round-2567-1")
    assert again.already_issued
    assert ledger_env.ledger.store.count_events() == before


def test_compute_raise_rounds_up_to_ten_baht_and_caps_at_the_ceiling() -> None:
    assert compute_raise(20_000, 20_000, Decimal("2.97"), 34_310) == (600, 20_600, 0)
    assert compute_raise(20_000, 20_000, Decimal("3"), 34_310) == (600, 20_600, 0)
    assert compute_raise(20_001, 20_001, Decimal("3"), 34_310) == (610, 20_611, 0)
    assert compute_raise(34_000, 34_000, Decimal("3"), 34_310) == (310, 34_310, 710)
    assert compute_raise(34_310, 34_310, Decimal("3"), 34_310) == (0, 34_310, 1_030)


def test_a_round_over_the_pool_is_refused(ledger_env: LedgerEnv) -> None:
    roster = staff(ledger_env, 20)
    generous = [Appraisal(nid, "ดีเด่น", Decimal("6"), salary)
                for nid, (_, salary) in roster.items()]
    preview = preview_round(ledger_env.ledger, AREA, ROUND, generous)
    assert not preview.ok
    assert any("exceeds the pool" in v.message_en for v in preview.violations)
    desk = OrderDesk(ledger_env.ledger, SECRET)
    before = ledger_env.ledger.store.count_events()
    with pytest.raises(RuleViolation, match="violation"):
        issue_round(desk, preview, registrar=ledger_env.keys.registrar,
                    authority=ledger_env.keys.authority, order_number="121/2567",
                    order_date=date(2024, 5, 10))
    assert ledger_env.ledger.store.count_events() == before


def test_unknown_duplicate_missing_and_baseless_appraisals_are_violations(
        ledger_env: LedgerEnv) -> None:
    roster = staff(ledger_env, 4)
    ids = list(roster)
    appraisals = [
        Appraisal(ids[0], "ดี", Decimal("2"), roster[ids[0]][1]),
        Appraisal(ids[0], "ดี", Decimal("2"), roster[ids[0]][1]),   # twice
        Appraisal(ids[1], "ดี", Decimal("2"), None),                 # no calculation base
        Appraisal(ids[2], "ดี", Decimal("-1"), roster[ids[2]][1]),   # negative percent
        Appraisal(national_id(999), "ดี", Decimal("2"), 20_000),     # not in the area
    ]                                                                # ids[3]: no appraisal
    preview = preview_round(ledger_env.ledger, AREA, ROUND, appraisals)
    messages = " | ".join(v.message_en for v in preview.violations)
    for expected_text in ("twice", "NOT FOUND", "out of bounds", "not in service",
                          "no appraisal"):
        assert expected_text in messages
    assert all(v.message_th for v in preview.violations)


def test_a_round_must_fall_on_1_april_or_1_october(ledger_env: LedgerEnv) -> None:
    with pytest.raises(InvalidInput, match="1 April or 1 October"):
        preview_round(ledger_env.ledger, AREA, date(2024, 5, 1), [])


def test_a_preview_names_each_person_by_the_same_13_digits_in_lines_and_violations(
        ledger_env: LedgerEnv) -> None:
    """Reported (issue 15): one preview wrote a person as 1800214415342 in its lines and as
    1-8002-14415-34-2 in its violations. Every person is now named by the 13 digits, however
    the appraisal gave the number."""
    roster = staff(ledger_env, 3)
    ids = list(roster)
    grouped = format_national_id(ids[1])  # as a registrar may type it
    appraisals = [Appraisal(format_national_id(ids[0]), "ดี", Decimal("2"), roster[ids[0]][1]),
                  Appraisal(grouped, "ดี", Decimal("2"), None)]  # ids[2]: no appraisal
    preview = preview_round(ledger_env.ledger, AREA, ROUND, appraisals)
    assert [line.national_id for line in preview.lines] == [ids[0]]
    assert sorted(v.national_id for v in preview.violations) == sorted([ids[1], ids[2]])
