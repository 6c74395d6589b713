"""The record view against the ledger: view equals replay for random careers (both backends),
the runner keeps up, and the ก.ค.ศ.16 answers in both time axes."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commands.bootstrap import KeySet, load_key_set, register_keys
from commands.seed import seed_area
from ledger.application import Ledger
from ledger.keys import KeyStore
from ledger.record import PersonnelRecord
from projections.kks16 import build_record
from projections.reading import events_from_rows, record_from_view
from projections.record_projection import open_view, rebuild, record_runner
from projections.render import to_html, to_text
from projections.store import RecordView
from tests.conftest import LedgerEnv
from tests.factories import AREA, SECRET, national_id, open_person, order, write_history
from tests.pg import database_url, fresh_schema


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> KeySet:
    store = KeyStore(tmp_path_factory.mktemp("keys"), passphrase=b"test-passphrase")
    for name in ("tabien-admin", "tabien-checkpoint", "tabien-service", "registrar-spm16",
                 "authority-spm16"):
        store.generate(name)
    return load_key_set(store)


def assert_view_equals_replay(ledger: Ledger, view: RecordView, moments: list[date]) -> int:
    """Every person's ก.ค.ศ.16 from the view equals the one from a fresh replay, as of every
    given date and as known at every given recorded time."""
    people = view.people_of_area(AREA)
    for person in people:
        replayed = list(ledger.events.get(person.record_id))
        viewed = events_from_rows(view.entries(person.record_id), ledger.mapper)
        assert viewed == replayed
        times = sorted({e.timestamp for e in replayed})
        for day in [None, *moments]:
            for known in [None, times[len(times) // 2]]:
                full = build_record(viewed, as_of=day, known_at=known)
                assert full == build_record(replayed, as_of=day, known_at=known)
                # The row-less build that payroll uses reaches the same state.
                lean = build_record(viewed, as_of=day, known_at=known, with_rows=False)
                assert (lean.salary, lean.standing, lean.rank, lean.left, lean.area,
                        lean.position_number, lean.appointed_on, lean.name) == \
                    (full.salary, full.standing, full.rank, full.left, full.area,
                     full.position_number, full.appointed_on, full.name)
    return len(people)


careers = st.tuples(st.integers(3, 12), st.integers(2, 14), st.integers(0, 10_000))


@settings(max_examples=6, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(shape=careers, moments=st.lists(st.dates(date(2005, 1, 1), date(2027, 1, 1)),
                                      max_size=3))
@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres",
                                                            marks=pytest.mark.postgres)])
def test_view_equals_replay_for_random_careers(keys: KeySet, backend: str,
                                               shape: tuple[int, int, int],
                                               moments: list[date]) -> None:
    people, years, seed = shape
    # Seeded careers carry corrections, revocations, retroactive salary orders, renumbering.
    with _fresh_url(backend) as url:
        ledger = Ledger(url=url)
        register_keys(ledger, keys, AREA)
        seed_area(ledger, keys, SECRET, people=people, years=years, seed=seed)
        view = open_view(url)
        rebuild(ledger, view)
        assert assert_view_equals_replay(ledger, view, moments) > 0
        ledger.close()


class _fresh_url:  # noqa: N801 - used as a context manager like a function
    def __init__(self, backend: str) -> None:
        self.backend = backend
        self._schema = fresh_schema()
        self._dir: Path | None = None

    def __enter__(self) -> str:
        if self.backend == "postgres":
            return database_url(self._schema.__enter__())
        import tempfile

        self._tmp = tempfile.TemporaryDirectory()
        return f"sqlite:///{self._tmp.name}/view.db"

    def __exit__(self, *args: object) -> None:
        if self.backend == "postgres":
            self._schema.__exit__(None, None, None)
        else:
            self._tmp.cleanup()


def test_the_runner_keeps_the_view_up_to_date(ledger_env: LedgerEnv) -> None:
    ledger = ledger_env.ledger
    with record_runner(ledger_env.url) as runner:
        positions = write_history(ledger, ledger_env.keys.authority, open_person(1), open_person(2),
                                  purpose="two appointments")
        runner.wait(positions[-1], timeout=20)
        assert runner.view.counts() == (4, 2)
    view = open_view(ledger_env.url)
    assert assert_view_equals_replay(ledger, view, []) == 2


def renumbered_and_corrected(env: LedgerEnv) -> tuple[datetime, str]:
    """A teacher whose position is renumbered on 1 Oct 2014 and whose appointment salary is
    corrected later; returns a recorded time between the appointment and the correction."""
    record = open_person(7, appointed=date(2012, 5, 16))
    write_history(env.ledger, env.keys.authority, record, purpose="appointment")
    before_correction = datetime.now(UTC)
    time.sleep(0.01)
    record.record(PersonnelRecord.PositionRenumbered, effective_date=date(2014, 10, 1),
                  order=order("77/2557", date(2014, 9, 15)), old_number="1007",
                  new_number="N-1007")
    record.record(PersonnelRecord.EntryCorrected, effective_date=date(2015, 1, 5),
                  order=order("3/2558", date(2015, 1, 5)), corrects=2,
                  changes={"salary": 8_700}, reason="อัตราเงินเดือนแรกบรรจุบันทึกผิดบัญชี")
    write_history(env.ledger, env.keys.authority, record, purpose="renumber and correct")
    rebuild(env.ledger, open_view(env.url))
    return before_correction, national_id(7)


def test_as_of_shows_position_numbers_before_and_after_a_renumbering(
        ledger_env: LedgerEnv) -> None:
    _, nid = renumbered_and_corrected(ledger_env)
    view, mapper = open_view(ledger_env.url), ledger_env.ledger.mapper
    assert record_from_view(view, mapper, nid, as_of=date(2014, 9, 30)).position_number == "1007"
    assert record_from_view(view, mapper, nid, as_of=date(2014, 10, 1)).position_number == \
        "N-1007"


def test_known_at_before_a_correction_shows_the_uncorrected_entry(
        ledger_env: LedgerEnv) -> None:
    before, nid = renumbered_and_corrected(ledger_env)
    view, mapper = open_view(ledger_env.url), ledger_env.ledger.mapper
    then = record_from_view(view, mapper, nid, known_at=before)
    now = record_from_view(view, mapper, nid)
    assert then.positions[0].salary == 15_050
    assert not then.positions[0].corrected
    assert now.positions[0].salary == 8_700
    assert now.positions[0].corrected
    # The text and HTML forms carry the Thai labels and Buddhist-Era dates.
    text, page = to_text(now), to_html(now)
    assert "๑๓. ตำแหน่งและอัตราเงินเดือน" in text
    assert "16 พฤษภาคม 2555" in text
    assert "[แก้ไขแล้ว]" in text
    assert "<html lang='th'>" in page
    assert "เปลี่ยนเลขที่ตำแหน่ง จาก 1007 เป็น N-1007" in page


def test_a_record_missing_from_the_view_is_a_clear_error(ledger_env: LedgerEnv) -> None:
    from ledger.errors import NotFound

    with pytest.raises(NotFound, match="record view"):
        record_from_view(open_view(ledger_env.url), ledger_env.ledger.mapper, national_id(404))
