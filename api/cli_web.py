"""``tabien serve``, ``tabien user add`` and ``tabien token``: the HTTP API and its users."""

from __future__ import annotations

import secrets
import sys
import threading
from typing import Annotated, Any

import typer

from commands.bootstrap import DEMO_AREA
from ledger.config import database_url, keys_dir

user_app = typer.Typer(help="Users of the HTTP API (ผู้ใช้).", no_args_is_help=True)

DEMO_USERS: tuple[tuple[str, str, list[str]], ...] = (
    ("admin", "admin", []),
    ("registrar", "registrar", [DEMO_AREA]),
    ("authority", "authority", [DEMO_AREA]),
    ("auditor", "auditor", []),
    ("payroll", "payroll", [DEMO_AREA]),
)


def _password(given: str | None) -> str:
    """A password from stdin when it is not a terminal, else asked twice; never a default."""
    if given:
        return given
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    return str(typer.prompt("password / รหัสผ่าน", hide_input=True, confirmation_prompt=True))


@user_app.command("add")
def user_add(
    username: str,
    role: Annotated[str, typer.Option(help="registrar, authority, auditor, teacher, payroll "
                                      "or admin")],
    area: Annotated[list[str] | None, typer.Option(help="an education area (repeatable)")]
    = None,
    national_id: Annotated[str, typer.Option(help="a teacher's own national ID")] = "",
    display_name: Annotated[str, typer.Option(help="the name shown")] = "",
) -> None:
    """Add a user; the password is read from standard input or asked (เพิ่มผู้ใช้)."""
    from api.cli import _errors, out
    from api.web.accounts import Accounts

    with _errors():
        account = Accounts(database_url()).add_user(
            username, _password(None), role=role, areas=list(area or []),
            display_name=display_name, national_id=national_id)
    out.print(f"[green]✓[/] user {account.username} ({account.role}) added")


def token(username: str) -> None:
    """Print a bearer token for a user, after their password (ออกโทเค็น)."""
    from api.cli import _errors
    from api.web.accounts import Accounts
    from api.web.problems import Problem
    from api.web.tokens import TokenSigner
    from ledger.keys import KeyStore

    with _errors():
        account = Accounts(database_url()).authenticate(username, _password(None))
        if account is None:
            raise Problem(401, "unauthorised", "wrong user name or password",
                          "ชื่อผู้ใช้หรือรหัสผ่านไม่ถูกต้อง")
        issued, _claims = TokenSigner.from_key_store(KeyStore(keys_dir())).issue(username)
    typer.echo(issued)


def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(
        min=1, max=15, help="server processes (several need PostgreSQL); one per core")] = 1,
    stop_after: Annotated[float | None, typer.Option(
        help="stop after this many seconds (for smoke runs)")] = None,
) -> None:
    """Serve the HTTP API, with the projection runner keeping the record view up to date
    (ให้บริการ API)."""
    from api.cli import _errors

    with _errors():
        run_server(host, port, stop_after, workers)


def run_server(host: str, port: int, stop_after: float | None, workers: int = 1, *,
               factory: str = "api.web.app:app_from_env", **uvicorn_options: Any) -> None:
    """Serve until stopped: the tables made first, then the projection runner (a thread of
    this process) and uvicorn, serving in this process or, with several workers, from
    processes its supervisor starts, each opening its own services (``factory``)."""
    import os

    import uvicorn

    from api.cli import out
    from api.web.app import prepare_database
    from api.web.writer import WRITER_SOCKET_ENV
    from ledger.config import TABLES_READY_ENV
    from ledger.errors import InvalidInput
    from projections.record_projection import record_runner

    url = database_url()
    if workers > 1 and not url.startswith(("postgresql:", "postgres:")):
        raise InvalidInput("several workers need PostgreSQL (SQLite has one writer): set "
                           "TABIEN_DATABASE_URL=postgresql://…",
                           "การใช้หลายโปรเซสต้องใช้ PostgreSQL")
    prepare_database(url, keys_dir())
    runner = record_runner(url)  # the library's ProjectionRunner, in its own thread
    os.environ[TABLES_READY_ENV] = "1"  # the writer and the workers inherit it
    writer = _start_writer(factory) if workers > 1 else None
    timer = _stop_later(stop_after)
    if writer is not None:
        os.environ[WRITER_SOCKET_ENV] = writer.socket_path
    out.print(f"[green]serving[/] http://{host}:{port}/api/v1/docs  (Ctrl-C to stop)")
    try:
        uvicorn.run(factory, factory=True, host=host, port=port, workers=workers,
                    log_level="warning", **uvicorn_options)
    finally:
        os.environ.pop(TABLES_READY_ENV, None)
        os.environ.pop(WRITER_SOCKET_ENV, None)
        if timer is not None:
            timer.cancel()
        if writer is not None:
            writer.stop()
        runner.stop()


def _start_writer(factory: str) -> Any:
    """The writer process of a server with several workers (``api.web.writer``), on a Unix
    socket in a folder of its own; it opens the tables the server has just made."""
    import os
    import tempfile

    from api.web.writer import Writer

    writer = Writer(factory, os.path.join(tempfile.mkdtemp(prefix="tabien-"), "writer.sock"))
    writer.start()
    return writer


def _stop_later(seconds: float | None) -> threading.Timer | None:
    """Stop the server after ``seconds`` as Ctrl-C would (uvicorn, or its supervisor with
    every worker, shuts down gracefully on SIGINT)."""
    if seconds is None:
        return None
    import os
    import signal

    timer = threading.Timer(seconds, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.daemon = True
    timer.start()
    return timer


def add_demo_users() -> list[tuple[str, str, str]]:
    """The demo's users, each with a fresh random password (there are no default ones); a
    teacher account for the first teacher in the record view."""
    from api.web.accounts import Accounts
    from projections.record_projection import open_view

    accounts = Accounts(database_url())
    made = []
    people = open_view().people_of_area(DEMO_AREA)
    first_teacher = people[0].national_id if people else None
    for username, role, areas in DEMO_USERS:
        if accounts.exists(username):
            continue
        password = secrets.token_urlsafe(12)
        accounts.add_user(username, password, role=role, areas=areas)
        made.append((username, role, password))
    if first_teacher and not accounts.exists("teacher"):
        password = secrets.token_urlsafe(12)
        accounts.add_user("teacher", password, role="teacher", areas=[],
                          national_id=first_teacher)
        made.append(("teacher", f"teacher {first_teacher}", password))
    return made
