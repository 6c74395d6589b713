"""The rejected-rows report and the per-file summary.

The report is the file's own rows, as read, with three columns added — ``line`` (as a
spreadsheet numbers it), ``reason_th`` and ``reason_en`` — written as UTF-8 with a BOM so
that Excel opens the Thai text correctly. A registrar can fix the rows in it and import the
report itself: the added columns are ignored, and rows already imported are skipped. A cell a
spreadsheet could run as a formula is written with an apostrophe before it
(``ledger.spreadsheet``), which the reader takes off again.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from commands.legacy_import._plan import FilePlan, Outcome
from ledger.spreadsheet import neutralise

__all__ = ["FileSummary", "RejectedRow", "report_path", "summarise", "write_report"]

REPORT_COLUMNS = ("line", "reason_th", "reason_en")
SEPARATOR = " ; "


@dataclass(frozen=True)
class RejectedRow:
    line: int
    reason_th: str
    reason_en: str


@dataclass(frozen=True)
class FileSummary:
    path: Path
    layout: str
    layout_th: str
    encoding: str
    dates_be: int
    dates_ce: int
    read: int
    imported: int
    present: int
    rejected: tuple[RejectedRow, ...]
    blank_rows: int
    ignored_columns: tuple[str, ...]
    report: Path | None

    @property
    def adds_up(self) -> bool:
        return self.read == self.imported + self.present + len(self.rejected)


def report_path(source: Path) -> Path:
    """``people.csv`` → ``people.rejected.csv`` beside it."""
    return source.with_name(f"{source.stem}.rejected.csv")


def _rejected_row(outcome: Outcome) -> RejectedRow:
    return RejectedRow(outcome.row.line,
                       SEPARATOR.join(r.message_th for r in outcome.reasons),
                       SEPARATOR.join(r.message for r in outcome.reasons))


def write_report(plan: FilePlan) -> Path | None:
    """Write the report of a file's rejected rows; remove a stale one when none were."""
    path = report_path(plan.source.path)
    rejected = plan.rejected()
    if not rejected:
        # A report left by an earlier run would describe rows that are now imported.
        path.unlink(missing_ok=True)
        return None
    header = list(plan.source.header)
    spill = max(len(o.row.raw) for o in rejected) - len(header)
    header += [f"extra_{n}" for n in range(1, spill + 1)]
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow([neutralise(cell) for cell in [*header, *REPORT_COLUMNS]])
        for outcome in rejected:
            cells = list(outcome.row.raw) + [""] * (len(header) - len(outcome.row.raw))
            row = _rejected_row(outcome)
            texts = [*cells, row.reason_th, row.reason_en]
            writer.writerow([neutralise(text) for text in texts[:-2]] + [row.line] +
                            [neutralise(text) for text in texts[-2:]])
    return path


def summarise(plan: FilePlan, report: Path | None) -> FileSummary:
    source = plan.source
    return FileSummary(
        path=source.path, layout=source.layout.name, layout_th=source.layout.title_th,
        encoding=source.encoding, dates_be=plan.eras.be, dates_ce=plan.eras.ce,
        read=len(source.rows), imported=plan.count("imported"), present=plan.count("present"),
        rejected=tuple(_rejected_row(o) for o in plan.rejected()),
        blank_rows=source.blank_rows, ignored_columns=source.ignored, report=report)
