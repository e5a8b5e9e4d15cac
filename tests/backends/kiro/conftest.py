"""A throwaway Kiro world: the fake token endpoints, the IDE token cache, our managed file."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from codex2claudecode.backends.kiro.accounts.credentials import format_expiry
from codex2claudecode.backends.kiro.accounts.store import KiroAccountStore
from codex2claudecode.backends.kiro.auth import KiroAuth
from codex2claudecode.config import Config
from tests.fakes.kiro_oauth import FakeKiroOAuth, Login
from tests.fakes.server import run_app


@dataclass
class KiroWorld:
    fake: FakeKiroOAuth
    url: str
    root: Path
    session: aiohttp.ClientSession | None = None

    @property
    def ide(self) -> Path:
        return self.root / "aws" / "sso" / "cache" / "kiro-auth-token.json"

    @property
    def managed(self) -> Path:
        return self.root / "state" / "kiro-state.json"

    @property
    def profile(self) -> Path:
        return self.root / "kiro-profile.json"

    def config(self, **env: str) -> Config:
        base = {
            "HOME": str(self.root),
            "CODEX2CLAUDECODE_HOME": str(self.root / "state"),
            "KIRO_AUTH_FILE": str(self.ide),
            "KIRO_AUTH_URL": self.url,
            "KIRO_OIDC_URL": self.url,
            "KIRO_PROFILE_FILE": str(self.profile),
        }
        return Config.load({**base, **env})

    def entry(self, login: Login, *, expires_in: float, **extra: Any) -> dict[str, Any]:
        return {
            "accessToken": login.access_token,
            "refreshToken": login.refresh_token,
            "expiresAt": format_expiry(time.time() + expires_in),
            "region": "us-east-1",
            **extra,
        }

    def write(self, path: Path, document: object) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(document))

    def read(self, path: Path) -> Any:
        return json.loads(path.read_text())

    def store(self, account: str | None = None, **env: str) -> KiroAccountStore:
        return KiroAccountStore.from_config(self.config(**env), account=account)

    def auth(self, account: str | None = None, **overrides: Any) -> KiroAuth:
        assert self.session is not None
        session = self.session
        options: dict[str, Any] = {"config": self.config(), "http": lambda: session}
        options.update(overrides)
        return KiroAuth(self.store(account), **options)


@pytest.fixture
def kiro_world(tmp_path: Path) -> Iterator[KiroWorld]:
    fake = FakeKiroOAuth()
    with run_app(fake.app) as url:
        yield KiroWorld(fake, url, tmp_path)


@pytest.fixture
async def world(kiro_world: KiroWorld, http: aiohttp.ClientSession) -> KiroWorld:
    kiro_world.session = http
    return kiro_world
