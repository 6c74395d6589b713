"""Thai messages speak Thai (issue 15): a role, a rank or a standing by its Thai label, a date
in the Buddhist Era, never the codes and ISO dates of the machine side (``บทบาท teacher``,
``พ้นจากราชการแล้วเมื่อ 2021-10-01`` were reported)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from commands.orders import OrderDesk
from ledger.errors import RuleViolation, SignatureError
from ledger.keys import SigningKey
from ledger.rules import RANKS, STANDINGS
from tests.conftest import LedgerEnv
from tests.factories import AREA, SECRET, open_person
from tests.test_orders import draft, opening_lines
from tests.web import Api, is_problem

ISO_DATE = re.compile(r"\b[0-9]{4}-[0-9]{2}-[0-9]{2}")
CODES = re.compile(r"\b(" + "|".join(
    [r.code for r in RANKS] + [s.code for s in STANDINGS if s.code != "none"]
    + ["teacher", "registrar", "authority", "auditor", "payroll", "admin", "checkpoint"])
    + r")\b")


def speaks_thai(message_th: str) -> None:
    assert not ISO_DATE.search(message_th), message_th
    assert not CODES.search(message_th), message_th


def test_a_role_refused_is_named_in_thai(api: Api) -> None:
    problem = is_problem(api.client.post("/api/v1/salary-rounds/preview",
                                         headers=api.as_("teach"), json={}), 403)
    speaks_thai(problem["detail_th"])
    assert "ครู" in problem["detail_th"]


def test_an_entry_after_leaving_service_gives_the_buddhist_era_date() -> None:
    record = open_person(1)
    record.left_on = date(2021, 10, 1)
    with pytest.raises(RuleViolation) as caught:
        record.check_in_service_on(date(2022, 1, 1))
    speaks_thai(caught.value.message_th)
    assert "1 ตุลาคม 2564" in caught.value.message_th


def test_an_expired_key_gives_the_buddhist_era_time() -> None:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    key = SigningKey.register("r", "registrar", AREA, Ed25519PrivateKey.generate().public_key(),
                              start, start + timedelta(days=30))
    with pytest.raises(SignatureError) as caught:
        key.check_usable_at(start + timedelta(days=40))
    speaks_thai(caught.value.message_th)
    assert "2568" in caught.value.message_th


def test_a_salary_out_of_range_names_the_rank_in_thai(ledger_env: LedgerEnv) -> None:
    lines = opening_lines(1, salary=99_990)
    report = OrderDesk(ledger_env.ledger, SECRET).check(ledger_env.keys.registrar,
                                                         draft(ledger_env, lines))
    failures = [f for line in report.lines for f in line.failures]
    assert failures
    for failure in failures:
        speaks_thai(failure.message_th)
    assert any("ครูผู้ช่วย" in f.message_th for f in failures)
