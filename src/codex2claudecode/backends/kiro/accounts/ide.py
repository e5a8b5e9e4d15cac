"""What the Kiro IDE keeps beside its token cache: the OIDC client registration
`<clientIdHash>.json` (IdC, Builder ID; original-kiro §2.4) and the profile ARN in its
`globalStorage/kiro.kiroagent/profile.json` (kiro-2026-update §2). Also how a managed entry
finds its account again in the IDE file it was imported from (§2.8 step 1).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

from codex2claudecode.accounts.files import read_json
from codex2claudecode.backends.kiro.accounts.credentials import entry_aliases, text

log = logging.getLogger(__name__)


class Registrations:
    """Reads `<clientIdHash>.json` registrations; warns once per file that is missing or bad."""

    def __init__(self, directories: Iterable[Path]) -> None:
        self._directories = list(dict.fromkeys(directories))
        self._warned: set[Path] = set()

    def for_entry(self, entry: dict[str, object]) -> dict[str, object] | None:
        """The registration the entry's `clientIdHash` names, if it is readable and complete.

        Its client id and secret stay in memory: they are never written into a token file.
        """
        client_hash = text(entry.get("clientIdHash"))
        if client_hash is None or "/" in client_hash or "\\" in client_hash:
            return None
        candidates = [d / f"{client_hash}.json" for d in self._directories]
        for path in candidates:
            try:
                raw = read_json(path)
            except (OSError, ValueError):
                self._warn(path, "Failed to parse {path}; SSO OIDC refresh will not be available.")
                continue
            if raw is None:
                continue
            if (
                isinstance(raw, dict)
                and text(raw.get("clientId"))
                and text(raw.get("clientSecret"))
            ):
                return raw
            self._warn(
                path,
                "{path} is missing clientId/clientSecret; SSO OIDC refresh will not be available.",
            )
        if candidates and not any(p.exists() for p in candidates):
            self._warn(
                candidates[0],
                "The Kiro client registration {path} was not found; SSO "
                "OIDC refresh will not be available.",
            )
        return None

    def _warn(self, path: Path, message: str) -> None:
        if path not in self._warned:
            self._warned.add(path)
            log.warning(message.format(path=path))


def read_profile_arn(path: Path | None) -> str | None:
    """The `arn` of the Kiro IDE's profile.json, or None if there is none to read."""
    if path is None:
        return None
    try:
        raw = read_json(path)
    except (OSError, ValueError):
        return None
    return text(raw.get("arn")) if isinstance(raw, dict) else None


def locate_source(entries: list[dict[str, object]], managed: dict[str, object]) -> int | None:
    """The entry of the IDE file that holds the managed entry's account (spec §2.8 step 1).

    By `sourceAccountKey` (any alias), else at `sourceAccountIndex` (default 0) when the entry
    has no `sourceAccountKey` or that entry looks like the same account; else None.
    """
    wanted = text(managed.get("sourceAccountKey"))
    if wanted is not None:
        for index, entry in enumerate(entries):
            if wanted in entry_aliases(entry, index):
                return index
    position = managed.get("sourceAccountIndex", 0)
    index = position if isinstance(position, int) and not isinstance(position, bool) else 0
    if not 0 <= index < len(entries):
        return None
    if wanted is None or same_account(entries[index], managed):
        return index
    return None


def same_account(a: dict[str, object], b: dict[str, object]) -> bool:
    """Whether two entries look like one account: a shared token, or an equal id field."""
    for name in ("accessToken", "refreshToken", "accountId", "email", "clientIdHash"):
        value = text(a.get(name))
        if value is not None and value == text(b.get(name)):
            return True
    return False
