"""One way to read a date on the command line too (issue 15): every option that takes a date
refuses a Buddhist-Era year in ISO form with the same message as the API, exits 2 and writes
nothing; Thai forms are read as the API reads them."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import LedgerEnv
from tests.factories import national_id
from tests.test_order_cli import staffed, tabien

__all__ = ["staffed"]  # the fixture, used here

NID = national_id(1)
SCAN = b"%PDF-1.4\n% a scanned order\n"


def commands(tmp_path: Path) -> dict[str, list[str]]:
    """A command for each option that reads a date, given a B.E. year in ISO form."""
    order = tmp_path / "order.json"
    order.write_text('{"title": "x", "lines": [{"kind": "x"}]}', encoding="utf-8")
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(SCAN)
    return {
        "record show --as-of": ["record", "show", NID, "--as-of", "2567-04-01"],
        "record show --known-at": ["record", "show", NID, "--known-at", "2567-04-01T00:00"],
        "positions --as-of": ["positions", "--as-of", "2567-04-01"],
        "order draft --date": ["order", "draft", str(order), "--number", "9/2567",
                               "--date", "2567-05-01"],
        "correct --order-date": ["correct", NID, "--version", "2", "--reason", "x",
                                 "--number", "60/2567", "--order-date", "2567-06-01",
                                 "--changes", '{"salary": 15500}'],
        "audit diff --from": ["audit", "diff", NID, "--from", "2567-01-01", "--to",
                              "2024-06-01"],
        "evidence attach --order-date": ["evidence", "attach", NID, str(scan), "--to", "0",
                                         "--description", "x", "--order-authority", "สพม.16",
                                         "--order-number", "9/2567", "--order-date",
                                         "2567-04-01"],
        "payroll export --month": ["payroll", "export", "--month", "2567-05", "--out",
                                   str(tmp_path / "payroll")],
    }


@pytest.mark.parametrize("command", sorted(commands(Path("/tmp"))))
def test_a_buddhist_era_year_in_an_iso_date_is_refused_by_every_command(
        staffed: LedgerEnv, tmp_path: Path, command: str) -> None:
    events = staffed.ledger.store.count_events()
    code, output = tabien(staffed, tmp_path, *commands(tmp_path)[command])
    assert code == 2, output
    assert "Buddhist-Era year" in output, output
    assert "พุทธศักราช" in output or "พ.ศ." in output
    assert staffed.ledger.store.count_events() == events


def test_a_record_as_of_a_thai_date_is_shown(staffed: LedgerEnv, tmp_path: Path) -> None:
    code, output = tabien(staffed, tmp_path, "rebuild")
    assert code == 0, output
    code, thai = tabien(staffed, tmp_path, "record", "show", NID, "--as-of", "1 มิถุนายน 2565")
    assert code == 0, thai
    code, iso = tabien(staffed, tmp_path, "record", "show", NID, "--as-of", "2022-06-01")
    assert thai == iso
