"""``python -m bench.api_load [--seconds N] [--warm-up 15] [--registrars 50] [--readers 200]
[--backend postgres|sqlite] [--workers 2]``: a bounded load test of the HTTP API on loopback.

For each server configuration (``--workers``: server processes; with more than one, read
workers beside ``tabien serve``'s writer process, its front process handing each connection
to the writer or a read worker by the connection's first request) a fresh
ledger is made (keys, the demo area seeded with ``commands.seed``, the record view rebuilt,
users added), the in-process baselines are measured, and the real server is started in a
process of its own (``bench.api_server``: ``tabien serve``'s set-up, the projection runner
alongside). The readers first read for ``--warm-up`` seconds, not counted, as a server
that has been running a while would have served (each worker has then built the records it
serves and opened their access logs; the warm-up's reads/s, the cold figure, is reported
apart). Then, for ``--seconds`` (``--seconds`` plus the warm-up, × configurations, is at most
60 s of load; every client stops by itself, and so does the server, later):

* **readers** — ``wrk`` (C, one process, two threads) keeps ``--readers`` connections busy with
  ``GET /api/v1/records/{id}``, each request a random seeded record read by a random auditor
  (any record) or registrar of the area (the area's records);
* **registrars** — ``--registrars`` asyncio clients (in this process, on the bench's own lean
  HTTP/1.1 client, ``bench.http_client``: httpx cost about 6 ms of CPU per request here, taken
  from the two cores the server runs on), each in a loop:
  draft an order appointing a new teacher (``POST /orders``), check it (``POST …/check``),
  and have one of the area's authority users issue it (``POST …/issue``), every write with an
  ``Idempotency-Key``, then pause about ``--think-ms`` (default 1 s, uniformly 0.5–1.5×) as a
  person at a terminal would, each starting at a random point of that pause (not all fifty
  in the same millisecond); ``--think-ms 0`` sends orders back to back (saturation).

Reported: reads/s, issues/s, p50/p95/p99 latencies, errors by status, the CPU each party used
(the server, PostgreSQL, wrk, the registrar clients, everything else on the shared machine),
what this schema's PostgreSQL sessions were doing, and **nothing lost**: once the server has
gone quiet, the ledger's new events are counted by kind and compared with the acknowledged
writes (events per draft, check and issue measured by one of each over HTTP before the load;
every record read appends an access-log entry, counted against the acknowledged reads).

Baselines from the same run and ledger, the server idle: the same record read in-process
(``record_from_view``); the read plus its access-log append in-process (the route's work less
HTTP and the token); the same draft + check + issue in-process (``OrderDesk``); and ``wrk``
against a trivial route (``/api/v1/docs``: no token, no database) and ``/api/v1/me`` (token +
account), so that the cost of HTTP and of each layer shows.

Needs ``httpx`` for the set-up (signing every user in, and one order over HTTP before the load;
``pip install httpx``, in the ``test`` extra) and ``wrk`` (``apt-get install wrk``; without it
the readers are Python clients in this process, which compete with the server for the cores:
the report says which). ``--profile DIR`` samples the server with
``py-spy`` (``pip install py-spy``) during the load and prints where the time goes on the read
and the issue path (``bench.api_profile``).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import psycopg
from eventsourcing.utils import get_topic
from psycopg import sql

from api.web.accounts import Accounts
from api.web.app import open_services
from api.web.services import Services
from commands.access import log_read
from commands.bootstrap import initialise
from commands.seed import seed_area
from ledger.access import RecordAccess
from ledger.application import Ledger
from ledger.keys import KeyStore
from projections.reading import record_and_id, record_from_view
from projections.record_projection import open_view, rebuild

from .api_clients import (
    AREA,
    CLIENT_TIMEOUT,
    Latencies,
    Orders,
    PythonReaders,
    Registrars,
    WrkResult,
    bearer,
    order_path,
    run_wrk,
    wrk_script,
)
from .backends import pg_display, pg_server_url, pg_unreachable_reason
from .timing import Progress

__all__ = ["main", "run"]

MAX_SECONDS = 60.0
PASSPHRASE = "tabien-bench-api-load"
PASSWORD = "load test password 2569"
_READ_TOPIC = get_topic(RecordAccess.Read)
_OPENED_TOPIC = get_topic(RecordAccess.Opened)
_ISSUE_TARGET_MS = 50.0
_READS_TARGET = 2_000.0


@dataclass(frozen=True)
class Settings:
    seconds: float
    registrars: int
    readers: int
    backend: str
    workers: tuple[int, ...]
    people: int
    years: int
    order_people: int
    think_ms: float
    reader_tool: str
    authorities: int
    auditors: int
    floor_seconds: float
    baseline_issues: int
    http: str
    loop: str
    threads: int
    profile: Path | None
    profile_mode: str
    logs: Path | None
    verify: bool
    warm_up: float = 0.0


# ---------------------------------------------------------------- CPU accounting (/proc)


_TICK = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name is in parentheses and may hold spaces: split after the last ')'.
    return [text[:text.index(" ")], text[text.index("(") + 1:text.rindex(")")],
            *text[text.rindex(")") + 2:].split()]


def _all_stats() -> dict[int, list[str]]:
    stats = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (fields := _stat_fields(int(entry))) is not None:
            stats[int(entry)] = fields
    return stats


def _cpu(fields: list[str]) -> float:
    # After pid and comm: state, ppid, …; utime and stime are fields 14 and 15 of stat(5).
    return (int(fields[13]) + int(fields[14])) / _TICK


@dataclass(frozen=True)
class CpuSample:
    at: float
    server: float
    postgres: float
    machine_busy: float  # every CPU's time not idle, less what the hypervisor took (steal)
    steal: float

    @classmethod
    def take(cls, server_pid: int) -> CpuSample:
        stats = _all_stats()
        tree, frontier = {server_pid}, [server_pid]
        while frontier:
            parent = frontier.pop()
            children = [pid for pid, f in stats.items() if int(f[3]) == parent]
            tree.update(children)
            frontier += children
        server = sum(_cpu(stats[pid]) for pid in tree if pid in stats)
        postgres = sum(_cpu(f) for f in stats.values() if f[1] == "postgres")
        # user nice system idle iowait irq softirq steal (guest time is in user already)
        ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
        busy = ticks[0] + ticks[1] + ticks[2] + ticks[5] + ticks[6]
        return cls(time.perf_counter(), server, postgres, busy / _TICK, ticks[7] / _TICK)


@dataclass(frozen=True)
class CpuUse:
    """CPU seconds used during the load window, by party."""

    wall: float
    server: float
    postgres: float
    machine: float
    steal: float
    wrk: float
    clients: float  # this process: the registrars (and the readers without wrk)

    @property
    def others(self) -> float:
        return max(0.0, self.machine - self.server - self.postgres - self.wrk - self.clients)

    def describe(self) -> str:
        cores = os.cpu_count() or 1

        def share(seconds: float) -> str:
            return f"{seconds:.1f} s ({seconds / self.wall:.2f} cores)"

        return (f"CPU over {self.wall:.1f} s ({cores} cores = {cores * self.wall:.0f} core-s): "
                f"server {share(self.server)}, PostgreSQL (all backends) "
                f"{share(self.postgres)}, wrk {share(self.wrk)}, the Python clients "
                f"(this process) {share(self.clients)}, everything else "
                f"{share(self.others)}; machine busy {share(self.machine)}, and taken by the "
                f"hypervisor (steal) {share(self.steal)}")


# ---------------------------------------------------------------- the seeded ledger


@dataclass
class Fixture:
    url: str
    keys_dir: Path
    schema: str | None
    services: Services
    all_ids: list[str]
    area_ids: list[str]
    seeded_ids: set[str]
    events_seeded: int


def _user_names(settings: Settings) -> dict[str, list[str]]:
    # At least one of each: one draft, check, issue and read are measured before the load.
    return {"registrar": [f"reg{i:03d}" for i in range(max(1, settings.registrars))],
            "authority": [f"auth{i:03d}" for i in range(max(1, settings.authorities))],
            "auditor": [f"aud{i:03d}" for i in range(max(1, settings.auditors))]}


def _add_users(url: str, settings: Settings) -> None:
    accounts = Accounts(url)
    try:
        for role, names in _user_names(settings).items():
            areas = [] if role == "auditor" else [AREA]
            for name in names:
                accounts.add_user(name, PASSWORD, role=role, areas=areas)
    finally:
        accounts.close()


@contextmanager
def _database(backend: str, directory: Path) -> Iterator[tuple[str, str | None]]:
    """A fresh, empty database: a throw-away PostgreSQL schema, or a new SQLite file."""
    if backend == "sqlite":
        yield f"sqlite:///{directory}/ledger.db", None
        return
    server = pg_server_url()
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    try:
        yield f"{server}?schema={schema}", schema
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE")
                         .format(sql.Identifier(schema)))


@contextmanager
def prepared(settings: Settings, directory: Path, progress: Progress,
             label: str) -> Iterator[Fixture]:
    """A new ledger with keys, the demo area seeded, the record view built and the users."""
    with _database(settings.backend, directory) as (url, schema):
        keys_dir = directory / "keys"
        store = KeyStore(keys_dir, passphrase=PASSPHRASE.encode())
        ledger = Ledger(url=url)
        try:
            keys = initialise(ledger, store, development=False)
            progress(label, f"seeding {settings.people:,} people × {settings.years} years …")
            seed_area(ledger, keys, store.identity_secret(), people=settings.people,
                      years=settings.years, seed=2567, area=AREA)
            view = open_view(url)
            rebuild(ledger, view)
            events = ledger.store.count_events()
            _close_view(view)
        finally:
            ledger.close()
        progress(label, f"{events:,} events seeded; adding users …")
        _add_users(url, settings)
        services = open_services(url, keys_dir)  # also makes the API's token key, once
        try:
            people = services.view.people_of_area(AREA)
            seeded = {p.national_id for p in people}
            yield Fixture(url, keys_dir, schema, services, sorted(seeded), [], seeded, events)
        finally:
            services.close()


def _close_view(view: Any) -> None:
    factory = getattr(view, "_factory", None)  # open_view keeps it on the view
    if factory is not None:
        factory.close()


# ---------------------------------------------------------------- the server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base_url: str
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def errors_logged(self) -> list[str]:
        """Each error the server logged (an ERROR line, or a traceback on its own, as a
        worker that dies prints it): its first line … the exception it ended with."""
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        errors: list[str] = []
        first, inside = "", False
        for line in text.splitlines():
            if not line.strip():
                continue
            if line.startswith(("ERROR", "CRITICAL")) or (
                    line.startswith("Traceback") and not inside):
                first, inside = line, True
                errors.append(first)
            elif line.startswith(("The above", "During handling", "Traceback")):
                inside = True  # a chained exception: the same error
            elif inside and not line.startswith(" "):
                errors[-1] = f"{first} … {line}"
                inside = line.startswith(("ERROR", "CRITICAL"))
        return errors


@contextmanager
def served(fixture: Fixture, settings: Settings, workers: int, directory: Path,
           stop_after: float) -> Iterator[Server]:
    """The API server in a process (group) of its own, answering; stopped afterwards."""
    port = _free_port()
    env = {**os.environ, "TABIEN_DATABASE_URL": fixture.url,
           "TABIEN_KEYS_DIR": str(fixture.keys_dir), "TABIEN_KEY_PASSPHRASE": PASSPHRASE}
    log = (settings.logs or directory) / f"server-{settings.backend}-{workers}w.log"
    command = [sys.executable, "-m", "bench.api_server", "--port", str(port), "--workers",
               str(workers), "--stop-after", f"{stop_after:.0f}", "--http", settings.http,
               "--loop", settings.loop, "--threads", str(settings.threads)]
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    server = Server(process, f"http://127.0.0.1:{port}", log)
    try:
        _wait_until_answering(server, timeout=60.0)
        yield server
    finally:
        _stop(process)


def _wait_until_answering(server: Server, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"the server exited with {server.process.returncode}; see "
                               f"{server.log}:\n{server.log.read_text(errors='replace')}")
        with suppress(OSError), socket.create_connection(
                ("127.0.0.1", int(server.base_url.rsplit(":", 1)[1])), timeout=1) as s:
            s.sendall(b"GET /api/v1/docs HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
            if s.recv(16).startswith(b"HTTP/1.1 200"):
                return
        time.sleep(0.2)
    raise RuntimeError(f"the server did not answer within {timeout:.0f} s; see {server.log}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGINT (graceful), then SIGKILL to the server's own process group if it lingers."""
    if process.poll() is None:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


# ---------------------------------------------------------------- HTTP helpers


def _sign_in_all(base_url: str, settings: Settings) -> dict[str, list[str]]:
    """A bearer token for every user, from POST /api/v1/token (as each user would get it)."""
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    names = _user_names(settings)
    with httpx.Client(base_url=base_url, timeout=CLIENT_TIMEOUT) as client:

        def token(name: str) -> str:
            response = client.post("/api/v1/token",
                                   data={"username": name, "password": PASSWORD})
            response.raise_for_status()
            return str(response.json()["access_token"])

        with ThreadPoolExecutor(max_workers=4) as pool:
            return {role: list(pool.map(token, users)) for role, users in names.items()}


# ---------------------------------------------------------------- counting events


@dataclass(frozen=True)
class Tally:
    position: int  # the last notification id counted
    reads: int = 0  # access-log RecordAccess.Read
    opened: int = 0  # access-log RecordAccess.Opened (a record's first read)
    others: int = 0  # orders and record events: the registrars' writes

    @property
    def total(self) -> int:
        return self.reads + self.opened + self.others


def tally_since(ledger: Ledger, position: int) -> Tally:
    """The events after ``position``, by kind, read from the notification log."""
    reads = opened = others = 0
    last = position
    while page := ledger.recorder.select_notifications(last, 10_000,
                                                       inclusive_of_start=False):
        for notification in page:
            if notification.topic == _READ_TOPIC:
                reads += 1
            elif notification.topic == _OPENED_TOPIC:
                opened += 1
            else:
                others += 1
        last = page[-1].id
    return Tally(last, reads, opened, others)


def _position(ledger: Ledger) -> int:
    return ledger.recorder.max_notification_id() or 0


def wait_quiet(ledger: Ledger, timeout: float = 30.0) -> float:
    """Wait until no event has been appended for a second (requests in flight at the end of
    the load finish); the seconds waited."""
    start = time.monotonic()
    last, still_since = _position(ledger), time.monotonic()
    while time.monotonic() - start < timeout:
        time.sleep(0.25)
        now = _position(ledger)
        if now != last:
            last, still_since = now, time.monotonic()
        elif time.monotonic() - still_since >= 1.0:
            break
    return time.monotonic() - start


# ---------------------------------------------------------------- baselines in-process


@dataclass
class Baselines:
    direct_reads_per_s: float = 0.0  # record_from_view, one thread
    logged_reads_per_s: float = 0.0  # record_and_id + log_read, one thread
    draft: Latencies = field(default_factory=Latencies)  # desk.draft, check, issue
    check: Latencies = field(default_factory=Latencies)
    issue: Latencies = field(default_factory=Latencies)
    issues_per_s: float = 0.0
    docs: WrkResult | None = None
    me: WrkResult | None = None
    per_draft: int = 0
    per_check: int = 0
    per_issue: int = 0
    per_first_read: Tally | None = None


def _direct_reads(fixture: Fixture) -> float:
    """Every seeded record read once from the view in-process; reads/s. Also sorts out the
    records a registrar of the area may read (the record's area is the area's)."""
    services = fixture.services
    mapper = services.ledger.mapper
    start = time.perf_counter()
    in_area = [nid for nid in fixture.all_ids
               if record_from_view(services.view, mapper, nid).area == AREA]
    seconds = time.perf_counter() - start
    fixture.area_ids = in_area
    return len(fixture.all_ids) / seconds


def _logged_reads(fixture: Fixture, seconds: float) -> float:
    """Reads as the route does them, less HTTP and the token: record + access-log append."""
    services = fixture.services
    signer = services.operator_keys().service
    count, start = 0, time.perf_counter()
    for nid in itertools.cycle(fixture.all_ids[::7]):
        _record, record_id = record_and_id(services.view, services.ledger.mapper, nid)
        log_read(services.ledger, signer, record_id, purpose="bench baseline", channel="bench",
                 reader="bench")
        count += 1
        if time.perf_counter() - start >= seconds:
            break
    return count / (time.perf_counter() - start)


def _direct_issues(fixture: Fixture, orders: Orders, count: int, baselines: Baselines) -> None:
    services = fixture.services
    keys = services.keys_for(AREA)
    start = time.perf_counter()
    for _ in range(count):
        number, lines = orders.next()
        t0 = time.perf_counter()
        order = services.desk.draft(keys.registrar, authority=AREA, area=AREA,
                                    order_number=number, order_date=date(2025, 5, 1),
                                    title="บรรจุและแต่งตั้ง (baseline)", lines=lines)
        t1 = time.perf_counter()
        services.desk.check(keys.registrar, order)
        t2 = time.perf_counter()
        services.desk.issue(keys.authority, order, idempotency_key=f"baseline-{number}")
        t3 = time.perf_counter()
        baselines.draft.add("201", (t1 - t0) * 1000)
        baselines.check.add("200", (t2 - t1) * 1000)
        baselines.issue.add("200", (t3 - t2) * 1000)
    baselines.issues_per_s = count / (time.perf_counter() - start)


def _measure_one_of_each(fixture: Fixture, server: Server, tokens: dict[str, list[str]],
                         orders: Orders, baselines: Baselines) -> None:
    """One draft, one issue and one first read over HTTP, each counted in the ledger: what
    every acknowledged write of the load should add."""
    import httpx

    ledger = fixture.services.ledger
    with httpx.Client(base_url=server.base_url, timeout=CLIENT_TIMEOUT) as client:
        number, lines = orders.next()
        before = _position(ledger)
        response = client.post("/api/v1/orders", content=orjson.dumps(Orders.body(number, lines)),
                               headers={**bearer(tokens["registrar"][0]),
                                        "content-type": "application/json",
                                        "Idempotency-Key": f"draft-{number}"})
        if response.status_code != 201:
            raise RuntimeError(f"the measured draft was refused: {response.text}")
        drafted = tally_since(ledger, before)
        response = client.post(order_path(number, "check"), headers={
            **bearer(tokens["registrar"][0]), "Idempotency-Key": f"check-{number}"})
        if response.status_code != 200 or not response.json()["passed"]:
            raise RuntimeError(f"the measured check was refused: {response.text}")
        checked = tally_since(ledger, drafted.position)
        response = client.post(order_path(number, "issue"), headers={
            **bearer(tokens["authority"][0]), "Idempotency-Key": f"issue-{number}"})
        if response.status_code != 200:
            raise RuntimeError(f"the measured issue was refused: {response.text}")
        issued = tally_since(ledger, checked.position)
        nid = fixture.all_ids[1]  # no baseline logged a read of it (they take every 7th)
        response = client.get(f"/api/v1/records/{nid}", headers=bearer(tokens["auditor"][0]))
        if response.status_code != 200:
            raise RuntimeError(f"the measured read was refused: {response.text}")
        read = tally_since(ledger, issued.position)
    if drafted.reads or checked.reads or issued.reads or read.others:
        raise RuntimeError("something else wrote to the ledger while one draft, check, issue "
                           "and read were measured")
    baselines.per_draft, baselines.per_check = drafted.others, checked.others
    baselines.per_issue = issued.others
    baselines.per_first_read = read


# ---------------------------------------------------------------- the load


@dataclass
class LoadResult:
    seconds: float
    registrar_seconds: float  # the load, and the orders under way at its end finishing
    drafts: Latencies
    checks: Latencies
    issues: Latencies
    reads: WrkResult
    cpu: CpuUse
    tally: Tally
    quiet_after: float
    in_flight_at_end: int
    pg_waits: Counter[str]
    server_errors: list[str]
    server_log: Path
    readers_tool: str
    warm_up: WrkResult | None = None
    verify: str = ""
    profile: str = ""


class PgWaits:
    """Samples, every 0.2 s, what this schema's PostgreSQL sessions are doing."""

    def __init__(self, schema: str | None) -> None:
        self.schema = schema
        self.seen: Counter[str] = Counter()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._conn: psycopg.Connection[Any] | None = None

    def connect(self) -> PgWaits:
        """Connect before the warm-up: under load the server's pools may come to hold every
        connection PostgreSQL allows."""
        if self.schema is not None and self._conn is None:
            self._conn = psycopg.connect(pg_server_url(), autocommit=True)
        return self

    def __enter__(self) -> PgWaits:
        if self.connect()._conn is not None:
            self._thread = threading.Thread(target=self._run, args=(self._conn,), daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self, conn: psycopg.Connection[Any]) -> None:
        query = ("SELECT state, wait_event_type, wait_event, query FROM pg_stat_activity "
                 "WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() "
                 "AND datname = current_database() AND state <> 'idle' AND query LIKE %s")
        with conn:
            while not self._stop.wait(0.2):
                for state, kind, event, text in conn.execute(query, (f"%{self.schema}%",)):
                    what = f"{kind}:{event}" if kind else "on CPU"
                    # The statement: its first words, the schema left out.
                    statement = " ".join(str(text).replace(f'"{self.schema}".', "").split()[:4])
                    self.seen[f"{state} / {what} ({statement} …)"] += 1


def load(fixture: Fixture, server: Server, tokens: dict[str, list[str]], orders: Orders,
         settings: Settings, profile_to: Path | None, directory: Path) -> LoadResult:
    """Readers and registrars together for ``settings.seconds``; then the ledger counted."""
    seconds = settings.seconds
    pools = [(tokens[role], [f"/api/v1/records/{nid}" for nid in ids])
             for role, ids in (("auditor", fixture.all_ids), ("registrar", fixture.area_ids))
             if tokens[role] and ids]
    registrars = Registrars(server.base_url, tokens, orders, settings.registrars,
                            settings.think_ms)
    ledger = fixture.services.ledger
    use_wrk = settings.reader_tool != "python" and shutil.which("wrk") is not None
    pg_waits = PgWaits(fixture.schema).connect()
    warmed = _warm_up(server, pools, settings, directory) if use_wrk else None
    if warmed is not None:
        wait_quiet(ledger)  # the warm-up's access entries all in before the count starts
    before = _position(ledger)
    outcome: list[WrkResult | BaseException] = []  # the readers'
    python_readers = None
    wrk_thread = None
    if settings.readers and use_wrk:
        script = wrk_script(directory / "readers.lua", pools)

        def readers() -> None:
            try:
                outcome.append(run_wrk(server.base_url, script, settings.readers, seconds))
            except BaseException as e:  # handed to the main thread
                outcome.append(e)

        wrk_thread = threading.Thread(target=readers)
    elif settings.readers:
        python_readers = PythonReaders(server.base_url, pools, settings.readers)

    async def everyone() -> None:
        if python_readers is None:
            await registrars.run(seconds)
            return
        results = await asyncio.gather(python_readers.run(seconds), registrars.run(seconds))
        outcome.append(results[0])

    profiler = (_start_profiler(server, seconds, profile_to, settings.profile_mode)
                if profile_to else None)
    cpu0, rusage0 = CpuSample.take(server.pid), resource.getrusage(resource.RUSAGE_SELF)
    with pg_waits:
        if wrk_thread is not None:
            wrk_thread.start()
        asyncio.run(everyone())
        if wrk_thread is not None:
            wrk_thread.join(timeout=seconds + 60)
    cpu1, rusage1 = CpuSample.take(server.pid), resource.getrusage(resource.RUSAGE_SELF)
    profile = _finish_profiler(profiler) if profiler else ""
    if settings.readers and not outcome:
        raise RuntimeError("the readers did not finish")
    reads = outcome[0] if outcome else WrkResult(0, seconds, {}, {}, 0, 0, 0, 0, 0)
    if isinstance(reads, BaseException):
        raise RuntimeError(f"the readers failed: {reads}") from reads
    quiet = wait_quiet(ledger)
    cpu = CpuUse(wall=cpu1.at - cpu0.at, server=cpu1.server - cpu0.server,
                 postgres=cpu1.postgres - cpu0.postgres,
                 machine=cpu1.machine_busy - cpu0.machine_busy, steal=cpu1.steal - cpu0.steal,
                 wrk=reads.cpu_seconds,
                 clients=(rusage1.ru_utime + rusage1.ru_stime)
                 - (rusage0.ru_utime + rusage0.ru_stime))
    tool = "none" if not settings.readers else "wrk" if use_wrk else "python (http_client)"
    return LoadResult(seconds, registrars.elapsed or seconds, registrars.drafts,
                      registrars.checks, registrars.issues, reads, cpu,
                      tally_since(ledger, before), quiet, registrars.in_flight, pg_waits.seen,
                      server.errors_logged(), server.log, tool, warm_up=warmed,
                      profile=profile)


def _warm_up(server: Server, pools: list[tuple[list[str], list[str]]], settings: Settings,
             directory: Path) -> WrkResult | None:
    """``--warm-up`` seconds of the same reads before the clock starts, as a server that has
    been running a while would have had: each worker has built the records it serves and
    opened their access logs. Reported apart (its reads/s is the cold server's)."""
    if not settings.warm_up or not settings.readers or not pools:
        return None
    script = wrk_script(directory / "warm-up.lua", pools)
    return run_wrk(server.base_url, script, settings.readers, settings.warm_up)


# ---------------------------------------------------------------- profiling (py-spy)


@dataclass
class _Profiler:
    process: subprocess.Popen[bytes]
    output: Path
    mode: str


def _start_profiler(server: Server, seconds: float, directory: Path, mode: str) -> _Profiler:
    directory.mkdir(parents=True, exist_ok=True)
    output = directory / f"server-{server.pid}-{mode}.txt"
    command = ["py-spy", "record", "--pid", str(server.pid), "--subprocesses", "--rate", "100",
               "--format", "raw", "--duration", f"{seconds:.0f}", "--output", str(output),
               "--nonblocking",  # never pauses the server (a paused server is a slower one)
               "--gil" if mode == "cpu" else "--idle"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return _Profiler(process, output, mode)


def _finish_profiler(profiler: _Profiler) -> str:
    from .api_profile import summarise

    try:
        _out, err = profiler.process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        profiler.process.kill()
        return "py-spy did not finish"
    if not profiler.output.exists():
        return f"py-spy wrote no profile: {err.decode(errors='replace').strip()}"
    return summarise(profiler.output, profiler.mode)


# ---------------------------------------------------------------- one configuration


@dataclass
class Outcome:
    workers: int
    readers: int
    events_seeded: int
    people: int
    baselines: Baselines
    result: LoadResult


def _verify(fixture: Fixture) -> str:
    from audit.verify import verify_ledger
    from commands.bootstrap import trusted_root

    ledger = fixture.services.ledger
    start = time.perf_counter()
    report = verify_ledger(ledger.store, ledger.mapper,
                           trusted_root=trusted_root(KeyStore(fixture.keys_dir)))
    seconds = time.perf_counter() - start
    verdict = "intact" if report.ok else f"{len(report.findings)} FINDINGS: " + "; ".join(
        str(f) for f in report.findings[:3])
    return f"tabien verify after the load: {report.events:,} events, {verdict} ({seconds:.1f} s)"


def one_configuration(settings: Settings, workers: int, directory: Path,
                      progress: Progress) -> Outcome:
    label = f"{settings.backend} {workers} worker(s)"
    directory.mkdir(parents=True)
    with prepared(settings, directory, progress, label) as fixture:
        orders = Orders(fixture.seeded_ids, settings.order_people)
        baselines = Baselines()
        progress(label, "in-process baselines (the server not yet started) …")
        baselines.direct_reads_per_s = _direct_reads(fixture)
        baselines.logged_reads_per_s = _logged_reads(fixture, seconds=3.0)
        _direct_issues(fixture, orders, settings.baseline_issues, baselines)
        budget = settings.seconds + 2 * settings.floor_seconds + 300  # set-up and counting
        with served(fixture, settings, workers, directory, stop_after=budget) as server:
            progress(label, f"server up at {server.base_url} (pid {server.pid}); signing in …")
            tokens = _sign_in_all(server.base_url, settings)
            _measure_one_of_each(fixture, server, tokens, orders, baselines)
            if shutil.which("wrk"):
                progress(label, f"HTTP floor: wrk {settings.floor_seconds:.0f} s on "
                                "/api/v1/docs, then on /api/v1/me …")
                connections = max(2, settings.readers or settings.registrars)
                baselines.docs = run_wrk(server.base_url, wrk_script(
                    directory / "docs.lua", [([], ["/api/v1/docs"])]),
                    connections, settings.floor_seconds)
                baselines.me = run_wrk(server.base_url, wrk_script(
                    directory / "me.lua", [(tokens["auditor"], ["/api/v1/me"])]),
                    connections, settings.floor_seconds)
            progress(label, f"load: {settings.readers} readers + {settings.registrars} "
                            f"registrars for {settings.seconds:.0f} s …")
            profile_to = settings.profile / f"{workers}w" if settings.profile else None
            result = load(fixture, server, tokens, orders, settings, profile_to, directory)
        if settings.verify:
            progress(label, "verifying the ledger …")
            result.verify = _verify(fixture)
        return Outcome(workers, settings.readers, fixture.events_seeded, len(fixture.all_ids),
                       baselines, result)


# ---------------------------------------------------------------- the report


def _warm_up_note(warm_up: WrkResult | None) -> list[str]:
    if warm_up is None:
        return ["no warm-up: the load started on a cold server (every worker builds each "
                "record it first serves and opens its access log)"]
    return [f"warm-up before the load (not counted above): {warm_up.seconds:.0f} s of the "
            f"same reads, {warm_up.ok_per_s:,.0f} reads/s on the cold server, "
            f"statuses {warm_up.statuses}"]


def _ms(values: Latencies) -> str:
    return (f"p50 {values.p(50):.1f} / p95 {values.p(95):.1f} / p99 {values.p(99):.1f} ms "
            f"(max {max(values.ms, default=0):.0f})")


def _verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def nothing_lost(outcome: Outcome) -> bool:
    """Every acknowledged write is in the ledger, and nothing unacknowledged besides reads
    under way when the readers stopped."""
    b, r = outcome.baselines, outcome.result
    expected = r.drafts.ok * b.per_draft + r.checks.ok * b.per_check + r.issues.ok * b.per_issue
    return r.tally.others == expected and 0 <= r.tally.reads - r.reads.ok <= outcome.readers


def lost_check(outcome: Outcome) -> list[str]:
    """Nothing lost: the ledger's new events against what the acknowledged writes add."""
    b, r = outcome.baselines, outcome.result
    lines = []
    expected = r.drafts.ok * b.per_draft + r.checks.ok * b.per_check + r.issues.ok * b.per_issue
    unacknowledged = r.drafts.errors + r.checks.errors + r.issues.errors
    if r.tally.others == expected:
        verdict = "exact: nothing lost, nothing extra"
    elif r.tally.others < expected:
        verdict = f"LOST {expected - r.tally.others:,} events"
    else:
        verdict = (f"{r.tally.others - expected:,} MORE than acknowledged"
                   + (f" ({unacknowledged} unacknowledged requests)" if unacknowledged else ""))
    lines.append(f"orders: {r.tally.others:,} new order/record events; acknowledged: "
                 f"{r.drafts.ok:,} drafts × {b.per_draft} + {r.checks.ok:,} checks × "
                 f"{b.per_check} + {r.issues.ok:,} issues × {b.per_issue} = {expected:,} → "
                 f"{verdict}")
    acked = r.reads.ok
    extra = r.tally.reads - acked
    if extra < 0:
        verdict = f"LOST {-extra:,} access-log entries"
    elif extra <= outcome.readers:
        verdict = (f"none lost; {extra} more than acknowledged = reads under way when the "
                   f"readers stopped (at most one per connection)")
    else:
        verdict = f"{extra:,} MORE than acknowledged reads + connections"
    first = b.per_first_read
    measured = (f" (one first read measured before the load added {first.reads} Read + "
                f"{first.opened} Opened)" if first else "")
    lines.append(f"access log: {r.tally.reads:,} RecordAccess.Read events for {acked:,} "
                 f"acknowledged reads → {verdict}; {r.tally.opened:,} RecordAccess.Opened "
                 f"(a record's first read in one access stream: ≤ {outcome.people:,} records "
                 f"× the server's processes){measured}")
    return lines


def code_under_test() -> str:
    """The commit measured, and whether the app's packages had uncommitted changes."""
    root = Path(__file__).resolve().parent.parent

    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", "-C", str(root), *args], capture_output=True,
                                  text=True, timeout=10, check=False).stdout.strip()
        except OSError:
            return ""

    commit = git("rev-parse", "--short", "HEAD")
    if not commit:
        return "code under test: not a git checkout"
    dirty = git("status", "--porcelain", "--", "api", "ledger", "commands", "projections",
                "audit")
    return f"code under test: {commit}" + (" + uncommitted changes in the app" if dirty
                                           else "")


def print_outcomes(outcomes: Sequence[Outcome], settings: Settings, code: str) -> None:
    import platform
    from datetime import datetime

    from rich.console import Console
    from rich.table import Table

    console = Console() if sys.stdout.isatty() else Console(width=200)
    console.print(f"Python {platform.python_version()} on {platform.system()} "
                  f"{platform.machine()}, {os.cpu_count()} CPU(s), "
                  f"{datetime.now().astimezone().isoformat(timespec='seconds')}; backend "
                  f"{settings.backend}; {settings.readers} readers + {settings.registrars} "
                  f"registrars" + (f" (pausing ~{settings.think_ms:.0f} ms after each order)"
                                   if settings.think_ms else "")
                  + f" for {settings.seconds:.0f} s per configuration; {code}",
                  highlight=False)
    table = Table(title="tabien API load test — each figure beside a baseline from the same "
                        "run (ratio = figure ÷ baseline)")
    for name in ("server", "figure", "value", "baseline", "baseline value", "ratio", "target"):
        table.add_column(name, justify="right" if "value" in name or name == "ratio"
                         else "left")
    for o in outcomes:
        _rows(table, o)
        table.add_section()
    console.print(table)
    for o in outcomes:
        r = o.result
        console.print(f"\n[bold]{o.workers} worker(s)[/] — {o.people:,} people in the area, "
                      f"{o.events_seeded:,} events seeded; readers by {r.readers_tool}",
                      highlight=False)
        notes = [
            f"issue latency {_ms(r.issues)}; draft {_ms(r.drafts)}; check {_ms(r.checks)}",
            f"statuses: reads {dict(r.reads.statuses)}"
            + (f" socket errors {r.reads.socket_errors}" if any(r.reads.socket_errors.values())
               else "")
            + f"; drafts {dict(r.drafts.statuses)}; checks {dict(r.checks.statuses)}; "
            f"issues {dict(r.issues.statuses)}",
            *lost_check(o),
            *_warm_up_note(r.warm_up),
            f"after the load: the registrars' last orders done at {r.registrar_seconds:.1f} s; "
            f"{r.quiet_after:.1f} s more until no more events were appended; "
            f"{r.in_flight_at_end} registrar requests left unanswered",
            r.cpu.describe(),
        ]
        if r.pg_waits:
            total = sum(r.pg_waits.values())
            top = ", ".join(f"{what} {n / total:.0%}" for what, n in r.pg_waits.most_common(6))
            notes.append(f"PostgreSQL sessions of this schema, sampled every 0.2 s "
                         f"({total:,} busy samples, {total / (r.seconds / 0.2):.1f} busy "
                         f"sessions on average): {top}")
        for status, body in r.reads.examples.items():
            notes.append(f"a read answered {status}: {body}")
        if r.server_errors:
            kinds = Counter(e.rsplit(" … ", 1)[-1] for e in r.server_errors)
            notes.append(f"SERVER LOG ({r.server_log}): {len(r.server_errors)} error(s): "
                         + "; ".join(f"{n} × {what}" for what, n in kinds.most_common(5)))
        if r.verify:
            notes.append(r.verify)
        for note in notes:
            console.print("  " + note, markup=False, highlight=False, soft_wrap=True)
        if r.profile:
            console.print(r.profile, markup=False, highlight=False, soft_wrap=True)
    for line in LEGEND:
        console.print(line, markup=False, highlight=False, soft_wrap=True)


def _ratio(value: float, base: float) -> str:
    return f"{value / base:.2f}×" if base else "—"


def _read_rows(table: Any, server: str, o: Outcome) -> None:
    b, r = o.baselines, o.result
    per_s = r.reads.ok_per_s
    name = "record reads/s (HTTP, 2xx)"
    table.add_row(server, name, f"{per_s:,.0f}", "in-process record_from_view, 1 thread",
                  f"{b.direct_reads_per_s:,.0f}", _ratio(per_s, b.direct_reads_per_s),
                  f"≥ {_READS_TARGET:,.0f}/s: {_verdict(per_s >= _READS_TARGET)}")
    table.add_row(server, name, f"{per_s:,.0f}", "in-process read + access-log append",
                  f"{b.logged_reads_per_s:,.0f}", _ratio(per_s, b.logged_reads_per_s), "")
    for floor, what in ((b.docs, "HTTP GET /api/v1/docs (no token, no DB)"),
                        (b.me, "HTTP GET /api/v1/me (token + account)")):
        if floor is not None:
            table.add_row(server, name, f"{per_s:,.0f}", what, f"{floor.ok_per_s:,.0f}",
                          _ratio(per_s, floor.ok_per_s), "")
    me = b.me
    table.add_row(server, "read latency p99 (wrk)", f"{r.reads.p99_ms:,.1f} ms",
                  "HTTP /api/v1/me p99" if me else "", f"{me.p99_ms:,.1f} ms" if me else "",
                  _ratio(r.reads.p99_ms, me.p99_ms) if me else "", "")


def _issue_rows(table: Any, server: str, o: Outcome) -> None:
    b, r = o.baselines, o.result
    per_s = r.issues.ok / r.registrar_seconds
    p99 = r.issues.p(99)
    table.add_row(server, "issues/s (HTTP, 200)", f"{per_s:,.1f}",
                  "in-process draft + check + issue, 1 thread", f"{b.issues_per_s:,.1f}",
                  _ratio(per_s, b.issues_per_s), "")
    table.add_row(server, "issue latency p99", f"{p99:,.1f} ms", "in-process issue p99 (idle)",
                  f"{b.issue.p(99):,.1f} ms", _ratio(p99, b.issue.p(99)),
                  f"≤ {_ISSUE_TARGET_MS:.0f} ms: {_verdict(p99 <= _ISSUE_TARGET_MS)}")
    table.add_row(server, "issue latency p50", f"{r.issues.p(50):,.1f} ms",
                  "in-process issue p50 (idle)", f"{b.issue.p(50):,.1f} ms",
                  _ratio(r.issues.p(50), b.issue.p(50)), "")


def _rows(table: Any, o: Outcome) -> None:
    r = o.result
    server = f"{o.workers} worker(s)"
    if r.readers_tool != "none":
        _read_rows(table, server, o)
    if r.drafts.statuses:
        _issue_rows(table, server, o)
    errors = (r.drafts.errors + r.checks.errors + r.issues.errors
              + sum(r.reads.problems().values()))
    table.add_row(server, "errors (non-2xx, socket)", f"{errors:,}", "", "", "",
                  f"none: {_verdict(errors == 0)}")
    table.add_row(server, "ledger events = acknowledged writes", f"{r.tally.total:,} new",
                  "", "", "", f"nothing lost: {_verdict(nothing_lost(o))}")


LEGEND = (
    "Readers: wrk -t 2 -c READERS --timeout 10s; each request GET /api/v1/records/{id} of a "
    "random seeded record, half by a random auditor (any record), half by a random registrar "
    "of the area (the area's records); reads/s = 2xx answers ÷ wrk's duration; latency as wrk "
    "measures it (request sent → answer read).",
    "Registrars: asyncio clients in the bench process (bench.http_client, a lean HTTP/1.1 "
    "client), one keep-alive connection each, in a loop: POST /api/v1/orders (an order "
    "appointing --order-people new teacher(s): record_opened + appointed lines), "
    "POST …/check, then POST …/issue as one of the area's "
    "authority users; every write with an Idempotency-Key; issues/s = issued orders ÷ the "
    "time until the last order under way at the end was answered; latency client-side.",
    "Baselines (same run, same ledger, server idle, one thread, no HTTP): record_from_view "
    "over every seeded record; the same read + commands.access.log_read (one signed "
    "submission per read, as the CLI logs); OrderDesk.draft + check + issue; and, over HTTP "
    "with the same connections, wrk on /api/v1/docs (no token, no database) and /api/v1/me "
    "(token check + account read).",
    "Nothing lost: after the load the server is left until no event has been appended for "
    "1 s; the new events are counted by topic from the notification log.",
)


# ---------------------------------------------------------------- entry points


def _check_tools(settings: Settings) -> list[str]:
    """What is missing, as messages saying how to install it (empty: nothing)."""
    problems = []
    try:
        import httpx  # noqa: F401
    except ImportError:
        problems.append("httpx is needed for the set-up (signing the users in, one order "
                        "before the load): pip install httpx (or pip install -e '.[test]')")
    if settings.profile is not None and shutil.which("py-spy") is None:
        problems.append("--profile needs py-spy: pip install py-spy")
    if settings.backend == "postgres":
        reason = pg_unreachable_reason(pg_server_url())
        if reason is not None:
            problems.append(f"PostgreSQL: {reason}. Set TABIEN_BENCH_PG (or TABIEN_TEST_PG) "
                            "to a server URL, or use --backend sqlite.")
    return problems


def run(settings: Settings, progress: Progress | None = None) -> list[Outcome]:
    progress = progress or Progress()
    problems = _check_tools(settings)
    if problems:
        raise SystemExit("\n".join(problems))
    if settings.reader_tool == "wrk" and shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk (or --reader-tool python)")
    if shutil.which("wrk") is None and settings.readers and settings.reader_tool == "auto":
        progress("setup", "wrk not found (apt-get install wrk): the readers run as Python "
                          "clients in this process, competing with the server for the cores")
    if settings.backend == "postgres":
        progress("setup", f"PostgreSQL at {pg_display(pg_server_url())}")
    code = code_under_test()
    os.environ["TABIEN_KEY_PASSPHRASE"] = PASSPHRASE  # this process's own services
    if settings.logs is not None:
        settings.logs.mkdir(parents=True, exist_ok=True)
    outcomes = []
    with tempfile.TemporaryDirectory(prefix="tabien-api-load-") as tmp:
        for workers in settings.workers:
            outcomes.append(one_configuration(settings, workers, Path(tmp) / f"{workers}w",
                                              progress))
    code_after = code_under_test()
    if code_after != code:  # someone committed or edited the app while the bench ran
        code = f"{code} at the start, {code_after.removeprefix('code under test: ')} at the end"
    print_outcomes(outcomes, settings, code)
    return outcomes


def _workers(text: str) -> tuple[int, ...]:
    values = tuple(int(part) for part in text.split(",") if part.strip())
    if not values or any(v < 1 or v > 8 for v in values):
        raise argparse.ArgumentTypeError("worker counts between 1 and 8, e.g. 1,2")
    return values


def _seconds(text: str) -> float:
    value = float(text)
    if not 1 <= value <= MAX_SECONDS:
        raise argparse.ArgumentTypeError(f"between 1 and {MAX_SECONDS:.0f} seconds")
    return value


def parse(argv: Sequence[str] | None) -> Settings:
    parser = argparse.ArgumentParser(
        prog="python -m bench.api_load",
        description="A bounded load test of the HTTP API on loopback: readers (wrk) and "
                    "registrars (asyncio, bench.http_client) against the real server, each "
                    "figure beside a baseline from the same run.")
    add: Callable[..., Any] = parser.add_argument
    add("--seconds", type=_seconds, default=30.0,
        help=f"load duration per server configuration (default 30); (--seconds + "
             f"--warm-up) × the number of --workers configurations is at most "
             f"{MAX_SECONDS:.0f}")
    add("--warm-up", type=float, default=15.0,
        help="seconds of reads (wrk) before the load, not counted (default 15; 0: start "
             "cold)")
    add("--registrars", type=int, default=50, help="concurrent registrars (default 50)")
    add("--readers", type=int, default=200, help="concurrent readers (default 200)")
    add("--backend", choices=("postgres", "sqlite"), default="postgres")
    add("--workers", type=_workers, default=(2,),
        help="server processes (several: read workers beside the writer), one "
             "configuration each, e.g. 1,2 (default 2)")
    add("--people", type=int, default=3_000, help="people seeded in the area (default 3,000)")
    add("--years", type=int, default=3, help="years of careers seeded (default 3)")
    add("--order-people", type=int, default=1,
        help="new teachers per order (2 lines each; default 1)")
    add("--think-ms", type=float, default=1_000.0,
        help="each registrar's mean pause after an order, in ms (default 1,000, uniform "
             "0.5–1.5 s: people at terminals; 0: back to back, which measures saturation)")
    add("--reader-tool", choices=("auto", "wrk", "python"), default="auto",
        help="auto: wrk if installed, else Python clients in this process")
    add("--authorities", type=int, default=10, help="authority users (default 10)")
    add("--auditors", type=int, default=10, help="auditor users (default 10)")
    add("--floor-seconds", type=_seconds, default=3.0,
        help="seconds of each HTTP floor baseline (default 3)")
    add("--baseline-issues", type=int, default=30,
        help="in-process draft + check + issue baseline orders (default 30)")
    add("--http", choices=("auto", "h11", "httptools"), default="auto",
        help="uvicorn's HTTP implementation (auto: httptools if installed)")
    add("--loop", choices=("auto", "asyncio", "uvloop"), default="auto")
    add("--threads", type=int, default=0,
        help="threads running the sync routes, per worker (default 0: anyio's 40)")
    add("--profile", type=Path, metavar="DIR",
        help="sample the server with py-spy during the load; raw stacks go to DIR")
    add("--profile-mode", choices=("cpu", "wall"), default="cpu",
        help="cpu: py-spy --gil (where the Python CPU goes); wall: py-spy --idle (where "
             "every thread's time goes, waits included)")
    add("--logs", type=Path, metavar="DIR", help="keep the server logs in DIR")
    add("--no-verify", action="store_true", help="skip verifying the ledger afterwards")
    args = parser.parse_args(argv)
    if args.readers == 1 or args.readers < 0 or args.registrars < 0:
        parser.error("readers: 0 (none) or at least 2 (wrk's two threads); registrars ≥ 0")
    if args.readers + args.registrars == 0:
        parser.error("no load: give readers or registrars")
    if args.warm_up < 0:
        parser.error("--warm-up: 0 or more seconds")
    if (args.seconds + args.warm_up) * len(args.workers) > MAX_SECONDS:
        parser.error(f"at most {MAX_SECONDS:.0f} s of load in all: (--seconds "
                     f"{args.seconds:.0f} + --warm-up {args.warm_up:.0f}) × "
                     f"{len(args.workers)} configuration(s) is more")
    return Settings(
        seconds=args.seconds, registrars=args.registrars, readers=args.readers,
        backend=args.backend, workers=args.workers, people=args.people, years=args.years,
        order_people=args.order_people, think_ms=args.think_ms, reader_tool=args.reader_tool,
        authorities=args.authorities, auditors=args.auditors, floor_seconds=args.floor_seconds,
        baseline_issues=args.baseline_issues, http=args.http, loop=args.loop,
        threads=args.threads, profile=args.profile, profile_mode=args.profile_mode,
        logs=args.logs, verify=not args.no_verify, warm_up=args.warm_up)


def main(argv: Sequence[str] | None = None) -> None:
    run(parse(argv))


if __name__ == "__main__":
    main()
