"""The auditor's verification as a background job (``POST /audit/verify``).

A full verification reads every event and replays the record view: minutes on a large
ledger, far longer than a request should wait. So the route starts it in a thread of its own
and answers at once (202, the job's id); ``GET /audit/verify/{job_id}`` says how far it has
come (phase, units checked of the total, percent) and, when it is done, the report: ok, every
finding with the check that made it, and exactly what was covered (``api.verification``).

Jobs live in the memory of the server process that runs them: a restart loses a running job
and the reports of finished ones (the newest ``KEEP`` are kept). With several worker
processes every request to ``/audit/verify`` goes to the writer process
(``api.web.writer.WRITER_ONLY_PATHS``), so that the job is always asked of the process that
has it. One verification of each scope runs at a time: asked again while it runs, the
running job is the answer. The thread reads through the server's own connection pools (a
connection per thread, as every route's), so other requests go on meanwhile; the server's
shutdown stops it at its next batch of events.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from api.verification import (
    CHECKS_TH,
    PHASES_TH,
    SCOPES_TH,
    Progress,
    Verification,
)
from ledger.errors import TabienError

__all__ = ["KEEP", "STATUS_TH", "VerifyJob", "VerifyJobs"]

_log = logging.getLogger(__name__)

KEEP = 20
"""Finished jobs kept (the oldest are forgotten first)."""

STATUS_TH = {"running": "กำลังตรวจสอบ", "done": "ตรวจสอบเสร็จแล้ว", "failed": "ตรวจสอบไม่สำเร็จ"}


class Stopped(Exception):
    """The server is shutting down: the job ends at its next batch."""


@dataclass
class VerifyJob:
    job_id: str
    scope: str
    requested_by: str
    started_at: datetime
    status: str = "running"
    phase: str = "starting"
    unit: str = "events"
    checked: int = 0
    total: int | None = None
    finished_at: datetime | None = None
    result: Verification | None = None
    error: tuple[str, str] | None = None  # (English, Thai)
    stop: threading.Event = field(default_factory=threading.Event, repr=False)

    def as_json(self) -> dict[str, Any]:
        """The job as ``GET /audit/verify/{job_id}`` answers it (``schemas.VerifyJobOut``)."""
        total = self.total
        if self.status == "done":
            percent = 100.0
        elif total:
            percent = round(min(100.0, max(0.0, 100.0 * self.checked / total)), 1)
        else:
            percent = 0.0
        body: dict[str, Any] = {
            "job_id": self.job_id, "scope": self.scope, "scope_th": SCOPES_TH[self.scope],
            "status": self.status, "status_th": STATUS_TH[self.status],
            "requested_by": self.requested_by, "started_at": self.started_at,
            "finished_at": self.finished_at,
            "progress": {"phase": self.phase, "phase_th": PHASES_TH[self.phase],
                         "unit": self.unit, "checked": max(0, self.checked), "total": total,
                         "percent": percent},
            "report": None, "error": None}
        if self.result is not None:
            report, covered = self.result.report, self.result.coverage
            body["report"] = {
                "ok": report.ok,
                "ok_th": "ถูกต้องครบถ้วน" if report.ok else "พบความผิดปกติ",
                "findings": [{"check": f.check, "check_th": CHECKS_TH.get(f.check, f.check),
                              "where": f.where, "message": f.message, "text": str(f)}
                             for f in report.findings],
                "covered": {
                    "scope": covered.scope, "positions_from": covered.positions_from,
                    "positions_to": covered.positions_to, "events": covered.events,
                    "submissions": covered.submissions, "checkpoints": covered.checkpoints,
                    "since_checkpoint": covered.since_checkpoint,
                    "evidence_files": covered.evidence_files,
                    "views_checked": covered.views_checked,
                    "view_position": covered.view_position, "view_rows": covered.view_rows}}
        if self.error is not None:
            body["error"] = {"detail": self.error[0], "detail_th": self.error[1]}
        return body


class _JobProgress(Progress):
    def __init__(self, job: VerifyJob) -> None:
        self.job = job

    def phase(self, name: str, total: int | None, unit: str) -> None:
        job = self.job
        job.phase, job.total, job.unit, job.checked = name, total, unit, 0
        if job.stop.is_set():
            raise Stopped

    def advance(self, done: int) -> None:
        self.job.checked += done
        if self.job.stop.is_set():
            raise Stopped


Runner = Callable[[str, Progress], Verification]
"""Runs a verification of a scope, telling the progress how far it is."""


class VerifyJobs:
    """The verification jobs of this server process."""

    def __init__(self, run: Runner) -> None:
        self.run = run
        self._jobs: OrderedDict[str, VerifyJob] = OrderedDict()
        self._threads: dict[str, threading.Thread] = {}
        self._lock = threading.Lock()
        self._closed = False

    def start(self, scope: str, username: str) -> tuple[VerifyJob, bool]:
        """A new job of ``scope`` (True), or the one of that scope still running (False)."""
        with self._lock:
            running = next((j for j in self._jobs.values()
                            if j.scope == scope and j.status == "running"), None)
            if running is not None:
                return running, False
            job = VerifyJob(uuid.uuid4().hex, scope, username, datetime.now(UTC))
            self._jobs[job.job_id] = job
            self._forget_old()
            thread = threading.Thread(target=self._work, args=(job,), daemon=True,
                                      name=f"verify-{job.job_id[:8]}")
            self._threads[job.job_id] = thread
            if self._closed:
                job.stop.set()
            thread.start()
            return job, True

    def get(self, job_id: str) -> VerifyJob | None:
        with self._lock:
            return self._jobs.get(job_id)

    def close(self, timeout: float = 10.0) -> None:
        """Stop the running jobs (at their next batch) and wait for them a while."""
        with self._lock:
            self._closed = True
            threads = list(self._threads.values())
            for job in self._jobs.values():
                job.stop.set()
        for thread in threads:
            thread.join(timeout=timeout)

    def _forget_old(self) -> None:
        finished = [k for k, j in self._jobs.items() if j.status != "running"]
        for job_id in finished[:max(0, len(finished) - KEEP)]:
            del self._jobs[job_id]

    def _work(self, job: VerifyJob) -> None:
        try:
            result = self.run(job.scope, _JobProgress(job))
        except Stopped:
            self._fail(job, "the server stopped before the verification ended",
                       "เครื่องแม่ข่ายหยุดทำงานก่อนการตรวจสอบเสร็จ")
        except TabienError as e:
            self._fail(job, e.message, e.message_th)
        except Exception as e:  # a database gone, a bug: the job says so, the server goes on
            _log.exception("verification job %s failed", job.job_id)
            self._fail(job, f"the verification could not run to its end: {e}",
                       f"การตรวจสอบดำเนินการไม่สำเร็จ: {e}")
        else:
            with self._lock:
                job.result = result
                job.phase = "done"
                job.finished_at = datetime.now(UTC)
                job.status = "done"
        finally:
            with self._lock:
                self._threads.pop(job.job_id, None)

    def _fail(self, job: VerifyJob, message: str, message_th: str) -> None:
        with self._lock:
            job.error = (message, message_th)
            job.finished_at = datetime.now(UTC)
            job.status = "failed"
