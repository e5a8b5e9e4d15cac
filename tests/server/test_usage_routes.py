"""`GET /usage` and `/environments`: the active account's upstream answer, passed through."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request

from codex2claudecode import errors, tokens
from codex2claudecode.asgi import BodyResponse
from codex2claudecode.backends.codex.backend import CodexBackend
from codex2claudecode.backends.codex.pool import CodexPool
from codex2claudecode.frontends.anthropic.errors import render_error
from codex2claudecode.http_client import SharedSession
from codex2claudecode.server.usage_routes import usage_routes
from tests.fakes.server import run_app
from tests.fakes.wham import WhamReply, WhamUpstream, wham_upstream

USAGE = {
    "email": "b@example.com",
    "plan_type": "pro",
    "rate_limit": {"primary_window": {"used_percent": 13, "reset_at": 1_800_000_000}},
}


@pytest.fixture
def upstream(tmp_path: Path) -> Iterator[WhamUpstream]:
    with wham_upstream(tmp_path) as served:
        yield served


async def _render(request: Request, exc: Exception) -> BodyResponse:
    assert isinstance(exc, errors.GatewayError)
    status, headers, body = render_error(exc, request_id="req_test")
    return BodyResponse(status, body, headers)


@pytest.fixture
def start(upstream: WhamUpstream) -> Iterator[Callable[..., str]]:
    stack: list[Any] = []

    def start(**extra: str) -> str:
        http = SharedSession()
        accounts = CodexPool(upstream.config(**extra), http, recheck_interval=0)
        backend = CodexBackend(accounts, count_tokens=tokens.count_request_tokens)

        @contextlib.asynccontextmanager
        async def lifespan(app: Starlette) -> AsyncIterator[None]:
            yield
            await http.close()

        app = Starlette(
            routes=usage_routes(backend),
            exception_handlers={errors.GatewayError: _render},  # type: ignore[dict-item]
            lifespan=lifespan,
        )
        cm = run_app(app)
        stack.append(cm)
        return cm.__enter__()

    yield start
    for cm in reversed(stack):
        cm.__exit__(None, None, None)


@pytest.mark.parametrize("path", ["/usage", "/wham/usage"])
def test_usage_is_the_active_accounts_answer(
    upstream: WhamUpstream, start: Callable[..., str], path: str
) -> None:
    upstream.write_accounts("acct-a", "acct-b")
    upstream.wham.answer(
        "usage",
        "acct-b",
        WhamReply(USAGE, headers={"x-request-id": "r-1", "set-cookie": "session=secret"}),
    )
    url = start(CODEX_AUTH_ACCOUNT="acct-b")
    response = httpx.get(url + path, timeout=10)
    assert response.status_code == 200
    assert response.json() == USAGE
    assert response.headers["x-request-id"] == "r-1"
    assert response.headers["content-type"] == "application/json"
    assert "set-cookie" not in response.headers
    sent = upstream.wham.requests[-1]
    assert sent.path.endswith("/wham/usage")
    assert sent.headers["chatgpt-account-id"] == "acct-b"
    assert sent.headers["authorization"] == f"Bearer {upstream.token['acct-b']}"


@pytest.mark.parametrize("path", ["/environments", "/wham/environments"])
def test_environments_pass_through(
    upstream: WhamUpstream, start: Callable[..., str], path: str
) -> None:
    upstream.write_accounts("acct-a")
    environments = [{"id": "env-1", "label": "repo"}]
    upstream.wham.answer("environments", "acct-a", WhamReply(environments))
    response = httpx.get(start() + path, timeout=10)
    assert response.status_code == 200
    assert response.json() == environments


def test_upstream_status_is_kept(upstream: WhamUpstream, start: Callable[..., str]) -> None:
    upstream.write_accounts("acct-a")
    upstream.wham.answer("usage", "acct-a", WhamReply({"detail": "Forbidden"}, status=403))
    response = httpx.get(start() + "/usage", timeout=10)
    assert response.status_code == 403
    assert response.json() == {"detail": "Forbidden"}


def test_a_401_refreshes_the_token_and_asks_again(
    upstream: WhamUpstream, start: Callable[..., str]
) -> None:
    upstream.write_accounts("acct-a")
    upstream.oauth.login(account_id="acct-a", email="acct-a@example.com")  # ours is now stale
    upstream.wham.accepts = upstream.oauth.is_current
    upstream.wham.answer("usage", "acct-a", WhamReply(USAGE))
    response = httpx.get(start() + "/usage", timeout=10)
    assert response.status_code == 200
    assert response.json() == USAGE
    assert upstream.oauth.grants == 1
    assert len(upstream.wham.requests) == 2


def test_no_account_is_a_gateway_error(upstream: WhamUpstream, start: Callable[..., str]) -> None:
    response = httpx.get(start() + "/usage", timeout=10)
    assert response.status_code == 503
    assert "No Codex account" in response.json()["error"]["message"]
