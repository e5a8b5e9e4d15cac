"""A fake OpenAI OAuth token endpoint: `POST /oauth/token`, form-encoded, refresh grant.

Refresh tokens rotate and are single-use, as the real ones are (protocols §5c): a reused one
gets the real 401 `refresh_token_reused` body. Access and id tokens are unsigned JWTs with
`exp`, the `https://api.openai.com/auth` claim (account id, plan) and `email`. Tests seed an
account with `login()`, queue faults with `fail_next()` and read `grants`.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

CLIENT_ID = "app_EMoamEEZ73f0CkXaXp7hrann"
AUTH_CLAIM = "https://api.openai.com/auth"
PROFILE_CLAIM = "https://api.openai.com/profile"

REUSED_BODY = {
    "error": {
        "message": (
            "Your refresh token has already been used to generate a new access token. "
            "Please try signing in again."
        ),
        "type": "invalid_request_error",
        "param": None,
        "code": "refresh_token_reused",
    }
}


def make_jwt(claims: dict[str, Any]) -> str:
    """An unsigned JWT (`alg: none`) carrying `claims`."""

    def part(obj: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}.fake-signature"


@dataclass(frozen=True)
class TokenSet:
    access_token: str
    refresh_token: str
    id_token: str
    account_id: str
    expires_at: float


@dataclass
class Fault:
    status: int
    body: Any
    """A dict is sent as JSON; str or bytes as is."""
    delay: float = 0.0


@dataclass
class _Account:
    account_id: str
    email: str
    plan: str


@dataclass
class FakeOAuth:
    """The token endpoint; serve `fake.app` with `tests.fakes.server.run_app`."""

    expires_in: int | None = 3600
    """`expires_in` of issued tokens (None leaves it out of the response; `exp` stays)."""
    grant_delay: float = 0.0
    """Seconds between consuming a refresh token and answering: widens race windows."""
    rotate: bool = True
    """False answers without a `refresh_token`, as the spec allows (the old one stays valid)."""
    grants: int = 0
    """Successful refresh grants."""
    forms: list[dict[str, str]] = field(default_factory=list)
    """Every form received, in order."""
    faults: deque[Fault] = field(default_factory=deque)
    _live: dict[str, _Account] = field(default_factory=dict)
    _used: set[str] = field(default_factory=set)
    _latest_access: dict[str, str] = field(default_factory=dict)
    _serial: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.app = Starlette(routes=[Route("/oauth/token", self._token, methods=["POST"])])

    # ------------------------------------------------------------------ scripting

    def login(
        self,
        *,
        account_id: str = "acct-1",
        email: str = "user@example.com",
        plan: str = "plus",
        expires_in: float = 3600,
    ) -> TokenSet:
        """Tokens as a fresh login gives them: the refresh token is live at this server."""
        with self._lock:
            return self._issue(_Account(account_id, email, plan), expires_in)

    def fail_next(self, status: int, body: Any, *, delay: float = 0.0) -> None:
        """Answer the next token request with `status` and `body` (after `delay` seconds)."""
        self.faults.append(Fault(status, body, delay))

    def refresh_elsewhere(self, tokens: TokenSet, *, expires_in: float = 3600) -> TokenSet:
        """Another client (the Codex CLI) refreshes `tokens`: their refresh token is spent."""
        with self._lock:
            account = self._live.pop(tokens.refresh_token)
            self._used.add(tokens.refresh_token)
            return self._issue(account, expires_in)

    def is_current(self, access_token: str) -> bool:
        """Whether `access_token` is the last one issued for its account."""
        with self._lock:
            return access_token in self._latest_access.values()

    def is_live(self, refresh_token: str) -> bool:
        with self._lock:
            return refresh_token in self._live

    # ------------------------------------------------------------------ the endpoint

    def _issue(self, account: _Account, expires_in: float) -> TokenSet:
        serial = next(self._serial)
        exp = int(time.time() + expires_in)
        auth = {"chatgpt_account_id": account.account_id, "chatgpt_plan_type": account.plan}
        access = make_jwt(
            {
                "exp": exp,
                "jti": f"at-{serial}",
                AUTH_CLAIM: auth,
                PROFILE_CLAIM: {"email": account.email},
            }
        )
        id_token = make_jwt({"exp": exp, "email": account.email, AUTH_CLAIM: auth})
        refresh = f"rt-{account.account_id}-{serial}"
        self._live[refresh] = account
        self._latest_access[account.account_id] = access
        return TokenSet(access, refresh, id_token, account.account_id, float(exp))

    async def _token(self, request: Request) -> Response:
        if (
            request.headers.get("content-type", "").split(";")[0]
            != "application/x-www-form-urlencoded"
        ):
            return JSONResponse({"error": "invalid_request"}, status_code=400)
        raw = parse_qs((await request.body()).decode(), keep_blank_values=True)
        form = {key: values[-1] for key, values in raw.items()}
        with self._lock:
            self.forms.append(form)
            fault = self.faults.popleft() if self.faults else None
        if fault is not None:
            await asyncio.sleep(fault.delay)
            return _reply(fault.status, fault.body)
        if form.get("grant_type") != "refresh_token":
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        if form.get("client_id") != CLIENT_ID:
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        token = form.get("refresh_token", "")
        with self._lock:
            if token in self._used:
                return JSONResponse(REUSED_BODY, status_code=401)
            account = self._live.get(token)
            if account is None:
                return JSONResponse(
                    {"error": "invalid_grant", "error_description": "Invalid refresh token"},
                    status_code=400,
                )
            if self.rotate:
                del self._live[token]
                self._used.add(token)
            issued = self._issue(account, self.expires_in or 3600)
            if not self.rotate:
                del self._live[issued.refresh_token]
            self.grants += 1
        await asyncio.sleep(self.grant_delay)
        body: dict[str, Any] = {
            "access_token": issued.access_token,
            "id_token": issued.id_token,
            "token_type": "Bearer",
            "scope": "openid profile email",
        }
        if self.rotate:
            body["refresh_token"] = issued.refresh_token
        if self.expires_in is not None:
            body["expires_in"] = self.expires_in
        return JSONResponse(body)


def _reply(status: int, body: Any) -> Response:
    if isinstance(body, dict | list):
        return JSONResponse(body, status_code=status)
    return Response(body, status_code=status)
