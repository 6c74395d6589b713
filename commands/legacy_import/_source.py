"""Reading a legacy CSV file: its encoding, its delimiter, its header and its rows.

Old Thai systems (DPIS, Sapphire) wrote TIS-620; spreadsheets write UTF-8, often with a BOM.
Strict UTF-8 is tried first because TIS-620 text is almost never valid UTF-8, while UTF-8
Thai text always decodes as *something* in a single-byte code page: the reverse order would
turn every UTF-8 file into mojibake without an error. TIS-620 is read as Windows code page
874, its superset, which also maps the quotes and dashes Windows editors insert.

Row numbers are those a spreadsheet shows: the header is line 1, the first data row line 2,
and a quoted cell spanning several lines is still one row. A cell written with an apostrophe
before a formula's first character (as tabien's own reports write it) is read without it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from commands.legacy_import._layouts import Column, Layout, detect_layout, header_key
from ledger.errors import InvalidInput
from ledger.spreadsheet import read_csv, restore

__all__ = ["Row", "SourceFile", "read_source"]

_DELIMITERS = (",", ";", "\t", "|")


@dataclass(frozen=True)
class Row:
    line: int
    raw: tuple[str, ...]  # the cells as read, for the rejected-rows report
    cells: dict[str, str]  # column name → stripped text ("" when blank or absent)
    extra: tuple[str, ...]  # non-blank cells beyond the header's last column


@dataclass(frozen=True)
class SourceFile:
    path: Path
    encoding: str
    layout: Layout
    header: tuple[str, ...]
    columns: frozenset[str]  # the layout's columns this file has
    ignored: tuple[str, ...]  # header cells that name no column of the layout
    rows: tuple[Row, ...]
    blank_rows: int
    digest: bytes


def read_source(path: Path) -> SourceFile:
    """Decode, parse and map one file; refuse it whole if it cannot be read as a layout."""
    data = path.read_bytes()
    text, encoding = _decode(data, path.name)
    records = read_csv(text, path.name, delimiter=_delimiter(text))
    if not records or not any(cell.strip() for cell in records[0]):
        raise InvalidInput(f"{path.name}: the file is empty or has no header row",
                           f"{path.name}: ไฟล์ว่างหรือไม่มีแถวหัวตาราง")
    header = tuple(cell.strip() for cell in records[0])
    layout = detect_layout(list(header), path.name)
    mapping, ignored = _map_header(header, layout, path.name)
    rows, blank = _rows(records[1:], mapping, len(header))
    return SourceFile(path, encoding, layout, header, frozenset(mapping.values()), ignored,
                      tuple(rows), blank, hashlib.sha256(data).digest())


def _decode(data: bytes, name: str) -> tuple[str, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        return _strict(data[3:], "utf-8", name, "UTF-8 with BOM"), "UTF-8 with BOM"
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    return _strict(data, "cp874", name, "TIS-620"), "TIS-620 (cp874)"


def _strict(data: bytes, codec: str, name: str, label: str) -> str:
    try:
        return data.decode(codec)
    except UnicodeDecodeError as e:
        raise InvalidInput(
            f"{name}: byte {e.start} cannot be read as {label} or UTF-8; save the file as "
            f"UTF-8 or TIS-620",
            f"{name}: ไบต์ที่ {e.start} อ่านเป็น {label} หรือ UTF-8 ไม่ได้ "
            f"กรุณาบันทึกไฟล์เป็น UTF-8 หรือ TIS-620",
        ) from None


def _delimiter(text: str) -> str:
    # Spreadsheets in some locales write ";" or tabs; the header line tells which.
    first = text.split("\n", 1)[0]
    return max(_DELIMITERS, key=first.count) if any(d in first for d in _DELIMITERS) else ","


def _map_header(header: tuple[str, ...], layout: Layout,
                name: str) -> tuple[dict[int, str], tuple[str, ...]]:
    mapping: dict[int, str] = {}
    seen: dict[str, str] = {}
    ignored: list[str] = []
    for index, cell in enumerate(header):
        column = layout.column(header_key(cell)) if cell else None
        if column is None:
            if cell:
                ignored.append(cell)
            continue
        if column.name in seen:
            raise InvalidInput(
                f"{name}: columns {seen[column.name]!r} and {cell!r} both mean {column.name}",
                f"{name}: คอลัมน์ {seen[column.name]!r} และ {cell!r} หมายถึง {column.name} ทั้งคู่")
        seen[column.name] = cell
        mapping[index] = column.name
    _check_required(layout, set(seen), name)
    return mapping, tuple(ignored)


def _check_required(layout: Layout, present: set[str], name: str) -> None:
    missing = [c for c in layout.columns if c.required and c.name not in present]
    if missing:
        raise InvalidInput(
            f"{name}: the {layout.name} file lacks required column(s): "
            f"{', '.join(c.name for c in missing)}",
            f"{name}: ไฟล์{layout.title_th}ขาดคอลัมน์ที่จำเป็น: {_thai_names(missing)}",
        )


def _thai_names(columns: list[Column]) -> str:
    return ", ".join(f"{c.thai[0]} ({c.name})" for c in columns)


def _rows(records: list[list[str]], mapping: dict[int, str],
          width: int) -> tuple[list[Row], int]:
    rows: list[Row] = []
    blank = 0
    for line, record in enumerate(records, start=2):
        if not any(cell.strip() for cell in record):
            blank += 1
            continue
        cells = {column: "" for column in mapping.values()}
        for index, column in mapping.items():
            if index < len(record):
                cells[column] = " ".join(restore(record[index]).split())
        extra = tuple(cell for cell in record[width:] if cell.strip())
        rows.append(Row(line, tuple(record), cells, extra))
    return rows, blank
