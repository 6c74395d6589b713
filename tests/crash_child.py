"""A process that issues one order, for the crash-safety test to kill with SIGKILL.

Run as ``python -m tests.crash_child URL KEYS_DIR AUTHORITY NUMBER``. It prints ``ready``
just before it starts issuing, and ``issued <event count> <already>`` when done.
"""

from __future__ import annotations

import sys

from commands.bootstrap import load_key_set
from commands.orders import OrderDesk
from ledger.application import Ledger
from ledger.keys import KeyStore
from tests.factories import SECRET


def main() -> None:
    url, keys_dir, authority, number = sys.argv[1:5]
    keys = load_key_set(KeyStore(keys_dir, passphrase=b"test-passphrase"))
    desk = OrderDesk(Ledger(url=url), SECRET)
    order = desk.order(authority, number)
    print("ready", flush=True)
    result = desk.issue(keys.authority, order, idempotency_key=f"issue {number}")
    print(f"issued {result.event_count} {result.already_issued}", flush=True)


if __name__ == "__main__":
    main()
