"""Codex credentials, and the entries of our managed accounts file that hold them (spec §2.5,
§2.7). Pure functions over parsed JSON: the store reads and writes the file; these turn entries
into `CodexCredentials` and back, name and match them, and tell which of two logins is newer.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TypeGuard

from codex2claudecode.backends.codex.accounts import jwt
from codex2claudecode.errors import NoAccount

_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class CodexCredentials:
    access_token: str
    refresh_token: str
    id_token: str | None
    expires_at: float | None
    """When the access token expires, in epoch seconds; None if nothing says."""
    account_id: str | None
    """The ChatGPT account id, sent upstream as `chatgpt-account-id`."""
    email: str | None
    plan: str | None
    key: str
    """The account's key in its file (spec §2.5): account id, else e-mail, label, name, index."""


def clean_token(value: object) -> str | None:
    """A pasted token without surrounding quotes or any whitespace (spec §2.4)."""
    if not isinstance(value, str):
        return None
    token = value.strip()
    if token[:1] in ("'", '"'):
        token = token[1:]
    if token[-1:] in ("'", '"'):
        token = token[:-1]
    return _WHITESPACE.sub("", token) or None


def entry_credentials(path: Path, entry: dict[str, object], index: int) -> CodexCredentials:
    """The credentials of the `index`th entry of the managed file at `path`.

    Raises:
        NoAccount: the entry is not an oauth account or lacks its access or refresh token.
    """
    key = entry_key(entry, index)
    if entry.get("type") != "oauth":
        raise NoAccount(
            f"Account {key!r} in {path} is not an oauth account (type must be 'oauth')."
        )
    access = clean_token(entry.get("access"))
    refresh = clean_token(entry.get("refresh"))
    if not access or not refresh:
        missing = "access" if not access else "refresh"
        raise NoAccount(
            f"Account {key!r} in {path} is missing its {missing} token; sign in to it again."
        )
    id_token = clean_token(entry.get("idToken"))
    expires = entry.get("expires")
    expires_at = expires / 1000 if _is_number(expires) else jwt.expiry(access)
    return CodexCredentials(
        access_token=access,
        refresh_token=refresh,
        id_token=id_token,
        expires_at=expires_at,
        account_id=_str(entry.get("accountId")) or jwt.chatgpt_account_id(id_token, access),
        email=_str(entry.get("email")) or jwt.email(id_token, access),
        plan=jwt.plan(id_token, access),
        key=key,
    )


def entry_key(entry: dict[str, object], index: int) -> str:
    """The entry's key (spec §2.5): account id, else e-mail, label, name, `account-<n>`."""
    found = _str(entry.get("accountId")) or jwt.chatgpt_account_id(
        _str(entry.get("idToken")), _str(entry.get("access"))
    )
    for field in ("email", "label", "name"):
        found = found or _str(entry.get(field))
    return found or f"account-{index + 1}"


def entry_names(entry: dict[str, object], key: str) -> list[object]:
    """Every value a selector (CODEX_AUTH_ACCOUNT, `accounts use`) may name the entry by."""
    names = [entry.get(f) for f in ("name", "label", "email", "accountId")]
    names += [entry.get("sourceAccountKey"), key]
    names.append(jwt.email(_str(entry.get("idToken")), _str(entry.get("access"))))
    return names


def entry_info(entry: dict[str, object], index: int) -> tuple[str, dict[str, object]]:
    """The entry's key and its non-secret `.account-info.json` fields (spec §2.6)."""
    id_token, access = _str(entry.get("idToken")), _str(entry.get("access"))
    info: dict[str, object] = {
        "name": _str(entry.get("name")),
        "email": _str(entry.get("email")) or jwt.email(id_token, access),
        "plan": jwt.plan(id_token, access),
        "accountId": _str(entry.get("accountId")) or jwt.chatgpt_account_id(id_token, access),
    }
    return entry_key(entry, index), {k: v for k, v in info.items() if v is not None}


def credentials_info(creds: CodexCredentials) -> tuple[str, dict[str, object]]:
    """The key and non-secret `.account-info.json` fields of `creds`' account."""
    info = {"email": creds.email, "plan": creds.plan, "accountId": creds.account_id}
    return creds.key, {k: v for k, v in info.items() if v is not None}


def entry_source(entry: dict[str, object]) -> Path | None:
    """The Codex CLI file the entry was imported from and stays in sync with, if any."""
    source = _str(entry.get("sourceAuthFile"))
    return Path(source) if source else None


def entry_owner(entry: dict[str, object], creds: CodexCredentials) -> str | None:
    """The account id a Codex CLI file must hold to share tokens with the entry of `creds`."""
    return _str(entry.get("sourceAccountKey")) or creds.account_id


def index_of(entries: list[dict[str, object]], creds: CodexCredentials) -> int | None:
    """The entry of the same account (by account id, else e-mail), or None."""
    wanted = creds.account_id or creds.email
    for index, entry in enumerate(entries):
        if wanted is not None and entry_key(entry, index) == wanted:
            return index
    return None


def merged_entry(entry: dict[str, object], creds: CodexCredentials) -> dict[str, object]:
    """A copy of `entry` holding the tokens of `creds`; its other fields are kept."""
    merged = dict(entry)
    merged["type"] = "oauth"
    merged["access"] = creds.access_token
    merged["refresh"] = creds.refresh_token
    if creds.expires_at is None:
        merged.pop("expires", None)
    else:
        merged["expires"] = math.floor(creds.expires_at * 1000)
    if creds.account_id:
        merged["accountId"] = creds.account_id
    if creds.id_token:
        merged["idToken"] = creds.id_token
    return merged


def login_entry(
    previous: dict[str, object] | None, creds: CodexCredentials, *, link: Path | None
) -> dict[str, object]:
    """The entry for a new login of `creds`' account, over its `previous` entry if it has one.

    The previous name, label and unknown fields stay; its id token and expiry, from an older
    login, go. `link` is the Codex CLI file the account was imported from, kept for syncing.
    """
    base = {} if previous is None else dict(previous)
    for stale in ("idToken", "expires"):
        base.pop(stale, None)
    entry = merged_entry(base, creds)
    if link is not None:
        entry["sourceAuthFile"] = str(link)
        if creds.account_id:
            entry["sourceAccountKey"] = creds.account_id
    return entry


def is_newer_login(theirs: CodexCredentials, ours: CodexCredentials, *, owner: str | None) -> bool:
    """Whether `theirs` are newer tokens than `ours` for the account with id `owner`.

    Newer means other tokens with a later access-token expiry; no expiry counts as the earliest.
    """
    if owner is None or theirs.account_id != owner:
        return False
    if (theirs.access_token, theirs.refresh_token) == (ours.access_token, ours.refresh_token):
        return False
    return _or_never(theirs.expires_at) > _or_never(ours.expires_at)


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _or_never(expires_at: float | None) -> float:
    return -math.inf if expires_at is None else expires_at
