"""A fake OpenAI OAuth server: the token endpoint, the browser authorize endpoint and the
device-code endpoints (protocols §5c).

- `POST /oauth/token`, form-encoded: the refresh grant, and the authorization-code grant that
  checks the PKCE `code_verifier` against the authorize request's S256 `code_challenge`.
  Refresh tokens rotate and are single-use, as the real ones are: a reused one gets the real
  401 `refresh_token_reused` body.
- `GET /oauth/authorize`: the user signs in at once (as `sign_in_as()` says) and is redirected
  to `redirect_uri` with `code` and `state`, or with `error` after `deny_next()`.
- `POST /api/accounts/deviceauth/usercode` and `.../deviceauth/token` (JSON): the user
  approves the device code after `device_polls_before_approval` pending polls (403).

Access and id tokens are unsigned JWTs with `exp`, the `https://api.openai.com/auth` claim
(account id, plan) and `email`. Tests seed an account with `login()`, queue token-endpoint
faults with `fail_next()` and read `grants`, `code_grants`, `forms` and `device_polls`.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import itertools
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
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


@dataclass(frozen=True)
class _Code:
    account: _Account
    challenge: str
    redirect_uri: str


@dataclass
class _Device:
    user_code: str
    polls: int = 0


@dataclass
class FakeOAuth:
    """The token endpoint; serve `fake.app` with `tests.fakes.server.run_app`."""

    expires_in: int | None = 3600
    """`expires_in` of issued tokens (None leaves it out of the response; `exp` stays)."""
    grant_delay: float = 0.0
    """Seconds between consuming a refresh token and answering: widens race windows."""
    hold: threading.Event | None = None
    """If given, a refresh grant consumes its token, then answers only once this is set."""
    rotate: bool = True
    """False answers without a `refresh_token`, as the spec allows (the old one stays valid)."""
    grants: int = 0
    """Successful refresh grants."""
    forms: list[dict[str, str]] = field(default_factory=list)
    """Every form received, in order."""
    faults: deque[Fault] = field(default_factory=deque)
    code_grants: int = 0
    """Successful authorization-code grants."""
    device_interval: str = "5"
    """The polling interval the device endpoint asks for (a string, as the real one sends)."""
    device_polls_before_approval: int = 2
    """Pending polls (403) before the user approves a device code."""
    device_polls: int = 0
    """Device token polls received."""
    authorize_requests: list[dict[str, str]] = field(default_factory=list)
    """The query of every authorize request, in order."""
    _signing_in: _Account = field(
        default_factory=lambda: _Account("acct-1", "user@example.com", "plus")
    )
    _deny: str | None = None
    _codes: dict[str, _Code] = field(default_factory=dict)
    _devices: dict[str, _Device] = field(default_factory=dict)
    _live: dict[str, _Account] = field(default_factory=dict)
    _used: set[str] = field(default_factory=set)
    _latest_access: dict[str, str] = field(default_factory=dict)
    _serial: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.app = Starlette(
            routes=[
                Route("/oauth/token", self._token, methods=["POST"]),
                Route("/oauth/authorize", self._authorize, methods=["GET"]),
                Route("/api/accounts/deviceauth/usercode", self._usercode, methods=["POST"]),
                Route("/api/accounts/deviceauth/token", self._device_token, methods=["POST"]),
            ]
        )

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

    def sign_in_as(
        self, *, account_id: str = "acct-1", email: str = "user@example.com", plan: str = "plus"
    ) -> None:
        """Who signs in at the authorize page and the device page from now on."""
        self._signing_in = _Account(account_id, email, plan)

    def deny_next(self, error: str = "access_denied") -> None:
        """The next authorize request redirects back with `error` instead of a code."""
        self._deny = error

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
        grant = form.get("grant_type")
        if grant not in ("refresh_token", "authorization_code"):
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        if form.get("client_id") != CLIENT_ID:
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        if grant == "authorization_code":
            return self._redeem_code(form)
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
        while self.hold is not None and not self.hold.is_set():
            await asyncio.sleep(0.01)
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

    def _redeem_code(self, form: dict[str, str]) -> Response:
        with self._lock:
            code = self._codes.pop(form.get("code", ""), None)  # single-use
            if code is None:
                return _invalid_grant("Unknown or already used authorization code")
            if form.get("redirect_uri") != code.redirect_uri:
                return _invalid_grant("redirect_uri does not match the authorize request")
            if _s256(form.get("code_verifier", "")) != code.challenge:
                return _invalid_grant("code_verifier does not match the code_challenge")
            issued = self._issue(code.account, self.expires_in or 3600)
            self.code_grants += 1
        body: dict[str, Any] = {
            "access_token": issued.access_token,
            "refresh_token": issued.refresh_token,
            "id_token": issued.id_token,
            "token_type": "Bearer",
        }
        if self.expires_in is not None:
            body["expires_in"] = self.expires_in
        return JSONResponse(body)

    def _new_code(self, challenge: str, redirect_uri: str) -> str:
        code = f"code-{next(self._serial)}"
        self._codes[code] = _Code(self._signing_in, challenge, redirect_uri)
        return code

    # ------------------------------------------------------------------ browser sign-in

    async def _authorize(self, request: Request) -> Response:
        query = dict(request.query_params)
        self.authorize_requests.append(query)
        redirect_uri = query.get("redirect_uri", "")
        if (
            query.get("client_id") != CLIENT_ID
            or query.get("response_type") != "code"
            or query.get("code_challenge_method") != "S256"
            or not query.get("code_challenge")
            or urlsplit(redirect_uri).scheme != "http"
        ):
            return JSONResponse({"error": "invalid_request"}, status_code=400)
        with self._lock:
            denied, self._deny = self._deny, None
            if denied:
                answer = {"error": denied, "error_description": "The user said no"}
            else:
                answer = {"code": self._new_code(query["code_challenge"], redirect_uri)}
        answer["state"] = query.get("state", "")
        return RedirectResponse(f"{redirect_uri}?{urlencode(answer)}", status_code=302)

    # ------------------------------------------------------------------ device sign-in

    async def _usercode(self, request: Request) -> Response:
        body = json.loads(await request.body() or b"{}")
        if body.get("client_id") != CLIENT_ID:
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        with self._lock:
            serial = next(self._serial)
            device_auth_id = f"deviceauth-{serial}"
            self._devices[device_auth_id] = _Device(user_code=f"ABCD-{serial:04d}")
        return JSONResponse(
            {
                "device_auth_id": device_auth_id,
                "user_code": self._devices[device_auth_id].user_code,
                "interval": self.device_interval,
            }
        )

    async def _device_token(self, request: Request) -> Response:
        body = json.loads(await request.body() or b"{}")
        with self._lock:
            self.device_polls += 1
            device = self._devices.get(body.get("device_auth_id", ""))
            if device is None or body.get("user_code") != device.user_code:
                return JSONResponse({"error": "invalid_request"}, status_code=400)
            device.polls += 1
            if device.polls <= self.device_polls_before_approval:
                return JSONResponse({"error": "authorization_pending"}, status_code=403)
            del self._devices[body["device_auth_id"]]
            verifier = f"device-verifier-{device.user_code}"
            issuer = str(request.base_url).rstrip("/")
            challenge = _s256(verifier)
            code = self._new_code(challenge, f"{issuer}/deviceauth/callback")
        return JSONResponse(
            {"authorization_code": code, "code_verifier": verifier, "code_challenge": challenge}
        )


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _invalid_grant(description: str) -> Response:
    return JSONResponse(
        {"error": "invalid_grant", "error_description": description}, status_code=400
    )


def _reply(status: int, body: Any) -> Response:
    if isinstance(body, dict | list):
        return JSONResponse(body, status_code=status)
    return Response(body, status_code=status)
