"""Self-service over HTTP (issue 17, item 7), on both backends: a teacher confirms her record,
asks for a change with a reason and evidence files and follows it; her area's registrar reads
the queue and declines the request or turns it into a correction order, which the authority
issues. Each other role, another area's registrar and another teacher are refused — as a 403
or, for a request they may not know of, a 404 — and a refused request writes nothing."""

from __future__ import annotations

import hashlib
from typing import Any
from uuid import UUID

import pytest

from commands.access import accesses_of
from ledger.identity import record_id_for
from ledger.self_service import ChangeRequest, RecordConfirmations, confirmations_id_for
from projections.record_projection import rebuild
from tests.factories import AREA, national_id
from tests.web import OTHER_AREA, Api, is_problem

PDF = b"%PDF-1.4\n% the salary order of 1 October 2011\n" * 20
CHANGE = {"section": "positions", "reason": "เงินเดือน 1 ต.ค. 2554 ไม่ตรงกับคำสั่งที่ 300/2554"}
QUEUE = f"/api/v1/areas/{AREA}/change-requests"


@pytest.fixture
def teacher2(api: Api) -> str:
    """A second teacher, whose record is person 2's."""
    from tests.web import PASSWORD, sign_in

    api.services.accounts.add_user("teach2", PASSWORD, role="teacher", areas=[],
                                   national_id=national_id(2))
    api.tokens["teach2"] = sign_in(api.client, "teach2").json()["access_token"]
    return "teach2"


def _submit(api: Api, user: str = "teach", *, files: Any = None,
            headers: dict[str, str] | None = None, **data: str) -> Any:
    return api.client.post("/api/v1/me/change-requests", data={**CHANGE, **data},
                           files=files if files is not None else
                           [("files", ("คำสั่ง300.pdf", PDF, "application/pdf"))],
                           headers={**api.as_(user), **(headers or {})})


def _submitted(api: Api, user: str = "teach") -> str:
    made = _submit(api, user)
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


def _refused(api: Api, status: int, user: str, method: str, path: str, *,
             denied: bool = True, **kwargs: Any) -> dict[str, Any]:
    """A problem, a denial logged if ``denied``, and nothing written to the ledger."""
    events, denials = api.events(), api.denials()
    response = getattr(api.client, method)(path, headers=api.as_(user), **kwargs)
    body = is_problem(response, status)
    assert api.denials() == denials + (1 if denied else 0), (user, path)
    assert api.events() == events, (user, path)
    return body


# ------------------------------------------------------------------ the whole story


def test_a_teacher_has_her_salary_line_corrected(api: Api) -> None:
    services = api.services
    nid = national_id(1)
    record_id = record_id_for(nid, services.key_store.identity_secret())
    # ครูนิดา (teach) reads her record and sees her salary of 1 October 2011 is 16,000;
    record = api.client.get(f"/api/v1/records/{nid}", headers=api.as_("teach")).json()
    assert record["salary"] == 16_000
    # she confirms the rest of her record as she read it (its version, 4);
    confirmed = api.client.post("/api/v1/me/confirmations", json={"record_version": 4},
                                headers=api.as_("teach"))
    assert confirmed.status_code == 201, confirmed.text
    assert confirmed.json()["record_version"] == 4
    trail = services.ledger.repository.get(confirmations_id_for(record_id))
    assert isinstance(trail, RecordConfirmations)
    assert [who for who, _, _ in trail.confirmed] == ["teach"]
    # then asks for her salary line to be changed, with the order as a PDF;
    made = _submit(api)
    assert made.status_code == 201, made.text
    request = made.json()
    assert (request["status"], request["section"], request["area"]) == (
        "submitted", "positions", AREA)
    assert request["evidence"][0]["sha256"] == hashlib.sha256(PDF).hexdigest()
    sha256 = request["evidence"][0]["sha256"]
    assert services.evidence.read_sha256(sha256) == PDF
    # the area's registrar finds it at the head of the queue;
    waiting = api.client.get(QUEUE, headers=api.as_("reg")).json()
    assert [r["id"] for r in waiting["data"]] == [request["id"]]
    assert waiting["data"][0]["national_id"] == nid
    # reads the PDF she sent (the read is in her record's access log);
    scan = api.client.get(f"/api/v1/change-requests/{request['id']}/evidence/{sha256}",
                          headers=api.as_("reg"))
    assert scan.status_code == 200, scan.text
    assert scan.content == PDF
    assert scan.headers["content-type"] == "application/pdf"
    assert [e.reader for e in accesses_of(services.ledger, record_id)][-1] == "reg"
    # drafts and checks a correction of entry 4 (the raise of 1 October 2011);
    drafted = api.client.post(
        f"/api/v1/change-requests/{request['id']}/correction",
        json={"order_number": "61/2569", "order_date": "2026-11-09", "version": 4,
              "changes": {"new_salary": 16_100}}, headers=api.as_("reg"))
    assert drafted.status_code == 201, drafted.text
    assert drafted.json()["request"]["status"] == "drafted"
    assert request["id"] in drafted.json()["order"]["title"]
    assert drafted.json()["order"]["failures"] == []
    # the teacher sees it drafted, waiting for the authority;
    mine = api.client.get(f"/api/v1/me/change-requests/{request['id']}",
                          headers=api.as_("teach")).json()
    assert mine["status"] == "drafted"
    assert mine["order"]["order_number"] == "61/2569"
    # the authority issues the order, as any order;
    issued = api.client.post(f"/api/v1/orders/{AREA}/61/2569/issue", headers=api.as_("auth"))
    assert issued.status_code == 200, issued.text
    # and the teacher sees her request done and her record corrected.
    rebuild(services.ledger, services.view)
    listed = api.client.get("/api/v1/me/change-requests", headers=api.as_("teach")).json()
    assert [(r["id"], r["status"]) for r in listed["data"]] == [(request["id"], "done")]
    assert listed["data"][0]["status_th"] == "แก้ไขแล้ว"
    record = api.client.get(f"/api/v1/records/{nid}", headers=api.as_("teach")).json()
    assert record["salary"] == 16_100


# ------------------------------------------------------------------ the teacher


def test_a_confirmation_of_a_stale_version_is_a_conflict(api: Api) -> None:
    _refused(api, 409, "teach", "post", "/api/v1/me/confirmations",
             json={"record_version": 2}, denied=False)


def test_a_confirmation_sent_twice_with_one_key_is_written_once(api: Api) -> None:
    headers = {**api.as_("teach"), "Idempotency-Key": "confirm-1"}
    first = api.client.post("/api/v1/me/confirmations", json={}, headers=headers)
    events = api.events()
    again = api.client.post("/api/v1/me/confirmations", json={}, headers=headers)
    assert again.headers["idempotent-replay"] == "true"
    assert again.json() == first.json()
    assert api.events() == events


def test_a_change_request_sent_twice_with_one_key_is_written_once(api: Api) -> None:
    first = _submit(api, headers={"Idempotency-Key": "req-1"})
    events = api.events()
    again = _submit(api, headers={"Idempotency-Key": "req-1"})
    assert again.headers["idempotent-replay"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert api.events() == events
    # The same key with another request is refused.
    is_problem(_submit(api, headers={"Idempotency-Key": "req-1"}, reason="อื่น"), 409)
    assert api.events() == events


@pytest.mark.parametrize("bad", [
    {"section": "salary"}, {"reason": ""}, {"reason": "<b>x</b>"}, {"reason": "ก" * 1001},
    {"reason": "กลับ\u202eด้าน"}])
def test_a_malformed_change_request_writes_nothing(api: Api, bad: dict[str, str]) -> None:
    events = api.events()
    is_problem(_submit(api, **bad), 400)
    assert api.events() == events


def test_too_many_evidence_files_are_refused(api: Api) -> None:
    events = api.events()
    files = [("files", (f"{n}.pdf", PDF + bytes([n]), "application/pdf")) for n in range(11)]
    is_problem(_submit(api, files=files), 400)
    assert api.events() == events


def test_a_change_request_without_files_is_accepted(api: Api) -> None:
    made = _submit(api, files=[])
    assert made.status_code == 201, made.text
    assert made.json()["evidence"] == []


def test_only_a_teacher_uses_the_teachers_routes(api: Api) -> None:
    for user in ("reg", "auth", "aud", "pay", "adm"):
        _refused(api, 403, user, "post", "/api/v1/me/confirmations", json={})
        _refused(api, 403, user, "post", "/api/v1/me/change-requests", data=CHANGE)
        _refused(api, 403, user, "get", "/api/v1/me/change-requests")


def test_a_teacher_cannot_follow_another_teachers_request(api: Api, teacher2: str) -> None:
    theirs = _submitted(api, teacher2)
    body = _refused(api, 404, "teach", "get", f"/api/v1/me/change-requests/{theirs}")
    _refused(api, 404, "teach", "get", f"/api/v1/change-requests/{theirs}/evidence/"
                                       f"{hashlib.sha256(PDF).hexdigest()}")
    unknown = is_problem(api.client.get(
        "/api/v1/me/change-requests/00000000-0000-4000-8000-000000000000",
        headers=api.as_("teach")), 404)
    assert body["code"] == unknown["code"]
    # Her own list holds only her own requests; the other teacher confirms only his record.
    assert api.client.get("/api/v1/me/change-requests",
                          headers=api.as_("teach")).json()["count"] == 0
    confirmed = api.client.post("/api/v1/me/confirmations", json={},
                                headers=api.as_(teacher2))
    assert confirmed.status_code == 201
    record_2 = record_id_for(national_id(2), api.services.key_store.identity_secret())
    record_1 = record_id_for(national_id(1), api.services.key_store.identity_secret())
    ledger = api.services.ledger
    assert len(ledger.repository.get(confirmations_id_for(record_2)).confirmed) == 1
    assert list(ledger.events.get(confirmations_id_for(record_1))) == []


def test_a_teacher_cannot_decide_her_own_request(api: Api) -> None:
    mine = _submitted(api)
    _refused(api, 403, "teach", "post", f"/api/v1/change-requests/{mine}/decline",
             json={"reason": "ไม่"})
    _refused(api, 403, "teach", "get", QUEUE)


# ------------------------------------------------------------------ the registrar


def test_the_queue_lists_waiting_requests_first(api: Api, teacher2: str) -> None:
    first, second = _submitted(api), _submitted(api, teacher2)
    declined = api.client.post(f"/api/v1/change-requests/{first}/decline",
                               json={"reason": "หลักฐานไม่ชัดเจน"}, headers=api.as_("reg"))
    assert declined.status_code == 200, declined.text
    assert declined.json()["status"] == "declined"
    listed = api.client.get(QUEUE, headers=api.as_("reg")).json()
    assert [(r["id"], r["status"]) for r in listed["data"]] == [
        (second, "submitted"), (first, "declined")]
    waiting = api.client.get(QUEUE, params={"open_only": True}, headers=api.as_("reg")).json()
    assert [r["id"] for r in waiting["data"]] == [second]
    # The teacher sees the reason.
    mine = api.client.get(f"/api/v1/me/change-requests/{first}", headers=api.as_("teach"))
    assert mine.json()["decline_reason"] == "หลักฐานไม่ชัดเจน"


def test_a_request_is_decided_once(api: Api) -> None:
    request = _submitted(api)
    decline = f"/api/v1/change-requests/{request}/decline"
    assert api.client.post(decline, json={"reason": "ไม่ครบ"},
                           headers=api.as_("reg")).status_code == 200
    _refused(api, 409, "reg", "post", decline, json={"reason": "อีกครั้ง"}, denied=False)
    _refused(api, 409, "reg", "post", f"/api/v1/change-requests/{request}/correction",
             json={"order_number": "62/2569", "order_date": "2026-11-09", "version": 4,
                   "revoke": True}, denied=False)


def test_a_decline_sent_twice_with_one_key_is_written_once(api: Api) -> None:
    request = _submitted(api)
    headers = {**api.as_("reg"), "Idempotency-Key": "decline-1"}
    path = f"/api/v1/change-requests/{request}/decline"
    first = api.client.post(path, json={"reason": "ไม่ครบ"}, headers=headers)
    events = api.events()
    again = api.client.post(path, json={"reason": "ไม่ครบ"}, headers=headers)
    assert again.headers["idempotent-replay"] == "true"
    assert again.json() == first.json()
    assert api.events() == events


def test_another_areas_registrar_learns_nothing_of_a_request(api: Api) -> None:
    request = _submitted(api)
    for method, path, kwargs in (
            ("post", f"/api/v1/change-requests/{request}/decline", {"json": {"reason": "ไม่"}}),
            ("post", f"/api/v1/change-requests/{request}/correction",
             {"json": {"order_number": "63/2569", "order_date": "2026-11-09", "version": 4,
                       "revoke": True}})):
        body = _refused(api, 404, "reg-other", method, path, **kwargs)
        assert body["code"] == "not-found"
    _refused(api, 403, "reg-other", "get", QUEUE)
    sha256 = hashlib.sha256(PDF).hexdigest()
    _refused(api, 404, "reg-other", "get",
             f"/api/v1/change-requests/{request}/evidence/{sha256}")
    assert api.client.get(f"/api/v1/areas/{OTHER_AREA}/change-requests",
                          headers=api.as_("reg-other")).json()["count"] == 0
    for user in ("auth", "aud", "pay", "adm"):
        _refused(api, 403, user, "post", f"/api/v1/change-requests/{request}/decline",
                 json={"reason": "ไม่"})


@pytest.mark.parametrize("bad", [
    {"reason": ""}, {"reason": "<script>"}, {}, {"reason": "ก" * 1001}])
def test_a_malformed_decline_writes_nothing(api: Api, bad: dict[str, str]) -> None:
    request = _submitted(api)
    _refused(api, 400, "reg", "post", f"/api/v1/change-requests/{request}/decline", json=bad,
             denied=False)


@pytest.mark.parametrize("bad", [
    {"changes": None, "revoke": False}, {"changes": {"new_salary": 1}, "revoke": True},
    {"version": 0}, {"order_number": "62-2569"}, {"order_date": "not a date"}])
def test_a_malformed_correction_writes_nothing(api: Api, bad: dict[str, Any]) -> None:
    request = _submitted(api)
    body = {"order_number": "62/2569", "order_date": "2026-11-09", "version": 4,
            "changes": {"new_salary": 16_100}, **bad}
    _refused(api, 400, "reg", "post", f"/api/v1/change-requests/{request}/correction",
             json=body, denied=False)
    found = api.services.ledger.repository.get(UUID(request))
    assert isinstance(found, ChangeRequest)
    assert found.status == "submitted"


def test_an_unknown_request_is_not_found(api: Api) -> None:
    _refused(api, 404, "reg", "post",
             "/api/v1/change-requests/00000000-0000-4000-8000-000000000000/decline",
             json={"reason": "ไม่"}, denied=False)
    _refused(api, 400, "reg", "post", "/api/v1/change-requests/not-a-uuid/decline",
             json={"reason": "ไม่"}, denied=False)
