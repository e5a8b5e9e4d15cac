"""`doctor`'s account checks when the gateway serves Kiro: every Kiro account (token, refresh,
the month's credits), with the fix for each problem. Kiro has no sign-in of ours: the fixes point
at the Kiro IDE and `accounts import --provider kiro`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

from codex2claudecode.accounts.limits import Snapshot
from codex2claudecode.backends.kiro.accounts.store import KiroAccountStore
from codex2claudecode.commands.findings import Finding, Status
from codex2claudecode.commands.limits import fetch_limits
from codex2claudecode.config import Config
from codex2claudecode.errors import GatewayError, NoAccount

IMPORT = "`codex2claudecode accounts import --provider kiro`"
SIGN_IN = f"sign in with the Kiro IDE, then run {IMPORT}"


def kiro_accounts(config: Config, *, timeout: float) -> Iterator[Finding]:
    """Findings for every Kiro account; the limits are read with `timeout` seconds at most."""
    store = KiroAccountStore.from_config(config)
    problem = store.foreign_problem()
    if problem is not None:
        yield Finding("accounts", "warning", f"skipped the Kiro IDE's login: {problem}")
    try:
        summaries = store.summaries()
    except NoAccount as exc:  # our own kiro-state.json cannot be read
        yield Finding("accounts", "problem", exc.message)
        return
    except OSError as exc:
        yield Finding("accounts", "problem", f"cannot read the Kiro accounts: {exc}")
        return
    if not summaries:
        yield Finding(
            "accounts",
            "problem",
            f"no Kiro account (looked for {store.path} and {store.ide_path}): every request fails",
            fix=None if problem else SIGN_IN,
        )
        return
    now = time.time()
    limits = _limits(config, timeout)
    for summary in summaries:
        who = summary.name or summary.key
        state = summary.state(now)
        if state == "needs login":
            yield Finding(
                "accounts",
                "problem",
                f"{who}: its refresh token was refused ({summary.problem})",
                fix=SIGN_IN,
            )
            continue
        if state == "unusable":
            yield Finding("accounts", "problem", f"{who}: {summary.problem}", fix=SIGN_IN)
            continue
        text = (
            f"{who}: access token expired; refreshed on the next request"
            if state == "expired"
            else f"{who}: token valid"
        )
        reading = limits.get(summary.key)
        if reading is None:
            yield Finding("accounts", "ok", text + "; credits not read")
        elif isinstance(reading, str):
            yield Finding("accounts", "warning", f"{text}; credits unreadable: {reading}")
        else:
            left, status = _credits(reading, now)
            yield Finding("accounts", status, f"{text}; {left}")


def _limits(config: Config, timeout: float) -> dict[str, Snapshot | str]:
    """Each account's reading by key, or why it could not be read."""
    try:
        readings = asyncio.run(fetch_limits(config, "kiro", timeout=timeout))
    except GatewayError as exc:
        return _all(config, exc.message)
    except TimeoutError:
        return _all(config, f"Kiro did not answer within {timeout:.0f} s")
    return {
        r.key: r.snapshot if r.snapshot is not None else (r.problem or "no reading")
        for r in readings
    }


def _all(config: Config, why: str) -> dict[str, Snapshot | str]:
    """`why` for every account: nothing was read for any of them."""
    return {summary.key: why for summary in KiroAccountStore.from_config(config).summaries()}


def _credits(snapshot: Snapshot, now: float) -> tuple[str, Status]:
    if snapshot.blocked_until(now, unknown_reset=0) is not None:
        return "credits used up until the reset", "warning"
    if snapshot.primary is None:
        return "credits: no reading", "ok"
    return f"credits {snapshot.primary.left_percent}% left", "ok"
