"""The evidence part of ``verify_ledger``: the files that events refer to must be intact.

It runs inside the one pass over the log, so deciding that an event refers to no file must
cost next to nothing. A byte search of every state would cost about 3% of the pass; instead
the decision is made once per topic, from the event class's annotations (only a field typed
``EvidenceRef``, optional or in a list, decodes to one), so a career event costs one dictionary
look-up. For the few classes that can hold a reference, a byte test on the stored state skips
events whose reference is absent (an optional one left empty), and only the rest are decoded.

Topics are database content, and resolving one imports its module: only topics of the
ledger's own package, or of code already loaded, are resolved. An event of any other topic
that seems to hold a reference is reported as one whose evidence cannot be checked.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Iterator
from uuid import UUID

from eventsourcing.persistence import Mapper
from eventsourcing.utils import resolve_topic

from ledger.errors import TabienError
from ledger.evidence import REFERENCE_MARK, EvidenceRef, EvidenceStore, can_hold_evidence
from ledger.persistence import LogRow

__all__ = ["EvidenceAudit"]

_TRUSTED_PACKAGE = "ledger"

# What a topic's events can hold, decided once per topic. _NO_EVIDENCE is 0 (false), so the
# test made for nearly every event is a plain truth test.
_NO_EVIDENCE, _MAY_HOLD_EVIDENCE, _UNKNOWN_TOPIC = 0, 1, 2


def _event_class(topic: str) -> type[object] | None:
    module = topic.partition(":")[0]
    if module.partition(".")[0] != _TRUSTED_PACKAGE and module not in sys.modules:
        return None
    try:
        cls = resolve_topic(topic)
    except Exception:
        return None
    return cls if isinstance(cls, type) else None


def _decide(topic: str) -> int:
    cls = _event_class(topic)
    if cls is None:
        return _UNKNOWN_TOPIC
    return _MAY_HOLD_EVIDENCE if can_hold_evidence(cls) else _NO_EVIDENCE


def evidence_refs(value: object, path: str = "") -> Iterator[tuple[str, EvidenceRef]]:
    """Every EvidenceRef inside a decoded value, with where it sits (``lines[2].evidence``)."""
    if isinstance(value, EvidenceRef):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from evidence_refs(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from evidence_refs(item, f"{path}[{index}]")
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from evidence_refs(getattr(value, f.name), f"{path}.{f.name}")


class EvidenceAudit:
    """Checks, row by row, the evidence files that stored events refer to."""

    def __init__(self, store: EvidenceStore, mapper: Mapper[UUID]) -> None:
        self.store = store
        self.mapper = mapper
        # The byte test reads stored bytes: under a cipher or compressor it cannot be used.
        self.by_bytes = mapper.cipher is None and mapper.compressor is None
        self.topics: dict[str, int] = {}
        self.checked: dict[tuple[str, int], str | None] = {}

    def wants(self, topic: str, state: bytes) -> bool:
        """Whether an event may refer to a file (cheap: called for every event)."""
        decision = self.topics.get(topic)
        if decision is None:
            decision = self.topics[topic] = _decide(topic)
        if not decision:
            return False
        return not self.by_bytes or REFERENCE_MARK in state  # a false match costs one decoding

    def problems(self, row: LogRow) -> list[str]:
        """What is wrong with the files one row refers to (empty when they are intact)."""
        if self.topics.get(row.topic) == _UNKNOWN_TOPIC:
            return [f"event type {row.topic!r} is not known here: its evidence references "
                    "cannot be checked"]
        try:
            event = self.mapper.to_domain_event(row.stored_event())
        except Exception as e:
            # Such a state also fails its hash unless it was signed so; either way its files
            # cannot be checked, and the auditor must hear it.
            return [f"its evidence references cannot be read: {e}"]
        found = []
        for path, ref in evidence_refs(vars(event)):
            problem = self.problem(ref)
            if problem is not None:
                found.append(f"file {ref.sha256} ({ref.name!r}, field {path}): {problem}")
        return found

    def problem(self, ref: EvidenceRef) -> str | None:
        # One file may document many entries: hash it once per verification.
        key = (ref.sha256, ref.size)
        if key not in self.checked:
            try:
                self.checked[key] = self.store.problem(ref)
            except TabienError as e:  # a reference the store cannot even look up
                self.checked[key] = f"cannot be checked: {e.message}"
        return self.checked[key]
