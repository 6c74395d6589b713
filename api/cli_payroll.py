"""``tabien payroll export``: the month's feed for the Comptroller General's direct payment, in
CSV (UTF-8 with BOM), XLSX and pipe-delimited text, with arrears and a reconciliation."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api.cli_common import check_area, open_ledger, out, translate_errors, view_caught_up

payroll_app = typer.Typer(help="Payroll feeds (ข้อมูลจ่ายตรงเงินเดือน).", no_args_is_help=True)


@payroll_app.command("export")
def payroll_export(
    month: Annotated[str, typer.Option(
        help="2026-05 (ค.ศ./C.E.), 5/2569 or พฤษภาคม 2569 (พ.ศ./B.E.)")],
    area: Annotated[str, typer.Option(help="education area")] = "สพม.16",
    out_dir: Annotated[Path, typer.Option("--out", help="folder for the files")] = Path("."),
    formats: Annotated[str, typer.Option(help="csv,xlsx,txt")] = "csv,xlsx,txt",
    purpose: Annotated[str, typer.Option(help="why (kept in the access log)")]
    = "ส่งข้อมูลจ่ายตรงเงินเดือน",
) -> None:
    """Export a month's payroll feed with arrears (ส่งออกข้อมูลจ่ายตรง พร้อมตกเบิก)."""
    from commands.access import log_area_export
    from commands.bootstrap import load_key_set
    from ledger.config import keys_dir
    from ledger.errors import InvalidInput
    from ledger.keys import KeyStore
    from ledger.thaidate import format_thai_month, parse_month
    from projections import payroll, payroll_files
    from projections.record_projection import open_view

    with translate_errors():
        # Read as the API reads it (ledger.thaidate): a B.E. year in ISO form is refused.
        first_day = parse_month(month)
        wanted = [f.strip() for f in formats.split(",") if f.strip()]
        unknown = [f for f in wanted if f not in payroll_files.FORMATS]
        if unknown or not wanted:
            raise InvalidInput(f"unknown format(s): {', '.join(unknown)}; use csv,xlsx,txt",
                               f"ไม่รู้จักรูปแบบไฟล์: {', '.join(unknown)}")
        view = open_view()
        ledger = open_ledger()
        check_area(ledger, area)
        made_at = view_caught_up(ledger, view)  # before any file is written or feed kept
        feed = payroll.build_feed(view, ledger.mapper, area, first_day, made_at=made_at)
        out_dir.mkdir(parents=True, exist_ok=True)
        written = []
        for ext in wanted:
            path = out_dir / payroll_files.file_name(area, feed.month, ext)
            path.write_bytes(payroll_files.write(feed, ext))
            written.append(path)
        payroll.save(view, feed)
        log_area_export(ledger, load_key_set(KeyStore(keys_dir())).service, area,
                        purpose=purpose, records=len(feed.lines),
                        detail=f"payroll {area} {feed.month:%Y-%m}")
    out.print(f"[green]✓[/] {area} {format_thai_month(feed.month)}: {len(feed.lines):,} "
              f"people, total {feed.total:,} baht, arrears {feed.arrears:,} baht", soft_wrap=True)
    for path in written:
        out.print(f"  {path}", markup=False)
    if feed.previous is not None:
        before, change = feed.previous_total, feed.change_summary().amount
        verdict = "✓" if feed.reconciles() else "✗"
        out.print(f"reconciliation / กระทบยอด: last month {before:,} + changes {change:,} = "
                  f"{before + change:,}; this month {feed.total:,} {verdict}", soft_wrap=True)
    out.print(payroll.POSITION_ALLOWANCE_NOTE, soft_wrap=True)
    out.print(made_at.note(), soft_wrap=True, markup=False)
