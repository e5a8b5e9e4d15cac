"""Binding the listener and running uvicorn on it, with one clear line when binding fails; the
server hands memory back after a burst of requests (`QuietTrim`)."""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
from collections.abc import Callable
from typing import Any

import uvicorn
from uvicorn.server import ServerState

from codex2claudecode.memory import release_memory
from codex2claudecode.server.coalesce import coalescing
from codex2claudecode.server.protocol import (
    ConnectionLimits,
    default_max_connections,
    guarded_protocol,
)

GRACEFUL_SHUTDOWN_SECONDS = 3
"""How long open requests may take to finish after Ctrl-C or SIGTERM."""

log = logging.getLogger("codex2claudecode.server")

QUIET_SECONDS = 2
"""How often the server looks whether a burst of requests is over, to hand memory back."""

_UVICORN_GRACE_EXCEEDED = "Cancel %s running task(s), timeout graceful shutdown exceeded"


class BindError(OSError):
    """The listener cannot be opened; the message says why and what to change."""


class PortInUse(BindError):
    def __init__(self, host: str, port: int) -> None:
        super().__init__(
            f"port {port} on {host} is already in use (is another codex2claudecode running?). "
            f"Pick another with --port, or stop the other program."
        )
        self.port = port


def bind(host: str, port: int) -> socket.socket:
    """A listening socket for (host, port); port 0 picks a free one.

    Raises:
        PortInUse: the address is taken.
        BindError: any other reason the address cannot be listened on.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        if hasattr(socket, "SO_REUSEADDR") and not _is_windows():
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host.strip("[]"), port))
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise bind_error(exc, host, port) from exc
    sock.setblocking(False)
    return sock


def bind_error(exc: OSError, host: str, port: int) -> BindError:
    """What to tell the user when binding (host, port) failed with `exc`."""
    where = f"{host} port {port}"
    if isinstance(exc, socket.gaierror):
        return BindError(
            f"cannot listen on {where}: the host name {host!r} does not resolve "
            f"({exc.strerror}). Give --host an IP address of this machine, e.g. 127.0.0.1."
        )
    if exc.errno in (errno.EADDRINUSE, getattr(errno, "WSAEADDRINUSE", -1)):
        return PortInUse(host, port)
    if isinstance(exc, PermissionError) or exc.errno == errno.EACCES:
        return BindError(
            f"cannot listen on {where}: permission denied (ports below 1024 need administrator "
            "rights). Pick a port from 1024 up with --port, e.g. --port 8787."
        )
    if exc.errno == errno.EADDRNOTAVAIL:
        return BindError(
            f"cannot listen on {where}: {host} is not an address of this machine. Use one of "
            "its own addresses with --host: 127.0.0.1 (this machine only) or 0.0.0.0 (every "
            "network interface)."
        )
    return BindError(f"cannot listen on {where}: {exc.strerror or exc}. Check --host and --port.")


def bound_port(sock: socket.socket) -> int:
    port: int = sock.getsockname()[1]
    return port


def server_for(
    app: Any,
    *,
    log_level: str = "warning",
    max_connections: int | None = None,
    limits: ConnectionLimits | None = None,
    on_quiet: Callable[[], None] = release_memory,
) -> uvicorn.Server:
    """A uvicorn server tuned as measured in perf-notes: uvloop, httptools, no access log, one
    socket write per loop turn (`server.coalesce`); guarded against slow and greedy clients
    (`server.protocol`).

    Args:
        max_connections: open connections at most (MAX_CONNECTIONS); None derives it from the
            open-file limit.
        limits: every connection limit at once (tests shorten the head timeout).
        on_quiet: run in a thread once a burst of requests is over (`QuietTrim`).
    """
    if limits is None:
        limits = ConnectionLimits(max_connections or default_max_connections())
    config = uvicorn.Config(
        app,
        loop=_loop(),
        http=coalescing(guarded_protocol(limits)),
        ws="none",  # no websocket routes; skips importing a websockets library at start-up
        lifespan="on",
        access_log=False,
        # Nothing sits in front of a local gateway: X-Forwarded-* headers are not trusted.
        proxy_headers=False,
        server_header=False,
        log_level=log_level,
        timeout_keep_alive=75,
        # Ctrl-C must not wait for an open Claude Code stream to end on its own.
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        callback_notify=lambda: trim(),
        timeout_notify=QUIET_SECONDS,
    )
    server = uvicorn.Server(config)
    trim = QuietTrim(server.server_state, on_quiet)
    logging.getLogger("uvicorn.error").addFilter(_say_grace_exceeded_in_our_words)
    return server


class QuietTrim:
    """Hands the memory a burst of requests freed back to the OS once it is over.

    Called every `QUIET_SECONDS` by the server; trims when requests were served since the last
    trim and none is running now, so a busy gateway is never interrupted and an idle one is not
    trimmed again and again. 32 concurrent streams leave ~15 MiB that only this gives back.
    """

    def __init__(self, state: ServerState, release: Callable[[], None] = release_memory) -> None:
        self._state = state
        self._release = release
        self._trimmed_at = 0
        """The server's request count at the last trim."""

    async def __call__(self) -> None:
        served = self._state.total_requests
        if self._state.tasks or served == self._trimmed_at:
            return
        self._trimmed_at = served
        await asyncio.to_thread(self._release)


def _say_grace_exceeded_in_our_words(record: logging.LogRecord) -> bool:
    """uvicorn's "Cancel N running task(s), timeout graceful shutdown exceeded" (an ERROR for
    what is an ordinary Ctrl+C during a stream), said as the gateway says things; each request
    ended so has its own console line saying how its client was told."""
    if record.msg != _UVICORN_GRACE_EXCEEDED or not isinstance(record.args, tuple):
        return True
    (count,) = record.args
    requests = "1 request" if count == 1 else f"{count} requests"
    log.warning(
        "shutting down: ended %s still open after %s s", requests, GRACEFUL_SHUTDOWN_SECONDS
    )
    return False


def _loop() -> str:
    try:
        import uvloop  # noqa: F401  (only probing whether it is installed)
    except ImportError:  # Windows has no uvloop
        return "asyncio"
    return "uvloop"


def _is_windows() -> bool:
    import sys

    return sys.platform == "win32"
