"""``tabien import``: legacy ก.พ.7 CSV files as a transcription order (รับโอนทะเบียนประวัติเดิม).

One command for every layout: each file's header says whether it is a people, history or
education file, so a people file and its history can be imported in one run (people first,
whatever the order given). The accepted rows become the lines of one order, drafted by the
registrar, which the area's authority checks and issues (``tabien order check`` / ``issue``).
Exit 0 when every row was accepted or already present; 2 when some rows were rejected (the
others are in the order; the report lists the rejected ones) or when a file or the request
was refused as a whole (then nothing is written).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api.cli_common import check_area, err, open_ledger, out, progress_bar, translate_errors
from commands.legacy_import import FileSummary, TranscriptionPlan
from ledger.thaidate import format_thai_date

__all__ = ["import_legacy"]

_SHOWN_REJECTIONS = 20


def import_legacy(
    files: Annotated[list[Path], typer.Argument(
        exists=True, dir_okay=False, readable=True,
        help="CSV files (people, history, education; UTF-8 or TIS-620)")],
    area: Annotated[str | None, typer.Option(
        help="education area of the registrar key, and of people rows without an area "
             "column or cell")] = None,
    number: Annotated[str, typer.Option(
        help="number of the transcription order, e.g. 130/2569 (not needed for --dry-run)")]
        = "",
    order_date: Annotated[str, typer.Option(
        "--date", help="date of the transcription order (default: today)")] = "",
    cut_over: Annotated[str, typer.Option(
        help="the area's cut-over date: rows dated on or after it are checked by the rules "
             "(default: the order's date)")] = "",
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="check and show the order the authority would sign; write nothing")]
        = False,
) -> None:
    """Prepare legacy ก.พ.7 history from CSV files as a transcription order (รับโอนทะเบียนประวัติเดิม).

    Rows already in the ledger are skipped; rejected rows go to <file>.rejected.csv. The
    area's authority then checks and issues the order: tabien order check / issue NUMBER.
    """
    from commands.bootstrap import DEMO_AREA, load_key_set
    from commands.legacy_import import Transcription, import_sources, read_sources
    from ledger.config import keys_dir
    from ledger.errors import InvalidInput
    from ledger.keys import KeyStore
    from ledger.thaidate import parse_date, today
    from ledger.vocabulary import normalise_order_number

    with translate_errors():
        if not number and not dry_run:
            raise InvalidInput("give the transcription order's number (--number), e.g. "
                               "130/2569", "ระบุเลขที่คำสั่งรับโอน (--number) เช่น 130/2569")
        on = parse_date(order_date) if order_date else today()
        transcription = Transcription(
            normalise_order_number(number) if number else "—", on,
            parse_date(cut_over) if cut_over else on)
        sources = read_sources(files)
        store = KeyStore(keys_dir())
        ledger = open_ledger()
        check_area(ledger, area or DEMO_AREA)
        signer = load_key_set(store, area or DEMO_AREA).registrar
        total = sum(len(source.rows) for source in sources)
        with progress_bar("นำเข้า / importing", total) as advance:
            summaries, plan = import_sources(
                ledger, signer, store.identity_secret(), sources, transcription,
                default_area=area, dry_run=dry_run, progress=advance)
    for summary in summaries:
        _print_file(summary)
    _print_order(plan)
    _print_outcome(summaries, plan, dry_run)


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


def _print_order(plan: TranscriptionPlan) -> None:
    """What the area's authority is asked to sign."""
    if not plan.lines:
        return
    kinds = ", ".join(f"{kind} {count}" for kind, count in sorted(plan.kinds.items()))
    out.print(f"[bold]คำสั่งรับโอนทะเบียนประวัติ / transcription order[/] {plan.authority} ที่ "
              f"{plan.order_number} ลงวันที่ {format_thai_date(plan.order_date)}",
              soft_wrap=True)
    out.print(f"  {plan.lines} รายการ / lines of {plan.people} คน / people ({kinds})",
              soft_wrap=True)
    out.print(f"  วันเริ่มใช้ระบบ / cut-over {format_thai_date(plan.cut_over)}: "
              f"{plan.under_rules} รายการตรวจตามหลักเกณฑ์ / line(s) checked by the rules, "
              f"{plan.lines - plan.under_rules} รับโอนตามทะเบียนเดิม / copied as the legacy "
              "record has them", soft_wrap=True)
    out.print(f"  ผู้ลงนามออกคำสั่ง / to be issued by: ผู้มีอำนาจของ / the authority of "
              f"{plan.authority}", soft_wrap=True)


def _print_outcome(summaries: list[FileSummary], plan: TranscriptionPlan,
                   dry_run: bool) -> None:

    rejected = sum(len(s.rejected) for s in summaries)
    if dry_run:
        out.print("[yellow]ตรวจสอบเท่านั้น ไม่ได้บันทึกข้อมูล / dry run: nothing was written[/]")
    elif plan.drafted:
        out.print(f"[green]✓[/] ร่างคำสั่งรับโอนแล้ว / transcription order drafted: "
                  f"{plan.authority} ที่ {plan.order_number}. ผู้มีอำนาจตรวจและออกคำสั่ง / the "
                  f"authority checks and issues it: tabien order check {plan.order_number} "
                  f"--area {plan.authority}; tabien order issue {plan.order_number} --area "
                  f"{plan.authority}", soft_wrap=True)
    else:
        out.print("[green]✓[/] ไม่มีรายการใหม่ให้บันทึก / nothing new to append")
    if rejected:
        done = "checked" if dry_run else "put in the order"
        err.print(f"[bold yellow]⚠ ปฏิเสธ {rejected} แถว แถวอื่นอยู่ในคำสั่งแล้ว "
                  f"แก้ไขแถวในรายงานแล้วนำเข้าใหม่ (แถวที่นำเข้าแล้วจะถูกข้าม)[/]\n[yellow]  "
                  f"{rejected} row(s) rejected; the other rows were {done}. Fix the rows in "
                  f"the report and import them again (as another transcription order): rows "
                  f"already in the ledger are skipped.[/]",
                  soft_wrap=True)
        raise typer.Exit(2)
