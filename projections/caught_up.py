"""Documents from a view that has caught up with the ledger (issue 16): a payroll feed, a
ก.ค.ศ.16 page, is made from the record view only once the view has applied every career event
the ledger held when the document was asked for.

The view follows the ledger a moment behind (DESIGN decision 10): reads may lag, but a feed
sent to the Comptroller General or a form handed to a person must not leave out an order
that was already recorded. So the ledger's head position is read first, then the view's
tracking position is polled until no career event lies between the two — for at most
``TABIEN_VIEW_WAIT_SECONDS`` — and the document is refused (``ViewBehind``) if it never gets
there. Events that are not career events (the access log, keys) are no lag: the view does
not track them, and its tracking position stays at the last career event it applied.

The document then names what it was made at: the head position and the ledger's stored hash
of the event there (``LedgerHead``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from ledger.application import Ledger
from ledger.errors import TabienError
from projections.record_projection import RECORD_TOPICS
from projections.store import RecordView

__all__ = ["LedgerHead", "ViewBehind", "caught_up"]

POLL_SECONDS = 0.05
_COUNTED = 10_000  # pending career events counted for the refusal; more are "at least"


@dataclass(frozen=True)
class LedgerHead:
    """The ledger's head when a document was asked for: the view had applied every career
    event up to it."""

    position: int
    event_hash: bytes  # the ledger's stored hash of the event at ``position`` (b"": empty log)

    def note(self) -> str:
        """What a document says of the ledger it was made from (an auditor finds the event
        at the position in the log, and its hash beside it)."""
        return (f"ทำจากบัญชีหลักถึงลำดับที่ (ledger position): {self.position}; "
                f"แฮชของรายการที่ลำดับนั้น (event hash): {self.event_hash.hex() or '-'}")


class ViewBehind(TabienError):
    """The record view had not caught up with the ledger's head within the wait."""

    code = "view-behind"

    def __init__(self, view_position: int, head: int, behind: int, waited: float) -> None:
        self.view_position = view_position
        self.head = head
        self.behind = behind  # career events not yet applied (at most _COUNTED)
        self.waited = waited
        count = f"{behind:,}" if behind < _COUNTED else f"at least {behind:,}"
        count_th = f"{behind:,}" if behind < _COUNTED else f"อย่างน้อย {behind:,}"
        super().__init__(
            f"the record view is behind the ledger: it has applied events up to position "
            f"{view_position:,}, the ledger's head is position {head:,} ({count} career "
            f"events not yet applied) after waiting {waited:g} s; payroll feeds and "
            "documents are made only from a view that has caught up, and nothing was made",
            f"มุมมองข้อมูลทะเบียนประวัติยังตามบัญชีหลักไม่ทัน: ปรับปรุงถึงลำดับที่ {view_position:,} "
            f"แต่บัญชีหลักอยู่ที่ลำดับ {head:,} (ยังไม่ได้ปรับปรุง {count_th} รายการ) หลังรอ "
            f"{waited:g} วินาที ข้อมูลจ่ายตรงและเอกสารออกได้จากมุมมองที่ตามทันเท่านั้น "
            "จึงยังไม่ได้ออกเอกสารใด ๆ")


def caught_up(ledger: Ledger, view: RecordView, wait: float) -> LedgerHead:
    """The ledger's head now, once ``view`` has applied every career event up to it; raises
    ``ViewBehind`` if it has not within ``wait`` seconds."""
    head = ledger.recorder.max_notification_id() or 0
    deadline = time.monotonic() + wait
    while (at := _view_position(view)) < head and _pending(ledger, at, head, 1):
        if time.monotonic() >= deadline:
            raise ViewBehind(at, head, len(_pending(ledger, at, head, _COUNTED)), wait)
        time.sleep(POLL_SECONDS)
    hashes = ledger.store.event_hashes_at([head]) if head else {}
    return LedgerHead(head, hashes.get(head, b""))


def _view_position(view: RecordView) -> int:
    return view.max_tracking_id("Ledger") or 0


def _pending(ledger: Ledger, after: int, head: int, limit: int) -> list[int]:
    """Positions of career events in (after, head], at most ``limit`` of them."""
    page = ledger.recorder.select_notifications(after, limit, stop=head,
                                                topics=list(RECORD_TOPICS),
                                                inclusive_of_start=False)
    return [n.id for n in page]
