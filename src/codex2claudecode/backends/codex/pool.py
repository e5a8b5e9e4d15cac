"""The Codex accounts behind the backend: one auth and one client per account, built once.

The account list follows the accounts file: its change is noticed with a few `stat` calls at
most once a second (logins and `accounts use` take effect without a restart). Selection and
cooldowns are `accounts.pool.AccountPool`'s; this module feeds it what the upstream says.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

import aiohttp
import orjson

from codex2claudecode import errors
from codex2claudecode.accounts.files import read_json, signature
from codex2claudecode.accounts.limits import Snapshot
from codex2claudecode.accounts.pool import AccountPool, Member, Strategy
from codex2claudecode.backends.base import AccountLimits, UpstreamReply
from codex2claudecode.backends.codex import limits
from codex2claudecode.backends.codex.accounts.store import CodexAccountStore
from codex2claudecode.backends.codex.auth import CodexAuth
from codex2claudecode.backends.codex.client import CodexClient
from codex2claudecode.config import Config

USAGE_PATH = "wham/usage"
ENVIRONMENTS_PATH = "wham/environments"


@dataclass(frozen=True, slots=True)
class CodexAccount:
    """The long-lived objects of one account."""

    store: CodexAccountStore
    auth: CodexAuth
    client: CodexClient


CodexMember = Member[CodexAccount]


class CodexPool:
    """Every Codex account of the accounts file, and the pool choosing among them."""

    def __init__(
        self,
        config: Config,
        http: Callable[[], aiohttp.ClientSession],
        *,
        strategy: Strategy = "sticky",
        clock: Callable[[], float] = time.time,
        recheck_interval: float = 1.0,
    ) -> None:
        """
        Args:
            recheck_interval: seconds between checks of the accounts file for changes
                (0: on every request).
        """
        self._config = config
        self._http = http
        self._clock = clock
        self._recheck_interval = recheck_interval
        self._store = CodexAccountStore.from_config(config)
        self.pool: AccountPool[CodexAccount] = AccountPool(strategy=strategy, clock=clock)
        self._seen: object = None
        self._checked_at = -math.inf
        self._problem: errors.NoAccount | None = None

    # ------------------------------------------------------------------ the request path

    def choose(self, session: str | None) -> list[CodexMember]:
        """The accounts to try for a request, best first.

        Raises:
            NoAccount: there is no usable account.
        """
        self._sync()
        order = self.pool.choose(session)
        if not order:
            raise self._problem or errors.NoAccount("No Codex account is configured.")
        return order

    def served(self, member: CodexMember, session: str | None) -> None:
        self.pool.served(member, session)

    def refused(self, member: CodexMember, error: errors.RateLimited) -> None:
        self.pool.refused(member, retry_after=error.retry_after, usage_limit=error.usage_limit)

    def exhausted(self, last: errors.RateLimited) -> errors.RateLimited:
        return self.pool.exhausted(last)

    def rate_limit_events(self, member: CodexMember) -> Callable[[dict[str, Any]], None]:
        """The callback for `codex.rate_limits` events of a response served by `member`."""
        return partial(self._event_seen, member)

    def _event_seen(self, member: CodexMember, event: dict[str, Any]) -> None:
        snapshot = limits.from_event(event, now=self._clock())
        if snapshot is not None:
            self.pool.observe(member, snapshot)

    def _headers_seen(self, key: str, headers: Mapping[str, str]) -> None:
        member = self.pool.member(key)
        snapshot = limits.from_headers(headers, now=self._clock())
        if member is not None and snapshot is not None:
            self.pool.observe(member, snapshot)

    # ------------------------------------------------------------------ usage

    async def active_get(self, path: str) -> UpstreamReply:
        """`GET {CHATGPT_BASE_URL}/{path}` as the active account; a usage answer is recorded.

        Raises:
            NoAccount, AuthenticationFailed, UpstreamUnavailable.
        """
        self._sync()
        member = self.pool.active
        if member is None:
            raise self._problem or errors.NoAccount("No Codex account is configured.")
        reply = await member.handle.client.get(path)
        if path == USAGE_PATH:
            self._record_usage(member, reply)
        return reply

    async def usage(self) -> list[AccountLimits]:
        """Every account's limits, fetched from `wham/usage` at once.

        Raises:
            NoAccount: there is no usable account.
        """
        self._sync()
        if not self.pool.members:
            raise self._problem or errors.NoAccount("No Codex account is configured.")
        return list(await asyncio.gather(*map(self._usage_of, self.pool.members)))

    async def _usage_of(self, member: CodexMember) -> AccountLimits:
        active = member is self.pool.active
        try:
            creds = await member.handle.auth.credentials()
            reply = await member.handle.client.get(USAGE_PATH)
        except errors.GatewayError as exc:
            return AccountLimits(member.key, None, None, active, None, problem=exc.message)
        snapshot = self._record_usage(member, reply)
        plan = (snapshot.plan if snapshot else None) or creds.plan
        problem = None if snapshot else _usage_problem(reply)
        return AccountLimits(member.key, creds.email, plan, active, snapshot, problem)

    def _record_usage(self, member: CodexMember, reply: UpstreamReply) -> Snapshot | None:
        if reply.status != 200:
            return None
        try:
            body = orjson.loads(reply.body)
        except orjson.JSONDecodeError:
            return None
        if not isinstance(body, dict):
            return None
        snapshot = limits.from_usage(body, now=self._clock())
        self.pool.observe(member, snapshot)
        return snapshot

    async def settle(self) -> None:
        """Wait for every account's in-flight token refresh."""
        await asyncio.gather(*(member.handle.auth.settle() for member in self.pool.members))

    # ------------------------------------------------------------------ the accounts file

    def reload(self) -> None:
        """Read the accounts files again on the next request, whatever the recheck interval."""
        self._checked_at = -math.inf

    def _sync(self) -> None:
        now = time.monotonic()
        # Without accounts, look every time: the first login must work at once.
        if self.pool.members and now - self._checked_at < self._recheck_interval:
            return
        self._checked_at = now
        seen = (self._store.fingerprint(), signature(self._store.account_info_path))
        if seen == self._seen:
            return
        self._seen = seen
        try:
            keys = list(dict.fromkeys(self._store.keys()))
            active = self._active_key(keys)
        except errors.NoAccount as exc:
            self._problem = exc
            self.pool.update([])
            return
        except OSError as exc:
            self._problem = errors.NoAccount(f"Cannot read the Codex accounts: {exc}")
            self.pool.update([])
            return
        self._problem = None if keys else self._why_empty()
        entries = []
        for key in keys:
            known = self.pool.member(key)
            entries.append((key, known.handle if known else self._account(key)))
        self.pool.update(entries, active=active)

    def _active_key(self, keys: list[str]) -> str | None:
        """`CODEX_AUTH_ACCOUNT` (by any of its names), else `.account-info.json`'s choice."""
        if self._store.account is not None:
            return self._store.load().key  # raises NoAccount for an unknown account
        try:
            info = read_json(self._store.account_info_path)
        except ValueError:
            return None
        active = info.get("activeAccount") if isinstance(info, dict) else None
        return active if isinstance(active, str) and active in keys else None

    def _why_empty(self) -> errors.NoAccount:
        try:
            self._store.load()
        except errors.NoAccount as exc:
            return exc
        return errors.NoAccount("No Codex account is configured.")

    def _account(self, key: str) -> CodexAccount:
        config = self._config
        store = CodexAccountStore(
            self._store.path, codex_cli_path=self._store.codex_cli_path, account=key
        )
        auth = CodexAuth(
            store,
            token_url=config.openai_token_url,
            http=self._http,
            proxy=config.proxies.for_url(config.openai_token_url),
            recheck_interval=self._recheck_interval,
        )
        client = CodexClient(config, auth, self._http, on_headers=partial(self._headers_seen, key))
        return CodexAccount(store, auth, client)


def build_codex_pool(
    config: Config,
    http: Callable[[], aiohttp.ClientSession],
    *,
    strategy: Strategy = "sticky",
) -> CodexPool:
    """The server's Codex accounts: files re-checked at most once a second."""
    return CodexPool(config, http, strategy=strategy, recheck_interval=1.0)


def _usage_problem(reply: UpstreamReply) -> str:
    """Why `wham/usage` gave no limits, for the limits panel."""
    said = f"the usage endpoint answered HTTP {reply.status}"
    if reply.status == 200:
        return f"{said} with no usage data"
    retry = next((v.strip() for k, v in reply.headers if k.lower() == "retry-after"), "")
    return f"{said} (retry after {retry} s)" if retry.isdigit() else said
