"""``tabien import`` of legacy ก.พ.7 CSV files, end to end on SQLite and PostgreSQL.

The sample files in ``tests/data/legacy`` are four people of สพม.16 with their section-13
history (B.E. dates as Sapphire wrote them, C.E. ISO dates as DPIS stored them), two
education rows, a later export that overlaps the first, and a file of broken rows.
"""

from __future__ import annotations

import csv
import itertools
import shutil
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app
from ledger.identity import record_id_for
from ledger.record import PersonnelRecord
from tests.conftest import LedgerEnv

DATA = Path(__file__).parent / "data" / "legacy"
KANJANA, THANAKORN, SUPAPORN, ANUCHA = (
    "3800100123454", "3801200456782", "3930100789010", "1101400123451")
PEOPLE_ROWS, HISTORY_ROWS, EDUCATION_ROWS = 4, 22, 2


@pytest.fixture
def files(tmp_path: Path) -> Path:
    """A copy of the samples: the import writes its reports beside its input."""
    folder = tmp_path / "legacy"
    shutil.copytree(DATA, folder)
    return folder


_NUMBERS = itertools.count(130)


def run(env: LedgerEnv, args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(app, args, env=env.cli_env)
    return result.exit_code, result.output


def tabien(env: LedgerEnv, *args: str | Path) -> tuple[int, str]:
    """The command; an import (not a dry run) as the registrar's transcription order, then
    checked and issued by the area's authority, as the two of them would."""
    words = [str(a) for a in args]
    if words[0] != "import" or "--dry-run" in words or "--number" in words:
        return run(env, words)
    number = f"{next(_NUMBERS)}/2569"
    area = words[words.index("--area") + 1] if "--area" in words else "สพม.16"
    code, output = run(env, [*words, "--number", number, "--date", "1/12/2569"])
    if "transcription order drafted" in " ".join(output.split()):
        for step in ("check", "issue"):
            step_code, step_output = run(env, ["order", step, number, "--area", area])
            assert step_code == 0, step_output
            output += step_output
    return code, output


def events(env: LedgerEnv) -> int:
    """Personnel-record events in the ledger (the orders that carry them are not counted)."""
    return sum(1 for row in env.ledger.store.iter_log()
               if row.topic.startswith("ledger.record:PersonnelRecord."))


def record_of(env: LedgerEnv, national_id: str) -> PersonnelRecord:
    return env.reopen().record(record_id_for(national_id, env.store.identity_secret()))


def import_samples(env: LedgerEnv, files: Path) -> str:
    code, output = tabien(env, "import", files / "history.csv", files / "people.csv")
    assert code == 0, output
    return output


def test_people_and_history_become_signed_entries_and_verify(ledger_env: LedgerEnv,
                                                             files: Path) -> None:
    before = events(ledger_env)
    output = import_samples(ledger_env, files)
    assert events(ledger_env) == before + PEOPLE_ROWS + HISTORY_ROWS
    assert "read 4 = นำเข้า / imported 4" in output
    assert "read 22 = นำเข้า / imported 22" in output
    # One transcription order, issued by the authority with every row in one submission;
    # it names both files, people first even though history was named first.
    issued = ledger_env.ledger.store.submissions()[-1].submission
    assert issued.event_count == PEOPLE_ROWS + HISTORY_ROWS + 1
    assert issued.key_id == ledger_env.keys.authority.key_id
    assert issued.purpose.index("people.csv") < issued.purpose.index("history.csv")
    kanjana = record_of(ledger_env, KANJANA)
    assert kanjana.name == ("นางสาว", "กาญจนา", "แก้วมณี")
    assert kanjana.position is not None
    assert kanjana.position.number == "2210"
    assert (kanjana.standing, kanjana.position.rank, kanjana.salary) == ("senior", "k2", 27_980)
    assert record_of(ledger_env, SUPAPORN).left_on == date(2021, 10, 1)
    thanakorn = record_of(ledger_env, THANAKORN).position
    assert thanakorn is not None
    assert thanakorn.unit == "โรงเรียนท่าศาลาประสิทธิ์ศึกษา"
    code, output = tabien(ledger_env, "verify")
    assert code == 0, output


def test_b_e_and_c_e_dates_are_detected_and_counted(ledger_env: LedgerEnv,
                                                    files: Path) -> None:
    output = import_samples(ledger_env, files)
    assert "พ.ศ. (B.E.) 9, ค.ศ. (C.E.) 3" in output  # people: three dates a row
    assert "พ.ศ. (B.E.) 36, ค.ศ. (C.E.) 8" in output  # history: date and order date
    assert record_of(ledger_env, KANJANA).birth_date == date(1985, 3, 12)  # 12/3/2528
    assert record_of(ledger_env, ANUCHA).birth_date == date(1990, 7, 15)  # 1990-07-15
    assert record_of(ledger_env, SUPAPORN).birth_date == date(1960, 10, 2)  # 2/10/2503


def test_a_tis_620_file_is_read_and_reported(ledger_env: LedgerEnv, files: Path) -> None:
    text = (files / "people.csv").read_text(encoding="utf-8-sig")
    legacy = files / "people_tis620.csv"
    legacy.write_bytes(text.encode("cp874"))
    code, output = tabien(ledger_env, "import", legacy)
    assert code == 0, output
    assert "TIS-620 (cp874)" in output
    assert record_of(ledger_env, THANAKORN).name == ("นาย", "ธนากร", "ชูแก้ว")


def test_malformed_rows_are_reported_and_the_valid_ones_imported(ledger_env: LedgerEnv,
                                                                 files: Path) -> None:
    import_samples(ledger_env, files)
    before = events(ledger_env)
    code, output = tabien(ledger_env, "import", files / "history_with_errors.csv")
    assert code == 2, output
    assert "read 9 = นำเข้า / imported 2 + มีอยู่แล้ว / already present 0 + ปฏิเสธ / " \
           "rejected 7" in output
    assert events(ledger_env) == before + 2
    report = files / "history_with_errors.rejected.csv"
    assert report.read_bytes().startswith(b"\xef\xbb\xbf")  # Excel reads the Thai text
    with report.open(encoding="utf-8-sig", newline="") as f:
        rows = {int(row["line"]): row for row in csv.DictReader(f)}
    expected = {
        3: ("fails its check", "ไม่ผ่านการตรวจสอบ"),
        4: ("unknown kind 'เลื่อนยศ'", "ไม่รู้จักประเภทรายการ"),
        5: ("has no day 30", "ไม่มีวันที่ 30"),
        6: ("Buddhist-Era year given as a Christian-Era date", "ปีพุทธศักราช"),
        7: ("salary is required", "ต้องระบุ อัตราเงินเดือน"),
        8: ("no record for national ID 3800500999993", "ไม่มีทะเบียนประวัติ"),
        9: ("left service on 2021-10-01", "พ้นจากราชการแล้ว"),
    }
    assert sorted(rows) == sorted(expected)
    for line, (english, thai) in expected.items():
        assert english in rows[line]["reason_en"], rows[line]
        assert thai in rows[line]["reason_th"], rows[line]
    # The original cells are kept, so the row can be fixed in the report and imported again.
    assert rows[4]["kind"] == "เลื่อนยศ"
    assert rows[4]["national_id"] == THANAKORN
    assert record_of(ledger_env, KANJANA).salary == 28_450  # line 2 was imported
    # The documented way on: fix a row in the report and import the report itself.
    report.write_text(report.read_text(encoding="utf-8-sig").replace("เลื่อนยศ", "เลื่อนเงินเดือน"),
                      encoding="utf-8-sig")
    code, output = tabien(ledger_env, "import", report)
    assert code == 2, output
    assert "imported 1 + มีอยู่แล้ว / already present 0 + ปฏิเสธ / rejected 6" in output
    assert "ignored columns: line, reason_th, reason_en" in output
    assert record_of(ledger_env, THANAKORN).salary == 29_950


def test_importing_the_same_files_again_adds_nothing(ledger_env: LedgerEnv,
                                                     files: Path) -> None:
    import_samples(ledger_env, files)
    tabien(ledger_env, "import", files / "education.csv")
    before = events(ledger_env)
    code, output = tabien(ledger_env, "import", files / "people.csv", files / "history.csv",
                          files / "education.csv")
    assert code == 0, output
    assert events(ledger_env) == before
    assert "imported 0 + มีอยู่แล้ว / already present 4" in output
    assert "imported 0 + มีอยู่แล้ว / already present 22" in output
    assert "imported 0 + มีอยู่แล้ว / already present 2" in output
    assert "nothing new to append" in output


def test_an_overlapping_file_adds_only_its_new_rows(ledger_env: LedgerEnv,
                                                    files: Path) -> None:
    import_samples(ledger_env, files)
    before = events(ledger_env)
    code, output = tabien(ledger_env, "import", files / "history_later.csv")
    assert code == 0, output
    assert "read 5 = นำเข้า / imported 2 + มีอยู่แล้ว / already present 3" in output
    assert events(ledger_env) == before + 2
    assert record_of(ledger_env, KANJANA).salary == 28_900
    assert record_of(ledger_env, ANUCHA).salary == 16_440


def test_a_people_row_that_differs_from_the_open_record_is_rejected(
        ledger_env: LedgerEnv, files: Path) -> None:
    import_samples(ledger_env, files)
    people = files / "people.csv"
    people.write_text(people.read_text(encoding="utf-8-sig").replace("12/3/2528", "13/3/2528"),
                      encoding="utf-8-sig")
    before = events(ledger_env)
    code, output = tabien(ledger_env, "import", people)
    assert code == 2, output
    assert "already present 3 + ปฏิเสธ / rejected 1" in output
    assert "birth_date: 1985-03-13 here, 1985-03-12 in the record" in output
    assert events(ledger_env) == before


def test_area_option_fills_a_people_file_without_area(ledger_env: LedgerEnv,
                                                      files: Path) -> None:
    lines = (files / "people.csv").read_text(encoding="utf-8-sig").splitlines()
    cut = lines[0].split(",").index("เขตพื้นที่การศึกษา")
    no_area = files / "no_area.csv"
    no_area.write_text("\n".join(",".join(c for i, c in enumerate(line.split(",")) if i != cut)
                                 for line in lines), encoding="utf-8")
    code, output = tabien(ledger_env, "import", no_area)
    assert code == 2, output
    assert "--area" in output
    code, output = tabien(ledger_env, "import", no_area, "--area", "สพม.16")
    assert code == 0, output
    assert record_of(ledger_env, ANUCHA).area == "สพม.16"
    assert not (files / "no_area.rejected.csv").exists()  # the stale report is removed


def test_dry_run_and_unreadable_files_write_nothing(ledger_env: LedgerEnv,
                                                    files: Path) -> None:
    before = events(ledger_env)
    code, output = tabien(ledger_env, "import", files / "people.csv", "--dry-run")
    assert code == 0, output
    assert "dry run: nothing was written" in output
    odd = files / "odd.csv"
    odd.write_text("a,b\n1,2\n", encoding="utf-8")
    code, output = tabien(ledger_env, "import", files / "people.csv", odd)
    assert code == 2, output
    assert "fits no import layout" in output
    assert events(ledger_env) == before


def test_a_formula_in_a_rejected_row_is_written_so_no_spreadsheet_runs_it(
        ledger_env: LedgerEnv, files: Path) -> None:
    """Issue 16: the rejected-rows report wrote a hostile cell as it was read, so a
    spreadsheet opening the report would run it."""
    import_samples(ledger_env, files)
    lines = (files / "history.csv").read_text(encoding="utf-8-sig").splitlines()
    hostile = ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\r=1"]
    header = lines[0].split(",")
    kind, detail = header.index("kind"), header.index("detail")
    rows = []
    for n, text in enumerate(hostile):
        cells = next(csv.reader([lines[1]]))
        cells[kind] = text
        cells[detail] = f"{text}-{n}"
        rows.append(cells)
    source = files / "hostile.csv"
    with source.open("w", encoding="utf-8", newline="") as out:
        csv.writer(out).writerows([header, *rows])
    before = events(ledger_env)
    code, output = tabien(ledger_env, "import", source)
    assert code == 2, output
    assert events(ledger_env) == before
    with (files / "hostile.rejected.csv").open(encoding="utf-8-sig", newline="") as f:
        report = list(csv.DictReader(f))
    assert [row["kind"] for row in report] == ["'" + text for text in hostile]
    assert [row["detail"] for row in report] == [f"'{t}-{n}" for n, t in enumerate(hostile)]
    for row in report:  # no cell of the report begins a formula
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r"))
                       for cell in row.values() if cell != "-"), row
    # Fixed in a spreadsheet and imported again, the report reads as the file was written.
    fixed = files / "hostile.rejected.csv"
    fixed.write_text(fixed.read_text(encoding="utf-8-sig").replace(
        "'=HYPERLINK(\"\"http://x\"\")", "เลื่อนเงินเดือน", 1), encoding="utf-8-sig")
    code, output = tabien(ledger_env, "import", fixed)
    assert "imported 1 + มีอยู่แล้ว / already present 0 + ปฏิเสธ / rejected 5" in output, output
    assert events(ledger_env) == before + 1


def test_a_cell_over_the_csv_field_limit_is_refused_naming_its_row(
        ledger_env: LedgerEnv, files: Path) -> None:
    """Issue 16: a cell longer than the csv module's field limit stopped the command with a
    traceback."""
    lines = (files / "history.csv").read_text(encoding="utf-8-sig").splitlines()
    lines[3] += "x" * (csv.field_size_limit() + 1)
    huge = files / "huge.csv"
    huge.write_text("\n".join(lines), encoding="utf-8")
    before = events(ledger_env)
    code, output = tabien(ledger_env, "import", huge)
    assert code == 2, output
    assert "huge.csv: row 4 has a cell longer than 131,072 characters" in output
    assert "แถวที่ 4" in output
    assert events(ledger_env) == before
