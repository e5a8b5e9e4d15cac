"""What `accounts list --provider kiro` shows of one Kiro account, and the needs-login mark a
refused refresh leaves on a managed entry. A summary holds no secret.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from codex2claudecode.backends.kiro.accounts.credentials import AuthKind, format_expiry

AccountState = Literal["ok", "expired", "needs login", "unusable"]
NEEDS_LOGIN = "needsLogin"
"""The managed-entry field of an account whose refresh token the server refused."""


@dataclass(frozen=True, slots=True)
class KiroAccountSummary:
    """One Kiro account as `accounts list` shows it; holds no secret."""

    key: str
    label: str | None
    email: str | None
    kind: AuthKind | None
    """None when the entry cannot be read (see `problem`)."""
    region: str | None
    profile_arn: str | None
    expires_at: float | None
    active: bool
    """Whether requests use this account (KIRO_AUTH_ACCOUNT, else the active one)."""
    source: Path | None
    """The Kiro IDE file the account's tokens stay in sync with, if it is linked to one."""
    problem: str | None
    needs_login: bool = False
    name: str = ""
    """The short name people know the account by (`names`): label, e-mail, else made up."""

    def state(self, now: float) -> AccountState:
        """`needs login`, `unusable`, `expired` (refreshed on next use) or `ok`, at `now`."""
        if self.needs_login:
            return "needs login"
        if self.problem is not None:
            return "unusable"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "ok"


def needs_login_mark(reason: str, refresh_token: str, now: float) -> dict[str, object]:
    """The mark left on an entry whose refresh token was refused; it holds a digest of that
    token only, so it lapses by itself once the entry has other tokens."""
    return {
        "reason": reason,
        "at": format_expiry(now),
        "refreshTokenSha256": _digest(refresh_token),
    }


def needs_login_reason(entry: dict[str, object]) -> str | None:
    """The reason of a needs-login mark on `entry` that still applies to its refresh token."""
    mark = entry.get(NEEDS_LOGIN)
    token = entry.get("refreshToken")
    if not isinstance(mark, dict) or not isinstance(token, str):
        return None
    if mark.get("refreshTokenSha256") != _digest(token.strip()):
        return None
    reason = mark.get("reason")
    return reason if isinstance(reason, str) and reason else "its refresh token was refused"


def _digest(token: str) -> str:
    # Enough to recognise the token again, useless to anyone who reads it.
    return hashlib.sha256(token.encode()).hexdigest()[:16]
