"""Text cells that no spreadsheet runs: the one rule every CSV and XLSX tabien writes follows.

A cell beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return could be taken for
a formula (CSV injection). In CSV and text such a cell is written with an apostrophe before it
(OWASP's advice); in XLSX it is typed as a string with the quote-prefix mark Excel sets when a
person types an apostrophe (``put_text``). A lone ``-`` (no value) is no formula and is left as
it is. A reader of a file tabien wrote takes the apostrophe off again (``restore``), so a
report fixed in a spreadsheet and imported reads as it was written.

Every CSV tabien reads goes through ``read_csv``, so a row the csv module cannot read (a cell
over its field limit) is refused as bad input naming the row.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from ledger.errors import InvalidInput

__all__ = ["FORMULA_START", "is_risky", "neutralise", "put_text", "read_csv", "read_csv_rows",
           "restore"]

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

# Characters openpyxl refuses in a cell (control characters other than tab, LF and CR).
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def is_risky(text: str) -> bool:
    """Whether a spreadsheet could read ``text`` as a formula."""
    return text.startswith(FORMULA_START) and text != "-"


def neutralise(text: str) -> str:
    """``text`` as a spreadsheet shows it and never runs it: an apostrophe before a formula's
    first character."""
    return f"'{text}" if is_risky(text) else text


def restore(text: str) -> str:
    """The text ``neutralise`` was given: the apostrophe before a formula's first character
    taken off (as a spreadsheet does when it reads a cell typed with one)."""
    return text[1:] if text.startswith("'") and is_risky(text[1:]) else text


def put_text(cell: Any, text: str) -> None:
    """Write ``text`` into an openpyxl cell as a string, never a formula, whatever it begins
    with; the characters a workbook cannot hold are dropped."""
    cell.value = _ILLEGAL.sub("", text)
    cell.data_type = "s"
    cell.quotePrefix = is_risky(text)


def read_csv(text: str, name: str, *, delimiter: str = ",") -> list[list[str]]:
    """The records of a CSV text, or ``InvalidInput`` naming the row (as a spreadsheet numbers
    it, the header being row 1) that the csv module cannot read: a cell longer than its field
    limit, say, which would otherwise surface as an unexplained failure."""
    records: list[list[str]] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for record in reader:
            records.append(record)
    except csv.Error as e:
        row = len(records) + 1
        limit = csv.field_size_limit()
        if "field limit" in str(e):
            raise InvalidInput(
                f"{name}: row {row} has a cell longer than {limit:,} characters",
                f"{name}: แถวที่ {row} มีช่องที่ยาวเกิน {limit:,} ตัวอักษร") from None
        raise InvalidInput(f"{name}: row {row} cannot be read as CSV ({e})",
                           f"{name}: แถวที่ {row} อ่านเป็น CSV ไม่ได้ ({e})") from None
    return records


def read_csv_rows(text: str, name: str) -> list[tuple[int, dict[str, str]]]:
    """The rows of a CSV text under its header, each with its row number as a spreadsheet
    shows it (the header is row 1); empty lines are skipped, short rows filled with ``""``,
    cells beyond the header dropped."""
    header, *records = read_csv(text, name) or [[]]
    keys = [key.strip() for key in header]
    return [(number, {key: cell for key, cell in
                      zip(keys, record + [""] * (len(keys) - len(record)), strict=False)
                      if key})
            for number, record in enumerate(records, start=2) if record]
