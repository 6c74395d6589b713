"""The demo's users are printed as a table a person can read: headings in Thai and English,
each role with its Thai name, what each may read, and the password shown this once."""

from __future__ import annotations

import re

from rich.console import Console

from api.cli import demo_users_table


def test_demo_users_table_has_headings_and_one_row_per_user() -> None:
    made = [("registrar", "registrar", "สพม.16", "pw-registrar-1"),
            ("auditor", "auditor", "ทุกเขต / every area", "pw-auditor-2"),
            ("teacher", "teacher", "1800214415342", "pw-teacher-3")]
    console = Console(record=True, width=160, color_system=None)
    console.print(demo_users_table(made))
    text = console.export_text()
    cells = [[cell.strip() for cell in re.split("[│┃]", line)[1:-1]]
             for line in text.splitlines() if line.startswith(("│", "┃"))]
    assert cells[0] == ["ชื่อผู้ใช้ / user name", "บทบาท / role", "อ่านได้ / may read",
                        "รหัสผ่าน / password"]
    assert cells[1:] == [
        ["registrar", "นายทะเบียน (registrar)", "สพม.16", "pw-registrar-1"],
        ["auditor", "ผู้ตรวจสอบ (auditor)", "ทุกเขต / every area", "pw-auditor-2"],
        ["teacher", "ครู (teacher)", "1800214415342", "pw-teacher-3"]]
    assert "passwords are shown once" in text


def test_a_narrow_terminal_still_shows_every_password_whole() -> None:
    made = [("registrar", "registrar", "สพม.16, สพม.11, สพม.12", "Xq3-veryLongPassword_0123"),
            ("teacher", "teacher", "1800214415342", "4-VeynTRMB8pQ9zz")]
    console = Console(record=True, width=60, color_system=None)
    console.print(demo_users_table(made))
    text = console.export_text()
    assert "Xq3-veryLongPassword_0123" in text
    assert "4-VeynTRMB8pQ9zz" in text
