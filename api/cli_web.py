"""``tabien serve``, ``tabien user add`` and ``tabien token``: the HTTP API and its users."""

from __future__ import annotations

import contextlib
import secrets
import sys
import threading
from typing import TYPE_CHECKING, Annotated, Any

import typer

from api.cli_common import check_area, open_ledger, out, translate_errors
from commands.bootstrap import DEMO_AREA
from ledger.config import database_url, keys_dir

if TYPE_CHECKING:
    from ledger.checkpoints import Checkpointer

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
    from api.web.accounts import Accounts

    with translate_errors():
        ledger = open_ledger()
        for each in area or []:
            check_area(ledger, each)
        ledger.close()
        account = Accounts(database_url()).add_user(
            username, _password(None), role=role, areas=list(area or []),
            display_name=display_name, national_id=national_id)
    out.print(f"[green]✓[/] user {account.username} ({account.role}) added")


def token(username: str) -> None:
    """Print a bearer token for a user, after their password (ออกโทเค็น)."""
    from api.web.accounts import Accounts
    from api.web.problems import Problem
    from api.web.tokens import TokenSigner
    from ledger.keys import KeyStore

    with translate_errors():
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
        min=1, max=14, help="server processes; several (PostgreSQL only) are read workers "
        "beside a writer process; one per core")] = 1,
    stop_after: Annotated[float | None, typer.Option(
        help="stop after this many seconds (for smoke runs)")] = None,
) -> None:
    """Serve the HTTP API, with the projection runner keeping the record view up to date
    (ให้บริการ API)."""

    with translate_errors():
        run_server(host, port, stop_after, workers)


def run_server(host: str, port: int, stop_after: float | None, workers: int = 1, *,
               factory: str = "api.web.app:app_from_env", **uvicorn_options: Any) -> None:
    """Serve until stopped: the tables made first, then the projection runner (a thread of
    this process) and uvicorn — in this process, or with several workers in the writer and
    the read workers (``api.web.dispatch``), each opening its own services (``factory``),
    this process handing them the connections."""
    import os

    import uvicorn

    from api.web.app import prepare_database
    from ledger.config import TABLES_READY_ENV
    from ledger.errors import InvalidInput
    from projections.record_projection import record_runner

    url = database_url()
    if workers > 1 and not url.startswith(("postgresql:", "postgres:")):
        raise InvalidInput("several workers need PostgreSQL (SQLite has one writer): set "
                           "TABIEN_DATABASE_URL=postgresql://…",
                           "การใช้หลายโปรเซสต้องใช้ PostgreSQL")
    prepare_database(url, keys_dir())
    before = set(threading.enumerate())
    runner = record_runner(url)  # the library's ProjectionRunner, in its own threads
    _lower_priority(set(threading.enumerate()) - before, RUNNER_NICENESS)
    checkpointer = _checkpointer(url)  # and the server's own checkpoints, beside it
    os.environ[TABLES_READY_ENV] = "1"  # the server's processes inherit it
    timer = _stop_later(stop_after)
    try:
        if workers > 1:
            _serve_several(factory, host, port, workers, uvicorn_options)
        else:
            out.print(f"[green]serving[/] http://{host}:{port}/api/v1/docs  (Ctrl-C to stop)")
            uvicorn.run(factory, factory=True, host=host, port=port, log_level="warning",
                        **uvicorn_options)
    finally:
        os.environ.pop(TABLES_READY_ENV, None)
        if timer is not None:
            timer.cancel()
        checkpointer.stop()
        runner.stop()


def _checkpointer(url: str) -> Checkpointer:
    """The thread that signs a checkpoint every ``TABIEN_CHECKPOINT_SECONDS`` when the log
    has grown, with the operator's current checkpoint key."""
    from commands.bootstrap import current_key_set
    from ledger.application import Ledger
    from ledger.checkpoints import Checkpointer
    from ledger.config import checkpoint_seconds
    from ledger.keys import KeyStore

    ledger = Ledger(url=url)
    store = KeyStore(keys_dir())
    return Checkpointer(ledger.store, lambda: current_key_set(ledger, store).checkpoint,
                        checkpoint_seconds(), close=ledger.close).start()


# The projection runner's threads: the view may lag a moment behind the ledger; a write may
# not. At the same priority as the writer it took a share of a busy core the writer waited
# for (issue p99 about 110 ms under the bench's load; about 65 ms at niceness 10).
RUNNER_NICENESS = 10


def _lower_priority(threads: set[threading.Thread], niceness: int) -> None:
    """Run these threads of this process at a lower priority (Linux schedules each thread on
    its own: ``setpriority`` with a thread's id reaches that thread only)."""
    import os

    if not sys.platform.startswith("linux"):
        return
    for thread in threads:
        if thread.native_id is not None:
            with contextlib.suppress(OSError):  # the thread has ended meanwhile
                os.setpriority(os.PRIO_PROCESS, thread.native_id, niceness)


def _serve_several(factory: str, host: str, port: int, workers: int,
                   uvicorn_options: dict[str, Any]) -> None:
    """The writer and ``workers`` read workers behind this process (``api.web.dispatch``),
    until Ctrl-C or SIGTERM."""
    import signal

    from api.web.dispatch import Supervisor

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    supervisor = Supervisor(factory, host, port, workers, uvicorn_options)
    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        supervisor.start()
        out.print(f"[green]serving[/] http://{host}:{port}/api/v1/docs  "
                  f"({workers} read workers and the writer; Ctrl-C to stop)")
        supervisor.watch()
    except KeyboardInterrupt:
        pass
    finally:
        # A second Ctrl-C (or --stop-after's) while the children stop would abandon the stop
        # half-way, and the interpreter would then wait at exit for children still serving.
        previous_int = signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        try:
            supervisor.stop()
        finally:
            signal.signal(signal.SIGINT, previous_int)
            signal.signal(signal.SIGTERM, previous)


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


def add_demo_users() -> list[tuple[str, str, str, str]]:
    """The demo's users, each with a fresh random password (there are no default ones); a
    teacher account for the first teacher in the record view. Each: user name, role, what
    it may read (its areas, the teacher's national ID, or every area), password."""
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
        made.append((username, role, ", ".join(areas) or "ทุกเขต / every area", password))
    if first_teacher and not accounts.exists("teacher"):
        password = secrets.token_urlsafe(12)
        accounts.add_user("teacher", password, role="teacher", areas=[],
                          national_id=first_teacher)
        made.append(("teacher", "teacher", first_teacher, password))
    return made
