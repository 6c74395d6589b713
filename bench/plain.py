"""The baselines: the library's own application path, and reading the log without checking it."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.persistence import ApplicationRecorder, Mapper, Transcoder

from ledger.transcoder import CanonicalTranscoder, LedgerMapper

__all__ = ["PlainApp", "read_every_event"]

_PAGE = 10_000


class PlainApp(Application[UUID]):
    """A plain ``Application``: the library's recorders and ``save()``; no hashes, no signature.

    It encodes with the ledger's ``CanonicalTranscoder`` and ``LedgerMapper`` rather than the
    library's ``JSONTranscoder`` (which cannot encode ``date`` or ``OrderRef`` unaided): both
    sides then write byte-identical event state, so a ratio measures what the ledger adds
    (hashing, signing, checking, its recorder) and not a difference between JSON encoders.
    Its name gives its PostgreSQL table (``plain_events``), so it can share a schema with the
    ledger's ``ledger_events``.
    """

    name = "Plain"

    def construct_transcoder(self) -> Transcoder:
        return CanonicalTranscoder()

    def construct_mapper(self) -> Mapper[UUID]:
        return self.factory.mapper(transcoder=self.construct_transcoder(),
                                   mapper_class=LedgerMapper)


def read_every_event(recorder: ApplicationRecorder, mapper: Mapper[UUID]) -> int:
    """Read the whole log as any replay must: pages of notifications, each event decoded.

    This is the floor under verification: verify reads the same rows, then hashes and checks
    them; here nothing is checked. Returns the number of events read.
    """
    count = 0
    start = 1
    while True:
        page = recorder.select_notifications(start, _PAGE)
        for notification in page:
            mapper.to_domain_event(notification)
        count += len(page)
        if len(page) < _PAGE:
            return count
        start = page[-1].id + 1
