"""The monthly payroll feed of an area (จ่ายตรง), with arrears (ตกเบิก) and a reconciliation.

For each person in service on the first day of the month: salary, standing allowance (เงิน
วิทยฐานะ, from the rules data) and position allowance (เงินประจำตำแหน่ง — its figures are NOT
FOUND in the reference, so it is 0 with a note). Orders are often recorded after the month
they take effect in, so every feed looks back: for each month already paid, what the record
says now minus what it said when the previous feed was exported is that month's arrears —
positive when an order raised pay late, negative when a correction lowered it. Each exported
feed is kept, so the next one knows what was paid; the reconciliation shows that last month's
total plus this month's changes equals this month's total.
"""

from __future__ import annotations

import csv
import gc
import io
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import orjson
from eventsourcing.persistence import Mapper

from ledger.errors import InvalidInput
from ledger.rules import standing_allowance
from projections.kks16 import Kks16, build_record
from projections.reading import events_from_rows
from projections.store import RecordView

__all__ = [
    "COLUMNS",
    "POSITION_ALLOWANCE_NOTE",
    "PayLine",
    "PayrollFeed",
    "build_feed",
    "save",
    "to_csv",
    "to_pipe",
    "to_xlsx",
]

POSITION_ALLOWANCE_NOTE = ("เงินประจำตำแหน่ง: อัตราไม่พบในข้อมูลอ้างอิง (NOT FOUND) จึงแสดงเป็น 0 / "
                           "position allowance figures NOT FOUND in the reference: shown as 0")

# (key, Thai header, English header) — the documented columns of every export.
COLUMNS = [
    ("national_id", "เลขประจำตัวประชาชน", "national ID"),
    ("name", "ชื่อ-สกุล", "name"),
    ("position_number", "เลขที่ตำแหน่ง", "position number"),
    ("rank", "อันดับ", "rank"),
    ("salary", "เงินเดือน", "salary"),
    ("standing_allowance", "เงินวิทยฐานะ", "standing allowance"),
    ("position_allowance", "เงินประจำตำแหน่ง", "position allowance"),
    ("total", "รวมจ่าย", "total"),
    ("arrears", "ตกเบิก", "arrears"),
    ("note", "หมายเหตุ", "note"),
]


@dataclass(frozen=True)
class PayLine:
    national_id: str
    name: str
    position_number: str
    rank: str
    salary: int
    standing_allowance: int
    position_allowance: int
    total: int
    arrears: int
    note: str


@dataclass
class PayrollFeed:
    area: str
    month: date
    exported_at: datetime
    previous: tuple[date, datetime, int] | None  # month, exported at, total
    lines: list[PayLine] = field(default_factory=list)
    changes: list[tuple[str, int, int]] = field(default_factory=list)  # id, before, after

    @property
    def total(self) -> int:
        return sum(line.total for line in self.lines)

    @property
    def arrears(self) -> int:
        return sum(line.arrears for line in self.lines)

    def reconciles(self) -> bool:
        """Last month's total plus this month's changes equals this month's total."""
        before = self.previous[2] if self.previous else 0
        return before + sum(after - b for _, b, after in self.changes) == self.total


def _month(text: str) -> date:
    try:
        year, month = (int(p) for p in text.split("-"))
        if year > 2400:
            raise InvalidInput(f"{text}: a Buddhist-Era year; give the month as YYYY-MM in C.E.",
                               f"{text}: ปี พ.ศ. ให้ระบุเดือนเป็น ค.ศ. รูปแบบ YYYY-MM")
        return date(year, month, 1)
    except (ValueError, TypeError):
        raise InvalidInput(f"{text!r} is not a month like 2024-05",
                           f"{text!r} ไม่ใช่เดือนในรูปแบบ 2024-05") from None


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


def build_feed(view: RecordView, mapper: Mapper[UUID], area: str, month_text: str, *,
               now: datetime | None = None) -> PayrollFeed:
    month = _month(month_text)
    exported_at = now or datetime.now(UTC)
    previous = view.last_feed_before(area, month.isoformat())
    prev_lines: dict[str, int] = {}
    feed = PayrollFeed(area, month, exported_at, None)
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
    return feed


def _fill(feed: PayrollFeed, by_record: dict[UUID, list[Any]], mapper: Mapper[UUID],
          area: str, month: date, previous: tuple[str, str, bytes] | None,
          prev_time: datetime | None, prev_lines: dict[str, int], seen: set[str]) -> None:
    for rows in by_record.values():
        events = events_from_rows(rows, mapper)
        record = build_record(events, as_of=month, with_rows=False)
        pay = _pay(record, month) if record.area == area else None
        arrears = _arrears(events, month, previous, prev_time)
        if pay is None and arrears == 0:
            continue
        salary, allowance, position = pay or (0, 0, 0)
        total = salary + allowance + position
        note = "" if pay else "ไม่อยู่ในราชการเดือนนี้ (ตกเบิกย้อนหลังเท่านั้น)"
        feed.lines.append(PayLine(record.national_id, record.name, record.position_number,
                                  record.rank, salary, allowance, position, total, arrears, note))
        seen.add(record.national_id)
        before = prev_lines.get(record.national_id, 0)
        if before != total:  # on the first feed, everyone joins
            feed.changes.append((record.national_id, before, total))


def _arrears(events: list[Any], month: date, previous: tuple[str, str, bytes] | None,
             prev_time: datetime | None) -> int:
    """What the already-paid months are owed now, beyond what they were paid."""
    if previous is None or prev_time is None:
        return 0
    late = [e for e in events if e.timestamp > prev_time]
    if not late:
        return 0
    by_version = {e.originator_version: e for e in events}
    earliest = min(*(_affected_from(e, by_version) for e in late), month)
    paid_until = date.fromisoformat(previous[0])
    total = 0
    for m in _months_between(earliest, paid_until):
        now_pay = _pay(build_record(events, as_of=m, with_rows=False), m)
        then_pay = _pay(build_record(events, as_of=m, known_at=prev_time, with_rows=False), m)
        total += sum(now_pay or (0, 0, 0)) - sum(then_pay or (0, 0, 0))
    return total


def _affected_from(event: Any, by_version: dict[int, Any]) -> date:
    """The first day an event changes pay: a correction reaches back to what it corrects."""
    target = getattr(event, "corrects", None) or getattr(event, "revokes", None)
    if target is None or target not in by_version:
        return date(event.effective_date.year, event.effective_date.month, 1)
    start: date = by_version[target].effective_date
    moved = getattr(event, "changes", {}).get("effective_date")
    if isinstance(moved, str):
        start = min(start, date.fromisoformat(moved))
    return start


def save(view: RecordView, feed: PayrollFeed) -> None:
    payload = orjson.dumps({"lines": [asdict(line) for line in feed.lines],
                            "total": feed.total, "arrears": feed.arrears})
    view.save_feed(feed.area, feed.month.isoformat(), feed.exported_at.isoformat(), payload)


def _rows(feed: PayrollFeed) -> list[list[Any]]:
    return [[getattr(line, key) for key, _, _ in COLUMNS] for line in feed.lines]


def to_csv(feed: PayrollFeed) -> bytes:
    """UTF-8 with a byte-order mark, so Excel opens the Thai text correctly."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([f"{th} ({en})" for _, th, en in COLUMNS])
    writer.writerows(_rows(feed))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_pipe(feed: PayrollFeed) -> bytes:
    """One line per person, fields separated by ``|`` in the order of ``COLUMNS``."""
    lines = ["|".join(key for key, _, _ in COLUMNS)]
    lines += ["|".join(str(v).replace("|", "/") for v in row) for row in _rows(feed)]
    return ("\n".join(lines) + "\n").encode("utf-8")


def to_xlsx(feed: PayrollFeed) -> bytes:
    from openpyxl import Workbook  # type: ignore[import-untyped]

    book = Workbook()
    sheet = book.active
    sheet.title = f"{feed.month.isoformat()[:7]}"
    sheet.append([f"{th} ({en})" for _, th, en in COLUMNS])
    for row in _rows(feed):
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
