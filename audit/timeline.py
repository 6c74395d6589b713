"""An auditor's view of one record: every event with its effective date, when it was recorded,
at which position, under which order, signed by whom with which key — and each correction or
revocation linked to the entry it amends. Read from the ledger itself, not from a view."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast
from uuid import UUID

from eventsourcing.persistence import Mapper

from ledger.persistence import LedgerRecorder, SubmissionRow
from ledger.record import PersonnelRecord
from ledger.thaidate import format_thai_date

__all__ = ["TimelineEntry", "timeline"]


@dataclass(frozen=True)
class TimelineEntry:
    version: int
    kind: str
    label_th: str
    effective_date: date
    recorded_at: datetime
    position: int
    order: str
    key_id: str
    submission: str
    amends: int | None  # the version a correction or revocation names
    amended_by: list[int]


def timeline(store: LedgerRecorder, mapper: Mapper[UUID], record_id: UUID
             ) -> list[TimelineEntry]:
    rows = store.record_log(record_id)
    submissions = store.submissions()
    starts = [s.first_notification_id for s in submissions]
    events = [cast(PersonnelRecord.Event, mapper.to_domain_event(row.stored_event()))
              for row in rows]
    amended: dict[int, list[int]] = {}
    for event in events:
        target = _amends(event)
        if target is not None:
            amended.setdefault(target, []).append(event.originator_version)
    entries = []
    for row, event in zip(rows, events, strict=True):
        signed = _submission_of(submissions, starts, row.notification_id)
        order = event.order
        entries.append(TimelineEntry(
            event.originator_version, event.KIND, event.LABEL_TH, event.effective_date,
            event.timestamp, row.notification_id,
            f"{order.authority} ที่ {order.order_number} "
            f"ลว. {format_thai_date(order.order_date, abbreviated=True)}",
            signed.submission.key_id if signed else "(unsigned)",
            str(signed.submission.submission_id) if signed else "",
            _amends(event), amended.get(event.originator_version, [])))
    return entries


def _amends(event: Any) -> int | None:
    target = getattr(event, "corrects", None) or getattr(event, "revokes", None)
    return int(target) if target is not None else None


def _submission_of(submissions: list[SubmissionRow], starts: list[int],
                   position: int) -> SubmissionRow | None:
    index = bisect_right(starts, position) - 1
    if index >= 0 and submissions[index].last_notification_id >= position:
        return submissions[index]
    return None
