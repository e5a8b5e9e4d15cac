"""The TUI against fake upstreams: a throwaway home, the real gateway, a fixed clock."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path

import pytest

from codex2claudecode.cli import build_gateway
from codex2claudecode.commands.claude_env import tier_models
from codex2claudecode.config import Config
from codex2claudecode.server.run import bind, bound_port
from codex2claudecode.tui.app import GatewayApp
from codex2claudecode.tui.listener import Listener
from codex2claudecode.tui.session import Session
from tests.fakes.wham import WhamReply, WhamUpstream, wham_upstream

NOW = 1_750_000_000.0
"""The clock of the snapshot tests (2025-06-15 15:06:40 UTC)."""


def usage(used: float, weekly: float) -> dict[str, object]:
    return {
        "plan_type": "plus",
        "rate_limit": {
            "primary_window": {
                "used_percent": used, "limit_window_seconds": 18000, "reset_at": int(NOW + 7800)
            },
            "secondary_window": {
                "used_percent": weekly,
                "limit_window_seconds": 604800,
                "reset_at": int(NOW + 3 * 86400),
            },
        },
    }  # fmt: skip


@dataclass
class Harness:
    up: WhamUpstream
    config: Config
    home: Path

    def app(self, *, port: int = 0, clock: float | None = None) -> GatewayApp:
        gateway = build_gateway(self.config)
        sock = bind("127.0.0.1", port)
        session = Session(
            config=self.config,
            router=gateway.router,
            port=bound_port(sock),
            tier_models=tier_models,
            open_browser=lambda url: False,
            cwd=self.home / "project",
            clock=(lambda: clock) if clock is not None else time.time,
            tz=UTC,
        )
        return GatewayApp(session, Listener(gateway.app, sock))


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[Harness]:
    with wham_upstream(tmp_path) as up:
        up.write_accounts("acct-a", "acct-b")
        up.wham.answer("usage", "acct-a", WhamReply(usage(42, 9)))
        up.wham.answer("usage", "acct-b", WhamReply(usage(97, 60)))
        (tmp_path / "project").mkdir()
        config = up.config(
            CLAUDE_CONFIG_DIR=str(tmp_path / ".claude"), CODEX_HOME=str(tmp_path / ".codex")
        )
        # A state file others may read draws a warning naming its (random) path; ours are
        # created private, as the gateway's own are.
        config.state_dir.chmod(0o700)
        for path in config.state_dir.iterdir():
            path.chmod(0o600)
        yield Harness(up, config, tmp_path)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port
