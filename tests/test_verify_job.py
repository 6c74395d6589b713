"""`POST /api/v1/audit/verify` runs the full verification of `tabien verify` as a background
job (issue 16): 202 with the job's `Location`, progress while it runs, one job at a time, and a
report that says what it covered — ok on an untouched ledger, and naming a wrong-area
submission or an edited view row. `scope=since_checkpoint` is `tabien verify --since`. Only
an auditor may start or read one. On SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time
from datetime import date
from typing import Any
from uuid import UUID

import orjson
import pytest
from fastapi.testclient import TestClient
from starlette.responses import PlainTextResponse

from api.verification import Progress, Verification
from api.web.writer import ForwardWrites
from ledger.application import Ledger
from ledger.checkpoints import create_checkpoint
from tests.conftest import LedgerEnv
from tests.factories import AREA, raise_salary, transcription
from tests.test_view_verify import a_salary_row, mark, view_sql
from tests.web import OTHER_AREA, Api, is_problem

WAIT_SECONDS = 120  # a bounded wait for a job on a few records: it takes well under a second


def start(api: Api, scope: str | None = None) -> Any:
    params = {"scope": scope} if scope is not None else {}
    return api.client.post("/api/v1/audit/verify", headers=api.as_("aud"), params=params)


def job(api: Api, job_id: str) -> dict[str, Any]:
    response = api.client.get(f"/api/v1/audit/verify/{job_id}", headers=api.as_("aud"))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def finished(api: Api, job_id: str) -> dict[str, Any]:
    """The job once it is no longer running (polled, for at most ``WAIT_SECONDS``)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        body = job(api, job_id)
        if body["status"] != "running":
            return body
        assert time.monotonic() < deadline, f"still running after {WAIT_SECONDS} s: {body}"
        time.sleep(0.05)


def verified(api: Api, scope: str | None = None) -> dict[str, Any]:
    response = start(api, scope)
    assert response.status_code == 202, response.text
    return finished(api, response.json()["job_id"])


def gate_jobs(api: Api) -> threading.Event:
    """Hold every job after its first batch of events until the event is set."""
    gate = threading.Event()
    jobs = api.services.verify_jobs
    run = jobs.run

    class Gated(Progress):
        def __init__(self, inner: Progress) -> None:
            self.inner = inner

        def phase(self, name: str, total: int | None, unit: str) -> None:
            self.inner.phase(name, total, unit)

        def advance(self, done: int) -> None:
            self.inner.advance(done)
            assert gate.wait(WAIT_SECONDS)

    def gated(scope: str, progress: Progress) -> Verification:
        return run(scope, Gated(progress))

    jobs.run = gated
    return gate


def forced(api: Api, monkeypatch: pytest.MonkeyPatch) -> tuple[UUID, str]:
    """A raise for one of our area's people signed by the other area's registrar, forced past
    the write's area check."""
    services = api.services
    ledger = services.ledger
    record_id = next(r for area, r in sorted(services.view.placements()[1], key=str)
                     if area == AREA)
    record = ledger.record(record_id)
    raise_salary(record, date(2012, 4, 1), 99_990)
    with monkeypatch.context() as patch:
        patch.setattr(Ledger, "_check_areas", lambda self, key, draft: None)
        # An order of the other area, issued by its authority: only the area is wrong.
        ledger.submit(services.keys_for(OTHER_AREA).authority,
                      transcription(OTHER_AREA, record), record, purpose="นอกเขต")
    return record_id, str(ledger.store.submissions()[-1].submission.submission_id)


# ------------------------------------------------------------------ the job


def test_the_job_answers_at_once_shows_progress_and_reports_what_it_covered(api: Api) -> None:
    gate = gate_jobs(api)
    try:
        response = start(api)
        assert response.status_code == 202, response.text
        first = response.json()
        job_id = first["job_id"]
        assert response.headers["location"] == f"/api/v1/audit/verify/{job_id}"
        assert first["status"] == "running"
        assert first["scope"] == "full"
        assert first["report"] is None
        assert first["requested_by"] == "aud"
        # Held after its first batch: running, in the ledger phase, part of the way.
        deadline = time.monotonic() + WAIT_SECONDS
        while (body := job(api, job_id))["progress"]["checked"] == 0:
            assert time.monotonic() < deadline, body
            time.sleep(0.02)
        assert body["status"] == "running", body
        assert body["status_th"] == "กำลังตรวจสอบ"
        progress = body["progress"]
        assert progress["phase"] == "ledger"
        assert progress["unit"] == "events"
        assert progress["total"] == api.events()
        assert 0 < progress["checked"] <= progress["total"]
        assert 0 < progress["percent"] <= 100
        # Asked again meanwhile: the running job, not a second one.
        again = start(api)
        assert again.status_code == 202
        assert again.json()["job_id"] == job_id
        # Other requests are served meanwhile.
        assert api.client.get("/api/v1/audit/checkpoints",
                              headers=api.as_("aud")).status_code == 200
    finally:
        gate.set()
    done = finished(api, job_id)
    assert done["status"] == "done", done
    assert done["finished_at"] is not None
    assert done["progress"]["phase"] == "done"
    assert done["progress"]["percent"] == 100
    report = done["report"]
    assert report["ok"], report["findings"]
    assert report["ok_th"] == "ถูกต้องครบถ้วน"
    view = api.services.view
    rows, _ = view.counts()
    store = api.services.ledger.store
    assert report["covered"] == {
        "scope": "full", "positions_from": 1, "positions_to": store.count_events(),
        "events": store.count_events(), "submissions": len(store.submissions()),
        "checkpoints": len(store.checkpoints()), "since_checkpoint": None,
        "evidence_files": True, "views_checked": True,
        "view_position": view.max_tracking_id("Ledger"), "view_rows": rows}
    assert rows > 0
    # A new job once the last is done.
    assert start(api).json()["job_id"] != job_id


def test_a_wrong_area_submission_makes_the_report_not_ok(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    record_id, submission_id = forced(api, monkeypatch)
    report = verified(api)["report"]
    assert not report["ok"]
    assert report["ok_th"] == "พบความผิดปกติ"
    [finding] = [f for f in report["findings"] if f["check"] == "authority"]
    assert submission_id in finding["where"]
    assert str(record_id) in finding["message"]
    assert f"which was in {AREA}" in finding["message"]
    assert finding["check_th"] == "เขตพื้นที่ของกุญแจ"
    assert finding["text"] == f"[authority] {finding['where']}: {finding['message']}"


def test_an_edited_view_row_makes_the_report_not_ok(api: Api, ledger_env: LedgerEnv) -> None:
    record_id, version, fields = a_salary_row(ledger_env)
    was = fields["new_salary"]
    fields["new_salary"] = 88_888
    with view_sql(ledger_env) as c:
        m = mark(ledger_env)
        c.execute(f"UPDATE kks16_entries SET fields = {m} WHERE record_id = {m} "
                  f"AND version = {m}", (orjson.dumps(fields), record_id, version))
    report = verified(api)["report"]
    assert not report["ok"]
    assert [f["check"] for f in report["findings"]] == ["view"], report["findings"]
    finding = report["findings"][0]
    assert f"record {UUID(str(record_id))} version {version}" in finding["where"]
    assert finding["message"] == f"field new_salary is 88888 in the view, {was} in the ledger"
    assert report["covered"]["views_checked"]


def test_since_the_checkpoint_finds_a_wrong_area_submission(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    # No checkpoint yet: nothing to start from, and no job.
    is_problem(start(api, "since_checkpoint"), 404)
    services = api.services
    checkpoint = create_checkpoint(services.ledger.store, services.operator_keys().checkpoint)
    done = verified(api, "since_checkpoint")
    assert done["report"]["ok"], done["report"]
    covered = done["report"]["covered"]
    assert covered["scope"] == "since_checkpoint"
    assert covered["since_checkpoint"] == checkpoint.tree_size
    assert covered["events"] == 0
    _record_id, submission_id = forced(api, monkeypatch)
    done = verified(api, "since_checkpoint")
    assert done["scope"] == "since_checkpoint"
    report = done["report"]
    assert not report["ok"]
    assert [f["check"] for f in report["findings"]] == ["authority"], report["findings"]
    assert submission_id in report["findings"][0]["where"]
    covered = report["covered"]
    assert covered["positions_from"] == checkpoint.last_notification_id + 1
    assert covered["positions_to"] == services.ledger.store.count_events()
    assert covered["events"] == covered["positions_to"] - covered["positions_from"] + 1 > 0
    assert covered["submissions"] == 1
    assert covered["views_checked"]


def test_only_an_auditor_starts_or_reads_a_job(api: Api) -> None:
    job_id = start(api).json()["job_id"]
    for user in ("reg", "auth", "teach", "pay", "adm"):
        before = api.denials()
        is_problem(api.client.post("/api/v1/audit/verify", headers=api.as_(user)), 403)
        is_problem(api.client.get(f"/api/v1/audit/verify/{job_id}", headers=api.as_(user)),
                   403)
        assert api.denials() == before + 2
    is_problem(api.client.get(f"/api/v1/audit/verify/{'0' * 32}", headers=api.as_("aud")), 404)
    is_problem(api.client.post("/api/v1/audit/verify", headers=api.as_("aud"),
                               params={"scope": "everything"}), 400)
    assert finished(api, job_id)["status"] == "done"


def test_a_failing_job_says_why(api: Api) -> None:
    def broken(scope: str, progress: Progress) -> Verification:
        progress.phase("ledger", 10, "events")
        raise RuntimeError("the database went away")

    api.services.verify_jobs.run = broken
    done = verified(api)
    assert done["status"] == "failed"
    assert done["status_th"] == "ตรวจสอบไม่สำเร็จ"
    assert done["report"] is None
    assert "the database went away" in done["error"]["detail"]


# ------------------------------------------------------------------ several processes


@pytest.mark.parametrize(("path", "served_here"), [
    ("/api/v1/audit/verify/3f2b9c8e7d6a4b5c9e8f7a6b5c4d3e2f", False),
    ("/api/v1/audit/checkpoints", True),
])
def test_a_read_worker_passes_the_jobs_to_the_writer(path: str, served_here: bool) -> None:
    """Jobs live in the writer process: a read worker passes even a GET of one on (here to
    no writer at all: 503 says it tried), and serves other reads itself."""
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await PlainTextResponse("here")(scope, receive, send)

    client = TestClient(ForwardWrites(app, socket_path="/nonexistent/writer.sock"))
    response = client.get(path)
    assert (response.status_code == 200) is served_here, response.text
    if not served_here:
        assert response.status_code == 503
