"""Codex accounts on disk: our managed accounts file, with the Codex CLI's `auth.json` as
fallback source and write-back target, plus the non-secret `.account-info.json` beside ours.

Reads select one account (spec §2.5): `CODEX_AUTH_ACCOUNT`, else the `activeAccount` of
`.account-info.json`, else the first. Saves re-read the file under its lock, replace only the
selected entry and touch the Codex CLI file only when it holds the same account (DESIGN §4.2).
Logins and imports add accounts with `upsert`; `accounts list/use/remove` read `summaries`
and call `set_active` and `remove`.
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, TypeGuard

import orjson

from codex2claudecode.accounts import jwt
from codex2claudecode.accounts.files import FileLock, atomic_write, locked, read_json, signature
from codex2claudecode.config import Config
from codex2claudecode.errors import NoAccount

log = logging.getLogger(__name__)

ACCOUNT_INFO_NAME = ".account-info.json"
NEEDS_LOGIN = "needsLogin"
"""The `.account-info.json` field of an account whose refresh token the server refused."""
_WHITESPACE = re.compile(r"\s+")
_ENV_HINT = "set CODEX_AUTH_ACCOUNT to one of them, or unset it to use the active account."
_LIST_HINT = "run `codex2claudecode accounts list` to see them."

Fingerprint = tuple[tuple[int, int, int] | None, ...]
"""What changes when one of the store's files changes: (mtime_ns, size, inode) per file."""

AccountState = Literal["ok", "expired", "needs login"]


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


@dataclass(slots=True)
class _Managed:
    entries: list[dict[str, object]]
    is_array: bool


class CodexAccountStore:
    """The Codex accounts of one managed file, one of them selected by `account`.

    When the managed file does not exist, the Codex CLI file (`$CODEX_HOME/auth.json`) is
    the store. Methods named `*_locked` expect the caller to hold `lock()`.
    """

    def __init__(
        self,
        path: Path,
        *,
        codex_cli_path: Path,
        account: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = path
        self.codex_cli_path = codex_cli_path
        self.account = account
        self._clock = clock

    @classmethod
    def from_config(cls, config: Config) -> CodexAccountStore:
        return cls(
            config.codex_auth_path,
            codex_cli_path=config.codex_cli_auth_path,
            account=config.codex_auth_account,
        )

    @property
    def account_info_path(self) -> Path:
        return self.path.parent / ACCOUNT_INFO_NAME

    def lock(self) -> FileLock:
        """The cross-process lock that serialises refreshes and saves of this store."""
        return locked(self.path)

    def fingerprint(self) -> Fingerprint:
        """Changes whenever the managed, account-info or Codex CLI file changes (`stat` calls)."""
        return (
            signature(self.path),
            signature(self.codex_cli_path),
            signature(self.account_info_path),
        )

    # ------------------------------------------------------------------ reading

    def load(self) -> CodexCredentials:
        """The selected account's credentials.

        Raises:
            NoAccount: no file holds a usable account, or `account` matches none of them.
        """
        managed = self._read_managed()
        if managed is None:
            return self._load_cli()
        index = self._select(managed.entries)
        return _entry_credentials(self.path, managed.entries[index], index)

    def keys(self) -> list[str]:
        """The keys of every account in the store, in file order."""
        managed = self._read_managed()
        if managed is None:
            cli = _read_cli(self.codex_cli_path)
            return [] if cli is None else [cli.key]
        return [_entry_key(entry, i) for i, entry in enumerate(managed.entries)]

    def _read_managed(self) -> _Managed | None:
        try:
            raw = read_json(self.path)
        except ValueError as exc:
            raise NoAccount(f"Codex accounts file {exc}; fix or remove it.") from exc
        if raw is None:
            return None
        if isinstance(raw, dict):
            return _Managed([raw], is_array=False)
        if isinstance(raw, list) and all(isinstance(entry, dict) for entry in raw):
            return _Managed(raw, is_array=True)
        raise NoAccount(
            f"Codex accounts file {self.path} must hold an account object or an array of them."
        )

    def _select(self, entries: list[dict[str, object]]) -> int:
        if not entries:
            raise NoAccount(
                f"Codex accounts file {self.path} does not contain any accounts; add one, "
                "or remove the file to use the Codex CLI login."
            )
        if self.account is None:
            return self._active_index(entries)
        return self._match(entries, self.account, hint=_ENV_HINT)

    def _match(self, entries: list[dict[str, object]], selector: str, *, hint: str) -> int:
        keys = [_entry_key(entry, i) for i, entry in enumerate(entries)]
        for index, entry in enumerate(entries):
            names = [entry.get(f) for f in ("name", "label", "email", "accountId")]
            names += [entry.get("sourceAccountKey"), keys[index]]
            names.append(jwt.email(_str(entry.get("idToken")), _str(entry.get("access"))))
            if selector in names:
                return index
        raise _unknown_account(self.path, selector, keys, hint=hint)

    def _active_index(self, entries: list[dict[str, object]]) -> int:
        """The account `.account-info.json` marks active (spec §2.6), else the first."""
        active = self._account_info()[0].get("activeAccount")
        for index, entry in enumerate(entries):
            if _entry_key(entry, index) == active:
                return index
        return 0

    def _find(self, entries: list[dict[str, object]], creds: CodexCredentials) -> int:
        for index, entry in enumerate(entries):
            if _entry_key(entry, index) == creds.key:
                return index
        return self._select(entries)

    def _load_cli(self) -> CodexCredentials:
        cli = _read_cli(self.codex_cli_path)
        if cli is None:
            raise NoAccount(
                f"No Codex account found (looked for {self.path} and {self.codex_cli_path}). "
                "Sign in with the Codex CLI (`codex login`), or set CODEX_AUTH_FILE to a "
                "Codex accounts file."
            )
        if self.account is not None and self.account not in (cli.key, cli.account_id, cli.email):
            raise _unknown_account(self.codex_cli_path, self.account, [cli.key], hint=_ENV_HINT)
        return cli

    def summaries(self) -> list[AccountSummary]:
        """Every account in the store, in file order, with what `accounts list` shows.

        Raises:
            NoAccount: a file is unreadable or holds no account list.
        """
        managed = self._read_managed()
        _, infos = self._account_info()
        if managed is None:
            cli = _read_cli(self.codex_cli_path)
            if cli is None:
                return []
            chosen = self.account in (None, cli.key, cli.account_id, cli.email)
            info = infos.get(cli.key)
            return [_summary(cli, info, name=None, active=chosen, source=self.codex_cli_path)]
        try:
            active: int | None = self._select(managed.entries)
        except NoAccount:
            active = None
        return [
            _entry_summary(self.path, entry, i, infos, active=i == active)
            for i, entry in enumerate(managed.entries)
        ]

    # ------------------------------------------------------------------ writing

    def save(self, creds: CodexCredentials) -> CodexCredentials:
        """Store refreshed `creds` for their account; see `save_locked`."""
        with self.lock():
            return self.save_locked(creds)

    def save_locked(self, creds: CodexCredentials) -> CodexCredentials:
        """Store `creds` over their account's entry and sync the Codex CLI file.

        The file is re-read, only the entry for `creds.key` is changed (unknown keys kept),
        and the Codex CLI file is updated only if it holds the same account. Returns the
        credentials as now stored.
        """
        managed = self._read_managed()
        if managed is None:
            # The Codex CLI file is the store itself.
            self._write_cli(self.codex_cli_path, creds, owner=creds.account_id)
            self._write_account_info([_info_of(creds)], touched=creds.key)
            return _read_cli(self.codex_cli_path) or creds
        index = self._find(managed.entries, creds)
        entry = _merged_entry(managed.entries[index], creds)
        managed.entries[index] = entry
        self._write_managed(managed)
        owner = _str(entry.get("sourceAccountKey")) or creds.account_id
        self._write_cli(self._source_path(entry), creds, owner=owner)
        self._write_managed_info(managed, touched=creds.key)
        return _entry_credentials(self.path, entry, index)

    def adopt_codex_cli_locked(self, current: CodexCredentials) -> CodexCredentials | None:
        """Take newer tokens for `current`'s account from the Codex CLI file, if it has them.

        Newer means: same account id, different tokens, a later access-token expiry. The
        adopted tokens are saved in the managed file and returned; otherwise None.
        """
        managed = self._read_managed()
        if managed is None:
            return None  # `load` reads the Codex CLI file directly; nothing to adopt
        index = self._find(managed.entries, current)
        entry = managed.entries[index]
        try:
            theirs = _read_cli(self._source_path(entry))
        except NoAccount:
            return None
        owner = _str(entry.get("sourceAccountKey")) or current.account_id
        if theirs is None or owner is None or theirs.account_id != owner:
            return None
        if (theirs.access_token, theirs.refresh_token) == (
            current.access_token,
            current.refresh_token,
        ):
            return None
        if _or_never(theirs.expires_at) <= _or_never(current.expires_at):
            return None
        adopted = _merged_entry(entry, theirs)
        managed.entries[index] = adopted
        self._write_managed(managed)
        self._write_managed_info(managed, touched=current.key)
        return _entry_credentials(self.path, adopted, index)

    # ------------------------------------------------------------------ managing accounts

    def upsert(
        self, creds: CodexCredentials, *, link: Path | None = None, write_back: bool = False
    ) -> CodexCredentials:
        """Add `creds` as an account, or give the account with the same key these tokens.

        The file becomes an array (spec §2.7) and the account the active one; its name, label
        and unknown fields are kept. Returns the credentials as stored.

        Args:
            link: the Codex CLI file this account was imported from, kept for syncing.
            write_back: also update the linked (else the default) Codex CLI file when it
                holds the same account, so a pasted token it shares stays usable there.
        """
        with self.lock():
            managed = self._read_managed() or _Managed([], is_array=True)
            managed.is_array = True
            index = _index_of(managed.entries, creds)
            base = {} if index is None else dict(managed.entries[index])
            for stale in ("idToken", "expires"):  # from an older login of the account
                base.pop(stale, None)
            entry = _merged_entry(base, creds)
            if link is not None:
                entry["sourceAuthFile"] = str(link)
                if creds.account_id:
                    entry["sourceAccountKey"] = creds.account_id
            if index is None:
                index = len(managed.entries)
                managed.entries.append(entry)
            else:
                managed.entries[index] = entry
            self._write_managed(managed)
            key = _entry_key(entry, index)
            self._write_managed_info(managed, touched=key, active=key, fresh=key)
            if write_back:
                owner = _str(entry.get("sourceAccountKey")) or creds.account_id
                self._write_cli(self._source_path(entry), creds, owner=owner)
            return _entry_credentials(self.path, entry, index)

    def import_codex_cli(self, source: Path | None = None) -> CodexCredentials:
        """Add the Codex CLI's login (`source`, default its `auth.json`) as a linked account.

        No network: the tokens are taken as they are, and stay in sync with that file from then
        on (spec §2.7). The account becomes the active one; returns it as stored.

        Raises:
            NoAccount: the file is missing or holds no usable ChatGPT login.
        """
        path = (source or self.codex_cli_path).expanduser().absolute()
        cli = _read_cli(path)
        if cli is None:
            raise NoAccount(
                f"There is no Codex CLI login in {path}. Sign in there with `codex login`, or "
                "sign in here with `codex2claudecode login`."
            )
        if cli.account_id is None:
            raise NoAccount(
                f"The Codex CLI login in {path} names no ChatGPT account id; run `codex login` "
                "again, or sign in here with `codex2claudecode login`."
            )
        return self.upsert(cli, link=path)

    def set_active(self, selector: str) -> str:
        """Make the account `selector` names (as CODEX_AUTH_ACCOUNT would) the active one.

        Returns its key. Raises NoAccount when no account matches.
        """
        with self.lock():
            managed = self._read_managed()
            if managed is None:
                cli = self._load_cli_named(selector)
                self._write_account_info([_info_of(cli)], touched=None, active=cli.key)
                return cli.key
            index = self._match(managed.entries, selector, hint=_LIST_HINT)
            key = _entry_key(managed.entries[index], index)
            self._write_managed_info(managed, touched=None, active=key)
            return key

    def remove(self, selector: str) -> str:
        """Delete the account `selector` names from the managed file; returns its key.

        The Codex CLI file is never touched. When the active account goes, the first one left
        becomes active.

        Raises:
            NoAccount: no account matches, or the only account is the Codex CLI's own login.
        """
        with self.lock():
            managed = self._read_managed()
            if managed is None:
                self._load_cli_named(selector)
                raise NoAccount(
                    f"That account is the Codex CLI's own login in {self.codex_cli_path}, which "
                    "this tool never deletes; sign out there with `codex logout`."
                )
            index = self._match(managed.entries, selector, hint=_LIST_HINT)
            key = _entry_key(managed.entries[index], index)
            del managed.entries[index]
            if not managed.entries:
                managed.is_array = True
            self._write_managed(managed)
            self._write_managed_info(managed, touched=None)
            return key

    def mark_needs_login_locked(self, creds: CodexCredentials, reason: str) -> None:
        """Record that the server refused `creds`' refresh token, for `accounts list` to show.

        The mark holds a digest of that refresh token, so it lapses by itself once the account
        has other tokens (a new login, or an adopted Codex CLI refresh).
        """
        document, infos = self._account_info()
        info = infos.get(creds.key)
        marked = dict(info) if isinstance(info, dict) else {}
        marked[NEEDS_LOGIN] = {
            "reason": reason,
            "at": _iso(self._clock(), timespec="milliseconds"),
            "refreshTokenSha256": _digest(creds.refresh_token),
        }
        document["accounts"] = {**infos, creds.key: marked}
        document.setdefault("activeAccount", creds.key)
        self._store_account_info(document)

    def _load_cli_named(self, selector: str) -> CodexCredentials:
        cli = _read_cli(self.codex_cli_path)
        if cli is None:
            raise NoAccount(
                "There are no Codex accounts yet; run `codex2claudecode login` to add one."
            )
        if selector not in (cli.key, cli.account_id, cli.email):
            raise _unknown_account(self.codex_cli_path, selector, [cli.key], hint=_LIST_HINT)
        return cli

    def _source_path(self, entry: dict[str, object]) -> Path:
        source = _str(entry.get("sourceAuthFile"))
        return Path(source).expanduser() if source else self.codex_cli_path

    def _write_managed(self, managed: _Managed) -> None:
        document: object = managed.entries if managed.is_array else managed.entries[0]
        atomic_write(self.path, _pretty(document))

    def _write_cli(self, path: Path, creds: CodexCredentials, *, owner: str | None) -> None:
        # A foreign file: written only when it holds the same account, every other key kept.
        try:
            raw = read_json(path)
        except (OSError, ValueError):
            return
        if owner is None or not isinstance(raw, dict):
            return
        tokens = raw.get("tokens")
        if raw.get("auth_mode") not in (None, "chatgpt") or not isinstance(tokens, dict):
            return
        if _cli_account_id(tokens) != owner:
            return
        tokens["access_token"] = creds.access_token
        tokens["refresh_token"] = creds.refresh_token
        if creds.id_token:
            tokens["id_token"] = creds.id_token
        if creds.account_id:
            tokens["account_id"] = creds.account_id
        raw["last_refresh"] = _iso(self._clock(), timespec="microseconds")
        try:
            atomic_write(path, _pretty(raw))
        except OSError as exc:
            log.warning("could not update the Codex CLI auth file %s: %s", path, exc)

    def _write_managed_info(
        self,
        managed: _Managed,
        *,
        touched: str | None,
        active: str | None = None,
        fresh: str | None = None,
    ) -> None:
        infos = [_entry_info(entry, i) for i, entry in enumerate(managed.entries)]
        self._write_account_info(infos, touched=touched, active=active, fresh=fresh)

    def _write_account_info(
        self,
        infos: list[tuple[str, dict[str, object]]],
        *,
        touched: str | None,
        active: str | None = None,
        fresh: str | None = None,
    ) -> None:
        """Rewrite `.account-info.json` (spec §2.6): no tokens, unknown fields kept.

        `touched` gets a new `updatedAt`, `active` becomes the active account (else the
        current one stays if it still exists), and `fresh` loses its needs-login mark.
        """
        document, previous = self._account_info()
        now = _iso(self._clock(), timespec="milliseconds")
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
        self._store_account_info(document)

    def _account_info(self) -> tuple[dict[str, object], dict[str, object]]:
        """`.account-info.json` and its accounts map ({} if unreadable); a legacy file, a bare
        key -> info map, comes back as a new document without an active account."""
        try:
            existing = read_json(self.account_info_path)
        except (OSError, ValueError):
            existing = None
        document = dict(existing) if isinstance(existing, dict) else {}
        if "accounts" in document:
            known = document["accounts"]
        else:
            known, document = document, {}
        return document, (dict(known) if isinstance(known, dict) else {})

    def _store_account_info(self, document: dict[str, object]) -> None:
        try:
            atomic_write(self.account_info_path, _pretty(document))
        except OSError as exc:
            log.warning("could not update %s: %s", self.account_info_path, exc)


# ---------------------------------------------------------------------- entries


def _entry_credentials(path: Path, entry: dict[str, object], index: int) -> CodexCredentials:
    key = _entry_key(entry, index)
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


def _entry_key(entry: dict[str, object], index: int) -> str:
    found = _str(entry.get("accountId")) or jwt.chatgpt_account_id(
        _str(entry.get("idToken")), _str(entry.get("access"))
    )
    for field in ("email", "label", "name"):
        found = found or _str(entry.get(field))
    return found or f"account-{index + 1}"


def _entry_info(entry: dict[str, object], index: int) -> tuple[str, dict[str, object]]:
    id_token, access = _str(entry.get("idToken")), _str(entry.get("access"))
    info: dict[str, object] = {
        "name": _str(entry.get("name")),
        "email": _str(entry.get("email")) or jwt.email(id_token, access),
        "plan": jwt.plan(id_token, access),
        "accountId": _str(entry.get("accountId")) or jwt.chatgpt_account_id(id_token, access),
    }
    return _entry_key(entry, index), {k: v for k, v in info.items() if v is not None}


def _index_of(entries: list[dict[str, object]], creds: CodexCredentials) -> int | None:
    """The entry of the same account (by account id, else e-mail), or None."""
    wanted = creds.account_id or creds.email
    for index, entry in enumerate(entries):
        if wanted is not None and _entry_key(entry, index) == wanted:
            return index
    return None


def _entry_summary(
    path: Path, entry: dict[str, object], index: int, infos: dict[str, object], *, active: bool
) -> AccountSummary:
    key, info = _entry_info(entry, index)
    source = _str(entry.get("sourceAuthFile"))
    try:
        creds = _entry_credentials(path, entry, index)
    except NoAccount as exc:
        return AccountSummary(
            key=key,
            name=_str(info.get("name")),
            email=_str(info.get("email")),
            plan=_str(info.get("plan")),
            account_id=_str(info.get("accountId")),
            expires_at=None,
            active=active,
            source=Path(source) if source else None,
            problem=exc.message,
        )
    return _summary(
        creds,
        infos.get(key),
        name=_str(entry.get("name")) or _str(entry.get("label")),
        active=active,
        source=Path(source) if source else None,
    )


def _summary(
    creds: CodexCredentials, info: object, *, name: str | None, active: bool, source: Path | None
) -> AccountSummary:
    return AccountSummary(
        key=creds.key,
        name=name,
        email=creds.email,
        plan=creds.plan,
        account_id=creds.account_id,
        expires_at=creds.expires_at,
        active=active,
        source=source,
        problem=_needs_login(info, creds.refresh_token),
    )


def _needs_login(info: object, refresh_token: str) -> str | None:
    """The reason of a needs-login mark that still applies to `refresh_token`, else None."""
    mark = info.get(NEEDS_LOGIN) if isinstance(info, dict) else None
    if not isinstance(mark, dict) or mark.get("refreshTokenSha256") != _digest(refresh_token):
        return None
    return _str(mark.get("reason")) or "its refresh token was refused"


def _info_of(creds: CodexCredentials) -> tuple[str, dict[str, object]]:
    info = {"email": creds.email, "plan": creds.plan, "accountId": creds.account_id}
    return creds.key, {k: v for k, v in info.items() if v is not None}


def _merged_entry(entry: dict[str, object], creds: CodexCredentials) -> dict[str, object]:
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


# ---------------------------------------------------------------------- Codex CLI file


def _read_cli(path: Path) -> CodexCredentials | None:
    """The account in a Codex CLI `auth.json` (protocols §5c), or None if there is no file.

    Raises:
        NoAccount: the file exists but holds no usable ChatGPT login.
    """
    try:
        raw = read_json(path)
    except ValueError as exc:
        raise NoAccount(f"Codex CLI auth file {exc}; run `codex login` again.") from exc
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise NoAccount(f"Codex CLI auth file {path} is not a JSON object; run `codex login`.")
    mode = raw.get("auth_mode")
    if mode not in (None, "chatgpt"):
        raise NoAccount(
            f"Codex CLI auth file {path} uses auth_mode {mode!r}; only a ChatGPT login works "
            "here: run `codex login` and sign in with ChatGPT."
        )
    tokens = raw.get("tokens")
    tokens = tokens if isinstance(tokens, dict) else {}
    access, refresh = (
        clean_token(tokens.get("access_token")),
        clean_token(tokens.get("refresh_token")),
    )
    if not access or not refresh:
        raise NoAccount(
            f"Codex CLI auth file {path} has no ChatGPT tokens; run `codex login` to sign in."
        )
    id_token = clean_token(tokens.get("id_token"))
    account_id = _cli_account_id(tokens)
    email = jwt.email(id_token, access)
    return CodexCredentials(
        access_token=access,
        refresh_token=refresh,
        id_token=id_token,
        expires_at=jwt.expiry(access),
        account_id=account_id,
        email=email,
        plan=jwt.plan(id_token, access),
        key=account_id or email or "account-1",
    )


def _cli_account_id(tokens: dict[str, object]) -> str | None:
    return _str(tokens.get("account_id")) or jwt.chatgpt_account_id(
        clean_token(tokens.get("id_token")), clean_token(tokens.get("access_token"))
    )


# ---------------------------------------------------------------------- small helpers


def _unknown_account(path: Path, account: str, keys: list[str], *, hint: str) -> NoAccount:
    available = ", ".join(keys) or "none"
    return NoAccount(
        f"{path} does not contain Codex account {account!r} (available: {available}); {hint}"
    )


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


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _or_never(expires_at: float | None) -> float:
    return -math.inf if expires_at is None else expires_at


def _digest(token: str) -> str:
    # Enough to recognise the token again, useless to anyone reading the (non-secret) file.
    return hashlib.sha256(token.encode()).hexdigest()[:16]


def _iso(epoch: float, *, timespec: str) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec=timespec).replace("+00:00", "Z")


def _pretty(document: object) -> bytes:
    return orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n"
