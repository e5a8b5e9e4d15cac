"""Browser sign-in with PKCE, as the Codex CLI does it (protocols §5c).

A one-shot callback server listens on `localhost:1455` (else 1457), the user signs in at the
authorize URL, the issuer redirects back with `code` and `state`, and the code is redeemed at
the token endpoint with the PKCE verifier. The caller stores the credentials.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import html
import secrets
import socket
import sys
import time
import webbrowser
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from types import TracebackType
from urllib.parse import quote, urlencode

import aiohttp
from aiohttp import web

from codex2claudecode.backends.codex.accounts.credentials import CodexCredentials
from codex2claudecode.backends.codex.accounts.oauth import CODEX_CLIENT_ID, exchange_code
from codex2claudecode.errors import AuthenticationFailed, GatewayError

DEFAULT_PORTS = (1455, 1457)
"""The callback ports registered for the Codex client id, in the order the Codex CLI tries."""
LOGIN_TIMEOUT = 600.0
"""Seconds to wait for the browser to come back."""
SCOPE = "openid profile email offline_access"

_CONSOLE_BROWSERS = {"www-browser", "links", "elinks", "lynx", "w3m"}


@dataclass(frozen=True, slots=True)
class Pkce:
    verifier: str
    challenge: str
    """base64url(SHA-256(verifier)), sent in the authorize URL (method S256)."""

    @classmethod
    def generate(cls) -> Pkce:
        verifier = _b64url(secrets.token_bytes(64))
        return cls(verifier, challenge_of(verifier))


def challenge_of(verifier: str) -> str:
    """The S256 code challenge of a PKCE verifier (RFC 7636)."""
    return _b64url(hashlib.sha256(verifier.encode("ascii")).digest())


def authorize_url(issuer: str, *, client_id: str, redirect_uri: str, pkce: Pkce, state: str) -> str:
    """The URL that starts the sign-in in the browser, with the Codex CLI's parameters."""
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": SCOPE,
        "code_challenge": pkce.challenge,
        "code_challenge_method": "S256",
        "id_token_add_organizations": "true",
        "codex_cli_simplified_flow": "true",
        "state": state,
        "originator": "codex_cli_rs",
    }
    return f"{issuer.rstrip('/')}/oauth/authorize?{urlencode(query, quote_via=quote)}"


def open_in_browser(url: str) -> bool:
    """Open `url` in a graphical browser; False when there is none to open.

    A console browser (lynx, w3m, ...) counts as none: it would take over this terminal.
    """
    try:
        browser = webbrowser.get()
    except webbrowser.Error:
        return False
    name = getattr(browser, "name", "") or ""
    if PurePath(name).name in _CONSOLE_BROWSERS:
        return False
    try:
        return bool(browser.open(url))
    except (OSError, webbrowser.Error):
        return False


class BrowserLogin:
    """One browser sign-in, from binding the callback port to the redeemed code.

        async with BrowserLogin(session, issuer=..., token_url=...) as login:
            show(login.url)
            creds = await login.wait()

    A callback with the wrong `state` is refused and the login keeps waiting; an error from
    the issuer or a refused code ends it.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        issuer: str,
        token_url: str,
        proxy: str | None = None,
        client_id: str = CODEX_CLIENT_ID,
        ports: Sequence[int] = DEFAULT_PORTS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._session = session
        self._issuer = issuer
        self._token_url = token_url
        self._proxy = proxy
        self._client_id = client_id
        self._ports = tuple(ports)
        self._clock = clock
        self._pkce = Pkce.generate()
        self._state = _b64url(secrets.token_bytes(32))
        self._runner: web.AppRunner | None = None
        self._result: asyncio.Future[CodexCredentials] | None = None
        self._exchanging = False
        self.port = 0
        self.redirect_uri = ""
        self.url = ""
        """The authorize URL to open in the browser."""

    async def __aenter__(self) -> BrowserLogin:
        sock = _bind_first(self._ports)
        self.port = sock.getsockname()[1]
        self.redirect_uri = f"http://localhost:{self.port}/auth/callback"
        self.url = authorize_url(
            self._issuer,
            client_id=self._client_id,
            redirect_uri=self.redirect_uri,
            pkce=self._pkce,
            state=self._state,
        )
        self._result = asyncio.get_running_loop().create_future()
        app = web.Application()
        app.router.add_get("/auth/callback", self._callback)
        self._runner = web.AppRunner(
            app, access_log=None, handle_signals=False, shutdown_timeout=2.0
        )
        await self._runner.setup()
        try:
            await web.SockSite(self._runner, sock).start()
        except BaseException:
            await self._runner.cleanup()
            sock.close()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._result is not None:
            if not self._result.done():
                self._result.cancel()
            elif not self._result.cancelled():
                self._result.exception()  # retrieved: asyncio must not report it again
        if self._runner is not None:
            await self._runner.cleanup()

    async def wait(self, timeout: float = LOGIN_TIMEOUT) -> CodexCredentials:
        """The signed-in account's credentials, once the browser came back.

        Raises:
            AuthenticationFailed: the sign-in was refused, or did not finish within `timeout`
                seconds.
            UpstreamFailed, UpstreamUnavailable: the token endpoint failed.
        """
        assert self._result is not None, "use BrowserLogin in `async with`"
        try:
            return await asyncio.wait_for(asyncio.shield(self._result), timeout)
        except TimeoutError as exc:
            minutes = max(1, round(timeout / 60))
            raise AuthenticationFailed(
                f"No sign-in came back within {minutes} minute{'s' if minutes > 1 else ''}. "
                "Run `codex2claudecode login` again, or `codex2claudecode login --device` "
                "to sign in from another device."
            ) from exc

    async def _callback(self, request: web.Request) -> web.Response:
        result = self._result
        assert result is not None
        params = request.rel_url.query
        if not secrets.compare_digest(params.get("state", ""), self._state):
            # Not our browser's answer (a stale tab, or a forged link): refuse, keep waiting.
            return _page(400, "Sign-in refused", "This sign-in link is not the one we opened.")
        if result.done() or self._exchanging:
            return _page(200, "Sign-in already handled", "You can close this tab.")
        error = params.get("error")
        if error:
            description = params.get("error_description") or error
            result.set_exception(AuthenticationFailed(f"The sign-in was refused: {description}."))
            return _page(400, "Sign-in failed", description)
        code = params.get("code")
        if not code:
            result.set_exception(AuthenticationFailed("The sign-in came back without a code."))
            return _page(400, "Sign-in failed", "The sign-in came back without a code.")
        self._exchanging = True
        try:
            creds = await exchange_code(
                self._session,
                token_url=self._token_url,
                code=code,
                redirect_uri=self.redirect_uri,
                code_verifier=self._pkce.verifier,
                client_id=self._client_id,
                proxy=self._proxy,
                clock=self._clock,
            )
        except GatewayError as exc:
            result.set_exception(exc)
            return _page(502, "Sign-in failed", exc.message)
        result.set_result(creds)
        who = creds.email or creds.account_id or "your account"
        return _page(
            200,
            "Signed in to codex2claudecode",
            f"Signed in as {who}. You can close this tab and go back to the terminal.",
        )


def _bind_first(ports: Sequence[int]) -> socket.socket:
    """A listening loopback socket on the first port of `ports` that is free.

    Raises:
        GatewayError: every port is taken.
    """
    reasons: list[str] = []
    for port in ports:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if sys.platform != "win32":  # on Windows this flag would let us share a busy port
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
            sock.listen(16)
        except OSError as exc:
            sock.close()
            reasons.append(f"{port} ({exc.strerror or exc})")
            continue
        sock.setblocking(False)
        return sock
    raise GatewayError(
        f"Cannot listen for the sign-in callback on localhost port {', '.join(reasons)}. "
        "Is another login running? Finish or stop it, or use `codex2claudecode login --device`."
    )


def _page(status: int, title: str, message: str) -> web.Response:
    body = (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title></head>"
        "<body style='font-family:sans-serif;max-width:36em;margin:4em auto'>"
        f"<h1>{html.escape(title)}</h1><p>{html.escape(message)}</p></body></html>"
    )
    return web.Response(status=status, text=body, content_type="text/html")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")
