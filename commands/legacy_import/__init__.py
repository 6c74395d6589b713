"""``tabien import``: existing ก.พ.7 history from CSV files, as a transcription order.

Three layouts (docs/import.md), told apart by their header: people
(page 1, opens records), history (section 13, career entries) and education (section 10).
Legacy history is no exception to authority: the registrar prepares the rows as ONE order,
a transcription of the legacy record (``Order.Transcribed``), which the area's authority
checks and issues like any order (``tabien order check`` / ``issue``). The steps, so that
nothing is written for a file that cannot be read and no row is lost:

1. read every file (encoding, header, layout) — a file that cannot be read refuses the run;
2. plan every row against the ledger (``_plan``): imported, already present or rejected —
   a row of a person, or opening a record, outside the registrar's area is rejected;
3. write each file's rejected rows to ``<name>.rejected.csv``;
4. draft the accepted rows of every file as the lines of one transcription order, signed by
   the registrar. Rows dated on or after the cut-over go through the rules when the order
   is checked; earlier ones are copied as the legacy record has them. A dry run shows the
   order the authority would be asked to sign and writes nothing.

Counts always add up: rows read = imported + already present + rejected.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import orjson

from commands.legacy_import._plan import Accepted, FilePlan, Planner
from commands.legacy_import._records import PersonIndex
from commands.legacy_import._report import FileSummary, RejectedRow, summarise, write_report
from commands.legacy_import._source import SourceFile, read_source
from commands.orders import OrderDesk
from ledger.application import Ledger
from ledger.authority import key_areas
from ledger.keys import Signer
from ledger.transcoder import canonical_json

__all__ = ["FileSummary", "RejectedRow", "SourceFile", "Transcription", "TranscriptionPlan",
           "import_sources", "read_sources"]

TITLE_TH = "รับโอนทะเบียนประวัติ (ก.พ.7) เดิมเข้าสู่ระบบ"


def read_sources(paths: Iterable[Path]) -> list[SourceFile]:
    """Read every file first, so that an unreadable one refuses the run before any writing."""
    return [read_source(Path(path)) for path in paths]


@dataclass(frozen=True)
class Transcription:
    """The order the accepted rows become: its number and date, and the area's cut-over
    (rows dated on or after it are held to the rules)."""

    order_number: str
    order_date: date
    cut_over: date


@dataclass(frozen=True)
class TranscriptionPlan:
    """What the area's authority will be asked to sign."""

    authority: str
    order_number: str
    order_date: date
    cut_over: date
    title: str
    lines: int
    people: int
    under_rules: int  # lines dated on or after the cut-over
    kinds: dict[str, int]
    drafted: bool  # False on a dry run, or when there was nothing new


def import_sources(ledger: Ledger, signer: Signer, identity_secret: bytes,
                   sources: Sequence[SourceFile], transcription: Transcription, *,
                   default_area: str | None = None, dry_run: bool = False,
                   progress: Callable[[int], None] | None = None
                   ) -> tuple[list[FileSummary], TranscriptionPlan]:
    """Plan, report and (unless ``dry_run``) draft the transcription order."""
    # Rows are held to the signing key's area: a row of a person in another area (or opening
    # a record there) is rejected, as the ledger would refuse the whole order for it.
    _role, area = ledger.key_role(signer.key_id)
    planner = Planner(PersonIndex(ledger, identity_secret), default_area, progress,
                      key_areas(area))
    plans = planner.plan(list(sources))
    summaries = [summarise(plan, write_report(plan)) for plan in plans]
    accepted = [item for plan in plans for item in plan.accepted]
    lines = [_line(item) for item in accepted]
    plan = TranscriptionPlan(
        authority=area, order_number=transcription.order_number,
        order_date=transcription.order_date, cut_over=transcription.cut_over,
        title=f"{TITLE_TH}: {_sources_named(plans)}", lines=len(lines),
        people=len({item.record_id for item in accepted}),
        under_rules=sum(1 for item in accepted
                        if item.fields["effective_date"] >= transcription.cut_over),
        kinds=dict(Counter(item.event_class.KIND for item in accepted)), drafted=False)
    if dry_run or not lines:
        return summaries, plan
    OrderDesk(ledger, identity_secret).transcribe(
        signer, area=area, order_number=transcription.order_number,
        order_date=transcription.order_date, title=plan.title, lines=lines,
        cut_over=transcription.cut_over)
    return summaries, dataclasses.replace(plan, drafted=True)


def _line(item: Accepted) -> dict[str, Any]:
    """A planned row as an order line (what ``parse_entry`` reads back)."""
    line: dict[str, Any] = orjson.loads(canonical_json(item.fields))
    line["kind"] = item.event_class.KIND
    line["national_id"] = item.national_id
    return line


def _sources_named(plans: Sequence[FilePlan]) -> str:
    return ", ".join(f"{plan.source.path.name} (sha256 {plan.source.digest.hex()[:16]})"
                     for plan in plans)
