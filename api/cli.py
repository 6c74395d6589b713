"""The ``tabien`` command line: the app, the commands of the ledger itself (init, seed,
checkpoint, verify, append, keys, demo), and the command groups of the ``cli_*`` modules.

Errors from the one error tree are translated once, in ``api.cli_common``, which every
command module imports (none imports this one).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from api.cli_audit import audit_app, witness
from api.cli_certificates import certificate_app, copy_app
from api.cli_common import (
    check_area,
    err,
    open_ledger,
    out,
    progress_bar,
    translate_errors,
)
from api.cli_evidence import evidence_app
from api.cli_import import import_legacy
from api.cli_orders import correct, order_app, renumber, round_app
from api.cli_payroll import payroll_app
from api.cli_positions import positions_app
from api.cli_records import project, rebuild, record_app, report_app
from api.cli_web import serve, token, user_app
from api.verification import Progress
from commands.bootstrap import DEMO_AREA, admin_signer, initialise, load_key_set, trusted_root
from ledger.checkpoints import create_checkpoint
from ledger.config import database_url, keys_dir
from ledger.keys import KeyStore
from ledger.thaidate import format_thai_date

if TYPE_CHECKING:
    from collections.abc import Callable
    from contextlib import ExitStack

    from audit.verify import VerifyReport

__all__ = ["app", "main"]

app = typer.Typer(
    name="tabien",
    help="tabien (ทะเบียน): the signed ledger of teachers' personnel records (ก.ค.ศ.16).",
    no_args_is_help=True,
    add_completion=False,
)
@app.command()
def init(
    area: Annotated[str, typer.Option(help="education area of the demo keys")] = DEMO_AREA,
) -> None:
    """Create a new ledger and its key set (สร้างสมุดทะเบียนและชุดกุญแจ)."""
    with translate_errors():
        store = KeyStore(keys_dir())
        ledger = open_ledger()
        keys = initialise(ledger, store, area=area)
    out.print(f"[green]✓[/] ledger created at {database_url()}")
    out.print(f"  keys in {store.directory}/ (admin {keys.admin.key_id})")
    if store.is_development_set:
        out.print("[bold yellow]⚠ This is a DEVELOPMENT key set: its passphrase is stored beside "
                  "the keys. Never use it for real records.[/]\n"
                  "[yellow]  ชุดกุญแจสำหรับการพัฒนาเท่านั้น ห้ามใช้กับข้อมูลจริง[/]")


@app.command()
def seed(
    people: Annotated[int, typer.Option(min=1, help="people in the demo area")] = 200,
    years: Annotated[int, typer.Option(min=1, max=40, help="years of history")] = 12,
    seed: Annotated[int, typer.Option(help="random seed (same seed, same careers)")] = 2567,
    area: Annotated[str, typer.Option(help="education area")] = DEMO_AREA,
) -> None:
    """Seed a demo area with synthetic careers (สร้างข้อมูลตัวอย่าง)."""
    from commands.seed import seed_area

    with translate_errors():
        store = KeyStore(keys_dir())
        ledger = open_ledger()
        keys = load_key_set(store, area)
        with progress_bar(f"seeding {area}", None) as advance:
            summary = seed_area(ledger, keys, store.identity_secret(), people=people,
                                years=years, seed=seed, area=area, progress=advance)
    span = ""
    if summary.first_date is not None and summary.last_date is not None:
        span = (f"; {format_thai_date(summary.first_date, abbreviated=True)} – "
                f"{format_thai_date(summary.last_date, abbreviated=True)}")
    out.print(f"[green]✓[/] {summary.people_total} people ({summary.in_service} in service), "
              f"{summary.events:,} events in {summary.submissions:,} signed orders{span}",
              soft_wrap=True)


@app.command()
def checkpoint() -> None:
    """Sign and print a checkpoint of the ledger (ลงนามจุดตรวจสอบ)."""
    with translate_errors():
        store = KeyStore(keys_dir())
        ledger = open_ledger()
        row = create_checkpoint(ledger.store, load_key_set(store).checkpoint)
    typer.echo(row.note, nl=False)


@app.command()
def verify(
    against: Annotated[Path | None, typer.Option(
        exists=True, dir_okay=False,
        help="checkpoints kept outside the database (tabien audit checkpoints export)")] = None,
    since: Annotated[bool, typer.Option(
        "--since", help="only what was appended since the latest checkpoint (keys, roles "
        "and areas of its submissions included; the record view too, unless --no-views)")]
        = False,
    workers: Annotated[int | None, typer.Option(
        min=1, help="processes to read the log with (default: one per core for 200,000 "
        "events or more, else 1)")] = None,
    views: Annotated[bool, typer.Option(
        "--views/--no-views", help="also check that the record view equals a replay of the "
        "ledger up to the view's tracking position (--no-views: the ledger only)")] = True,
) -> None:
    """Verify every event, chain, signature and checkpoint (ตรวจสอบความถูกต้อง).

    Exit 0 when the ledger is intact, 1 when anything is wrong.
    """
    from contextlib import ExitStack

    from api.verification import run_verification
    from audit.proofs import read_checkpoints
    from ledger.config import evidence_dir
    from ledger.evidence import EvidenceStore

    with translate_errors(), ExitStack() as bars:
        external = read_checkpoints(against.read_bytes()) if against is not None else []
        store = KeyStore(keys_dir())
        ledger = open_ledger()
        verification = run_verification(
            ledger, url=database_url(), trusted_root=trusted_root(store),
            checkpoint_key_id=load_key_set(store).checkpoint.key_id, since=since, views=views,
            evidence=EvidenceStore(evidence_dir()), external=external, workers=workers,
            progress=_LedgerBar(bars))
    if verification.view is not None:
        out.print(str(verification.view))
    _report_verification(verification.report)


class _LedgerBar(Progress):
    """The bar of the ledger's pass (the view's check shows none)."""

    def __init__(self, bars: ExitStack) -> None:
        self.bars = bars
        self.bar: Callable[[int], None] | None = None

    def phase(self, name: str, total: int | None, unit: str) -> None:
        self.bars.close()
        self.bar = self.bars.enter_context(progress_bar("verifying", total)) \
            if name == "ledger" else None

    def advance(self, done: int) -> None:
        if self.bar is not None:
            self.bar(done)


def _report_verification(report: VerifyReport) -> None:
    summary = (f"{report.events} events, {report.submissions} signed submissions, "
               f"{report.checkpoints} checkpoints")
    if report.ok:
        out.print(f"[green]✓ intact / ถูกต้องครบถ้วน:[/] {summary}")
        return
    err.print(f"[bold red]✗ {len(report.findings)} problem(s) / พบความผิดปกติ:[/] {summary}")
    for finding in report.findings[:200]:
        err.print(f"  {finding}", markup=False, highlight=False, soft_wrap=True)
    if len(report.findings) > 200:
        err.print(f"  … and {len(report.findings) - 200} more")
    raise typer.Exit(1)


@app.command()
def append(
    file: Annotated[typer.FileText, typer.Argument(help="JSON lines, one entry per line")],
    number: Annotated[str, typer.Option(help="number of the order the entries make, "
                                              "e.g. 15/2567")] = "",
    order_date: Annotated[str, typer.Option("--date", help="the order's date")] = "",
    title: Annotated[str, typer.Option(help="title of the order")] = "",
    area: Annotated[str, typer.Option(help="education area of the order")] = DEMO_AREA,
) -> None:
    """Draft entries from a JSON-lines file as one order (ร่างคำสั่งจากรายการ).

    Every line is checked first; if any is refused, nothing is written. The order is then
    checked and issued as any other: tabien order check N, tabien order issue N.
    """
    from commands.append import draft_entries
    from commands.bootstrap import current_key_set
    from commands.orders import OrderDesk
    from ledger.errors import InvalidInput
    from ledger.thaidate import parse_date

    with translate_errors():
        if not number or not order_date:
            raise InvalidInput("give the number and date of the order the entries make "
                               "(--number, --date): an entry enters the ledger only as a "
                               "line of an issued order",
                               "ต้องระบุเลขที่และวันที่ของคำสั่ง (--number, --date) "
                               "รายการเข้าสู่ทะเบียนได้เฉพาะในคำสั่งที่ออกแล้วเท่านั้น")
        on = parse_date(order_date)
        store = KeyStore(keys_dir())
        ledger = open_ledger()
        check_area(ledger, area)
        keys = current_key_set(ledger, store, area)
        desk = OrderDesk(ledger, store.identity_secret())
        order = draft_entries(desk, keys.registrar, file, area=area, order_number=number,
                              order_date=on, title=title or f"รายการจาก {file.name}")
    out.print(f"[green]✓[/] drafted คำสั่ง {area} ที่ {order.order_number} ลงวันที่ "
              f"{format_thai_date(on)}: {len(order.lines)} line(s); next / ต่อไป: "
              f"tabien order check {order.order_number}, then tabien order issue "
              f"{order.order_number}")


keys_app = typer.Typer(help="The key registry (ทะเบียนกุญแจ): list, add, rotate, revoke.",
                       no_args_is_help=True)
app.add_typer(keys_app, name="keys")


@keys_app.command("list")
def keys_list() -> None:
    """List every registered key and its state (แสดงรายการกุญแจ)."""
    from rich.table import Table

    from commands.keys import list_keys

    with translate_errors():
        registry = list_keys(open_ledger())
    table = Table("รหัสกุญแจ (key id)", "บทบาท (role)", "เขต", "เริ่มใช้", "สถานะ (state)")
    for key in registry:
        state = "ใช้งานได้ active"
        if key.revoked_at is not None:
            state = f"เพิกถอน revoked {format_thai_date(key.revoked_at.date(), abbreviated=True)}"
        elif key.rotated_at is not None:
            state = f"เปลี่ยนเป็น rotated to {key.successor_key_id}"
        table.add_row(key.key_id, key.role, key.area or "–",
                      format_thai_date(key.valid_from.date(), abbreviated=True), state)
    Console(width=max(out.width, 160)).print(table)


@keys_app.command("add")
def keys_add(
    name: Annotated[str, typer.Argument(help="key name, e.g. registrar-spm16-2")],
    role: Annotated[str, typer.Option(help="registrar, authority, checkpoint, service or "
                                           "admin")],
    area: Annotated[str, typer.Option(help="education area")] = "",
    valid_days: Annotated[int | None, typer.Option(help="days until it expires")] = None,
) -> None:
    """Generate a key and register it, signed by the admin (เพิ่มกุญแจ)."""
    from commands.keys import add_key

    with translate_errors():
        store = KeyStore(keys_dir())
        key = add_key(open_ledger(), store, admin_signer(store), name, role, area,
                      valid_days=valid_days)
    out.print(f"[green]✓[/] registered {key.key_id} ({key.role})")


@keys_app.command("rotate")
def keys_rotate(
    old: Annotated[str, typer.Argument(help="name of the key to retire")],
    new: Annotated[str, typer.Argument(help="name of its successor")],
) -> None:
    """Replace a key by a new one with the same role and area (เปลี่ยนกุญแจ)."""
    from commands.keys import rotate_key

    with translate_errors():
        store = KeyStore(keys_dir())
        key = rotate_key(open_ledger(), store, admin_signer(store), old, new)
    out.print(f"[green]✓[/] {old} rotated to {key.key_id}")


@keys_app.command("revoke")
def keys_revoke(
    name: Annotated[str, typer.Argument(help="name of the key")],
    reason: Annotated[str, typer.Option(help="why (kept in the registry)")],
) -> None:
    """Revoke a key from now on (เพิกถอนกุญแจ)."""
    from commands.keys import revoke_key

    with translate_errors():
        store = KeyStore(keys_dir())
        key = revoke_key(open_ledger(), admin_signer(store), name, reason)
    out.print(f"[green]✓[/] revoked {key.key_id}")


@app.command()
def demo(
    people: Annotated[int, typer.Option(min=1, help="people in the demo area")] = 200,
    years: Annotated[int, typer.Option(min=1, max=40, help="years of history")] = 12,
    serve_api: Annotated[bool, typer.Option(
        "--serve/--no-serve", help="then serve the HTTP API with demo users")] = True,
    port: Annotated[int, typer.Option(min=1, max=65535, help="the API's port")] = 8000,
    stop_after: Annotated[float | None, typer.Option(
        help="stop serving after this many seconds (for smoke runs)")] = None,
) -> None:
    """Create, seed, checkpoint and verify the demo's Node 3 in one go, then serve the HTTP
    API (สาธิต).

    The NODE LEADER สพม.16 gets ``people`` teachers; the node's eight other areas a quarter
    as many each. Then the record view is built, so `tabien record show` works at once.
    """
    from projections.reports import node_of

    ledger = open_ledger()
    if ledger.recorder.max_notification_id() is None:
        init(DEMO_AREA)
        seed(people=people, years=years, seed=2567, area=DEMO_AREA)
        node = node_of(DEMO_AREA)
        for number, area in enumerate(node["areas"] if node else [], start=1):
            if area != DEMO_AREA:
                _seed_other_area(area, max(people // 4, 10), years, 2567 + number)
    else:
        out.print(f"ledger at {database_url()} already has events: verifying it as it is")
    checkpoint()
    rebuild()
    verify()
    out.print("try / ลองใช้: tabien report node · tabien record show <national ID> · "
              "tabien payroll export --month 2026-10", soft_wrap=True)
    if serve_api:
        _serve_demo(port, stop_after)


def _serve_demo(port: int, stop_after: float | None) -> None:
    from api.cli_web import add_demo_users, run_server

    with translate_errors():
        made = add_demo_users()
        if made:
            out.print(demo_users_table(made))
        out.print(f"open / เปิด http://127.0.0.1:{port}/ (the API's docs: /api/v1/docs)",
                  markup=False, highlight=False)
        run_server("127.0.0.1", port, stop_after)


def demo_users_table(made: list[tuple[str, str, str, str]]) -> Table:
    """The demo's users as a table with its headings, Thai first: each password is shown
    this once."""
    from api.web.accounts import ROLES_TH

    table = Table(title="ผู้ใช้สาธิต / demo users", caption="รหัสผ่านแสดงครั้งเดียว โปรดจดไว้ / "
                  "passwords are shown once: keep them", title_justify="left",
                  caption_justify="left", highlight=False)
    table.add_column("ชื่อผู้ใช้ / user name", no_wrap=True)
    table.add_column("บทบาท / role")
    table.add_column("อ่านได้ / may read")
    # never cut short, however narrow the terminal: it is shown this once
    table.add_column("รหัสผ่าน / password", no_wrap=True,
                     min_width=max(len(password) for *_, password in made))
    for username, role, scope, password in made:
        table.add_row(username, f"{ROLES_TH.get(role, role)} ({role})", scope, password)
    return table


def _seed_other_area(area: str, people: int, years: int, seed_number: int) -> None:
    from commands.bootstrap import add_area

    with translate_errors():
        store = KeyStore(keys_dir())
        add_area(open_ledger(), store, admin_signer(store), area)
    seed(people=people, years=years, seed=seed_number, area=area)


@app.command()
def bench(
    quick: Annotated[bool, typer.Option(help="smaller sizes, for a smoke run")] = False,
) -> None:
    """Run the benchmarks and print one table (วัดประสิทธิภาพ)."""
    from bench.__main__ import run

    run(quick=quick)


app.command("import")(import_legacy)
app.add_typer(user_app, name="user")
app.command("token")(token)
app.command("serve")(serve)
app.command("witness")(witness)


app.add_typer(evidence_app, name="evidence")


app.add_typer(order_app, name="order")
app.add_typer(round_app, name="salary-round")
app.command("renumber")(renumber)
app.command("correct")(correct)


app.add_typer(record_app, name="record")
app.command("rebuild")(rebuild)
app.command("project")(project)
app.add_typer(report_app, name="report")
app.add_typer(positions_app, name="positions")
app.add_typer(payroll_app, name="payroll")
app.add_typer(audit_app, name="audit")
app.add_typer(copy_app, name="copy")
app.add_typer(certificate_app, name="certificate")


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)




if __name__ == "__main__":
    main()
