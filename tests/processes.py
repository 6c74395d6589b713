"""Processes the tests start: each in a session of its own, stopped when its ``with`` block
ends and killed, with everything it started, if it does not stop in time; and a guard that
fails any test leaving a process behind (``conftest.no_process_left_behind``)."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

__all__ = ["become_subreaper", "descendants", "kill_all", "running", "stop"]

_PR_SET_CHILD_SUBREAPER = 36


@contextlib.contextmanager
def running(args: Sequence[str], *, stop_signal: int = signal.SIGINT, grace: float = 30.0,
            **options: Any) -> Iterator[subprocess.Popen[Any]]:
    """Start ``args`` in a new session; on leaving, ``stop`` it (``options`` go to Popen)."""
    process: subprocess.Popen[Any] = subprocess.Popen(args, start_new_session=True, **options)
    try:
        yield process
    finally:
        stop(process, stop_signal, grace)


def stop(process: subprocess.Popen[Any], stop_signal: int = signal.SIGINT,
         grace: float = 30.0) -> tuple[Any, Any]:
    """Send ``stop_signal`` to the process, wait ``grace`` seconds for it to end, then kill
    its whole process group; return what it wrote (when piped)."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(stop_signal)
    try:
        output = process.communicate(timeout=grace)
    except subprocess.TimeoutExpired:
        output = (None, None)
    finally:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)  # its children too, whatever it did
        if process.poll() is None:
            process.kill()
    if output == (None, None):
        with contextlib.suppress(subprocess.TimeoutExpired):
            output = process.communicate(timeout=10)
    return output


def become_subreaper() -> None:
    """Orphans of this process's children become its own children (Linux), so that the
    guard still finds a server whose parent was killed before it."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def descendants(pid: int | None = None) -> dict[int, str]:
    """Every living process below ``pid`` (default: this one), with its command line;
    zombies and the multiprocessing resource tracker (which lives as long as its parent, by
    design) are left out."""
    parent_of: dict[int, int] = {}
    command: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(
                errors="replace").strip()
        except OSError:
            continue
        if fields[0] == "Z":
            continue
        parent_of[int(entry.name)] = int(fields[1])
        command[int(entry.name)] = cmdline
    root = os.getpid() if pid is None else pid
    found: dict[int, str] = {}
    for candidate in parent_of:
        ancestor = parent_of.get(candidate)
        while ancestor is not None and ancestor not in (root, 0, 1):
            ancestor = parent_of.get(ancestor)
        if ancestor == root and "resource_tracker" not in command[candidate]:
            found[candidate] = command[candidate]
    return found


def kill_all(pids: Sequence[int], grace: float = 5.0) -> dict[int, str]:
    """Wait up to ``grace`` seconds for these processes to end on their own, then kill
    those still alive; return the ones that had to be killed."""
    deadline = time.monotonic() + grace
    alive = {p: c for p, c in descendants().items() if p in pids}
    while alive and time.monotonic() < deadline:
        time.sleep(0.1)
        alive = {p: c for p, c in descendants().items() if p in pids}
    for pid in alive:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return alive
