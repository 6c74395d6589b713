"""What every ``tabien`` command module shares: the consoles, the one translation of the error
tree into a message and an exit code (1: verification found a problem; 2: the input or the
request was refused and nothing was written), the ledger as configured, progress bars, and
the access log of the command line. The command modules import this; none imports another.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from commands.areas import AreaBook
from commands.bootstrap import load_key_set
from ledger.application import Ledger
from ledger.config import database_url, keys_dir
from ledger.errors import TabienError
from ledger.keys import KeyStore

if TYPE_CHECKING:
    from projections.caught_up import LedgerHead
    from projections.store import RecordView

__all__ = ["check_area", "console_out", "err", "exit_with", "log_access", "open_ledger", "out",
           "progress_bar", "translate_errors", "view_caught_up"]

out = Console()
err = Console(stderr=True)


def console_out(text: str) -> None:
    """Plain output, never wrapped: paths and keys must stay whole."""
    out.print(text, markup=False, highlight=False, emoji=False, soft_wrap=True)


def log_access(ledger: Ledger, record_id: object, purpose: str, channel: str = "cli") -> None:
    """Every read of a personal record is written to the access log (PDPA), signed by the
    server's service key (which may sign nothing else)."""
    from uuid import UUID

    from commands.access import log_read

    assert isinstance(record_id, UUID)
    log_read(ledger, load_key_set(KeyStore(keys_dir())).service, record_id,
             purpose=purpose, channel=channel)


def exit_with(error: TabienError, code: int = 2) -> typer.Exit:
    err.print(f"[bold red]ผิดพลาด / error:[/] {error.message_th}", soft_wrap=True)
    err.print(f"  {error.message}", markup=False, highlight=False, soft_wrap=True)
    for detail in error.details:
        err.print(f"  • {detail}", markup=False, highlight=False, soft_wrap=True)
    return typer.Exit(code)


@contextmanager
def translate_errors() -> Iterator[None]:
    try:
        yield
    except TabienError as e:
        raise exit_with(e) from None


def view_caught_up(ledger: Ledger, view: RecordView) -> LedgerHead:
    """The ledger's head, once the record view has caught up with it (``TABIEN_VIEW_WAIT_SECONDS``
    at most); else exit 2 saying how far behind and how to catch it up.

    The command does not run the projection itself: a running server's projection may be
    writing the same view, and two writers of one view would collide. The server (``tabien
    serve``) keeps the view up to date; without one, ``tabien project --once`` catches it up."""
    from ledger.config import view_wait_seconds
    from projections.caught_up import ViewBehind, caught_up

    try:
        return caught_up(ledger, view, view_wait_seconds())
    except ViewBehind as e:
        e.details.append("catch the view up with `tabien project --once` (or start the "
                         "server, `tabien serve`, which keeps it up to date), then try again / "
                         "ปรับปรุงมุมมองข้อมูลด้วยคำสั่ง tabien project --once (หรือเริ่มเครื่องแม่ข่าย "
                         "tabien serve) แล้วลองใหม่")
        raise


def open_ledger() -> Ledger:
    return Ledger(url=database_url())


def check_area(ledger: Ledger, area: str) -> str:
    """``area`` if the ledger knows it (``commands.areas``); else the error that names the
    nearest known areas, before anything is read, written or exported."""
    return AreaBook(ledger).check(area)


@contextmanager
def progress_bar(label: str, total: int | None) -> Iterator[Callable[[int], None]]:
    columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn()]
    with Progress(*columns, console=err, transient=False,
                  disable=not err.is_terminal and total is not None and total < 50_000) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n: bar.advance(task, n)
