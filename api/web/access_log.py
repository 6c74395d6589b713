"""The API's access-log writer: every read of a personal record is appended, signed, before
its answer is sent — and many readers at once share one submission (group commit).

One signed submission per read would serialise every reader behind the ledger's write lock
and one signature each. Here a reader queues its entry and waits; one thread takes whatever
has queued, appends it as one submission (one signature, one transaction), and wakes the
readers of that batch. While one batch is written the next gathers, so a busy server writes
larger batches rather than queueing longer. A reader's answer still waits until its own
entry is committed: nothing read goes unlogged, even if the server then stops.

The access aggregate of a record is kept after each write and used as it is for the next
read of that record, without a look at the database: this process is normally the only
writer of API reads. One not kept is made from its stored version, found with all the others
of its batch in one query; its reads are never replayed. When another process did write to
one of them meanwhile (the CLI, a second server), the submission conflicts, and the batch is
tried again with every aggregate loaded afresh.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from ledger.access import RecordAccess, access_id_for, check_access
from ledger.application import Ledger
from ledger.errors import Conflict, TabienError
from ledger.keys import Signer

__all__ = ["AccessLogWriter"]

_MAX_BATCH = 1_000
_KEPT_AGGREGATES = 50_000
_ATTEMPTS = 5
_WAIT_SECONDS = 30.0


@dataclass
class _Read:
    record_id: UUID
    reader: str
    channel: str
    purpose: str
    read_at: datetime
    # A reader in a thread waits on an event; one on an event loop, on a future.
    done: threading.Event | None = None
    future: asyncio.Future[None] | None = None
    error: BaseException | None = None


class AccessLogWriter:
    """Queue reads; one thread appends them in batches."""

    def __init__(self, ledger: Ledger, signer: Callable[[], Signer], stream: int = 0) -> None:
        self._ledger = ledger
        self.stream = stream  # this process's access stream (``api.web.startup``)
        self._signer = signer
        self._queue: list[_Read] = []
        self._wake = threading.Condition()
        self._stopping = False
        self._kept: OrderedDict[UUID, RecordAccess] = OrderedDict()
        self._thread = threading.Thread(target=self._run, name="access-log", daemon=True)
        self._thread.start()

    def log(self, record_id: UUID, *, reader: str, purpose: str, channel: str = "api") -> None:
        """Append one read and return once it is committed (raise if it could not be)."""
        done = threading.Event()
        read = self._queued(_Read(record_id, reader, channel, purpose, datetime.now(UTC),
                                  done=done))
        if not done.wait(_WAIT_SECONDS):
            raise _late()
        if read.error is not None:
            raise read.error

    async def log_async(self, record_id: UUID, *, reader: str, purpose: str,
                        channel: str = "api") -> None:
        """``log`` for a route on the event loop: the same wait, without holding a thread."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._queued(_Read(record_id, reader, channel, purpose, datetime.now(UTC),
                           future=future))
        # A timer rather than asyncio.wait_for, which wraps every wait in a task of its own.
        timer = loop.call_later(_WAIT_SECONDS, _give_up, future)
        try:
            await future
        finally:
            timer.cancel()

    def _queued(self, read: _Read) -> _Read:
        check_access(read.reader, read.purpose)  # refused here: one bad entry never fails a batch
        with self._wake:
            if self._stopping:
                raise TabienError("the server is stopping", "เครื่องแม่ข่ายกำลังหยุดทำงาน")
            self._queue.append(read)
            self._wake.notify()
        return read

    def close(self) -> None:
        """Write what is queued, then stop."""
        with self._wake:
            self._stopping = True
            self._wake.notify()
        self._thread.join(timeout=_WAIT_SECONDS)

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._queue and not self._stopping:
                    self._wake.wait()
                if not self._queue:
                    return
                batch, self._queue = self._queue[:_MAX_BATCH], self._queue[_MAX_BATCH:]
            self._write(batch)

    def _write(self, batch: list[_Read]) -> None:
        error: BaseException | None = None
        try:
            self._append(batch)
        except BaseException as e:  # every waiting reader must hear of it
            error = e
        waiting: dict[asyncio.AbstractEventLoop, list[asyncio.Future[None]]] = {}
        for read in batch:
            read.error = error
            if read.done is not None:
                read.done.set()
            if read.future is not None:
                waiting.setdefault(read.future.get_loop(), []).append(read.future)
        for loop, futures in waiting.items():  # one wake-up per event loop, not per reader
            with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
                loop.call_soon_threadsafe(_settle, futures, error)

    def _append(self, batch: list[_Read]) -> None:
        for attempt in range(_ATTEMPTS):
            accesses = self._current(list(dict.fromkeys(read.record_id for read in batch)))
            for read in batch:
                accesses[read.record_id].read(read.reader, read.channel, read.purpose,
                                              read.read_at)
            try:
                # Not under the server's write lock: an access entry checks no rule, and the
                # ledger's append is safe beside other writes (its table lock on PostgreSQL,
                # BEGIN IMMEDIATE on SQLite); reads need not wait for orders being issued.
                self._ledger.submit(self._signer(), *accesses.values(),
                                    purpose=f"access: {len(batch)} read(s)")
            except BaseException as e:
                # What was kept may be behind, or now holds events never written.
                for record_id in accesses:
                    self._kept.pop(record_id, None)
                if not isinstance(e, Conflict) or attempt == _ATTEMPTS - 1:
                    raise
                continue
            for record_id, access in accesses.items():
                self._keep(record_id, access)
            return

    def _current(self, record_ids: list[UUID]) -> dict[UUID, RecordAccess]:
        """The records' access aggregates as the ledger has them now: those kept, and the
        others' versions in one look-up (``RecordAccess.at_version``), never a replay of
        their reads."""
        current = {r: self._kept.pop(r) for r in record_ids if r in self._kept}
        missing = {access_id_for(r, self.stream): r for r in record_ids if r not in current}
        stored = self._ledger.store.select_versions(list(missing)) if missing else {}
        for access_id, record_id in missing.items():
            version = stored.get(access_id)
            current[record_id] = (RecordAccess.for_record(record_id, self.stream)
                                  if version is None
                                  else RecordAccess.at_version(record_id, self.stream, version))
        return current

    def _keep(self, record_id: UUID, access: RecordAccess) -> None:
        self._kept[record_id] = access
        if len(self._kept) > _KEPT_AGGREGATES:
            self._kept.popitem(last=False)


def _settle(futures: list[asyncio.Future[None]], error: BaseException | None) -> None:
    for future in futures:
        if future.done():  # its reader gave up waiting
            continue
        if error is None:
            future.set_result(None)
        else:
            future.set_exception(error)


def _give_up(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_exception(_late())


def _late() -> TabienError:
    return TabienError("the access log could not be written in time; the record was not "
                       "shown", "บันทึกการเข้าถึงไม่สำเร็จในเวลาที่กำหนด จึงไม่แสดงข้อมูล")
