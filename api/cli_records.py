"""``tabien record show``, ``tabien rebuild`` and ``tabien project``: the ก.ค.ศ.16 as people
read it, and the projection that keeps it."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from api.cli_common import (
    check_area,
    log_access,
    open_ledger,
    out,
    progress_bar,
    translate_errors,
    view_caught_up,
)
from ledger.errors import InvalidInput
from ledger.thaidate import parse_date, parse_moment

record_app = typer.Typer(help="Records (ทะเบียนประวัติ ก.ค.ศ.16).", no_args_is_help=True)


def _known_at(text: str) -> datetime | None:
    if not text:
        return None
    moment = parse_moment(text)  # a day alone: the end of that day in Thailand
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@record_app.command("show")
def record_show(
    national_id: str,
    as_of: Annotated[str, typer.Option(help="the record as it stood on this date")] = "",
    known_at: Annotated[str, typer.Option(help="as it was known at this time")] = "",
    html: Annotated[Path | None, typer.Option(help="also write an HTML page here")] = None,
    purpose: Annotated[str, typer.Option(help="why it is read (kept in the access log)")]
    = "ตรวจสอบทะเบียนประวัติ",
) -> None:
    """Show a person's ก.ค.ศ.16, from the record view (แสดงทะเบียนประวัติ)."""
    from projections.reading import record_from_view
    from projections.record_projection import open_view
    from projections.render import to_html, to_text

    with translate_errors():
        ledger = open_ledger()
        view = open_view()
        # A page to hand on is made only from a view that has caught up, and says so.
        source = view_caught_up(ledger, view).note() if html is not None else ""
        record = record_from_view(view, ledger.mapper, national_id,
                                  as_of=parse_date(as_of) if as_of else None,
                                  known_at=_known_at(known_at))
        log_access(ledger, view.record_id(record.national_id), purpose)
        if html is not None:
            html.write_text(to_html(record, source=source), encoding="utf-8")
    typer.echo(to_text(record), nl=False)


def rebuild(
    view: Annotated[str, typer.Argument(help="the view to rebuild (kks16)")] = "kks16",
) -> None:
    """Rebuild a view from position zero (สร้างมุมมองข้อมูลใหม่ทั้งหมด)."""
    from projections.record_projection import open_view
    from projections.record_projection import rebuild as rebuild_view

    with translate_errors():
        if view != "kks16":
            raise InvalidInput(f"unknown view {view!r}; views: kks16",
                               f"ไม่รู้จักมุมมอง {view!r}")
        ledger = open_ledger()
        head = ledger.recorder.max_notification_id() or 0
        started = time.perf_counter()
        with progress_bar(f"rebuilding {view} (log position)", head) as advance:
            done = rebuild_view(ledger, open_view(), progress=advance)
    seconds = time.perf_counter() - started
    out.print(f"[green]✓[/] {view}: {done:,} events in {seconds:.1f} s")


def project(
    once: Annotated[bool, typer.Option(help="catch up, print the lag and stop")] = False,
) -> None:
    """Keep the views up to date, showing each view's lag (ปรับปรุงมุมมองข้อมูลต่อเนื่อง)."""
    from projections.record_projection import record_runner

    with translate_errors():
        ledger = open_ledger()
        with record_runner() as runner:
            while True:
                head = ledger.recorder.max_notification_id() or 0
                target = _last_career_event(
                    ledger, runner.view.max_tracking_id("Ledger") or 0, head)
                if target > (runner.view.max_tracking_id("Ledger") or 0):
                    with contextlib.suppress(TimeoutError):
                        runner.wait(target, timeout=30)
                done = runner.view.max_tracking_id("Ledger") or 0
                lag = max(target - done, 0)
                out.print(f"kks16: at {done:,} of {target:,} (lag {lag:,}; the log's head "
                          f"is {head:,})")
                if once and lag == 0:
                    return
                time.sleep(2)


def _last_career_event(ledger: Any, after: int, head: int) -> int:
    """The position of the last career event in (after, head], or ``after`` if there is
    none: the view tracks career events only, so access-log entries and keys are no lag."""
    from projections.record_projection import RECORD_TOPICS

    last = start = after
    while page := ledger.recorder.select_notifications(start, 5_000, stop=head,
                                                       topics=list(RECORD_TOPICS),
                                                       inclusive_of_start=False):
        last = start = page[-1].id
    return last


report_app = typer.Typer(help="Area and node reports (รายงานเขตพื้นที่และกลุ่ม NODE).",
                         no_args_is_help=True)


def _print_area(report: object) -> None:
    from rich.table import Table

    from projections.reports import AreaReport

    assert isinstance(report, AreaReport)
    out.print(f"[bold]{report.area}[/]: {report.in_service:,} in service / รับราชการ; "
              f"records complete / ข้อมูลครบ {report.complete:,}", soft_wrap=True)
    from ledger.rules import rank_by_code, standing_by_code

    def rank_label(code: str) -> str:
        return f"{rank_by_code(code).label_th} ({code})"

    def standing_label(code: str) -> str:
        return "-" if code == "none" else f"{standing_by_code(code).label_th} ({code})"

    labels: dict[str, Callable[[str], str]] = {"rank": rank_label,
                                               "standing": standing_label}
    for title, counts, label in (("ตำแหน่ง position", report.by_position, None),
                                 ("อันดับ rank", report.by_rank, labels["rank"]),
                                 ("วิทยฐานะ standing", report.by_standing, labels["standing"]),
                                 ("หมวดที่ยังว่าง empty sections", report.empty_sections, None)):
        if counts:
            table = Table(title, "จำนวน count")
            for key, n in counts.most_common():
                table.add_row(label(key) if label and key else key or "-", f"{n:,}")
            out.print(table)


@report_app.command("area")
def report_area(
    area: Annotated[str, typer.Option(help="education area")] = "สพม.16",
    as_of: Annotated[str, typer.Option(help="as of this date")] = "",
) -> None:
    """Head counts and record completeness of an area (รายงานเขตพื้นที่)."""
    from projections.record_projection import open_view
    from projections.reports import area_report

    with translate_errors():
        ledger = open_ledger()
        check_area(ledger, area)
        report = area_report(open_view(), ledger.mapper, area,
                             parse_date(as_of) if as_of else None)
    _print_area(report)


@report_app.command("node")
def report_node(
    node: Annotated[str, typer.Argument(help="node id")] = "node-3",
    as_of: Annotated[str, typer.Option(help="as of this date")] = "",
) -> None:
    """A NODE LEADER's roll-up of its areas (รายงานกลุ่ม NODE)."""
    from projections.record_projection import open_view
    from projections.reports import node_report

    with translate_errors():
        report = node_report(open_view(), open_ledger().mapper, node,
                             parse_date(as_of) if as_of else None)
    out.print(f"[bold]{report.label_th}[/] (NODE LEADER {report.leader}): "
              f"{report.in_service:,} in service in {len(report.areas)} areas", soft_wrap=True)
    for area in report.areas:
        out.print(f"  {area.area}: {area.in_service:,} in service, {area.complete:,} complete",
                  soft_wrap=True)
