"""`codex2claudecode limits`: each account's usage limits, as its provider reports them.

Codex accounts show their windows (`wham/usage`); Kiro accounts their monthly credits, the
overage and the tier (`getUsageLimits`).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, tzinfo

import orjson

from codex2claudecode import errors
from codex2claudecode.accounts.limits import Credits, Window
from codex2claudecode.accounts.pool import wait_text
from codex2claudecode.backends.base import AccountLimits
from codex2claudecode.backends.codex.accounts.store import CodexAccountStore
from codex2claudecode.backends.codex.accounts.summary import AccountSummary
from codex2claudecode.backends.codex.pool import CodexPool
from codex2claudecode.backends.kiro.accounts.store import KiroAccountStore
from codex2claudecode.backends.kiro.pool import KiroPool
from codex2claudecode.commands import parsers
from codex2claudecode.config import Config, Provider
from codex2claudecode.http_client import SharedSession
from codex2claudecode.provider_config import chosen_provider

BAR_WIDTH = 20
UNICODE_BAR = ("█", "░")
ASCII_BAR = ("#", ".")


def add_parser(subparsers: parsers.Subparsers) -> None:
    """Register `limits` (defined in `commands.parsers`) to call this module's `run`."""
    parsers.add_limits(subparsers).set_defaults(func=run)


def run(args: argparse.Namespace, config: Config) -> int:
    provider: Provider = getattr(args, "limits_provider", None) or chosen_provider(config)
    foreign = _foreign_problem(config, provider)
    if foreign is not None:
        print(f"warning: skipped the {foreign}", file=sys.stderr)
    try:
        usages = asyncio.run(fetch_limits(config, provider))
    except errors.NoAccount as exc:
        # A Kiro pool raises this only with no account at all; Codex also with unusable ones.
        if _accounts_or_broken(config, provider):
            print(f"codex2claudecode: {exc.message}", file=sys.stderr)
            return 1
        if args.json:
            print("[]")
        else:  # nothing to show is not a failure, as with `accounts list`
            name = "Kiro" if provider == "kiro" else "Codex"
            why = "" if foreign is not None else f" {exc.message}"  # the warning said it
            print(f"No {name} accounts yet, so no limits to show.{why}")
        return 0
    if args.json:
        sys.stdout.buffer.write(orjson.dumps(usages, option=orjson.OPT_INDENT_2) + b"\n")
        sys.stdout.flush()
    else:
        encoding = (sys.stdout.encoding or "").lower().replace("-", "")
        bar = UNICODE_BAR if encoding.startswith("utf") else ASCII_BAR
        print(render(usages, now=time.time(), bar=bar))
    return 1 if any(u.problem for u in usages) else 0


async def fetch_usage(config: Config, *, timeout: float | None = None) -> list[AccountLimits]:
    """Every Codex account's limits, read at once; as `fetch_limits`."""
    return await fetch_limits(config, "codex", timeout=timeout)


async def fetch_limits(
    config: Config, provider: Provider, *, timeout: float | None = None
) -> list[AccountLimits]:
    """Every account of `provider` with its limits, read at once.

    Args:
        timeout: seconds to wait for the readings (None: each request's own limit). A token
            refresh they started is waited for even past it: its rotated tokens are saved
            before the command exits, never dropped with the process.

    Raises:
        NoAccount: there is no usable account.
        TimeoutError: `timeout` passed.
    """
    http = SharedSession()
    pool: KiroPool | CodexPool
    if provider == "kiro":
        pool = KiroPool(config, http, recheck_interval=0)
        reading = pool.limits()
    else:
        pool = CodexPool(config, http, recheck_interval=0)
        reading = pool.usage()
    try:
        usages = await asyncio.wait_for(reading, timeout)
    finally:
        await pool.settle()
        await http.close()
    if provider == "kiro":
        return usages
    # An account whose tokens could not be used still has the e-mail and plan it was saved with.
    known = {s.key: s for s in CodexAccountStore.from_config(config).summaries()}
    return [_with_identity(usage, known.get(usage.key)) for usage in usages]


def _accounts_or_broken(config: Config, provider: Provider) -> bool:
    """Whether `provider` has Codex accounts, or our own accounts file cannot be read: either
    way a failure to show limits is an error, not "no accounts yet"."""
    try:
        if provider == "kiro":
            KiroAccountStore.from_config(config).summaries()
            return False
        return bool(CodexAccountStore.from_config(config).summaries())
    except errors.NoAccount:
        return True


def _foreign_problem(config: Config, provider: Provider) -> str | None:
    """`Kiro IDE's login. <why and the fix>` when the other program's login file is skipped."""
    if provider == "kiro":
        problem = KiroAccountStore.from_config(config).foreign_problem()
        return None if problem is None else f"Kiro IDE's login. {problem}"
    problem = CodexAccountStore.from_config(config).foreign_problem()
    return None if problem is None else f"Codex CLI's login. {problem}"


def _with_identity(usage: AccountLimits, summary: AccountSummary | None) -> AccountLimits:
    if summary is None:
        return usage
    return replace(usage, email=usage.email or summary.email, plan=usage.plan or summary.plan)


def render(
    usages: Sequence[AccountLimits],
    *,
    now: float,
    tz: tzinfo | None = None,
    bar: tuple[str, str] = UNICODE_BAR,
) -> str:
    """The text `limits` prints: one block per account.

    Args:
        now: epoch seconds, for "resets in".
        tz: the zone to show reset times in (default: the local one).
    """
    blocks = []
    for usage in usages:
        lines = [_title(usage)]
        snapshot = usage.snapshot
        if usage.problem is not None:
            lines.append(f"  cannot read the limits: {usage.problem}")
        elif snapshot is not None and snapshot.credits and snapshot.credits.limit is not None:
            lines += _credit_pool(snapshot.primary, snapshot.credits, now, tz, bar)
        elif snapshot is not None:
            lines += _windows("  ", snapshot.primary, snapshot.secondary, now, tz, bar)
            for extra in snapshot.additional:
                lines.append(f"  {extra.name or extra.id}")
                lines += _windows("    ", extra.primary, extra.secondary, now, tz, bar)
            credits = snapshot.credits
            if credits is not None and (credits.unlimited or credits.has_credits):
                amount = "unlimited" if credits.unlimited else (credits.balance or "available")
                lines.append(f"  credits: {amount}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _title(usage: AccountLimits) -> str:
    name = usage.name or usage.key
    who = usage.email or name
    title = f"{who} ({usage.plan})" if usage.plan else who
    if usage.email and usage.email != name:
        title += f"  [{name}]"
    return title + ("  (active)" if usage.active else "")


def _windows(
    indent: str,
    primary: Window | None,
    secondary: Window | None,
    now: float,
    tz: tzinfo | None,
    bar: tuple[str, str],
) -> list[str]:
    rows = [
        (_label(window, default), window)
        for window, default in ((primary, "5h limit"), (secondary, "Weekly limit"))
        if window is not None
    ]
    if not rows:
        return [f"{indent}no limits reported"]
    width = max(len(label) for label, _ in rows)
    return [f"{indent}{label:<{width}}  {_row(w, now, tz, bar)}" for label, w in rows]


def _credit_pool(
    window: Window | None, credits: Credits, now: float, tz: tzinfo | None, bar: tuple[str, str]
) -> list[str]:
    """A credit-counting account (Kiro): the month's credits, then what was spent past them."""
    used, limit = credits.used or 0.0, credits.limit or 0.0
    lines = []
    if window is not None and limit > 0:
        lines.append(f"  Credits  {_row(window, now, tz, bar)}")
    spent = f"{_amount(used)} of {_amount(limit)} used" if limit > 0 else f"{_amount(used)} used"
    lines.append(f"  {spent}, {_amount(max(0.0, limit - used))} left")
    rate = f" at ${credits.overage_rate:g}/credit" if credits.overage_rate is not None else ""
    if credits.overages > 0:
        lines.append(f"  overage: {_amount(credits.overages)} credits past the limit{rate}")
    elif credits.overage:
        lines.append(f"  overage: on{rate}")
    else:
        lines.append("  overage: off (requests stop when the credits are spent)")
    return lines


def _amount(value: float) -> str:
    """A credit amount as Kiro shows it: thousands separated, at most two decimals."""
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _row(window: Window, now: float, tz: tzinfo | None, bar: tuple[str, str]) -> str:
    left = window.left_percent
    filled = round(left * BAR_WIDTH / 100)
    text = f"{bar[0] * filled}{bar[1] * (BAR_WIDTH - filled)} {left:>3}% left"
    if window.resets_at is not None:
        text += f"  resets {_when(window.resets_at, now, tz)}"
    return text


def _label(window: Window, default: str) -> str:
    minutes = window.window_minutes
    if minutes is None:
        return default
    if minutes == 7 * 24 * 60:
        return "Weekly limit"
    if minutes % (24 * 60) == 0:
        days = minutes // (24 * 60)
        return "Daily limit" if days == 1 else f"{days}-day limit"
    if minutes % 60 == 0:
        return f"{minutes // 60}h limit"
    return f"{minutes}m limit"


def _when(resets_at: float, now: float, tz: tzinfo | None) -> str:
    at = datetime.fromtimestamp(resets_at, tz).astimezone(tz)
    today = datetime.fromtimestamp(now, tz).astimezone(tz).date()
    shown = at.strftime("%H:%M") if at.date() == today else at.strftime("%a %d %b %H:%M")
    if resets_at <= now:
        return f"{shown} (passed)"
    return f"{shown} (in {wait_text(resets_at - now)})"
