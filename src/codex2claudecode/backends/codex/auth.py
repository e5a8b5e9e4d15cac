"""Codex OAuth: hands the client fresh credentials, refreshed with the shared discipline of
`accounts.refresh` (single-flight, locked, adopting the Codex CLI's newer tokens first); this
module adds the OpenAI token grant and what its refusals mean (protocols §5c).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import aiohttp

from codex2claudecode.accounts.refresh import LOCK_WAIT, RefreshingCredentials
from codex2claudecode.backends.codex.accounts.credentials import CodexCredentials
from codex2claudecode.backends.codex.accounts.oauth import (
    CODEX_CLIENT_ID,
    credentials_from_token_response,
    error_fields,
    post_form,
    refresh_grant,
)
from codex2claudecode.backends.codex.accounts.store import CodexAccountStore
from codex2claudecode.backends.connection import (
    PROXY_AUTH_REQUIRED,
    is_proxy_refusal,
    proxy_refused,
)
from codex2claudecode.errors import AuthenticationFailed, UpstreamFailed, UpstreamUnavailable

REFRESH_MARGIN = 300.0
"""Refresh when the access token expires within this many seconds (as the Codex CLI does)."""

_RELOGIN_REASONS = {
    "refresh_token_reused": "its refresh token was already used, probably by another program",
    "refresh_token_expired": "its refresh token has expired",
    "refresh_token_invalidated": "its refresh token was revoked",
    "invalid_grant": "the token server rejected its refresh token",
}


class CodexAuth(RefreshingCredentials[CodexCredentials]):
    """Credentials for one Codex account, refreshed when they expire or are rejected."""

    label = "Codex"

    def __init__(
        self,
        store: CodexAccountStore,
        *,
        token_url: str,
        client_id: str = CODEX_CLIENT_ID,
        http: Callable[[], aiohttp.ClientSession],
        proxy: str | None = None,
        clock: Callable[[], float] = time.time,
        recheck_interval: float = 0.0,
        lock_wait: float = LOCK_WAIT,
    ) -> None:
        """
        Args:
            recheck_interval: seconds between checks of the account files for changes made by
                other programs (0: on every call; the server uses 1 s to keep stats off the
                request path).
        """
        super().__init__(
            store,
            margin=REFRESH_MARGIN,
            clock=clock,
            recheck_interval=recheck_interval,
            lock_wait=lock_wait,
        )
        self._token_url = token_url
        self._client_id = client_id
        self._http = http
        self._proxy = proxy

    async def _grant(self, creds: CodexCredentials) -> CodexCredentials:
        try:
            status, body = await post_form(
                self._http(),
                self._token_url,
                refresh_grant(creds.refresh_token, self._client_id),
                proxy=self._proxy,
                purpose="refresh the Codex login",
            )
        except UpstreamUnavailable as exc:
            if is_proxy_refusal(exc):
                raise proxy_refused(self._proxy) from exc
            raise
        if status == PROXY_AUTH_REQUIRED:
            raise proxy_refused(self._proxy)
        if 200 <= status < 300:
            return credentials_from_token_response(body, now=self._clock(), previous=creds)
        raise _grant_error(creds, status, body)


def _grant_error(
    creds: CodexCredentials, status: int, body: bytes
) -> AuthenticationFailed | UpstreamFailed | UpstreamUnavailable:
    code, detail = error_fields(body)
    if status in (400, 401) and code in _RELOGIN_REASONS:
        return AuthenticationFailed(
            f"The Codex login for account {creds.key} needs to be renewed: "
            f"{_RELOGIN_REASONS[code]}. Sign in again: run `codex2claudecode login` (or "
            "`codex login`, then `codex2claudecode accounts import`); the gateway picks up the "
            "new login without a restart."
        )
    for secret in (creds.refresh_token, creds.access_token, creds.id_token):
        if secret:
            detail = detail.replace(secret, "[redacted]")
    message = f"Codex token refresh failed: HTTP {status}" + (f" ({detail})" if detail else "")
    if status == 429 or status >= 500:
        return UpstreamUnavailable(
            f"{message}: the OpenAI sign-in server is busy or failing. The saved login is kept; "
            "try again in a moment"
        )
    return UpstreamFailed(
        f"{message}. If it keeps failing, sign in again: run `codex2claudecode login`"
    )
