"""Bulk order lists (บัญชีรายชื่อแนบท้ายคำสั่ง) from a spreadsheet, as district offices keep them.

One row per person: ``national_id``, ``kind``, ``effective_date`` and the kind's fields as
columns (Thai column names are not guessed: the header uses the entry's field names). Cells
are text in a CSV and typed in an XLSX; both become the JSON lines an order holds, each row
checked for form on its own so the report names every bad row. The order reference comes from
the order, not from the rows.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson

from ledger.entries import parse_entry
from ledger.errors import InvalidInput, TabienError
from ledger.record import EVENT_KINDS
from ledger.spreadsheet import read_csv_rows

__all__ = ["RowProblem", "read_bulk_list"]

_RESERVED = {"originator_id", "originator_version", "timestamp", "originator_topic", "order"}
_TRUE = {"true", "yes", "y", "1", "ใช่", "จริง"}
_FALSE = {"false", "no", "n", "0", "ไม่ใช่", "เท็จ", ""}


@dataclass(frozen=True)
class RowProblem:
    line: int
    message_en: str
    message_th: str

    def __str__(self) -> str:
        return f"line {self.line} / แถวที่ {self.line}: {self.message_th} / {self.message_en}"


def read_bulk_list(path: Path, order: dict[str, str]) -> list[dict[str, Any]]:
    """The rows as order lines; refuses the whole list, naming every bad row, if any is bad."""
    lines: list[dict[str, Any]] = []
    problems: list[RowProblem] = []
    for number, row in _rows(path):
        try:
            line = _line(row, order)
            parse_entry(line)
            lines.append(line)
        except TabienError as e:
            problems.append(RowProblem(number, e.message, e.message_th))
    if problems:
        raise InvalidInput(f"{len(problems)} row(s) of the list are malformed; nothing was "
                           "drafted", f"บัญชีรายชื่อมีแถวที่ไม่ถูกต้อง {len(problems)} แถว "
                           "ยังไม่ได้ร่างคำสั่ง", [str(p) for p in problems])
    if not lines:
        raise InvalidInput("the list has no rows", "บัญชีรายชื่อไม่มีข้อมูล")
    return lines


def _rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(spreadsheet line number, row); the header is line 1."""
    if path.suffix.lower() == ".xlsx":
        yield from _xlsx_rows(path)
        return
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp874")  # TIS-620, as older Thai spreadsheets save CSV
    for number, row in read_csv_rows(text, path.name):
        if any(v.strip() for v in row.values()):
            yield number, {k: v.strip() for k, v in row.items()}


def _xlsx_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    from openpyxl import load_workbook  # type: ignore[import-untyped]

    sheet = load_workbook(path, read_only=True, data_only=True).worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = [str(h).strip() if h is not None else "" for h in next(rows, ())]
    for number, values in enumerate(rows, start=2):
        if any(v not in (None, "") for v in values):
            yield number, {h: v for h, v in zip(header, values, strict=False) if h}


def _line(row: dict[str, Any], order: dict[str, str]) -> dict[str, Any]:
    kind = str(row.get("kind") or "")
    event_class = EVENT_KINDS.get(kind)
    if event_class is None:
        return {"kind": kind, "national_id": str(row.get("national_id") or "")}
    hints = typing.get_type_hints(event_class)
    line: dict[str, Any] = {"national_id": str(row.get("national_id") or ""), "kind": kind,
                            "order": order}
    for f in dataclasses.fields(event_class):
        if f.name in _RESERVED or f.name not in row:
            continue
        line[f.name] = _cell(row[f.name], hints[f.name])
    return line


def _cell(value: Any, kind: Any) -> Any:
    """A spreadsheet cell in the JSON form ``parse_entry`` reads for that field's type."""
    optional = isinstance(kind, types.UnionType) and type(None) in typing.get_args(kind)
    base = next((a for a in typing.get_args(kind) if a is not type(None)), kind) \
        if optional else kind
    if value is None or (isinstance(value, str) and not value.strip()):
        return None if optional else ("" if base is str else value)
    if isinstance(value, date):
        return (value.date() if isinstance(value, datetime) else value).isoformat()
    convert = _CONVERT.get(base)
    if convert is not None:
        return convert(value)
    if typing.get_origin(base) is dict and isinstance(value, str):
        return orjson.loads(value)
    return value if isinstance(value, str) else str(value)


def _integer(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        cleaned = value.replace(",", "").strip()
        return int(cleaned) if cleaned.lstrip("-").isdigit() else value
    return value


def _boolean(value: Any) -> Any:
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return value


_CONVERT: dict[Any, Any] = {int: _integer, bool: _boolean, Decimal: str}
