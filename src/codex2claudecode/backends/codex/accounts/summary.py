"""What `accounts list` shows of one Codex account: the `AccountSummary` the store builds from
an account's credentials, or from the entry that holds none usable, plus its
`.account-info.json` marks. A summary holds no secret.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from codex2claudecode.backends.codex.accounts.account_info import needs_login
from codex2claudecode.backends.codex.accounts.credentials import (
    CodexCredentials,
    entry_credentials,
    entry_info,
    entry_source,
)
from codex2claudecode.errors import NoAccount

AccountState = Literal["ok", "expired", "needs login"]


@dataclass(frozen=True, slots=True)
class AccountSummary:
    """One account as `accounts list` shows it; holds no secret."""

    key: str
    name: str | None
    email: str | None
    plan: str | None
    account_id: str | None
    expires_at: float | None
    """When the access token expires, in epoch seconds; None if nothing says."""
    active: bool
    """Whether requests use this account (CODEX_AUTH_ACCOUNT, else the active account)."""
    source: Path | None
    """The Codex CLI file the account's tokens stay in sync with, if it is linked to one."""
    problem: str | None
    """Why the account cannot be used until it signs in again, else None."""

    def state(self, now: float) -> AccountState:
        """`needs login`, `expired` (refreshed on next use) or `ok`, at `now` (epoch seconds)."""
        if self.problem is not None:
            return "needs login"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "ok"


def entry_summary(
    path: Path, entry: dict[str, object], index: int, infos: dict[str, object], *, active: bool
) -> AccountSummary:
    """The summary of the `index`th entry of the managed file at `path`.

    Args:
        infos: the accounts map of `.account-info.json`, key -> info.
        active: whether requests use this account.
    """
    key, info = entry_info(entry, index)
    source = entry_source(entry)
    try:
        creds = entry_credentials(path, entry, index)
    except NoAccount as exc:
        return AccountSummary(
            key=key,
            name=_str(info.get("name")),
            email=_str(info.get("email")),
            plan=_str(info.get("plan")),
            account_id=_str(info.get("accountId")),
            expires_at=None,
            active=active,
            source=source,
            problem=exc.message,
        )
    return credentials_summary(
        creds,
        infos.get(key),
        name=_str(entry.get("name")) or _str(entry.get("label")),
        active=active,
        source=source,
    )


def credentials_summary(
    creds: CodexCredentials, info: object, *, name: str | None, active: bool, source: Path | None
) -> AccountSummary:
    """The summary of usable `creds`, given their account's `.account-info.json` `info`."""
    return AccountSummary(
        key=creds.key,
        name=name,
        email=creds.email,
        plan=creds.plan,
        account_id=creds.account_id,
        expires_at=creds.expires_at,
        active=active,
        source=source,
        problem=needs_login(info, creds.refresh_token),
    )


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
