"""Verify the record view against the ledger for ``tabien verify`` (here, not in ``audit``,
which imports no projection): the view must equal a replay of the ledger up to the view's
tracking position.

The API serves the ก.ค.ศ.16 and payroll pays from the view's rows, not from the events, so a
row edited in the view's table would be served and paid while the ledger still verifies. Here
the ledger's career events up to the view's tracking position are read a page at a time and
turned into rows by the projection's own row-building code (``page_rows``); the view's rows of
the same positions are read beside them and compared row by row. Every differing, missing or
extra row is a finding ``[view]`` naming the record, version and field; so is a row whose
event hash is not the ledger's stored hash of the event at its position (each row names the
event it was made from). The person and area
rows (who is whose, and in which area: what the API's look-ups and payroll go by) are held
to the replay's as they stood at the same position.

Only the view's rows are trusted for nothing: the expected rows are built from the events
alone (a national ID is taken from the record's own opening event, not from the view). A view
that lags behind the ledger is not a finding: only what it claims to have applied is checked.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import cast
from uuid import UUID

import orjson
from eventsourcing.persistence import ApplicationRecorder, Mapper

from ledger.findings import Finding
from ledger.persistence import LedgerRecorder
from projections.record_projection import RECORD_TOPICS, page_rows
from projections.store import EntryRow, PersonRow, RecordView

__all__ = ["ViewReport", "verify_view"]

_ROW_FIELDS = ("kind", "effective_date", "recorded_at", "position")


@dataclass
class ViewReport:
    rows: int = 0  # view rows checked
    position: int = 0  # the view's tracking position: what was checked is up to it
    findings: list[Finding] = field(default_factory=list)

    def __str__(self) -> str:
        return f"record view: {self.rows:,} rows checked up to position {self.position:,}"


def verify_view(recorder: ApplicationRecorder, mapper: Mapper[UUID], view: RecordView, *,
                batch: int = 5_000, progress: Callable[[int], None] | None = None
                ) -> ViewReport:
    """Compare every row of ``view`` with the row a replay of the ledger makes of it."""
    position, placed = _placements_at_one_position(view)
    report = ViewReport(position=position)
    # Only a ledger recorder of this project stores each event's hash (any other, as in the
    # library's own tests, is no ledger ``tabien verify`` reads).
    event_hashes = cast(LedgerRecorder, recorder).event_hashes_at
    national_ids: dict[UUID, str] = {}
    people: dict[str, PersonRow] = {}  # the replay's person rows, by national ID
    areas: set[tuple[str, UUID]] = set()
    start: int | None = None
    while start is None or start < position:
        page = recorder.select_notifications(start, batch, topics=list(RECORD_TOPICS),
                                             inclusive_of_start=False, stop=position)
        upto = page[-1].id if page else position
        expected, persons = (page_rows(mapper, page, national_ids.get, event_hashes)
                             if page else ([], []))
        for person in persons:  # a later page's placements need the national ID
            national_ids[person.record_id] = person.national_id
            people[person.national_id] = person
            areas.add((person.area, person.record_id))
        found = view.entries_between(start, upto)
        report.rows += len(found)
        _compare(expected, found, report)
        if progress is not None:
            progress(upto - (start or 0))
        start = upto
        if not page:
            break
    # Rows above the tracking position: a runner may have applied more since it was read, so
    # only rows above the position it has now are extra.
    now = view.max_tracking_id("Ledger") or 0
    beyond = view.entries_between(max(position, now), None)
    report.rows += len(beyond)
    _compare([], beyond, report)
    if placed is None:
        report.findings.append(Finding(
            "view", "people and areas", "not checked: the view kept moving while read"))
    else:
        _compare_placements(people, areas, *placed, report.findings)
    return report


def _placements_at_one_position(
        view: RecordView) -> tuple[int, tuple[list[PersonRow], list[tuple[str, UUID]]] | None]:
    """The tracking position, and the person and area rows as they were at it: read between
    two reads of the position that agree (rows and position are committed together, and the
    position only grows), or None if a runner never let them agree."""
    for _ in range(20):
        position = view.max_tracking_id("Ledger") or 0
        placed = view.placements()
        if (view.max_tracking_id("Ledger") or 0) == position:
            return position, placed
        time.sleep(0.05)
    return view.max_tracking_id("Ledger") or 0, None


def _compare_placements(people: dict[str, PersonRow], areas: set[tuple[str, UUID]],
                        found_people: Sequence[PersonRow], found_areas: Sequence[tuple[str, UUID]],
                        findings: list[Finding]) -> None:
    # Named by record, not by national ID: a verify report is no place for personal data.
    have = {p.national_id: p for p in found_people}
    for national_id, want in people.items():
        got = have.get(national_id)
        if got is None:
            findings.append(Finding("view", f"record {want.record_id}",
                                    "person row missing from the record view"))
        elif got != want:
            findings.append(Finding("view", f"record {want.record_id}",
                                    f"person row is record {got.record_id} in area {got.area!r} "
                                    f"in the view, record {want.record_id} in area "
                                    f"{want.area!r} in the ledger"))
    findings.extend(Finding("view", f"record {got.record_id}",
                            "person row in the record view that no event of the ledger makes")
                    for national_id, got in have.items() if national_id not in people)
    held = set(found_areas)
    findings.extend(Finding("view", f"record {record_id}",
                            f"placement in area {area!r} missing from the record view")
                    for area, record_id in sorted(areas - held, key=str))
    findings.extend(Finding("view", f"record {record_id}",
                            f"placement in area {area!r} in the record view that no event of "
                            "the ledger makes")
                    for area, record_id in sorted(held - areas, key=str))


def _compare(expected: Sequence[EntryRow], found: Sequence[EntryRow],
             report: ViewReport) -> None:
    findings = report.findings
    want = {(row.record_id, row.version): row for row in expected}
    have = {(row.record_id, row.version): row for row in found}
    for key, row in want.items():
        got = have.get(key)
        if got is None:
            findings.append(Finding("view", _where(row), "row missing from the record view"))
        elif got != row:
            findings.extend(Finding("view", _where(row), problem)
                            for problem in _differences(row, got))
    for key, row in have.items():
        if key not in want:
            findings.append(Finding("view", _where(row),
                                    "row in the record view that no event of the ledger "
                                    "makes (up to the view's tracking position)"))


def _where(row: EntryRow) -> str:
    return f"record {row.record_id} version {row.version} (position {row.position})"


def _differences(want: EntryRow, got: EntryRow) -> list[str]:
    problems = [f"{name} is {getattr(got, name)!r} in the view, {getattr(want, name)!r} in "
                "the ledger" for name in _ROW_FIELDS if getattr(got, name) != getattr(want, name)]
    if got.event_hash != want.event_hash:
        problems.append(_hash_difference(want, got))
    if got.fields != want.fields:
        problems.extend(_field_differences(want.fields, got.fields))
    return problems


def _hash_difference(want: EntryRow, got: EntryRow) -> str:
    """A row that names another event's hash was not made from the event at its position (or
    was edited since); a row that names none was made before rows carried one."""
    if not got.event_hash:
        return ("row names no event hash (made before view rows carried one): rebuild the "
                "view with `tabien rebuild kks16`")
    return (f"event hash is {got.event_hash.hex()} in the view, {want.event_hash.hex()} at "
            f"position {want.position} in the ledger")


def _field_differences(want: bytes, got: bytes) -> list[str]:
    try:
        wanted, held = orjson.loads(want), orjson.loads(got)
    except orjson.JSONDecodeError:
        return ["fields differ from the event's stored state"]
    if not isinstance(wanted, dict) or not isinstance(held, dict):
        return ["fields differ from the event's stored state"]
    names = sorted(set(wanted) | set(held))
    problems = [f"field {name} is {_shown(held, name)} in the view, {_shown(wanted, name)} in "
                "the ledger" for name in names if wanted.get(name, _ABSENT) !=
                held.get(name, _ABSENT)]
    # The same values in other bytes (key order, spacing) is still not the event's state.
    return problems or ["fields are not the event's stored bytes"]


_ABSENT = object()


def _shown(values: dict[str, object], name: str) -> str:
    return repr(values[name]) if name in values else "absent"
