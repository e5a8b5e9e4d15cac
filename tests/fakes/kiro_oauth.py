"""A fake of the three Kiro token endpoints (original-kiro §2.6, kiro-2026-update §2):

- `POST /refreshToken`: the Kiro social login, JSON `{"refreshToken"}` in, camelCase out (with
  `profileArn`);
- `POST /token`: AWS SSO OIDC CreateToken for IdC / Builder ID, camelCase JSON with clientId,
  clientSecret, grantType and refreshToken; the client must be registered;
- `POST /idp/token`: an external identity provider, a form-encoded RFC 6749 refresh grant,
  snake_case out.

Refresh tokens rotate and are single-use (`rotate=False` answers without a new one). Tests
seed logins with `login()`, queue faults with `fail_next()`, and read `requests` and `grants`.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

Endpoint = Literal["social", "oidc", "idp"]
SOCIAL_ARN = "arn:aws:codewhisperer:us-east-1:699475941385:profile/SOCIAL"


@dataclass(frozen=True)
class Login:
    access_token: str
    refresh_token: str
    endpoint: Endpoint


@dataclass
class Seen:
    endpoint: Endpoint
    headers: dict[str, str]
    body: dict[str, Any]
    """The JSON object, or the form as a dict of strings."""


@dataclass
class Fault:
    status: int
    body: Any
    delay: float = 0.0


@dataclass
class FakeKiroOAuth:
    """Serve `fake.app` with `tests.fakes.server.run_app`."""

    expires_in: int = 3600
    grant_delay: float = 0.0
    """Seconds between consuming a refresh token and answering: widens race windows."""
    hold: threading.Event | None = None
    """If given, a refresh grant consumes its token, then answers only once this is set."""
    rotate: bool = True
    new_profile_arn: str | None = None
    """A profileArn the social endpoint answers with (None leaves it out)."""
    clients: dict[str, str] = field(default_factory=lambda: {"client-1": "secret-1"})
    """Registered OIDC clients, id -> secret."""
    requests: list[Seen] = field(default_factory=list)
    grants: int = 0
    faults: deque[Fault] = field(default_factory=deque)
    _live: dict[str, Endpoint] = field(default_factory=dict)
    _used: set[str] = field(default_factory=set)
    _serial: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.app = Starlette(
            routes=[
                Route("/refreshToken", self._social, methods=["POST"]),
                Route("/token", self._oidc, methods=["POST"]),
                Route("/idp/token", self._idp, methods=["POST"]),
            ]
        )

    # ------------------------------------------------------------------ scripting

    def login(self, endpoint: Endpoint = "social") -> Login:
        """Tokens as a fresh login gives them: the refresh token is live here."""
        with self._lock:
            return self._issue(endpoint)

    def refresh_elsewhere(self, login: Login) -> Login:
        """Another program (the Kiro IDE) refreshes `login`: its refresh token is spent."""
        with self._lock:
            del self._live[login.refresh_token]
            self._used.add(login.refresh_token)
            return self._issue(login.endpoint)

    def fail_next(self, status: int, body: Any, *, delay: float = 0.0) -> None:
        self.faults.append(Fault(status, body, delay))

    def is_live(self, refresh_token: str) -> bool:
        with self._lock:
            return refresh_token in self._live

    def _issue(self, endpoint: Endpoint) -> Login:
        serial = next(self._serial)
        login = Login(
            f"aoa-{endpoint}-{serial}-ACCESS", f"aor-{endpoint}-{serial}-REFRESH", endpoint
        )
        self._live[login.refresh_token] = endpoint
        return login

    # ------------------------------------------------------------------ endpoints

    async def _social(self, request: Request) -> Response:
        body = await self._json(request)
        if body is None:
            return JSONResponse({"message": "Invalid JSON"}, status_code=400)
        return await self._grant(request, "social", body, body.get("refreshToken"))

    async def _oidc(self, request: Request) -> Response:
        body = await self._json(request)
        if body is None or body.get("grantType") != "refresh_token":
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        if self.clients.get(body.get("clientId", "")) != body.get("clientSecret"):
            return JSONResponse(
                {"error": "invalid_client", "error_description": "Invalid client"}, status_code=401
            )
        return await self._grant(request, "oidc", body, body.get("refreshToken"))

    async def _idp(self, request: Request) -> Response:
        if request.headers.get("content-type", "").split(";")[0] != (
            "application/x-www-form-urlencoded"
        ):
            return JSONResponse({"error": "invalid_request"}, status_code=400)
        raw = parse_qs((await request.body()).decode(), keep_blank_values=True)
        form = {key: values[-1] for key, values in raw.items()}
        if form.get("grant_type") != "refresh_token" or not form.get("client_id"):
            return JSONResponse({"error": "invalid_request"}, status_code=400)
        return await self._grant(request, "idp", form, form.get("refresh_token"))

    async def _json(self, request: Request) -> dict[str, Any] | None:
        if request.headers.get("content-type", "").split(";")[0] != "application/json":
            return None
        try:
            body = json.loads(await request.body())
        except ValueError:
            return None
        return body if isinstance(body, dict) else None

    async def _grant(
        self, request: Request, endpoint: Endpoint, body: dict[str, Any], token: Any
    ) -> Response:
        with self._lock:
            self.requests.append(Seen(endpoint, dict(request.headers), body))
            fault = self.faults.popleft() if self.faults else None
        if fault is not None:
            await asyncio.sleep(fault.delay)
            if isinstance(fault.body, dict | list):
                return JSONResponse(fault.body, status_code=fault.status)
            return Response(fault.body, status_code=fault.status)
        with self._lock:
            if not isinstance(token, str) or self._live.get(token) != endpoint:
                return _invalid_grant(endpoint)
            if self.rotate:
                del self._live[token]
                self._used.add(token)
            issued = self._issue(endpoint)
            if not self.rotate:
                del self._live[issued.refresh_token]
            self.grants += 1
        await asyncio.sleep(self.grant_delay)
        while self.hold is not None and not self.hold.is_set():
            await asyncio.sleep(0.01)
        if endpoint == "idp":
            answer: dict[str, Any] = {
                "access_token": issued.access_token,
                "token_type": "Bearer",
                "expires_in": self.expires_in,
            }
            if self.rotate:
                answer["refresh_token"] = issued.refresh_token
            return JSONResponse(answer)
        answer = {"accessToken": issued.access_token, "expiresIn": self.expires_in}
        if endpoint == "oidc":
            answer["tokenType"] = "Bearer"
        if self.rotate:
            answer["refreshToken"] = issued.refresh_token
        if endpoint == "social" and self.new_profile_arn:
            answer["profileArn"] = self.new_profile_arn
        return JSONResponse(answer)


def _invalid_grant(endpoint: Endpoint) -> Response:
    if endpoint == "social":
        body: dict[str, Any] = {"message": "Invalid refresh token provided", "reason": None}
    else:
        body = {"error": "invalid_grant", "error_description": "Invalid refresh token provided"}
    return JSONResponse(body, status_code=400)
