"""An account's usage limits, as one provider-neutral snapshot: windows with their reset
times, per-model limits, credits. Each backend's `limits.py` builds snapshots from what its
upstream reports; the pool and the `limits` command read them.
"""

from __future__ import annotations

from dataclasses import dataclass

MAIN_LIMIT = "codex"
"""The id of the account's main limit; any other id is an additional (e.g. per-model) limit."""


@dataclass(frozen=True, slots=True)
class Window:
    used_percent: float
    window_minutes: int | None = None
    resets_at: float | None = None
    """Epoch seconds."""

    @property
    def left_percent(self) -> int:
        return max(0, min(100, 100 - round(self.used_percent)))

    @property
    def exhausted(self) -> bool:
        return self.used_percent >= 100


@dataclass(frozen=True, slots=True)
class Limit:
    """A limit with up to two windows: primary (5 hours) and secondary (weekly)."""

    id: str
    name: str | None = None
    """What the upstream calls it, e.g. a model name; None for the main limit."""
    primary: Window | None = None
    secondary: Window | None = None


@dataclass(frozen=True, slots=True)
class Credits:
    has_credits: bool
    unlimited: bool
    balance: str | None = None
    used: float | None = None
    """Credits spent this period, for an upstream that counts them (Kiro); else None."""
    limit: float | None = None
    """Credits this period allows (trials and bonuses included), with `used`."""
    overage: bool = False
    """Spending past `limit` is switched on (and billed per credit)."""
    overages: float = 0.0
    """Credits spent past `limit` this period."""
    overage_rate: float | None = None
    """The price of one credit past `limit`, in US dollars."""


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What the upstream last said about one account's limits."""

    primary: Window | None = None
    secondary: Window | None = None
    additional: tuple[Limit, ...] = ()
    credits: Credits | None = None
    plan: str | None = None
    limit_reached: bool = False
    """`wham/usage` said the main limit is reached (`limit_reached`, or `allowed: false`)."""

    def merged(self, newer: Snapshot) -> Snapshot:
        """This snapshot updated by `newer`, which may carry only some of the fields."""
        additional = {limit.id: limit for limit in self.additional}
        additional.update((limit.id, limit) for limit in newer.additional)
        return Snapshot(
            primary=newer.primary or self.primary,
            secondary=newer.secondary or self.secondary,
            additional=tuple(additional.values()),
            credits=newer.credits or self.credits,
            plan=newer.plan or self.plan,
            limit_reached=newer.limit_reached,
        )

    def blocked_until(self, now: float, *, unknown_reset: float) -> float | None:
        """Until when (epoch seconds) the main limit blocks requests, or None if it does not.

        A window at 100 % blocks until its reset; credits lift the block. A window without a
        reset time blocks for `unknown_reset` seconds.
        """
        if self.credits is not None and (self.credits.unlimited or self.credits.has_credits):
            return None
        ends = [
            w.resets_at if w.resets_at is not None else now + unknown_reset
            for w in (self.primary, self.secondary)
            if w is not None and w.exhausted
        ]
        if not ends and self.limit_reached:
            ends = [now + unknown_reset]
        until = max(ends, default=None)
        return until if until is not None and until > now else None
