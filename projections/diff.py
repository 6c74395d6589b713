"""The difference between two ก.ค.ศ.16 of one person: as of two dates, or as known at two
times (``tabien audit diff``)."""

from __future__ import annotations

from ledger.thaidate import format_thai_date
from projections.kks16 import Kks16

__all__ = ["diff_records"]


def diff_records(before: Kks16, after: Kks16) -> list[tuple[str, str, str]]:
    """(field, before, after) for every part of the record that differs."""
    changes = []
    for name in ("name", "area", "unit", "position_title", "position_number", "rank",
                 "standing", "salary", "left", "retirement_date"):
        a, b = getattr(before, name), getattr(after, name)
        if a != b:
            changes.append((name, str(a), str(b)))
    for name in ("positions", "education", "training", "discipline", "decorations",
                 "name_history", "special_skills", "special_duties", "evidence"):
        a_rows = {(r.on, r.text, r.corrected, r.revoked) for r in getattr(before, name)}
        b_rows = {(r.on, r.text, r.corrected, r.revoked) for r in getattr(after, name)}
        for row in sorted(a_rows - b_rows):
            changes.append((name, f"{format_thai_date(row[0])} {row[1]}", "-"))
        for row in sorted(b_rows - a_rows):
            changes.append((name, "-", f"{format_thai_date(row[0])} {row[1]}"
                            + (" [แก้ไขแล้ว]" if row[2] else "")
                            + (" [ยกเลิก]" if row[3] else "")))
    return changes
