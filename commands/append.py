"""Append checked entries to records as one signed submission (all or nothing)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import orjson

from ledger.application import Ledger
from ledger.entries import Entry, parse_entry
from ledger.errors import InvalidInput, NotFound, TabienError
from ledger.identity import record_id_for
from ledger.keys import Signer
from ledger.record import PersonnelRecord

__all__ = ["EntriesRefused", "LineError", "append_entries", "read_entry_lines"]


@dataclass(frozen=True)
class LineError:
    line: int
    error: TabienError

    def __str__(self) -> str:
        return f"line {self.line} / บรรทัด {self.line}: {self.error.bilingual()}"


class EntriesRefused(InvalidInput):
    """Some lines of an input file were refused; nothing was written."""

    def __init__(self, errors: Sequence[LineError]) -> None:
        super().__init__(f"{len(errors)} line(s) refused, nothing was written",
                         f"ปฏิเสธ {len(errors)} บรรทัด และไม่มีการบันทึกใด ๆ",
                         [str(e) for e in errors])
        self.errors = list(errors)


def read_entry_lines(lines: Iterable[str]) -> list[Entry]:
    """Parse JSON lines; refuse the whole file, listing every bad line, if any is bad."""
    entries: list[Entry] = []
    errors: list[LineError] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            payload: Any = orjson.loads(line)
            entries.append(parse_entry(payload if isinstance(payload, Mapping) else {}))
        except orjson.JSONDecodeError as e:
            errors.append(LineError(number, InvalidInput(f"not valid JSON: {e}",
                                                         f"ไม่ใช่ JSON ที่ถูกต้อง: {e}")))
        except TabienError as e:
            errors.append(LineError(number, e))
    if errors:
        raise EntriesRefused(errors)
    if not entries:
        raise InvalidInput("no entries to append", "ไม่มีรายการให้บันทึก")
    return entries


def append_entries(ledger: Ledger, signer: Signer, identity_secret: bytes,
                   entries: Sequence[Entry], *, purpose: str) -> list[int]:
    """Apply every entry to its record in order, then append them as one submission."""
    records: dict[UUID, PersonnelRecord] = {}
    for entry in entries:
        record_id = record_id_for(entry.national_id, identity_secret)
        if entry.event_class is PersonnelRecord.Opened:
            if record_id in records or _exists(ledger, record_id):
                raise InvalidInput(f"a record for {entry.national_id} already exists",
                                   f"มีทะเบียนประวัติของ {entry.national_id} อยู่แล้ว")
            records[record_id] = PersonnelRecord.open(record_id, **entry.fields)
            continue
        record = records.get(record_id) or ledger.record(record_id)
        records[record_id] = record
        record.record(entry.event_class, **entry.fields)
    return ledger.submit(signer, *records.values(), purpose=purpose)


def _exists(ledger: Ledger, record_id: UUID) -> bool:
    try:
        ledger.record(record_id)
    except NotFound:
        return False
    return True
