"""The monthly payroll feed of an area (จ่ายตรง), with arrears (ตกเบิก) and a reconciliation.

For each person in service on the first day of the month: salary, standing allowance (เงิน
วิทยฐานะ, from the rules data) and position allowance (เงินประจำตำแหน่ง — its figures are NOT
FOUND in the reference, so it is 0 with a note). Orders are often recorded after the month
they take effect in, so every feed looks back: for each month already paid, what the record
says now minus what it said when the previous feed was exported is that month's arrears —
positive when an order raised pay late, negative when a correction lowered it. Each exported
feed is kept, so the next one knows what was paid; the reconciliation shows that last month's
total plus this month's changes equals this month's total.

Lines are in the order of their position numbers (``position_order``). The files made from a
feed — CSV, XLSX, pipe-delimited text, with totals, reconciliation and notes — are laid out
in ``projections.payroll_files``.
"""

from __future__ import annotations

import gc
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.persistence import Mapper

from ledger.entries import typed_changes
from ledger.rules import standing_allowance
from ledger.thaidate import parse_month
from projections.caught_up import LedgerHead
from projections.kks16 import Kks16, build_record
from projections.reading import events_from_rows
from projections.store import RecordView

__all__ = [
    "NOT_IN_SERVICE_NOTE",
    "POSITION_ALLOWANCE_NOTE",
    "ArrearsMonth",
    "Changes",
    "PayLine",
    "PayrollFeed",
    "build_feed",
    "position_order",
    "save",
]

POSITION_ALLOWANCE_NOTE = ("เงินประจำตำแหน่ง: อัตราไม่พบในข้อมูลอ้างอิง (NOT FOUND) จึงแสดงเป็น 0 / "
                           "position allowance figures NOT FOUND in the reference: shown as 0")

NOT_IN_SERVICE_NOTE = "ไม่อยู่ในราชการเดือนนี้ (ตกเบิกย้อนหลังเท่านั้น)"


@dataclass(frozen=True)
class ArrearsMonth:
    """What one month already paid is owed now, beyond what it was paid."""

    month: date  # its first day
    amount: int


@dataclass(frozen=True)
class PayLine:
    """One person's pay in the month. ``rank`` and ``standing`` are the rules' codes (``k2``,
    ``senior``); files show their Thai labels."""

    national_id: str
    name: str
    position_number: str
    rank: str
    standing: str
    salary: int
    standing_allowance: int
    position_allowance: int
    total: int
    arrears: int
    arrears_months: tuple[ArrearsMonth, ...]  # the months the arrears cover, oldest first
    note: str


@dataclass(frozen=True)
class Changes:
    """This month's changes against the last feed, by kind: (people, baht) each."""

    joined: tuple[int, int]  # paid now, not last month
    left: tuple[int, int]  # paid last month, not now
    changed: tuple[int, int]  # paid both months, a different amount

    @property
    def people(self) -> int:
        return self.joined[0] + self.left[0] + self.changed[0]

    @property
    def amount(self) -> int:
        return self.joined[1] + self.left[1] + self.changed[1]


@dataclass
class PayrollFeed:
    area: str
    month: date
    exported_at: datetime
    previous: tuple[date, datetime, int] | None  # month, exported at, total
    lines: list[PayLine] = field(default_factory=list)
    changes: list[tuple[str, int, int]] = field(default_factory=list)  # id, before, after
    # The ledger's head the feed was made at (the view had applied every career event up to
    # it: ``projections.caught_up``); None only where no head was asked for (tests, benches).
    made_at: LedgerHead | None = None

    @property
    def total(self) -> int:
        return sum(line.total for line in self.lines)

    @property
    def arrears(self) -> int:
        return sum(line.arrears for line in self.lines)

    @property
    def previous_total(self) -> int:
        """Last month's total; 0 before the area's first feed."""
        return self.previous[2] if self.previous else 0

    def change_summary(self) -> Changes:
        def kind(wanted: str) -> tuple[int, int]:
            found = [after - before for _, before, after in self.changes
                     if _kind(before, after) == wanted]
            return len(found), sum(found)
        return Changes(kind("joined"), kind("left"), kind("changed"))

    def reconciles(self) -> bool:
        """Last month's total plus this month's changes equals this month's total."""
        return self.previous_total + self.change_summary().amount == self.total


def _kind(before: int, after: int) -> str:
    return "joined" if before == 0 else "left" if after == 0 else "changed"


_DIGITS = re.compile(r"([0-9]+)")


def position_order(line: PayLine) -> tuple[bool, tuple[tuple[int, int, str], ...], str]:
    """Lines by position number as a person counts (``2`` before ``10``), lines without one
    last, then by national ID."""
    parts = tuple((0, int(part), "") if part.isdigit() else (1, 0, part)
                  for part in _DIGITS.split(line.position_number) if part)
    return not line.position_number, parts, line.national_id


def _months_between(first: date, last: date) -> list[date]:
    months, current = [], date(first.year, first.month, 1)
    while current <= last:
        months.append(current)
        current = date(current.year + current.month // 12, current.month % 12 + 1, 1)
    return months


def _pay(record: Kks16, on: date) -> tuple[int, int, int] | None:
    """(salary, standing allowance, position allowance) in the month starting ``on``."""
    if record.appointed_on is None or record.appointed_on > on or record.left is not None:
        return None
    allowance = standing_allowance(record.standing, on) if record.standing != "none" else None
    return record.salary, (allowance.amount or 0) if allowance else 0, 0


def build_feed(view: RecordView, mapper: Mapper[UUID], area: str, month: date | str, *,
               now: datetime | None = None, made_at: LedgerHead | None = None) -> PayrollFeed:
    """The feed of ``area`` for ``month`` (a date in it, or text read by
    ``ledger.thaidate.parse_month``: ``2026-05``, ``5/2569``, ``พฤษภาคม 2569``), from every
    record ever in the area, in position-number order."""
    month = parse_month(month) if isinstance(month, str) else date(month.year, month.month, 1)
    exported_at = now or datetime.now(UTC)
    previous = view.last_feed_before(area, month.isoformat())
    prev_lines: dict[str, int] = {}
    feed = PayrollFeed(area, month, exported_at, None, made_at=made_at)
    prev_time: datetime | None = None
    if previous is not None:
        payload = orjson.loads(previous[2])
        prev_time = datetime.fromisoformat(previous[1])
        prev_lines = {line["national_id"]: line["total"] for line in payload["lines"]}
        feed.previous = (date.fromisoformat(previous[0]), prev_time,
                         sum(prev_lines.values()))
    seen: set[str] = set()
    # Tens of thousands of records' events are decoded here: short-lived, acyclic objects, on
    # which the cyclic collector's repeated passes over a large heap would cost more than the
    # work itself (as when appending a large order).
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        _fill(feed, view.entries_of_area(area), mapper, area, month, previous, prev_time,
              prev_lines, seen)
    finally:
        if gc_was_enabled:
            gc.enable()
    feed.changes.extend((nid, before, 0) for nid, before in prev_lines.items()
                        if nid not in seen and before)
    feed.lines.sort(key=position_order)
    return feed


def _fill(feed: PayrollFeed, by_record: dict[UUID, list[Any]], mapper: Mapper[UUID],
          area: str, month: date, previous: tuple[str, str, bytes] | None,
          prev_time: datetime | None, prev_lines: dict[str, int], seen: set[str]) -> None:
    for rows in by_record.values():
        events = events_from_rows(rows, mapper)
        record = build_record(events, as_of=month, with_rows=False)
        pay = _pay(record, month) if record.area == area else None
        arrears = _arrears(events, month, previous, prev_time)
        if pay is None and not arrears:
            continue
        salary, allowance, position = pay or (0, 0, 0)
        total = salary + allowance + position
        note = "" if pay else NOT_IN_SERVICE_NOTE
        feed.lines.append(PayLine(
            record.national_id, record.name, record.position_number, record.rank,
            record.standing, salary, allowance, position, total,
            sum(a.amount for a in arrears), arrears, note))
        seen.add(record.national_id)
        before = prev_lines.get(record.national_id, 0)
        if before != total:  # on the first feed, everyone joins
            feed.changes.append((record.national_id, before, total))


def _arrears(events: list[Any], month: date, previous: tuple[str, str, bytes] | None,
             prev_time: datetime | None) -> tuple[ArrearsMonth, ...]:
    """What each already-paid month is owed now, beyond what it was paid (months owed
    nothing left out)."""
    if previous is None or prev_time is None:
        return ()
    late = [e for e in events if e.timestamp > prev_time]
    if not late:
        return ()
    by_version = {e.originator_version: e for e in events}
    earliest = min(*(_affected_from(e, by_version) for e in late), month)
    paid_until = date.fromisoformat(previous[0])
    owed = []
    for m in _months_between(earliest, paid_until):
        now_pay = _pay(build_record(events, as_of=m, with_rows=False), m)
        then_pay = _pay(build_record(events, as_of=m, known_at=prev_time, with_rows=False), m)
        if amount := sum(now_pay or (0, 0, 0)) - sum(then_pay or (0, 0, 0)):
            owed.append(ArrearsMonth(m, amount))
    return tuple(owed)


def _affected_from(event: Any, by_version: dict[int, Any]) -> date:
    """The first day an event changes pay: a correction reaches back to what it corrects."""
    target = getattr(event, "corrects", None) or getattr(event, "revokes", None)
    if target is None or target not in by_version:
        return date(event.effective_date.year, event.effective_date.month, 1)
    start: date = by_version[target].effective_date
    # read as every reader of a correction does: one stored as typed (1/4/2567) too
    moved = typed_changes(getattr(event, "changes", {})).get("effective_date")
    if isinstance(moved, date):
        start = min(start, moved)
    return start


def save(view: RecordView, feed: PayrollFeed) -> None:
    made_at = feed.made_at
    payload = orjson.dumps({"lines": [asdict(line) for line in feed.lines],
                            "total": feed.total, "arrears": feed.arrears,
                            "ledger_position": made_at.position if made_at else None,
                            "ledger_event_hash": made_at.event_hash.hex() if made_at else None})
    view.save_feed(feed.area, feed.month.isoformat(), feed.exported_at.isoformat(), payload)
