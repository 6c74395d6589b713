"""What ``tabien verify`` runs, in one place for the command line and the HTTP API's
verification job (``api.web.verify_jobs``): the ledger (in full, or since the latest
checkpoint), the tail no checkpoint covers, then the record view against a replay.

Here, in ``api``, because it puts ``audit`` and ``projections`` together (neither imports the
other). What was covered is reported beside the findings (``Coverage``), so that an auditor
knows exactly what an "ok" stands for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from audit.verify import VerifyReport

if TYPE_CHECKING:
    from ledger.application import Ledger
    from ledger.evidence import EvidenceStore
    from ledger.persistence import CheckpointRow, LedgerRecorder
    from projections.store import RecordView
    from projections.view_check import ViewReport

__all__ = ["CHECKS_TH", "FULL", "PHASES_TH", "SCOPES_TH", "SINCE_CHECKPOINT", "Coverage",
           "Progress", "Verification", "latest_checkpoint", "run_verification",
           "tail_checkpointed"]

FULL = "full"
SINCE_CHECKPOINT = "since_checkpoint"
SCOPES_TH = {FULL: "ตรวจสอบทั้งสมุดทะเบียน",
             SINCE_CHECKPOINT: "ตรวจสอบเฉพาะรายการหลังจุดตรวจสอบล่าสุด"}
PHASES_TH = {"starting": "เริ่มต้น", "ledger": "ตรวจสอบสมุดทะเบียน",
             "views": "ตรวจสอบมุมมองทะเบียนประวัติเทียบกับสมุดทะเบียน", "done": "เสร็จสิ้น"}
CHECKS_TH = {
    "hash": "แฮชของรายการ", "chain": "สายโซ่รายการของทะเบียนประวัติ",
    "gap": "ตำแหน่งในสมุดทะเบียนขาดหาย", "continuity": "ความต่อเนื่องของชุดรายการที่ลงนาม",
    "submission": "ชุดรายการที่ลงนาม", "signature": "ลายมือชื่อและบทบาทของกุญแจ",
    "authority": "เขตพื้นที่ของกุญแจ", "checkpoint": "จุดตรวจสอบ",
    "unsigned": "รายการที่ไม่มีผู้ลงนาม", "log": "สมุดทะเบียน", "key-registry": "ทะเบียนกุญแจ",
    "trust-root": "กุญแจหลักที่ไว้วางใจ", "evidence": "เอกสารหลักฐาน",
    "view": "มุมมองทะเบียนประวัติ",
}


class Progress:
    """Where a verification says how far it has come; this one listens to nothing."""

    def phase(self, name: str, total: int | None, unit: str) -> None:
        """A phase begins: ``total`` ``unit`` (events, positions) to go, if known."""

    def advance(self, done: int) -> None:
        """``done`` more of the phase's units are checked (negative: a pass starts again)."""


@dataclass(frozen=True)
class Coverage:
    """Exactly what a verification covered."""

    scope: str
    positions_from: int  # the first log position read
    positions_to: int  # the last (positions are gap-free: a gap is a finding)
    events: int
    submissions: int
    checkpoints: int
    since_checkpoint: int | None  # the size of the checkpoint it started from
    evidence_files: bool  # whether the evidence files events refer to were checked
    views_checked: bool
    view_position: int | None  # the view's tracking position it was checked up to
    view_rows: int  # view rows compared with the replay


@dataclass
class Verification:
    report: VerifyReport
    coverage: Coverage
    view: ViewReport | None = None


def latest_checkpoint(store: LedgerRecorder) -> CheckpointRow:
    """The checkpoint an incremental verification starts from; NotFound if there is none."""
    from ledger.errors import NotFound

    rows = store.checkpoints()
    if not rows:
        raise NotFound("no checkpoint to start from: run a full verification",
                       "ไม่มีจุดตรวจสอบให้เริ่ม: ใช้การตรวจสอบแบบเต็ม")
    return rows[-1]


def run_verification(ledger: Ledger, *, url: str, trusted_root: str | None,
                     checkpoint_key_id: str, since: bool = False, views: bool = True,
                     evidence: EvidenceStore | None = None,
                     external: Sequence[CheckpointRow] = (), workers: int | None = None,
                     view: RecordView | None = None,
                     progress: Progress | None = None) -> Verification:
    """Verify the ledger at ``url`` as ``tabien verify`` does: everything (``since``: what
    was appended after the latest checkpoint, keys' roles and areas included), then — with
    ``views`` — the record view (``view``, else the one at ``url``) against a replay."""
    from audit.parallel import Parallel, auto_workers

    progress = progress or Progress()
    store = ledger.store
    base = latest_checkpoint(store) if since else None
    if base is not None:
        from audit.incremental import verify_since

        progress.phase("ledger", max(0, store.count_events() - base.tree_size), "events")
        report = verify_since(store, ledger.key, checkpoint_key_id, since=base.tree_size,
                              mapper=ledger.mapper, progress=progress.advance)
    else:
        from audit.verify import verify_ledger

        total = store.count_events()
        progress.phase("ledger", total, "events")
        processes = workers if workers is not None else auto_workers(
            total, database_server=url.startswith("postgres"))
        parallel = Parallel(url, processes) if processes > 1 else None
        report = verify_ledger(store, ledger.mapper, trusted_root=trusted_root,
                               progress=progress.advance, evidence=evidence,
                               external=external, parallel=parallel)
    tail_checkpointed(report, store, external)
    checked: ViewReport | None = None
    if views:
        from projections.record_projection import open_view
        from projections.view_check import verify_view

        view = view if view is not None else open_view(url)
        progress.phase("views", view.max_tracking_id("Ledger") or 0, "positions")
        checked = verify_view(ledger.recorder, ledger.mapper, view, progress=progress.advance)
        report.findings.extend(checked.findings)
    first = base.last_notification_id + 1 if base is not None else 1
    coverage = Coverage(
        scope=SINCE_CHECKPOINT if base is not None else FULL, positions_from=first,
        positions_to=first + report.events - 1, events=report.events,
        submissions=report.submissions, checkpoints=report.checkpoints,
        since_checkpoint=base.tree_size if base is not None else None,
        evidence_files=base is None and evidence is not None,
        views_checked=checked is not None,
        view_position=checked.position if checked is not None else None,
        view_rows=checked.rows if checked is not None else 0)
    return Verification(report, coverage, checked)


def tail_checkpointed(report: VerifyReport, store: LedgerRecorder,
                      external: Sequence[CheckpointRow]) -> VerifyReport:
    """The report, with a finding if old events are covered by no checkpoint."""
    from audit.continuity import uncheckpointed_tail
    from ledger.config import checkpoint_seconds

    stale = uncheckpointed_tail(store.submissions(), [*store.checkpoints(), *external],
                                checkpoint_seconds())
    report.findings.extend(stale)
    return report
