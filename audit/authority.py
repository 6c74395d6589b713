"""Whose key signed what: the area and per-event-type role checks of ``tabien verify``.

At the write the ledger refuses a submission whose key may not touch a record it touches
(``ledger.authority``); here the stored log is held to the same rule, so a submission forced
into the database past the write is a finding. The pass over a chunk (``audit.chunks``) keeps,
for each submission, what each personnel record's events did to its area (``AreaTrace``: only
the few events that set an area are decoded); the ledger-wide fold (``audit.verify``) follows
every record's area in log order (``AreaFold``) and judges each submission's signing key by
the areas its records were in just before its events.
"""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

import orjson
from eventsourcing.persistence import Mapper

from ledger.authority import (
    AREA_TOPICS,
    OPENED_TOPIC,
    RECORD_TOPIC_PREFIX,
    AreaTrace,
    key_areas,
    outside,
)
from ledger.keys import SigningKey
from ledger.persistence import LogRow, RawLogRow

__all__ = ["AreaFold", "AreaReader", "Traces", "role_problems"]

Traces = dict[bytes, AreaTrace]
"""What a submission's events did to each personnel record's area, by the record id's bytes."""


class AreaReader:
    """Reads, from stored events, the areas personnel-record events set."""

    def __init__(self, mapper: Mapper[UUID] | None,
                 log_row: Callable[[RawLogRow], LogRow]) -> None:
        self.mapper = mapper
        self.log_row = log_row
        # Stored bytes are readable as JSON unless a cipher or compressor is in the way.
        self.plain = mapper is None or (mapper.cipher is None and mapper.compressor is None)

    def add(self, traces: Traces, row: RawLogRow) -> None:
        topic = row[3]
        if not topic.startswith(RECORD_TOPIC_PREFIX):
            return
        area = self.area_of(row) if topic in AREA_TOPICS else None
        traces.setdefault(row[1], AreaTrace()).add(area, opening=topic == OPENED_TOPIC)

    def area_of(self, row: RawLogRow) -> str:
        """The area the event sets ("" if it cannot be read: no key's area matches that)."""
        try:
            if self.plain:
                return str(orjson.loads(row[4]).get("area", ""))
            assert self.mapper is not None
            event = self.mapper.to_domain_event(self.log_row(row).stored_event())
            return str(getattr(event, "area", ""))
        except Exception:  # an unreadable event also fails its hash; here it matches no area
            return ""


def role_problems(role: str, *, keys: bool, career: bool, service: bool) -> list[str]:
    """Which of a submission's kinds of event a key of ``role`` may not sign: the key
    registry only an admin key, the access log only the service key, career events (records
    and orders) only a registrar's or authority's key."""
    problems = []
    if keys and role != "admin":
        problems.append(f"a {role} key may not sign key-registry events (admin only)")
    if service and role != "service":
        problems.append(f"a {role} key may not sign access-log events (the service key only)")
    if career and role not in ("registrar", "authority"):
        problems.append(f"a {role} key may not sign career events (registrar or authority "
                        "only)")
    return problems


class AreaFold:
    """Every personnel record's area as the log has it so far, followed in log order."""

    def __init__(self, record_id: Callable[[bytes], object]) -> None:
        self.areas: dict[bytes, str | None] = {}
        self.record_id = record_id

    def take(self, traces: Traces) -> dict[bytes, list[str]]:
        """Follow one submission's events; return the areas each record touched was in just
        before its events there."""
        touched: dict[bytes, list[str]] = {}
        for raw, trace in traces.items():
            prior = self.areas.get(raw)
            touched[raw] = trace.in_force(prior)
            self.areas[raw] = trace.after(prior)
        return touched

    def problems(self, key: SigningKey, touched: dict[bytes, list[str]]) -> list[str]:
        """Why ``key`` may not have signed events of the records ``touched``."""
        allowed = key_areas(key.area)
        found: list[str] = []
        for raw, areas in touched.items():
            for area in outside(areas, allowed):
                found.append(
                    f"key {key.key_id} ({key.role} of {key.area or 'no area'}) signed events "
                    f"of record {self.record_id(raw)}, which was in "
                    f"{area or 'no known area'}")
        return found
