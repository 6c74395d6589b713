"""The position registry from the record view, held to each person's ก.ค.ศ.16 built from a
replay of the ledger (both backends): holders, vacancies, renumbering, both time axes."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime

from typer.testing import CliRunner

from api.cli import app
from commands.seed import seed_area
from ledger.record import PersonnelRecord
from projections.kks16 import Kks16, build_record
from projections.positions import PositionRegistry, position_registry
from projections.record_projection import open_view, rebuild
from tests.conftest import LedgerEnv
from tests.factories import AREA, SECRET, national_id, open_person, order, write_history

OTHER_AREA = "สพป.นครศรีธรรมราช เขต 4"


def replayed_records(env: LedgerEnv, as_of: date | None = None) -> dict[str, Kks16]:
    """Every ก.ค.ศ.16 of the area, from a fresh replay of the ledger (not from the view)."""
    view = open_view(env.url)
    records = (build_record(list(env.ledger.events.get(p.record_id)), as_of=as_of)
               for p in view.people_of_area(AREA))
    return {r.national_id: r for r in records}


def in_service(record: Kks16) -> bool:
    return record.appointed_on is not None and record.left is None and record.area == AREA


def assert_holders_match(registry: PositionRegistry, records: dict[str, Kks16]) -> int:
    """Every in-service person holds exactly the number on their ก.ค.ศ.16, and nobody else
    holds anything."""
    serving = [r for r in records.values() if in_service(r)]
    for record in serving:
        position = registry.positions[record.position_number]
        assert position.holder is not None
        assert position.holder.national_id == record.national_id
        assert (position.title, position.unit) == (record.position_title, record.unit)
    holders = [p.holder.national_id for p in registry.positions.values() if p.holder]
    assert len(holders) == len(set(holders)) == len(serving)
    assert registry.conflicts == []
    return len(serving)


def test_a_seeded_area_matches_every_record(ledger_env: LedgerEnv) -> None:
    # 14 years up to 2026 include the seed's renumbering of 1 Oct 2014, retirements,
    # transfers, corrections and revocations.
    seed_area(ledger_env.ledger, ledger_env.keys, SECRET, people=20, years=14, seed=3)
    view = open_view(ledger_env.url)
    rebuild(ledger_env.ledger, view)
    mapper = ledger_env.ledger.mapper
    for as_of in (None, date(2014, 9, 30), date(2019, 1, 1)):
        registry = position_registry(view, mapper, AREA, as_of=as_of)
        assert assert_holders_match(registry, replayed_records(ledger_env, as_of)) > 0
    registry = position_registry(view, mapper, AREA)
    records = replayed_records(ledger_env)
    assert_vacancies_were_left(registry, records)
    assert_renumbered_on_1_october_2014(registry, position_registry(
        view, mapper, AREA, as_of=date(2014, 9, 30)))


def assert_vacancies_were_left(registry: PositionRegistry, records: dict[str, Kks16]) -> None:
    vacant = registry.vacant()
    assert vacant
    for position in vacant:
        last = position.history[-1]
        assert last.end is not None
        # Its last holder retired (or left otherwise), or moved to another number.
        record = records[last.national_id]
        assert record.left is not None or record.position_number != position.number


def assert_renumbered_on_1_october_2014(now: PositionRegistry,
                                        before: PositionRegistry) -> None:
    alias = next(a for a in now.aliases if a.effective == date(2014, 10, 1))
    position = now.lookup(alias.new)
    assert position is not None
    assert now.lookup(alias.old) is position
    assert alias.old in position.former_numbers
    assert alias.old in before.positions
    assert alias.new not in before.positions
    assert before.aliases == []


def small_area(env: LedgerEnv) -> datetime:
    """Hand-made careers: 7 renumbered, 8's number corrected later, 9 retires, 10 moves into
    9's post, 11's transfer is revoked, 12 moves to another area. Returns a recorded time
    before the correction."""
    people = {n: open_person(n) for n in range(7, 13)}
    people[7].record(PersonnelRecord.PositionRenumbered, effective_date=date(2014, 10, 1),
                     order=order("77/2557", date(2014, 9, 15)), old_number="1007",
                     new_number="N-1007")
    people[9].record(PersonnelRecord.LeftService, effective_date=date(2020, 10, 1),
                     order=order("50/2563", date(2020, 8, 1)), reason="retired")
    transfer(people[10], date(2021, 5, 1), "1009", "โรงเรียนปากพนัง", AREA)
    transfer(people[11], date(2016, 5, 1), "1099", "โรงเรียนสิชลพิทยาคม", AREA)
    people[11].record(PersonnelRecord.EntryRevoked, effective_date=date(2016, 6, 1),
                      order=order("90/2559", date(2016, 6, 1)), revokes=3,
                      reason="คำสั่งย้ายถูกยกเลิก")
    transfer(people[12], date(2018, 5, 1), "9001", "โรงเรียนบ้านนา", OTHER_AREA)
    write_history(env.ledger, env.keys.authority, *people.values(), purpose="careers")
    before = datetime.now(UTC)
    time.sleep(0.01)
    people[8].record(PersonnelRecord.EntryCorrected, effective_date=date(2022, 1, 5),
                     order=order("3/2565", date(2022, 1, 5)), corrects=2,
                     changes={"position_number": "2008"}, reason="เลขที่ตำแหน่งบันทึกผิด")
    write_history(env.ledger, env.keys.authority, people[8], purpose="correct a position number")
    rebuild(env.ledger, open_view(env.url))
    return before


def transfer(record: PersonnelRecord, on: date, number: str, unit: str, area: str) -> None:
    record.record(PersonnelRecord.Transferred, effective_date=on,
                  order=order(f"{on.day}/{on.year + 543}", on), position_title="ครูผู้ช่วย",
                  position_number=number, unit=unit, area=area)


def registry_of(env: LedgerEnv, as_of: date | None = None,
                known_at: datetime | None = None) -> PositionRegistry:
    return position_registry(open_view(env.url), env.ledger.mapper, AREA, as_of=as_of,
                             known_at=known_at)


def test_renumbering_keeps_both_numbers(ledger_env: LedgerEnv) -> None:
    small_area(ledger_env)
    now = registry_of(ledger_env)
    position = now.lookup("1007")
    assert position is not None
    assert position is now.lookup("N-1007")
    assert position.number == "N-1007"
    assert position.former_numbers == ["1007"]
    assert position.holder is not None
    assert position.holder.national_id == national_id(7)
    assert position.since == date(2010, 5, 16)  # the renumbering did not restart the tenure
    before = registry_of(ledger_env, as_of=date(2014, 9, 30))
    assert "1007" in before.positions
    assert before.lookup("N-1007") is None
    assert_holders_match(now, replayed_records(ledger_env))


def test_vacancies_moves_revocations_and_other_areas(ledger_env: LedgerEnv) -> None:
    small_area(ledger_env)
    registry = registry_of(ledger_env)
    retired = registry.positions["1009"]
    assert retired.holder is not None
    assert retired.holder.national_id == national_id(10)
    assert [t.national_id for t in retired.history] == [national_id(9), national_id(10)]
    assert retired.history[0].end == date(2020, 10, 1)
    assert registry.positions["1010"].vacant
    assert registry.positions["1010"].since == date(2021, 5, 1)
    between = registry_of(ledger_env, as_of=date(2021, 1, 1))
    assert between.positions["1009"].vacant
    assert between.positions["1009"].since == date(2020, 10, 1)
    # The revoked transfer never happened; the other area's post is that area's.
    assert "1099" not in registry.positions
    assert registry.positions["1011"].holder is not None
    assert "9001" not in registry.positions
    other = position_registry(open_view(ledger_env.url), ledger_env.ledger.mapper, OTHER_AREA)
    assert set(other.positions) == {"9001"}
    # The post 12 left behind keeps 12 in its history, though 12 now belongs elsewhere.
    left_behind = registry.positions["1012"]
    assert left_behind.vacant
    assert [t.national_id for t in left_behind.history] == [national_id(12)]
    assert left_behind.history[0].end == date(2018, 5, 1)
    assert_holders_match(registry, replayed_records(ledger_env))


def test_known_at_before_a_correction_shows_the_uncorrected_number(
        ledger_env: LedgerEnv) -> None:
    before = small_area(ledger_env)
    then, now = registry_of(ledger_env, known_at=before), registry_of(ledger_env)
    held_then = then.positions["1008"].holder
    assert held_then is not None
    assert held_then.national_id == national_id(8)
    assert "2008" not in then.positions
    held_now = now.positions["2008"].holder
    assert held_now is not None
    assert held_now.national_id == national_id(8)
    assert "1008" not in now.positions


def test_the_cli_lists_and_shows_positions(ledger_env: LedgerEnv) -> None:
    small_area(ledger_env)
    runner, env = CliRunner(), ledger_env.cli_env
    listed = runner.invoke(app, ["positions", "--area", AREA], env=env)
    assert listed.exit_code == 0, listed.output
    assert "vacant / ว่าง" in listed.output
    assert "N-1007" in listed.output
    vacant = runner.invoke(app, ["positions", "--vacant"], env=env)
    assert vacant.exit_code == 0, vacant.output
    assert "1010" in vacant.output
    assert "N-1007" not in vacant.output
    old = runner.invoke(app, ["positions", "--as-of", "30/9/2557"], env=env)
    assert old.exit_code == 0, old.output
    assert "1007" in old.output
    assert "N-1007" not in old.output
    shown = runner.invoke(app, ["positions", "show", "1007"], env=env)
    assert shown.exit_code == 0, shown.output
    assert "N-1007" in shown.output
    assert "1007 → N-1007" in shown.output
    assert "1 ต.ค. 2557" in shown.output
    missing = runner.invoke(app, ["positions", "show", "nope"], env=env)
    assert missing.exit_code == 2
    assert "no position" in missing.output
