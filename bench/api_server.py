"""The HTTP API server that ``bench.api_load`` starts in a process of its own.

``tabien serve``'s set-up — ``api.web.app.app_from_env`` under uvicorn, in one process or as
read workers and a writer behind the front process (``api.web.dispatch``), the record view's
``ProjectionRunner`` alongside — with knobs the load
test varies (threads for the sync routes, uvicorn's HTTP and loop implementations), and a
deadline after which it stops by itself even if the load test that started it is gone::

    TABIEN_DATABASE_URL=… TABIEN_KEYS_DIR=… TABIEN_KEY_PASSPHRASE=… \\
        python -m bench.api_server --port 8123 --workers 2 --stop-after 120

Workers starting together settle table creation and their access streams through
PostgreSQL advisory locks (``api.web.startup``), as ``tabien serve --workers`` does.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

__all__ = ["app_from_env", "main"]


_THREADS_ENV = "TABIEN_BENCH_THREADS"


def app_from_env() -> FastAPI:
    """``tabien serve``'s application factory, with the thread pool set (uvicorn's factory,
    called once in each worker)."""
    from api.web.app import app_from_env as production_app

    return _with_threads(production_app())


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


def main(argv: Sequence[str] | None = None) -> None:
    from api.cli_web import run_server

    parser = argparse.ArgumentParser(prog="python -m bench.api_server",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--stop-after", type=float, required=True,
                        help="seconds after which the server stops by itself")
    parser.add_argument("--http", default="auto", choices=("auto", "h11", "httptools"))
    parser.add_argument("--loop", default="auto", choices=("auto", "asyncio", "uvloop"))
    parser.add_argument("--threads", type=int, default=0,
                        help="threads for the sync routes per worker (0: anyio's 40)")
    args = parser.parse_args(argv)
    os.environ[_THREADS_ENV] = str(args.threads)
    run_server(args.host, args.port, args.stop_after, args.workers,
               factory="bench.api_server:app_from_env", http=args.http, loop=args.loop)


if __name__ == "__main__":
    main()
