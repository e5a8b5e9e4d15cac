"""Fixtures shared across test packages: the fake OAuth server and an aiohttp session."""

from __future__ import annotations

import os
import signal
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest

from tests.cli_harness import Launched
from tests.fakes.oauth import FakeOAuth
from tests.fakes.server import run_app


def pytest_configure(config: pytest.Config) -> None:
    # A run started with SIGINT ignored (a background job of a script, `nohup`) hands that
    # disposition down to every child, and Python then installs no KeyboardInterrupt: the tests
    # that press Ctrl+C on a real subprocess would wait for ever. A handler (unlike an ignore) is
    # reset at exec, so the children get a terminal's Ctrl+C again.
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture
def served() -> Iterator[tuple[FakeOAuth, str]]:
    """A fake OpenAI OAuth server on loopback, and its base URL."""
    fake = FakeOAuth()
    with run_app(fake.app) as url:
        yield fake, url


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    """A minimal environment: no proxies, no API_PASSWORD, nothing from the developer's HOME."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "CODEX2CLAUDECODE_HOME": str(tmp_path / "state"),
        "CODEX_HOME": str(tmp_path / "codex"),
        "CLAUDE_CONFIG_DIR": str(tmp_path / "claude"),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    for name in ("SYSTEMROOT", "PYTHONPATH"):  # Windows needs SYSTEMROOT to start Python
        if name in os.environ:
            env[name] = os.environ[name]
    return env


@pytest.fixture
def start(cli_env: dict[str, str]) -> Iterator[list[Launched]]:
    running: list[Launched] = []
    yield running
    for gateway in running:
        if not gateway.process.stdout or not gateway.process.stdout.closed:
            gateway.stop(signal.SIGKILL)
