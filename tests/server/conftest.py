"""Gateways shared by the server tests: the real app on loopback, pointed at fake upstreams.

Starting and stopping the three servers costs about half a second, so they live for the whole
session; `env` resets the fakes' scripts and records before each test.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from codex2claudecode.cli import build_gateway
from codex2claudecode.config import Config
from tests.e2e.conftest import ACCOUNT_ID, Env
from tests.fakes.codex import FakeCodex
from tests.fakes.oauth import FakeOAuth
from tests.fakes.server import run_app

PASSWORD = "s3cret-pw_42"


@pytest.fixture(scope="session")
def shared_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    home = tmp_path_factory.mktemp("server-home")
    state = home / "state"
    state.mkdir()
    fake, oauth = FakeCodex(), FakeOAuth()
    with run_app(fake) as fake_url, run_app(oauth.app) as oauth_url:
        env = Env(home, state, fake, fake_url, oauth, oauth_url)
        tokens = oauth.login(account_id=ACCOUNT_ID, email="server@example.com")
        env.write_account(tokens.access_token, refresh=tokens.refresh_token)
        yield env


@pytest.fixture
def env(shared_env: Env) -> Env:
    shared_env.fake.replies.clear()
    shared_env.fake.requests.clear()
    shared_env.fake.cancelled = 0
    shared_env.oauth.forms.clear()
    return shared_env


@pytest.fixture(scope="session")
def protected(shared_env: Env) -> Iterator[str]:
    """The gateway with `API_PASSWORD` set."""
    config = Config.load(shared_env.env(API_PASSWORD=PASSWORD))
    with run_app(build_gateway(config).app) as url:
        yield url


@pytest.fixture(scope="session")
def unprotected(shared_env: Env) -> Iterator[str]:
    """The gateway without a password."""
    with run_app(build_gateway(Config.load(shared_env.env())).app) as url:
        yield url


def raw_request(base_url: str, head: str) -> tuple[int, dict[str, str], bytes]:
    """Send `head` (request line and headers, no body) byte for byte; h11 would refuse some."""
    parts = urlsplit(base_url)
    with socket.create_connection((parts.hostname, parts.port), timeout=5) as sock:
        sock.sendall(head.replace("\n", "\r\n").encode("latin-1") + b"\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    header_block, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = header_block.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    return int(status_line.split()[1]), headers, body
