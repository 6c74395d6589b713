"""The HTTP API's routes beyond single orders, as each user meets them, on both backends:
salary rounds, corrections, legacy imports, payroll feeds, evidence files and signing keys —
what each role may do works; what it may not is a 403 problem and a logged denial, and a
refused request writes nothing."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path
from typing import Any

import pytest

from api.web.services import Services
from commands.access import accesses_of
from ledger.access import AreaAccess, area_access_id_for
from ledger.identity import record_id_for
from projections.record_projection import rebuild
from tests.factories import AREA, national_id, open_person, write_history
from tests.web import OTHER_AREA, Api, is_problem

DATA = Path(__file__).parent / "data" / "legacy"
IMPORT = {"area": AREA, "order_number": "130/2569", "order_date": "1/12/2569"}
SCAN = b"%PDF-1.4\n% a scanned order\n" * 40
# People whose record ids come from the key folder's identity secret, as the order desk
# computes them: the ones a correction or an attachment can reach.
OWN = [national_id(101), national_id(102)]


@pytest.fixture
def work(api: Api) -> Api:
    secret = api.services.key_store.identity_secret()
    authority = api.services.keys_for(AREA).authority
    write_history(api.services.ledger, authority, *(open_person(101 + i, secret=secret)
                                            for i in range(len(OWN))), purpose="บรรจุ")
    rebuild(api.services.ledger, api.services.view)
    return api


def _area_reads(services: Services, area: str = AREA) -> list[AreaAccess.Exported]:
    return [e for e in services.ledger.events.get(area_access_id_for(area))
            if isinstance(e, AreaAccess.Exported)]


def _denied(api: Api, user: str, method: str, path: str, **kwargs: Any) -> None:
    """A 403 problem, one more denial logged, and nothing else written."""
    events, denials = api.events(), api.denials()
    response = getattr(api.client, method)(path, headers=api.as_(user), **kwargs)
    is_problem(response, 403, "forbidden")
    assert api.denials() == denials + 1, (user, path)
    assert api.events() == events, (user, path)


# ------------------------------------------------------------------ salary rounds


def _round(people: list[str], **more: Any) -> dict[str, Any]:
    return {"area": AREA, "round_date": "2024-04-01",
            "appraisals": [{"national_id": nid, "appraisal": "ดีมาก", "percent": "2.0",
                            "calculation_base": 15_000} for nid in people], **more}


def test_a_salary_round_previewed_drafted_and_issued(work: Api) -> None:
    everyone = [national_id(n) for n in range(1, 5)] + OWN
    # Given the area's registrar previews the round: every line, the pool, no violation;
    preview = work.client.post("/api/v1/salary-rounds/preview", json=_round(everyone),
                               headers=work.as_("reg"))
    assert preview.status_code == 200, preview.text
    body = preview.json()
    assert body["ok"], body["violations"]
    assert len(body["lines"]) == len(everyone)
    assert all(line["raise_amount"] == 300 for line in body["lines"])
    # and the preview, which shows every salary of the area, is logged as an area read.
    assert [(e.reader, e.records) for e in _area_reads(work.services)] == [
        ("reg", len(everyone))]
    # A person left out is a violation, and a draft of such a round is refused whole.
    events = work.events()
    partial = work.client.post("/api/v1/salary-rounds/preview", json=_round(everyone[1:]),
                               headers=work.as_("reg")).json()
    assert not partial["ok"]
    assert partial["violations"][0]["message_th"]
    refused = work.client.post("/api/v1/salary-rounds", headers=work.as_("reg"),
                               json=_round(everyone[1:], order_number="50/2567",
                                           order_date="2024-04-20"))
    is_problem(refused, 422)
    assert work.events() == events + 1  # the one area read of the second preview
    # When the registrar drafts the clean round, it is drafted as one order and checked;
    drafted = work.client.post("/api/v1/salary-rounds", headers=work.as_("reg"),
                               json=_round(everyone, order_number="50/2567",
                                           order_date="2024-04-20"))
    assert drafted.status_code == 201, drafted.text
    assert drafted.json()["order"]["lines"] == len(everyone)
    assert drafted.json()["order"]["failures"] == []
    # then the area's authority issues it, one event per person and the order's own.
    issued = work.client.post(f"/api/v1/orders/{AREA}/50/2567/issue", headers=work.as_("auth"))
    assert issued.status_code == 200, issued.text
    assert issued.json()["event_count"] >= len(everyone)


def test_who_may_run_a_salary_round(work: Api) -> None:
    body = _round([national_id(1)])
    for user in ("reg-other", "auth-other", "pay", "aud", "teach", "adm"):
        _denied(work, user, "post", "/api/v1/salary-rounds/preview", json=body)
    draft = {**body, "order_number": "51/2567", "order_date": "2024-04-20"}
    for user in ("auth", "reg-other", "aud"):
        _denied(work, user, "post", "/api/v1/salary-rounds", json=draft)


# ------------------------------------------------------------------ corrections


def _correction(**more: Any) -> dict[str, Any]:
    return {"national_id": OWN[0], "area": AREA, "version": 2, "reason": "พิมพ์เงินเดือนผิด",
            "order_number": "60/2567", "order_date": "2024-06-01",
            "changes": {"salary": 15_100}, **more}


def test_a_correction_drafted_by_the_registrar_and_issued_by_the_authority(work: Api) -> None:
    drafted = work.client.post("/api/v1/corrections", json=_correction(),
                               headers={**work.as_("reg"), "Idempotency-Key": "corr-1"})
    assert drafted.status_code == 201, drafted.text
    assert drafted.json()["failures"] == []
    again = work.client.post("/api/v1/corrections", json=_correction(),
                             headers={**work.as_("reg"), "Idempotency-Key": "corr-1"})
    assert again.headers["idempotent-replay"] == "true"
    issued = work.client.post(f"/api/v1/orders/{AREA}/60/2567/issue", headers=work.as_("auth"))
    assert issued.status_code == 200, issued.text
    rebuild(work.services.ledger, work.services.view)
    record = work.client.get(f"/api/v1/records/{OWN[0]}", headers=work.as_("reg")).json()
    assert record["salary"] == 15_100
    # The original entry stays in the history, marked as corrected.
    assert any(row["corrected"] for row in record["positions"])


def test_refused_corrections_write_nothing(work: Api) -> None:
    events = work.events()
    for body in (_correction(revoke=True),  # both changes and revoke
                 _correction(changes=None),  # neither
                 _correction(version=0), _correction(reason="<b>x</b>"),
                 _correction(order_number="60-2567")):
        is_problem(work.client.post("/api/v1/corrections", json=body,
                                     headers=work.as_("reg")), 400)
    assert work.events() == events
    for user in ("reg-other", "auth", "aud", "teach"):
        _denied(work, user, "post", "/api/v1/corrections", json=_correction())


# ------------------------------------------------------------------ legacy imports


def _files(*names: str) -> list[tuple[str, tuple[str, bytes, str]]]:
    return [("files", (name, (DATA / name).read_bytes(), "text/csv")) for name in names]


def test_legacy_files_imported_over_http(work: Api) -> None:
    events = work.events()
    # A dry run reports and writes nothing;
    dry = work.client.post("/api/v1/imports", files=_files("people.csv", "history.csv"),
                           data={**IMPORT, "dry_run": "true"}, headers=work.as_("reg"))
    assert dry.status_code == 200, dry.text
    assert work.events() == events
    summaries = {s["file"]: s for s in dry.json()["files"]}
    assert summaries["people.csv"]["read"] == 4
    planned = dry.json()["order"]
    assert planned["drafted"] is False
    assert planned["lines"] == sum(s["imported"] for s in summaries.values()) > 0
    # the real run drafts the order the dry run showed; the authority issues it; a second
    # run finds it all present.
    real = work.client.post("/api/v1/imports", files=_files("people.csv", "history.csv"),
                            data=IMPORT, headers=work.as_("reg"))
    assert real.status_code == 200, real.text
    assert {**real.json()["order"], "drafted": False} == planned
    order = f"/api/v1/orders/{AREA}/{IMPORT['order_number']}"
    assert work.client.post(f"{order}/check", headers=work.as_("reg")).status_code == 200
    issued = work.client.post(f"{order}/issue", headers=work.as_("auth"))
    assert issued.status_code in (200, 201), issued.text
    again = work.client.post("/api/v1/imports", files=_files("people.csv", "history.csv"),
                             data={**IMPORT, "order_number": "131/2569"},
                             headers=work.as_("reg"))
    assert all(s["imported"] == 0 for s in again.json()["files"])
    assert again.json()["order"]["drafted"] is False


def test_refused_imports_write_nothing(work: Api) -> None:
    events = work.events()
    garbage = [("files", ("../../etc/passwd", b"\xff\xfe\x00 not a csv", "text/csv"))]
    refused = work.client.post("/api/v1/imports", files=garbage, data=IMPORT,
                               headers=work.as_("reg"))
    body = is_problem(refused, 400)
    # The file is named by its plain name only: no path of the sender's reaches the server.
    assert "passwd" in body["detail"]
    assert "../" not in body["detail"]
    is_problem(work.client.post("/api/v1/imports", data=IMPORT,
                                 headers=work.as_("reg")), 400)
    assert work.events() == events
    for user in ("reg-other", "auth", "aud", "pay", "teach"):
        _denied(work, user, "post", "/api/v1/imports", files=_files("people.csv"),
                data=IMPORT)


def _history_with_a_huge_cell() -> bytes:
    """history.csv with one cell of its second data row (row 3) past the csv module's
    field limit."""
    lines = (DATA / "history.csv").read_text(encoding="utf-8-sig").splitlines()
    lines[2] = lines[2] + "x" * (csv.field_size_limit() + 1)
    return "\n".join(lines).encode()


def test_a_cell_over_the_csv_field_limit_is_refused_naming_its_row(work: Api) -> None:
    """Issue 16: a cell longer than the csv module's field limit was a 500."""
    events = work.events()
    response = work.client.post("/api/v1/imports", data=IMPORT,
                                files=[("files", ("history.csv", _history_with_a_huge_cell(),
                                                  "text/csv"))], headers=work.as_("reg"))
    body = is_problem(response, 400, "invalid-input")
    assert "history.csv: row 3 has a cell longer than 131,072 characters" in body["detail"]
    assert "แถวที่ 3" in body["detail_th"]
    assert work.events() == events


# ------------------------------------------------------------------ payroll


def test_the_payroll_officer_exports_the_month(work: Api) -> None:
    feed = work.client.get(f"/api/v1/payroll/{AREA}/2024-05", headers=work.as_("pay"))
    assert feed.status_code == 200, feed.text
    body = feed.json()
    assert len(body["lines"]) == 6
    assert body["total"] == sum(line["total"] for line in body["lines"])
    csv = work.client.get(f"/api/v1/payroll/{AREA}/2024-05", params={"format": "csv"},
                          headers=work.as_("pay"))
    assert csv.content.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, for Excel
    assert csv.headers["content-type"].startswith("text/csv")
    # Each export is an area read in the access log, naming how many records it read.
    assert [(e.reader, e.records) for e in _area_reads(work.services)] == [("pay", 6)] * 2
    is_problem(work.client.get(f"/api/v1/payroll/{AREA}/2567-05", headers=work.as_("pay")),
                400)
    is_problem(work.client.get(f"/api/v1/payroll/{AREA}/2024-05", params={"format": "exe"},
                                headers=work.as_("pay")), 400)
    for user in ("reg", "auth", "aud", "teach", "adm"):
        _denied(work, user, "get", f"/api/v1/payroll/{AREA}/2024-05")
    _denied(work, "pay", "get", f"/api/v1/payroll/{OTHER_AREA}/2024-05")


# ------------------------------------------------------------------ evidence


def _attach(api: Api, user: str, nid: str = OWN[0], **more: Any) -> Any:
    fields = {"to": "2", "description": "สำเนาคำสั่งบรรจุ", "order_number": "12/2567",
              "order_date": "2024-04-01", **more}
    return api.client.post(f"/api/v1/records/{nid}/evidence", data=fields,
                           files={"file": ("คำสั่ง.pdf", SCAN, "application/pdf")},
                           headers=api.as_(user))


def test_an_evidence_file_attached_and_read_back(work: Api) -> None:
    attached = _attach(work, "reg")
    assert attached.status_code == 201, attached.text
    sha256 = hashlib.sha256(SCAN).hexdigest()
    assert attached.json()["sha256"] == sha256
    rebuild(work.services.ledger, work.services.view)
    # The area's readers and the auditor get the file back, with the signed media type;
    for user in ("reg", "auth", "aud"):
        response = work.client.get(f"/api/v1/evidence/{sha256}", headers=work.as_(user))
        assert response.status_code == 200, response.text
        assert response.content == SCAN
        assert response.headers["content-type"] == "application/pdf"
        assert response.headers["content-disposition"] == (
            "attachment; filename=\"evidence.pdf\"; "
            "filename*=UTF-8''%E0%B8%84%E0%B8%B3%E0%B8%AA%E0%B8%B1%E0%B9%88%E0%B8%87.pdf")
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["content-security-policy"] == "default-src 'none'; sandbox"
    # each read is in the record's access log;
    secret = work.services.key_store.identity_secret()
    readers = [e.reader for e in accesses_of(work.services.ledger,
                                             record_id_for(OWN[0], secret))]
    assert readers == ["reg", "auth", "aud"]
    # a teacher whose record it is not, and another area, are refused and logged, and
    # answered as for a file no record refers to: nothing tells them it is on a record.
    unknown = work.client.get(f"/api/v1/evidence/{'0' * 64}", headers=work.as_("aud"))
    is_problem(unknown, 404)
    for user in ("teach", "reg-other", "auth-other"):
        events, denials = work.events(), work.denials()
        hidden = work.client.get(f"/api/v1/evidence/{sha256}", headers=work.as_(user))
        is_problem(hidden, 404, "not-found")
        assert {k: v for k, v in hidden.json().items() if k != "instance"} == {
            k: v for k, v in unknown.json().items() if k != "instance"}
        assert (work.denials(), work.events()) == (denials + 1, events), user
    for bad in ("..%2F..%2Fetc%2Fpasswd", "not-a-hash", "A" * 65):
        response = work.client.get(f"/api/v1/evidence/{bad}", headers=work.as_("aud"))
        assert response.status_code in (400, 404), response.text
        is_problem(response, response.status_code)


@pytest.mark.parametrize(("name", "media_type", "ascii_name"), [
    ("หน้า.html", "text/html", "evidence.html"),
    ("logo.svg", "image/svg+xml", "logo.svg"),
    ("page.xhtml", "application/xhtml+xml", "page.xhtml"),
    ("a\"; b.htm", None, "a_22_b.htm"),  # the test client sends the quote as %22
])
def test_an_html_or_svg_evidence_file_is_never_shown_inline(
        work: Api, name: str, media_type: str | None, ascii_name: str) -> None:
    """Issue 16: an uploaded HTML or SVG file was served with its own type, so a reader who
    opened its link ran whatever script it held with their session."""
    page = b"<html><script>fetch('/api/v1/records')</script></html>" + name.encode()
    upload = (name, page, media_type) if media_type else (name, page)
    attached = work.client.post(
        f"/api/v1/records/{OWN[0]}/evidence", headers=work.as_("reg"), files={"file": upload},
        data={"to": "0", "description": "หน้าเว็บ", "order_number": "1/2567",
              "order_date": "2024-04-01"})
    assert attached.status_code == 201, attached.text
    rebuild(work.services.ledger, work.services.view)
    response = work.client.get(f"/api/v1/evidence/{attached.json()['sha256']}",
                               headers=work.as_("reg"))
    assert response.status_code == 200, response.text
    assert response.content == page
    assert response.headers["content-type"] == "application/octet-stream"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith(f'attachment; filename="{ascii_name}"; filename*=UTF-8\'\'')
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-security-policy"] == "default-src 'none'; sandbox"


def test_a_bidirectional_control_in_a_form_or_an_import_is_refused(work: Api) -> None:
    """Issue 16: text with a right-to-left override came in through forms and imports."""
    events = work.events()
    answer = is_problem(_attach(work, "reg", description="สำเนา\u202eคำสั่ง"), 400)
    assert "description" in answer["detail"]
    assert "อักขระควบคุมทิศทางข้อความ" in answer["detail_th"]
    people = (DATA / "people.csv").read_text(encoding="utf-8-sig").splitlines()
    people[1] = people[1].replace(people[1].split(",")[2], "\u2067" + people[1].split(",")[2], 1)
    imported = work.client.post("/api/v1/imports", data=IMPORT,
                                files=[("files", ("people.csv", "\n".join(people).encode(),
                                                  "text/csv"))], headers=work.as_("reg"))
    assert imported.status_code == 200, imported.text
    [summary] = imported.json()["files"]
    [rejected] = summary["rejected"]
    assert rejected["line"] == 2
    assert "bidirectional control character" in rejected["reason_en"]
    assert "อักขระควบคุมทิศทางข้อความ" in rejected["reason_th"]
    assert work.events() == events + 1  # the transcription's draft, without the row
    assert imported.json()["order"]["lines"] == summary["imported"] == summary["read"] - 1


def test_refused_attachments_write_nothing(work: Api) -> None:
    events = work.events()
    for bad in ({"to": "-1"}, {"to": "99"}, {"description": "<script>"},
                {"order_number": "../1"}, {"order_date": "2567-13-01"}):
        response = _attach(work, "reg", **bad)
        assert response.status_code in (400, 422), (bad, response.text)
        is_problem(response, response.status_code)
    is_problem(_attach(work, "reg", nid=national_id(999)), 404)
    assert work.events() == events
    denials = work.denials()
    is_problem(_attach(work, "reg-other"), 404, "not-found")  # as if there were no such person
    assert work.denials() == denials + 1
    assert work.events() == events
    for user in ("auth", "aud", "teach"):
        _denied(work, user, "post", f"/api/v1/records/{OWN[0]}/evidence",
                data={"to": "0", "description": "x", "order_number": "1/2567",
                      "order_date": "2024-04-01"},
                files={"file": ("a.pdf", SCAN, "application/pdf")})


# ------------------------------------------------------------------ keys


def test_the_admin_adds_rotates_and_revokes_keys(work: Api) -> None:
    added = work.client.post("/api/v1/keys", headers=work.as_("adm"),
                             json={"name": "registrar-spm16-spare", "role": "registrar",
                                   "area": AREA, "valid_days": 365})
    assert added.status_code == 201, added.text
    is_problem(work.client.post("/api/v1/keys", headers=work.as_("adm"),
                                 json={"name": "registrar-spm16-spare", "role": "registrar",
                                       "area": AREA}), 409)
    for name in ("../escape", "bad\u0000name", ".hidden", "x" * 100):
        is_problem(work.client.post("/api/v1/keys", headers=work.as_("adm"),
                                     json={"name": name, "role": "registrar", "area": AREA}),
                    400)
    # Rotating the area's registrar key: the registrar's next write is signed by the new one.
    rotated = work.client.post("/api/v1/keys/registrar-spm16/rotate", headers=work.as_("adm"),
                               json={"new_name": "registrar-spm16-2"})
    assert rotated.status_code == 200, rotated.text
    new_key_id = rotated.json()["key_id"]
    drafted = work.client.post("/api/v1/corrections", json=_correction(),
                               headers=work.as_("reg"))
    assert drafted.status_code == 201, drafted.text
    [last] = work.services.ledger.store.submissions()[-1:]
    assert last.submission.key_id == new_key_id
    revoked = work.client.post("/api/v1/keys/registrar-spm16-spare/revoke",
                               headers=work.as_("adm"), json={"reason": "ไม่ได้ใช้"})
    assert revoked.json()["revoked_at"] is not None
    is_problem(work.client.post("/api/v1/keys/no-such-key/revoke", headers=work.as_("adm"),
                                 json={"reason": "x"}), 404)
    for user in ("aud", "reg", "auth"):
        _denied(work, user, "post", "/api/v1/keys",
                json={"name": "k-" + user, "role": "registrar", "area": AREA})
        _denied(work, user, "post", "/api/v1/keys/registrar-spm16-2/revoke",
                json={"reason": "x"})
