"""``tabien positions`` and ``tabien positions show``: the position registry of an area
(ทะเบียนตำแหน่ง), read from the record view."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated

import typer

from api.cli_common import check_area, err, open_ledger, out, translate_errors
from commands.bootstrap import DEMO_AREA
from ledger.thaidate import format_thai_date, parse_date

if TYPE_CHECKING:  # the projection is imported only when a command runs (CLI start-up time)
    from projections.positions import Position, PositionRegistry, ScheduledChange

positions_app = typer.Typer(
    help="The position registry (ทะเบียนตำแหน่ง): numbers, holders, vacancies, history.",
    invoke_without_command=True,
)

AreaOption = Annotated[str, typer.Option(help="education area")]
AsOfOption = Annotated[str, typer.Option(help="as of this date")]
KnownAtOption = Annotated[str, typer.Option(help="as it was known at this time")]


def _registry(area: str, as_of: str, known_at: str, detail: str) -> PositionRegistry:
    """The area's registry; reading it is logged, since it names every holder (PDPA)."""
    from api.cli_records import _known_at
    from commands.access import log_area_export
    from commands.bootstrap import load_key_set
    from ledger.config import keys_dir
    from ledger.keys import KeyStore
    from projections.positions import position_registry
    from projections.record_projection import open_view

    ledger = open_ledger()
    check_area(ledger, area)
    registry = position_registry(open_view(), ledger.mapper, area,
                                 as_of=parse_date(as_of) if as_of else None,
                                 known_at=_known_at(known_at))
    holders = sum(not p.vacant for p in registry.sorted())
    log_area_export(ledger, load_key_set(KeyStore(keys_dir())).service, area,
                    purpose="ดูทะเบียนตำแหน่ง", records=holders, detail=detail)
    return registry


def _day(day: date | None) -> str:
    return format_thai_date(day, abbreviated=True) if day is not None else "-"


@positions_app.callback()
def positions_list(
    ctx: typer.Context,
    area: AreaOption = DEMO_AREA,
    as_of: AsOfOption = "",
    known_at: KnownAtOption = "",
    vacant: Annotated[bool, typer.Option("--vacant", help="only vacant positions (เฉพาะตำแหน่งว่าง)")]
    = False,
) -> None:
    """List an area's positions: type, unit, holder or vacant (แสดงทะเบียนตำแหน่ง)."""
    if ctx.invoked_subcommand is not None:
        return  # `positions show` reads the registry itself

    with translate_errors():
        registry = _registry(area, as_of, known_at, f"positions {area}")
    _print_list(registry, vacant)


def _print_list(registry: PositionRegistry, only_vacant: bool) -> None:
    from rich.table import Table


    positions = registry.sorted()
    vacant = sum(p.vacant for p in positions)
    out.print(f"[bold]{registry.area}[/]: {len(positions):,} positions / ตำแหน่ง, "
              f"{len(positions) - vacant:,} held / มีผู้ครอง, {vacant:,} vacant / ว่าง",
              soft_wrap=True)
    table = Table("เลขที่ number", "ตำแหน่ง type", "หน่วยงาน unit", "ผู้ครอง holder",
                  "ตั้งแต่ since")
    for p in (registry.vacant() if only_vacant else positions):
        holder = f"{p.holder.name} ({p.holder.national_id})" if p.holder else "ว่าง / vacant"
        table.add_row(p.number, p.title, p.unit, holder, _day(p.since))
    out.print(table)
    _print_scheduled(registry, registry.scheduled)
    _print_conflicts(registry)


def _print_scheduled(registry: PositionRegistry, changes: list[ScheduledChange]) -> None:
    """Moves already ordered that take effect after the registry's date: the table above
    shows the holders of that date, these say what will change."""
    from ledger.record import EVENT_KINDS

    if not changes:
        return
    out.print(f"คำสั่งที่ยังไม่มีผล ณ {_day(registry.as_of)} / ordered, not yet in effect:",
              soft_wrap=True)
    for c in changes:
        effect = [f"เลขที่ {c.leaves} จะว่าง / becomes vacant" if c.leaves else "",
                  f"ครองเลขที่ {c.takes} / takes {c.takes}" if c.takes else ""]
        out.print(f"  มีผล {_day(c.on)}: {c.name} ({c.national_id}) "
                  f"{EVENT_KINDS[c.kind].LABEL_TH} — {'; '.join(e for e in effect if e)} "
                  f"({c.reference})", soft_wrap=True, markup=False)


def _print_conflicts(registry: PositionRegistry) -> None:

    # Two records claiming one number is a mistake in the ledger, not in the registry: say so.
    for number, on, national_id in registry.conflicts:
        err.print(f"[yellow]![/] {number}: {national_id} still claims it on {_day(on)} / "
                  "ยังมีผู้อ้างครองเลขที่ตำแหน่งนี้อยู่ (ควรตรวจสอบและแก้ไขรายการ)",
                  soft_wrap=True)


@positions_app.command("show")
def positions_show(
    number: Annotated[str, typer.Argument(help="position number, current or former")],
    area: AreaOption = DEMO_AREA,
    as_of: AsOfOption = "",
    known_at: KnownAtOption = "",
) -> None:
    """One position: holder, former numbers and history (ประวัติเลขที่ตำแหน่ง)."""
    from ledger.errors import NotFound

    with translate_errors():
        registry = _registry(area, as_of, known_at, f"position {number} {area}")
        position = registry.lookup(number)
        if position is None:
            raise NotFound(f"no position {number!r} in {area}",
                           f"ไม่พบเลขที่ตำแหน่ง {number!r} ใน {area}")
    _print_position(registry, position)


def _print_position(registry: PositionRegistry, position: Position) -> None:

    holder = (f"{position.holder.name} ({position.holder.national_id})" if position.holder
              else "ว่าง / vacant")
    out.print(f"[bold]{position.number}[/] {position.title} {position.unit}", soft_wrap=True)
    out.print(f"  ผู้ครอง holder: {holder} ตั้งแต่ since {_day(position.since)}",
              soft_wrap=True)
    for alias in registry.aliases_of(position):
        out.print(f"  เลขที่เดิม former number: {alias.old} → {alias.new} "
                  f"({_day(alias.effective)}, {alias.reference})", soft_wrap=True)
    _print_history(registry, position)
    numbers = {position.number, *position.former_numbers}
    _print_scheduled(registry, [c for c in registry.scheduled
                                if c.leaves in numbers or c.takes in numbers])


def _print_history(registry: PositionRegistry, position: Position) -> None:
    from rich.table import Table

    from ledger.record import EVENT_KINDS

    table = Table("ตั้งแต่ from", "ถึง to", "ผู้ครอง holder", "รายการ entry",
                  "คำสั่ง order", title="ประวัติ history")
    for t in position.history:
        name = registry.names.get(t.national_id, "")
        table.add_row(_day(t.start), _day(t.end) if t.end else "ปัจจุบัน / now",
                      f"{name} ({t.national_id})", EVENT_KINDS[t.kind].LABEL_TH, t.reference)
    out.print(table)
