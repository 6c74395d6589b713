"""The rebuild scenario: the ก.ค.ศ.16 record view rebuilt from position zero, beside the
library's plain ``ProjectionRunner`` filling a fresh view from the same events.

The ledger is built as the verify scenario builds its own (bulk orders, untimed). Our figure is
``projections.record_projection.rebuild`` (a page of 5,000 events per transaction); the
baseline is ``record_runner(url)``, the library's runner with ``RecordProjection`` (one
transaction per event), timed from its construction until ``runner.wait`` sees the last record
event. After each, the view must hold one entry per ``PersonnelRecord`` event and one person
per record, or the row says so.
"""

from __future__ import annotations

import gc
import math
import time
from dataclasses import dataclass

from eventsourcing.utils import get_topic

from commands.bootstrap import register_keys
from ledger.application import Ledger
from ledger.record import PersonnelRecord
from projections.record_projection import open_view, rebuild, record_runner
from projections.store import RecordView

from .careers import AREA
from .report import Goal, Row
from .scenarios import Backend, Context, build_history
from .timing import Best, timed

__all__ = ["LEGEND", "rebuild_view"]

_GOAL = Goal("≥ 50,000 events/s", min_rate=50_000)
_ISSUE = "(issue: rebuild from a 1,000,000-event ledger on PostgreSQL)"
_SCENARIO = "rebuild kks16 view"
_BASELINE = "library ProjectionRunner"
_RECORD_TOPIC_PREFIX = f"{get_topic(PersonnelRecord)}."
_PAGE = 10_000
# Never wait on the runner for longer than it would take at this many events a second.
_SLOWEST_RUNNER_RATE = 100

LEGEND = (
    "rebuild: projections rebuild(ledger, view) of the ก.ค.ศ.16 record view from position "
    "zero, one transaction per page of 5,000 events, best of the rounds | library "
    "ProjectionRunner: the same view emptied (view.clear()) and filled by record_runner(url) "
    "(RecordProjection, one transaction per event) from the same ledger, timed from its "
    "construction until runner.wait(last record event) returns (polls every ≤ 0.8 s); run "
    "ONCE, after the first rebuild round, since it takes minutes. Both are checked: entries "
    "= PersonnelRecord events (key events excluded), people = records. The ledger (plus "
    "key events) is built untimed as verify builds its own. The issue's size is "
    "`python -m bench --only rebuild --only postgres --rebuild-events 1000000` (the runner "
    "baseline alone then takes ~15 minutes at ~1,200 events/s).",
)


@dataclass(frozen=True)
class _Ledger:
    records: int  # PersonnelRecord events, counted by topic in the stored ledger
    people: int
    last_record_id: int  # notification id of the last PersonnelRecord event


def _record_events(ledger: Ledger, people: int) -> _Ledger:
    """Count the record events as stored, by topic, and find the last one's position."""
    count, last, start = 0, 0, 1
    while True:
        page = ledger.recorder.select_notifications(start, _PAGE)
        for notification in page:
            if notification.topic.startswith(_RECORD_TOPIC_PREFIX):
                count, last = count + 1, notification.id
        if len(page) < _PAGE:
            return _Ledger(count, people, last)
        start = page[-1].id + 1


def _build(ledger: Ledger, ctx: Context, events: int) -> _Ledger:
    sizes = ctx.sizes
    people = math.ceil(events / sizes.verify_events_per_person)
    register_keys(ledger, ctx.keys, AREA)
    build_history(ledger, ctx.keys.authority, people, sizes.verify_events_per_person,
                  sizes.verify_order_events)
    return _record_events(ledger, people)


def _problem(view: RecordView, built: _Ledger, who: str) -> str | None:
    """What the view lacks after ``who`` filled it, or None when it holds every event."""
    entries, people = view.counts()
    if (entries, people) == (built.records, built.people):
        return None
    return (f"{who} VIEW WRONG: {entries:,}/{built.records:,} entries, "
            f"{people:,}/{built.people:,} people")


def _run_runner(url: str, built: _Ledger, timeout: float) -> tuple[float, str | None]:
    """Seconds for the library's runner to catch up on the whole ledger, and any problem."""
    gc.collect()
    start = time.perf_counter()
    with record_runner(url) as runner:
        try:
            runner.wait(built.last_record_id, timeout=timeout)
            problem = None
        except TimeoutError:
            problem = f"RUNNER TIMED OUT after {timeout:,.0f} s"
        seconds = time.perf_counter() - start
    return seconds, problem


def _close(view: RecordView) -> None:
    factory = getattr(view, "_factory", None)  # open_view keeps it on the view
    if factory is not None:
        factory.close()


def rebuild_view(backend: Backend, ctx: Context) -> list[Row]:
    """Rebuild the record view from an N-event ledger, against the library's runner."""
    best = Best()
    problems: list[str] = []
    runner_events = 0
    with backend.stores() as stores:
        built = _build(stores.ledger, ctx, ctx.sizes.rebuild_events(backend.name))
        ctx.progress(backend.name, f"  rebuild: built {built.records:,} record events "
                                   f"({stores.ledger.store.count_events():,} in all; not timed)")
        view = open_view(stores.url)
        try:
            for round_number in range(ctx.sizes.rounds):
                seconds, done = timed(rebuild, stores.ledger, view)
                best.add("rebuild", seconds)
                problems += filter(None, [_problem(view, built, "REBUILD")])
                ctx.progress(backend.name, f"  rebuild: round {round_number + 1}: "
                                           f"{done / seconds:,.0f} events/s")
                if round_number == 0:
                    view.clear()
                    ctx.progress(backend.name, "  rebuild: library ProjectionRunner, "
                                               f"{built.records:,} events, one run …")
                    timeout = 60 + built.records / _SLOWEST_RUNNER_RATE
                    seconds, problem = _run_runner(stores.url, built, timeout)
                    best.add("runner", seconds)
                    runner_events = view.counts()[0]
                    problems += filter(None, [problem, _problem(view, built, "RUNNER")])
                    ctx.progress(backend.name, f"  rebuild: runner: {runner_events / seconds:,.0f}"
                                               " events/s")
        finally:
            _close(view)
    note = problems[0] if problems else _ISSUE
    return [Row(backend.name, _SCENARIO, built.records, best["rebuild"], _BASELINE,
                best["runner"], runner_events, _GOAL, note=note)]
