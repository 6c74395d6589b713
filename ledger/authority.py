"""Whose key may touch which record: the areas in force over a submission's events.

A registrar's or authority's key is registered for one education area (``SigningKey.area``),
and may sign only events of records that belong to that area. A record's area is the one the
ledger knows from its own events: the area it was opened in, changed by an appointment, a
transfer or a change of position (``AREA_EVENTS``). Each event of a submission is judged by
the area the record is in just *before* it — so a transfer from สพม.11 to สพม.16 is signed by
a key of สพม.11, the area that orders the person out (the receiving area records what follows);
a record being opened, by a key of the area it is opened in.

The same rule is applied at the write (``ledger.application``) from the events in hand and by
``tabien verify`` (``audit.authority``) from the stored log, in log order; ``AreaTrace`` is
what both keep of one record's events in one submission.

The second rule is the order's: every career event (any personnel-record event but record
keeping — ``RECORD_KEEPING``) is a line of an order issued in the same submission, citing
it by authority, number and date, and only the authority key of an order's area issues it
(``order_problems``; ``OrderTrace`` is what both sides keep of one submission). A
transcription of the legacy record is an order whose lines cite the historical orders they
copy.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from eventsourcing.utils import get_topic

from ledger.order import Order
from ledger.record import PersonnelRecord
from ledger.self_service import AREA_OPENING_TOPICS
from ledger.vocabulary import order_number_for_lookup

__all__ = ["AREA_EVENTS", "AREA_TOPICS", "DRAFTED_TOPICS", "ISSUED_TOPIC", "OPENED_TOPIC",
           "RECORD_KEEPING", "RECORD_KEEPING_TOPICS", "RECORD_TOPIC_PREFIX", "AreaTrace",
           "Citation", "OrderFacts", "OrderTrace", "area_set_by", "citation", "key_areas",
           "order_bound", "order_problems", "outside"]

AREA_EVENTS: tuple[type[PersonnelRecord.Event], ...] = (
    PersonnelRecord.Opened, PersonnelRecord.Appointed, PersonnelRecord.Transferred,
    PersonnelRecord.PositionChanged)
"""The events that set a record's area (each has an ``area`` field)."""

AREA_TOPICS = frozenset(get_topic(cls) for cls in AREA_EVENTS) | AREA_OPENING_TOPICS
"""The topics of ``AREA_EVENTS``, and of a teacher's change request, which is made in an area
(``ledger.self_service``)."""
OPENED_TOPIC = get_topic(PersonnelRecord.Opened)
RECORD_TOPIC_PREFIX = get_topic(PersonnelRecord).rstrip(".") + "."
"""Every personnel-record event's topic starts so (``ledger.record:PersonnelRecord.``)."""


def key_areas(area: str) -> frozenset[str]:
    """The areas a key registered with ``area`` may sign for (none for an empty area)."""
    return frozenset({area.strip()}) if area.strip() else frozenset()


def area_set_by(event: object) -> str | None:
    """The area an event puts its record in, or None if it leaves the area as it was."""
    if isinstance(event, AREA_EVENTS):
        return str(getattr(event, "area", ""))
    return None


@dataclass(slots=True)
class AreaTrace:
    """One record's events in one submission, as far as its area goes."""

    opened: str | None = None  # the area it is opened in, when this submission opens it
    sets: list[str] = field(default_factory=list)  # areas later events put it in, in order
    last_sets: bool = False  # whether its last event here put it in an area
    events: int = 0

    def add(self, area: str | None, *, opening: bool = False) -> None:
        """The record's next event: ``area`` is the area it sets (None: none)."""
        self.events += 1
        if opening and self.events == 1:
            self.opened = area
            self.last_sets = False
        elif area is not None:
            self.sets.append(area)
            self.last_sets = True
        else:
            self.last_sets = False

    def in_force(self, prior: str | None) -> list[str]:
        """The areas the record is in just before each of its events here (deduplicated),
        given the area it was in before the submission (None: not known)."""
        start = self.opened if self.opened is not None else prior
        middle = self.sets[:-1] if self.last_sets else self.sets
        seen: list[str] = []
        for area in [start, *middle]:
            if area is not None and area not in seen:
                seen.append(area)
        if start is None:
            seen.insert(0, "")  # not known: no key's area matches it
        return seen

    def after(self, prior: str | None) -> str | None:
        """The record's area after the submission."""
        if self.sets:
            return self.sets[-1]
        return self.opened if self.opened is not None else prior


def outside(areas: Iterable[str], allowed: frozenset[str]) -> list[str]:
    """Those of ``areas`` a key of ``allowed`` areas may not touch."""
    return [area for area in areas if area not in allowed]


# ------------------------------------------------------------- orders behind career events

RECORD_KEEPING: tuple[type[PersonnelRecord.Event], ...] = (
    PersonnelRecord.EvidenceAttached, PersonnelRecord.AddressRecorded,
    PersonnelRecord.PhotoRecorded)
"""Record-keeping entries a registrar files without an order: a scanned document, the
person's address, a photo. Every other personnel-record event is a career event and enters
the ledger only as a line of an order issued in the same submission."""

RECORD_KEEPING_TOPICS = frozenset(get_topic(cls) for cls in RECORD_KEEPING)
ISSUED_TOPIC = get_topic(Order.Issued)
DRAFTED_TOPICS = {get_topic(Order.Drafted): False, get_topic(Order.Transcribed): True}
"""An order's first event, and whether it makes the order a transcription."""


def order_bound(event: object) -> bool:
    """Whether an event is a career event, which only an issued order may carry."""
    return isinstance(event, PersonnelRecord.Event) and not isinstance(event, RECORD_KEEPING)


@dataclass(frozen=True, slots=True)
class OrderFacts:
    """What verification needs of an order: whose it is and whether it transcribes."""

    authority: str
    order_number: str
    order_date: str  # ISO
    area: str
    transcription: bool

    @classmethod
    def of(cls, order: Order) -> OrderFacts:
        return cls(order.authority, order.order_number, order.order_date.isoformat(),
                   order.area, order.is_transcription)

    @property
    def reference(self) -> str:
        return f"คำสั่ง {self.authority} ที่ {self.order_number} ลว. {self.order_date}"


Citation = tuple[str, str, str]
"""The order a career event cites: authority, number (as looked up) and date (ISO)."""


def citation(authority: str, order_number: str, order_date: str) -> Citation:
    return authority.strip(), order_number_for_lookup(order_number), order_date


@dataclass(slots=True)
class OrderTrace:
    """One submission's orders and career events, as far as authority goes."""

    issued: list[object] = field(default_factory=list)  # ids of the orders it issues
    cited: set[Citation] = field(default_factory=set)  # the orders its career events cite
    career_events: int = 0

    @property
    def empty(self) -> bool:
        return not self.issued and not self.career_events


def order_problems(role: str, key_area: str, trace: OrderTrace,
                   orders: Mapping[object, OrderFacts]) -> list[str]:
    """Why a key of ``role`` and ``key_area`` may not have signed a submission: an order
    issued by a key that is not its area's authority, or career events that are not lines
    of an order it issues (a transcription's lines keep the historical orders they cite)."""
    problems: list[str] = []
    issued = [(order_id, orders.get(order_id)) for order_id in trace.issued]
    for order_id, facts in issued:
        if facts is None:
            problems.append(f"order {order_id} is issued but was never drafted in the ledger")
        elif role != "authority" or key_area != facts.area:
            article = "an" if role[:1] in "aeiou" else "a"
            problems.append(f"{facts.reference} of {facts.area} was issued with {article} {role}'s "
                            f"key of {key_area or 'no area'}: only the authority of "
                            f"{facts.area} may issue it")
    if not trace.career_events:
        return problems
    known = [facts for _, facts in issued if facts is not None]
    if not issued:
        problems.append(f"{trace.career_events} career event(s) are not lines of an order "
                        "issued in this submission")
    elif not any(facts.transcription for facts in known):
        own = {citation(f.authority, f.order_number, f.order_date) for f in known}
        for authority, number, day in sorted(trace.cited - own):
            problems.append(f"career events cite คำสั่ง {authority} ที่ {number} ลว. {day}, "
                            "which is not an order issued in this submission")
    return problems
