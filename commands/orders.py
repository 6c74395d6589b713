"""The order desk: draft → check → (override) → issue, as a registrar and an authority work.

* ``draft`` records the order with its lines (each line checked for form first; a malformed
  line refuses the whole draft, nothing written). Its id comes from authority and number, so a
  number is used once per authority.
* ``check`` runs every rule on every line against the records as they stand, line after line
  (two lines for one person see each other), and records the results with the rule set's
  version.
* ``override`` lets the order's authority accept an overridable failure, with a reason.
* ``issue`` re-runs the check (the records may have moved since), refuses if a failure is
  open, and appends the order's ``Issued`` event and every record event in ONE submission
  signed by the authority. Sending the same issue again — same order, or the same idempotency
  key — returns the first result and writes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, project_aggregate

from commands.areas import AreaBook
from commands.facts import RecordFacts, entries_of
from commands.rules import Failure, LineContext, check_line
from ledger.application import Ledger
from ledger.document_index import index_of
from ledger.documents import IssuedDocument
from ledger.entries import Entry, check_text, parse_entry
from ledger.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    RuleViolation,
    SignatureError,
    TabienError,
)
from ledger.evidence import EvidenceRef
from ledger.identity import record_id_for
from ledger.keys import Signer
from ledger.order import Order, order_id_for, transcription_id_for
from ledger.record import PersonnelRecord
from ledger.rules.career import ruleset_version
from ledger.vocabulary import OrderRef, normalise_order_number, order_number_for_lookup

__all__ = ["CheckReport", "IssueResult", "LineCheck", "OrderDesk"]

_IDEMPOTENCY_NAMESPACE = uuid.UUID("2e7c9a41-5d3b-4f08-b6a2-9c1d0e8f7a55")
_LINES_AT_ONCE = 1_000  # lines whose records' histories are read together


@dataclass(frozen=True)
class LineCheck:
    line: int
    national_id: str
    kind: str
    failures: list[Failure]


@dataclass(frozen=True)
class CheckReport:
    order: Order
    ruleset_version: str
    lines: list[LineCheck]

    @property
    def passed(self) -> bool:
        return all(not line.failures for line in self.lines)

    def results(self) -> list[dict[str, Any]]:
        """The check as the order's ``Checked`` event records it: one row per rule failed,
        and one passing row per line, so the trail shows what was checked."""
        rows: list[dict[str, Any]] = []
        for line in self.lines:
            if not line.failures:
                rows.append({"line": line.line, "rule": "*", "passed": True,
                             "message_en": "", "message_th": ""})
            rows.extend({"line": line.line, "rule": f.rule, "passed": False,
                         "overridable": f.overridable, "message_en": f.message_en,
                         "message_th": f.message_th} for f in line.failures)
        return rows


@dataclass(frozen=True)
class IssueResult:
    order_id: UUID
    event_count: int
    positions: list[int]
    already_issued: bool


@dataclass
class _Simulation:
    records: dict[UUID, PersonnelRecord] = field(default_factory=dict)
    facts: dict[UUID, list[PersonnelRecord.Event]] = field(default_factory=dict)
    lines: list[LineCheck] = field(default_factory=list)


class OrderDesk:
    """Orders of one ledger, with the identity secret that finds records by national ID."""

    def __init__(self, ledger: Ledger, identity_secret: bytes) -> None:
        self.ledger = ledger
        self.secret = identity_secret
        self.areas = AreaBook(ledger)

    # ------------------------------------------------------------------ draft

    def draft(self, signer: Signer, *, authority: str, area: str, order_number: str,
              order_date: date, title: str, lines: Sequence[dict[str, Any]]) -> Order:
        order_number = normalise_order_number(order_number)
        own = OrderRef(authority, order_number, order_date)
        self._check_lines(authority, area, title, lines, own)
        order = Order.draft(authority=authority, area=area, order_number=order_number,
                            order_date=order_date, title=title, lines=list(lines))
        return self._record_draft(signer, order)

    def transcribe(self, signer: Signer, *, area: str, order_number: str, order_date: date,
                   title: str, lines: Sequence[dict[str, Any]], cut_over: date) -> Order:
        """Draft a transcription of the legacy record: lines keep the historical orders they
        cite; those dated before ``cut_over`` are not held to today's rules. The area's
        authority checks and issues it like any order."""
        order_number = normalise_order_number(order_number)
        self._check_lines(area, area, title, lines, None)
        order = Order.transcribe(authority=area, area=area, order_number=order_number,
                                 order_date=order_date, title=title, lines=list(lines),
                                 cut_over=cut_over)
        return self._record_draft(signer, order)

    def _check_lines(self, authority: str, area: str, title: str,
                     lines: Sequence[dict[str, Any]], own: OrderRef | None) -> None:
        """Refuse the draft, listing every malformed line, if any line is malformed; lines of
        an order (``own``) must cite it."""
        problems = []
        check_text("title", title)
        self.areas.check(authority)
        self.areas.check(area)
        for n, line in enumerate(lines, start=1):
            try:
                entry = parse_entry(line)
                if isinstance(entry.fields.get("area"), str):  # where the line places someone
                    self.areas.check(entry.fields["area"])
            except TabienError as e:
                problems.append(f"line {n} / รายการที่ {n}: {e.bilingual()}")
                continue
            if own is not None and entry.fields.get("order") != own:
                # An order's entries are made by that order: a line citing another one would
                # put on the record an authority that never signed it.
                problems.append(f"line {n} / รายการที่ {n}: its order reference must be this "
                                f"order ({own.reference_th}) / ต้องอ้างอิงคำสั่งนี้")
        if problems:
            raise InvalidInput(f"{len(problems)} line(s) of the order are malformed; nothing "
                               "was written", f"รายการในคำสั่งไม่ถูกต้อง {len(problems)} รายการ "
                               "ไม่มีการบันทึกใด ๆ", problems)

    def _record_draft(self, signer: Signer, order: Order) -> Order:
        try:
            self.ledger.submit(signer, order, purpose=f"ร่างคำสั่ง {order.authority} ที่ "
                               f"{order.order_number}")
        except Conflict:
            raise Conflict(f"order number {order.order_number} is already used by "
                           f"{order.authority}", f"เลขที่คำสั่ง {order.order_number} ของ "
                           f"{order.authority} ถูกใช้ไปแล้ว") from None
        return order

    def order(self, authority: str, order_number: str) -> Order:
        number = order_number_for_lookup(order_number)
        # An order, or an import's transcription (the area is its own authority there).
        for order_id in (order_id_for(authority, number),
                         transcription_id_for(authority, authority, number)):
            try:
                return cast(Order, self.ledger.repository.get(order_id))
            except AggregateNotFoundError:
                continue
        raise NotFound(f"no order {order_number} of {authority}",
                       f"ไม่พบคำสั่ง {authority} ที่ {order_number}")

    # ------------------------------------------------------------------ check

    def check(self, signer: Signer, order: Order,
              progress: Callable[[int], None] | None = None) -> CheckReport:
        report = self._simulate(order, overrides={}, progress=progress)[1]
        order.record_check(report.ruleset_version, report.results())
        self.ledger.submit(signer, order, purpose=f"ตรวจสอบคำสั่ง {order.authority} ที่ "
                           f"{order.order_number} ({report.ruleset_version})")
        return report

    def override(self, signer: Signer, order: Order, line: int, rule: str, reason: str,
                 evidence: Sequence[EvidenceRef] = ()) -> None:
        self._check_authority(signer, order)
        failed = {(r["line"], r["rule"]): r for r in order.failures()}
        if (line, rule) in failed and not failed[(line, rule)].get("overridable", True):
            raise RuleViolation(rule, f"rule {rule} cannot be overridden",
                                f"กฎ {rule} ไม่อาจยกเว้นได้")
        order.override(line, rule, reason, list(evidence))
        self.ledger.submit(signer, order, purpose=f"ยกเว้นผลการตรวจสอบ รายการที่ {line} ({rule})")

    # ------------------------------------------------------------------ issue

    def issue(self, signer: Signer, order: Order, *, idempotency_key: str = "",
              progress: Callable[[int], None] | None = None) -> IssueResult:
        key = idempotency_key or f"order:{order.id}"
        if order.issued is not None:
            return self._first_result(order, key)
        self._check_authority(signer, order)
        simulation, report = self._simulate(order, overrides=order.overrides,
                                            progress=progress)
        if not report.passed:
            raise RuleViolation("order.failed-checks", *_first_open(report))
        version = report.ruleset_version
        events = sum(len(r.pending_events) for r in simulation.records.values())
        order.issue(version, events + 1, key)
        superseded = superseded_documents(self.ledger, order, simulation.records.values())
        try:
            positions = self.ledger.submit(signer, order, *simulation.records.values(),
                                           *superseded,
                                           purpose=f"คำสั่ง {order.authority} ที่ "
                                           f"{order.order_number}: {order.title}")
        except Conflict:
            # Someone issued it (or changed a record) first: if it was this order, that is
            # the first result; otherwise the conflict stands.
            latest = self.order(order.authority, order.order_number)
            if latest.issued is None:
                raise
            return self._first_result(latest, key)
        return IssueResult(order.id, events + 1, positions, already_issued=False)

    def _first_result(self, order: Order, key: str) -> IssueResult:
        issued = order.issued
        assert issued is not None
        if key != issued.idempotency_key and not key.startswith("order:"):
            raise Conflict("this order was issued under another idempotency key",
                           "คำสั่งนี้ออกไปแล้วด้วยรหัสการส่งอื่น")
        return IssueResult(order.id, issued.event_count, [], already_issued=True)

    def _check_authority(self, signer: Signer, order: Order) -> None:
        # The key's role and area only: whether it may still sign is checked when the
        # submission is appended, against the key as stored then.
        role, area = self.ledger.key_role(signer.key_id)
        if role != "authority" or area != order.area:
            raise SignatureError(
                f"only the authority of {order.area} may do this (key {signer.key_id} is a "
                f"{role} of {area or 'no area'})",
                f"เฉพาะผู้มีอำนาจของ {order.area} เท่านั้นที่ทำรายการนี้ได้")

    # -------------------------------------------------------------- simulation

    def _simulate(self, order: Order, overrides: dict[tuple[int, str], str],
                  progress: Callable[[int], None] | None = None
                  ) -> tuple[_Simulation, CheckReport]:
        sim = _Simulation()
        lines = order.active_lines()
        for start in range(0, len(lines), _LINES_AT_ONCE):
            entries = [(n, parse_entry(line)) for n, line in lines[start:start + _LINES_AT_ONCE]]
            batch = [(n, entry, record_id_for(entry.national_id, self.secret))
                     for n, entry in entries]
            self._read_histories(sim, [record_id for _, _, record_id in batch])
            for n, entry, record_id in batch:
                if progress is not None:
                    progress(1)
                failures = self._check_and_apply(sim, order, n, entry, record_id, overrides)
                sim.lines.append(LineCheck(n, entry.national_id, entry.event_class.KIND,
                                           failures))
        return sim, CheckReport(order, ruleset_version(), sim.lines)

    def _read_histories(self, sim: _Simulation, record_ids: list[UUID]) -> None:
        """The histories of the records a batch of lines names, read together (one query,
        not one per line), for those not already in the simulation."""
        wanted = list(dict.fromkeys(r for r in record_ids if r not in sim.facts))
        found = self.ledger.histories(wanted)
        for record_id in wanted:
            events = cast(list[PersonnelRecord.Event], found.get(record_id, []))
            sim.facts[record_id] = events
            if events:
                sim.records[record_id] = cast(PersonnelRecord, project_aggregate(None, events))

    def _check_and_apply(self, sim: _Simulation, order: Order, n: int, entry: Entry,
                         record_id: UUID, overrides: dict[tuple[int, str], str]
                         ) -> list[Failure]:
        history = sim.facts[record_id]  # read with its batch of lines
        facts = RecordFacts.from_entries(entries_of(history))
        context = LineContext(facts, entry.event_class.KIND, entry.fields["effective_date"],
                              entry.fields, order.area)
        # A transcription copies the legacy record as it stands up to the area's cut-over.
        ruled = order.under_rules(entry.fields["effective_date"])
        failures = ([f for f in check_line(context) if (n, f.rule) not in overrides]
                    if ruled else [])
        if failures:
            return failures
        try:
            self._apply(sim, record_id, entry)
        except RuleViolation as e:
            return [Failure(e.rule, e.message, e.message_th, overridable=False)]
        return []

    @staticmethod
    def _apply(sim: _Simulation, record_id: UUID, entry: Entry) -> None:
        if entry.event_class is PersonnelRecord.Opened:
            fields = dict(entry.fields)
            record = PersonnelRecord.open(record_id, **fields)
            sim.records[record_id] = record
        else:
            record = sim.records[record_id]
            record.record(entry.event_class, **entry.fields)
        sim.facts[record_id].append(cast(PersonnelRecord.Event, record.pending_events[-1]))


def superseded_documents(ledger: Ledger, order: Order,
                         records: Iterable[PersonnelRecord]) -> list[IssuedDocument]:
    """The documents of the order's area that state an entry the order corrects or revokes,
    revoked in the order's own submission: a certificate is never valid beside the correction
    of what it says. (A document of another area is found superseded by verification, which
    reads the record's corrections itself.)"""
    touched: dict[UUID, set[int]] = {}
    for record in records:
        for event in record.pending_events:
            if isinstance(event, PersonnelRecord.EntryCorrected):
                touched.setdefault(record.id, set()).add(event.corrects)
            elif isinstance(event, PersonnelRecord.EntryRevoked):
                touched.setdefault(record.id, set()).add(event.revokes)
    if not touched:
        return []
    index = index_of(ledger)
    moment = datetime.now(UTC).replace(microsecond=0)
    reference = f"{order.authority}/{order.order_number}"
    revoked = []
    for record_id, versions in touched.items():
        for state in index.of_record(record_id):
            if state.revoked or state.area != order.area or not state.stated & versions:
                continue
            document = cast(IssuedDocument, ledger.repository.get(state.document_id))
            document.revoke(reason=f"ข้อมูลที่รับรองถูกแก้ไขโดยคำสั่ง {order.authority} "
                                   f"ที่ {order.order_number}",
                            revoked_by=order.authority, revoked_at=moment,
                            superseded_by=reference)
            revoked.append(document)
    return revoked


def _first_open(report: CheckReport) -> tuple[str, str]:
    for line in report.lines:
        for failure in line.failures:
            return (f"line {line.line} fails {failure.rule}: {failure.message_en}",
                    f"รายการที่ {line.line} ไม่ผ่าน {failure.rule}: {failure.message_th}")
    return "", ""
