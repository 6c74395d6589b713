"""The order (คำสั่ง) as an aggregate: drafted, checked, overridden where allowed, issued.

An order is the unit of authority: only an issued order changes records, and issuing appends
the order's ``Issued`` event together with every record event it causes in ONE signed
submission. The order's id is derived from its authority and number, so a number can be used
once per authority: a second draft with the same number conflicts in the store.

Lines are plain JSON objects (one career entry each, as ``ledger.entries.parse_entry`` reads
them), so a draft shows exactly what was submitted; checks record the version of the rule set
they ran, and an officer's override of a failed check is its own signed event with a reason.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any, ClassVar

from eventsourcing.domain import Aggregate

from ledger.errors import Conflict, InvalidInput, RuleViolation
from ledger.evidence import EvidenceRef
from ledger.vocabulary import (
    check_cited_number,
    normalise_order_number,
    order_number_for_lookup,
)

__all__ = ["ORDER_STATUS_TH", "Order", "order_id_for", "transcription_id_for"]

_ORDER_NAMESPACE = uuid.UUID("8f6c2d0e-3b7a-4c1e-9a55-0d4b7e2f61a3")

ORDER_STATUS_TH = {
    "draft": "ร่างคำสั่ง",
    "checked": "ตรวจสอบแล้ว",
    "issued": "ออกคำสั่งแล้ว",
}


def order_id_for(authority: str, order_number: str) -> uuid.UUID:
    """One id per authority and number: the store refuses a second order with both."""
    return uuid.uuid5(_ORDER_NAMESPACE, f"{authority.strip()}\x00{order_number.strip()}")


def transcription_id_for(area: str, authority: str, order_number: str) -> uuid.UUID:
    """A transcription's id: apart from the orders', since a transcription of a historical
    order keeps that order's number and the authority may use the number again; and one per
    area, since areas transcribe the same announcement (a Royal Gazette's) for their own
    people."""
    return uuid.uuid5(_ORDER_NAMESPACE, f"transcription\x00{area.strip()}\x00"
                                        f"{authority.strip()}\x00{order_number.strip()}")


class Order(Aggregate):
    """One order of an authority, from draft to issue."""

    class Drafted(Aggregate.Created):
        authority: str
        area: str
        order_number: str
        order_date: date
        title: str
        lines: list[dict[str, Any]]

    class Transcribed(Drafted):
        """A transcription of the legacy record (คำสั่งรับโอนทะเบียนประวัติเดิม): its lines
        cite the historical orders they were copied from, not this one. Lines dated before
        ``cut_over`` are taken as the old record has them; those on or after it go through
        the rules like the lines of any order."""

        cut_over: date

    class LinesRemoved(Aggregate.Event):
        """Failing lines taken out of a bulk list before issue (positions, 1-based)."""

        lines: list[int]
        reason: str

    class Checked(Aggregate.Event):
        ruleset_version: str
        results: list[dict[str, Any]]

    class CheckOverridden(Aggregate.Event):
        line: int
        rule: str
        reason: str
        evidence: list[EvidenceRef]  # files in the content-addressed store; verify checks them

    class Issued(Aggregate.Event):
        ruleset_version: str
        event_count: int
        idempotency_key: str

    LABEL_TH: ClassVar[str] = "คำสั่ง"

    def __init__(self, authority: str, area: str, order_number: str, order_date: date,
                 title: str, lines: list[dict[str, Any]], cut_over: date | None = None) -> None:
        self.authority = authority
        self.area = area
        self.order_number = order_number
        self.order_date = order_date
        self.title = title
        self.lines = list(lines)
        self.cut_over = cut_over  # set only on a transcription of the legacy record
        self.removed: set[int] = set()
        self.last_check: Order.Checked | None = None
        self.overrides: dict[tuple[int, str], str] = {}
        self.issued: Order.Issued | None = None

    # ---------------------------------------------------------------- commands

    @classmethod
    def draft(cls, *, authority: str, area: str, order_number: str, order_date: date,
              title: str, lines: list[dict[str, Any]]) -> Order:
        _check_heading(authority, order_number)
        if not lines:
            raise InvalidInput("an order needs at least one line",
                               "คำสั่งต้องมีรายการอย่างน้อยหนึ่งรายการ")
        order_number = normalise_order_number(order_number)
        return cls._create(cls.Drafted, id=order_id_for(authority, order_number),
                           authority=authority.strip(), area=area,
                           order_number=order_number.strip(), order_date=order_date, title=title,
                           lines=list(lines))

    @classmethod
    def transcribe(cls, *, authority: str, area: str, order_number: str, order_date: date,
                   title: str, lines: list[dict[str, Any]], cut_over: date) -> Order:
        """A transcription of the legacy record: an order whose lines keep the historical
        orders they cite (see ``Transcribed``)."""
        _check_heading(authority, order_number)
        if not lines:
            raise InvalidInput("a transcription needs at least one line",
                               "คำสั่งรับโอนทะเบียนประวัติต้องมีรายการอย่างน้อยหนึ่งรายการ")
        order_number = check_cited_number(order_number_for_lookup(order_number))
        return cls._create(cls.Transcribed,
                           id=transcription_id_for(area, authority, order_number),
                           authority=authority.strip(), area=area,
                           order_number=order_number.strip(), order_date=order_date, title=title,
                           lines=list(lines), cut_over=cut_over)

    @property
    def is_transcription(self) -> bool:
        return self.cut_over is not None

    def under_rules(self, effective_date: date) -> bool:
        """Whether a line taking effect on ``effective_date`` is checked by the rules: every
        line of an order; a transcription's only from its cut-over date."""
        return self.cut_over is None or effective_date >= self.cut_over

    def remove_lines(self, positions: list[int], reason: str) -> None:
        self.check_not_issued()
        unknown = [p for p in positions if not 1 <= p <= len(self.lines)]
        if unknown or not positions:
            raise InvalidInput(f"no such line(s) in the order: {unknown or positions}",
                               f"ไม่มีรายการลำดับที่ {unknown or positions} ในคำสั่ง")
        if set(positions) | self.removed == set(range(1, len(self.lines) + 1)):
            raise InvalidInput("removing every line would leave an empty order",
                               "ถ้าตัดทุกรายการออก คำสั่งจะว่างเปล่า")
        self.trigger_event(self.LinesRemoved, lines=sorted(set(positions)), reason=reason)

    def record_check(self, ruleset_version: str, results: list[dict[str, Any]]) -> None:
        self.check_not_issued()
        self.trigger_event(self.Checked, ruleset_version=ruleset_version, results=results)

    def override(self, line: int, rule: str, reason: str,
                 evidence: list[EvidenceRef]) -> None:
        """An authority accepts a failed check of one line, on the record, with a reason."""
        self.check_not_issued()
        if not reason.strip():
            raise InvalidInput("an override needs a reason", "การยกเว้นผลการตรวจสอบต้องระบุเหตุผล")
        failed = {(r["line"], r["rule"]) for r in self.failures()}
        if (line, rule) not in failed:
            raise InvalidInput(f"line {line} did not fail rule {rule} in the last check",
                               f"รายการที่ {line} ไม่ได้ขัดกับกฎ {rule} ในการตรวจสอบครั้งล่าสุด")
        self.trigger_event(self.CheckOverridden, line=line, rule=rule, reason=reason,
                           evidence=list(evidence))

    def issue(self, ruleset_version: str, event_count: int, idempotency_key: str) -> None:
        self.check_not_issued()
        self.check_ready_to_issue(ruleset_version)
        self.trigger_event(self.Issued, ruleset_version=ruleset_version,
                           event_count=event_count, idempotency_key=idempotency_key)

    # ------------------------------------------------------------------ guards

    def check_not_issued(self) -> None:
        if self.issued is not None:
            raise Conflict(f"order {self.order_number} of {self.authority} is already issued",
                           f"คำสั่ง {self.authority} ที่ {self.order_number} ออกไปแล้ว")

    def check_ready_to_issue(self, ruleset_version: str) -> None:
        if self.last_check is None:
            raise RuleViolation("order.not-checked", "the order has not been checked",
                                "คำสั่งยังไม่ได้ตรวจสอบตามหลักเกณฑ์")
        if self.last_check.ruleset_version != ruleset_version:
            raise RuleViolation("order.check-outdated",
                                "the order was checked with another rule set; check it again",
                                "คำสั่งตรวจสอบด้วยหลักเกณฑ์ชุดอื่น กรุณาตรวจสอบใหม่")
        open_failures = [r for r in self.failures()
                         if (r["line"], r["rule"]) not in self.overrides]
        if open_failures:
            first = open_failures[0]
            raise RuleViolation(
                "order.failed-checks",
                f"{len(open_failures)} check(s) failed and are not overridden; first: line "
                f"{first['line']} rule {first['rule']}: {first['message_en']}",
                f"มีผลการตรวจสอบที่ไม่ผ่าน {len(open_failures)} รายการ เช่น รายการที่ "
                f"{first['line']} ({first['rule']}): {first['message_th']}")

    # ------------------------------------------------------------------ reading

    def failures(self) -> list[dict[str, Any]]:
        if self.last_check is None:
            return []
        return [r for r in self.last_check.results
                if not r["passed"] and r["line"] not in self.removed]

    def active_lines(self) -> list[tuple[int, dict[str, Any]]]:
        return [(n, line) for n, line in enumerate(self.lines, start=1) if n not in self.removed]

    @property
    def status(self) -> str:
        if self.issued is not None:
            return "issued"
        return "checked" if self.last_check is not None else "draft"


def _check_heading(authority: str, order_number: str) -> None:
    if not authority.strip() or not order_number.strip():
        raise InvalidInput("an order needs its authority and number",
                           "คำสั่งต้องมีผู้ออกคำสั่งและเลขที่คำสั่ง")


def _apply_removed(self: Order.LinesRemoved, order: Order) -> None:
    order.removed.update(self.lines)


def _apply_checked(self: Order.Checked, order: Order) -> None:
    order.last_check = self
    order.overrides = {}  # a new check needs its failures overridden again


def _apply_overridden(self: Order.CheckOverridden, order: Order) -> None:
    order.overrides[(self.line, self.rule)] = self.reason


def _apply_issued(self: Order.Issued, order: Order) -> None:
    order.issued = self


Order.LinesRemoved.apply = _apply_removed  # type: ignore[method-assign,assignment]
Order.Checked.apply = _apply_checked  # type: ignore[method-assign,assignment]
Order.CheckOverridden.apply = _apply_overridden  # type: ignore[method-assign,assignment]
Order.Issued.apply = _apply_issued  # type: ignore[method-assign,assignment]
