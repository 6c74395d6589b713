"""A key writes only in its own area, and only the kinds of event its role may sign (issue 16):
refused at the write, flagged by ``verify``.

A registrar's or authority's key is registered for one education area; a submission touching
a personnel record of another area is refused — through the ledger, ``tabien append`` and the
legacy import (CLI and HTTP) — and one forced into the store past that check is named by
``tabien verify``, in one pass and split into chunks. The access log is signed by the server's
service key, which signs nothing else. On SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from uuid import UUID

import orjson
import pytest
from typer.testing import CliRunner

from api.cli import app
from audit.parallel import Parallel
from audit.verify import verify_in_chunks, verify_ledger
from commands.access import log_read
from commands.bootstrap import KeySet, add_area, load_key_set
from commands.keys import add_key
from ledger import application
from ledger.application import Ledger
from ledger.errors import NotFound, SignatureError
from ledger.identity import record_id_for
from ledger.keys import KEY_ROLES, KeyStore
from ledger.record import PersonnelRecord
from ledger.signing import SIGNERS
from ledger.vocabulary import OrderRef
from tests.conftest import LedgerEnv
from tests.factories import (
    AREA,
    SECRET,
    national_id,
    open_person,
    raise_salary,
    write_history,
)
from tests.web import OTHER_AREA, Api

DATA = Path(__file__).parent / "data" / "legacy"

OTHER = "สพม.11"


def other_keys(env: LedgerEnv) -> KeySet:
    return add_area(env.ledger, env.store, env.keys.admin, OTHER)


def opened_in(n: int, area: str, secret: bytes = SECRET) -> PersonnelRecord:
    """A person opened and appointed in ``area``."""
    record = open_person(n, secret=secret)
    if area != AREA:
        record = PersonnelRecord.open(
            record_id_for(national_id(n), secret), effective_date=date(2010, 5, 16),
            order=OrderRef(area, f"{n}/2553", date(2010, 5, 16)), national_id=national_id(n),
            prefix="นาย", first_name=f"ครู{n}", last_name="ใจดี", birth_date=date(1985, 5, 1),
            area=area)
    return record


def transfer(record: PersonnelRecord, to: str, by: str) -> None:
    record.record(PersonnelRecord.Transferred, effective_date=date(2015, 5, 1),
                  order=OrderRef(by, "9/2558", date(2015, 4, 20)), position_title="ครู",
                  position_number="4242", unit="โรงเรียนใหม่", area=to)


# ------------------------------------------------------------------ at the write


def test_a_key_of_another_area_may_not_touch_a_record(ledger_env: LedgerEnv) -> None:
    ledger, keys, theirs = ledger_env.ledger, ledger_env.keys, other_keys(ledger_env)
    ours = open_person(1)
    write_history(ledger, keys.authority, ours, purpose="บรรจุ")
    before = ledger.store.count_events()
    for signer in (theirs.registrar, theirs.authority):
        record = ledger.record(ours.id)
        raise_salary(record, date(2011, 4, 1), 99_990)
        with pytest.raises(SignatureError) as refused:
            write_history(ledger, signer, record, purpose="เลื่อนเงินเดือน")
        assert AREA in refused.value.message
        assert str(ours.id) in refused.value.message
        assert "ไม่มีสิทธิ์" in refused.value.message_th
    # Nor may it open a record in our area, nor ours in theirs.
    with pytest.raises(SignatureError):
        write_history(ledger, theirs.authority, open_person(2), purpose="เปิดทะเบียน")
    with pytest.raises(SignatureError):
        write_history(ledger, keys.authority, opened_in(3, OTHER), purpose="เปิดทะเบียน")
    assert ledger.store.count_events() == before
    # Each area's own key still writes there.
    record = ledger.record(ours.id)
    raise_salary(record, date(2011, 4, 1), 15_500)
    write_history(ledger, keys.authority, record, purpose="เลื่อนเงินเดือน")
    write_history(ledger, theirs.authority, opened_in(3, OTHER), purpose="เปิดทะเบียน")


def test_a_transfer_is_signed_by_the_area_the_person_leaves(ledger_env: LedgerEnv) -> None:
    ledger, keys, theirs = ledger_env.ledger, ledger_env.keys, other_keys(ledger_env)
    ours = open_person(1)
    write_history(ledger, keys.authority, ours, purpose="บรรจุ")
    # The receiving area may not order the person out of ours;
    record = ledger.record(ours.id)
    transfer(record, OTHER, OTHER)
    with pytest.raises(SignatureError):
        write_history(ledger, theirs.authority, record, purpose="ย้าย")
    # ours may, and from then on the record is theirs: our key may not touch it, theirs may.
    record = ledger.record(ours.id)
    transfer(record, OTHER, AREA)
    write_history(ledger, keys.authority, record, purpose="ย้าย")
    record = ledger.record(ours.id)
    raise_salary(record, date(2016, 4, 1), 20_000)
    with pytest.raises(SignatureError):
        write_history(ledger, keys.authority, record, purpose="เลื่อนเงินเดือน")
    record = ledger.record(ours.id)  # a refused submission's events are gone with it
    raise_salary(record, date(2016, 4, 1), 20_000)
    write_history(ledger, theirs.authority, record, purpose="เลื่อนเงินเดือน")
    # A transfer and what follows it in one submission need both areas.
    record = ledger.record(ours.id)
    transfer(record, AREA, OTHER)
    raise_salary(record, date(2017, 4, 1), 21_000)
    with pytest.raises(SignatureError):
        write_history(ledger, theirs.authority, record, purpose="ย้ายกลับและเลื่อนเงินเดือน")
    assert verify_ledger(ledger.store, ledger.mapper).ok


def test_tabien_append_to_another_areas_record_is_refused(ledger_env: LedgerEnv,
                                                         tmp_path: Path) -> None:
    """``tabien append`` only drafts an order; the other area's order cannot be issued for
    our person (its rules say so, and the ledger would refuse its signature anyway)."""
    ledger = ledger_env.ledger
    other_keys(ledger_env)
    secret = ledger_env.store.identity_secret()
    ours = open_person(1, secret=secret)
    write_history(ledger, ledger_env.keys.authority, ours, purpose="บรรจุ")
    before = len(list(ledger.events.get(ours.id)))
    line = {"national_id": national_id(1), "kind": "salary_raised",
            "effective_date": "2024-04-01", "new_salary": 99_990, "percent": None,
            "steps": None, "calculation_base": None, "special_compensation": 0,
            "appraisal": "ดีเด่น"}
    path = tmp_path / "entries.jsonl"
    path.write_text(orjson.dumps(line).decode(), encoding="utf-8")

    def tabien(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(app, list(args), env=ledger_env.cli_env)
        return result.exit_code, result.output

    # Without an order's number and date nothing is written at all;
    code, output = tabien("append", str(path), "--area", OTHER)
    assert code == 2, output
    assert "--number" in output
    # with them, a draft of the other area — which cannot be issued for our person.
    code, output = tabien("append", str(path), "--area", OTHER, "--number", "1/2567",
                          "--date", "2024-04-20")
    assert code == 0, output
    code, output = tabien("order", "issue", "1/2567", "--area", OTHER)
    assert code == 2, output
    assert "person.area" in output
    assert len(list(ledger.events.get(ours.id))) == before


# ------------------------------------------------------------------ at verification


def _forced(env: LedgerEnv, monkeypatch: pytest.MonkeyPatch) -> tuple[UUID, str]:
    """A submission by another area's key, written past the write's check."""
    ledger, theirs = env.ledger, other_keys(env)
    ours = open_person(1)
    write_history(ledger, env.keys.authority, ours, purpose="บรรจุ")
    record = ledger.record(ours.id)
    raise_salary(record, date(2011, 4, 1), 99_990)
    with monkeypatch.context() as patch:
        patch.setattr(Ledger, "_check_areas", lambda self, key, draft: None)
        write_history(ledger, theirs.authority, record, purpose="เลื่อนเงินเดือนนอกเขต")
    forced = ledger.store.submissions()[-1].submission
    assert forced.key_id == theirs.authority.key_id
    return ours.id, str(forced.submission_id)


def test_verify_names_a_forced_submission_and_its_record(ledger_env: LedgerEnv,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    assert CliRunner().invoke(app, ["verify"], env=ledger_env.cli_env).exit_code == 0
    record_id, submission_id = _forced(ledger_env, monkeypatch)
    result = CliRunner().invoke(app, ["verify"], env=ledger_env.cli_env)
    assert result.exit_code == 1, result.output
    flat = " ".join(result.output.split())
    assert submission_id in flat, result.output
    assert str(record_id) in flat
    assert AREA in flat
    assert "[authority]" in flat
    # In chunks, cut anywhere, the fold finds it too.
    for size in (1, 2, 5, 1_000):
        report = verify_in_chunks(ledger_env.ledger.store, ledger_env.ledger.mapper,
                                  Parallel(ledger_env.url, workers=0, chunk_size=size))
        assert report is not None
        assert not report.ok, size
        assert any(f.check == "authority" and submission_id in f.where
                   for f in report.findings), report.findings


def test_verify_follows_a_record_across_a_transfer(ledger_env: LedgerEnv,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """After a transfer, the old area's key signing for the person is the finding."""
    ledger, keys, theirs = ledger_env.ledger, ledger_env.keys, other_keys(ledger_env)
    ours = open_person(1)
    write_history(ledger, keys.authority, ours, purpose="บรรจุ")
    record = ledger.record(ours.id)
    transfer(record, OTHER, AREA)
    write_history(ledger, keys.authority, record, purpose="ย้าย")
    record = ledger.record(ours.id)
    raise_salary(record, date(2016, 4, 1), 20_000)
    write_history(ledger, theirs.authority, record, purpose="เลื่อนเงินเดือน")
    assert verify_ledger(ledger.store, ledger.mapper).ok
    record = ledger.record(ours.id)
    raise_salary(record, date(2017, 4, 1), 99_990)
    with monkeypatch.context() as patch:
        patch.setattr(Ledger, "_check_areas", lambda self, key, draft: None)
        write_history(ledger, keys.authority, record, purpose="นอกเขต")
    report = verify_ledger(ledger.store, ledger.mapper)
    assert [f.check for f in report.findings] == ["authority"]
    assert OTHER in report.findings[0].message


def test_a_ledger_under_a_cipher_is_checked_too(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Areas are read through the mapper when stored bytes are encrypted."""
    from eventsourcing.cipher import AESCipher

    from commands.bootstrap import initialise

    monkeypatch.setenv("CIPHER_TOPIC", "eventsourcing.cipher:AESCipher")
    monkeypatch.setenv("CIPHER_KEY", AESCipher.create_key(16))
    ledger = Ledger(url=f"sqlite:///{tmp_path}/tabien.db")
    try:
        store = KeyStore(tmp_path / "keys", passphrase=b"test-passphrase")
        keys = initialise(ledger, store, development=False)
        theirs = add_area(ledger, store, keys.admin, OTHER)
        assert ledger.mapper.cipher is not None
        ours = open_person(1)
        write_history(ledger, keys.authority, ours, purpose="บรรจุ")
        assert verify_ledger(ledger.store, ledger.mapper).ok
        record = ledger.record(ours.id)
        raise_salary(record, date(2011, 4, 1), 99_990)
        with monkeypatch.context() as patch:
            patch.setattr(Ledger, "_check_areas", lambda self, key, draft: None)
            write_history(ledger, theirs.authority, record, purpose="นอกเขต")
        report = verify_ledger(ledger.store, ledger.mapper)
        assert [f.check for f in report.findings] == ["authority"]
    finally:
        ledger.close()


# ------------------------------------------------------------------ the legacy import


def test_an_import_cannot_reach_another_areas_people(api: Api) -> None:
    """A registrar of สพม.16 sends, under its own area, rows that dismiss a teacher of another
    area and open a record there: those rows are rejected, everything else is imported."""
    services = api.services
    secret = services.key_store.identity_secret()
    theirs = PersonnelRecord.open(
        record_id_for(national_id(201), secret), effective_date=date(2010, 5, 16),
        order=OrderRef(OTHER_AREA, "1/2553", date(2010, 5, 16)), national_id=national_id(201),
        prefix="นาย", first_name="ครู", last_name="ต่างเขต", birth_date=date(1985, 5, 1),
        area=OTHER_AREA)
    write_history(services.ledger, services.keys_for(OTHER_AREA).authority, theirs,
                  purpose="บรรจุ")
    header_people = (DATA / "people.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    newcomer = national_id(202)
    people = "\n".join([
        header_people,
        f"{newcomer},นาย,มานะ,ต่างเขต,1/1/2530,ชาย,,,,,{OTHER_AREA},16/5/2560,1/2560,"
        f"10/5/2560,{OTHER_AREA}"])
    history = "\n".join([
        (DATA / "history.csv").read_text(encoding="utf-8").splitlines()[0],
        f"{national_id(201)},1/10/2564,พ้นจากราชการ,ครู,4410,คศ.1,,\"20,000\",โรงเรียน,,,"
        f"ไล่ออก,9/2564,15/9/2564,{AREA}"])
    before = api.events()
    response = api.client.post(
        "/api/v1/imports", headers=api.as_("reg"),
        data={"area": AREA, "order_number": "130/2569", "order_date": "2026-12-01"},
        files=[("files", ("people.csv", people.encode(), "text/csv")),
               ("files", ("history.csv", history.encode(), "text/csv"))])
    assert response.status_code == 200, response.text
    summaries = {s["file"]: s for s in response.json()["files"]}
    assert response.json()["order"]["lines"] == 0
    assert not response.json()["order"]["drafted"]
    for name in ("people.csv", "history.csv"):
        assert summaries[name]["imported"] == 0, summaries[name]
        [rejected] = summaries[name]["rejected"]
        assert OTHER_AREA in str(rejected), rejected
    assert api.events() == before
    assert services.ledger.record(theirs.id).left_on is None
    with pytest.raises(NotFound):
        services.ledger.record(record_id_for(newcomer, secret))


# ------------------------------------------------------------------ the service key


def test_the_service_key_signs_the_access_log_and_nothing_else(ledger_env: LedgerEnv) -> None:
    ledger, keys = ledger_env.ledger, ledger_env.keys
    ours = open_person(1)
    write_history(ledger, keys.authority, ours, purpose="บรรจุ")
    assert ledger.key_role(keys.service.key_id) == ("service", "")
    log_read(ledger, keys.service, ours.id, purpose="ตรวจสอบ", reader="aud")
    before = ledger.store.count_events()
    # Registrars and authorities no longer sign access entries;
    for signer in (keys.registrar, keys.authority, keys.admin):
        with pytest.raises(SignatureError, match="may not sign RecordAccess"):
            log_read(ledger, signer, ours.id, purpose="ตรวจสอบ", reader="aud")
    # the service key signs no career event, no key, no order.
    record = ledger.record(ours.id)
    raise_salary(record, date(2011, 4, 1), 15_500)
    with pytest.raises(SignatureError, match=r"may not sign (Order|PersonnelRecord) events"):
        write_history(ledger, keys.service, record, purpose="เลื่อนเงินเดือน")
    with pytest.raises(SignatureError, match="may not sign SigningKey"):
        add_key(ledger, ledger_env.store, keys.service, "sneaky", "registrar", AREA)
    assert ledger.store.count_events() == before
    assert verify_ledger(ledger.store, ledger.mapper).ok


@pytest.mark.parametrize("forced", ["registrar-logs-a-read", "service-raises-a-salary"])
def test_verify_checks_the_role_per_event_type(ledger_env: LedgerEnv, forced: str,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    ledger, keys = ledger_env.ledger, ledger_env.keys
    ours = open_person(1)
    write_history(ledger, keys.authority, ours, purpose="บรรจุ")
    everyone = frozenset(KEY_ROLES)
    with monkeypatch.context() as patch:
        patch.setattr(application, "SIGNERS", dict.fromkeys(SIGNERS, everyone))
        patch.setattr(Ledger, "_check_areas", lambda self, key, draft: None)
        patch.setattr(Ledger, "_check_orders", staticmethod(lambda key, draft: None))
        if forced == "registrar-logs-a-read":
            log_read(ledger, keys.registrar, ours.id, purpose="ตรวจสอบ", reader="aud")
            expected = "may not sign access-log events"
        else:
            record = ledger.record(ours.id)
            raise_salary(record, date(2011, 4, 1), 99_990)
            write_history(ledger, keys.service, record, purpose="เลื่อนเงินเดือน")
            expected = "may not sign career events"
    submission_id = str(ledger.store.submissions()[-1].submission.submission_id)
    report = verify_ledger(ledger.store, ledger.mapper)
    assert [f.check for f in report.findings] == ["signature"], report.findings
    assert expected in report.findings[0].message
    assert submission_id in report.findings[0].where
    chunked = verify_in_chunks(ledger.store, ledger.mapper,
                               Parallel(ledger_env.url, workers=0, chunk_size=2))
    assert chunked is not None
    assert [f.message for f in chunked.findings] == [report.findings[0].message]


def test_a_key_folder_without_a_service_key_is_told_how_to_add_one(
        ledger_env: LedgerEnv) -> None:
    """A key folder made before the service key existed: reads cannot be logged until the
    admin adds one, and the message says how."""
    ledger, store = ledger_env.ledger, ledger_env.store
    ours = open_person(1)
    write_history(ledger, ledger_env.keys.authority, ours, purpose="บรรจุ")
    store.path_for("tabien-service").unlink()
    with pytest.raises(NotFound, match="tabien keys add tabien-service --role service"):
        load_key_set(store)
    result = CliRunner().invoke(app, ["keys", "add", "tabien-service", "--role", "service"],
                                env=ledger_env.cli_env)
    assert result.exit_code == 0, result.output
    log_read(ledger, load_key_set(store).service, ours.id, purpose="ตรวจสอบ", reader="aud")
    assert verify_ledger(ledger.store, ledger.mapper).ok
