"""The HTTP API, as each of its users meets it, on both backends: signing in, reading records,
drafting and issuing orders, the auditor's routes and user administration — what each role
may do works; what it may not gets 401 or 403, a problem detail and (403) a logged denial."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.web.accounts import LoginThrottle
from api.web.denial_limit import DenialLimit
from tests.factories import AREA, national_id
from tests.test_orders import opening_lines
from tests.web import OTHER_AREA, PASSWORD, Api, is_problem, sign_in

# ------------------------------------------------------------------ signing in


def test_signing_in_and_out(api: Api) -> None:
    # A wrong password is a 401 problem, the same as an unknown user.
    denials = api.denials()
    is_problem(sign_in(api.client, "reg", "not the password"), 401, "unauthorised")
    is_problem(sign_in(api.client, "nobody", PASSWORD), 401, "unauthorised")
    # Both failed sign-ins are logged, with the name that was tried.
    assert [d["username"] for d in api.services.accounts.denials()[denials:]] == [
        "reg", "nobody"]
    # The right one gives a bearer token that says who is signed in.
    me = api.client.get("/api/v1/me", headers=api.as_("reg"))
    assert me.json()["role"] == "registrar"
    assert me.json()["areas"] == [AREA]
    # Signing out revokes every token of the user at once; signing in again works.
    assert api.client.post("/api/v1/logout", headers=api.as_("reg")).status_code == 204
    is_problem(api.client.get("/api/v1/me", headers=api.as_("reg")), 401)
    fresh = sign_in(api.client, "reg").json()["access_token"]
    assert api.client.get("/api/v1/me",
                          headers={"Authorization": f"Bearer {fresh}"}).status_code == 200


def test_repeated_failures_are_slowed_down(api: Api) -> None:
    clock = [1000.0]
    api.services.throttle = LoginThrottle(free=3, base=2.0, clock=lambda: clock[0])
    for _ in range(3):
        is_problem(sign_in(api.client, "aud", "wrong"), 401)
    # The fourth attempt within the delay is refused before the password is even checked.
    refused = is_problem(sign_in(api.client, "aud", PASSWORD), 429, "too-many-attempts")
    assert "รอ" in refused["detail_th"]
    clock[0] += 2.5
    is_problem(sign_in(api.client, "aud", "wrong"), 401)
    # Each further failure doubles the wait: 2 s was enough before, not now.
    clock[0] += 2.5
    is_problem(sign_in(api.client, "aud", PASSWORD), 429)
    clock[0] += 2
    assert sign_in(api.client, "aud").status_code == 200


def test_parallel_guesses_get_at_most_three_tries_before_the_waits(api: Api) -> None:
    """Issue 16: the throttle checked and counted in two steps, so 60 wrong passwords sent
    at once were all checked."""
    throttle = LoginThrottle(free=3, base=60.0)
    start = threading.Barrier(60)

    def guess(_: int) -> float:
        start.wait()
        return throttle.attempt("aud", "192.0.2.7")

    with ThreadPoolExecutor(60) as pool:
        waits = list(pool.map(guess, range(60)))
    assert waits.count(0.0) == 3
    # And through the route: of 60 wrong passwords at once, 3 are checked, 57 told to wait.
    api.services.throttle = LoginThrottle(free=3, base=60.0)
    denials = api.denials()
    with ThreadPoolExecutor(12) as pool:
        answers = list(pool.map(lambda _: sign_in(api.client, "aud", "wrong").status_code,
                                range(60)))
    assert sorted(answers) == [401] * 3 + [429] * 57
    assert api.denials() == denials + 3


def test_failing_on_purpose_cannot_lock_a_user_out(api: Api) -> None:
    """Issue 16: the throttle was per user name, so anyone could keep a user from signing in
    by failing as them."""
    clock = [1000.0]
    api.services.throttle = LoginThrottle(free=3, base=60.0, clock=lambda: clock[0])
    for _ in range(6):
        sign_in(api.client, "aud", "wrong")
    is_problem(sign_in(api.client, "aud", PASSWORD), 429, "too-many-attempts")
    # The user, at another address that was not failing, signs in at once.
    elsewhere = TestClient(api.client.app, client=("198.51.100.9", 40000))
    assert sign_in(elsewhere, "aud").status_code == 200
    elsewhere.close()
    assert api.services.throttle.wait_needed("aud", "198.51.100.9") == 0.0


def test_unauthenticated_refusals_cannot_flood_the_denial_log(api: Api) -> None:
    """Issue 16: every 401 was a denial written to the log, so anyone could fill it (and slow
    its store) with requests carrying no token."""
    clock = [1000.0]
    api.services.denial_limit = DenialLimit(per_window=10, clock=lambda: clock[0])
    denials = api.denials()
    for _ in range(200):
        is_problem(api.client.get("/api/v1/me", headers={"Authorization": "Bearer junk"}), 401)
    # Ten logged one by one; the rest counted, and the count is in the auditor's answer.
    assert api.denials() == denials + 10
    shown = api.client.get("/api/v1/audit/denials", headers=api.as_("aud")).json()
    assert "190 more refusal(s) of unauthenticated requests from testclient" in shown[-1][
        "reason"]
    # A signed-in user's refusals are all logged, however many.
    for _ in range(15):
        is_problem(api.client.get("/api/v1/users", headers=api.as_("reg")), 403)
    assert api.denials() == denials + 10 + 15
    # Another address is not held back by this one's flood.
    elsewhere = TestClient(api.client.app, client=("198.51.100.9", 40000))
    is_problem(elsewhere.get("/api/v1/me"), 401)
    elsewhere.close()
    assert api.denials() == denials + 10 + 15 + 1
    # A minute on, the count is logged as one denial, then the next refusal itself.
    clock[0] += 61
    is_problem(api.client.get("/api/v1/me"), 401)
    logged = api.services.accounts.denials()
    assert "190 more refusal(s)" in logged[-2]["reason"]
    assert logged[-1]["path"] == "/api/v1/me"
    assert api.denials() == denials + 10 + 15 + 1 + 2
    shown = api.client.get("/api/v1/audit/denials", headers=api.as_("aud")).json()
    assert not any("more refusal" in d["reason"] for d in shown[len(logged):])


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer not-a-token", "Basic abc",
                                    "Bearer a.b.c"])
def test_without_a_valid_token_everything_is_401(api: Api, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    events = api.events()
    for method, path in [("get", f"/api/v1/records/{national_id(1)}"), ("get", "/api/v1/me"),
                         ("post", "/api/v1/orders"), ("get", "/api/v1/users"),
                         ("get", "/api/v1/audit/checkpoints")]:
        denials = api.denials()
        response = getattr(api.client, method)(path, headers=headers)
        is_problem(response, 401)
        assert response.headers["www-authenticate"] == "Bearer"
        # Each refusal is logged, naming no user since none was shown.
        assert api.denials() == denials + 1
        last = api.services.accounts.denials()[-1]
        assert (last["path"], last["role"]) == (path, "")
        assert "anonymous" in last["username"]
    assert api.events() == events


def test_an_expired_token_is_refused(api: Api) -> None:
    old, _claims = api.services.tokens.issue("aud", now=datetime.now(UTC) - timedelta(hours=2))
    denials = api.denials()
    is_problem(api.client.get("/api/v1/me", headers={"Authorization": f"Bearer {old}"}), 401)
    assert api.denials() == denials + 1


# ------------------------------------------------------------------ records


def test_who_reads_which_record(api: Api) -> None:
    own, other = national_id(1), national_id(2)
    allowed = [("teach", own), ("reg", own), ("auth", other), ("aud", other), ("pay", own)]
    for user, nid in allowed:
        response = api.client.get(f"/api/v1/records/{nid}", headers=api.as_(user),
                                  params={"purpose": "ตรวจสอบสิทธิ"})
        assert response.status_code == 200, (user, response.text)
        assert response.json()["national_id"] == nid
    denied = [("teach", other), ("adm", own)]
    for user, nid in denied:
        before = api.denials()
        is_problem(api.client.get(f"/api/v1/records/{nid}", headers=api.as_(user)), 403,
                    "forbidden")
        assert api.denials() == before + 1, user
    # Another area's reader is refused as if there were no such person (and logged).
    for user in ("reg-other", "auth-other"):
        before = api.denials()
        is_problem(api.client.get(f"/api/v1/records/{own}", headers=api.as_(user)), 404,
                   "not-found")
        assert api.denials() == before + 1, user
    # Every read that returned a record is in the access log, with the user and purpose.
    log = api.client.get(f"/api/v1/audit/access/{own}", headers=api.as_("aud")).json()
    assert {entry["reader"] for entry in log} >= {"teach", "reg", "pay"}
    assert all(entry["channel"] == "api" for entry in log)


@pytest.mark.parametrize("query", [{}, {"as_of": "2020-01-01"}])
@pytest.mark.parametrize("user", ["reg-other", "auth-other"])
def test_another_areas_reader_cannot_tell_whether_a_person_exists(
        api: Api, user: str, query: dict[str, str]) -> None:
    """Issue 16: a registrar of another area got 403 for a person who exists and 404 for one
    who does not, and so could learn who is on the ledger."""
    answers = []
    for nid in (national_id(1), national_id(998)):  # on the ledger in AREA; on no ledger
        events = api.events()
        for path in (f"/api/v1/records/{nid}", f"/api/v1/records/{nid}/timeline"):
            response = api.client.get(path, headers=api.as_(user), params=query)
            body = is_problem(response, 404, "not-found")
            answers.append((sorted(response.headers.items()),
                            {k: v for k, v in body.items() if k != "instance"}))
        assert api.events() == events
    assert answers[0][1] == answers[2][1]
    assert answers[1][1] == answers[3][1]
    assert [len(h) for h, _ in answers[:2]] == [len(h) for h, _ in answers[2:]]
    # The auditor still sees the refusal of the person who exists.
    denied = api.client.get("/api/v1/audit/denials", headers=api.as_("aud")).json()
    assert any(d["username"] == user for d in denied), denied


def test_a_record_as_of_a_date_and_its_timeline(api: Api) -> None:
    nid = national_id(1)
    early = api.client.get(f"/api/v1/records/{nid}", headers=api.as_("reg"),
                           params={"as_of": "2010-06-01"}).json()
    now = api.client.get(f"/api/v1/records/{nid}", headers=api.as_("reg")).json()
    assert early["salary"] < now["salary"]
    timeline = api.client.get(f"/api/v1/records/{nid}/timeline", headers=api.as_("aud"))
    assert timeline.status_code == 200
    assert [e["version"] for e in timeline.json()] == list(range(1, len(timeline.json()) + 1))


@pytest.mark.parametrize("bad", ["1234567890123", "abc", "' OR 1=1 --", "9" * 200,
                                 "%2e%2e%2f%2e%2e%2fetc%2fpasswd", "๑๒๓๔๕๖๗๘๙๐๑๒๓"])
def test_a_bad_national_id_is_a_clear_400_or_404(api: Api, bad: str) -> None:
    response = api.client.get(f"/api/v1/records/{bad}", headers=api.as_("aud"))
    assert response.status_code in (400, 404), response.text
    is_problem(response, response.status_code)


# ------------------------------------------------------------------ orders


def _draft_body(number: str = "10/2567", area: str = AREA, n: int = 11) -> dict[str, Any]:
    ref = {"authority": AREA, "order_number": number, "order_date": "2024-05-01"}
    return {"authority": AREA, "area": area, "order_number": number,
            "order_date": "2024-05-01", "title": "บรรจุและแต่งตั้ง",
            "lines": opening_lines(n, ref=ref)}


@pytest.mark.parametrize("mark", ["\u202a", "\u202e", "\u2066", "\u2069"])
def test_a_bidirectional_control_in_any_text_is_refused_naming_the_field(
        api: Api, mark: str) -> None:
    """Issue 16: API text could hold a right-to-left override, so what a form showed was not
    what the ledger kept."""
    events, denials = api.events(), api.denials()
    body = _draft_body()
    answer = is_problem(api.client.post("/api/v1/orders", json=body | {"title": f"บรรจุ{mark}"},
                                        headers=api.as_("reg")), 400, "invalid-input")
    assert "title: field title holds a bidirectional control character" in answer["detail"]
    assert "title: ช่อง title มีอักขระควบคุมทิศทางข้อความ" in answer["detail_th"]
    lines = [dict(line) for line in body["lines"]]
    lines[0]["first_name"] = f"สม{mark}ชาย"
    answer = is_problem(api.client.post("/api/v1/orders", json=body | {"lines": lines},
                                        headers=api.as_("reg")), 400)
    assert "field first_name holds a bidirectional control character" in str(answer)
    assert "ช่อง first_name มีอักขระควบคุมทิศทางข้อความ" in str(answer)
    answer = is_problem(api.client.post(
        "/api/v1/users", headers=api.as_("adm"),
        json={"username": "newreg", "password": PASSWORD, "role": "registrar",
              "areas": [AREA], "display_name": f"สม{mark}ชาย"}), 400)
    assert "display_name" in answer["detail"]
    assert "อักขระควบคุมทิศทางข้อความ" in answer["detail_th"]
    # A purpose (the access log's text) too, on the fast path and the route alike.
    for query in ({"purpose": f"ตรวจ{mark}สอบ"},
                  {"purpose": f"ตรวจ{mark}สอบ", "as_of": "2020-01-01"}):
        answer = is_problem(api.client.get(f"/api/v1/records/{national_id(1)}", params=query,
                                           headers=api.as_("reg")), 400)
        assert "purpose" in answer["detail"]
        assert "อักขระควบคุมทิศทางข้อความ" in answer["detail_th"]
    assert api.events() == events
    assert api.denials() == denials
    assert "newreg" not in [u["username"] for u in api.client.get(
        "/api/v1/users", headers=api.as_("adm")).json()]


def test_an_order_from_draft_to_issue_over_http(api: Api) -> None:
    before = api.events()
    # The registrar drafts, with an idempotency key; the same request again writes nothing.
    first = api.client.post("/api/v1/orders", json=_draft_body(), headers={
        **api.as_("reg"), "Idempotency-Key": "draft-10-2567"})
    assert first.status_code == 201, first.text
    after_draft = api.events()
    assert after_draft > before
    again = api.client.post("/api/v1/orders", json=_draft_body(), headers={
        **api.as_("reg"), "Idempotency-Key": "draft-10-2567"})
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replay"] == "true"
    assert api.events() == after_draft
    # The same key for another request is refused; the same number without a key conflicts.
    is_problem(api.client.post("/api/v1/orders", json=_draft_body("11/2567"), headers={
        **api.as_("reg"), "Idempotency-Key": "draft-10-2567"}), 409, "idempotency-key-reused")
    is_problem(api.client.post("/api/v1/orders", json=_draft_body(), headers=api.as_("reg")),
                409, "conflict")
    assert api.events() == after_draft
    path = f"/api/v1/orders/{AREA}/10/2567"
    # Checked by the registrar; issued only by the area's authority.
    check = api.client.post(f"{path}/check", headers=api.as_("reg"))
    assert check.json()["passed"], check.text
    for user in ("reg", "auth-other", "aud"):
        is_problem(api.client.post(f"{path}/issue", headers=api.as_(user)), 403)
    issued = api.client.post(f"{path}/issue", headers=api.as_("auth"))
    assert issued.status_code == 200, issued.text
    assert issued.json()["event_count"] == 3
    events = api.events()
    # Issuing again says it was issued already and writes nothing.
    again = api.client.post(f"{path}/issue", headers=api.as_("auth")).json()
    assert again["already_issued"] is True
    assert again["event_count"] == issued.json()["event_count"]
    assert api.events() == events
    assert api.client.get(path, headers=api.as_("aud")).json()["issued"] is True


def test_refused_drafts_write_nothing(api: Api) -> None:
    before = api.events()
    body = _draft_body()
    body["lines"][1]["effective_date"] = "2567-05-16"  # a Buddhist-Era year in an ISO date
    refused = is_problem(api.client.post("/api/v1/orders", json=body,
                                          headers=api.as_("reg")), 400)
    assert refused["errors"]
    is_problem(api.client.post("/api/v1/orders", json=_draft_body(area=OTHER_AREA),
                                headers=api.as_("reg")), 403)
    is_problem(api.client.post("/api/v1/orders", json=_draft_body(), headers=api.as_("auth")),
                403)
    is_problem(api.client.post("/api/v1/orders", json={"title": 1},
                                headers=api.as_("reg")), 400, "invalid-input")
    is_problem(api.client.post("/api/v1/orders", content=b"\xff\xfe not json",
                                headers={**api.as_("reg"), "content-type": "application/json"}),
                400)
    assert api.events() == before


HOSTILE = ["'; DROP TABLE ledger_events; --", "../../etc/passwd", "x" * 10_000,
           "ครู\u0000Teacher", "\ud800", "2567-13-45", "1e309", "-99999999999999999999",
           "<script>alert(1)</script>", "ก" * 300]


def _post_escaped(api: Api, body: dict[str, Any]) -> Any:
    # Sent as escaped JSON, so that a lone surrogate reaches the server as it would.
    return api.client.post("/api/v1/orders", content=json.dumps(body).encode(),
                           headers={**api.as_("reg"), "content-type": "application/json"})


@pytest.mark.parametrize("field", ["authority", "area", "order_number", "order_date"])
def test_hostile_strings_in_every_structured_order_field(api: Api, field: str) -> None:
    before = api.events()
    for value in HOSTILE:
        response = _post_escaped(api, {**_draft_body(), field: value})
        assert response.status_code in (400, 403, 409, 422), (field, value, response.text)
        is_problem(response, response.status_code)
    assert api.events() == before


def test_hostile_text_in_a_title_is_refused_or_kept_verbatim(api: Api) -> None:
    """A title is free Thai text: quotes and SQL words are text like any other and are kept
    exactly; control characters, markup and overlong titles are refused."""
    for number, value in enumerate(HOSTILE, start=20):
        response = _post_escaped(api, {**_draft_body(f"{number}/2567", n=number),
                                       "title": value})
        if response.status_code == 201:
            stored = api.services.desk.order(AREA, f"{number}/2567")
            assert stored.title == value
        else:
            is_problem(response, 400)
    assert api.services.ledger.store.count_events() > 0  # the tables are all still there


# ------------------------------------------------------------------ audit and admin


def test_the_auditors_routes(api: Api) -> None:
    from commands.bootstrap import load_key_set
    from ledger.checkpoints import create_checkpoint

    store = api.services.ledger.store
    create_checkpoint(store, load_key_set(api.services.key_store).checkpoint)
    assert api.client.get("/api/v1/audit/checkpoints", headers=api.as_("aud")).json()
    proof = api.client.get("/api/v1/audit/proof", headers=api.as_("aud"),
                           params={"position": 1})
    assert proof.status_code == 200
    assert "inclusion" in proof.text
    from tests.test_verify_job import verified

    report = verified(api)["report"]
    assert report["ok"], report
    for user in ("reg", "auth", "teach", "pay"):
        is_problem(api.client.get("/api/v1/audit/checkpoints", headers=api.as_(user)), 403)
    is_problem(api.client.get("/api/v1/audit/proof", headers=api.as_("aud"),
                               params={"position": -1}), 400)
    denials = api.client.get("/api/v1/audit/denials", headers=api.as_("aud")).json()
    assert {d["username"] for d in denials} >= {"reg", "auth", "teach", "pay"}
    assert api.client.get("/api/v1/keys", headers=api.as_("aud")).status_code == 200


def test_user_administration(api: Api) -> None:
    new = {"username": "somchai.r", "password": "a long enough password", "role": "registrar",
           "areas": [AREA], "display_name": "สมชาย"}
    added = api.client.post("/api/v1/users", json=new, headers=api.as_("adm"))
    assert added.status_code == 201, added.text
    assert "password" not in added.text
    assert "somchai.r" in [u["username"] for u in
                           api.client.get("/api/v1/users", headers=api.as_("adm")).json()]
    is_problem(api.client.post("/api/v1/users", json=new, headers=api.as_("adm")), 409)
    is_problem(api.client.post("/api/v1/users", json={**new, "username": "weak",
                                                       "password": "short"},
                                headers=api.as_("adm")), 400)
    is_problem(api.client.post("/api/v1/users", json={**new, "username": "boss",
                                                       "role": "emperor"},
                                headers=api.as_("adm")), 400)
    for user in ("reg", "aud", "teach"):
        is_problem(api.client.post("/api/v1/users", json=new, headers=api.as_(user)), 403)
    # Revoking a user's tokens locks them out until they sign in again.
    assert api.client.post("/api/v1/users/reg/revoke-tokens",
                           headers=api.as_("adm")).status_code == 204
    is_problem(api.client.get("/api/v1/me", headers=api.as_("reg")), 401)


def test_the_openapi_document_names_every_route(api: Api) -> None:
    document = api.client.get("/api/v1/openapi.json").json()
    paths = set(document["paths"])
    for path in ("/api/v1/token", "/api/v1/records/{national_id}", "/api/v1/orders",
                 "/api/v1/orders/{authority}/{number}/issue", "/api/v1/audit/proof",
                 "/api/v1/users", "/api/v1/keys"):
        assert path in paths, path
