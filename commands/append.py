"""``tabien append``: entries from a JSON-lines file, drafted as one order (all or nothing).

An entry enters the ledger only through an order: the file's lines become the lines of a draft
order of the area (its number and date given), drafted by the area's registrar; the order is
then checked and issued as any other (``tabien order check``, ``tabien order issue``), so
every rule runs and the area's authority signs. A line that names no order is given this one;
a line citing another order is refused, as the order desk refuses it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import orjson

from commands.orders import OrderDesk
from ledger.entries import parse_entry
from ledger.errors import InvalidInput, TabienError
from ledger.keys import Signer
from ledger.order import Order

__all__ = ["EntriesRefused", "LineError", "draft_entries", "read_entry_lines"]


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


def read_entry_lines(lines: Iterable[str], order: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Parse JSON lines, each given ``order`` if it names none; refuse the whole file,
    listing every bad line, if any is bad."""
    entries: list[dict[str, Any]] = []
    errors: list[LineError] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            payload: Any = orjson.loads(line)
            entry = dict(payload) if isinstance(payload, Mapping) else {}
            entry.setdefault("order", dict(order))
            parse_entry(entry)
            entries.append(entry)
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


def draft_entries(desk: OrderDesk, registrar: Signer, lines: Iterable[str], *, area: str,
                  order_number: str, order_date: date, title: str) -> Order:
    """Draft the file's entries as one order of ``area``; nothing is written if any line is
    refused."""
    own = {"authority": area, "order_number": order_number,
           "order_date": order_date.isoformat()}
    entries = read_entry_lines(lines, own)
    return desk.draft(registrar, authority=area, area=area, order_number=order_number,
                      order_date=order_date, title=title, lines=entries)
