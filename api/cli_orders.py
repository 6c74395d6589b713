"""``tabien order …``, ``tabien salary-round …``, ``tabien renumber`` and ``tabien correct``.

The registrar drafts and checks; the area's authority overrides and issues. Each command
prints what a registrar needs to act on: per-line results with the rule that failed, in Thai
and English.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.table import Table

from api.cli_common import check_area, open_ledger, out, progress_bar, translate_errors
from commands.bootstrap import DEMO_AREA, KeySet, load_key_set
from commands.orders import CheckReport, IssueResult, OrderDesk
from ledger.errors import InvalidInput
from ledger.keys import KeyStore
from ledger.spreadsheet import read_csv_rows
from ledger.thaidate import format_thai_date, parse_date

order_app = typer.Typer(help="Orders (คำสั่ง): draft, check, override, issue.",
                        no_args_is_help=True)
round_app = typer.Typer(help="Salary rounds (เลื่อนเงินเดือน): preview, issue.",
                        no_args_is_help=True)

AreaOption = Annotated[str, typer.Option(help="education area (its authority issues)")]


def _desk(area: str) -> tuple[OrderDesk, KeySet]:
    from ledger.config import keys_dir

    store = KeyStore(keys_dir())
    ledger = open_ledger()
    check_area(ledger, area)
    return OrderDesk(ledger, store.identity_secret()), load_key_set(store, area)


def _date(text: str) -> date:
    return parse_date(text)


def _print_check(report: CheckReport) -> None:

    failing = [(line, f) for line in report.lines for f in line.failures]
    out.print(f"rule set / หลักเกณฑ์: {report.ruleset_version}; "
              f"{len(report.lines)} line(s), {len(failing)} failure(s)", soft_wrap=True)
    if not failing:
        out.print("[green]✓ every line passes / ผ่านทุกรายการ[/]")
        return
    table = Table("ผล / result")
    for name in ("line", "national ID", "kind", "rule", "override?"):
        table.add_column(name, no_wrap=True)
    for line, failure in failing[:500]:
        table.add_row(f"{failure.message_th}\n{failure.message_en}", str(line.line),
                      line.national_id, line.kind, failure.rule,
                      "ได้ yes" if failure.overridable else "ไม่ได้ no")
    Console(width=max(out.width, 160)).print(table)


# ------------------------------------------------------------------- orders


@order_app.command("draft")
def order_draft(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False,
                                         help=".json (header + lines) or a .csv/.xlsx list")],
    number: Annotated[str, typer.Option(help="order number, e.g. 15/2567")] = "",
    order_date: Annotated[str, typer.Option("--date", help="order date")] = "",
    title: Annotated[str, typer.Option(help="title of the order")] = "",
    area: AreaOption = DEMO_AREA,
) -> None:
    """Draft an order from a file (ร่างคำสั่ง); every line is checked for form first."""
    from commands.bulk_list import read_bulk_list

    with translate_errors():
        desk, keys = _desk(area)
        if file.suffix.lower() == ".json":
            spec: dict[str, Any] = orjson.loads(file.read_bytes())
            number = number or spec.get("order_number", "")
            order_date = order_date or spec.get("order_date", "")
            title = title or spec.get("title", "")
            lines = spec.get("lines", [])
        else:
            lines = []
        if not number or not order_date:
            raise InvalidInput("give the order's number and date",
                               "ต้องระบุเลขที่และวันที่ของคำสั่ง")
        on = _date(order_date)
        if file.suffix.lower() != ".json":
            ref = {"authority": area, "order_number": number, "order_date": on.isoformat()}
            lines = read_bulk_list(file, ref)
        order = desk.draft(keys.registrar, authority=area, area=area, order_number=number,
                           order_date=on, title=title or file.stem, lines=lines)
    out.print(f"[green]✓[/] drafted คำสั่ง {area} ที่ {number} "
              f"ลงวันที่ {format_thai_date(on)}: {len(order.lines)} line(s)")


@order_app.command("check")
def order_check(number: str, area: AreaOption = DEMO_AREA) -> None:
    """Check every line against the rules and record the result (ตรวจสอบคำสั่ง)."""

    with translate_errors():
        desk, keys = _desk(area)
        order = desk.order(area, number)
        with progress_bar("checking / ตรวจสอบ", len(order.active_lines())) as advance:
            report = desk.check(keys.registrar, order, progress=advance)
    _print_check(report)


@order_app.command("remove-lines")
def order_remove_lines(
    number: str,
    lines: Annotated[str, typer.Option(help="line numbers, e.g. 3,7,12")],
    reason: Annotated[str, typer.Option(help="why they are taken out")],
    area: AreaOption = DEMO_AREA,
) -> None:
    """Take failing lines out of a bulk list before issuing (ตัดรายการออก)."""

    with translate_errors():
        try:
            positions = [int(p) for p in lines.split(",") if p.strip()]
        except ValueError:
            raise InvalidInput("line numbers are whole numbers separated by commas",
                               "ลำดับรายการต้องเป็นตัวเลขคั่นด้วยจุลภาค") from None
        desk, keys = _desk(area)
        order = desk.order(area, number)
        order.remove_lines(positions, reason)
        desk.ledger.submit(keys.registrar, order, purpose=f"ตัดรายการ {lines} ออกจากคำสั่ง")
    out.print(f"[green]✓[/] removed line(s) {lines}; check the order again")


@order_app.command("override")
def order_override(
    number: str,
    line: Annotated[int, typer.Option(help="line number")],
    rule: Annotated[str, typer.Option(help="the rule that failed")],
    reason: Annotated[str, typer.Option(help="the authority's reason, kept on the record")],
    evidence: Annotated[list[Path] | None,
                        typer.Option(exists=True, dir_okay=False,
                                     help="a file supporting the override (repeatable)")] = None,
    area: AreaOption = DEMO_AREA,
) -> None:
    """Accept a failed check, as the order's authority, with a reason (ยกเว้นผลการตรวจสอบ)."""
    from ledger.config import evidence_dir
    from ledger.evidence import EvidenceStore

    with translate_errors():
        desk, keys = _desk(area)
        store = EvidenceStore(evidence_dir())
        refs = [store.put(path.read_bytes(), path.name) for path in evidence or []]
        desk.override(keys.authority, desk.order(area, number), line, rule, reason, refs)
    out.print(f"[green]✓[/] line {line}: {rule} overridden by the authority")


@order_app.command("issue")
def order_issue(
    number: str,
    idempotency_key: Annotated[str, typer.Option(help="the same key twice writes once")] = "",
    area: AreaOption = DEMO_AREA,
) -> None:
    """Issue the order, signed by the area's authority (ออกคำสั่ง)."""

    with translate_errors():
        desk, keys = _desk(area)
        order = desk.order(area, number)
        with progress_bar("issuing / ออกคำสั่ง", len(order.active_lines())) as advance:
            result = desk.issue(keys.authority, order, idempotency_key=idempotency_key,
                                progress=advance)
    if result.already_issued:
        out.print(f"already issued / ออกคำสั่งไปแล้ว: {result.event_count} event(s); "
                  "nothing written")
    else:
        out.print(f"[green]✓[/] issued / ออกคำสั่งแล้ว: {result.event_count} event(s) at "
                  f"positions {result.positions[0]}–{result.positions[-1]}")


@order_app.command("show")
def order_show(number: str, area: AreaOption = DEMO_AREA) -> None:
    """Show an order, its lines and its status (แสดงคำสั่ง)."""

    with translate_errors():
        desk, _ = _desk(area)
        order = desk.order(area, number)
    from ledger.order import ORDER_STATUS_TH

    out.print(f"คำสั่ง {order.authority} ที่ {order.order_number} ลงวันที่ "
              f"{format_thai_date(order.order_date)} — {order.title}\n"
              f"status / สถานะ: {ORDER_STATUS_TH[order.status]} ({order.status}); "
              f"{len(order.active_lines())} line(s); "
              f"checked with {order.last_check.ruleset_version if order.last_check else '-'}",
              soft_wrap=True)
    if order.cut_over is not None:
        out.print(f"คำสั่งรับโอนทะเบียนประวัติเดิม / transcription of the legacy record: lines "
                  f"before {format_thai_date(order.cut_over)} (cut-over / วันเริ่มใช้ระบบ) are "
                  "copied as the old record has them; later ones are checked by the rules",
                  soft_wrap=True)
    for (line, rule), reason in sorted(order.overrides.items()):
        out.print(f"  override: line {line} {rule}: {reason}", markup=False, soft_wrap=True)


# ------------------------------------------------------------- salary rounds


def _appraisals(path: Path) -> list[Any]:
    from commands.salary_round import Appraisal

    rows = read_csv_rows(path.read_bytes().decode("utf-8-sig"), path.name)
    found, problems = [], []
    for number, row in rows:
        try:
            base = (row.get("calculation_base") or "").replace(",", "").strip()
            found.append(Appraisal(row["national_id"], row.get("appraisal", ""),
                                   Decimal(row["percent"]), int(base) if base else None))
        except (KeyError, InvalidOperation, ValueError, TypeError):
            problems.append(f"line {number}: needs national_id, percent and a numeric "
                            "calculation_base")
    if problems:
        raise InvalidInput("the appraisal file has malformed rows", "ไฟล์ผลการประเมินมีแถวที่ไม่ถูกต้อง",
                           problems)
    return found


@round_app.command("preview")
def round_preview(
    appraisals: Annotated[Path, typer.Argument(exists=True, dir_okay=False,
                                               help="CSV: national_id, appraisal, percent, "
                                                    "calculation_base")],
    round_date: Annotated[str, typer.Option("--date", help="1 April or 1 October")],
    area: AreaOption = DEMO_AREA,
    purpose: Annotated[str, typer.Option(help="why (kept in the access log)")]
    = "คำนวณการเลื่อนเงินเดือน",
) -> None:
    """Preview a salary round: every person's result and every violation (คำนวณเลื่อนเงินเดือน).

    The preview prints every salary of the area, so it is logged as a read of the area."""
    from commands.access import log_area_export
    from commands.salary_round import preview_round

    with translate_errors():
        desk, keys = _desk(area)
        preview = preview_round(desk.ledger, area, _date(round_date), _appraisals(appraisals))
        log_area_export(desk.ledger, keys.service, area, purpose=purpose,
                        records=len(preview.lines),
                        detail=f"salary round {area} {preview.round_date.isoformat()}")
    table = Table("national ID", "rank", "salary", "base", "%", "raise", "new salary",
                  "ค่าตอบแทนพิเศษ")
    for line in preview.lines[:1000]:
        table.add_row(line.national_id, line.rank, f"{line.salary:,}",
                      f"{line.calculation_base:,}", str(line.percent), f"{line.raise_amount:,}",
                      f"{line.new_salary:,}", f"{line.special_compensation:,}")
    out.print(table)
    out.print(f"{len(preview.lines)} people; total {preview.total:,} baht; pool "
              f"{preview.pool:,.2f} baht (mass {preview.salary_mass:,} on "
              f"{format_thai_date(preview.base_date)})", soft_wrap=True)
    for v in preview.violations:
        out.print(f"[red]✗[/] {v.national_id}: {v.message_th} / {v.message_en}", soft_wrap=True)
    if not preview.ok:
        raise typer.Exit(1)


@round_app.command("issue")
def round_issue(
    appraisals: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
    round_date: Annotated[str, typer.Option("--date", help="1 April or 1 October")],
    number: Annotated[str, typer.Option(help="order number")],
    order_date: Annotated[str, typer.Option(help="order date")],
    idempotency_key: Annotated[str, typer.Option(help="the same key twice writes once")] = "",
    area: AreaOption = DEMO_AREA,
) -> None:
    """Issue a clean salary round as one signed order (ออกคำสั่งเลื่อนเงินเดือน)."""
    from commands.salary_round import issue_round, preview_round

    with translate_errors():
        desk, keys = _desk(area)
        preview = preview_round(desk.ledger, area, _date(round_date), _appraisals(appraisals))
        result = issue_round(desk, preview, registrar=keys.registrar, authority=keys.authority,
                             order_number=number, order_date=_date(order_date),
                             idempotency_key=idempotency_key)
    out.print(f"[green]✓[/] issued: {len(preview.lines)} people, {result.event_count} "
              "event(s)" + (" (already issued, nothing written)" if result.already_issued
                            else ""))


# ---------------------------------------------------------- renumber, correct


def _draft_check_issue(desk: OrderDesk, keys: KeySet, area: str, number: str, on: date,
                       title: str, lines: list[dict[str, Any]]) -> IssueResult:
    """A one-step order: the registrar drafts and checks, the authority issues; a failed
    check is printed and nothing is issued."""
    order = desk.draft(keys.registrar, authority=area, area=area, order_number=number,
                       order_date=on, title=title, lines=lines)
    report = desk.check(keys.registrar, order)
    if not report.passed:
        _print_check(report)
        raise typer.Exit(1)
    return desk.issue(keys.authority, desk.order(area, number))


def renumber(
    mapping: Annotated[Path, typer.Argument(exists=True, dir_okay=False,
                                            help="CSV: old_number, new_number")],
    effective: Annotated[str, typer.Option("--date", help="effective date")],
    number: Annotated[str, typer.Option(help="order number")],
    order_date: Annotated[str, typer.Option(help="order date")],
    area: AreaOption = DEMO_AREA,
) -> None:
    """Renumber an area's positions as one order: drafted, checked, issued (เปลี่ยนเลขที่ตำแหน่ง)."""
    from commands.renumber import plan_renumbering

    with translate_errors():
        rows = read_csv_rows(mapping.read_bytes().decode("utf-8-sig"), mapping.name)
        pairs = [(r.get("old_number", "").strip(), r.get("new_number", "").strip())
                 for _, r in rows]
        desk, keys = _desk(area)
        on = _date(order_date)
        ref = {"authority": area, "order_number": number, "order_date": on.isoformat()}
        plan = plan_renumbering(desk.ledger, area, pairs, _date(effective), ref)
        result = _draft_check_issue(desk, keys, area, number, on, "เปลี่ยนเลขที่ตำแหน่ง",
                                    plan.lines)
    out.print(f"[green]✓[/] {len(plan.lines)} position(s) renumbered ({result.event_count} "
              "events)")
    for old, new in plan.vacant:
        out.print(f"  vacant / ว่าง: {old} → {new} (no holder, so no record carries it; "
                  "the registry keeps the old number)")


def correct(
    national_id: str,
    version: Annotated[int, typer.Option(help="the entry's version (see the timeline)")],
    reason: Annotated[str, typer.Option(help="why")],
    number: Annotated[str, typer.Option(help="number of the correcting order")],
    order_date: Annotated[str, typer.Option(help="its date")],
    changes: Annotated[str, typer.Option(help='JSON of corrected fields, e.g. {"salary": 15500}')]
    = "",
    revoke: Annotated[bool, typer.Option(help="revoke the entry instead")] = False,
    area: AreaOption = DEMO_AREA,
) -> None:
    """Correct or revoke an earlier entry by an order; the original stays (แก้ไข/ยกเลิกรายการ)."""

    with translate_errors():
        if not revoke and not changes:
            raise InvalidInput("give --changes or --revoke", "ต้องระบุ --changes หรือ --revoke")
        on = _date(order_date)
        ref = {"authority": area, "order_number": number, "order_date": on.isoformat()}
        line: dict[str, Any] = {"national_id": national_id, "effective_date": on.isoformat(),
                                "order": ref, "reason": reason}
        if revoke:
            line.update(kind="entry_revoked", revokes=version)
        else:
            try:
                parsed = orjson.loads(changes)
            except orjson.JSONDecodeError as e:
                raise InvalidInput(f"--changes is not JSON: {e}", "--changes ไม่ใช่ JSON") from e
            line.update(kind="entry_corrected", corrects=version, changes=parsed)
        desk, keys = _desk(area)
        _draft_check_issue(desk, keys, area, number, on, "แก้ไขรายการ", [line])
    out.print(f"[green]✓[/] entry {version} {'revoked' if revoke else 'corrected'}; the "
              "original stays in the history")
