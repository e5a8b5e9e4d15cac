"""The Kiro accounts behind the backend: one auth and one client per account, built once.

The account list follows `kiro-state.json` (or the IDE's token cache), checked at most once a
second. Selection, failover and cooldowns are `accounts.pool.AccountPool`'s; this module feeds
it Kiro's refusals and its `getUsageLimits` answers.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial

import aiohttp
import orjson

from codex2claudecode import errors
from codex2claudecode.accounts.limits import Snapshot
from codex2claudecode.accounts.pool import AccountPool, Member, Strategy
from codex2claudecode.backends.base import AccountLimits, UpstreamReply
from codex2claudecode.backends.connection import not_an_object, retry_text
from codex2claudecode.backends.kiro.accounts.store import KiroAccountStore
from codex2claudecode.backends.kiro.auth import KiroAuth, refresh_user_agent
from codex2claudecode.backends.kiro.client import KiroClient, KiroRefused
from codex2claudecode.backends.kiro.endpoints import KIRO_IDE_VERSION, machine_fingerprint
from codex2claudecode.backends.kiro.limits import snapshot_from_usage
from codex2claudecode.config import Config

CREDITS_COOLDOWN = 3600.0
"""How long an account whose credits are spent rests when Kiro gives no reset time."""


@dataclass(frozen=True, slots=True)
class KiroAccount:
    auth: KiroAuth
    client: KiroClient


KiroMember = Member[KiroAccount]


class KiroPool:
    """Every Kiro account, and the pool choosing among them."""

    def __init__(
        self,
        config: Config,
        http: Callable[[], aiohttp.ClientSession],
        *,
        strategy: Strategy = "sticky",
        clock: Callable[[], float] = time.time,
        recheck_interval: float = 1.0,
    ) -> None:
        self._config = config
        self._http = http
        self._clock = clock
        self._recheck_interval = recheck_interval
        self._store = KiroAccountStore.from_config(config)
        self._fingerprint = machine_fingerprint()
        self.pool: AccountPool[KiroAccount] = AccountPool(
            strategy=strategy, clock=clock, provider="Kiro"
        )
        self._seen: object = None
        self._checked_at = -math.inf
        self._problem: errors.NoAccount | None = None
        self.credits_used: dict[str, float] = {}
        """Credits Kiro metered per account since start (from `meteringEvent`)."""
        self._names: dict[str, str] = {}

    # ------------------------------------------------------------------ the request path

    def choose(self, session: str | None) -> list[KiroMember]:
        """The accounts to try for a request, best first.

        Raises:
            NoAccount: there is no usable account.
        """
        self._sync()
        order = self.pool.choose(session)
        if not order:
            raise self._problem or self._no_account()
        return order

    def name(self, member: KiroMember) -> str:
        """The account's short name for people (`accounts.names`), else its key."""
        return self._names.get(member.key) or member.key

    def served(self, member: KiroMember, session: str | None) -> None:
        self.pool.served(member, session)

    def refused(self, member: KiroMember, error: errors.RateLimited, *, credits: bool) -> None:
        wait: float | None = error.retry_after
        if credits and wait is None:
            wait = CREDITS_COOLDOWN
        self.pool.refused(member, retry_after=wait)

    def exhausted(self, last: errors.RateLimited) -> errors.RateLimited:
        return self.pool.exhausted(last)

    async def spent(self, member: KiroMember) -> tuple[str, float | None]:
        """Who `member` is (e-mail, else label, else key) and when its spent credits come
        back (`getUsageLimits`' `nextDateReset`, epoch seconds), for the refusal's message.

        Asked afresh, as the credits just ran out; the last reading stands in when the
        question fails.
        """
        name = None
        try:
            creds = await member.handle.auth.credentials()
            name = creds.email or creds.label
            reply = await member.handle.client.usage_limits()
        except (errors.GatewayError, KiroRefused):  # the refusal is told with what is known
            reply = None
        snapshot = self._record(member, reply) if reply is not None else None
        snapshot = snapshot or member.snapshot
        if name is None and reply is not None:
            name = _usage_email(reply)
        resets_at = snapshot.primary.resets_at if snapshot and snapshot.primary else None
        return name or self.name(member), resets_at

    def metering(self, member: KiroMember) -> Callable[[float], None]:
        return partial(self._metered, member.key)

    def _metered(self, key: str, credits: float) -> None:
        self.credits_used[key] = self.credits_used.get(key, 0.0) + credits

    # ------------------------------------------------------------------ models and usage

    async def list_model_pages(self) -> list[Mapping[str, object]]:
        """`ListAvailableModels` as the active account."""
        return await self._active().client.list_models()

    async def active_usage(self) -> UpstreamReply:
        member = self._active_member()
        reply = await member.handle.client.usage_limits()
        self._record(member, reply)
        return reply

    async def limits(self) -> list[AccountLimits]:
        self._sync()
        if not self.pool.members:
            raise self._problem or self._no_account()
        return list(await asyncio.gather(*map(self._limits_of, self.pool.members)))

    async def settle(self) -> None:
        await asyncio.gather(*(m.handle.auth.settle() for m in self.pool.members))

    async def _limits_of(self, member: KiroMember) -> AccountLimits:
        active = member is self.pool.active
        try:
            creds = await member.handle.auth.credentials()
            reply = await member.handle.client.usage_limits()
        except errors.GatewayError as exc:
            why = _with_retry(exc.message, getattr(exc, "retry_after", None))
            return AccountLimits(
                member.key, None, None, active, None, problem=why, name=self.name(member)
            )
        except KiroRefused as exc:  # a refusal the client raised: report it on the row
            failure = exc.failure
            retry_after = failure.retry_after or getattr(failure.error, "retry_after", None)
            why = _with_retry(failure.error.message, retry_after)
            return AccountLimits(
                member.key, None, None, active, None, problem=why, name=self.name(member)
            )
        snapshot = self._record(member, reply)
        email = creds.email or _usage_email(reply)
        plan = snapshot.plan if snapshot else None
        problem = None
        if snapshot is None:
            problem = (
                not_an_object("Kiro's getUsageLimits", reply.body)
                if reply.status == 200
                else f"getUsageLimits answered HTTP {reply.status}"
            )
        return AccountLimits(member.key, email, plan, active, snapshot, problem, self.name(member))

    def _record(self, member: KiroMember, reply: UpstreamReply) -> Snapshot | None:
        if reply.status != 200:
            return None
        snapshot = snapshot_from_usage(reply.body)
        if snapshot is not None:
            self.pool.observe(member, snapshot)
        return snapshot

    def _active(self) -> KiroAccount:
        return self._active_member().handle

    def _active_member(self) -> KiroMember:
        self._sync()
        member = self.pool.active
        if member is None:
            raise self._problem or self._no_account()
        return member

    # ------------------------------------------------------------------ the accounts file

    def reload(self) -> None:
        """Read the accounts files again on the next request, whatever the recheck interval."""
        self._checked_at = -math.inf

    def _sync(self) -> None:
        now = time.monotonic()
        if self.pool.members and now - self._checked_at < self._recheck_interval:
            return
        self._checked_at = now
        seen = self._store.fingerprint()
        if seen == self._seen:
            return
        self._seen = seen
        try:
            keys = list(dict.fromkeys(self._store.keys()))
            summaries = self._store.summaries()
        except errors.NoAccount as exc:
            self._problem = exc
            self.pool.update([])
            return
        except OSError as exc:
            self._problem = errors.NoAccount(f"Cannot read the Kiro accounts: {exc}")
            self.pool.update([])
            return
        self._problem = None if keys else self._no_account()
        names: dict[str, str] = {}
        for summary in summaries:  # social logins share a key: the first is the one served
            names.setdefault(summary.key, summary.name)
        self._names = names
        active = next((s.key for s in summaries if s.active), None)
        entries = []
        for key in keys:
            known = self.pool.member(key)
            entries.append((key, known.handle if known else self._account(key)))
        self.pool.update(entries, active=active)

    def _no_account(self) -> errors.NoAccount:
        skipped = self._store.foreign_problem()
        if skipped is not None:
            return errors.NoAccount(f"No usable Kiro account: {skipped}")
        return errors.NoAccount(
            f"No Kiro account found (looked for {self._store.path} and {self._store.ide_path}). "
            "Sign in with the Kiro IDE, then run `codex2claudecode accounts import --provider "
            "kiro`; or add one from its tokens with `codex2claudecode accounts add --provider "
            "kiro --region REGION`."
        )

    def _account(self, key: str) -> KiroAccount:
        auth = KiroAuth.for_account(
            self._config,
            self._http,
            account=key,
            recheck_interval=self._recheck_interval,
            user_agent=refresh_user_agent(KIRO_IDE_VERSION, self._fingerprint),
        )
        client = KiroClient(
            self._config,
            auth,
            self._http,
            first_token_timeout=self._config.kiro_first_token_timeout,
            first_token_retries=self._config.kiro_first_token_retries,
        )
        return KiroAccount(auth, client)


def _usage_email(reply: UpstreamReply) -> str | None:
    try:
        body = orjson.loads(reply.body)
    except orjson.JSONDecodeError:
        return None
    info = body.get("userInfo") if isinstance(body, dict) else None
    email = info.get("email") if isinstance(info, dict) else None
    return email if isinstance(email, str) else None


def _with_retry(problem: str, retry_after: int | None) -> str:
    """`problem`, and when to try again if the upstream said so."""
    return problem if retry_after is None else f"{problem.rstrip()} ({retry_text(retry_after)})"
