"""The account pool: which account serves a request, and which accounts are cooling down.

Generic over what a backend keeps per account (its client), so this layer imports no backend.
Strategies (`CODEX_POOL_STRATEGY`): `sticky` keeps a client session on one account for prompt
cache affinity, `round-robin` spreads requests, `manual` uses the active account only. An
account that hit its usage limit cools down until the reset the upstream announced, then
returns by itself (protocols §4 item 12). A cool-down only steers the choice: when every
account rests, the one that resets soonest is asked anyway and the upstream decides, so an
account that recovers early (credits bought, a shorter real window) is not kept blocked.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from codex2claudecode.accounts.limits import Snapshot
from codex2claudecode.config import POOL_STRATEGIES, PoolStrategy
from codex2claudecode.errors import RateLimited

log = logging.getLogger(__name__)

T = TypeVar("T")
Strategy = PoolStrategy
STRATEGIES = POOL_STRATEGIES
DEFAULT_COOLDOWN = 60.0
"""Seconds an account is tried after the others when its limit came without a reset time
(this steers the choice only; no client is told to wait for it)."""
MAX_SESSIONS = 4096
"""Session-to-account bindings kept; the oldest are forgotten first."""


def parse_strategy(value: str | None) -> Strategy:
    """The strategy named by `value` (default `sticky`).

    Raises:
        ValueError: `value` names no strategy.
    """
    name = (value or "sticky").strip().lower().replace("_", "-")
    for strategy in STRATEGIES:
        if name == strategy:
            return strategy
    raise ValueError(f"must be one of {', '.join(STRATEGIES)}, got {value!r}")


@dataclass(slots=True, eq=False)
class Member(Generic[T]):
    """One account in the pool, with what we know about its limits."""

    key: str
    handle: T
    snapshot: Snapshot | None = None
    cooling_until: float = 0.0
    """Epoch seconds until which the account rests; 0 when it is healthy."""
    refused: bool = False
    """The upstream refused a request (429): the account is tried only when no other is left
    until `cooling_until`. Otherwise the cooldown comes from a reading at 100 %, and the
    account is a last resort among the others."""
    reset_known: bool = True
    """`cooling_until` is the upstream's own reset time, not our guess."""

    def cooling(self, now: float) -> bool:
        return self.cooling_until > now


class AccountPool(Generic[T]):
    def __init__(
        self,
        *,
        strategy: Strategy = "sticky",
        clock: Callable[[], float] = time.time,
        max_sessions: int = MAX_SESSIONS,
        provider: str = "Codex",
    ) -> None:
        """
        Args:
            provider: names the provider in log lines and errors ("Codex", "Kiro").
        """
        self.strategy = strategy
        self._provider = provider
        self._clock = clock
        self._max_sessions = max_sessions
        self._members: tuple[Member[T], ...] = ()
        self._by_key: dict[str, Member[T]] = {}
        self._active: Member[T] | None = None
        self._sessions: dict[str, str] = {}
        self._turn = 0

    @property
    def members(self) -> tuple[Member[T], ...]:
        return self._members

    @property
    def active(self) -> Member[T] | None:
        """The account `manual` uses and new sessions start on; the first one by default."""
        return self._active

    def member(self, key: str) -> Member[T] | None:
        return self._by_key.get(key)

    def update(self, entries: Sequence[tuple[str, T]], *, active: str | None = None) -> None:
        """Set the accounts, in order; accounts already known keep their cooldown and limits."""
        members = []
        for key, handle in entries:
            member = self._by_key.get(key) or Member(key, handle)
            member.handle = handle
            members.append(member)
        self._members = tuple(members)
        self._by_key = {m.key: m for m in members}
        self._active = self._by_key.get(active or "") or (members[0] if members else None)

    # ------------------------------------------------------------------ choosing

    def choose(self, session: str | None) -> list[Member[T]]:
        """The accounts to try for one request, best first (empty when there are none).

        When every account was refused and rests, only the one that resets soonest is
        offered: the upstream, not a local lock, says whether it is still limited.
        """
        now = self._clock()
        self._return_rested(now)
        if self._active is None:
            return []
        if self.strategy == "manual":
            order = [self._active]
        elif self.strategy == "round-robin":
            start = self._turn % len(self._members)
            self._turn += 1
            order = [*self._members[start:], *self._members[:start]]
        else:
            bound = self._by_key.get(self._sessions.get(session, "")) if session else None
            first = [self._active] if bound in (None, self._active) else [bound, self._active]
            order = [*first, *(m for m in self._members if m not in first)]
        healthy = [m for m in order if not m.cooling(now)]
        # A reading at 100 % may be stale or lifted by credits: try such accounts last.
        spare = sorted((m for m in order if m.cooling(now) and not m.refused), key=_reset)
        if not healthy and not spare:
            return [min(order, key=_reset)]
        return healthy + spare

    def served(self, member: Member[T], session: str | None) -> None:
        """`member` is answering the request of `session`: keep the session there."""
        if self.strategy != "sticky" or not session:
            return
        if self._sessions.get(session) == member.key:
            return
        self._sessions.pop(session, None)
        self._sessions[session] = member.key
        if len(self._sessions) > self._max_sessions:
            del self._sessions[next(iter(self._sessions))]

    # ------------------------------------------------------------------ learning

    def refused(
        self, member: Member[T], *, retry_after: float | None, usage_limit: bool = True
    ) -> None:
        """The upstream refused `member` for its limit; it rests `retry_after` seconds.

        Args:
            usage_limit: its quota is spent (False: the upstream only asked for fewer requests).
        """
        now = self._clock()
        rest = DEFAULT_COOLDOWN if retry_after is None else max(retry_after, 1.0)
        # The refusal's own headers usually said so a moment ago (`observe` logged it then):
        # one line per 429, not two (issue 11.6).
        said = member.cooling(now)
        member.cooling_until = now + rest
        member.refused = True
        member.reset_known = retry_after is not None
        if said:
            pass
        elif not usage_limit:
            log.warning(
                "%s account %s: the upstream asks for fewer requests (HTTP 429); other accounts "
                "go first for %s",
                self._provider,
                member.key,
                wait_text(rest),
            )
        elif retry_after is None:
            log.warning(
                "%s account %s reached its usage limit (no reset time given); other "
                "accounts go first for %s",
                self._provider,
                member.key,
                wait_text(rest),
            )
        else:
            log.warning(
                "%s account %s reached its usage limit; it rests for %s",
                self._provider,
                member.key,
                wait_text(rest),
            )

    def observe(self, member: Member[T], snapshot: Snapshot) -> None:
        """Record what the upstream said about `member`'s limits; a window at 100 % rests it."""
        member.snapshot = member.snapshot.merged(snapshot) if member.snapshot else snapshot
        if member.refused:
            return
        now = self._clock()
        until = member.snapshot.blocked_until(now, unknown_reset=DEFAULT_COOLDOWN)
        if until is None:
            member.cooling_until = 0.0
        elif until != member.cooling_until:
            if not member.cooling(now):
                log.warning(
                    "%s account %s is at its usage limit; resting for %s",
                    self._provider,
                    member.key,
                    wait_text(until - now),
                )
            member.cooling_until = until

    def exhausted(self, last: RateLimited) -> RateLimited:
        """The error for a request every tried account refused; `last` is the final refusal."""
        now = self._clock()
        if self.strategy == "manual" or len(self._members) < 2 or not last.usage_limit:
            return last
        if any(not m.cooling(now) for m in self._members):
            return last
        return self._all_limited(now, last)

    def _all_limited(self, now: float, last: RateLimited) -> RateLimited:
        resting = [m for m in self._members if m.reset_known]
        if not resting:
            return last  # nobody said when: no invented wait
        wait = max(1, math.ceil(min(m.cooling_until for m in resting) - now))
        message = (
            f"All {len(self._members)} {self._provider} accounts have reached their usage limits; "
            f"the first one is available again in {wait_text(wait)}."
        )
        return RateLimited(message, retry_after=wait)

    def _return_rested(self, now: float) -> None:
        for member in self._members:
            if member.cooling_until and not member.cooling(now):
                member.cooling_until = 0.0
                member.refused = False
                member.reset_known = True
                log.info("%s account %s is available again", self._provider, member.key)


def _reset(member: Member[T]) -> float:
    return member.cooling_until


def wait_text(seconds: float) -> str:
    """`2h 05m`, `4m 10s`, `9s`: a wait, for people."""
    total = max(0, math.ceil(seconds))
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"
