"""History already checked elsewhere, written as a transcription order in one submission.

The demo generator (``commands.seed``) and the benchmarks make years of history that follow
the rules by construction; like a legacy record taken over, each batch enters the ledger as
a transcription of the historical order it copies (``Order.Transcribed``), issued by the
area's authority together with its events. Every line must be dated before the area's
cut-over date: a later one is a new order and goes through the order desk and its rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from ledger.application import Ledger
from ledger.entries import entry_line
from ledger.errors import InvalidInput
from ledger.keys import Signer
from ledger.order import Order
from ledger.record import PersonnelRecord
from ledger.rules.career import ruleset_version
from ledger.vocabulary import OrderRef

__all__ = ["TRANSCRIBED_TH", "transcribe_history", "transcription_of"]

TRANSCRIBED_TH = "รับโอนตามทะเบียนประวัติเดิม (ก่อนวันเริ่มใช้ระบบ ไม่ตรวจตามหลักเกณฑ์ปัจจุบัน)"
_TRANSCRIBED_EN = "transcribed as the legacy record has it (before the cut-over: no rules run)"


def transcribe_history(ledger: Ledger, authority: Signer, records: Sequence[PersonnelRecord],
                       *, order: OrderRef, area: str, cut_over: date, purpose: str) -> list[int]:
    """Issue the records' pending events as the transcription of ``order`` (signed by
    ``authority``, the area's authority key); return their log positions."""
    transcription = transcription_of(records, order=order, area=area, cut_over=cut_over,
                                     title=purpose)
    if transcription is None:
        return []
    return ledger.submit(authority, transcription, *records, purpose=purpose)


def transcription_of(records: Sequence[PersonnelRecord], *, order: OrderRef, area: str,
                     cut_over: date, title: str) -> Order | None:
    """The issued transcription of the records' pending events, to be submitted with them
    (None when they have none)."""
    lines = []
    for record in records:
        for event in record.pending_events:
            if not isinstance(event, PersonnelRecord.Event):
                continue
            if event.effective_date >= cut_over:
                raise InvalidInput(
                    f"an entry taking effect on {event.effective_date.isoformat()} is on or "
                    f"after the cut-over ({cut_over.isoformat()}): issue it as an order",
                    "รายการที่มีผลตั้งแต่วันเริ่มใช้ระบบต้องออกเป็นคำสั่งและตรวจตามหลักเกณฑ์")
            lines.append(entry_line(event, record.national_id))
    if not lines:
        return None
    transcription = Order.transcribe(
        authority=order.authority, area=area, order_number=order.order_number,
        order_date=order.order_date, title=title, lines=lines, cut_over=cut_over)
    version = ruleset_version()
    transcription.record_check(version, [
        {"line": n, "rule": "*", "passed": True, "message_en": _TRANSCRIBED_EN,
         "message_th": TRANSCRIBED_TH} for n in range(1, len(lines) + 1)])
    transcription.issue(version, len(lines) + 1, f"transcription:{transcription.id}")
    return transcription
