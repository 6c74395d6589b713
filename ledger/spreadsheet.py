"""Text cells that no spreadsheet runs: the one rule every CSV and XLSX tabien writes follows.

A cell beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return could be taken for
a formula (CSV injection). In CSV and text such a cell is written with an apostrophe before it
(OWASP's advice); in XLSX it is typed as a string with the quote-prefix mark Excel sets when a
person types an apostrophe (``put_text``). A lone ``-`` (no value) is no formula and is left as
it is. A reader of a file tabien wrote takes the apostrophe off again (``restore``), so a
report fixed in a spreadsheet and imported reads as it was written.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["FORMULA_START", "is_risky", "neutralise", "put_text", "restore"]

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
