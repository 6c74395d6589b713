"""``tabien payroll export``: the month's feed for the Comptroller General's direct payment, in
CSV (UTF-8 with BOM), XLSX and pipe-delimited text, with arrears and a reconciliation."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api.cli_common import check_area, open_ledger, out, translate_errors

payroll_app = typer.Typer(help="Payroll feeds (ข้อมูลจ่ายตรงเงินเดือน).", no_args_is_help=True)

_WRITERS = {"csv": "to_csv", "xlsx": "to_xlsx", "txt": "to_pipe"}


@payroll_app.command("export")
def payroll_export(
    month: Annotated[str, typer.Option(help="YYYY-MM (Christian Era)")],
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
    from ledger.thaidate import format_thai_date
    from projections import payroll
    from projections.record_projection import open_view

    with translate_errors():
        wanted = [f.strip() for f in formats.split(",") if f.strip()]
        unknown = [f for f in wanted if f not in _WRITERS]
        if unknown or not wanted:
            raise InvalidInput(f"unknown format(s): {', '.join(unknown)}; use csv,xlsx,txt",
                               f"ไม่รู้จักรูปแบบไฟล์: {', '.join(unknown)}")
        view = open_view()
        ledger = open_ledger()
        check_area(ledger, area)
        feed = payroll.build_feed(view, ledger.mapper, area, month)
        out_dir.mkdir(parents=True, exist_ok=True)
        written = []
        for name in wanted:
            path = out_dir / f"payroll-{area}-{month}.{name}"
            path.write_bytes(getattr(payroll, _WRITERS[name])(feed))
            written.append(path)
        payroll.save(view, feed)
        log_area_export(ledger, load_key_set(KeyStore(keys_dir())).registrar, area,
                        purpose=purpose, records=len(feed.lines),
                        detail=f"payroll {area} {month}")
    out.print(f"[green]✓[/] {area} {format_thai_date(feed.month)[2:]}: {len(feed.lines):,} "
              f"people, total {feed.total:,} baht, arrears {feed.arrears:,} baht", soft_wrap=True)
    for path in written:
        out.print(f"  {path}", markup=False)
    if feed.previous is not None:
        before = feed.previous[2]
        change = sum(after - b for _, b, after in feed.changes)
        verdict = "✓" if feed.reconciles() else "✗"
        out.print(f"reconciliation / กระทบยอด: last month {before:,} + changes {change:,} = "
                  f"{before + change:,}; this month {feed.total:,} {verdict}", soft_wrap=True)
    out.print(payroll.POSITION_ALLOWANCE_NOTE, soft_wrap=True)
