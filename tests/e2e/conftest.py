"""End-to-end harness: the real gateway on loopback, pointed at fake upstreams.

`gateway` runs the app built by `cli.build_gateway` under uvicorn; `fake_codex` is the scripted
Codex backend; `oauth` the token endpoint; `kiro_env` the fake Kiro upstream and token endpoints
with a Kiro IDE login on disk. Every test gets fresh servers and a throwaway HOME.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anthropic
import pytest

from codex2claudecode.backends.kiro.accounts.credentials import format_expiry
from codex2claudecode.cli import build_gateway
from codex2claudecode.config import Config
from tests.fakes.codex import FakeCodex
from tests.fakes.kiro import FakeKiro
from tests.fakes.kiro_oauth import SOCIAL_ARN, FakeKiroOAuth, Login
from tests.fakes.oauth import FakeOAuth
from tests.fakes.server import run_app

ACCOUNT_ID = "acct-e2e-1"


def make_jwt(claims: dict[str, object]) -> str:
    def part(obj: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}.sig"


def access_token(*, expires_in: float = 86400, account_id: str = ACCOUNT_ID) -> str:
    return make_jwt(
        {
            "exp": int(time.time() + expires_in),
            "email": "e2e@example.com",
            "https://api.openai.com/auth": {
                "chatgpt_account_id": account_id,
                "chatgpt_plan_type": "plus",
            },
        }
    )


@dataclass
class Env:
    home: Path
    state: Path
    fake: FakeCodex
    fake_url: str
    oauth: FakeOAuth
    oauth_url: str

    def write_account(
        self, token: str, *, refresh: str = "rt-1", expires_in: float = 86400
    ) -> None:
        entry = {
            "type": "oauth",
            "access": token,
            "refresh": refresh,
            "expires": int((time.time() + expires_in) * 1000),
            "accountId": ACCOUNT_ID,
        }
        path = self.state / "auth-codex.json"
        path.write_text(json.dumps(entry))
        path.chmod(0o600)

    def env(self, **extra: str) -> dict[str, str]:
        return {
            "HOME": str(self.home),
            "CODEX2CLAUDECODE_HOME": str(self.state),
            "CODEX_HOME": str(self.home / ".codex"),
            "CHATGPT_BASE_URL": self.fake_url,
            "OPENAI_AUTH_URL": self.oauth_url,
            "CLAUDE_CONFIG_DIR": str(self.home / ".claude"),
            **extra,
        }


@pytest.fixture
def fake_codex() -> Iterator[tuple[FakeCodex, str]]:
    fake = FakeCodex()
    with run_app(fake) as url:
        yield fake, url


@pytest.fixture
def fake_oauth() -> Iterator[tuple[FakeOAuth, str]]:
    oauth = FakeOAuth()
    with run_app(oauth.app) as url:
        yield oauth, url


@pytest.fixture
def env(
    tmp_path: Path, fake_codex: tuple[FakeCodex, str], fake_oauth: tuple[FakeOAuth, str]
) -> Env:
    fake, url = fake_codex
    oauth, oauth_url = fake_oauth
    state = tmp_path / "state"
    state.mkdir()
    e = Env(home=tmp_path, state=state, fake=fake, fake_url=url, oauth=oauth, oauth_url=oauth_url)
    tokens = oauth.login(account_id=ACCOUNT_ID, email="e2e@example.com")
    e.write_account(tokens.access_token, refresh=tokens.refresh_token)
    return e


GatewayFactory = Callable[..., str]


@pytest.fixture
def start_gateway(env: Env) -> Iterator[GatewayFactory]:
    """Start a gateway with extra env settings; returns its base URL."""
    stack: list[object] = []

    def start(**extra: str) -> str:
        config = Config.load(env.env(**extra))
        cm = run_app(build_gateway(config).app)
        url = cm.__enter__()
        stack.append(cm)
        return url

    yield start
    for cm in reversed(stack):
        cm.__exit__(None, None, None)  # type: ignore[attr-defined]


@pytest.fixture
def gateway(start_gateway: GatewayFactory) -> str:
    return start_gateway()


@pytest.fixture
def client(gateway: str) -> Iterator[anthropic.Anthropic]:
    with anthropic.Anthropic(base_url=gateway, api_key="anything", max_retries=0) as sdk:
        yield sdk


# ------------------------------------------------------------------------------ Kiro


@dataclass
class KiroEnv:
    root: Path
    kiro: FakeKiro
    kiro_url: str
    oauth: FakeKiroOAuth
    oauth_url: str
    login: Login

    @property
    def ide(self) -> Path:
        return self.root / ".aws" / "sso" / "cache" / "kiro-auth-token.json"

    def env(self, **extra: str) -> dict[str, str]:
        return {
            "HOME": str(self.root),
            "CODEX2CLAUDECODE_HOME": str(self.root / "state"),
            "UPSTREAM_PROVIDER": "kiro",
            "KIRO_AUTH_FILE": str(self.ide),
            "KIRO_AUTH_URL": self.oauth_url,
            "KIRO_OIDC_URL": self.oauth_url,
            "KIRO_BASE_URL": self.kiro_url,
            "KIRO_PROFILE_FILE": str(self.root / "profile.json"),
            **extra,
        }

    def generations(self) -> list[dict[str, Any]]:
        return [r.body for r in self.kiro.generations()]


@pytest.fixture
def kiro_env(tmp_path: Path) -> Iterator[KiroEnv]:
    kiro, oauth = FakeKiro(), FakeKiroOAuth()
    with run_app(kiro) as kiro_url, run_app(oauth.app) as oauth_url:
        login = oauth.login("social")
        env = KiroEnv(tmp_path, kiro, kiro_url, oauth, oauth_url, login)
        env.ide.parent.mkdir(parents=True)
        env.ide.write_text(
            json.dumps(
                {
                    "accessToken": login.access_token,
                    "refreshToken": login.refresh_token,
                    "expiresAt": format_expiry(time.time() + 3600),
                    "region": "us-east-1",
                    "profileArn": SOCIAL_ARN,
                    "authMethod": "social",
                    "provider": "Google",
                }
            )
        )
        env.ide.chmod(0o600)  # as the Kiro IDE leaves it (a looser mode is warned about)
        yield env


@pytest.fixture
def kiro_gateway(kiro_env: KiroEnv) -> Iterator[str]:
    """The whole gateway (as `codex2claudecode` builds it) on Kiro, at this URL."""
    with run_app(build_gateway(Config.load(kiro_env.env())).app) as url:
        yield url
