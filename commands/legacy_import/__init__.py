"""``tabien import``: existing ก.พ.7 history from CSV files into signed opening events.

Three layouts (docs/import.md), told apart by their header: people
(page 1, opens records), history (section 13, career entries) and education (section 10).
The steps, so that nothing is written for a file that cannot be read and no row is lost:

1. read every file (encoding, header, layout) — a file that cannot be read refuses the run;
2. plan every row against the ledger (``_plan``): imported, already present or rejected;
3. write each file's rejected rows to ``<name>.rejected.csv``;
4. append each file's accepted rows as ONE submission signed by the registrar.

Counts always add up: rows read = imported + already present + rejected.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from uuid import UUID

from commands.legacy_import._plan import FilePlan, Planner
from commands.legacy_import._records import PersonIndex
from commands.legacy_import._report import FileSummary, RejectedRow, summarise, write_report
from commands.legacy_import._source import SourceFile, read_source
from ledger.application import Ledger
from ledger.authority import key_areas
from ledger.keys import Signer
from ledger.record import PersonnelRecord

__all__ = ["FileSummary", "RejectedRow", "SourceFile", "import_sources", "read_sources"]


def read_sources(paths: Iterable[Path]) -> list[SourceFile]:
    """Read every file first, so that an unreadable one refuses the run before any writing."""
    return [read_source(Path(path)) for path in paths]


def import_sources(ledger: Ledger, signer: Signer, identity_secret: bytes,
                   sources: Sequence[SourceFile], *, default_area: str | None = None,
                   dry_run: bool = False,
                   progress: Callable[[int], None] | None = None) -> list[FileSummary]:
    """Plan, report and (unless ``dry_run``) append; one summary per file, in the order run."""
    # Rows are held to the signing key's area: a row of a person in another area (or opening
    # a record there) is rejected, as the ledger would refuse the whole file for it.
    _role, area = ledger.key_role(signer.key_id)
    planner = Planner(PersonIndex(ledger, identity_secret), default_area, progress,
                      key_areas(area))
    plans = planner.plan(list(sources))
    summaries = [summarise(plan, write_report(plan)) for plan in plans]
    if dry_run:
        return summaries
    written = _write(ledger, signer, plans)
    return [dataclasses.replace(summary, events_written=count)
            for summary, count in zip(summaries, written, strict=True)]


def _write(ledger: Ledger, signer: Signer, plans: Sequence[FilePlan]) -> list[int]:
    """Each file's accepted rows as one submission, replayed exactly as they were planned."""
    live: dict[UUID, PersonnelRecord] = {}
    counts: list[int] = []
    for plan in plans:
        touched: dict[UUID, PersonnelRecord] = {}
        for item in plan.accepted:
            if item.event_class is PersonnelRecord.Opened:
                record = PersonnelRecord.open(item.record_id, **item.fields)
            else:
                record = live.get(item.record_id) or ledger.record(item.record_id)
                record.record(item.event_class, **item.fields)
            live[item.record_id] = touched[item.record_id] = record
        if touched:
            ledger.submit(signer, *touched.values(), purpose=_purpose(plan))
        counts.append(len(plan.accepted))
    return counts


def _purpose(plan: FilePlan) -> str:
    source = plan.source
    return (f"นำเข้าข้อมูล ก.พ.7 เดิม / legacy import: {source.path.name} "
            f"({source.layout.name}, sha256 {source.digest.hex()[:16]}), "
            f"{len(plan.accepted)} entries")
