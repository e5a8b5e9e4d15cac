"""`codex2claudecode accounts list|import|add|use|remove`: the managed Codex accounts."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
import time
from collections.abc import Callable, Sequence
from datetime import datetime, tzinfo

from codex2claudecode.accounts.limits import Snapshot
from codex2claudecode.accounts.pool import wait_text
from codex2claudecode.backends.codex.accounts.credentials import CodexCredentials, clean_token
from codex2claudecode.backends.codex.accounts.store import CodexAccountStore
from codex2claudecode.backends.codex.accounts.summary import AccountSummary
from codex2claudecode.commands import kiro_accounts, parsers
from codex2claudecode.commands.state_dir import said
from codex2claudecode.config import Config
from codex2claudecode.errors import GatewayError, InvalidRequest

LimitsColumn = Callable[[AccountSummary], str]
"""Renders the LIMITS cell of one account."""
LIMITS_TIMEOUT = 8.0
"""Seconds `accounts list` waits for the usage limits before showing "?"."""


def add_parser(subparsers: parsers.Subparsers) -> None:
    """Register `accounts` (defined in `commands.parsers`) to call this module's `run`."""
    parsers.add_accounts(subparsers).set_defaults(func=run)


def run(args: argparse.Namespace, config: Config) -> int:
    if kiro_accounts.wanted(args, config):
        return kiro_accounts.run(args, config)
    misuse = kiro_accounts.codex_misuse(args)
    if misuse is not None:
        print(f"codex2claudecode: {misuse}", file=sys.stderr)
        return 2
    store = CodexAccountStore.from_config(config)
    action = _ACTIONS[args.accounts_action]
    try:
        return action(args, config, store)
    except GatewayError as exc:
        print(f"codex2claudecode: {exc.message}", file=sys.stderr)
    except OSError as exc:
        print(f"codex2claudecode: cannot update the accounts: {exc}", file=sys.stderr)
    return 1


# ---------------------------------------------------------------------- actions


def _list(args: argparse.Namespace, config: Config, store: CodexAccountStore) -> int:
    summaries = store.summaries()
    problem = store.foreign_problem()
    if problem is not None:
        print(f"warning: skipped the Codex CLI's login. {problem}", file=sys.stderr)
    if not summaries:
        print(
            "No Codex accounts yet. Sign in with `codex2claudecode login` (`login --device` on a "
            "machine without a browser)"
            + (
                "."
                if problem
                else ", or take over the Codex CLI's login with `codex2claudecode accounts import`."
            )
        )
        return 0
    now = time.time()
    if args.offline:
        limits = None
        legend = ["LIMITS: not asked (--offline); `codex2claudecode limits` shows them."]
    else:
        limits, legend = _limits_column(config, now)
        # Asking may have refreshed a login, or found it dead: show the files as they are now.
        summaries = store.summaries() or summaries
    print(render_table(summaries, now=now, limits=limits))
    print()
    print("\n".join(legend + _list_notes(summaries, config, store)))
    return 0


def _limits_column(config: Config, now: float) -> tuple[LimitsColumn, list[str]]:
    """Each account's limit state, asked from ChatGPT at once ("?" where that failed), and the
    lines that explain the column: what is left of which window, and why a "?"."""
    # The network parts (aiohttp, both providers' pools) only for the actions that ask.
    from codex2claudecode.commands.limits import fetch_usage

    failure = None
    try:
        usages = asyncio.run(fetch_usage(config, timeout=LIMITS_TIMEOUT))
    except GatewayError as exc:
        usages, failure = [], exc.message
    except TimeoutError:
        usages, failure = [], f"ChatGPT did not answer within {LIMITS_TIMEOUT:.0f} s"
    by_key = {usage.key: usage for usage in usages}

    def cell(summary: AccountSummary) -> str:
        usage = by_key.get(summary.key)
        if usage is None or usage.snapshot is None:
            return "?"
        return limit_state(usage.snapshot, now)

    legend = ["LIMITS: what is left of the 5-hour and the weekly window."]
    reasons = {u.problem for u in usages if u.problem} | ({failure} if failure else set())
    for reason in sorted(reasons):
        legend.append(f"? = the limits could not be read: {reason}")
    return cell, legend


def limit_state(snapshot: Snapshot, now: float) -> str:
    """`5h 58% · week 91%` (left), or `limited, back in 2h 10m` while a window is used up."""
    until = snapshot.blocked_until(now, unknown_reset=0)
    if until is not None:
        return f"limited, back in {wait_text(until - now)}"
    parts = []
    for label, window in (("5h", snapshot.primary), ("week", snapshot.secondary)):
        if window is not None:
            parts.append(f"{label} {window.left_percent}%")
    return " · ".join(parts) or "-"


def _import(args: argparse.Namespace, config: Config, store: CodexAccountStore) -> int:
    saved = store.import_codex_cli(args.source)
    print(added_message(saved, config, how="Imported"))
    print("Its tokens stay in sync with the Codex CLI: whichever refreshes them, the other adopts.")
    return 0


def _add(args: argparse.Namespace, config: Config, store: CodexAccountStore) -> int:
    # The network and the flow of a pasted token only for this action (aiohttp: ~150 ms).
    from codex2claudecode.backends.codex.accounts.pasted import (
        StateUnwritable,
        UnsavedLogin,
        add_pasted,
    )

    access = _read_token(args.access_token, "Access token") if args.access_token else None
    refresh = _read_token(args.refresh_token, "Refresh token")
    chosen_id = clean_token(args.account_id) if args.account_id else None
    try:
        saved = asyncio.run(add_pasted(config, refresh, account_id=chosen_id, access_token=access))
    except StateUnwritable as exc:
        print(
            f"codex2claudecode: {said(exc, 'cannot add the account', 'accounts add')}",
            file=sys.stderr,
        )
        return 1
    except UnsavedLogin as exc:
        print(f"codex2claudecode: {exc}", file=sys.stderr)
        return 1
    print(added_message(saved, config, how="Added"))
    return 0


def _use(args: argparse.Namespace, config: Config, store: CodexAccountStore) -> int:
    key = store.set_active(args.key)
    print(f"{key} is now the active Codex account; a running gateway switches by itself.")
    print("\n".join(_override_note(key, config)))
    return 0


def _remove(args: argparse.Namespace, config: Config, store: CodexAccountStore) -> int:
    key = store.remove(args.key)
    print(f"Removed {key}.")
    left = store.summaries()
    active = next((s for s in left if s.active), None)
    if active is not None:
        print(f"Active account: {active.key}.")
    else:
        print("No accounts left; sign in with `codex2claudecode login` to add one.")
    return 0


_ACTIONS: dict[str, Callable[[argparse.Namespace, Config, CodexAccountStore], int]] = {
    "list": _list,
    "import": _import,
    "add": _add,
    "use": _use,
    "remove": _remove,
}


# ---------------------------------------------------------------------- output


def render_table(
    summaries: Sequence[AccountSummary],
    *,
    now: float,
    limits: LimitsColumn | None = None,
    tz: tzinfo | None = None,
) -> str:
    """The `accounts list` table: one row per account, the active one marked `*`.

    Args:
        now: epoch seconds, to tell expired tokens.
        limits: renders the LIMITS column; "-" for every account without it.
        tz: the time zone of the expiry column (default: local time).
    """
    header = ("", "KEY", "EMAIL", "PLAN", "TOKEN EXPIRES", "STATE", "LIMITS")
    rows = [header] + [
        (
            "*" if s.active else "",
            s.key,
            s.email or "-",
            s.plan or "-",
            _local_time(s.expires_at, tz),
            s.state(now),
            limits(s) if limits else "-",
        )
        for s in summaries
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(line.rstrip() for line in lines)


def added_message(saved: CodexCredentials, config: Config, *, how: str) -> str:
    """What to say after a login, import or add made `saved` the active account."""
    details = f"account {saved.key}" + (f", plan {saved.plan}" if saved.plan else "")
    who = f"{saved.email} ({details})" if saved.email else details
    lines = [
        f"{how} {who}; it is now the active Codex account.",
        "Start the gateway with `codex2claudecode` (a running one switches by itself); "
        "`codex2claudecode accounts list` shows every account.",
    ]
    return "\n".join(lines + _override_note(saved.key, config))


def _list_notes(
    summaries: Sequence[AccountSummary], config: Config, store: CodexAccountStore
) -> list[str]:
    notes = ["* = the account requests use; switch with `codex2claudecode accounts use KEY`."]
    now = time.time()
    stale = [s for s in summaries if s.state(now) == "needs login"]
    for summary in stale:
        notes.append(f"{summary.key} needs a new login: {summary.problem}")
    if stale:
        notes.append(
            "Sign in to those accounts again with `codex2claudecode login` (or `accounts "
            "remove KEY`)."
        )
    if any(s.state(now) == "expired" for s in summaries):
        notes.append("Expired access tokens are refreshed on the next request.")
    if not store.path.exists():
        notes.append(
            f"This is the Codex CLI's own login ({store.codex_cli_path}); "
            "`codex2claudecode accounts import` adds it here to manage it with other accounts."
        )
    active = next((s for s in summaries if s.active), None)
    if active is None and config.codex_auth_account:
        notes.append(
            f"CODEX_AUTH_ACCOUNT={config.codex_auth_account} matches no account: requests fail "
            "until you change or unset it."
        )
    elif active is not None:
        notes.extend(_override_note(active.key, config))
    return notes


def _override_note(key: str, config: Config) -> list[str]:
    chosen = config.codex_auth_account
    if not chosen or chosen == key:
        return []
    return [
        f"Note: CODEX_AUTH_ACCOUNT={chosen} is set and takes precedence; unset it to use the "
        "active account."
    ]


def _local_time(epoch: float | None, tz: tzinfo | None) -> str:
    if epoch is None:
        return "-"
    return datetime.fromtimestamp(epoch, tz).strftime("%Y-%m-%d %H:%M")


# ---------------------------------------------------------------------- tokens


def _read_token(value: str, label: str) -> str:
    """A token given on the command line, or with `-` typed hidden (a TTY) or piped on stdin."""
    if value == "-":
        if sys.stdin.isatty():
            value = getpass.getpass(f"{label} (hidden): ")
        else:
            value = sys.stdin.readline()
    token = clean_token(value)
    if not token:
        raise InvalidRequest(f"{label} is empty.")
    return token
