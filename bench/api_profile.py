"""Where the API server's time goes: a summary of ``py-spy record --format raw`` stacks.

Two views, as ``bench.api_load --profile-mode`` records them:

* ``cpu`` (``py-spy --gil``): one sample per tick of the thread holding the GIL, i.e. where
  the server's Python CPU time goes (time in C with the GIL released — waiting for
  PostgreSQL, hashing big buffers — is not in it);
* ``wall`` (``py-spy --idle``): every thread at every tick, waiting or not, i.e. where a
  request's time goes, the waits for the write lock and for PostgreSQL included.

Samples are put in one bucket by the route function (or dependency) the stack runs in — the
record read, the order routes, the token check — or else the event loop (HTTP parsing,
routing, responses), the projection runner, or the thread pool's threads waiting for work.
For the read and the issue route, the functions under the route are ranked by the share of
the route's samples they are on the stack for (inclusive), the leaves are summed by package,
and the commonest leaves are named with their line (a wait shows as the line that waits).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Profile", "summarise"]

# Buckets: the first matching marker in a stack names it.
BUCKETS: tuple[tuple[str, str], ...] = (
    ("read_record (api/web/routes.py)", "GET /records/{id} (route body)"),
    ("read_timeline (api/web/routes.py)", "GET /records/{id}/timeline"),
    ("issue_order (api/web/routes.py)", "POST /orders/…/issue (route body)"),
    ("check_order (api/web/routes.py)", "POST /orders/…/check (route body)"),
    ("draft_order (api/web/routes.py)", "POST /orders (route body)"),
    ("current (api/web/auth.py)", "token + account (dependency)"),
    ("AccessLogWriter._run (api/web/access_log.py)", "access-log writer thread"),
    ("dependency (api/web/auth.py)", "role check (dependency)"),
    ("ProjectionRunner", "projection runner"),
    ("ListenNotifySubscription", "projection runner"),
    ("PostgresSubscription", "projection runner"),
    ("record_projection.py", "projection runner"),
)
_IDLE_LEAVES = frozenset({"Condition.wait (threading.py)",
                          "Connection.notifies (psycopg/connection.py)",
                          "Connection.wait (psycopg/connection.py)"})
_FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^():]+)(?::\d+)?\)$")
_RATE = 100  # samples a second, as bench.api_load starts py-spy


@dataclass(frozen=True)
class Sample:
    frames: tuple[str, ...]  # outermost first, "function (file)"
    count: int
    leaf: str = ""  # the innermost frame with its line: "function (file:line)"


def _frame(raw: str) -> str:
    match = _FRAME.match(raw)
    return f"{match['function']} ({match['file']})" if match else raw


def parse(lines: Iterable[str]) -> list[Sample]:
    samples = []
    for line in lines:
        stack, _, count = line.rstrip("\n").rpartition(" ")
        if not stack or not count.isdigit():
            continue
        raw = [f for f in stack.split(";") if not f.startswith("process ")]
        if raw:
            samples.append(Sample(tuple(_frame(f) for f in raw), int(count), raw[-1]))
    return samples


def bucket_of(sample: Sample) -> str:
    for marker, name in BUCKETS:
        if any(marker in frame for frame in sample.frames):
            return name
    if any("WorkerThread.run" in frame for frame in sample.frames):
        return "thread pool: waiting for work"
    if sample.frames and sample.frames[-1] in _IDLE_LEAVES:
        return "other threads, idle (connection pools, timers, listeners)"
    if sample.frames and "select (selectors.py)" in sample.frames[-1]:
        return "event loop: waiting for sockets"
    if any("asyncio" in frame or "uvicorn" in frame for frame in sample.frames):
        return "event loop (HTTP, routing, responses)"
    return "other"


def package_of(frame: str) -> str:
    match = _FRAME.match(frame)
    path = match["file"] if match else frame
    first = path.split("/", 1)[0]
    return first.removesuffix(".py") if "/" in path else f"stdlib {first}"


@dataclass
class Profile:
    samples: list[Sample]

    @property
    def total(self) -> int:
        return sum(s.count for s in self.samples)

    def buckets(self) -> Counter[str]:
        counts: Counter[str] = Counter()
        for sample in self.samples:
            counts[bucket_of(sample)] += sample.count
        return counts

    def under(self, marker: str) -> list[Sample]:
        """The samples of stacks through ``marker``, cut to the frames below it."""
        cut = []
        for sample in self.samples:
            for i, frame in enumerate(sample.frames):
                if marker in frame:
                    cut.append(Sample(sample.frames[i:], sample.count, sample.leaf))
                    break
        return cut


def _inclusive(samples: Sequence[Sample]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for sample in samples:
        for frame in set(sample.frames[1:]):
            counts[frame] += sample.count
    return counts


def _leaves_by_package(samples: Sequence[Sample]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for sample in samples:
        counts[package_of(sample.frames[-1])] += sample.count
    return counts


def _section(profile: Profile, marker: str, title: str, top: int) -> list[str]:
    samples = profile.under(marker)
    total = sum(s.count for s in samples)
    if not total:
        return [f"  {title}: no samples"]
    lines = [f"  {title}: {total:,} samples ({total / _RATE:.1f} s), functions on the "
             "stack (inclusive share of the route's samples):"]
    for frame, count in _inclusive(samples).most_common(top):
        lines.append(f"    {count / total:6.1%}  {frame}")
    packages = ", ".join(f"{name} {count / total:.0%}"
                         for name, count in _leaves_by_package(samples).most_common(8))
    lines.append(f"    leaves by package: {packages}")
    leaves: Counter[str] = Counter()
    for sample in samples:
        leaves[sample.leaf] += sample.count
    lines.append("    commonest leaves: " + "; ".join(
        f"{count / total:.0%} {leaf}" for leaf, count in leaves.most_common(5)))
    return lines


def summarise(path: Path, mode: str = "cpu", top: int = 14) -> str:
    with path.open(encoding="utf-8", errors="replace") as lines:
        profile = Profile(parse(lines))
    total = profile.total
    if not total:
        return f"py-spy profile {path}: no samples"
    what = ("thread-seconds holding the GIL (Python CPU)" if mode == "cpu"
            else "thread-seconds, waiting or not (wall clock of every thread)")
    out = [f"py-spy profile ({mode}) of the server ({path}): {total:,} samples at {_RATE} Hz "
           f"= {total / _RATE:.1f} {what}, by where the thread was:"]
    out += [f"    {count / total:6.1%}  {name}" for name, count in profile.buckets().most_common()]
    out += ["  all samples, leaves by package: " + ", ".join(
        f"{name} {count / total:.0%}"
        for name, count in _leaves_by_package(profile.samples).most_common(10))]
    out += _section(profile, "read_record (api/web/routes.py)", "READ path (route body)", top)
    out += _section(profile, "log_read (commands/access.py)",
                    "READ path, the access-log append (under the write lock)", top)
    out += _section(profile, "AccessLogWriter._run (api/web/access_log.py)",
                    "READ path, the access-log writer thread (group commit)", top)
    out += _section(profile, "issue_order (api/web/routes.py)", "ISSUE path (route body)", top)
    out += _section(profile, "issue_order.<locals>.write (api/web/routes.py)",
                    "ISSUE path, under the write lock", top)
    out += _section(profile, "<locals>.write (api/web/routes.py)",
                    "every order write under the write lock (draft, check, issue)", top)
    out += _section(profile, "current (api/web/auth.py)", "token + account dependency", 6)
    return "\n".join(out)


if __name__ == "__main__":
    import sys

    print(summarise(Path(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else "cpu"))
