"""A hostile upstream for the command-line commands (issue 10's faults, at the terminal).

`Hostile` wraps one of the fakes and answers requests whose path ends with a given suffix with
a scripted fault (an HTTP answer of any bytes, or a stall) for as long as it is scripted; the
rest goes to the wrapped fake. `Upstreams` serves the Codex backend (with `/wham/usage`), the
OpenAI token endpoint, Kiro and its token endpoints this way, and writes the account files;
`cli` runs `python -m codex2claudecode` against them in a subprocess, as a user would.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codex2claudecode.backends.kiro.accounts.credentials import format_expiry
from tests.fakes.codex import FakeCodex
from tests.fakes.kiro import FakeKiro
from tests.fakes.kiro_oauth import SOCIAL_ARN, FakeKiroOAuth
from tests.fakes.oauth import FakeOAuth
from tests.fakes.proxy407 import ProxyAsking407
from tests.fakes.server import run_app
from tests.fakes.wham import FakeWham

BOUND = 120.0
"""Seconds any command may take under a fault before the test calls it a hang."""
SECRET = "s3cret-pw"
"""The proxy password that must never be printed."""


@dataclass
class Fault:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    stall: bool = False
    """Never answer (until the server stops)."""


JSON = {"content-type": "application/json"}
HTML = {"content-type": "text/html"}


class Hostile:
    """An ASGI app: `inner`, except that requests to paths ending with `suffix` get `fault`."""

    def __init__(self, inner: Any, suffix: str) -> None:
        self.inner = inner
        self.suffix = suffix
        self.fault: Fault | None = None
        self.hits = 0
        self._stop = threading.Event()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        fault = self.fault
        if scope["type"] != "http" or fault is None or not scope["path"].endswith(self.suffix):
            await self.inner(scope, receive, send)
            return
        self.hits += 1
        if fault.stall:
            while not self._stop.is_set():
                await asyncio.sleep(0.05)
            return
        headers = [(k.encode(), v.encode()) for k, v in fault.headers.items()]
        await send({"type": "http.response.start", "status": fault.status, "headers": headers})
        await send({"type": "http.response.body", "body": fault.body})

    def stop(self) -> None:
        self._stop.set()


class Proxy407(ProxyAsking407):
    """An HTTPS proxy that wants credentials it never accepts, at `url` (with `SECRET`)."""

    @property
    def url(self) -> str:
        return f"http://alice:{SECRET}@127.0.0.1:{self.port}"


def dead_proxy() -> str:
    """A proxy URL (with a password) at a port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://alice:{SECRET}@127.0.0.1:{port}"


@dataclass
class Ran:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


@dataclass
class Upstreams:
    home: Path
    wham: Hostile
    codex_url: str
    oauth: FakeOAuth
    token: Hostile
    oauth_url: str
    kiro: Hostile
    kiro_fake: FakeKiro
    kiro_url: str
    kiro_oauth: FakeKiroOAuth
    kiro_token: Hostile
    kiro_oauth_url: str
    refresh: dict[str, str] = field(default_factory=dict)
    """Account key -> the refresh token written for it."""

    @property
    def state(self) -> Path:
        return self.home / "state"

    @property
    def codex_file(self) -> Path:
        return self.state / "auth-codex.json"

    @property
    def kiro_ide(self) -> Path:
        return self.home / ".aws" / "sso" / "cache" / "kiro-auth-token.json"

    def codex_account(self, key: str = "acct-a", *, expires_in: float = 3600) -> None:
        issued = self.oauth.login(account_id=key, email=f"{key}@example.com")
        self.refresh[key] = issued.refresh_token
        entry = {
            "type": "oauth",
            "access": issued.access_token,
            "refresh": issued.refresh_token,
            "expires": int((time.time() + expires_in) * 1000),
            "accountId": key,
        }
        self.state.mkdir(mode=0o700, exist_ok=True)
        self.codex_file.write_text(json.dumps([entry]))
        self.codex_file.chmod(0o600)

    def kiro_account(self, *, expires_in: float = 3600) -> None:
        login = self.kiro_oauth.login("social")
        self.refresh["kiro"] = login.refresh_token
        self.kiro_ide.parent.mkdir(parents=True, exist_ok=True)
        self.kiro_ide.write_text(
            json.dumps(
                {
                    "accessToken": login.access_token,
                    "refreshToken": login.refresh_token,
                    "expiresAt": format_expiry(time.time() + expires_in),
                    "region": "us-east-1",
                    "profileArn": SOCIAL_ARN,
                    "authMethod": "social",
                    "provider": "Google",
                }
            )
        )

    def env(self, **extra: str) -> dict[str, str]:
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(self.home),
            "CODEX2CLAUDECODE_HOME": str(self.state),
            "CODEX_HOME": str(self.home / ".codex"),
            "CLAUDE_CONFIG_DIR": str(self.home / ".claude"),
            "CHATGPT_BASE_URL": self.codex_url,
            "OPENAI_AUTH_URL": self.oauth_url,
            "KIRO_AUTH_FILE": str(self.kiro_ide),
            "KIRO_AUTH_URL": self.kiro_oauth_url,
            "KIRO_OIDC_URL": self.kiro_oauth_url,
            "KIRO_BASE_URL": self.kiro_url,
            "KIRO_PROFILE_FILE": str(self.home / "profile.json"),
            "PYTHONDONTWRITEBYTECODE": "1",
            **extra,
        }
        if "PYTHONPATH" in os.environ:
            env["PYTHONPATH"] = os.environ["PYTHONPATH"]
        return env

    def cli(self, *args: str, env: dict[str, str] | None = None, **extra: str) -> Ran:
        """Run the command line; a run past `BOUND` seconds fails the test as a hang."""
        done = subprocess.run(
            [sys.executable, "-m", "codex2claudecode", *args],
            env=env or self.env(**extra),
            capture_output=True,
            text=True,
            timeout=BOUND,
            stdin=subprocess.DEVNULL,
        )
        return Ran(done.returncode, done.stdout, done.stderr)


@contextlib.contextmanager
def upstreams(home: Path) -> Iterator[Upstreams]:
    oauth, kiro_fake, kiro_oauth = FakeOAuth(), FakeKiro(), FakeKiroOAuth()
    wham = Hostile(FakeWham(FakeCodex()), "/wham/usage")
    token = Hostile(oauth.app, "/oauth/token")
    kiro = Hostile(kiro_fake, "/getUsageLimits")
    kiro_token = Hostile(kiro_oauth.app, "/refreshToken")
    hostile = (wham, token, kiro, kiro_token)
    with (
        run_app(wham) as codex_url,
        run_app(token) as oauth_url,
        run_app(kiro) as kiro_url,
        run_app(kiro_token) as kiro_oauth_url,
    ):
        try:
            yield Upstreams(
                home,
                wham,
                codex_url,
                oauth,
                token,
                oauth_url,
                kiro,
                kiro_fake,
                kiro_url,
                kiro_oauth,
                kiro_token,
                kiro_oauth_url,
            )
        finally:
            for app in hostile:
                app.stop()  # a stalled answer must not hold the servers' shutdown


def usage_body(used: float = 42.0) -> bytes:
    """A `/wham/usage` answer with a 5-hour window."""
    window = {"used_percent": used, "limit_window_seconds": 18000, "reset_after_seconds": 600}
    return json.dumps({"plan_type": "plus", "rate_limit": {"primary_window": window}}).encode()
