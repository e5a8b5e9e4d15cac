"""The refresh discipline every provider's credentials follow (DESIGN §4 item 2).

Refresh tokens rotate and are single-use, so a refresh is single-flight in the process, runs
under the store's file lock across processes, and first adopts tokens that another process (or
the provider's own tool: the Codex CLI, the Kiro IDE) already refreshed; the new tokens are
written back before anyone uses them. A provider supplies its store and its grant.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Generic, Protocol, TypeVar

from codex2claudecode.accounts.files import FileLock
from codex2claudecode.errors import AuthenticationFailed
from codex2claudecode.tasks import spawn

log = logging.getLogger(__name__)


class Token(Protocol):
    """What the discipline reads of a provider's credentials."""

    @property
    def access_token(self) -> str: ...
    @property
    def expires_at(self) -> float | None:
        """Epoch seconds; None if nothing says."""


C = TypeVar("C", bound=Token)


class CredentialStore(Protocol[C]):
    """Where one account's credentials live. `*_locked` methods run while `lock()` is held."""

    def lock(self) -> FileLock: ...
    def fingerprint(self) -> object:
        """Changes whenever a file the credentials come from changes (cheap: `stat` calls)."""

    def load(self) -> C: ...
    def adopt_foreign_locked(self, current: C) -> C | None:
        """Newer credentials for the same account from a foreign tool's file, saved; or None."""

    def save_locked(self, creds: C) -> C: ...
    def mark_needs_login_locked(self, creds: C, why: str) -> None: ...


class RefreshingCredentials(Generic[C]):
    """One account's credentials, refreshed when they expire or are rejected.

    Subclasses implement `_grant`, the provider's token-endpoint call.
    """

    label = "account"
    """Names the provider in log lines, e.g. "Codex"."""

    def __init__(
        self,
        store: CredentialStore[C],
        *,
        margin: float,
        clock: Callable[[], float] = time.time,
        recheck_interval: float = 0.0,
    ) -> None:
        """
        Args:
            margin: refresh when the access token expires within this many seconds.
            recheck_interval: seconds between checks of the store's files for changes made by
                other programs (0: on every call; the server uses 1 s).
        """
        self._store = store
        self._margin = margin
        self._clock = clock
        self._creds: C | None = None
        self._seen: object = None
        self._dead: str | None = None
        """Why the account cannot be refreshed; kept until one of its files changes."""
        self._inflight: asyncio.Task[C] | None = None
        self._recheck_interval = recheck_interval
        self._checked_at = -math.inf

    async def _grant(self, creds: C) -> C:
        """Spend `creds`' refresh token at the provider; raises `AuthenticationFailed` when the
        provider refuses it for good, other `GatewayError`s when it could not be asked."""
        raise NotImplementedError

    async def credentials(self) -> C:
        """Credentials to call upstream with, refreshed first if they expire within the margin.

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

    async def refresh_after_unauthorized(self, rejected: C) -> C:
        """New credentials after upstream refused `rejected` (401/403).

        If the current credentials already differ from `rejected` (someone refreshed since),
        they are returned without another refresh. Raises as `credentials` does.
        """
        creds = self._current()
        if creds.access_token != rejected.access_token:
            return await self.credentials()
        if self._dead is not None:
            raise AuthenticationFailed(self._dead)
        return await self._refresh(rejected)

    async def settle(self) -> None:
        """Wait for an in-flight refresh to finish (at shutdown: never lose a rotated token)."""
        task = self._inflight
        if task is not None:
            await asyncio.wait([task])

    def _current(self) -> C:
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

    def _expiring(self, creds: C) -> bool:
        return creds.expires_at is not None and creds.expires_at - self._margin <= self._clock()

    def _remember(self, creds: C) -> C:
        self._creds = creds
        self._seen = self._store.fingerprint()
        self._dead = None
        return creds

    async def _refresh(self, stale: C) -> C:
        # Shielded: a caller that goes away must not abandon a grant the server already
        # honoured, or the rotated refresh token would be lost.
        task = self._inflight
        if task is None:
            name = f"{self.label.lower()}-token-refresh"
            task = spawn(self._refresh_once(stale), name=name)
            self._inflight = task
            task.add_done_callback(self._refresh_done)
        return await asyncio.shield(task)

    def _refresh_done(self, task: asyncio.Task[C]) -> None:
        if self._inflight is task:
            self._inflight = None
        if not task.cancelled():
            task.exception()  # retrieved here so an unawaited failure is not reported twice

    async def _refresh_once(self, stale: C) -> C:
        store = self._store
        async with holding(store.lock(), name=f"{self.label.lower()}-auth-file-lock"):
            current = await asyncio.to_thread(store.load)
            if self._replaces(stale, current):
                log.info("adopted %s tokens refreshed by another process", self.label)
                return self._remember(current)
            adopted = await asyncio.to_thread(store.adopt_foreign_locked, current)
            if adopted is not None:
                current = adopted
                if self._replaces(stale, adopted):
                    log.info("adopted %s tokens from the provider's own tool", self.label)
                    return self._remember(adopted)
            try:
                refreshed = await self._grant(current)
            except AuthenticationFailed as exc:
                # Remembered after the write, so that our own write to the store's files does
                # not read as a new login and start another refresh.
                await asyncio.to_thread(store.mark_needs_login_locked, current, exc.message)
                self._remember(current)
                self._dead = exc.message
                raise
            saved = await asyncio.to_thread(store.save_locked, refreshed)
        log.info("refreshed the %s access token", self.label)
        return self._remember(saved)

    def _replaces(self, stale: C, current: C) -> bool:
        return current.access_token != stale.access_token and not self._expiring(current)


@asynccontextmanager
async def holding(lock: FileLock, *, name: str) -> AsyncIterator[None]:
    """Hold a file lock, waiting for it in a worker thread so the event loop keeps running."""
    acquiring = spawn(asyncio.to_thread(lock.acquire), name=name)
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
