"""Salary rounds (เลื่อนเงินเดือน) for an area, on 1 April or 1 October.

The input is each person's appraisal: a level, the percentage the committee gave, and the
calculation base (ฐานในการคำนวณ — the official figures are NOT FOUND in the reference, so the
base comes with the input, as it does on the Comptroller General's salary sheet). For each
person the raise is ``base × percent / 100`` rounded up to the next 10 baht; a salary that
would pass the rank's ceiling stops at it and the remainder is paid as special compensation
(ค่าตอบแทนพิเศษ). The round's total must stay within the area's pool, a percentage (data) of
the salary mass on the base date. A preview lists every person's result and every violation;
issuing turns a clean preview into ONE order, checked by the rules and signed by the authority.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_CEILING, Decimal
from typing import Any, cast
from uuid import UUID

from eventsourcing.utils import get_topic

from commands.facts import RecordFacts
from commands.orders import IssueResult, OrderDesk
from ledger.application import Ledger
from ledger.errors import Conflict, InvalidInput, NotFound, RuleViolation
from ledger.identity import normalise_national_id
from ledger.keys import Signer
from ledger.order import Order
from ledger.record import PersonnelRecord
from ledger.rules import salary_range
from ledger.rules.career import career_rules, pool_percent
from ledger.thaidate import format_thai_date

__all__ = [
    "Appraisal",
    "RoundLine",
    "RoundPreview",
    "compute_raise",
    "draft_round",
    "issue_round",
    "preview_round",
    "records_of_area",
]


@dataclass(frozen=True)
class Appraisal:
    national_id: str
    appraisal: str
    percent: Decimal
    calculation_base: int | None


@dataclass(frozen=True)
class RoundLine:
    national_id: str
    rank: str
    salary: int
    calculation_base: int
    percent: Decimal
    appraisal: str
    raise_amount: int
    new_salary: int
    special_compensation: int


@dataclass(frozen=True)
class Violation:
    """What keeps the round from being drafted: the person's national ID (13 digits, as in
    the lines; empty for the round as a whole, such as a total over the pool) and why."""

    national_id: str
    message_en: str
    message_th: str


@dataclass
class RoundPreview:
    area: str
    round_date: date
    base_date: date
    lines: list[RoundLine] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)
    salary_mass: int = 0

    @property
    def pool(self) -> Decimal:
        return Decimal(self.salary_mass) * pool_percent() / 100

    @property
    def total(self) -> int:
        return sum(line.raise_amount + line.special_compensation for line in self.lines)

    @property
    def ok(self) -> bool:
        return not self.violations


def compute_raise(salary: int, base: int, percent: Decimal,
                  ceiling: int | None) -> tuple[int, int, int]:
    """(raise, new salary, special compensation) for one person."""
    step = career_rules()["salary_rounds"]["round_up_to"]
    amount = int((Decimal(base) * percent / 100 / step).to_integral_value(ROUND_CEILING)) * step
    if ceiling is not None and salary + amount > ceiling:
        new_salary = max(salary, ceiling)
        return new_salary - salary, new_salary, salary + amount - new_salary
    return amount, salary + amount, 0


def records_of_area(ledger: Ledger, area: str) -> Iterator[tuple[UUID, RecordFacts]]:
    """Every record whose person now belongs to ``area`` (a projection will replace the scan)."""
    topic = get_topic(PersonnelRecord.Opened)
    start: int | None = None
    while True:
        page = ledger.recorder.select_notifications(start, 1_000, topics=[topic],
                                                    inclusive_of_start=False)
        record_ids = [cast(UUID, n.originator_id) for n in page]
        histories = ledger.histories(record_ids)  # one query for the page
        for record_id in record_ids:
            events = cast(list[PersonnelRecord.Event], histories[record_id])
            facts = RecordFacts.from_events(events)
            if facts.area == area:
                yield record_id, facts
        if len(page) < 1_000:
            return
        start = page[-1].id


def preview_round(ledger: Ledger, area: str, round_date: date,
                  appraisals: Sequence[Appraisal]) -> RoundPreview:
    rounds = career_rules()["salary_rounds"]
    day = round_date.strftime("%m-%d")
    if day not in rounds["round_days"]:
        raise InvalidInput("a salary round takes effect on 1 April or 1 October",
                           "การเลื่อนเงินเดือนมีผลวันที่ 1 เมษายน หรือ 1 ตุลาคม")
    base_date = date.fromisoformat(f"{round_date.year}-{rounds['base_days'][day]}")
    preview = RoundPreview(area, round_date, base_date)
    people = {facts.national_id: facts for _, facts in records_of_area(ledger, area)
              if facts.in_service and facts.appointed_on and facts.appointed_on <= round_date}
    given = _index_appraisals(appraisals, preview)
    for national_id, facts in sorted(people.items()):
        preview.salary_mass += facts.salary_on(base_date) or 0
        appraisal = given.pop(national_id, None)
        if appraisal is None:
            _violate(preview, national_id, "no appraisal was given for this person",
                     "ไม่มีผลการประเมินของบุคคลนี้")
            continue
        _compute_line(preview, facts, appraisal)
    for national_id in given:
        _violate(preview, national_id, f"not in service in {area} on {round_date}",
                 f"ไม่ได้รับราชการในสังกัด {area} ณ วันที่ {format_thai_date(round_date)}")
    if preview.total > preview.pool:
        _violate(preview, "", f"the round's total {preview.total:,} baht exceeds the pool "
                 f"{preview.pool:,.2f} ({pool_percent()}% of {preview.salary_mass:,})",
                 f"ยอดรวมการเลื่อนเงินเดือน {preview.total:,} บาท เกินวงเงิน {preview.pool:,.2f} บาท")
    return preview


def _index_appraisals(appraisals: Sequence[Appraisal],
                      preview: RoundPreview) -> dict[str, Appraisal]:
    given: dict[str, Appraisal] = {}
    for appraisal in appraisals:
        national_id = normalise_national_id(appraisal.national_id)
        if national_id in given:
            _violate(preview, national_id, "appraised twice in this round",
                     "มีผลการประเมินซ้ำในรอบนี้")
        given[national_id] = appraisal
    return given


def _compute_line(preview: RoundPreview, facts: RecordFacts, appraisal: Appraisal) -> None:
    national_id = facts.national_id
    maximum = career_rules()["salary_rounds"]["max_percent_per_person"]
    if appraisal.percent < 0 or (maximum is not None and appraisal.percent > Decimal(maximum)):
        _violate(preview, national_id, f"percent {appraisal.percent} is out of bounds",
                 f"ร้อยละ {appraisal.percent} อยู่นอกเกณฑ์")
        return
    if appraisal.calculation_base is None or appraisal.calculation_base <= 0:
        _violate(preview, national_id, career_rules()["salary_rounds"]["calculation_base_missing"],
                 "ไม่ได้ระบุฐานในการคำนวณ (ไม่พบตัวเลขทางการในข้อมูลอ้างอิง ต้องระบุมากับข้อมูลนำเข้า)")
        return
    bounds = salary_range(facts.rank, preview.round_date)
    ceiling = bounds.maximum if bounds is not None else None
    salary = facts.salary_on(preview.round_date) or facts.salary
    raised, new_salary, special = compute_raise(salary, appraisal.calculation_base,
                                                appraisal.percent, ceiling)
    preview.lines.append(RoundLine(national_id, facts.rank, salary, appraisal.calculation_base,
                                   appraisal.percent, appraisal.appraisal, raised, new_salary,
                                   special))


def _violate(preview: RoundPreview, national_id: str, english: str, thai: str) -> None:
    # The 13 digits, as each line of the preview names its person: one answer grouped them
    # in its violations (1-8002-14415-34-2) and not in its lines (1800214415342). Empty for
    # a violation of the round as a whole (over the pool).
    preview.violations.append(Violation(national_id, english, thai))


def round_lines(preview: RoundPreview, order: dict[str, Any]) -> list[dict[str, Any]]:
    """The preview as order lines (``salary_raised`` entries), one per person."""
    return [{
        "national_id": line.national_id, "kind": "salary_raised",
        "effective_date": preview.round_date.isoformat(), "order": order,
        "new_salary": line.new_salary, "percent": str(line.percent), "steps": None,
        "calculation_base": line.calculation_base,
        "special_compensation": line.special_compensation, "appraisal": line.appraisal,
    } for line in preview.lines]


def issue_round(desk: OrderDesk, preview: RoundPreview, *, registrar: Signer,
                authority: Signer, order_number: str, order_date: date,
                idempotency_key: str = "") -> IssueResult:
    """Draft, check and issue a clean preview as one order.

    Sent again (a retry after a lost answer), it finds its order by number: an issued one
    returns the first result, a drafted one goes on to be checked and issued.
    """
    try:
        existing = desk.order(preview.area, order_number)
    except NotFound:
        existing = None
    if existing is not None and existing.issued is not None:
        return desk.issue(authority, existing, idempotency_key=idempotency_key)
    order = draft_round(desk, preview, registrar=registrar, order_number=order_number,
                        order_date=order_date, existing=existing)
    desk.check(registrar, order)
    return desk.issue(authority, order, idempotency_key=idempotency_key)


def draft_round(desk: OrderDesk, preview: RoundPreview, *, registrar: Signer,
                order_number: str, order_date: date, existing: Order | None = None) -> Order:
    """A clean preview drafted as an order (``existing``: its draft from an earlier try)."""
    if not preview.ok:
        raise RuleViolation("salary-round.violations",
                            f"the preview has {len(preview.violations)} violation(s)",
                            f"ผลการคำนวณมีข้อผิดพลาด {len(preview.violations)} รายการ")
    reference = {"authority": preview.area, "order_number": order_number,
                 "order_date": order_date.isoformat()}
    lines = round_lines(preview, reference)
    if existing is not None and existing.lines != lines:
        raise Conflict(f"order number {order_number} is already used by another draft",
                       f"เลขที่คำสั่ง {order_number} ถูกใช้กับร่างคำสั่งอื่นแล้ว")
    return existing or desk.draft(
        registrar, authority=preview.area, area=preview.area, order_number=order_number,
        order_date=order_date,
        title=f"เลื่อนเงินเดือน ณ วันที่ {format_thai_date(preview.round_date)}", lines=lines)
