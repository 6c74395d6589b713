"""``tabien import``: legacy ก.พ.7 CSV files into the ledger (นำเข้าข้อมูลทะเบียนประวัติเดิม).

One command for every layout: each file's header says whether it is a people, history or
education file, so a people file and its history can be imported in one run (people first,
whatever the order given). Exit 0 when every row was imported or already present; 2 when
some rows were rejected (the others are imported; the report lists the rejected ones) or
when a file or the request was refused as a whole (then nothing is written).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api.cli_common import check_area, err, open_ledger, out, progress_bar, translate_errors
from commands.legacy_import import FileSummary

__all__ = ["import_legacy"]

_SHOWN_REJECTIONS = 20


def import_legacy(
    files: Annotated[list[Path], typer.Argument(
        exists=True, dir_okay=False, readable=True,
        help="CSV files (people, history, education; UTF-8 or TIS-620)")],
    area: Annotated[str | None, typer.Option(
        help="education area of the registrar key, and of people rows without an area "
             "column or cell")] = None,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="check and report only; write nothing")] = False,
) -> None:
    """Import legacy ก.พ.7 history from CSV files (นำเข้าข้อมูล ก.พ.7 เดิม).

    Rows already in the ledger are skipped; rejected rows go to <file>.rejected.csv.
    """
    from commands.bootstrap import DEMO_AREA, load_key_set
    from commands.legacy_import import import_sources, read_sources
    from ledger.config import keys_dir
    from ledger.keys import KeyStore

    with translate_errors():
        sources = read_sources(files)
        store = KeyStore(keys_dir())
        ledger = open_ledger()
        check_area(ledger, area or DEMO_AREA)
        signer = load_key_set(store, area or DEMO_AREA).registrar
        total = sum(len(source.rows) for source in sources)
        with progress_bar("นำเข้า / importing", total) as advance:
            summaries = import_sources(ledger, signer, store.identity_secret(), sources,
                                       default_area=area, dry_run=dry_run, progress=advance)
    for summary in summaries:
        _print_file(summary)
    _print_outcome(summaries, dry_run, signer.key_id)


def _print_file(s: FileSummary) -> None:

    out.print(f"[bold]{s.path.name}[/]: {s.layout_th} / {s.layout} file — {s.encoding}",
              soft_wrap=True)
    out.print(f"  วันที่ / dates: พ.ศ. (B.E.) {s.dates_be}, ค.ศ. (C.E.) {s.dates_ce}")
    out.print(f"  อ่าน / read {s.read} = นำเข้า / imported {s.imported} + "
              f"มีอยู่แล้ว / already present {s.present} + ปฏิเสธ / rejected {len(s.rejected)}",
              soft_wrap=True)
    if s.ignored_columns:
        out.print(f"  คอลัมน์ที่ไม่ได้ใช้ / ignored columns: {', '.join(s.ignored_columns)}",
                  markup=False, soft_wrap=True)
    if s.blank_rows:
        out.print(f"  แถวว่างที่ข้าม / blank rows skipped: {s.blank_rows}")
    for row in s.rejected[:_SHOWN_REJECTIONS]:
        err.print(f"  ✗ บรรทัด / line {row.line}: {row.reason_th}", markup=False,
                  highlight=False, soft_wrap=True)
        err.print(f"      {row.reason_en}", markup=False, highlight=False, soft_wrap=True)
    if len(s.rejected) > _SHOWN_REJECTIONS:
        err.print(f"  … อีก / and {len(s.rejected) - _SHOWN_REJECTIONS} more")
    if s.report is not None:
        out.print(f"  รายงานแถวที่ถูกปฏิเสธ / rejected rows: {s.report}", markup=False,
                  soft_wrap=True)


def _print_outcome(summaries: list[FileSummary], dry_run: bool, key_id: str) -> None:

    rejected = sum(len(s.rejected) for s in summaries)
    if dry_run:
        out.print("[yellow]ตรวจสอบเท่านั้น ไม่ได้บันทึกข้อมูล / dry run: nothing was written[/]")
    elif events := sum(s.events_written for s in summaries):
        submissions = sum(1 for s in summaries if s.events_written)
        out.print(f"[green]✓[/] บันทึก / appended {events} event(s) in {submissions} signed "
                  f"submission(s), key {key_id}", soft_wrap=True)
    else:
        out.print("[green]✓[/] ไม่มีรายการใหม่ให้บันทึก / nothing new to append")
    if rejected:
        err.print(f"[bold yellow]⚠ ปฏิเสธ {rejected} แถว แถวอื่นนำเข้าแล้ว แก้ไขแถวในรายงานแล้วนำเข้าใหม่ "
                  f"(แถวที่นำเข้าแล้วจะถูกข้าม)[/]\n[yellow]  {rejected} row(s) rejected; the "
                  f"other rows were {'checked' if dry_run else 'imported'}. Fix the rows in the "
                  f"report and import again: rows already imported are skipped.[/]",
                  soft_wrap=True)
        raise typer.Exit(2)
