"""`.account-info.json`, the non-secret file beside our managed accounts file (spec §2.6): each
account's name, e-mail, plan and `updatedAt`, the `activeAccount`, and the needs-login marks
left when the server refuses a refresh token. It never holds a token.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import orjson

from codex2claudecode.accounts.files import atomic_write, read_json

log = logging.getLogger(__name__)

ACCOUNT_INFO_NAME = ".account-info.json"
NEEDS_LOGIN = "needsLogin"
"""The `.account-info.json` field of an account whose refresh token the server refused."""


class AccountInfoFile:
    """One `.account-info.json`; writes keep fields we do not know, and only log failures."""

    def __init__(self, path: Path, *, clock: Callable[[], float]) -> None:
        self.path = path
        self._clock = clock

    def read(self) -> tuple[dict[str, object], dict[str, object]]:
        """The document and its accounts map ({} if unreadable); a legacy file, a bare
        key -> info map, comes back as a new document without an active account."""
        try:
            existing = read_json(self.path)
        except (OSError, ValueError):
            existing = None
        document = dict(existing) if isinstance(existing, dict) else {}
        if "accounts" in document:
            known = document["accounts"]
        else:
            known, document = document, {}
        return document, (dict(known) if isinstance(known, dict) else {})

    def active_account(self) -> object:
        """The `activeAccount` the file names (any JSON value), or None."""
        return self.read()[0].get("activeAccount")

    def write(
        self,
        infos: list[tuple[str, dict[str, object]]],
        *,
        touched: str | None,
        active: str | None = None,
        fresh: str | None = None,
    ) -> None:
        """Rewrite the file with the accounts `infos` (key, fields), in that order.

        `touched` gets a new `updatedAt`, `active` becomes the active account (else the
        current one stays if it still exists), and `fresh` loses its needs-login mark.
        """
        document, previous = self.read()
        now = _iso(self._clock())
        accounts: dict[str, object] = {}
        for key, info in infos:
            old = previous.get(key)
            merged = dict(old) if isinstance(old, dict) else {}
            merged.update(info)
            if key == fresh:
                merged.pop(NEEDS_LOGIN, None)
            if key == touched or "updatedAt" not in merged:
                merged["updatedAt"] = now
            accounts[key] = merged
        chosen = active or document.get("activeAccount")
        if chosen not in accounts:
            chosen = next(iter(accounts), None)
        document["activeAccount"] = chosen
        document["accounts"] = accounts
        self._store(document)

    def mark_needs_login(self, key: str, refresh_token: str, reason: str) -> None:
        """Mark account `key` as needing a new login because `refresh_token` was refused.

        The mark holds a digest of that refresh token, so `needs_login` stops reporting it
        once the account has other tokens.
        """
        document, infos = self.read()
        info = infos.get(key)
        marked = dict(info) if isinstance(info, dict) else {}
        marked[NEEDS_LOGIN] = {
            "reason": reason,
            "at": _iso(self._clock()),
            "refreshTokenSha256": _digest(refresh_token),
        }
        document["accounts"] = {**infos, key: marked}
        document.setdefault("activeAccount", key)
        self._store(document)

    def _store(self, document: dict[str, object]) -> None:
        try:
            atomic_write(self.path, orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n")
        except OSError as exc:
            log.warning("could not update %s: %s", self.path, exc)


def needs_login(info: object, refresh_token: str) -> str | None:
    """The reason of a needs-login mark in `info` that still applies to `refresh_token`."""
    mark = info.get(NEEDS_LOGIN) if isinstance(info, dict) else None
    if not isinstance(mark, dict) or mark.get("refreshTokenSha256") != _digest(refresh_token):
        return None
    reason = mark.get("reason")
    return reason if isinstance(reason, str) and reason else "its refresh token was refused"


def _digest(token: str) -> str:
    # Enough to recognise the token again, useless to anyone reading the (non-secret) file.
    return hashlib.sha256(token.encode()).hexdigest()[:16]


def _iso(epoch: float) -> str:
    return (
        datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )
