"""``python -m bench [--quick] [--only NAME ...] [--rebuild-events N]``: run the benchmarks
and print one table.

``tabien bench`` calls ``run`` too. Names for ``--only``: a scenario (single, order, verify,
rebuild) or a backend (sqlite, postgres); scenarios and backends combine, e.g. ``--only order
--only postgres``. ``--rebuild-events`` sets the rebuild scenario's ledger size on every
backend (the issue's: 1,000,000).
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from commands.bootstrap import KeySet, load_key_set
from ledger.keys import KeyStore

from . import certificates, payroll, rebuild, salary_round, scenarios
from .backends import (
    PostgresBackend,
    SQLiteBackend,
    pg_display,
    pg_server_url,
    pg_unreachable_reason,
)
from .report import Row, print_report
from .scenarios import Backend, Context, Sizes
from .timing import Progress

__all__ = ["main", "run"]

SCENARIOS = {**scenarios.SCENARIOS, "rebuild": rebuild.rebuild_view,
             "payroll": payroll.payroll_feed, "round": salary_round.salary_round,
             "certificates": certificates.certificates}
LEGEND = (*scenarios.LEGEND, *rebuild.LEGEND, *payroll.LEGEND, *salary_round.LEGEND,
          *certificates.LEGEND)
BACKENDS = ("sqlite", "postgres")
NAMES = (*SCENARIOS, *BACKENDS)
_KEY_NAMES = ("tabien-admin", "tabien-checkpoint", "tabien-service", "registrar-spm16",
              "authority-spm16")


def _make_keys(directory: Path) -> KeySet:
    # One key set for the whole run: generating and decrypting keys is slow and is no part
    # of any figure.
    store = KeyStore(directory, passphrase=b"tabien-bench")
    for name in _KEY_NAMES:
        store.generate(name)
    return load_key_set(store)


def _selected(only: Sequence[str], names: Sequence[str]) -> list[str]:
    """The names of one kind that ``only`` picks; all of them if it picks none of this kind."""
    picked = [name for name in names if name in only]
    return picked or list(names)


def _backends(names: Sequence[str], directory: Path, progress: Progress,
              notes: list[str]) -> Iterator[Backend]:
    if "sqlite" in names:
        yield SQLiteBackend(directory)
    if "postgres" in names:
        url = pg_server_url()
        reason = pg_unreachable_reason(url)
        if reason is None:
            progress("PostgreSQL", f"server {pg_display(url)}")
            yield PostgresBackend(url)
        else:
            # The bench is not CI: no server means no PostgreSQL rows, not a crash.
            notes.append(f"PostgreSQL rows skipped: {reason}. "
                         "Set TABIEN_BENCH_PG (or TABIEN_TEST_PG) to a server URL.")
            progress("PostgreSQL", f"skipped: {reason}")


def run(quick: bool = False, only: Sequence[str] = (), rebuild_events: int | None = None,
        verify_events: int | None = None) -> None:
    unknown = sorted(set(only) - set(NAMES))
    if unknown:
        raise ValueError(f"unknown benchmark name(s) {unknown}; known: {', '.join(NAMES)}")
    sizes = Sizes.quick() if quick else Sizes.full()
    if rebuild_events is not None:
        if rebuild_events < 1:
            raise ValueError(f"--rebuild-events must be at least 1, not {rebuild_events}")
        sizes = dataclasses.replace(sizes, rebuild_sqlite=rebuild_events,
                                    rebuild_postgres=rebuild_events)
    if verify_events is not None:
        if verify_events < sizes.verify_events_per_person:
            raise ValueError(f"--verify-events must be at least {sizes.verify_events_per_person}")
        sizes = dataclasses.replace(
            sizes, verify_people=verify_events // sizes.verify_events_per_person)
    progress = Progress()
    rows: list[Row] = []
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="tabien-bench-") as tmp:
        directory = Path(tmp)
        context = Context(_make_keys(directory / "keys"), sizes, progress,
                          key_dir=directory / "keys")
        for backend in _backends(_selected(only, BACKENDS), directory, progress, notes):
            for name in _selected(only, list(SCENARIOS)):
                progress(backend.name, f"{name} …")
                rows += SCENARIOS[name](backend, context)
    print_report(rows, sizes.rounds, [sizes.describe(), *LEGEND, *notes])


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="sizes ~10x smaller (smoke run)")
    parser.add_argument("--only", action="append", default=[], choices=NAMES, metavar="NAME",
                        help=f"run only this scenario or backend ({', '.join(NAMES)}); "
                             "may be repeated")
    parser.add_argument("--rebuild-events", type=int, metavar="N",
                        help="record events in the rebuild scenario's ledger, on every backend "
                             "(default 100,000 on SQLite, 200,000 on PostgreSQL; --quick "
                             "10,000; the issue's size is 1,000,000)")
    parser.add_argument("--verify-events", type=int, metavar="N",
                        help="events in the verify scenario's ledger (default 100,000; the "
                             "issue's size is 1,000,000)")
    args = parser.parse_args(argv)
    run(quick=args.quick, only=args.only, rebuild_events=args.rebuild_events,
        verify_events=args.verify_events)


if __name__ == "__main__":
    main()
