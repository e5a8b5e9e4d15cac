from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from codex2claudecode.backends.codex.accounts.device_login import (
    DEFAULT_INTERVAL,
    DeviceCode,
    complete_device_login,
    request_device_code,
)
from codex2claudecode.errors import AuthenticationFailed, UpstreamFailed, UpstreamUnavailable
from tests.fakes.oauth import FakeOAuth
from tests.fakes.server import run_app


class Clock:
    """Time that passes only when the login sleeps; records every sleep."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


async def test_device_sign_in_end_to_end(
    served: tuple[FakeOAuth, str], http: aiohttp.ClientSession
) -> None:
    fake, url = served
    fake.sign_in_as(account_id="acct-dev", email="dev@example.com", plan="team")
    clock = Clock()

    device = await request_device_code(http, issuer=url + "/")
    creds = await complete_device_login(
        http,
        device,
        issuer=url,
        token_url=url + "/oauth/token",
        sleep=clock.sleep,
        clock=clock,
    )

    assert device.verification_url == f"{url}/codex/device"
    assert device.user_code.startswith("ABCD-")
    assert device.interval == 5.0
    assert fake.device_polls == 3  # pending, pending, approved
    assert clock.sleeps == [5.0, 5.0]
    assert (creds.account_id, creds.email, creds.plan) == ("acct-dev", "dev@example.com", "team")
    assert fake.is_live(creds.refresh_token)
    exchange = fake.forms[-1]
    assert exchange["grant_type"] == "authorization_code"
    assert exchange["redirect_uri"] == f"{url}/deviceauth/callback"
    assert fake.code_grants == 1


async def test_gives_up_when_the_code_expires(
    served: tuple[FakeOAuth, str], http: aiohttp.ClientSession
) -> None:
    fake, url = served
    fake.device_polls_before_approval = 1_000_000
    clock = Clock()
    device = await request_device_code(http, issuer=url)

    with pytest.raises(AuthenticationFailed) as info:
        await complete_device_login(
            http,
            device,
            issuer=url,
            token_url=url + "/oauth/token",
            timeout=12,
            sleep=clock.sleep,
            clock=clock,
        )

    assert clock.sleeps == [5.0, 5.0, 2.0]
    assert device.user_code in info.value.message
    assert "login --device" in info.value.message
    assert fake.code_grants == 0


def scripted(usercode: Any, polls: list[tuple[int, Any]]) -> Starlette:
    """A device endpoint that answers the user-code request with `usercode` (a status and
    body) and each poll with the next of `polls`."""

    async def user_code(request: Request) -> Response:
        status, body = usercode
        return JSONResponse(body, status_code=status)

    async def token(request: Request) -> Response:
        status, body = polls.pop(0)
        if isinstance(body, str):
            return Response(body, status_code=status)
        return JSONResponse(body, status_code=status)

    return Starlette(
        routes=[
            Route("/api/accounts/deviceauth/usercode", user_code, methods=["POST"]),
            Route("/api/accounts/deviceauth/token", token, methods=["POST"]),
        ]
    )


@pytest.mark.parametrize(
    ("body", "interval", "code"),
    [
        ({"device_auth_id": "d", "user_code": "U-1", "interval": "7"}, 7.0, "U-1"),
        ({"device_auth_id": "d", "usercode": "U-2", "interval": 3}, 3.0, "U-2"),
        ({"device_auth_id": "d", "user_code": "U-3"}, DEFAULT_INTERVAL, "U-3"),
        ({"device_auth_id": "d", "user_code": "U-4", "interval": "soon"}, DEFAULT_INTERVAL, "U-4"),
    ],
)
async def test_user_code_answers(
    http: aiohttp.ClientSession, body: dict[str, Any], interval: float, code: str
) -> None:
    with run_app(scripted((200, body), [])) as url:
        device = await request_device_code(http, issuer=url)
    assert (device.user_code, device.interval, device.device_auth_id) == (code, interval, "d")


@pytest.mark.parametrize(
    ("status", "body", "error", "fragment"),
    [
        (404, {"detail": "Not Found"}, UpstreamFailed, "not enabled"),
        (200, {"interval": "5"}, UpstreamFailed, "without a device code"),
        (503, {"error": {"message": "busy"}}, UpstreamUnavailable, r"HTTP 503 \(busy\)"),
        (400, {"error": "invalid_client"}, UpstreamFailed, r"HTTP 400 \(invalid_client\)"),
    ],
)
async def test_user_code_failures(
    http: aiohttp.ClientSession, status: int, body: Any, error: type[Exception], fragment: str
) -> None:
    with run_app(scripted((status, body), [])) as url, pytest.raises(error, match=fragment):
        await request_device_code(http, issuer=url)


def device() -> DeviceCode:
    return DeviceCode("https://x/codex/device", "U-1", "d", interval=1.0)


async def test_transient_poll_failures_are_retried(
    served: tuple[FakeOAuth, str], http: aiohttp.ClientSession
) -> None:
    fake, token_url = served[0], served[1] + "/oauth/token"
    clock = Clock()
    polls: list[tuple[int, Any]] = [
        (500, "oops"),
        (429, {"error": "slow_down"}),
        (404, {"error": "pending"}),
        (200, {"authorization_code": "unknown-code", "code_verifier": "v"}),
    ]
    with (
        run_app(scripted((200, {}), polls)) as url,
        pytest.raises(AuthenticationFailed, match="Unknown or already used"),
    ):
        await complete_device_login(
            http, device(), issuer=url, token_url=token_url, sleep=clock.sleep, clock=clock
        )

    # The approval arrived after three retried polls and was redeemed (the fake refused it,
    # since it never issued that code).
    assert clock.sleeps == [1.0, 1.0, 1.0]
    assert polls == []
    assert fake.forms[-1]["code"] == "unknown-code"


@pytest.mark.parametrize(
    ("poll", "error", "fragment"),
    [
        ((400, {"error": "expired_token"}), AuthenticationFailed, r"HTTP 400 \(expired_token\)"),
        ((200, {"authorization_code": "c"}), UpstreamFailed, "without an authorization code"),
    ],
)
async def test_poll_failures(
    http: aiohttp.ClientSession, poll: tuple[int, Any], error: type[Exception], fragment: str
) -> None:
    clock = Clock()
    with run_app(scripted((200, {}), [poll])) as url, pytest.raises(error, match=fragment):
        await complete_device_login(
            http, device(), issuer=url, token_url=url, sleep=clock.sleep, clock=clock
        )
    assert clock.sleeps == []
