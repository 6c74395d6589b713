"""The payroll scenario: a month's feed for an area of N people (salary, standing allowance,
arrears) read from the record view, beside the plain way — loading each person's aggregate
from the ledger with the library's repository and reading its pay.

The ledger (N people × 6 events) and the view are built untimed. The issue's target: a
payroll export for 50,000 people in ≤ 5 s, i.e. ≥ 10,000 people/s ("events" in this row
are people)."""

from __future__ import annotations

from typing import cast
from uuid import UUID

from ledger.application import Ledger
from ledger.record import PersonnelRecord
from projections.payroll import build_feed

from .careers import AREA
from .report import Goal, Row
from .scenarios import Backend, Context, area_with_view
from .timing import Best, timed

__all__ = ["LEGEND", "payroll_feed"]

_GOAL = Goal("≥ 10,000 people/s (50,000 in ≤ 5 s)", min_rate=10_000)
_MONTH = "2030-01"
_EVENTS_PER_PERSON = 6

LEGEND = (
    "payroll: projections.payroll.build_feed for one month of one area from the record view "
    "(one query for the area's rows, every person's ก.ค.ศ.16 built as of the month, arrears "
    "checked), people/s | plain repository: the same people's pay read by loading each "
    "PersonnelRecord aggregate with the library's repository (no view, no arrears)",
)


def _plain(ledger: Ledger, record_ids: list[UUID]) -> int:
    total = 0
    for record_id in record_ids:
        record = cast(PersonnelRecord, ledger.repository.get(record_id))
        total += record.salary
    return total


def payroll_feed(backend: Backend, ctx: Context) -> list[Row]:
    people = ctx.sizes.payroll_people
    best = Best()
    with backend.stores() as stores:
        ledger = stores.ledger
        view = area_with_view(stores, ctx, people, _EVENTS_PER_PERSON)
        ctx.progress(backend.name, f"  payroll: {people:,} people built (not timed)")
        record_ids = [p.record_id for p in view.people_of_area(AREA)]
        lines = 0
        for _ in range(ctx.sizes.rounds):
            seconds, feed = timed(build_feed, view, ledger.mapper, AREA, _MONTH)
            best.add("feed", seconds)
            lines = len(feed.lines)
            seconds, _total = timed(_plain, ledger, record_ids)
            best.add("plain", seconds)
        factory = getattr(view, "_factory", None)
        if factory is not None:
            factory.close()
    note = "" if lines == people else f"FEED WRONG: {lines:,}/{people:,} people"
    return [Row(backend.name, "payroll feed (people)", lines, best["feed"], "plain repository",
                best["plain"], len(record_ids), _GOAL, note=note)]
