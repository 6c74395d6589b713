"""The HTTP API server that ``bench.api_load`` starts in a process of its own.

``tabien serve``'s set-up (``open_services`` + ``create_app`` under uvicorn, the record view's
``ProjectionRunner`` alongside), with a chosen number of uvicorn worker processes, and a
deadline after which it stops by itself even if the load test that started it is gone::

    TABIEN_DATABASE_URL=… TABIEN_KEYS_DIR=… TABIEN_KEY_PASSPHRASE=… \\
        python -m bench.api_server --port 8123 --workers 2 --stop-after 120

With ``--workers 1`` uvicorn serves in this process, exactly as ``tabien serve`` does; with
more, uvicorn's supervisor spawns the workers (each opens its own services) and the runner
stays in the supervisor.

Workers starting together on PostgreSQL each run the library's table creation (``CREATE OR
REPLACE FUNCTION …`` among it) at the same moment, and one of them may die with ``tuple
concurrently updated`` (uvicorn then starts it again). So that the load test measures a
server whose workers all came up once, each worker here opens its services under a
PostgreSQL advisory lock; ``--unguarded-start`` leaves it out, to see the failure.
"""

from __future__ import annotations

import argparse
import os
import signal
import threading
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

__all__ = ["app_from_env", "main"]


_GUARD_ENV = "TABIEN_BENCH_GUARDED_START"
_THREADS_ENV = "TABIEN_BENCH_THREADS"
_GUARD_KEY = 0x7AB1E4  # any fixed advisory-lock key


def app_from_env() -> FastAPI:
    """The application over ``TABIEN_DATABASE_URL`` and ``TABIEN_KEYS_DIR`` (uvicorn's
    factory, called once in each worker)."""
    from api.web.app import create_app, open_services
    from ledger.config import database_url, keys_dir

    url = database_url()
    if os.environ.get(_GUARD_ENV) != "1" or not url.startswith(("postgresql:", "postgres:")):
        return _with_threads(create_app(open_services(url, keys_dir())))
    import psycopg

    server_url = url.split("?", 1)[0]
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (_GUARD_KEY,))
        try:
            return _with_threads(create_app(open_services(url, keys_dir())))
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (_GUARD_KEY,))


def _with_threads(app: FastAPI) -> FastAPI:
    """The app, with the thread pool that runs its sync routes set to ``--threads`` (anyio's
    default is 40) when the server starts."""
    threads = int(os.environ.get(_THREADS_ENV) or 0)
    if not threads:
        return app
    import anyio.to_thread

    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: Any) -> AsyncIterator[Any]:
        anyio.to_thread.current_default_thread_limiter().total_tokens = threads
        async with inner(application) as state:
            yield state

    app.router.lifespan_context = lifespan
    return app


def _stop_later(seconds: float) -> threading.Timer:
    # SIGINT is what Ctrl-C sends: uvicorn (or its supervisor, which then stops the workers)
    # shuts down gracefully on it.
    timer = threading.Timer(seconds, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.daemon = True
    timer.start()
    return timer


def main(argv: Sequence[str] | None = None) -> None:
    import uvicorn

    from ledger.config import database_url
    from projections.record_projection import record_runner

    parser = argparse.ArgumentParser(prog="python -m bench.api_server",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--stop-after", type=float, required=True,
                        help="seconds after which the server stops by itself")
    parser.add_argument("--http", default="auto", choices=("auto", "h11", "httptools"))
    parser.add_argument("--loop", default="auto", choices=("auto", "asyncio", "uvloop"))
    parser.add_argument("--no-runner", action="store_true",
                        help="serve without the projection runner")
    parser.add_argument("--unguarded-start", action="store_true",
                        help="let the workers create the tables at the same time")
    parser.add_argument("--threads", type=int, default=0,
                        help="threads for the sync routes per worker (0: anyio's 40)")
    args = parser.parse_args(argv)
    os.environ[_THREADS_ENV] = str(args.threads)
    os.environ[_GUARD_ENV] = "0" if args.unguarded_start else "1"  # the workers inherit it
    runner = None if args.no_runner else record_runner(database_url())
    timer = _stop_later(args.stop_after)
    try:
        uvicorn.run("bench.api_server:app_from_env", factory=True, host=args.host,
                    port=args.port, workers=args.workers, log_level="warning",
                    http=args.http, loop=args.loop)
    finally:
        timer.cancel()
        if runner is not None:
            runner.stop()


if __name__ == "__main__":
    main()
