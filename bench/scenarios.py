"""The three scenarios, each timed beside its baseline, round by round.

Set-up (opening records, adding the pending events, building a large ledger) is never timed:
only the call under test is. Our figure and its baseline alternate within each round, so a
burst of load from another process on the shared machine hits both sides alike.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar

from audit.verify import Parallel, VerifyReport, verify_ledger
from commands.bootstrap import KeySet, register_keys
from ledger.application import Draft, Ledger
from ledger.checkpoints import create_checkpoint
from ledger.evidence import EvidenceStore
from ledger.keys import Signer
from ledger.order import Order
from ledger.record import PersonnelRecord
from projections.record_projection import open_view, rebuild
from projections.store import RecordView

from .backends import RawRow, Stores
from .careers import AREA, People, issued_with, raise_salaries
from .plain import PlainApp, read_every_event
from .report import Goal, Row
from .timing import Best, timed

__all__ = ["LEGEND", "SCENARIOS", "Backend", "Context", "Sizes", "build_history"]

_PURPOSE = "คำสั่ง เลื่อนเงินเดือน (bench)"
_PLAIN_SAVE = "plain save(*records)"
_RAW_COPY = "raw binary COPY"
_RAW_GOAL = Goal("≥ 50% of raw COPY", min_ratio=0.5)
_VERIFY_GOAL = Goal("≥ 100,000 events/s", min_rate=100_000)
# The issue: the last 10,000 events verified incrementally in ≤ 1 s.
_SINCE_GOAL = Goal("≤ 1 s (≥ 10,000 events/s)", min_rate=10_000)

LEGEND = (
    "single submissions: N records each get one salary raise, submitted one by one "
    "(ledger.submit) | plain: the same, save(record) one by one.",
    "one order: N records each get one salary raise in ONE order; submit = prepare + sign + "
    "append, append = ledger.append of a prepared, signed draft.",
    "plain save: a plain eventsourcing Application with the library's own recorder, no "
    "hashing or signing; same aggregates, same canonical JSON (LedgerMapper).",
    "raw binary COPY (PostgreSQL): the same rows as the append, ids and hashes included, "
    "COPY ... FROM STDIN (FORMAT BINARY) with psycopg write_row into a bare table with the "
    "same columns, primary key and unique notification_id index, in one transaction.",
    "verify: record view check: projections.view_check.verify_view, what `tabien verify` adds "
    "by default (--no-views skips it): the view (rebuilt untimed) compared row by row with the "
    "rows a replay of the ledger makes, one process; its events are view rows; beside it the "
    "ledger-only verify (1 process) of the same ledger.",
    "library read+decode: select_notifications in pages of 10,000 + to_domain_event for "
    "every event of the same ledger; checks nothing (the floor under any replay).",
)

T = TypeVar("T")


@dataclass(frozen=True)
class Sizes:
    single: int
    order: int
    verify_people: int
    verify_events_per_person: int
    verify_order_events: int
    rebuild_sqlite: int
    rebuild_postgres: int
    rounds: int = 3
    payroll_people: int = 50_000
    round_people: int = 5_000
    certificate_people: int = 500

    @classmethod
    def full(cls) -> Sizes:
        return cls(single=1_000, order=10_000, verify_people=5_000,
                   verify_events_per_person=20, verify_order_events=5_000,
                   rebuild_sqlite=100_000, rebuild_postgres=200_000)

    @classmethod
    def quick(cls) -> Sizes:
        return cls(single=100, order=1_000, verify_people=500,
                   verify_events_per_person=20, verify_order_events=500,
                   rebuild_sqlite=10_000, rebuild_postgres=10_000, payroll_people=5_000,
                   round_people=500, certificate_people=50)

    def rebuild_events(self, backend: str) -> int:
        """Record events in the rebuild scenario's ledger on this backend."""
        return self.rebuild_postgres if backend == "PostgreSQL" else self.rebuild_sqlite

    def describe(self) -> str:
        return (f"sizes: single submissions N={self.single:,}; one order N={self.order:,}; "
                f"verify {self.verify_people:,} people × {self.verify_events_per_person} "
                f"events in orders of ~{self.verify_order_events:,} events; rebuild "
                f"{self.rebuild_sqlite:,} record events on SQLite, "
                f"{self.rebuild_postgres:,} on PostgreSQL (built the same way); payroll "
                f"{self.payroll_people:,} people; salary round {self.round_people:,} people")


class Backend(Protocol):
    @property
    def name(self) -> str: ...

    def stores(self) -> AbstractContextManager[Stores]: ...


@dataclass(frozen=True)
class Context:
    keys: KeySet
    sizes: Sizes
    progress: Callable[[str, str], None]
    key_dir: Path = Path("tabien-keys")  # where ``keys`` are (the certificate keys go there)
    passphrase: bytes = b"tabien-bench"


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _opened(stores: Stores, ctx: Context,
            count: int) -> tuple[list[PersonnelRecord], list[PersonnelRecord]]:
    """Register the keys, then open ``count`` records on each side (one order each)."""
    register_keys(stores.ledger, ctx.keys, AREA)
    ours, theirs = People().open(count), People().open(count)
    stores.ledger.submit(ctx.keys.authority, issued_with(ours), *ours,
                         purpose="คำสั่ง บรรจุและแต่งตั้ง (bench)")
    stores.plain.save(*theirs)
    return ours, theirs


# ---------------------------------------------------------------- 1. single submissions


def _submit_each(ledger: Ledger, signer: Signer,
                 writes: Sequence[tuple[Order, PersonnelRecord]]) -> None:
    for order, record in writes:
        ledger.submit(signer, order, record, purpose=_PURPOSE)


def _save_each(plain: PlainApp, records: Sequence[PersonnelRecord]) -> None:
    for record in records:
        plain.save(record)


def single_submissions(backend: Backend, ctx: Context) -> list[Row]:
    """N submissions of one salary raise each, against N saves of one event each."""
    count = ctx.sizes.single
    best = Best()
    with backend.stores() as stores:
        ours, theirs = _opened(stores, ctx, count)
        for round_number in range(ctx.sizes.rounds):
            raise_salaries(ours, round_number)
            writes = [(issued_with([record]), record) for record in ours]
            best.add("ours", timed(_submit_each, stores.ledger, ctx.keys.authority, writes)[0])
            raise_salaries(theirs, round_number)
            best.add("plain", timed(_save_each, stores.plain, theirs)[0])
            ctx.progress(backend.name, f"  single submissions: round {round_number + 1} done")
    return [Row(backend.name, "single submissions", count, best["ours"],
                "plain save(record)", best["plain"], count)]


# ---------------------------------------------------------------- 2. one large order


def _raw_rows(draft: Draft, notification_ids: Sequence[int]) -> list[RawRow]:
    """The rows the ledger stored for a draft, exactly, for the raw COPY to write again."""
    return [(s.originator_id, s.originator_version, s.topic, s.state, nid, digest)
            for s, nid, digest in zip(draft.stored_events, notification_ids,
                                      draft.event_hashes, strict=True)]


def _order_round(stores: Stores, ctx: Context, ours: Sequence[PersonnelRecord],
                 theirs: Sequence[PersonnelRecord], round_number: int, best: Best) -> None:
    # Each side's records get a fresh version per measurement ("fresh versions"), so every
    # measurement writes the same number of new rows to a table of similar size.
    ledger, signer = stores.ledger, ctx.keys.authority
    raise_salaries(ours, 2 * round_number)
    order = issued_with(ours)  # drafted and checked before the issue that is measured
    best.add("submit", timed(ledger.submit, signer, order, *ours, purpose=_PURPOSE)[0])
    raise_salaries(ours, 2 * round_number + 1)
    draft = ledger.prepare(issued_with(ours), *ours)
    seconds, ids = timed(ledger.append, draft, draft.sign(signer, _PURPOSE))
    best.add("append", seconds)
    # The raw table receives exactly these rows; it starts empty and grows by one order per
    # round, so if anything it is the kinder baseline (smaller indexes than ledger_events).
    if stores.raw is not None:
        best.add("raw", timed(stores.raw.copy, _raw_rows(draft, ids))[0])
    raise_salaries(theirs, round_number)
    best.add("plain", timed(stores.plain.save, *theirs)[0])


def _order_rows(name: str, count: int, best: Best, with_raw: bool) -> list[Row]:
    submit, append = "one order: submit (prepare+sign+append)", "one order: append (signed)"
    rows = [Row(name, submit, count, best["submit"], _PLAIN_SAVE, best["plain"], count),
            Row(name, append, count, best["append"], _PLAIN_SAVE, best["plain"], count)]
    if with_raw:
        rows += [
            Row(name, submit, count, best["submit"], _RAW_COPY, best["raw"], count, _RAW_GOAL),
            Row(name, append, count, best["append"], _RAW_COPY, best["raw"], count, _RAW_GOAL),
            Row(name, "one order: plain save", count, best["plain"], _RAW_COPY, best["raw"],
                count, note="(issue: plain ≈ 8% of raw COPY)"),
        ]
    return rows


def one_order(backend: Backend, ctx: Context) -> list[Row]:
    """One salary raise for each of N records in one order: submit, append, save, raw COPY."""
    count = ctx.sizes.order
    best = Best()
    with backend.stores() as stores:
        ours, theirs = _opened(stores, ctx, count)
        for round_number in range(ctx.sizes.rounds):
            _order_round(stores, ctx, ours, theirs, round_number, best)
            ctx.progress(backend.name, f"  one order: round {round_number + 1} done")
        with_raw = stores.raw is not None
    return _order_rows(backend.name, count, best, with_raw)


# ---------------------------------------------------------------- 3. verify


def build_history(ledger: Ledger, signer: Signer, people: int, events_per_person: int,
                  order_events: int) -> None:
    """``people`` × ``events_per_person`` record events in bulk orders of about
    ``order_events`` events (the keys must be registered already)."""
    records = People().open(people)
    # Opening is two events per person, so half as many people per opening order.
    for chunk in _chunks(records, max(1, order_events // 2)):
        ledger.submit(signer, issued_with(chunk), *chunk,
                      purpose="คำสั่ง บรรจุและแต่งตั้ง (bench)")
    for round_number in range(events_per_person - 2):
        raise_salaries(records, round_number)
        for chunk in _chunks(records, order_events):
            ledger.submit(signer, issued_with(chunk), *chunk, purpose=_PURPOSE)


def area_with_view(stores: Stores, ctx: Context, people: int, events_per_person: int) -> RecordView:
    """An area of ``people`` careers in bulk orders and its record view, built untimed."""
    register_keys(stores.ledger, ctx.keys, AREA)
    build_history(stores.ledger, ctx.keys.authority, people, events_per_person, 10_000)
    view = open_view(stores.url)
    rebuild(stores.ledger, view)
    return view


def _verify_problem(report: VerifyReport, expected: int) -> str | None:
    # A benchmark of a verifier that fails proves nothing: say so in the table.
    if report.ok and report.events == expected:
        return None
    first = str(report.findings[0]) if report.findings else ""
    return f"VERIFY FAILED: {report.events:,}/{expected:,} events, {first}"


def verify(backend: Backend, ctx: Context) -> list[Row]:
    """Verify a ledger of about 100,000 events, against reading it with the library."""
    best = Best()
    problems: list[str] = []
    evidence = EvidenceStore(Path(tempfile.gettempdir()) / "tabien-bench-evidence")  # never read
    with backend.stores() as stores:
        ledger = stores.ledger
        register_keys(ledger, ctx.keys, AREA)
        sizes = ctx.sizes
        build_history(ledger, ctx.keys.authority, sizes.verify_people,
                      sizes.verify_events_per_person, sizes.verify_order_events)
        create_checkpoint(ledger.store, ctx.keys.checkpoint)
        events = ledger.store.count_events()
        ctx.progress(backend.name, f"  verify: built {events:,} events (not timed)")
        # As `tabien verify` runs a large ledger: one worker process per core.
        parallel = Parallel(stores.url, workers=os.cpu_count() or 1)
        for round_number in range(ctx.sizes.rounds):
            # As `tabien verify` runs it: with an evidence store, so the per-event evidence
            # pre-filter is part of the figure (no bench event refers to a file).
            seconds, report = timed(verify_ledger, ledger.store, ledger.mapper,
                                    evidence=evidence, parallel=parallel)
            best.add("verify", seconds)
            problems += filter(None, [_verify_problem(report, events)])
            seconds, report = timed(verify_ledger, ledger.store, ledger.mapper,
                                    evidence=evidence)
            best.add("verify-1", seconds)
            problems += filter(None, [_verify_problem(report, events)])
            seconds, read = timed(read_every_event, ledger.recorder, ledger.mapper)
            best.add("read", seconds)
            ctx.progress(backend.name, f"  verify: round {round_number + 1} done")
        view_rows, view_problem = _view_check(stores.url, ledger, ctx, best)
        since = _incremental(ledger, ctx, best)
    return [Row(backend.name, f"verify ({parallel.workers} processes)", events,
                best["verify"], "library read+decode", best["read"], read, _VERIFY_GOAL,
                note=problems[0] if problems else ""),
            Row(backend.name, "verify (1 process)", events, best["verify-1"],
                "library read+decode", best["read"], read, _VERIFY_GOAL),
            Row(backend.name, "verify: record view check", view_rows, best["view"],
                "ledger-only verify (1 process)", best["verify-1"], events,
                note=view_problem),
            Row(backend.name, "verify --since (last 10,000 events)", since[0],
                best["since"], "library read+decode of them", best["read-new"], since[0],
                _SINCE_GOAL, note=since[1])]


def _view_check(url: str, ledger: Ledger, ctx: Context, best: Best) -> tuple[int, str]:
    """What ``tabien verify`` adds by default: the record view (rebuilt untimed) held to a
    replay of the ledger (``projections.view_check``), beside the ledger-only verify of the
    same ledger."""
    from projections.record_projection import open_view, rebuild
    from projections.view_check import verify_view

    view = open_view(url)
    rebuild(ledger, view)
    report = None
    for _ in range(ctx.sizes.rounds):
        seconds, report = timed(verify_view, ledger.recorder, ledger.mapper, view)
        best.add("view", seconds)
    assert report is not None
    rows = view.counts()[0]
    problem = "" if not report.findings and report.rows == rows else \
        f"VIEW CHECK FAILED: {report.rows:,}/{rows:,} rows, {report.findings[:1]}"
    return report.rows, problem


def _incremental(ledger: Ledger, ctx: Context, best: Best) -> tuple[int, str]:
    """Append 10,000 events after the checkpoint and verify only them, beside reading them."""
    from audit.incremental import verify_since

    last = ledger.recorder.max_notification_id() or 0
    records = People(first=9_000_000).open(5_000)  # two events each: 10,000
    ledger.submit(ctx.keys.authority, issued_with(records), *records,
                  purpose="after the checkpoint (bench)")
    report = None
    for _ in range(ctx.sizes.rounds):
        seconds, report = timed(verify_since, ledger.store, ledger.key,
                                ctx.keys.checkpoint.key_id, mapper=ledger.mapper)
        best.add("since", seconds)
        seconds, _read = timed(_read_after, ledger, last)
        best.add("read-new", seconds)
    assert report is not None
    problem = "" if report.ok and report.events == 10_000 else \
        f"VERIFY --since FAILED: {report.events} events, {report.findings[:1]}"
    return report.events, problem


def _read_after(ledger: Ledger, last: int) -> int:
    count, start = 0, last
    while True:
        page = ledger.recorder.select_notifications(start, 10_000, inclusive_of_start=False)
        for notification in page:
            ledger.mapper.to_domain_event(notification)
        count += len(page)
        if len(page) < 10_000:
            return count
        start = page[-1].id


SCENARIOS: dict[str, Callable[[Backend, Context], list[Row]]] = {
    "single": single_submissions,
    "order": one_order,
    "verify": verify,
}
