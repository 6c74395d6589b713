"""Payroll feeds: arrears for orders recorded late, adjustments after a correction, the
reconciliation, and the three export formats — on both backends."""

from __future__ import annotations

import io
from datetime import date

from openpyxl import load_workbook
from typer.testing import CliRunner

from api.cli import app
from ledger.record import PersonnelRecord
from projections import payroll, payroll_files
from projections.record_projection import open_view, rebuild
from tests.conftest import LedgerEnv
from tests.factories import AREA, national_id, open_person, order, write_history


def export(env: LedgerEnv, month: str) -> payroll.PayrollFeed:
    view = open_view(env.url)
    rebuild(env.ledger, view)
    feed = payroll.build_feed(view, env.ledger.mapper, AREA, month)
    payroll.save(view, feed)
    assert feed.reconciles()
    return feed


def test_a_late_salary_order_is_paid_as_arrears_and_a_correction_adjusts_the_next_feed(
        ledger_env: LedgerEnv) -> None:
    keys = ledger_env.keys
    # A teacher appointed in January 2024 at 15,050 (an other colleague stays unchanged).
    teacher, colleague = open_person(1, appointed=date(2024, 1, 16)), open_person(2)
    write_history(ledger_env.ledger, keys.authority, teacher, colleague, purpose="appointments")
    april = export(ledger_env, "2024-04")
    assert {line.national_id: line.salary for line in april.lines}[national_id(1)] == 15_050
    # In May, the salary order effective 1 April is recorded: 15,050 → 15,500.
    teacher.record(PersonnelRecord.SalaryRaised, effective_date=date(2024, 4, 1),
                   order=order("88/2567", date(2024, 5, 10)), new_salary=15_500, percent=None,
                   steps=None, calculation_base=None, special_compensation=0, appraisal="ดี")
    write_history(ledger_env.ledger, keys.authority, teacher, purpose="late salary order")
    may = export(ledger_env, "2024-05")
    line = next(x for x in may.lines if x.national_id == national_id(1))
    assert (line.salary, line.arrears) == (15_500, 450)  # April's difference, paid in May
    assert next(x for x in may.lines if x.national_id == national_id(2)).arrears == 0
    # In June the raise is corrected to 15,400: June pays 15,400 and takes back 100 for each
    # of April and May, which were paid at 15,500.
    teacher.record(PersonnelRecord.EntryCorrected, effective_date=date(2024, 6, 5),
                   order=order("95/2567", date(2024, 6, 5)), corrects=3,
                   changes={"new_salary": 15_400}, reason="คำนวณผิด")
    write_history(ledger_env.ledger, keys.authority, teacher, purpose="correction")
    june = export(ledger_env, "2024-06")
    line = next(x for x in june.lines if x.national_id == national_id(1))
    assert (line.salary, line.arrears) == (15_400, -200)
    # July: nothing new, nothing owed.
    july = export(ledger_env, "2024-07")
    assert next(x for x in july.lines if x.national_id == national_id(1)).arrears == 0
    assert july.previous is not None
    assert july.previous[2] == june.total


def test_exports_open_correctly_and_the_cli_reconciles(ledger_env: LedgerEnv,
                                                       tmp_path: object) -> None:
    write_history(ledger_env.ledger, ledger_env.keys.authority, open_person(3),
                  purpose="appointment")
    rebuild(ledger_env.ledger, open_view(ledger_env.url))
    feed = payroll.build_feed(open_view(ledger_env.url), ledger_env.ledger.mapper, AREA,
                              "2024-03")
    csv_bytes = payroll_files.to_csv(feed)
    assert csv_bytes.startswith(b"\xef\xbb\xbf")  # Excel reads the BOM as UTF-8
    assert "เลขประจำตัวประชาชน".encode() in csv_bytes
    pipe = payroll_files.to_pipe(feed).decode().split("\n\n")[0].splitlines()
    assert pipe[0].split("|") == [column.key for column in payroll_files.COLUMNS]
    assert all(len(row.split("|")) == len(payroll_files.COLUMNS) for row in pipe)
    sheet = load_workbook(io.BytesIO(payroll_files.to_xlsx(feed))).active
    assert sheet is not None
    assert sheet.cell(2, 1).value == national_id(3)
    runner = CliRunner()
    first = runner.invoke(app, ["payroll", "export", "--month", "2024-03", "--out",
                                str(tmp_path)], env=ledger_env.cli_env)
    assert first.exit_code == 0, first.output
    second = runner.invoke(app, ["payroll", "export", "--month", "2024-04", "--out",
                                 str(tmp_path)], env=ledger_env.cli_env)
    assert "reconciliation" in second.output
    assert "✓" in second.output
    bad = runner.invoke(app, ["payroll", "export", "--month", "2567-04"], env=ledger_env.cli_env)
    assert bad.exit_code == 2
    assert "Buddhist-Era" in bad.output
