"""Position renumbering (เปลี่ยนเลขที่ตำแหน่ง) for an area, as one bulk order.

Input: old → new position numbers. Each number held by someone becomes a
``position_renumbered`` line of that person's record, so their history keeps both numbers.
Numbers held by nobody are reported back: a vacant position has no record to carry its new
number, so the position registry keeps its old number until someone is placed in it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from commands.salary_round import records_of_area
from ledger.application import Ledger
from ledger.errors import InvalidInput

__all__ = ["RenumberPlan", "plan_renumbering"]


@dataclass(frozen=True)
class RenumberPlan:
    lines: list[dict[str, Any]]
    vacant: list[tuple[str, str]]


def plan_renumbering(ledger: Ledger, area: str, mapping: Sequence[tuple[str, str]],
                     effective: date, order: dict[str, str]) -> RenumberPlan:
    _check_mapping(mapping)
    holders = {facts.position_number: facts for _, facts in records_of_area(ledger, area)
               if facts.in_service}
    news = {new for _, new in mapping}
    olds = {old for old, _ in mapping}
    taken = sorted(n for n in news if n in holders and n not in olds)
    if taken:
        raise InvalidInput(f"new number(s) already held by someone: {', '.join(taken)}",
                           f"เลขที่ตำแหน่งใหม่ซ้ำกับที่มีผู้ครองอยู่: {', '.join(taken)}")
    lines, vacant = [], []
    for old, new in mapping:
        holder = holders.get(old)
        if holder is None:
            vacant.append((old, new))
            continue
        lines.append({"national_id": holder.national_id, "kind": "position_renumbered",
                      "effective_date": effective.isoformat(), "order": order,
                      "old_number": old, "new_number": new})
    if not lines:
        raise InvalidInput("none of these position numbers is held in the area",
                           "ไม่มีผู้ครองเลขที่ตำแหน่งเหล่านี้ในเขตพื้นที่")
    return RenumberPlan(lines, vacant)


def _check_mapping(mapping: Sequence[tuple[str, str]]) -> None:
    if not mapping:
        raise InvalidInput("no renumbering given", "ไม่มีรายการเปลี่ยนเลขที่ตำแหน่ง")
    olds = [old for old, _ in mapping]
    news = [new for _, new in mapping]
    for name, values in (("old", olds), ("new", news)):
        duplicates = sorted({v for v in values if values.count(v) > 1})
        if duplicates:
            raise InvalidInput(f"{name} number(s) given twice: {', '.join(duplicates)}",
                               f"เลขที่ตำแหน่งซ้ำ: {', '.join(duplicates)}")
    if any(not old.strip() or not new.strip() for old, new in mapping):
        raise InvalidInput("every row needs an old and a new number",
                           "ทุกแถวต้องมีเลขที่ตำแหน่งเดิมและใหม่")
