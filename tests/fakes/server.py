"""Serve any ASGI app on 127.0.0.1 (a free port) from a background thread, for tests.

with run_app(app) as base_url:
    ...  # the server is listening; it is shut down when the block ends
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

STARTUP_TIMEOUT = 15.0
SHUTDOWN_TIMEOUT = 10.0


@contextmanager
def run_app(app: Any, *, lifespan: str = "auto") -> Iterator[str]:
    """Run `app` under uvicorn on `127.0.0.1:0`; yield its base URL (`http://127.0.0.1:<port>`).

    Returns only once the socket is listening. On exit the server stops gracefully (open
    streams get a few seconds), then by force; the thread is always joined.
    """
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        lifespan=lifespan,  # type: ignore[arg-type]
        ws="none",
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=3,
    )
    with run_server(uvicorn.Server(config)) as url:
        yield url


@contextmanager
def run_server(server: uvicorn.Server, sock: socket.socket | None = None) -> Iterator[str]:
    """Run a ready-made uvicorn server (on `sock` if given) as `run_app` does; yield its URL."""
    failure: list[BaseException] = []

    def serve() -> None:
        try:
            server.run(sockets=None if sock is None else [sock])
        except BaseException as exc:  # reported to the test thread below
            failure.append(exc)

    thread = threading.Thread(target=serve, name="test-asgi-server", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not server.started:
            if failure or not thread.is_alive():
                cause = failure[0] if failure else None
                raise RuntimeError("the test server did not start") from cause
            if time.monotonic() > deadline:
                raise TimeoutError(f"the test server did not listen within {STARTUP_TIMEOUT}s")
            time.sleep(0.005)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(SHUTDOWN_TIMEOUT)
        if thread.is_alive():
            server.force_exit = True
            thread.join(SHUTDOWN_TIMEOUT)
    if failure:
        raise RuntimeError("the test server failed") from failure[0]
