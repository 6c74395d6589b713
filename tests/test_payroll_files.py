"""Payroll files ready to send (issue 15, item 6), read back as a payroll officer's tools read
them: the CSV with Python's csv module, the XLSX with openpyxl, the text split on ``|``.

What was seen: no totals row and no reconciliation in the files; the NOT FOUND note on
position allowance only in the JSON; an arrears amount that did not say which months it
covered; rows in no order, no column widths, no frozen header; ``k2`` and ``senior`` where a
person reads คศ.2 and ชำนาญการ; and one file named ``payroll-{area}-{month}`` by the CLI but
``payroll-{month}`` by the API. What holds now is below."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from api.cli import app
from ledger.identity import record_id_for
from ledger.record import PersonnelRecord
from projections import payroll, payroll_files
from projections.payroll import ArrearsMonth, PayLine, PayrollFeed
from projections.payroll_files import COLUMNS, FORMATS
from projections.record_projection import open_view, rebuild
from tests.conftest import LedgerEnv
from tests.factories import AREA, SECRET, national_id, order, raise_salary, write_history
from tests.web import Api, is_problem

Rows = list[list[str]]
KEYS = [column.key for column in COLUMNS]
MONEY = [column.key for column in COLUMNS if column.money]


def _person(n: int, position: str, standing: tuple[str, str, int] | None = None,
            secret: bytes = SECRET) -> PersonnelRecord:
    """A teacher appointed in 2010 to post ``position``; ``standing`` = (code, rank, salary)
    conferred in 2020."""
    nid, on = national_id(n), date(2010, 5, 16)
    record = PersonnelRecord.open(
        record_id_for(nid, secret), effective_date=on, order=order(f"{n}/2553", on),
        national_id=nid, prefix="นางสาว", first_name=f"ครู{n}", last_name="ใจดี",
        birth_date=date(1985, 5, 1), area=AREA)
    record.record(PersonnelRecord.Appointed, effective_date=on, order=order(f"{n}/2553", on),
                  position_title="ครูผู้ช่วย", position_number=position,
                  unit="โรงเรียนปากพนัง", area=AREA, rank="assistant", salary=15_050,
                  staff_type="teacher", on_probation=False)
    if standing is not None:
        code, rank, salary = standing
        when = date(2020, 10, 1)
        record.record(PersonnelRecord.StandingConferred, effective_date=when,
                      order=order(f"{200 + n}/2563", when), standing=code, rank=rank,
                      salary=salary)
    return record


@pytest.fixture
def april(ledger_env: LedgerEnv) -> tuple[PayrollFeed, PayrollFeed]:
    """March's and April's feeds of three teachers whose posts are 10, 9 and 100 (appointed
    in that order), the first given, after March's feed, a raise effective 1 February."""
    keys, ledger = ledger_env.keys, ledger_env.ledger
    first = _person(1, "10")
    write_history(ledger, keys.authority, first, _person(2, "9", ("senior_special", "k3", 30_000)),
                  _person(3, "100", ("senior", "k2", 20_000)), purpose="appointments")
    view = open_view(ledger_env.url)
    rebuild(ledger, view)
    march = payroll.build_feed(view, ledger.mapper, AREA, "2024-03")
    payroll.save(view, march)
    raise_salary(first, date(2024, 2, 1), 15_500, "40/2567")
    write_history(ledger, keys.authority, first, purpose="late salary order")
    rebuild(ledger, view)
    feed = payroll.build_feed(view, ledger.mapper, AREA, "เมษายน 2567")
    payroll.save(view, feed)
    return march, feed


# ---------------------------------------------------------------- reading the files back


def _csv_rows(data: bytes) -> Rows:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def _pipe_rows(data: bytes) -> Rows:
    return [line.split("|") for line in data.decode("utf-8").split("\n")[:-1]]


def _parts(rows: Rows) -> list[Rows]:
    """The parts of a CSV or text file: the rows between blank rows."""
    found: list[Rows] = [[]]
    for row in rows:
        if any(row):
            found[-1].append(row)
        else:
            found.append([])
    return found


def _starting(part: Rows, text: str) -> list[str]:
    return next(row for row in part if row[0].startswith(text))


def _check_layout(rows: Rows, march: PayrollFeed, feed: PayrollFeed) -> None:
    """What every format says, read from a CSV's or a text file's rows."""
    people, reconciliation, notes, arrears = _parts(rows)
    body, totals = people[1:-1], people[-1]

    def column(row: list[str], key: str) -> str:
        return row[KEYS.index(key)]

    # People by position number, as a person counts, with Thai rank and standing labels.
    assert [column(row, "position_number") for row in body] == ["9", "10", "100"]
    assert [(column(row, "rank"), column(row, "standing")) for row in body] == [
        ("คศ.3", "ชำนาญการพิเศษ"), ("ครูผู้ช่วย", "-"), ("คศ.2", "ชำนาญการ")]
    # The totals row: every money column is the sum of the people's.
    assert totals[0] == "รวม (total)"
    assert totals[1].startswith("3 คน")
    for key in MONEY:
        assert int(column(totals, key)) == sum(int(column(row, key)) for row in body), key
    assert int(column(totals, "total")) == feed.total
    assert int(column(totals, "arrears")) == 900
    # The arrears row says which months it covers.
    late = next(row for row in body if column(row, "national_id") == national_id(1))
    assert (column(late, "arrears"), column(late, "arrears_months")) == (
        "900", "กุมภาพันธ์ 2567, มีนาคม 2567")
    # The reconciliation: last month's total + changes = this month's total, and the verdict.
    assert reconciliation[0] == ["กระทบยอด (reconciliation)"]
    last = _starting(reconciliation, "ยอดเดือนก่อน")
    changes = _starting(reconciliation, "รวมการเปลี่ยนแปลง")
    this = _starting(reconciliation, "ยอดเดือนนี้")
    assert "มีนาคม 2567" in last[0]
    assert "เมษายน 2567" in this[0]
    assert int(last[2]) == march.total
    assert int(changes[2]) == 450  # the raise, from April on
    assert int(last[2]) + int(changes[2]) == int(this[2]) == feed.total
    assert "ถูกต้อง (reconciles)" in _starting(reconciliation, "ผลการกระทบยอด")[0]
    # The notes: what is NOT FOUND, and each person's arrears month by month.
    assert [payroll.POSITION_ALLOWANCE_NOTE] in notes
    assert [payroll_files.CGD_FORMAT_NOTE] in notes
    assert arrears[0] == ["ตกเบิกรายเดือน (arrears by month)"]
    assert [row[:2] + row[3:] for row in arrears[2:]] == [
        [national_id(1), "นางสาวครู1 ใจดี", "กุมภาพันธ์ 2567", "450"],
        [national_id(1), "นางสาวครู1 ใจดี", "มีนาคม 2567", "450"]]
    # Nowhere a rules code where a person reads a label.
    text = "\n".join("|".join(row) for row in rows)
    assert not re.search(r"\bk[1-5]\b|senior|assistant|expert", text)


def _xlsx_rows(sheet: Any) -> Rows:
    rows = [["" if cell is None else str(cell) for cell in row]
            for row in sheet.iter_rows(values_only=True)]
    return [row[:max((i + 1 for i, c in enumerate(row) if c), default=0)] for row in rows]


# ---------------------------------------------------------------- the three files


def test_the_csv_has_people_by_position_totals_reconciliation_and_notes(
        april: tuple[PayrollFeed, PayrollFeed]) -> None:
    march, feed = april
    rows = _csv_rows(payroll_files.to_csv(feed))
    assert rows[0] == [column.heading for column in COLUMNS]
    _check_layout(rows, march, feed)


def test_the_text_file_says_the_same_under_the_columns_keys(
        april: tuple[PayrollFeed, PayrollFeed]) -> None:
    march, feed = april
    rows = _pipe_rows(payroll_files.to_pipe(feed))
    assert rows[0] == KEYS
    assert all(len(row) == len(KEYS) for row in _parts(rows)[0])
    _check_layout(rows, march, feed)


def test_the_workbook_has_a_frozen_header_sized_columns_and_sheets_of_its_own(
        april: tuple[PayrollFeed, PayrollFeed]) -> None:
    march, feed = april
    book = load_workbook(io.BytesIO(payroll_files.to_xlsx(feed)))
    people, reconciliation, notes = book.worksheets
    assert (people.title, reconciliation.title, notes.title) == (
        "เมษายน 2567", "กระทบยอด", "หมายเหตุ")
    assert people.freeze_panes == "A2"
    assert reconciliation.freeze_panes == "A2"
    # Every column has a width, wide enough for its longest value.
    for index, column in enumerate(COLUMNS, start=1):
        letter = people.cell(1, index).column_letter
        width = people.column_dimensions[letter].width
        longest = max(len(str(people.cell(row, index).value or ""))
                      for row in range(2, people.max_row + 1))
        assert width >= max(8, longest), (column.key, width, longest)
    # Money is numeric (the totals row too); text is text.
    for row in people.iter_rows(min_row=2):
        for cell, column in zip(row, COLUMNS, strict=True):
            if column.money:
                assert isinstance(cell.value, int), (column.key, cell.value)
    assert people.cell(2, 1).data_type == "s"
    # The same parts as the CSV, cell for cell: the people and totals, then the
    # reconciliation sheet under its title, then the notes sheet.
    rows = [*_xlsx_rows(people), [], ["กระทบยอด (reconciliation)"]]
    rows += [*_xlsx_rows(reconciliation), [], *_xlsx_rows(notes)]
    _check_layout(rows, march, feed)
    csv_rows = [row[:max((i + 1 for i, c in enumerate(row) if c), default=0)]
                for row in _csv_rows(payroll_files.to_csv(feed))]
    assert rows == csv_rows


def test_the_json_lines_come_by_position_with_the_months_of_their_arrears(
        april: tuple[PayrollFeed, PayrollFeed]) -> None:
    _march, feed = april
    assert [line.position_number for line in feed.lines] == ["9", "10", "100"]
    assert [line.standing for line in feed.lines] == ["senior_special", "none", "senior"]
    assert feed.lines[1].arrears_months == (ArrearsMonth(date(2024, 2, 1), 450),
                                            ArrearsMonth(date(2024, 3, 1), 450))


def _line(n: int, position: str, total: int = 15_000) -> PayLine:
    return PayLine(national_id(n), f"ครู{n}", position, "k1", "none", total, 0, 0, total, 0, (),
                   "")


def test_position_numbers_are_ordered_as_a_person_counts_them() -> None:
    positions = ["100", "", "A10", "9", "A2", "10"]
    lines = sorted((_line(n, p) for n, p in enumerate(positions)), key=payroll.position_order)
    assert [line.position_number for line in lines] == ["9", "10", "100", "A2", "A10", ""]


def test_the_reconciliation_tells_joined_left_and_changed_apart() -> None:
    feed = PayrollFeed(AREA, date(2024, 6, 1), datetime(2024, 6, 20, tzinfo=UTC),
                       (date(2024, 5, 1), datetime(2024, 5, 20, tzinfo=UTC), 45_000))
    feed.lines += [_line(1, "1", 15_000), _line(2, "2", 15_500), _line(4, "4", 16_000)]
    # 1 unchanged; 2 raised 15,000 → 15,500; 3 left (15,000); 4 joined (16,000).
    feed.changes += [(national_id(2), 15_000, 15_500), (national_id(3), 15_000, 0),
                     (national_id(4), 0, 16_000)]
    changes = feed.change_summary()
    assert (changes.joined, changes.left, changes.changed) == (
        (1, 16_000), (1, -15_000), (1, 500))
    assert feed.reconciles()
    assert 45_000 + changes.amount == feed.total == 46_500
    reconciliation = _parts(_csv_rows(payroll_files.to_csv(feed)))[1]
    assert _starting(reconciliation, "หยุดรับ")[1:] == ["1", "-15000"]
    feed.changes.pop()  # a change left out: the verdict says so
    verdict = _starting(_parts(_csv_rows(payroll_files.to_csv(feed)))[1], "ผลการกระทบยอด")[0]
    assert "ไม่ตรง (does not reconcile)" in verdict
    assert "46,500" in verdict


# ---------------------------------------------------------------- spreadsheet safety

HOSTILE = ["=HYPERLINK(\"http://x\",\"y\")", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]


def _hostile_feed() -> PayrollFeed:
    feed = PayrollFeed(AREA, date(2024, 6, 1), datetime(2024, 6, 20, tzinfo=UTC), None)
    feed.lines += [PayLine(national_id(n), name, str(n), "k1", "none", 15_000, 0, 0, 15_000,
                           -200, (ArrearsMonth(date(2024, 5, 1), -200),), "")
                   for n, name in enumerate(HOSTILE, start=1)]
    feed.changes += [(line.national_id, 0, line.total) for line in feed.lines]
    return feed


def test_formula_leading_text_is_neutralised_and_numbers_stay_numbers() -> None:
    feed = _hostile_feed()
    neutralised = ["'" + name for name in HOSTILE]
    # (a text file keeps one line per row: a line break inside a field becomes a space)
    for rows, expected in ((_csv_rows(payroll_files.to_csv(feed)), neutralised),
                           (_pipe_rows(payroll_files.to_pipe(feed)),
                            [name.replace("\r", " ") for name in neutralised])):
        people = _parts(rows)[0]
        assert [row[1] for row in people[1:-1]] == expected
        assert [row[KEYS.index("arrears")] for row in people[1:]] == (
            ["-200"] * len(HOSTILE) + [str(-200 * len(HOSTILE))])
        assert [row[4] for row in _parts(rows)[3][2:]] == ["-200"] * len(HOSTILE)
    sheet = load_workbook(io.BytesIO(payroll_files.to_xlsx(feed))).worksheets[0]
    for row, name in enumerate(HOSTILE, start=2):
        cell = sheet.cell(row, 2)
        # Text with Excel's own quote prefix, as written (XML reads a carriage return back as
        # a line feed): never a formula.
        assert (cell.value, cell.data_type, cell.quotePrefix) == (
            name.replace("\r", "\n"), "s", True)
        assert sheet.cell(row, KEYS.index("arrears") + 1).value == -200
    assert sheet.cell(2, KEYS.index("standing") + 1).quotePrefix is False  # "-": no formula


# ---------------------------------------------------------------- the file's name


def test_a_file_name_is_safe_on_every_system() -> None:
    may = date(2026, 5, 1)
    assert payroll_files.file_name("สพม.16", may, "csv") == "payroll-สพม.16-2026-05.csv"
    spaced = payroll_files.file_name("สพป.นครศรีธรรมราช เขต 1", may, "xlsx")
    assert spaced == "payroll-สพป.นครศรีธรรมราช_เขต_1-2026-05.xlsx"
    longest = payroll_files.file_name("ก" * 100, may, "xlsx")
    assert len(longest.encode()) < 255
    for name in (spaced, longest):
        assert not re.search(r'[\s<>:"/\\|?*\x00-\x1f]', name)
    assert payroll_files.ascii_file_name("สพม.16", may, "csv") == "payroll-16-2026-05.csv"
    assert payroll_files.ascii_file_name("สพม", may, "txt") == "payroll-2026-05.txt"


def test_the_api_and_the_cli_name_a_file_alike(api: Api, ledger_env: LedgerEnv,
                                               tmp_path: Path) -> None:
    from_api = set()
    for ext in FORMATS:
        answer = api.client.get(f"/api/v1/payroll/{AREA}/2024-05", params={"format": ext},
                                headers=api.as_("pay"))
        assert answer.status_code == 200, answer.text
        disposition = answer.headers["content-disposition"]
        star = re.search(r"filename\*=UTF-8''([^;\s]+)", disposition)
        fallback = re.search(r'filename="([^"]+)"', disposition)
        assert star is not None, disposition
        assert fallback is not None, disposition
        assert fallback[1] == f"payroll-16-2024-05.{ext}"
        from_api.add(unquote(star[1]))
    # The month in another accepted form: one reader of months on every surface.
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["payroll", "export", "--month", "พฤษภาคม 2567", "--out",
                                      str(out)], env=ledger_env.cli_env)
    assert result.exit_code == 0, result.output
    assert {path.name for path in out.iterdir()} == from_api == {
        f"payroll-{AREA}-2024-05.{ext}" for ext in FORMATS}


# ---------------------------------------------------------------- the month


def test_the_api_reads_the_month_as_every_route_reads_one(api: Api) -> None:
    months = {api.client.get(f"/api/v1/payroll/{AREA}/{month}", headers=api.as_("pay"))
              .json()["month"] for month in ("2024-05", "5%2F2567", "พฤษภาคม 2567", "พ.ค. 2567")}
    assert months == {"2024-05-01"}


def test_a_buddhist_era_year_written_as_an_iso_month_is_refused_by_the_api(api: Api) -> None:
    """The route took its month by a pattern of its own (``^[0-9]{4}-[0-9]{2}$``) and a reader
    of its own; now ``ledger.thaidate.parse_month``, which says what to write instead."""
    events = api.events()
    problem = is_problem(api.client.get(f"/api/v1/payroll/{AREA}/2569-05",
                                        headers=api.as_("pay")), 400)
    assert "Buddhist-Era year" in problem["detail"]
    assert "2026-05 or 5/2569" in problem["detail"]
    assert "ปี พ.ศ." in problem["detail_th"]
    assert "2026-05 หรือ 5/2569" in problem["detail_th"]
    assert api.events() == events  # no export logged
    assert api.services.view.last_feed_before(AREA, "2100-01-01") is None  # no feed kept


def test_a_buddhist_era_year_written_as_an_iso_month_is_refused_by_the_cli(
        ledger_env: LedgerEnv, tmp_path: Path) -> None:
    events = ledger_env.ledger.store.count_events()
    result = CliRunner().invoke(app, ["payroll", "export", "--month", "2569-05", "--out",
                                      str(tmp_path / "out")], env=ledger_env.cli_env)
    assert result.exit_code == 2, result.output
    assert "Buddhist-Era year" in result.output
    assert "2026-05" in result.output
    assert "ปี พ.ศ." in result.output
    assert not (tmp_path / "out").exists()
    assert ledger_env.ledger.store.count_events() == events
