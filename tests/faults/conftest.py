"""The fault-injection harness: the real gateway under its production uvicorn settings
(`server.run.server_for`, guarded protocol included), pointed at the fake upstreams.

Every test in this package is also checked, after it ran, for what a fault must never leave
behind: a traceback or error in the logs, an upstream request still running, or a changed
account file.
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from urllib.parse import urlsplit

import pytest

from codex2claudecode.cli import build_gateway
from codex2claudecode.config import Config
from codex2claudecode.server.protocol import ConnectionLimits
from codex2claudecode.server.run import bind, server_for
from tests.e2e.conftest import Env
from tests.fakes.server import run_server
from tests.server.conftest import env, shared_env  # noqa: F401  (fixtures used here)

FAST = ConnectionLimits(max_connections=64, head_timeout=0.5)
"""Production limits but a short head timeout, so slow senders are cut quickly."""

Start = Callable[..., str]


@pytest.fixture(scope="module")
def gateways(shared_env: Env) -> Iterator[Start]:  # noqa: F811  (the imported fixture)
    """Start a gateway: `start(limits, **env)` returns its base URL; all stop with the module."""
    with ExitStack() as stack:

        def start(limits: ConnectionLimits = FAST, **extra: str) -> str:
            config = Config.load(shared_env.env(**extra))
            server = server_for(build_gateway(config).app, limits=limits)
            return stack.enter_context(run_server(server, bind("127.0.0.1", 0)))

        yield start


@pytest.fixture(scope="module")
def gateway(gateways: Start) -> str:
    return gateways()


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def survives(env: Env) -> Iterator[Records]:  # noqa: F811  (the imported fixture)
    """After the test: no traceback or error logged, no upstream request left running, and the
    account file exactly as it was."""
    account = env.state / "auth-codex.json"
    before = account.read_bytes()
    handler = Records()
    loggers = [logging.getLogger(name) for name in ("codex2claudecode", "uvicorn", "asyncio")]
    for logger in loggers:
        logger.addHandler(handler)
    try:
        yield handler
        wait_until(lambda: env.fake.active == 0)
    finally:
        for logger in loggers:
            logger.removeHandler(handler)
    bad = [r for r in handler.records if r.exc_info or r.levelno >= logging.ERROR]
    assert not bad, [r.getMessage() for r in bad]
    assert account.read_bytes() == before


def wait_until(condition: Callable[[], bool]) -> None:
    """Poll until `condition` holds; a condition that never holds fails by the test timeout."""
    while not condition():
        time.sleep(0.01)


def connect(url: str) -> socket.socket:
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=30)
    return sock


def read_all(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def head_of(data: bytes) -> tuple[int, dict[str, str], bytes]:
    header_block, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = header_block.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    return int(status_line.split()[1]), headers, body
