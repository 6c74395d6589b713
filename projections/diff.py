"""The difference between two ก.ค.ศ.16 of one person: as of two dates, or as known at two
times (``tabien audit diff``). Codes are shown by their Thai labels and dates in the Buddhist
Era, as the form shows them."""

from __future__ import annotations

from datetime import date
from typing import Any

from ledger.thaidate import format_thai_date
from projections.kks16 import Kks16

__all__ = ["diff_records"]

# (the name printed, the field read): a code's label is what a person compares.
_FIELDS = (("name", "name"), ("area", "area"), ("unit", "unit"),
           ("position_title", "position_title"), ("position_number", "position_number"),
           ("rank", "rank_th"), ("standing", "standing_th"), ("staff_type", "staff_type_th"),
           ("salary", "salary"), ("left", "left"), ("retirement_date", "retirement_date"),
           ("duty_started_on", "duty_started_on"), ("decoration", "decoration"),
           ("current_address", "current_address"), ("telephone", "telephone"),
           ("registered_address", "registered_address"))
_SECTIONS = ("positions", "education", "training", "discipline", "days_without_pay",
             "decorations", "name_history", "special_skills", "special_duties", "evidence",
             "photos")


def _shown(record: Kks16, field: str) -> str:
    value: Any = getattr(record, field)
    if field == "left" and value is not None:
        return f"{format_thai_date(value[0])} ({record.left_reason_th})"
    if isinstance(value, date):
        return format_thai_date(value)
    return str(value)


def diff_records(before: Kks16, after: Kks16) -> list[tuple[str, str, str]]:
    """(field, before, after) for every part of the record that differs."""
    changes = []
    for name, field in _FIELDS:
        a, b = _shown(before, field), _shown(after, field)
        if a != b:
            changes.append((name, a, b))
    for name in _SECTIONS:
        a_rows = {(r.on, r.text, r.corrected, r.revoked) for r in getattr(before, name)}
        b_rows = {(r.on, r.text, r.corrected, r.revoked) for r in getattr(after, name)}
        for row in sorted(a_rows - b_rows):
            changes.append((name, f"{format_thai_date(row[0])} {row[1]}", "-"))
        for row in sorted(b_rows - a_rows):
            changes.append((name, "-", f"{format_thai_date(row[0])} {row[1]}"
                            + (" [แก้ไขแล้ว]" if row[2] else "")
                            + (" [ยกเลิก]" if row[3] else "")))
    return changes
