"""Verification split into chunks (``audit.chunks``, ``audit.parallel``): the split must never
change the verdict.

The pieces are tested on their own (subtrees of any run of leaves, the hasher, the paging that
bounds a chunk, the plan), then the whole: an intact ledger passes however it is cut, and every
tampering, at every cut, is found by the parallel pass itself, not only by the single pass it
falls back to. Most tests read the chunks in this process (``workers=0``: the same split and
fold without processes); a few start real worker processes.
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, date, datetime
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from api.cli import app
from audit.parallel import Parallel, auto_workers, plan_chunks
from audit.verify import VerifyReport, verify_in_chunks, verify_ledger
from ledger.checkpoints import create_checkpoint
from ledger.errors import InvalidInput
from ledger.integrity import EventHasher, Submission, event_hash_of
from ledger.merkle import AlignedRun, CompactRange, leaf_hash, root_of
from ledger.persistence import CheckpointRow, SubmissionRow, pages
from tests.conftest import LedgerEnv
from tests.factories import raise_salary, small_ledger, write_history
from tests.test_tampering import SCENARIOS, RawDB

# ------------------------------------------------------------------ the pieces


@settings(max_examples=60, deadline=None)
@given(size=st.integers(0, 300), cuts=st.lists(st.integers(0, 300), max_size=6))
def test_runs_of_leaves_cut_anywhere_make_the_same_tree(size: int, cuts: list[int]) -> None:
    leaves = [leaf_hash(i.to_bytes(4, "big")) for i in range(size)]
    bounds = sorted({0, size, *(c for c in cuts if c <= size)})
    frontier = CompactRange()
    for begin, end in pairwise(bounds):
        run = AlignedRun(begin)
        run.extend(leaves[begin:end])
        for level, root in run.subtrees:
            frontier.push_subtree(root, level)
        assert frontier.size == end
        assert frontier.root() == root_of(leaves[:end])
    assert frontier.root() == root_of(leaves)


def test_a_subtree_that_does_not_start_on_its_size_is_refused() -> None:
    frontier = CompactRange()
    frontier.append(leaf_hash(b"one"))
    with pytest.raises(InvalidInput, match="cannot start at leaf 1"):
        frontier.push_subtree(leaf_hash(b"two"), 1)
    assert frontier.size == 1  # nothing was taken


@settings(max_examples=60, deadline=None)
@given(previous=st.binary(min_size=32, max_size=32), version=st.integers(1, 2**40),
       topic=st.text(max_size=40), state=st.binary(max_size=200), as_text=st.booleans())
def test_the_auditors_hasher_is_the_event_hash(previous: bytes, version: int, topic: str,
                                              state: bytes, as_text: bool) -> None:
    record = uuid.uuid4()
    originator: uuid.UUID | str = str(record) if as_text else record
    framed = str(record).encode() if as_text else record.bytes
    hasher = EventHasher()
    expected = event_hash_of(previous, originator, version, topic, state)
    assert hasher(previous, framed, version, topic, state) == expected
    assert hasher(previous, framed, version, topic, state) == expected  # cached topic


def test_pages_end_at_the_range_even_behind_a_gap() -> None:
    positions = [1, 2, 3, 7, 8, 20, 21, 22]

    def fetch(after: int, limit: int) -> list[tuple[int]]:
        return [(p,) for p in positions if p > after][:limit]

    def read(after: int, upto: int | None, batch: int) -> list[int]:
        return [row[0] for page in pages(fetch, after, upto, batch) for row in page]

    assert read(0, None, 2) == positions
    assert read(0, 8, 2) == [1, 2, 3, 7, 8]
    assert read(3, 19, 100) == [7, 8]  # the gap lets a page reach 20: it is dropped
    assert read(8, 20, 1) == [20]
    assert read(22, None, 5) == []


def _submission(first: int, last: int) -> SubmissionRow:
    signed = Submission(uuid.uuid4(), "k", datetime(2026, 1, 1, tzinfo=UTC), "", last - first + 1,
                        bytes(32), bytes(64))
    return SubmissionRow(signed, first, last)


def test_the_plan_cuts_where_submissions_end_and_places_checkpoints() -> None:
    submissions = [_submission(1, 3), _submission(4, 4), _submission(6, 9), _submission(10, 12)]
    checkpoints = [CheckpointRow(size, 0, "", b"") for size in (3, 8, 11, 11, 40)]
    chunks = plan_chunks(submissions, checkpoints, 4)
    assert chunks is not None
    # Position 5 is in no submission: it falls in the second chunk, which will count it.
    assert [(c.after, c.upto, c.offset, c.expected) for c in chunks] == [
        (0, 4, 0, 4), (4, 9, 4, 4), (9, None, 8, 3)]
    # Each checkpoint size once, in the chunk that reaches it; beyond the plan: the last.
    assert [c.cuts for c in chunks] == [(3,), (8,), (11, 40)]
    assert [len(c.submissions) for c in chunks] == [2, 1, 1]


def test_no_plan_from_submissions_that_overlap() -> None:
    assert plan_chunks([_submission(1, 5), _submission(5, 6)], [], 1) is None
    assert plan_chunks([_submission(1, 2), _submission(4, 3)], [], 1) is None


def test_small_logs_are_read_by_one_process() -> None:
    assert auto_workers(10_000) == 1
    assert auto_workers(5_000_000) >= 1
    # Beside a database server, half the cores: each worker keeps a server process busy.
    cores = os.cpu_count() or 1
    assert auto_workers(5_000_000, database_server=True) == max(1, cores // 2)
    assert auto_workers(5_000_000) == cores


# ------------------------------------------------------------------ the whole


@pytest.fixture
def busy_env(ledger_env: LedgerEnv) -> LedgerEnv:
    """Records whose events are spread over many submissions, so that every cut of the log
    falls between two events of some record; a checkpoint in the middle and one at the end."""
    ledger, signer = ledger_env.ledger, ledger_env.keys.authority
    small_ledger(ledger, signer)
    create_checkpoint(ledger.store, ledger_env.keys.checkpoint)
    for round_number in range(3):
        for record_id in _record_ids(ledger_env):
            record = ledger.repository.get(record_id)
            raise_salary(record, date(2012 + round_number, 4, 1),
                         record.salary + 100, f"{round_number}/25{55 + round_number}")
            write_history(ledger, signer, record, purpose=f"รอบ {round_number}")
    # One more for the last record: the tampering scenarios rewrite the last event as if of
    # another record, which must not have reached that version.
    record = max((ledger.repository.get(i) for i in _record_ids(ledger_env)),
                 key=lambda r: r.version)
    raise_salary(record, date(2016, 4, 1), record.salary + 100, "9/2559")
    write_history(ledger, signer, record, purpose="รอบพิเศษ")
    create_checkpoint(ledger.store, ledger_env.keys.checkpoint)
    return ledger_env


def _record_ids(env: LedgerEnv) -> list[uuid.UUID]:
    ids = {row.originator_id for row in env.ledger.store.iter_log()
           if row.topic.startswith("ledger.record:")}
    return sorted(i for i in ids if isinstance(i, uuid.UUID))


def _in_chunks(env: LedgerEnv, size: int) -> VerifyReport | None:
    return verify_in_chunks(env.ledger.store, env.ledger.mapper,
                            Parallel(env.url, workers=0, chunk_size=size))


CHUNK_SIZES = (1, 2, 3, 5, 8)


def test_an_intact_ledger_passes_however_it_is_cut(busy_env: LedgerEnv) -> None:
    whole = verify_ledger(busy_env.ledger.store, busy_env.ledger.mapper)
    assert whole.ok, whole.findings
    for size in CHUNK_SIZES:
        report = _in_chunks(busy_env, size)
        assert report is not None
        assert report.ok, (size, report.findings)
        assert (report.events, report.submissions, report.checkpoints) == \
            (whole.events, whole.submissions, whole.checkpoints)


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_the_parallel_pass_itself_finds_every_tampering(busy_env: LedgerEnv,
                                                        scenario: str) -> None:
    tamper, _expected = SCENARIOS[scenario]
    tamper(RawDB(busy_env))
    single = verify_ledger(busy_env.ledger.store, busy_env.ledger.mapper)
    assert not single.ok
    for size in CHUNK_SIZES:
        report = _in_chunks(busy_env, size)
        # No plan (a submissions table that overlaps itself) leaves it to the single pass.
        assert report is None or not report.ok, (scenario, size)
        # Whatever the pass found, the report is the single pass's: it names first causes.
        split = verify_ledger(busy_env.ledger.store, busy_env.ledger.mapper,
                              parallel=Parallel(busy_env.url, workers=0, chunk_size=size))
        assert split.findings == single.findings


def test_a_stored_hash_changed_anywhere_is_found_at_every_cut(busy_env: LedgerEnv) -> None:
    """The hash column alone, event by event: the chunk after a cut takes its records'
    previous hashes from that column, so this is the claim the fold must catch."""
    db = RawDB(busy_env)
    for position, *_rest, stored in db.rows():
        db.run("UPDATE {events} SET event_hash = ? WHERE {id} = ?", (bytes(32), position))
        for size in CHUNK_SIZES:
            report = _in_chunks(busy_env, size)
            assert report is not None, (position, size)
            assert not report.ok, (position, size)
        db.run("UPDATE {events} SET event_hash = ? WHERE {id} = ?", (bytes(stored), position))
    report = _in_chunks(busy_env, 1)
    assert report is not None
    assert report.ok


# ------------------------------------------------------------------ worker processes


def test_worker_processes_agree_with_the_single_pass(busy_env: LedgerEnv) -> None:
    store, mapper = busy_env.ledger.store, busy_env.ledger.mapper
    whole = verify_ledger(store, mapper)
    seen: list[int] = []
    report = verify_ledger(store, mapper, progress=seen.append,
                           parallel=Parallel(busy_env.url, workers=2, chunk_size=6))
    assert report.ok, report.findings
    assert report.events == whole.events
    assert sum(seen) == whole.events  # progress came from the workers' shared count
    SCENARIOS["change one byte of a stored event"][0](RawDB(busy_env))
    alone = verify_in_chunks(store, mapper, Parallel(busy_env.url, workers=2, chunk_size=6))
    assert alone is not None
    assert not alone.ok
    assert verify_ledger(store, mapper, parallel=Parallel(busy_env.url, workers=2,
                                                          chunk_size=6)).findings \
        == verify_ledger(store, mapper).findings


def test_cli_verify_with_workers(busy_env: LedgerEnv) -> None:
    result = CliRunner().invoke(app, ["verify", "--workers", "2"], env=busy_env.cli_env)
    assert result.exit_code == 0, result.output
    assert "intact" in result.output
    SCENARIOS["delete an event"][0](RawDB(busy_env))
    result = CliRunner().invoke(app, ["verify", "--workers", "2"], env=busy_env.cli_env)
    assert result.exit_code == 1, result.output
    assert "[chain]" in result.output
    result = CliRunner().invoke(app, ["verify", "--workers", "0"], env=busy_env.cli_env)
    assert result.exit_code == 2  # refused by the option's own bounds
