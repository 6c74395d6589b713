"""The load generators of ``bench.api_load``: the registrars (asyncio clients in the bench's
own process, on the bench's lean HTTP/1.1 client ``bench.http_client``), the readers (``wrk``,
a C program, with a Lua script; or asyncio clients on ``bench.http_client`` where wrk is
missing), the orders they issue, and the latency figures."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import random
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson

from bench.http_client import Connection
from commands.bootstrap import DEMO_AREA
from ledger.identity import check_digit

__all__ = ["AREA", "Latencies", "Orders", "PythonReaders", "Registrars", "WrkResult",
           "bearer", "order_path", "percentile", "run_wrk", "wrk_script"]

AREA = DEMO_AREA
YEAR_BE = "2569"
CLIENT_TIMEOUT = 30.0
_READ_TIMEOUT = 10.0  # the Python readers', as wrk's --timeout
_WRK_TIMEOUT = "10s"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# ---------------------------------------------------------------- figures


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100); 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


@dataclass
class Latencies:
    """Milliseconds of the acknowledged (2xx) requests of one kind, and every status seen."""

    ms: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)

    @property
    def ok(self) -> int:
        return len(self.ms)

    @property
    def errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if not status.startswith("2"))

    def add(self, status: str, ms: float) -> None:
        self.statuses[status] += 1
        if status.startswith("2"):
            self.ms.append(ms)

    def p(self, q: float) -> float:
        return percentile(self.ms, q)


# ---------------------------------------------------------------- orders to issue


class Orders:
    """Unique order numbers and new national IDs, and the draft bodies that use them."""

    def __init__(self, taken: set[str], people_per_order: int) -> None:
        self._numbers = itertools.count(1)
        self._people = itertools.count(1)
        self._taken = taken
        self.people_per_order = people_per_order

    def _national_id(self) -> str:
        while True:
            first12 = f"58800{next(self._people):07d}"
            nid = first12 + str(check_digit(first12))
            if nid not in self._taken:
                return nid

    def next(self) -> tuple[str, list[dict[str, Any]]]:
        """An order number and its lines: each new person opened and appointed."""
        number = f"{next(self._numbers)}/{YEAR_BE}"
        ref = {"authority": AREA, "order_number": number, "order_date": "2025-05-01"}
        lines: list[dict[str, Any]] = []
        for _ in range(self.people_per_order):
            nid = self._national_id()
            lines += [
                {"national_id": nid, "kind": "record_opened", "effective_date": "2025-05-16",
                 "order": ref, "prefix": "นางสาว", "first_name": f"ครู{nid[-6:]}",
                 "last_name": "ทดสอบโหลด", "birth_date": "12/3/2541", "area": AREA,
                 "gender": "หญิง", "father_name": "", "mother_name": "", "spouse_name": "",
                 "domicile": "พัทลุง"},
                {"national_id": nid, "kind": "appointed", "effective_date": "2025-05-16",
                 "order": ref, "position_title": "ครูผู้ช่วย", "position_number": f"L{nid[-8:]}",
                 "unit": "โรงเรียนทุ่งสง", "area": AREA, "rank": "assistant", "salary": 15_050,
                 "staff_type": "teacher", "on_probation": True},
            ]
        return number, lines

    @staticmethod
    def body(number: str, lines: list[dict[str, Any]]) -> dict[str, Any]:
        return {"authority": AREA, "area": AREA, "order_number": number,
                "order_date": "2025-05-01", "title": "บรรจุและแต่งตั้ง (load test)",
                "lines": lines}


def order_path(number: str, action: str) -> str:
    """``/api/v1/orders/{authority}/{number}/{action}`` for an order of the area."""
    return f"/api/v1/orders/{quote(AREA, safe='')}/{number}/{action}"


# ---------------------------------------------------------------- wrk


_LUA = r"""
local pools = %(pools)s
local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("seed", counter * 7919)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(seed + os.time())
  statuses = {}
  bodies = {}
end

function request()
  local pool = pools[math.random(#pools)]
  local path = pool.paths[math.random(#pool.paths)]
  local headers = {}
  if #pool.tokens > 0 then
    headers["Authorization"] = "Bearer " .. pool.tokens[math.random(#pool.tokens)]
  end
  return wrk.format("GET", path, headers)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status >= 300 and not bodies[status] then
    bodies[status] = string.sub(string.gsub(body, "[\r\n]", " "), 1, 600)
  end
end

function done(summary, latency, requests)
  local all = {}
  local shown = {}
  for _, thread in ipairs(threads) do
    local counts = thread:get("statuses")
    if counts then
      for status, n in pairs(counts) do all[status] = (all[status] or 0) + n end
    end
    local first = thread:get("bodies")
    if first then
      for status, body in pairs(first) do
        if not shown[status] then
          shown[status] = true
          io.write(string.format("WRK_BODY %%d %%s\n", status, body))
        end
      end
    end
  end
  local parts = {}
  for status, n in pairs(all) do parts[#parts + 1] = string.format('"%%d": %%d', status, n) end
  local e = summary.errors
  io.write(string.format('WRK_JSON {"requests": %%d, "duration_us": %%d, "connect": %%d, ' ..
    '"read": %%d, "write": %%d, "status": %%d, "timeout": %%d, "p50": %%d, "p95": %%d, ' ..
    '"p99": %%d, "max": %%d, "statuses": {%%s}}\n', summary.requests, summary.duration,
    e.connect, e.read, e.write, e.status, e.timeout, latency:percentile(50),
    latency:percentile(95), latency:percentile(99), latency.max, table.concat(parts, ", ")))
end
"""


def _lua_list(items: Sequence[str]) -> str:
    return "{" + ", ".join(json.dumps(item) for item in items) + "}"


def wrk_script(path: Path, pools: Sequence[tuple[Sequence[str], Sequence[str]]]) -> Path:
    """A wrk script choosing, per request, a pool of (tokens, paths), then one of each."""
    lua_pools = ", ".join(f"{{tokens = {_lua_list(tokens)}, paths = {_lua_list(paths)}}}"
                          for tokens, paths in pools)
    path.write_text(_LUA % {"pools": "{" + lua_pools + "}"}, encoding="utf-8")
    return path


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    statuses: dict[str, int]
    socket_errors: dict[str, int]
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    cpu_seconds: float
    examples: dict[str, str] = field(default_factory=dict)  # status: the first body seen

    @property
    def ok(self) -> int:
        return sum(n for status, n in self.statuses.items() if status.startswith("2"))

    @property
    def ok_per_s(self) -> float:
        return self.ok / self.seconds

    def problems(self) -> dict[str, int]:
        bad = {s: n for s, n in self.statuses.items() if not s.startswith("2")}
        bad.update({f"socket {k}": n for k, n in self.socket_errors.items() if n})
        return bad


def run_wrk(base_url: str, script: Path, connections: int, seconds: float) -> WrkResult:
    """wrk for ``seconds`` (it stops by itself); its own CPU time from the kernel."""
    command = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds:.0f}s",
               "--timeout", _WRK_TIMEOUT, "-s", str(script), base_url]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert process.stdout is not None
    timer = threading.Timer(seconds + 30, process.kill)  # never outlives its duration much
    timer.start()
    try:
        output = process.stdout.read().decode(errors="replace")
        _pid, status, usage = os.wait4(process.pid, 0)
    finally:
        timer.cancel()
    process.returncode = os.waitstatus_to_exitcode(status)
    line = next((x for x in output.splitlines() if x.startswith("WRK_JSON ")), None)
    if process.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({process.returncode}):\n{output}")
    data = json.loads(line.removeprefix("WRK_JSON "))
    return WrkResult(
        requests=data["requests"], seconds=data["duration_us"] / 1e6,
        statuses={str(k): int(v) for k, v in data["statuses"].items()},
        socket_errors={k: int(data[k]) for k in ("connect", "read", "write", "timeout")},
        p50_ms=data["p50"] / 1000, p95_ms=data["p95"] / 1000, p99_ms=data["p99"] / 1000,
        max_ms=data["max"] / 1000, cpu_seconds=usage.ru_utime + usage.ru_stime,
        examples=dict(x.removeprefix("WRK_BODY ").split(" ", 1) for x in output.splitlines()
                      if x.startswith("WRK_BODY ") and " " in x.removeprefix("WRK_BODY ")))


# ---------------------------------------------------------------- the clients


class Registrars:
    """``count`` registrars, each drafting an order, checking it and having an authority
    issue it, in a loop, until the deadline (a request under way then is let finish and
    counted)."""

    def __init__(self, base_url: str, tokens: dict[str, list[str]], orders: Orders,
                 count: int, think_ms: float = 0.0) -> None:
        self.base_url = base_url
        self.tokens = tokens
        self.orders = orders
        self.count = count
        self.think = think_ms / 1000  # mean pause after each order, as a person would take
        self.drafts = Latencies()
        self.checks = Latencies()
        self.issues = Latencies()
        self.in_flight = 0
        self.elapsed = 0.0  # from the start until the last order under way at the end is done

    async def run(self, seconds: float) -> None:
        start = time.perf_counter()
        deadline = start + seconds
        await asyncio.gather(*(self._one(i, deadline) for i in range(self.count)))
        self.elapsed = time.perf_counter() - start

    async def _one(self, i: int, deadline: float) -> None:
        """One registrar, on a keep-alive connection of its own, until the deadline.

        Each starts at a random point of its pause, as people at their terminals are each
        somewhere in their own work when one looks: fifty orders drafted in the same
        millisecond at the start, then checked and issued in step, would measure the
        bench's start rather than the server."""
        registrar = bearer(self.tokens["registrar"][i % len(self.tokens["registrar"])])
        authority = bearer(self.tokens["authority"][i % len(self.tokens["authority"])])
        if self.think:
            await asyncio.sleep(random.uniform(0.0, 1.5 * self.think))
        async with Connection(self.base_url, CLIENT_TIMEOUT) as client:
            while time.perf_counter() < deadline:
                await self._order(client, registrar, authority)
                if self.think and time.perf_counter() < deadline:
                    await asyncio.sleep(min(self.think * random.uniform(0.5, 1.5),
                                            max(0.0, deadline - time.perf_counter())))

    async def _order(self, client: Connection, registrar: dict[str, str],
                     authority: dict[str, str]) -> None:
        """Draft, check and issue one order, stopping at the first refusal."""
        number, lines = self.orders.next()
        status = await self._timed(self.drafts, client, "/api/v1/orders", {
            **registrar, "content-type": "application/json",
            "Idempotency-Key": f"draft-{number}"}, orjson.dumps(Orders.body(number, lines)))
        if status == 201:
            status = await self._timed(self.checks, client, order_path(number, "check"),
                                       {**registrar, "Idempotency-Key": f"check-{number}"},
                                       None)
        if status == 200:
            status = await self._timed(self.issues, client, order_path(number, "issue"),
                                       {**authority, "Idempotency-Key": f"issue-{number}"},
                                       None)
        if status != 200:
            await asyncio.sleep(0.05)  # refused: do not spin

    async def _timed(self, into: Latencies, client: Connection, path: str,
                     headers: dict[str, str], body: bytes | None) -> int:
        self.in_flight += 1
        start = time.perf_counter()
        try:
            response = await client.request("POST", path, headers, body)
            status = str(response.status)
        except Exception as e:
            status = f"{type(e).__name__}"
        finally:
            self.in_flight -= 1
        into.add(status, (time.perf_counter() - start) * 1000)
        return int(status) if status.isdigit() else 0


class PythonReaders:
    """The readers as asyncio clients in this process, for machines without wrk."""

    def __init__(self, base_url: str, pools: Sequence[tuple[Sequence[str], Sequence[str]]],
                 count: int) -> None:
        self.base_url, self.pools, self.count = base_url, pools, count
        self.reads = Latencies()

    async def run(self, seconds: float) -> WrkResult:
        start = time.perf_counter()
        deadline = start + seconds
        await asyncio.gather(*(self._one(deadline) for _ in range(self.count)))
        r = self.reads
        return WrkResult(sum(r.statuses.values()), time.perf_counter() - start,
                         dict(r.statuses), {}, r.p(50), r.p(95), r.p(99),
                         max(r.ms, default=0.0), 0.0)

    async def _one(self, deadline: float) -> None:
        """One reader, on a keep-alive connection of its own, until the deadline."""
        async with Connection(self.base_url, _READ_TIMEOUT) as client:
            while time.perf_counter() < deadline:
                tokens, paths = random.choice(self.pools)
                t0 = time.perf_counter()
                try:
                    response = await client.request("GET", random.choice(paths),
                                                    bearer(random.choice(tokens)))
                    status = str(response.status)
                except Exception as e:
                    status = type(e).__name__
                self.reads.add(status, (time.perf_counter() - t0) * 1000)
