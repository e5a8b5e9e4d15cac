"""Codex OAuth: hands the client fresh credentials, refreshing them safely.

Refresh tokens rotate and are single-use (protocols §5c), so a refresh is single-flight in the
process, runs under the store's file lock across processes, and first adopts tokens that
another process or the Codex CLI already refreshed (DESIGN §4 item 2).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import aiohttp

from codex2claudecode.accounts.codex_credentials import CodexCredentials
from codex2claudecode.accounts.codex_store import CodexAccountStore, Fingerprint
from codex2claudecode.accounts.files import FileLock
from codex2claudecode.accounts.oauth import (
    CODEX_CLIENT_ID,
    credentials_from_token_response,
    error_fields,
    post_form,
    refresh_grant,
)
from codex2claudecode.errors import AuthenticationFailed, UpstreamFailed, UpstreamUnavailable
from codex2claudecode.tasks import spawn

log = logging.getLogger(__name__)

REFRESH_MARGIN = 300.0
"""Refresh when the access token expires within this many seconds (as the Codex CLI does)."""

_RELOGIN_REASONS = {
    "refresh_token_reused": "its refresh token was already used, probably by another program",
    "refresh_token_expired": "its refresh token has expired",
    "refresh_token_invalidated": "its refresh token was revoked",
    "invalid_grant": "the token server rejected its refresh token",
}


class CodexAuth:
    """Credentials for one Codex account, refreshed when they expire or are rejected."""

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
    ) -> None:
        """
        Args:
            recheck_interval: seconds between checks of the account files for changes made by
                other programs (0: on every call; the server uses 1 s to keep stats off the
                request path).
        """
        self._store = store
        self._token_url = token_url
        self._client_id = client_id
        self._http = http
        self._proxy = proxy
        self._clock = clock
        self._creds: CodexCredentials | None = None
        self._seen: Fingerprint | None = None
        self._dead: str | None = None
        """Why the account cannot be refreshed; kept until one of its files changes."""
        self._inflight: asyncio.Task[CodexCredentials] | None = None
        self._recheck_interval = recheck_interval
        self._checked_at = -math.inf

    async def credentials(self) -> CodexCredentials:
        """Credentials to call upstream with, refreshed first if they expire within 5 minutes.

        Raises:
            NoAccount: no usable account is configured.
            AuthenticationFailed: the account needs a new login.
            UpstreamFailed, UpstreamUnavailable: the token endpoint failed.
        """
        creds = self._current()
        if not self._expiring(creds):
            return creds
        if self._dead is not None:
            if creds.expires_at is not None and creds.expires_at > self._clock():
                return creds  # cannot be refreshed, but still works for a few minutes
            raise AuthenticationFailed(self._dead)
        return await self._refresh(creds)

    async def refresh_after_unauthorized(self, rejected: CodexCredentials) -> CodexCredentials:
        """New credentials after upstream answered 401 to `rejected`.

        If the current credentials already differ from `rejected` (someone refreshed since),
        they are returned without another refresh. Raises as `credentials` does.
        """
        creds = self._current()
        if creds.access_token != rejected.access_token:
            return await self.credentials()
        if self._dead is not None:
            raise AuthenticationFailed(self._dead)
        return await self._refresh(rejected)

    def _current(self) -> CodexCredentials:
        # One stat per file per check: picks up logins and refreshes made by other programs.
        if self._creds is not None and self._recheck_interval:
            now = time.monotonic()
            if now - self._checked_at < self._recheck_interval:
                return self._creds
            self._checked_at = now
        seen = self._store.fingerprint()
        if self._creds is None or seen != self._seen:
            self._creds = self._store.load()
            self._seen = seen
            self._dead = None
        return self._creds

    def _expiring(self, creds: CodexCredentials) -> bool:
        return creds.expires_at is not None and creds.expires_at - REFRESH_MARGIN <= self._clock()

    def _remember(self, creds: CodexCredentials) -> CodexCredentials:
        self._creds = creds
        self._seen = self._store.fingerprint()
        self._dead = None
        return creds

    async def _refresh(self, stale: CodexCredentials) -> CodexCredentials:
        # Shielded: a caller that goes away must not abandon a grant the server already
        # honoured, or the rotated refresh token would be lost.
        task = self._inflight
        if task is None:
            task = spawn(self._refresh_once(stale), name="codex-token-refresh")
            self._inflight = task
            task.add_done_callback(self._refresh_done)
        return await asyncio.shield(task)

    def _refresh_done(self, task: asyncio.Task[CodexCredentials]) -> None:
        if self._inflight is task:
            self._inflight = None
        if not task.cancelled():
            task.exception()  # retrieved here so an unawaited failure is not reported twice

    async def _refresh_once(self, stale: CodexCredentials) -> CodexCredentials:
        async with _holding(self._store.lock()):
            current = await asyncio.to_thread(self._store.load)
            if self._replaces(stale, current):
                log.info("adopted Codex tokens refreshed by another process (%s)", current.key)
                return self._remember(current)
            adopted = await asyncio.to_thread(self._store.adopt_codex_cli_locked, current)
            if adopted is not None:
                current = adopted
                if self._replaces(stale, adopted):
                    log.info("adopted Codex tokens from the Codex CLI (%s)", adopted.key)
                    return self._remember(adopted)
            try:
                refreshed = await self._grant(current)
            except AuthenticationFailed as exc:
                # Shown by `accounts list`; remembered after the write, so that our own write
                # to the info file does not read as a new login and start another refresh.
                await asyncio.to_thread(self._store.mark_needs_login_locked, current, exc.message)
                self._remember(current)
                self._dead = exc.message
                raise
            saved = await asyncio.to_thread(self._store.save_locked, refreshed)
        log.info("refreshed the Codex access token (%s)", saved.key)
        return self._remember(saved)

    def _replaces(self, stale: CodexCredentials, current: CodexCredentials) -> bool:
        return current.access_token != stale.access_token and not self._expiring(current)

    async def _grant(self, creds: CodexCredentials) -> CodexCredentials:
        status, body = await post_form(
            self._http(),
            self._token_url,
            refresh_grant(creds.refresh_token, self._client_id),
            proxy=self._proxy,
            purpose="refresh the Codex login",
        )
        if 200 <= status < 300:
            return self._refreshed(creds, body)
        raise _grant_error(creds, status, body)

    def _refreshed(self, creds: CodexCredentials, body: bytes) -> CodexCredentials:
        return credentials_from_token_response(body, now=self._clock(), previous=creds)


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
        return UpstreamUnavailable(message)
    return UpstreamFailed(message)


@asynccontextmanager
async def _holding(lock: FileLock) -> AsyncIterator[None]:
    """Hold a file lock, waiting for it in a worker thread so the event loop keeps running."""
    acquiring = spawn(asyncio.to_thread(lock.acquire), name="codex-auth-file-lock")
    try:
        await asyncio.shield(acquiring)
    except asyncio.CancelledError:
        # The thread may still get the lock after we are gone; hand it straight back then.
        acquiring.add_done_callback(
            lambda t: lock.release() if not t.cancelled() and t.exception() is None else None
        )
        raise
    try:
        yield
    finally:
        lock.release()
