"""Every career event is a line of an order its area's authority issued (issue 16).

Attacks, each refused at the write and — forced into the store past that check — named by
``tabien verify`` (exit 1, check ``[authority]``), on SQLite and PostgreSQL:

* a career event with no issued order (a registrar's or even an authority's raise);
* an order issued with a registrar's key, or with another area's authority key;
* an issued order carrying events that cite another order.

The legacy import is an order too: the registrar drafts a transcription, the registrar
cannot issue it, the authority can; rows after the area's cut-over go through the rules.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app
from audit.verify import verify_ledger
from commands.bootstrap import add_area
from ledger.application import Ledger
from ledger.errors import SignatureError
from ledger.keys import Signer
from ledger.order import Order
from ledger.record import PersonnelRecord
from ledger.rules.career import ruleset_version
from ledger.vocabulary import OrderRef
from tests.conftest import LedgerEnv
from tests.factories import AREA, open_person, write_history
from tests.web import Api

OTHER = "สพม.11"
RAISE_ORDER = OrderRef(AREA, "50/2554", date(2011, 3, 20))


def _raised(ledger: Ledger, record_id: object, order: OrderRef = RAISE_ORDER) -> PersonnelRecord:
    record = ledger.record(record_id)  # type: ignore[arg-type]
    record.record(PersonnelRecord.SalaryRaised, effective_date=date(2011, 4, 1), order=order,
                  new_salary=99_990, percent=None, steps=None, calculation_base=None,
                  special_compensation=0, appraisal="ดีเด่น")
    return record


def _issued(order_ref: OrderRef, area: str, line_count: int = 1) -> Order:
    """An order for ``order_ref`` taken through draft, check and issue in memory."""
    order = Order.draft(authority=order_ref.authority, area=area,
                        order_number=order_ref.order_number, order_date=order_ref.order_date,
                        title="เลื่อนเงินเดือน", lines=[{"kind": "salary_raised"}] * line_count)
    order.record_check(ruleset_version(), [])
    order.issue(ruleset_version(), line_count + 1, f"test:{order.id}")
    return order


def _verify_cli(env: LedgerEnv) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["verify", "--no-views"], env=env.cli_env)
    return result.exit_code, " ".join(result.output.split())


@pytest.fixture
def person(ledger_env: LedgerEnv) -> object:
    record = open_person(1)
    write_history(ledger_env.ledger, ledger_env.keys.authority, record)
    return record.id


# ------------------------------------------------------------------ at the write


def test_a_career_event_without_an_issued_order_is_refused(ledger_env: LedgerEnv,
                                                           person: object) -> None:
    ledger, keys = ledger_env.ledger, ledger_env.keys
    before = ledger.store.count_events()
    for signer in (keys.registrar, keys.authority):
        with pytest.raises(SignatureError) as refused:
            ledger.submit(signer, _raised(ledger, person), purpose="เลื่อนเงินเดือน")
        assert "not lines of an order" in str(refused.value.details or refused.value.message)
        assert "คำสั่ง" in refused.value.message_th
    assert ledger.store.count_events() == before


def test_only_the_areas_authority_issues_an_order(ledger_env: LedgerEnv,
                                                  person: object) -> None:
    ledger, keys = ledger_env.ledger, ledger_env.keys
    theirs = add_area(ledger, ledger_env.store, keys.admin, OTHER)
    before = ledger.store.count_events()
    signers: list[Signer] = [keys.registrar, theirs.authority]
    for signer in signers:
        with pytest.raises(SignatureError):
            ledger.submit(signer, _issued(RAISE_ORDER, AREA), _raised(ledger, person),
                          purpose="เลื่อนเงินเดือน")
    # Events citing another order than the one issued with them.
    with pytest.raises(SignatureError, match="which is not an order issued"):
        ledger.submit(keys.authority, _issued(RAISE_ORDER, AREA),
                      _raised(ledger, person, OrderRef(AREA, "51/2554", date(2011, 3, 20))),
                      purpose="เลื่อนเงินเดือน")
    assert ledger.store.count_events() == before
    # The authority of the area, with events citing the order it issues: written, and intact.
    ledger.submit(keys.authority, _issued(RAISE_ORDER, AREA), _raised(ledger, person),
                  purpose="เลื่อนเงินเดือน")
    assert verify_ledger(ledger.store, ledger.mapper).ok


# ------------------------------------------------------------------ at verification


@pytest.mark.parametrize("attack", ["no-order", "registrar-issues", "other-authority-issues",
                                    "cites-another-order"])
def test_verify_names_a_forced_submission(ledger_env: LedgerEnv, person: object, attack: str,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    ledger, keys = ledger_env.ledger, ledger_env.keys
    theirs = add_area(ledger, ledger_env.store, keys.admin, OTHER)
    assert _verify_cli(ledger_env)[0] == 0
    with monkeypatch.context() as patch:
        # Past the write's checks, as a writer with the database's password could.
        patch.setattr(Ledger, "_check_orders", staticmethod(lambda key, draft: None))
        patch.setattr(Ledger, "_check_areas", lambda self, key, draft: None)
        if attack == "no-order":
            ledger.submit(keys.registrar, _raised(ledger, person), purpose="เลื่อนเงินเดือน")
            expected = "1 career event(s) are not lines of an order issued in this submission"
        elif attack == "registrar-issues":
            ledger.submit(keys.registrar, _issued(RAISE_ORDER, AREA), _raised(ledger, person),
                          purpose="เลื่อนเงินเดือน")
            expected = f"was issued with a registrar's key of {AREA}"
        elif attack == "other-authority-issues":
            ledger.submit(theirs.authority, _issued(RAISE_ORDER, AREA),
                          _raised(ledger, person), purpose="เลื่อนเงินเดือน")
            expected = f"was issued with an authority's key of {OTHER}"
        else:
            ledger.submit(keys.authority, _issued(RAISE_ORDER, AREA),
                          _raised(ledger, person, OrderRef(AREA, "9/2554", date(2011, 3, 1))),
                          purpose="เลื่อนเงินเดือน")
            expected = "cite คำสั่ง สพม.16 ที่ 9/2554 ลว. 2011-03-01"
    submission_id = str(ledger.store.submissions()[-1].submission.submission_id)
    code, output = _verify_cli(ledger_env)
    assert code == 1, output
    assert "[authority]" in output
    assert submission_id in output
    assert expected in output, output


def test_the_demo_history_and_an_issued_order_verify(ledger_env: LedgerEnv,
                                                     person: object) -> None:
    ledger, keys = ledger_env.ledger, ledger_env.keys
    ledger.submit(keys.authority, _issued(RAISE_ORDER, AREA), _raised(ledger, person),
                  purpose="เลื่อนเงินเดือน")
    code, output = _verify_cli(ledger_env)
    assert code == 0, output


# ------------------------------------------------------------------ the import as an order


def _import(api: Api, user: str, rows: str, **form: str) -> dict[str, object]:
    header = (Path(__file__).parent / "data" / "legacy" / "history.csv").read_text(
        encoding="utf-8").splitlines()[0]
    response = api.client.post(
        "/api/v1/imports", headers=api.as_(user),
        data={"area": AREA, "order_number": "130/2569", "order_date": "2026-12-01", **form},
        files=[("files", ("history.csv", f"{header}\n{rows}".encode(), "text/csv"))])
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def test_an_import_is_a_transcription_the_authority_issues(api: Api) -> None:
    from tests.factories import national_id

    # A raise far beyond any range, dated 1 October 2564 (before the cut-over: copied as the
    # legacy record has it) — the registrar's dry run shows what the authority would sign.
    row = (f"{national_id(1)},1/10/2564,เลื่อนขั้นเงินเดือน,ครูผู้ช่วย,1001,ครูผู้ช่วย,,\"99,990\","
           f"โรงเรียนปากพนัง,,,ดี,5/2564,20/9/2564,{AREA}")
    before = api.events()
    plan = _import(api, "reg", row, dry_run="true")
    order = plan["order"]
    assert isinstance(order, dict)
    assert (order["lines"], order["under_rules"], order["drafted"]) == (1, 0, False)
    assert order["authority"] == AREA
    assert api.events() == before
    order = _import(api, "reg", row)["order"]
    assert isinstance(order, dict)
    assert order["drafted"] is True
    path = f"/api/v1/orders/{AREA}/130/2569"
    shown = api.client.get(path, headers=api.as_("auth")).json()
    assert (shown["cut_over"], shown["lines"], shown["issued"]) == ("2026-12-01", 1, False)
    assert api.client.post(f"{path}/check", headers=api.as_("reg")).status_code == 200
    # The registrar who prepared it cannot issue it; the authority can.
    assert api.client.post(f"{path}/issue", headers=api.as_("reg")).status_code == 403
    issued = api.client.post(f"{path}/issue", headers=api.as_("auth"))
    assert issued.status_code in (200, 201), issued.text
    last = api.services.ledger.store.submissions()[-1].submission
    assert last.key_id == api.services.keys_for(AREA).authority.key_id
    assert verify_ledger(api.services.ledger.store, api.services.ledger.mapper).ok


def test_rows_after_the_cut_over_go_through_the_rules(api: Api) -> None:
    from tests.factories import national_id

    row = (f"{national_id(1)},1/10/2564,เลื่อนขั้นเงินเดือน,ครูผู้ช่วย,1001,ครูผู้ช่วย,,\"99,990\","
           f"โรงเรียนปากพนัง,,,ดี,5/2564,20/9/2564,{AREA}")
    order = _import(api, "reg", row, cut_over="2021-04-01")["order"]
    assert isinstance(order, dict)
    assert order["under_rules"] == 1
    path = f"/api/v1/orders/{AREA}/130/2569"
    checked = api.client.post(f"{path}/check", headers=api.as_("reg"))
    assert checked.status_code == 200, checked.text
    assert "salary" in checked.text  # the raise beyond the range fails a salary rule
    before = api.events()
    refused = api.client.post(f"{path}/issue", headers=api.as_("auth"))
    assert refused.status_code >= 400, refused.text
    assert api.events() == before


# ------------------------------------------------------------------ verify --since


def _since(env: LedgerEnv) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["verify", "--since", "--no-views"], env=env.cli_env)
    return result.exit_code, " ".join(result.output.split())


def test_since_the_checkpoint_holds_career_events_to_their_orders(
        ledger_env: LedgerEnv, person: object, monkeypatch: pytest.MonkeyPatch) -> None:
    """An order drafted before the checkpoint and issued after it is known to ``--since``
    (read, hash-checked, from before the window); a raise with no order is named."""
    from ledger.checkpoints import create_checkpoint

    ledger, keys = ledger_env.ledger, ledger_env.keys
    order = Order.draft(authority=AREA, area=AREA, order_number=RAISE_ORDER.order_number,
                        order_date=RAISE_ORDER.order_date, title="เลื่อนเงินเดือน",
                        lines=[{"kind": "salary_raised"}])
    ledger.submit(keys.registrar, order, purpose="ร่างคำสั่ง")
    create_checkpoint(ledger.store, keys.checkpoint)
    order.record_check(ruleset_version(), [])
    order.issue(ruleset_version(), 2, "since-test")
    ledger.submit(keys.authority, order, _raised(ledger, person), purpose="ออกคำสั่ง")
    code, output = _since(ledger_env)
    assert code == 0, output
    with monkeypatch.context() as patch:
        patch.setattr(Ledger, "_check_orders", staticmethod(lambda key, draft: None))
        ledger.submit(keys.authority, _raised(ledger, person, OrderRef(AREA, "77/2554",
                                                                        date(2011, 3, 1))),
                      purpose="ไม่มีคำสั่ง")
    code, output = _since(ledger_env)
    assert code == 1, output
    assert "not lines of an order issued in this submission" in output


def test_an_untouched_demo_ledger_verifies(ledger_env: LedgerEnv) -> None:
    """The demo's history — transcriptions each area's authority issued — passes every
    check; two areas transcribe the same Royal Gazette announcements, each its own."""
    from commands.seed import seed_area

    theirs = add_area(ledger_env.ledger, ledger_env.store, ledger_env.keys.admin, OTHER)
    for keys, area, seed in ((ledger_env.keys, AREA, 2567), (theirs, OTHER, 2568)):
        seed_area(ledger_env.ledger, keys, ledger_env.store.identity_secret(),
                  people=30, years=8, seed=seed, area=area)
    result = CliRunner().invoke(app, ["verify"], env=ledger_env.cli_env)
    assert result.exit_code == 0, result.output
    assert "intact" in result.output
