"""Running the real Claude Code CLI in print mode against a gateway, for the CLI e2e tests.

The CLI comes from `$CODEX2CLAUDECODE_CLAUDE_BIN` (`scripts/check` installs it); `claude_binary`
skips the test without it. `running_claude` serves a gateway app wrapped in a `Recording` (what
the CLI sent and the status it got) and gives the CLI a throwaway HOME, non-essential traffic off,
and a `NetworkTrap` as its HTTP(S)_PROXY: every run asserts nothing tried to leave loopback.
"""

from __future__ import annotations

import json
import os
import socketserver
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.server import run_app

CLI_TIMEOUT = 60.0
# The command's text differs from its output, so only a shell that ran it can produce the output.
COMMAND = "echo tool-says-$((6*7))"
COMMAND_OUTPUT = "tool-says-42"


class NetworkTrap(socketserver.ThreadingTCPServer):
    """The CLI's proxy: refuses every request and keeps its first line."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Refuse)
        self.hits: list[str] = []
        self.url = f"http://127.0.0.1:{self.server_address[1]}"


class _Refuse(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        assert isinstance(self.server, NetworkTrap)
        head = self.request.recv(4096)
        self.server.hits.append(head.split(b"\r\n", 1)[0].decode("latin-1"))
        self.request.sendall(b"HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n")


@dataclass
class Exchange:
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    status: int = 0
    response: bytes = b""
    """The answer's body (SSE for a streamed answer)."""


class Recording:
    """An ASGI wrapper keeping each request the CLI makes and the status it got."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.exchanges: list[Exchange] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        exchange = Exchange(scope["method"], scope["path"], headers, json.loads(body or "null"))
        self.exchanges.append(exchange)
        replayed = False

        async def replay() -> Any:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def record(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                exchange.status = message["status"]
            elif message["type"] == "http.response.body":
                exchange.response += message.get("body", b"")
            await send(message)

        await self.app(scope, replay, record)


@dataclass
class Claude:
    binary: Path
    gateway_url: str
    home: Path
    workdir: Path
    trap: NetworkTrap
    recording: Recording
    runs: list[subprocess.CompletedProcess[str]] = field(default_factory=list)

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        """`claude <args>`, done within `CLI_TIMEOUT`; fails if it reached past loopback."""
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.home),
            "ANTHROPIC_BASE_URL": self.gateway_url,
            "ANTHROPIC_AUTH_TOKEN": "x",
            "DISABLE_TELEMETRY": "1",
            "DISABLE_ERROR_REPORTING": "1",
            "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
            "DISABLE_AUTOUPDATER": "1",
            "HTTPS_PROXY": self.trap.url,
            "HTTP_PROXY": self.trap.url,
            "NO_PROXY": "127.0.0.1,localhost",
        }
        done = subprocess.run(
            [str(self.binary), *args],
            env=env,
            cwd=self.workdir,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=CLI_TIMEOUT,
            check=False,
        )
        self.runs.append(done)
        assert self.trap.hits == [], f"the CLI tried to reach the network: {self.trap.hits}"
        return done

    @property
    def messages(self) -> list[Exchange]:
        """The `POST /v1/messages` requests the CLI made, in order."""
        return [e for e in self.recording.exchanges if e.path == "/v1/messages"]


def claude_binary() -> Path:
    """The CLI `$CODEX2CLAUDECODE_CLAUDE_BIN` names; skips the test when there is none."""
    configured = os.environ.get("CODEX2CLAUDECODE_CLAUDE_BIN", "")
    binary = Path(configured) if configured else None
    if binary is None or not os.access(binary, os.X_OK):
        pytest.skip(f"no Claude Code CLI at CODEX2CLAUDECODE_CLAUDE_BIN={configured!r}")
    return binary


@contextmanager
def running_claude(binary: Path, app: Any, tmp_path: Path) -> Iterator[Claude]:
    """Serve `app` (recorded) on loopback and give a `Claude` pointed at it."""
    recording = Recording(app)
    trap = NetworkTrap()
    serving = threading.Thread(target=trap.serve_forever, args=(0.05,), daemon=True)
    serving.start()
    home, workdir = tmp_path / "cli-home", tmp_path / "work"
    home.mkdir()
    workdir.mkdir()
    try:
        with run_app(recording) as url:
            yield Claude(binary, url, home, workdir, trap, recording)
    finally:
        trap.shutdown()
        trap.server_close()
        serving.join(5)


def assistant_blocks(stream_json: str) -> list[dict[str, Any]]:
    """The content blocks of the assistant messages in `--output-format stream-json` output."""
    lines = [json.loads(line) for line in stream_json.splitlines()]
    return [
        block
        for line in lines
        if line["type"] == "assistant"
        for block in line["message"]["content"]
    ]
