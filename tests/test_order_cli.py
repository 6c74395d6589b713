"""The registrar's and the authority's day through the CLI: bulk lists from CSV and XLSX,
checks with a row-by-row report, removing failing rows, overrides with evidence, salary
rounds, renumbering and corrections — on both backends."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook
from typer.testing import CliRunner

from api.cli import app
from commands.orders import OrderDesk
from ledger.access import AreaAccess, area_access_id_for
from ledger.identity import record_id_for
from ledger.keys import KeyStore
from tests.conftest import LedgerEnv
from tests.factories import AREA, national_id
from tests.test_orders import opening_lines

TRANSFER_COLUMNS = ["national_id", "kind", "effective_date", "position_title",
                    "position_number", "unit", "area"]


@pytest.fixture
def staffed(ledger_env: LedgerEnv, tmp_path: Path) -> LedgerEnv:
    """Three teachers appointed on 16 May 2022 by an issued order."""
    secret = KeyStore(ledger_env.keys_dir, passphrase=b"test-passphrase").identity_secret()
    desk = OrderDesk(ledger_env.ledger, secret)
    ref = {"authority": AREA, "order_number": "5/2565", "order_date": "2022-05-01"}
    lines = [line | {"effective_date": "2022-05-16", "order": ref}
             for n in (1, 2, 3) for line in opening_lines(n, ref=ref)]
    for line in lines:
        if line["kind"] == "appointed":
            line["salary"] = 15_050
    order = desk.draft(ledger_env.keys.registrar, authority=AREA, area=AREA,
                       order_number="5/2565", order_date=date(2022, 5, 1), title="บรรจุ",
                       lines=lines)
    assert desk.check(ledger_env.keys.registrar, order).passed
    desk.issue(ledger_env.keys.authority, desk.order(AREA, "5/2565"))
    return ledger_env


def tabien(env: LedgerEnv, tmp_path: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env=env.cli_env | {
        "TABIEN_EVIDENCE_DIR": str(tmp_path / "evidence")})
    return result.exit_code, result.output


def write_csv(path: Path, columns: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(columns)
        writer.writerows(rows)
    return path


def transfer_row(n: int, on: str) -> list[str]:
    return [national_id(n), "transferred", on, "ครูผู้ช่วย", f"T{n}", "โรงเรียนหัวไทร", AREA]


def test_a_bulk_list_with_a_malformed_row_is_refused_row_by_row(
        staffed: LedgerEnv, tmp_path: Path) -> None:
    rows = [transfer_row(1, "2024-05-16"), transfer_row(2, "2567-05-16"),
            [*transfer_row(3, "2024-05-16")[:1], "promoted", "2024-05-16", "", "", "", ""]]
    bulk = write_csv(tmp_path / "list.csv", TRANSFER_COLUMNS, rows)
    before = staffed.ledger.store.count_events()
    code, output = tabien(staffed, tmp_path, "order", "draft", str(bulk), "--number",
                          "20/2567", "--date", "1/5/2567")
    assert code == 2, output
    assert "line 3" in output
    assert "line 4" in output
    assert "line 2" not in output
    assert staffed.ledger.store.count_events() == before


def test_a_bulk_list_cell_over_the_csv_field_limit_is_refused_naming_its_row(
        staffed: LedgerEnv, tmp_path: Path) -> None:
    """Issue 16: a cell longer than the csv module's field limit stopped the command with a
    traceback."""
    huge = [*transfer_row(2, "2024-05-16")[:-1], "x" * (csv.field_size_limit() + 1)]
    bulk = write_csv(tmp_path / "list.csv", TRANSFER_COLUMNS,
                     [transfer_row(1, "2024-05-16"), huge])
    before = staffed.ledger.store.count_events()
    code, output = tabien(staffed, tmp_path, "order", "draft", str(bulk), "--number",
                          "20/2567", "--date", "1/5/2567")
    assert code == 2, output
    assert "list.csv: row 3 has a cell longer than 131,072 characters" in output
    assert "แถวที่ 3" in output
    assert staffed.ledger.store.count_events() == before


def test_failing_rows_are_reported_removed_and_the_rest_issued(
        staffed: LedgerEnv, tmp_path: Path) -> None:
    # Person 3's transfer is dated before 12 months in the unit: it fails its rule.
    rows = [transfer_row(1, "2024-05-16"), transfer_row(2, "2024-05-16"),
            transfer_row(3, "2023-01-16")]
    bulk = write_csv(tmp_path / "list.csv", TRANSFER_COLUMNS, rows)
    assert tabien(staffed, tmp_path, "order", "draft", str(bulk), "--number", "21/2567",
                  "--date", "2024-05-01")[0] == 0
    code, output = tabien(staffed, tmp_path, "order", "check", "21/2567")
    assert code == 0, output
    assert "transfer.months-in-unit" in output
    # Nothing is issued while a row fails …
    before = staffed.ledger.store.count_events()
    code, output = tabien(staffed, tmp_path, "order", "issue", "21/2567")
    assert code == 2, output
    assert staffed.ledger.store.count_events() == before
    # … until the failing row is taken out and the order checked again.
    assert tabien(staffed, tmp_path, "order", "remove-lines", "21/2567", "--lines", "3",
                  "--reason", "ยังอยู่ไม่ครบ 12 เดือน")[0] == 0
    assert "every line passes" in tabien(staffed, tmp_path, "order", "check", "21/2567")[1]
    code, output = tabien(staffed, tmp_path, "order", "issue", "21/2567")
    assert code == 0, output
    record = staffed.reopen().record(record_id_for(national_id(1), _secret(staffed)))
    assert record.position is not None
    assert record.position.unit == "โรงเรียนหัวไทร"


def _secret(env: LedgerEnv) -> bytes:
    return KeyStore(env.keys_dir, passphrase=b"test-passphrase").identity_secret()


def test_an_xlsx_list_with_typed_cells_is_drafted(staffed: LedgerEnv, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["national_id", "kind", "effective_date", "new_salary", "percent",
                  "calculation_base", "special_compensation", "appraisal", "steps"])
    sheet.append([national_id(1), "salary_raised", date(2023, 4, 1), 15_500, 3.0, 15_050, 0,
                  "ดีมาก", None])
    path = tmp_path / "raises.xlsx"
    book.save(path)
    code, output = tabien(staffed, tmp_path, "order", "draft", str(path), "--number",
                          "22/2567", "--date", "2023-05-01")
    assert code == 0, output
    assert "every line passes" in tabien(staffed, tmp_path, "order", "check", "22/2567")[1]
    assert tabien(staffed, tmp_path, "order", "issue", "22/2567")[0] == 0


def test_an_override_with_evidence_is_on_the_record_and_verified(
        staffed: LedgerEnv, tmp_path: Path) -> None:
    bulk = write_csv(tmp_path / "list.csv", TRANSFER_COLUMNS, [transfer_row(1, "2023-01-16")])
    tabien(staffed, tmp_path, "order", "draft", str(bulk), "--number", "23/2567", "--date",
           "2023-01-05")
    tabien(staffed, tmp_path, "order", "check", "23/2567")
    memo = tmp_path / "มติ อ.ก.ค.ศ.pdf"
    memo.write_bytes(b"%PDF-1.4 minutes of the committee")
    code, output = tabien(staffed, tmp_path, "order", "override", "23/2567", "--line", "1",
                          "--rule", "transfer.months-in-unit", "--reason",
                          "ย้ายกรณีพิเศษตามมติ อ.ก.ค.ศ.", "--evidence", str(memo))
    assert code == 0, output
    assert tabien(staffed, tmp_path, "order", "issue", "23/2567")[0] == 0
    code, output = tabien(staffed, tmp_path, "verify")
    assert code == 0, output
    # The committee's minutes are covered: lose the file and verify says so.
    for stored in (tmp_path / "evidence").rglob("*"):
        if stored.is_file():
            stored.chmod(0o600)
            stored.unlink()
    code, output = tabien(staffed, tmp_path, "verify")
    assert code == 1
    assert "missing" in output


def test_a_salary_round_through_the_cli(staffed: LedgerEnv, tmp_path: Path) -> None:
    appraisals = write_csv(tmp_path / "round.csv",
                           ["national_id", "appraisal", "percent", "calculation_base"],
                           [[national_id(n), "ดีมาก", "2.5", "15,050"] for n in (1, 2, 3)])
    code, output = tabien(staffed, tmp_path, "salary-round", "preview", str(appraisals),
                          "--date", "1/4/2566")
    assert code == 0, output
    assert "15,430" in output  # 15,050 + 2.5% = 376.25 → 380
    # It showed every salary of the area: an area read in the access log.
    [read] = [e for e in staffed.ledger.events.get(area_access_id_for(AREA))
              if isinstance(e, AreaAccess.Exported)]
    assert (read.records, read.detail) == (3, f"salary round {AREA} 2023-04-01")
    args = ["salary-round", "issue", str(appraisals), "--date", "2023-04-01", "--number",
            "30/2566", "--order-date", "2023-05-10", "--idempotency-key", "round-1"]
    assert tabien(staffed, tmp_path, *args)[0] == 0
    before = staffed.ledger.store.count_events()
    code, output = tabien(staffed, tmp_path, *args)
    assert code == 0, output
    assert "already issued" in output
    assert staffed.ledger.store.count_events() == before


def test_renumbering_keeps_both_numbers_and_reports_vacant_ones(
        staffed: LedgerEnv, tmp_path: Path) -> None:
    mapping = write_csv(tmp_path / "renumber.csv", ["old_number", "new_number"],
                        [["P1", "NEW-1"], ["P2", "NEW-2"], ["P99", "NEW-99"]])
    code, output = tabien(staffed, tmp_path, "renumber", str(mapping), "--date", "2024-10-01",
                          "--number", "40/2567", "--order-date", "2024-09-20")
    assert code == 0, output
    assert "P99" in output
    record = staffed.reopen().record(record_id_for(national_id(1), _secret(staffed)))
    assert record.position is not None
    assert record.position.number == "NEW-1"
    duplicate = write_csv(tmp_path / "dup.csv", ["old_number", "new_number"],
                          [["NEW-1", "X"], ["NEW-2", "X"]])
    code, output = tabien(staffed, tmp_path, "renumber", str(duplicate), "--date",
                          "2025-10-01", "--number", "41/2567", "--order-date", "2025-09-20")
    assert code == 2
    assert "given twice" in output


def test_a_correction_and_a_revocation_by_order(staffed: LedgerEnv, tmp_path: Path) -> None:
    nid = national_id(2)
    code, output = tabien(staffed, tmp_path, "correct", nid, "--version", "2", "--reason",
                          "บันทึกเลขที่ตำแหน่งผิด", "--changes", '{"position_number": "P2-A"}',
                          "--number", "50/2567", "--order-date", "2024-06-01")
    assert code == 0, output
    code, output = tabien(staffed, tmp_path, "correct", nid, "--version", "99", "--reason",
                          "x", "--revoke", "--number", "51/2567", "--order-date", "2024-06-01")
    assert code != 0
    assert "99" in output
