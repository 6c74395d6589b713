"""The salary-round scenario: one area's round of N people previewed, checked and issued as
one order, beside reading the same N records one query each with the library's event store.

Each of preview, check and issue reads the history of every person in the round. They read
them in batches (``Ledger.histories``: one query per 1,000 records on PostgreSQL); the
baseline is the way each of them read before, one record per query, and nothing else — no
rules, no signing, no writing. The people are opened untimed; "events" in these rows are
people."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

from commands.bootstrap import register_keys
from commands.orders import OrderDesk
from commands.salary_round import Appraisal, draft_round, preview_round
from ledger.application import Ledger
from ledger.record import PersonnelRecord

from .careers import AREA, RECORD_SECRET, People, issued_with
from .report import Row
from .scenarios import Backend, Context
from .timing import Best, timed

__all__ = ["LEGEND", "salary_round"]

_BASELINE = "read each record alone (events.get)"
_BASE = 15_050  # the calculation base given with every appraisal

LEGEND = (
    "salary round: commands.salary_round.preview_round of an area of N people, then "
    "OrderDesk.check and OrderDesk.issue of the drafted round order (one signed submission "
    "of N raises), people/s | " + _BASELINE + ": the same N records' events read one "
    "record per query with the library's event store, as each of the three read them before "
    "Ledger.histories (reading only)",
)


def _read_each(ledger: Ledger, record_ids: list[UUID]) -> int:
    return sum(len(list(ledger.events.get(record_id))) for record_id in record_ids)


def _one_round(ledger: Ledger, desk: OrderDesk, ctx: Context, people: list[PersonnelRecord],
               number: int, best: Best) -> None:
    on = date(2011 + number, 4, 1)
    appraisals = [Appraisal(p.national_id, "ดีมาก", Decimal("2.0"), _BASE) for p in people]
    seconds, preview = timed(preview_round, ledger, AREA, on, appraisals)
    best.add("preview", seconds)
    if not preview.ok or len(preview.lines) != len(people):
        raise RuntimeError(f"the bench's round was refused: {preview.violations[:3]}")
    order = draft_round(desk, preview, registrar=ctx.keys.registrar,
                        order_number=f"{number + 1}/{on.year + 543}", order_date=on)
    seconds, report = timed(desk.check, ctx.keys.registrar, order)
    best.add("check", seconds)
    if not report.passed:
        raise RuntimeError(f"the bench's round failed its check: {report.results()[:3]}")
    seconds, _ = timed(desk.issue, ctx.keys.authority, order)
    best.add("issue", seconds)


def salary_round(backend: Backend, ctx: Context) -> list[Row]:
    count = ctx.sizes.round_people
    best = Best()
    with backend.stores() as stores:
        ledger = stores.ledger
        register_keys(ledger, ctx.keys, AREA)
        people = People().open(count)
        ledger.submit(ctx.keys.authority, issued_with(people), *people,
                      purpose="คำสั่ง บรรจุและแต่งตั้ง (bench)")
        record_ids = [p.id for p in people]
        desk = OrderDesk(ledger, RECORD_SECRET)
        for number in range(ctx.sizes.rounds):
            _one_round(ledger, desk, ctx, people, number, best)
            seconds, _events = timed(_read_each, ledger, record_ids)
            best.add("plain", seconds)
            ctx.progress(backend.name, f"  salary round: round {number + 1} done")
    return [Row(backend.name, f"salary round: {step}", count, best[step], _BASELINE,
                best["plain"], count) for step in ("preview", "check", "issue")]
