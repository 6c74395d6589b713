"""The demo seed: deterministic, within the pay rules, and a plausible workforce over time."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.utils import get_topic

from commands.bootstrap import initialise
from commands.seed import SeedSummary, seed_area
from commands.seed._books import mistyped_order
from ledger.application import Ledger
from ledger.keys import KeyStore
from ledger.order import Order
from ledger.persistence import LogRow
from ledger.record import EVENT_KINDS
from ledger.rules import salary_range
from ledger.transcoder import CanonicalTranscoder
from ledger.vocabulary import OrderRef

PEOPLE, YEARS, UNTIL = 150, 12, date(2026, 10, 1)
KIND_OF_TOPIC = {f"{cls.__module__}:{cls.__qualname__}": kind for kind, cls in EVENT_KINDS.items()}
AMENDMENTS = {"entry_corrected", "entry_revoked"}
TRANSCRIBED_TOPIC = get_topic(Order.Transcribed)
ORDERS = {"record_opened", "appointed", "salary_raised", "salary_table_moved", "probation_passed",
          "position_changed", "standing_conferred", "transferred", "position_renumbered",
          "left_service", "discipline"}
RECORDINGS = {"education_recorded", "training_recorded", "leave_recorded", "special_skill",
              "name_changed", "decoration_conferred", *AMENDMENTS}


@dataclass(frozen=True)
class Event:
    """A stored career event: its record, version and kind, with its state typed."""

    record: str
    version: int
    kind: str
    state: dict[str, Any]

    @property
    def day(self) -> date:
        value = self.state["effective_date"]
        assert isinstance(value, date)
        return value


@dataclass
class Seeded:
    summary: SeedSummary
    content: list[tuple[str, dict[str, Any]]]
    events: list[Event]
    progress: list[int]
    signed: list[tuple[str, set[str]]]  # each career submission: the signer's role, its kinds


def seed_ledger(directory: Path, *, people: int, years: int, seed: int) -> Seeded:
    directory.mkdir(parents=True, exist_ok=True)
    ledger = Ledger(url=f"sqlite:///{directory}/t.db")
    store = KeyStore(directory / "keys", passphrase=b"test-passphrase")
    keys = initialise(ledger, store, development=False)
    progress: list[int] = []
    try:
        summary = seed_area(ledger, keys, store.identity_secret(), people=people, years=years,
                            seed=seed, until=UNTIL, progress=progress.append)
        rows = [row for row in ledger.store.iter_log() if row.topic in KIND_OF_TOPIC]
        events = [Event(str(row.originator_id), row.originator_version, KIND_OF_TOPIC[row.topic],
                        dict(vars(ledger.mapper.to_domain_event(row.stored_event()))))
                  for row in rows]
        roles = {keys.authority.key_id: "authority", keys.registrar.key_id: "registrar"}
        kinds = {row.notification_id: KIND_OF_TOPIC[row.topic] for row in rows}
        transcribed = {row.notification_id for row in ledger.store.iter_log()
                       if row.topic == TRANSCRIBED_TOPIC}
        signed = [(roles.get(item.submission.key_id, "other"),
                   {kinds[n] for n in range(item.first_notification_id,
                                            item.last_notification_id + 1) if n in kinds}
                   | {"(transcription issued)" for n in range(
                       item.first_notification_id, item.last_notification_id + 1)
                      if n in transcribed})
                  for item in ledger.store.submissions()]
    finally:
        ledger.close()
    return Seeded(summary, content(rows), events, progress,
                  [(role, kinds) for role, kinds in signed if kinds])


def content(rows: list[LogRow]) -> list[tuple[str, dict[str, Any]]]:
    """What must not vary between runs: the library's creation timestamp is left out."""
    transcoder = CanonicalTranscoder()
    return [(row.topic, {k: v for k, v in transcoder.decode(row.state).items()
                         if k != "timestamp"}) for row in rows]


def by_record(events: list[Event]) -> dict[str, list[Event]]:
    records: dict[str, list[Event]] = defaultdict(list)
    for event in events:
        records[event.record].append(event)
    return records


@pytest.fixture(scope="module")
def area(tmp_path_factory: pytest.TempPathFactory) -> Seeded:
    return seed_ledger(tmp_path_factory.mktemp("area"), people=PEOPLE, years=YEARS, seed=2567)


# ------------------------------------------------------------------ determinism

def test_same_seed_gives_same_events_and_different_seeds_differ(tmp_path: Path) -> None:
    runs = [seed_ledger(tmp_path / name, people=40, years=6, seed=number)
            for name, number in (("a", 11), ("b", 11), ("c", 12))]
    first, again, other = runs
    assert first.content == again.content
    assert first.summary == again.summary
    assert first.content != other.content


def test_summary_and_progress_match_the_stored_events(area: Seeded) -> None:
    assert area.summary.events == len(area.events) == sum(area.progress)
    assert area.summary.submissions == len(area.progress)
    assert area.summary.by_kind == dict(sorted(Counter(e.kind for e in area.events).items()))
    days = [e.day for e in area.events]
    assert (area.summary.first_date, area.summary.last_date) == (min(days), max(days))
    assert max(days) < UNTIL


# ---------------------------------------------------------------------- the rules

def test_salaries_are_within_the_range_of_the_rank_in_force(area: Seeded) -> None:
    checked = 0
    for events in by_record(area.events).values():
        rank = ""
        for event in events:
            rank = event.state.get("rank", rank) if event.kind != "entry_corrected" else rank
            salary = event.state.get("salary", event.state.get("new_salary"))
            if event.kind not in ("appointed", "salary_raised") or salary is None:
                continue
            limits = salary_range(rank, event.day)
            if limits is None or limits.minimum is None or limits.maximum is None:
                continue  # NOT FOUND: nothing to check against
            assert limits.minimum <= salary <= limits.maximum, (rank, event.day, salary)
            checked += 1
    assert checked > 1000


def test_a_raise_is_the_percent_of_the_base_rounded_up_to_ten_baht_and_capped(
        area: Seeded) -> None:
    at_ceiling = 0
    for events in by_record(area.events).values():
        rank, salary = "", 0
        for event in events:
            state = event.state
            if event.kind == "salary_raised":
                assert state["calculation_base"] == salary
                wanted = salary + math.ceil(salary * state["percent"] / 1000) * 10
                limits = salary_range(rank, event.day)
                cap = limits.maximum if limits is not None else None
                expected = wanted if cap is None else max(min(wanted, cap), salary)
                assert (state["new_salary"], state["special_compensation"]) == \
                    (expected, wanted - expected), (rank, event.day, salary, state)
                at_ceiling += state["special_compensation"] > 0
            rank = state.get("rank", rank)
            salary = state.get("salary", state.get("new_salary", salary))
    assert at_ceiling > 0, "long-serving teachers should reach their rank's ceiling"


def test_history_is_transcribed_by_the_authority_order_by_order(area: Seeded) -> None:
    # The demo's history is its legacy record: each historical order, and each registrar's
    # batch, enters as a transcription the area's authority issues with its events.
    issued = "(transcription issued)"
    for role, kinds in area.signed:
        assert role == "authority", (role, kinds)
        assert issued in kinds, kinds
        assert kinds - {issued} <= ORDERS or kinds - {issued} <= RECORDINGS, kinds
    rounds = [kinds - {issued} for _, kinds in area.signed if "salary_raised" in kinds]
    assert len(rounds) == 2 * YEARS
    assert all(kinds == {"salary_raised"} for kinds in rounds)


def test_rounds_fall_on_1_april_or_1_october(area: Seeded) -> None:
    days = {e.day for e in area.events if e.kind == "salary_raised"}
    assert days
    assert all(day.day == 1 and day.month in (4, 10) for day in days)
    assert len(days) == 2 * YEARS


def test_nothing_takes_effect_after_leaving_service(area: Seeded) -> None:
    for events in by_record(area.events).values():
        left = [e.day for e in events if e.kind == "left_service"]
        assert len(left) <= 1
        if left:
            assert all(e.day < left[0] for e in events
                       if e.kind not in AMENDMENTS and e.kind != "left_service")


def test_order_numbers_are_unique_per_authority_and_year(area: Seeded) -> None:
    # Besides its own date, a number may be seen with the keyer's slip of that date (an entry
    # recorded with the order dated a year early, corrected later): no other date.
    dates: dict[tuple[str, str], set[date]] = defaultdict(set)
    for event in area.events:
        order = event.state["order"]
        dates[(order.authority, order.order_number)].add(order.order_date)
    for (authority, number), days in dates.items():
        slips = {mistyped_order(OrderRef(authority, number, day)).order_date for day in days}
        assert len(days - slips) == 1, (authority, number, days)


def test_every_order_number_carries_a_buddhist_era_year(area: Seeded) -> None:
    numbers = {e.state["order"].order_number for e in area.events}
    assert numbers
    assert all(int(number.split("/")[1]) > 2400 for number in numbers)


def test_position_numbers_are_unique_per_school(area: Seeded) -> None:
    posts: dict[str, tuple[str, str]] = {}
    for record, events in by_record(area.events).items():
        for event in events:
            state = event.state
            if event.kind in ("appointed", "transferred", "position_changed"):
                posts[record] = (state["unit"], state["position_number"])
            elif event.kind == "position_renumbered":
                assert posts[record][1] == state["old_number"]
                posts[record] = (posts[record][0], state["new_number"])
            elif event.kind == "left_service":
                posts.pop(record)
    assert len(set(posts.values())) == len(posts)


# ------------------------------------------------------------- a plausible history

def test_a_long_run_has_the_whole_range_of_entries(area: Seeded) -> None:
    kinds = area.summary.by_kind
    for kind in ("entry_corrected", "entry_revoked", "transferred", "standing_conferred",
                 "probation_passed", "position_renumbered", "education_recorded",
                 "training_recorded", "leave_recorded", "decoration_conferred"):
        assert kinds.get(kind, 0) > 0, kind
    reasons = Counter(e.state["reason"] for e in area.events if e.kind == "left_service")
    assert reasons["retired"] > 0
    corrections = kinds["entry_corrected"] + kinds["entry_revoked"]
    assert 0.002 < corrections / area.summary.events < 0.03


def test_head_count_stays_near_the_size_of_the_area(area: Seeded) -> None:
    spans: list[tuple[date, date]] = []
    for events in by_record(area.events).values():
        appointed = min(e.day for e in events if e.kind == "appointed")
        left = [e.day for e in events if e.kind == "left_service"]
        spans.append((appointed, left[0] if left else UNTIL))
    rounds = sorted({e.day for e in area.events if e.kind == "salary_raised"})
    for day in rounds:
        serving = sum(1 for appointed, left in spans if appointed <= day < left)
        assert 0.75 * PEOPLE <= serving <= 1.25 * PEOPLE, (day, serving)
    assert 0.75 * PEOPLE <= area.summary.in_service <= 1.25 * PEOPLE
