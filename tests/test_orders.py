"""Orders from draft to issue, narrated as a registrar and an authority live them, on both
backends; and every way an order is refused."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from typer.testing import CliRunner

from api.cli import app
from commands.bootstrap import add_area
from commands.keys import revoke_key
from commands.orders import OrderDesk
from ledger.errors import Conflict, InvalidInput, RuleViolation, SignatureError
from ledger.identity import record_id_for
from ledger.order import Order
from ledger.rules.career import ruleset_version
from tests.conftest import LedgerEnv
from tests.factories import AREA, SECRET, national_id

REF = {"authority": AREA, "order_number": "10/2567", "order_date": "2024-05-01"}


def opening_lines(n: int, *, area: str = AREA, salary: int = 15_050,
                  ref: dict[str, str] = REF) -> list[dict[str, Any]]:
    nid = national_id(n)
    return [
        {"national_id": nid, "kind": "record_opened", "effective_date": "2024-05-16",
         "order": ref, "prefix": "นางสาว", "first_name": f"ครู{n}", "last_name": "ใจงาม",
         "birth_date": "12/3/2541", "area": area, "gender": "หญิง", "father_name": "",
         "mother_name": "", "spouse_name": "", "domicile": "พัทลุง"},
        {"national_id": nid, "kind": "appointed", "effective_date": "2024-05-16", "order": ref,
         "position_title": "ครูผู้ช่วย", "position_number": f"P{n}", "unit": "โรงเรียนทุ่งสง",
         "area": area, "rank": "assistant", "salary": salary, "staff_type": "teacher",
         "on_probation": True},
    ]


def draft(env: LedgerEnv, lines: list[dict[str, Any]], number: str = "10/2567") -> Order:
    return OrderDesk(env.ledger, SECRET).draft(
        env.keys.registrar, authority=AREA, area=AREA, order_number=number,
        order_date=date(2024, 5, 1), title="บรรจุและแต่งตั้ง", lines=lines)


def test_an_appointment_order_from_draft_to_issue(ledger_env: LedgerEnv) -> None:
    desk = OrderDesk(ledger_env.ledger, SECRET)
    # The registrar drafts an order appointing two new teachers,
    order = draft(ledger_env, opening_lines(1) + opening_lines(2))
    assert order.status == "draft"
    # checks it: every line passes, and the check records the rule set's version,
    report = desk.check(ledger_env.keys.registrar, order)
    assert report.passed
    assert desk.order(AREA, "10/2567").last_check is not None
    assert desk.order(AREA, "10/2567").last_check.ruleset_version == ruleset_version()  # type: ignore[union-attr]
    # and the authority issues it: the order and both records in one submission.
    result = desk.issue(ledger_env.keys.authority, desk.order(AREA, "10/2567"))
    assert result.event_count == 5
    assert len(result.positions) == 5
    record = ledger_env.reopen().record(record_id_for(national_id(1), SECRET))
    assert record.position is not None
    assert record.position.rank == "assistant"
    assert desk.order(AREA, "10/2567").status == "issued"
    # The ledger still verifies.
    verify = CliRunner().invoke(app, ["verify"], env=ledger_env.cli_env)
    assert verify.exit_code == 0, verify.output


def test_an_order_number_is_used_once_per_authority(ledger_env: LedgerEnv) -> None:
    draft(ledger_env, opening_lines(1))
    before = ledger_env.ledger.store.count_events()
    with pytest.raises(Conflict) as refused:
        draft(ledger_env, opening_lines(2))
    assert "already used" in refused.value.message
    assert "ถูกใช้ไปแล้ว" in refused.value.message_th
    assert ledger_env.ledger.store.count_events() == before


def test_a_malformed_line_refuses_the_whole_draft(ledger_env: LedgerEnv) -> None:
    lines = opening_lines(1)
    lines[1] = {**lines[1], "effective_date": "2567-05-16"}
    before = ledger_env.ledger.store.count_events()
    with pytest.raises(InvalidInput) as refused:
        draft(ledger_env, lines)
    assert "line 2" in refused.value.details[0]
    assert ledger_env.ledger.store.count_events() == before


def test_an_unchecked_order_cannot_be_issued(ledger_env: LedgerEnv) -> None:
    order = draft(ledger_env, opening_lines(1))
    with pytest.raises(RuleViolation) as refused:
        OrderDesk(ledger_env.ledger, SECRET).issue(ledger_env.keys.authority, order)
    assert refused.value.rule in ("order.not-checked", "order.failed-checks")


def test_only_the_areas_authority_issues_and_overrides(ledger_env: LedgerEnv) -> None:
    desk = OrderDesk(ledger_env.ledger, SECRET)
    order = draft(ledger_env, opening_lines(1))
    desk.check(ledger_env.keys.registrar, order)
    before = ledger_env.ledger.store.count_events()
    with pytest.raises(SignatureError, match="only the authority"):
        desk.issue(ledger_env.keys.registrar, desk.order(AREA, "10/2567"))
    assert ledger_env.ledger.store.count_events() == before


def test_a_failed_check_blocks_issue_until_the_authority_overrides_it(
        ledger_env: LedgerEnv) -> None:
    desk = OrderDesk(ledger_env.ledger, SECRET)
    # A salary above the ครูผู้ช่วย range fails salary.within-range …
    order = draft(ledger_env, opening_lines(1, salary=30_000))
    report = desk.check(ledger_env.keys.registrar, order)
    failed = {(line.line, f.rule) for line in report.lines for f in line.failures}
    assert failed == {(2, "salary.within-range")}
    with pytest.raises(RuleViolation, match=r"salary\.within-range"):
        desk.issue(ledger_env.keys.authority, desk.order(AREA, "10/2567"))
    # … the authority overrides it on the record, with a reason,
    desk.override(ledger_env.keys.authority, desk.order(AREA, "10/2567"), 2,
                  "salary.within-range", "ย้ายโอนมาจากหน่วยงานอื่น คงอัตราเงินเดือนเดิมตามมติ อ.ก.ค.ศ.")
    overridden = desk.order(AREA, "10/2567")
    assert (2, "salary.within-range") in overridden.overrides
    # and then it issues.
    assert desk.issue(ledger_env.keys.authority, overridden).event_count == 3


def test_rules_no_order_can_change_cannot_be_overridden(ledger_env: LedgerEnv) -> None:
    add_area(ledger_env.ledger, ledger_env.store, ledger_env.keys.admin, "สพม.11")
    desk = OrderDesk(ledger_env.ledger, SECRET)
    order = draft(ledger_env, opening_lines(1, area="สพม.11"))
    report = desk.check(ledger_env.keys.registrar, order)
    assert any(f.rule == "person.area" for line in report.lines for f in line.failures)
    with pytest.raises(RuleViolation, match="cannot be overridden"):
        desk.override(ledger_env.keys.authority, desk.order(AREA, "10/2567"), 1, "person.area",
                      "ขอยกเว้น")


def issued(env: LedgerEnv, lines: list[dict[str, Any]], number: str) -> None:
    desk = OrderDesk(env.ledger, SECRET)
    order = draft(env, lines, number)
    assert desk.check(env.keys.registrar, order).passed
    desk.issue(env.keys.authority, desk.order(AREA, number))


def failures_of(env: LedgerEnv, line: dict[str, Any], number: str) -> set[str]:
    desk = OrderDesk(env.ledger, SECRET)
    report = desk.check(env.keys.registrar, draft(env, [line], number))
    return {f.rule for checked in report.lines for f in checked.failures}


def test_orders_about_unknown_people_or_wrong_dates_fail_their_rules(
        ledger_env: LedgerEnv) -> None:
    issued(ledger_env, opening_lines(1), "10/2567")
    ref = {**REF, "order_number": "11/2567"}
    raise_line = {"national_id": national_id(1), "kind": "salary_raised",
                  "effective_date": "2024-04-01", "order": ref, "new_salary": 15_500,
                  "percent": "3", "steps": None, "calculation_base": 15_050,
                  "special_compensation": 0, "appraisal": "ดีมาก"}
    # Effective before the appointment on 16 May 2024:
    assert "date.before-appointment" in failures_of(ledger_env, raise_line, "11/2567")
    # An unknown person:
    stranger = {**raise_line, "national_id": national_id(77),
                "order": {**ref, "order_number": "12/2567"}}
    assert failures_of(ledger_env, stranger, "12/2567") == {"person.known"}
    # A skipped standing (ครูผู้ช่วย straight to ชำนาญการพิเศษ):
    standing = {"national_id": national_id(1), "kind": "standing_conferred",
                "effective_date": "2025-10-01", "order": {**ref, "order_number": "13/2567"},
                "standing": "senior_special", "rank": "k3", "salary": 20_000}
    assert "standing.order" in failures_of(ledger_env, standing, "13/2567")


def test_issuing_twice_returns_the_first_result_and_writes_nothing(
        ledger_env: LedgerEnv) -> None:
    desk = OrderDesk(ledger_env.ledger, SECRET)
    order = draft(ledger_env, opening_lines(1))
    desk.check(ledger_env.keys.registrar, order)
    first = desk.issue(ledger_env.keys.authority, desk.order(AREA, "10/2567"),
                       idempotency_key="req-1")
    before = ledger_env.ledger.store.count_events()
    again = desk.issue(ledger_env.keys.authority, desk.order(AREA, "10/2567"),
                       idempotency_key="req-1")
    assert again.already_issued
    assert again.event_count == first.event_count
    assert ledger_env.ledger.store.count_events() == before
    with pytest.raises(Conflict):
        desk.issue(ledger_env.keys.authority, desk.order(AREA, "10/2567"),
                   idempotency_key="another-request")


@pytest.mark.parametrize(("field", "value", "words"), [
    ("first_name", "ครู\u0000Teacher", "control character"),
    ("domicile", "พัทลุง\r\nX-Injected: 1", "control character"),
    ("last_name", "ใจ\ufffdงาม", "broken text"),
    ("area", "'; DROP TABLE ledger_events; --", "education area"),
    ("area", "../../etc/passwd", "education area"),
])
def test_a_line_with_broken_text_or_no_area_is_refused(ledger_env: LedgerEnv, field: str,
                                                      value: str, words: str) -> None:
    """Names and places print on every form made from the record: control characters and
    broken encodings are refused; an area must be an area's name."""
    lines = opening_lines(1)
    lines[0][field] = value
    before = ledger_env.ledger.store.count_events()
    with pytest.raises(InvalidInput) as refused:
        draft(ledger_env, lines)
    assert words in " ".join(refused.value.details)
    assert ledger_env.ledger.store.count_events() == before


def test_every_line_must_cite_the_order_it_is_in(ledger_env: LedgerEnv) -> None:
    other = {**REF, "order_number": "99/2567"}
    before = ledger_env.ledger.store.count_events()
    with pytest.raises(InvalidInput) as refused:
        draft(ledger_env, opening_lines(1) + opening_lines(2, ref=other))
    assert [d.split(":")[0] for d in refused.value.details] == ["line 3 / รายการที่ 3",
                                                                 "line 4 / รายการที่ 4"]
    assert ledger_env.ledger.store.count_events() == before


@pytest.mark.parametrize(("changes", "words"), [
    ({"salary": "a lot"}, "whole number"),
    ({"salary": 1e309}, "whole number"),
    ({"salary": 10**30}, "whole number"),
    ({"no_such_field": 1}, "no entry has a field"),
    ({"area": "<script>"}, "education area"),
])
def test_a_correction_must_change_known_fields_to_values_of_their_type(
        ledger_env: LedgerEnv, changes: dict[str, Any], words: str) -> None:
    line = {"national_id": national_id(1), "kind": "entry_corrected",
            "effective_date": "2024-05-01", "order": REF, "reason": "พิมพ์ผิด", "corrects": 2,
            "changes": changes}
    with pytest.raises(InvalidInput) as refused:
        draft(ledger_env, [line])
    assert words in " ".join(refused.value.details)


def test_an_authority_key_revoked_elsewhere_is_refused_at_the_next_issue(
        ledger_env: LedgerEnv) -> None:
    # Given a desk that has seen the authority's key (its role and area are then not read
    # again: they never change),
    desk = OrderDesk(ledger_env.ledger, SECRET)
    first = draft(ledger_env, opening_lines(1), number="10/2567")
    desk.check(ledger_env.keys.registrar, first)
    desk.issue(ledger_env.keys.authority, desk.order(AREA, "10/2567"))
    assert ledger_env.ledger.key_role(ledger_env.keys.authority.key_id) == ("authority", AREA)
    second = draft(ledger_env, opening_lines(2, ref={**REF, "order_number": "11/2567"}),
                   number="11/2567")
    desk.check(ledger_env.keys.registrar, second)
    # when another process revokes that key,
    elsewhere = ledger_env.reopen()
    try:
        key = elsewhere.key(ledger_env.keys.authority.key_id)
        revoke_key(elsewhere, ledger_env.keys.admin, key.name, "the holder has left")
    finally:
        elsewhere.close()
    # then the next issue signed with it is refused, and nothing is written.
    before = ledger_env.ledger.store.count_events()
    with pytest.raises(SignatureError, match="revoked"):
        desk.issue(ledger_env.keys.authority, desk.order(AREA, "11/2567"))
    assert ledger_env.ledger.store.count_events() == before
