"""The refresh discipline every provider's credentials follow (DESIGN §4 item 2).

Refresh tokens rotate and are single-use, so a refresh is single-flight in the process, runs
under the store's file lock across processes, and first adopts tokens that another process (or
the provider's own tool: the Codex CLI, the Kiro IDE) already refreshed; the new tokens are
written back before anyone uses them. A provider supplies its store and its grant.

A spent grant is never lost: the directory is checked before the grant, and tokens that still
cannot be saved stay in memory and go to a 0600 rescue file. A token the upstream rejects
right after its refresh is not refreshed again until the account file changes, and a lock
held by a stuck program is waited for only so long.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Generic, Protocol, TypeVar

import orjson

from codex2claudecode.accounts.files import (
    FileLock,
    LockBusy,
    probe_writable,
    tidy,
    write_rescue,
)
from codex2claudecode.errors import AuthenticationFailed, GatewayError, UpstreamUnavailable
from codex2claudecode.tasks import spawn

log = logging.getLogger(__name__)

LOCK_WAIT = 10.0
"""Seconds to wait for another process's refresh lock before giving up on refreshing."""
FRESH = 120.0
"""A token rejected within this many seconds of its own refresh is not refreshed again."""
REJECTED_BACKOFF = 600.0
"""How long such an account is left alone unless its file changes."""
_PROBE_BYTES = 64 * 1024
"""What the directory must take before a grant is spent: far more than a credential file."""


class CannotLock(Exception):
    """The lock file could not be opened or created; `cause` says why."""

    def __init__(self, cause: OSError) -> None:
        super().__init__(str(cause))
        self.cause = cause


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
        lock_wait: float = LOCK_WAIT,
    ) -> None:
        """
        Args:
            margin: refresh when the access token expires within this many seconds.
            recheck_interval: seconds between checks of the store's files for changes made by
                other programs (0: on every call; the server uses 1 s).
            lock_wait: seconds to wait for the store's lock held by another process.
        """
        self._store = store
        self._margin = margin
        self._clock = clock
        self._lock_wait = lock_wait
        self._creds: C | None = None
        self._seen: object = None
        self._dead: str | None = None
        """Why the account cannot be refreshed; kept until one of its files changes."""
        self._inflight: asyncio.Task[C] | None = None
        self._recheck_interval = recheck_interval
        self._checked_at = -math.inf
        self._granted: tuple[str, float] = ("", -math.inf)
        """The access token our last grant returned, and when (monotonic)."""
        self._futile: tuple[str, float] | None = None
        """Why refreshing again is pointless, and until when (monotonic); cleared when the
        store's files change."""
        self._unsaved: tuple[C, C] | None = None
        """(spent, refreshed): tokens a grant returned that could not be saved, and the
        credentials whose refresh token that grant spent (what the file still holds)."""

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
        now = time.monotonic()
        if self._futile is not None and now < self._futile[1]:
            raise AuthenticationFailed(self._futile[0])
        token, granted_at = self._granted
        if rejected.access_token == token and now - granted_at < FRESH:
            # Refreshing again would spend a grant (and rewrite the files) on every request.
            why = (
                f"The {self.label} upstream rejects even a freshly refreshed token of this "
                "account, so the gateway stops refreshing it. Sign in again, or check the "
                "account's access; the gateway retries as soon as the account file changes."
            )
            log.error("%s", why)
            self._futile = (why, now + REJECTED_BACKOFF)
            raise AuthenticationFailed(why)
        return await self._refresh(rejected)

    async def settle(self) -> None:
        """Wait for an in-flight refresh to finish (at shutdown: never lose a rotated token),
        then try once more to save tokens an earlier save could not."""
        task = self._inflight
        if task is not None:
            if not (task.done() or task.cancelling()):  # a forced exit says what it lost
                log.info("waiting for the %s token refresh, to save its new tokens", self.label)
            await asyncio.wait([task])  # bounded: the grant has its own timeout
        if self._unsaved is not None:
            try:
                await self._refresh(self._unsaved[1], save_only=True)
            except GatewayError as exc:
                log.error("%s", exc.message)

    def _current(self) -> C:
        # One stat per file per check: picks up logins and refreshes made by other programs.
        if self._creds is not None and self._recheck_interval:
            now = time.monotonic()
            if now - self._checked_at < self._recheck_interval:
                return self._creds
            self._checked_at = now
        seen = self._store.fingerprint()
        if self._creds is None or seen != self._seen:
            if self._creds is None:
                tidy(self._store.lock().path, now=self._clock())
            loaded = self._store.load()
            self._seen = seen
            self._dead = None
            self._futile = None
            self._creds = self._unless_spent(loaded)
        return self._creds

    def _unless_spent(self, loaded: C) -> C:
        """`loaded`, unless it still holds the refresh token of a grant we could not save."""
        if self._unsaved is None:
            return loaded
        spent, refreshed = self._unsaved
        if loaded.access_token == spent.access_token:
            return refreshed
        self._unsaved = None  # someone stored other credentials since: theirs are newer
        return loaded

    def _expiring(self, creds: C) -> bool:
        return creds.expires_at is not None and creds.expires_at - self._margin <= self._clock()

    def _remember(self, creds: C) -> C:
        self._creds = creds
        self._seen = self._store.fingerprint()
        self._dead = None
        return creds

    async def _refresh(self, stale: C, *, save_only: bool = False) -> C:
        # Shielded: a caller that goes away must not abandon a grant the server already
        # honoured, or the rotated refresh token would be lost.
        task = self._inflight
        if task is None:
            name = f"{self.label.lower()}-token-refresh"
            task = spawn(self._refresh_once(stale, save_only=save_only), name=name)
            self._inflight = task
            task.add_done_callback(self._refresh_done)
        return await asyncio.shield(task)

    def _refresh_done(self, task: asyncio.Task[C]) -> None:
        if self._inflight is task:
            self._inflight = None
        if not task.cancelled():
            task.exception()  # retrieved here so an unawaited failure is not reported twice

    async def _refresh_once(self, stale: C, *, save_only: bool) -> C:
        lock = self._store.lock()
        try:
            async with holding(
                lock, name=f"{self.label.lower()}-auth-file-lock", wait=self._lock_wait
            ):
                if save_only:
                    return await self._save(stale)
                return await self._refresh_locked(stale)
        except LockBusy as exc:
            if stale.expires_at is None or stale.expires_at > self._clock():
                log.warning("%s; using the current %s access token meanwhile", exc, self.label)
                return stale
            raise UpstreamUnavailable(
                f"Cannot refresh the {self.label} login: {exc}. Close that program, or delete "
                f"{exc.lock_path} if nothing is using it."
            ) from exc
        except CannotLock as exc:
            return self._unwritable(stale, lock.lock_path.parent, exc.cause)

    async def _refresh_locked(self, stale: C) -> C:
        store = self._store
        current = self._unless_spent(await asyncio.to_thread(store.load))
        if self._replaces(stale, current):
            log.info("adopted %s tokens refreshed by another process", self.label)
            return self._remember(current)
        if self._unsaved is None:
            adopted = await asyncio.to_thread(store.adopt_foreign_locked, current)
            if adopted is not None:
                current = adopted
                if self._replaces(stale, adopted):
                    log.info("adopted %s tokens from the provider's own tool", self.label)
                    return self._remember(adopted)
        directory = store.lock().path.parent
        try:
            await asyncio.to_thread(probe_writable, directory, _PROBE_BYTES)
        except OSError as exc:
            return self._unwritable(current, directory, exc)
        try:
            refreshed = await self._grant(current)
        except asyncio.CancelledError:
            # Only a forced exit cancels a refresh (callers are shielded from it).
            log.error(
                "Stopped by force while the %s token server was answering a refresh: if it had "
                "already spent the saved refresh token, its replacement is lost with this "
                "process. If the next start cannot refresh the login, sign in again.",
                self.label,
            )
            raise
        except AuthenticationFailed as exc:
            # Remembered after the write, so that our own write to the store's files does
            # not read as a new login and start another refresh.
            await asyncio.to_thread(store.mark_needs_login_locked, current, exc.message)
            self._remember(current)
            self._dead = exc.message
            raise
        self._granted = (refreshed.access_token, time.monotonic())
        if self._unsaved is None:
            self._unsaved = (current, refreshed)
        else:
            self._unsaved = (self._unsaved[0], refreshed)
        log.info("refreshed the %s access token", self.label)
        return await self._save(refreshed)

    async def _save(self, refreshed: C) -> C:
        """Store `refreshed`; if that fails, keep it in memory and in a rescue file."""
        try:
            saved = await asyncio.to_thread(self._store.save_locked, refreshed)
        except OSError as exc:
            self._creds = refreshed
            self._seen = self._store.fingerprint()
            self._rescue(refreshed, exc)
            return refreshed
        self._unsaved = None
        return self._remember(saved)

    def _unwritable(self, current: C, directory: Path, exc: OSError) -> C:
        """No grant is spent when its tokens could not be saved; the current ones may do."""
        why = (
            f"The {self.label} login cannot be refreshed: {directory} does not take new files "
            f"({exc.strerror or exc}). Free disk space or make it writable; until then the "
            "gateway keeps the refresh token unspent."
        )
        if current.expires_at is None or current.expires_at > self._clock():
            log.error("%s The current access token is used while it lasts.", why)
            return self._remember(current)
        raise GatewayError(why, status=503)

    def _rescue(self, refreshed: C, exc: OSError) -> None:
        path = self._store.lock().path
        # The credentials are dataclasses (orjson writes their fields); paths and such as text.
        data = orjson.dumps(refreshed, default=str, option=orjson.OPT_INDENT_2)
        rescue = write_rescue(path, data, now=self._clock())
        where = (
            f"They were written to {rescue} (mode 0600): copy its tokens into {path} once it "
            "can be written, or sign in again."
            if rescue is not None
            else "No rescue file could be written either: keep the gateway running until the "
            "disk is fixed, then it saves them at exit."
        )
        log.error(
            "The refreshed %s tokens could NOT be saved to %s (%s); the gateway keeps them in "
            "memory, and the old refresh token in that file is spent. %s",
            self.label,
            path,
            exc.strerror or exc,
            where,
        )

    def _replaces(self, stale: C, current: C) -> bool:
        return current.access_token != stale.access_token and not self._expiring(current)


@asynccontextmanager
async def holding(lock: FileLock, *, name: str, wait: float | None = None) -> AsyncIterator[None]:
    """Hold a file lock, waiting for it in a worker thread so the event loop keeps running.

    Raises:
        LockBusy: `wait` seconds passed and another process still holds it.
        CannotLock: the lock file cannot be opened (a read-only directory, say).
    """
    acquiring = spawn(asyncio.to_thread(lock.acquire, wait), name=name)
    try:
        await asyncio.shield(acquiring)
    except LockBusy:
        raise
    except OSError as exc:
        raise CannotLock(exc) from exc
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
