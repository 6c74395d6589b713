"""The tests' own process hygiene (``tests.processes``): a server that ignores Ctrl-C is
killed with everything it started, and a process left running is found."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from tests.processes import descendants, kill_all, running

# A parent that ignores SIGINT and starts a child that does too, then says so.
STUBBORN = """
import signal, subprocess, sys, time
signal.signal(signal.SIGINT, signal.SIG_IGN)
child = subprocess.Popen([sys.executable, "-c",
    "import signal, time; signal.signal(signal.SIGINT, signal.SIG_IGN); time.sleep(120)"])
print(child.pid, flush=True)
time.sleep(120)
"""


def alive(pid: int) -> bool:
    return pid in descendants()


def test_a_server_ignoring_ctrl_c_is_killed_with_its_children() -> None:
    with running([sys.executable, "-c", STUBBORN], grace=0.5, stdout=subprocess.PIPE,
                 text=True) as server:
        assert server.stdout is not None
        child = int(server.stdout.readline())
        assert alive(server.pid)
        assert alive(child)
    deadline = time.monotonic() + 10
    while alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.returncode is not None
    assert not alive(child)


def test_a_process_left_running_is_found_and_killed() -> None:
    before = set(descendants())
    orphan = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        assert set(descendants()) - before == {orphan.pid}
        assert set(kill_all([orphan.pid], grace=0.2)) == {orphan.pid}
        assert orphan.wait(timeout=10) == -signal.SIGKILL
    finally:
        if orphan.poll() is None:
            os.kill(orphan.pid, signal.SIGKILL)
            orphan.wait()


def test_a_process_ending_by_itself_is_not_killed() -> None:
    quick = subprocess.Popen([sys.executable, "-c", "pass"])
    assert kill_all([quick.pid], grace=10) == {}
    assert quick.wait(timeout=10) == 0
