"""Which key role may sign which kind of event: one table, read by the write path
(``ledger.application``) and by ``tabien verify`` (``audit.chunks``, ``audit.judgement``), so
that verify flags exactly what the write would have refused.

An event's kind follows from its topic alone, so verify classifies each topic once and never
decodes an event to learn who may sign it.
"""

from __future__ import annotations

from collections.abc import Iterable

from eventsourcing.utils import get_topic

from ledger.self_service import SIGNED_BY

__all__ = ["CAREER", "DECISION", "ISSUANCE", "KEYS", "REQUEST", "REVOCATION", "SIGNERS", "SYSTEM",
           "kind_of_event",
           "kind_of_topic", "role_problems"]

KEYS = "keys"  # the key registry
SYSTEM = "system"  # the server's own writes: the access log
CAREER = "career"  # personnel records and orders
ISSUANCE = "issuance"  # a certified copy or certificate issued
REVOCATION = "revocation"  # a document revoked
REQUEST = "request"  # a teacher's confirmation or change request (the server writes it)
DECISION = "decision"  # the area registrar's decision on a change request

SIGNERS: dict[str, frozenset[str]] = {
    KEYS: frozenset({"admin"}),
    SYSTEM: frozenset({"service"}),
    CAREER: frozenset({"registrar", "authority"}),
    ISSUANCE: frozenset({"certificate"}),
    # By hand (a registrar, with a reason) or by the correcting order that supersedes it.
    REVOCATION: frozenset({"registrar", "authority"}),
    REQUEST: frozenset({"service"}),
    DECISION: frozenset({"registrar"}),
}

_WHAT = {
    KEYS: "key-registry events",
    SYSTEM: "access-log events",
    CAREER: "career events",
    ISSUANCE: "document issuances",
    REVOCATION: "document revocations",
    REQUEST: "teachers' self-service events",
    DECISION: "decisions on teachers' requests",
}

# Topic prefixes, most specific first; everything else is a career event.
_PREFIXES = (
    ("ledger.keys:SigningKey", KEYS),
    ("ledger.access:RecordAccess", SYSTEM),
    ("ledger.access:AreaAccess", SYSTEM),
    ("ledger.documents:IssuedDocument.Issued", ISSUANCE),
    ("ledger.documents:IssuedDocument.Revoked", REVOCATION),
)
# Self-service events are named one by one (``ledger.self_service.SIGNED_BY``).
_KNOWN: dict[str, str] = {topic: REQUEST if role == "service" else DECISION
                          for topic, role in SIGNED_BY.items()}


def kind_of_topic(topic: str) -> str:
    """The kind of an event by its topic (remembered: a log has a few dozen topics)."""
    kind = _KNOWN.get(topic)
    if kind is None:
        kind = next((k for prefix, k in _PREFIXES if topic.startswith(prefix)), CAREER)
        _KNOWN[topic] = kind
    return kind


def kind_of_event(event: object) -> str:
    return kind_of_topic(get_topic(type(event)))


def role_problems(role: str, kinds: Iterable[str]) -> list[str]:
    """Which of a submission's kinds of event a key of ``role`` may not sign."""
    return [f"a {role} key may not sign {_WHAT[kind]} "
            f"({' or '.join(sorted(SIGNERS[kind]))} only)"
            for kind in sorted(set(kinds)) if role not in SIGNERS[kind]]
