"""What a certified copy or a certificate states, taken from a person's ก.ค.ศ.16 as of a date,
and which of the record's entries those facts come from (a correction of any of them makes the
document superseded).

A certificate states only facts the ledger holds: name, position, rank, standing, unit, area,
first appointment, salary and the standing allowance (เงินวิทยฐานะ, from the rules data). The
position allowance (เงินประจำตำแหน่ง) is not stated: its figures are NOT FOUND in the reference
(see projections.payroll).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from ledger.errors import RuleViolation
from ledger.record import PersonnelRecord
from ledger.rules import standing_allowance
from projections.kks16 import Kks16

__all__ = ["STATED_KINDS", "Statement", "mask_national_id", "statement_of"]

# The entries an employment or salary certificate's facts come from.
STATED_KINDS = frozenset({
    "record_opened", "appointed", "probation_passed", "salary_raised", "salary_table_moved",
    "transferred", "position_changed", "standing_conferred", "position_renumbered",
    "name_changed", "left_service"})
# Record keeping that a certified copy prints but that no order makes.
_NOT_COPIED = frozenset({"evidence_attached"})


@dataclass(frozen=True)
class Statement:
    """The facts one document states, as the credential carries them and the PDF prints them."""

    kind: str
    name: str
    national_id_masked: str
    area: str
    as_of: date
    facts: dict[str, Any]  # JSON values, English keys (the credential's subject)
    stated: list[int]  # the record's event versions they come from

    @property
    def salary(self) -> Decimal:
        return Decimal(str(self.facts.get("salary", 0)))


def mask_national_id(national_id: str) -> str:
    """x-xxxx-xxxxx-12-3: enough for a person to recognise their own, no more (PDPA)."""
    digits = "".join(ch for ch in national_id if ch.isdigit())
    if len(digits) != 13:
        return "x-xxxx-xxxxx-xx-x"
    return f"x-xxxx-xxxxx-{digits[10:12]}-{digits[12]}"


def statement_of(kind: str, record: Kks16, events: list[PersonnelRecord.Event],
                 as_of: date) -> Statement:
    """What a document of ``kind`` states of ``record`` (built as of ``as_of`` from
    ``events``); refuses a certificate of a person not in service on that date."""
    in_effect = [e for e in events if e.effective_date <= as_of]
    if kind == "copy":
        stated = sorted(e.originator_version for e in in_effect if e.KIND not in _NOT_COPIED)
        facts: dict[str, Any] = {"rank": record.rank, "position": record.position_title,
                                 "unit": record.unit}
    else:
        _require_in_service(record, as_of)
        stated = sorted(e.originator_version for e in in_effect if e.KIND in STATED_KINDS)
        facts = _employment(record)
        if kind == "salary":
            facts.update(_pay(record, as_of))
    # A correction's own version is stated too: the corrected value is what is printed, and
    # verification tells a correction made before the document from one made after.
    stated += [e.originator_version for e in in_effect if _amends(e, set(stated))]
    return Statement(kind, record.name, mask_national_id(record.national_id), record.area,
                     as_of, facts, sorted(set(stated)))


def _amends(event: PersonnelRecord.Event, stated: set[int]) -> bool:
    """A correction or revocation of a stated entry: what the document prints follows it."""
    if isinstance(event, PersonnelRecord.EntryCorrected):
        return event.corrects in stated
    if isinstance(event, PersonnelRecord.EntryRevoked):
        return event.revokes in stated
    return False


def _require_in_service(record: Kks16, as_of: date) -> None:
    if not record.name or not record.position_title:
        raise RuleViolation("certificate.no-position",
                            "the record holds no position on that date: no certificate can "
                            "state one",
                            "ทะเบียนประวัติไม่มีตำแหน่ง ณ วันที่ขอ จึงออกหนังสือรับรองไม่ได้")
    if record.left is not None and record.left[0] <= as_of:
        raise RuleViolation("certificate.left-service",
                            f"the person left the service on {record.left[0].isoformat()}: "
                            "an employment or salary certificate cannot be issued after that",
                            "บุคคลนี้พ้นจากราชการแล้ว จึงออกหนังสือรับรองการเป็นข้าราชการหรือเงินเดือนไม่ได้")


def _employment(record: Kks16) -> dict[str, Any]:
    return {
        "position": record.position_title,
        "positionNumber": record.position_number,
        "rank": record.rank, "rankLabel": record.rank_th,
        "standing": record.standing, "standingLabel": record.standing_th,
        "unit": record.unit,
        "area": record.area,
        "staffType": record.staff_type_th,
        "appointedOn": record.appointed_on.isoformat() if record.appointed_on else "",
    }


def _pay(record: Kks16, as_of: date) -> dict[str, Any]:
    allowances: list[dict[str, Any]] = []
    if record.standing != "none":
        allowance = standing_allowance(record.standing, as_of)
        if allowance is not None and allowance.amount:
            allowances.append({"label": "เงินวิทยฐานะ", "amount": int(allowance.amount)})
    total = record.salary + sum(int(a["amount"]) for a in allowances)
    return {"salary": record.salary, "allowances": allowances, "monthlyTotal": total}
