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

import re
from collections.abc import Callable
from uuid import UUID

import orjson
from eventsourcing.persistence import Mapper
from eventsourcing.utils import get_topic

from ledger.authority import (
    AREA_TOPICS,
    DRAFTED_TOPICS,
    ISSUED_TOPIC,
    OPENED_TOPIC,
    RECORD_KEEPING_TOPICS,
    RECORD_TOPIC_PREFIX,
    AreaTrace,
    Citation,
    OrderFacts,
    OrderTrace,
    citation,
    key_areas,
    order_problems,
    outside,
)
from ledger.documents import IssuedDocument
from ledger.keys import SigningKey
from ledger.persistence import LogRow, RawLogRow
from ledger.record import PersonnelRecord
from ledger.self_service import REQUEST_TOPICS
from ledger.transcoder import canonical_json

__all__ = ["AreaFold", "AreaReader", "OrderFold", "OrderReader", "Traces"]

DOCUMENT_ISSUED_TOPIC = get_topic(IssuedDocument.Issued)
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
        if topic in REQUEST_TOPICS:  # a teacher's change request: in the area it was made in
            opening = topic in AREA_TOPICS
            traces.setdefault(row[1], AreaTrace()).add(self.area_of(row) if opening else None,
                                                       opening=opening)
            return
        if not topic.startswith(RECORD_TOPIC_PREFIX):
            return
        area = self.area_of(row) if topic in AREA_TOPICS else None
        traces.setdefault(row[1], AreaTrace()).add(area, opening=topic == OPENED_TOPIC)

    def add_document(self, traces: Traces, row: RawLogRow) -> None:
        """A document's events: its issuance sets its area, as opening a record does."""
        issued = row[3] == DOCUMENT_ISSUED_TOPIC
        traces.setdefault(row[1], AreaTrace()).add(self.area_of(row) if issued else None,
                                                    opening=issued)

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


class OrderReader:
    """Reads, from stored events, what the order rule needs: the orders a submission drafts
    and issues, and the order each of its career events cites (``ledger.authority``)."""

    def __init__(self, areas: AreaReader, originator: Callable[[bytes], object]) -> None:
        self.areas = areas
        self.originator = originator
        self._citations: dict[bytes, Citation] = {}

    def add(self, trace: OrderTrace, drafted: dict[object, OrderFacts], row: RawLogRow) -> None:
        topic = row[3]
        if topic.startswith(RECORD_TOPIC_PREFIX):
            if topic not in RECORD_KEEPING_TOPICS:
                trace.career_events += 1
                trace.cited.add(self.cited(row))
        elif topic == ISSUED_TOPIC:
            trace.issued.append(self.originator(row[1]))
        elif topic in DRAFTED_TOPICS:
            state = self.order_fields(row)
            drafted[self.originator(row[1])] = OrderFacts(
                str(state.get("authority", "")), str(state.get("order_number", "")),
                str(state.get("order_date", "")), str(state.get("area", "")),
                DRAFTED_TOPICS[topic])

    def cited(self, row: RawLogRow) -> Citation:
        """The order a career event cites (an unreadable one cites nothing issued)."""
        # Most events of a submission cite one order: its bytes are decoded once.
        found = _order_object(row[4]) if self.areas.plain and row[3] != _CORRECTED else None
        if found is not None:
            known = self._citations.get(found)
            if known is not None:
                return known
            ref = _loads(b"{" + found + b"}").get("order")
            if isinstance(ref, dict):  # else a "}" inside a value cut the slice short
                if len(self._citations) > _CITATIONS_KEPT:
                    self._citations.clear()
                known = self._citations[found] = _citation_of(ref)
                return known
        return _citation_of(self.state(row).get("order"))

    def order_fields(self, row: RawLogRow) -> dict[str, object]:
        """An order's area, authority, number and date, without decoding its lines (a bulk
        order's first event holds thousands)."""
        if self.areas.plain:
            found = _order_head(row[4])
            if found is not None:
                return found
        return self.state(row)

    def state(self, row: RawLogRow) -> dict[str, object]:
        """The event's fields as plain JSON values ({} if they cannot be read)."""
        try:
            if self.areas.plain:
                return _loads(row[4])
            assert self.areas.mapper is not None
            event = self.areas.mapper.to_domain_event(self.areas.log_row(row).stored_event())
            return _loads(canonical_json(vars(event)))
        except Exception:  # an unreadable event also fails its hash
            return {}


# Stored state is canonical JSON (sorted keys, no spaces: ledger.transcoder), and a quote
# inside a string value is escaped, so these byte patterns match only real keys.
_CORRECTED = get_topic(PersonnelRecord.EntryCorrected)  # its "changes" may hold an "order"
_ORDER_KEY = b'"order":{"authority":'
_CITATIONS_KEPT = 10_000
_ORDER_HEAD = re.compile(rb'\{"area":("(?:[^"\\]|\\.)*"),"authority":("(?:[^"\\]|\\.)*"),')


def _loads(data: bytes) -> dict[str, object]:
    try:
        found = orjson.loads(data)
    except orjson.JSONDecodeError:
        return {}
    return found if isinstance(found, dict) else {}


def _order_object(state: bytes) -> bytes | None:
    """The bytes of an event's top-level ``"order":{…}`` member (wrap it in braces to read)."""
    start = state.find(_ORDER_KEY)
    if start < 0:
        return None
    end = state.find(b"}", start)
    return state[start:end + 1] if end > 0 else None


def _citation_of(ref: object) -> Citation:
    if not isinstance(ref, dict):
        return ("", "", "")
    return citation(str(ref.get("authority", "")), str(ref.get("order_number", "")),
                    str(ref.get("order_date", "")))


def _order_head(state: bytes) -> dict[str, object] | None:
    """area and authority (the first keys) and order_date and order_number (the keys after
    the lines) of an order's first event; None if the bytes are not laid out so."""
    head = _ORDER_HEAD.match(state)
    tail = state.rfind(b',"order_date":')
    stop = state.find(b',"timestamp":', tail)
    if head is None or tail < 0 or stop < 0:
        return None
    fields = _loads(b"{" + state[tail + 1:stop] + b"}")
    try:
        fields["area"], fields["authority"] = orjson.loads(head[1]), orjson.loads(head[2])
    except orjson.JSONDecodeError:
        return None
    return fields if "order_number" in fields else None


class AreaFold:
    """Every personnel record's area as the log has it so far, followed in log order."""

    def __init__(self, record_id: Callable[[bytes], object]) -> None:
        self.areas: dict[bytes, str | None] = {}
        self.record_id = record_id

    def take(self, traces: Traces) -> dict[bytes, list[str]]:
        """Follow one submission's events; return the areas each record touched was in just
        before its events there."""
        touched: dict[bytes, list[str]] = {}
        areas = self.areas
        # Most records are only raised or recorded: their area is the one they had. Their
        # lists are shared, one per area (read only), since this runs for every record of
        # every submission in the fold, which no worker process shares.
        unmoved: dict[str | None, list[str]] = {}
        for raw, trace in traces.items():
            prior = areas.get(raw)
            if trace.opened is None and not trace.sets:
                same = unmoved.get(prior)
                if same is None:
                    same = unmoved[prior] = trace.in_force(prior)
                touched[raw] = same
                continue
            touched[raw] = trace.in_force(prior)
            areas[raw] = trace.after(prior)
        return touched

    def problems(self, key: SigningKey, touched: dict[bytes, list[str]]) -> list[str]:
        """Why ``key`` may not have signed events of the records ``touched``."""
        allowed = key_areas(key.area)
        found: list[str] = []
        judged: dict[int, list[str]] = {}  # the shared lists of ``take``, judged once each
        for raw, areas in touched.items():
            wrong = judged.get(id(areas))
            if wrong is None:
                wrong = judged[id(areas)] = outside(areas, allowed)
            for area in wrong:
                found.append(
                    f"key {key.key_id} ({key.role} of {key.area or 'no area'}) signed events "
                    f"of record {self.record_id(raw)}, which was in "
                    f"{area or 'no known area'}")
        return found


class OrderFold:
    """Every order drafted so far in the log, to judge the submissions that issue them."""

    def __init__(self) -> None:
        self.orders: dict[object, OrderFacts] = {}

    def problems(self, key: SigningKey, trace: OrderTrace,
                 drafted: dict[object, OrderFacts]) -> list[str]:
        """Why ``key`` may not have signed a submission that drafts ``drafted`` and issues
        and cites what ``trace`` holds (an order drafted here may be issued here too)."""
        for order_id, facts in drafted.items():
            self.orders.setdefault(order_id, facts)  # a second draft of one id: a conflict
        if trace.empty:
            return []
        return order_problems(key.role, key.area, trace, self.orders)
