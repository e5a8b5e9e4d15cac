"""The Codex account store: our managed accounts file, else the Codex CLI's `auth.json`. It
selects one account (spec §2.5: `CODEX_AUTH_ACCOUNT`, else the active one, else the first),
saves refreshed tokens under its lock, writing the Codex CLI file only when it holds the same
account (DESIGN §4.2), and adds, lists, activates and removes accounts.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import orjson

from codex2claudecode.accounts.files import (
    FileLock,
    atomic_write,
    locked,
    read_json,
    signature,
    tidy,
)
from codex2claudecode.backends.codex.accounts.account_info import ACCOUNT_INFO_NAME, AccountInfoFile
from codex2claudecode.backends.codex.accounts.cli_file import (
    read_codex_cli,
    read_codex_cli_for_import,
    write_codex_cli,
)
from codex2claudecode.backends.codex.accounts.credentials import (
    CodexCredentials,
    credentials_info,
    entry_credentials,
    entry_info,
    entry_key,
    entry_names,
    entry_owner,
    entry_source,
    index_of,
    is_newer_login,
    login_entry,
    merged_entry,
)
from codex2claudecode.backends.codex.accounts.summary import (
    AccountSummary,
    credentials_summary,
    entry_summary,
)
from codex2claudecode.config import Config
from codex2claudecode.errors import NoAccount

__all__ = ["CodexAccountStore", "CodexCredentials", "Fingerprint"]

_ENV_HINT = "set CODEX_AUTH_ACCOUNT to one of them, or unset it to use the active account."
_LIST_HINT = "run `codex2claudecode accounts list` to see them."

Fingerprint = tuple[tuple[int, int, int] | None, ...]
"""What changes when one of the store's files changes: (mtime_ns, size, inode) per file."""


@dataclass(slots=True)
class _Managed:
    entries: list[dict[str, object]]
    is_array: bool


CODEX_CLI = "the Codex CLI"
"""Whose file `codex_cli_path` is, in what start-up care says of it."""


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
        self._info = AccountInfoFile(path.parent / ACCOUNT_INFO_NAME, clock=clock)
        self._tidied = False

    @classmethod
    def from_config(cls, config: Config) -> CodexAccountStore:
        return cls(
            config.codex_auth_path,
            codex_cli_path=config.codex_cli_auth_path,
            account=config.codex_auth_account,
        )

    @property
    def account_info_path(self) -> Path:
        return self._info.path

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
        if not self._tidied:
            # We write refreshed tokens back to the Codex CLI's file (or use it as the store):
            # what a killed write of ours left beside it goes, and a loose mode is said once.
            self._tidied = True
            tidy(self.codex_cli_path, now=self._clock(), owner=CODEX_CLI)
        managed = self._read_managed()
        if managed is None:
            return self._load_cli()
        index = self._select(managed.entries)
        return entry_credentials(self.path, managed.entries[index], index)

    def keys(self) -> list[str]:
        """The keys of every account in the store, in file order."""
        managed = self._read_managed()
        if managed is None:
            cli = self._codex_cli_or_none()
            return [] if cli is None else [cli.key]
        return [entry_key(entry, i) for i, entry in enumerate(managed.entries)]

    def foreign_problem(self) -> str | None:
        """Why the Codex CLI file is skipped, when it exists but holds no usable login.

        Only our own file's accounts are used then; the message names the file and the fix.
        """
        try:
            read_codex_cli(self.codex_cli_path)
        except NoAccount as exc:
            return exc.message
        return None

    def _codex_cli_or_none(self) -> CodexCredentials | None:
        """The Codex CLI login, or None when there is none or its file is broken (see
        `foreign_problem`): a foreign file never stops `summaries` or `keys`."""
        try:
            return read_codex_cli(self.codex_cli_path)
        except NoAccount:
            return None

    def summaries(self) -> list[AccountSummary]:
        """Every account in the store, in file order, with what `accounts list` shows.

        A broken Codex CLI file is skipped (see `foreign_problem`).

        Raises:
            NoAccount: our accounts file is unreadable or holds no account list.
        """
        managed = self._read_managed()
        _, infos = self._info.read()
        if managed is None:
            cli = self._codex_cli_or_none()
            if cli is None:
                return []
            chosen = self.account in (None, cli.key, cli.account_id, cli.email)
            info = infos.get(cli.key)
            return [
                credentials_summary(cli, info, name=None, active=chosen, source=self.codex_cli_path)
            ]
        try:
            active: int | None = self._select(managed.entries)
        except NoAccount:
            active = None
        return [
            entry_summary(self.path, entry, i, infos, active=i == active)
            for i, entry in enumerate(managed.entries)
        ]

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
        keys = [entry_key(entry, i) for i, entry in enumerate(entries)]
        for index, entry in enumerate(entries):
            if selector in entry_names(entry, keys[index]):
                return index
        raise _unknown_account(self.path, selector, keys, hint=hint)

    def _active_index(self, entries: list[dict[str, object]]) -> int:
        """The account `.account-info.json` marks active (spec §2.6), else the first."""
        active = self._info.active_account()
        for index, entry in enumerate(entries):
            if entry_key(entry, index) == active:
                return index
        return 0

    def _find(self, entries: list[dict[str, object]], creds: CodexCredentials) -> int:
        for index, entry in enumerate(entries):
            if entry_key(entry, index) == creds.key:
                return index
        return self._select(entries)

    def _load_cli(self) -> CodexCredentials:
        cli = read_codex_cli(self.codex_cli_path)
        if cli is None:
            raise NoAccount(
                f"No Codex account found (looked for {self.path} and {self.codex_cli_path}). "
                "Sign in with `codex2claudecode login` (`login --device` without a browser), "
                "or point CODEX_AUTH_FILE at a Codex accounts file."
            )
        if self.account is not None and self.account not in (cli.key, cli.account_id, cli.email):
            raise _unknown_account(self.codex_cli_path, self.account, [cli.key], hint=_ENV_HINT)
        return cli

    def _load_cli_named(self, selector: str) -> CodexCredentials:
        cli = read_codex_cli(self.codex_cli_path)
        if cli is None:
            raise NoAccount(
                "There are no Codex accounts yet; run `codex2claudecode login` to add one."
            )
        if selector not in (cli.key, cli.account_id, cli.email):
            raise _unknown_account(self.codex_cli_path, selector, [cli.key], hint=_LIST_HINT)
        return cli

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
            write_codex_cli(self.codex_cli_path, creds, owner=creds.account_id, clock=self._clock)
            self._info.write([credentials_info(creds)], touched=creds.key)
            return read_codex_cli(self.codex_cli_path) or creds
        index = self._find(managed.entries, creds)
        entry = merged_entry(managed.entries[index], creds)
        managed.entries[index] = entry
        self._write_managed(managed)
        owner = entry_owner(entry, creds)
        write_codex_cli(self._source_path(entry), creds, owner=owner, clock=self._clock)
        self._write_managed_info(managed, touched=creds.key)
        return entry_credentials(self.path, entry, index)

    def adopt_foreign_locked(self, current: CodexCredentials) -> CodexCredentials | None:
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
            theirs = read_codex_cli(self._source_path(entry))
        except NoAccount:
            return None
        if theirs is None or not is_newer_login(theirs, current, owner=entry_owner(entry, current)):
            return None
        adopted = merged_entry(entry, theirs)
        managed.entries[index] = adopted
        self._write_managed(managed)
        self._write_managed_info(managed, touched=current.key)
        return entry_credentials(self.path, adopted, index)

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
            index = index_of(managed.entries, creds)
            previous = None if index is None else managed.entries[index]
            entry = login_entry(previous, creds, link=link)
            if index is None:
                index = len(managed.entries)
                managed.entries.append(entry)
            else:
                managed.entries[index] = entry
            self._write_managed(managed)
            key = entry_key(entry, index)
            self._write_managed_info(managed, touched=key, active=key, fresh=key)
            if write_back:
                owner = entry_owner(entry, creds)
                write_codex_cli(self._source_path(entry), creds, owner=owner, clock=self._clock)
            return entry_credentials(self.path, entry, index)

    def import_codex_cli(self, source: Path | None = None) -> CodexCredentials:
        """Add the Codex CLI's login (`source`, default its `auth.json`) as a linked account.

        No network: the tokens are taken as they are, and stay in sync with that file from then
        on (spec §2.7). The account becomes the active one; returns it as stored.

        Raises:
            NoAccount: the file is missing or holds no usable ChatGPT login.
        """
        path = (source or self.codex_cli_path).expanduser().absolute()
        return self.upsert(read_codex_cli_for_import(path), link=path)

    def set_active(self, selector: str) -> str:
        """Make the account `selector` names (as CODEX_AUTH_ACCOUNT would) the active one.

        Returns its key. Raises NoAccount when no account matches.
        """
        with self.lock():
            managed = self._read_managed()
            if managed is None:
                cli = self._load_cli_named(selector)
                self._info.write([credentials_info(cli)], touched=None, active=cli.key)
                return cli.key
            index = self._match(managed.entries, selector, hint=_LIST_HINT)
            key = entry_key(managed.entries[index], index)
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
            key = entry_key(managed.entries[index], index)
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
        self._info.mark_needs_login(creds.key, creds.refresh_token, reason)

    def _source_path(self, entry: dict[str, object]) -> Path:
        source = entry_source(entry)
        return source.expanduser() if source else self.codex_cli_path

    def _write_managed(self, managed: _Managed) -> None:
        document: object = managed.entries if managed.is_array else managed.entries[0]
        atomic_write(self.path, orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n")

    def _write_managed_info(
        self,
        managed: _Managed,
        *,
        touched: str | None,
        active: str | None = None,
        fresh: str | None = None,
    ) -> None:
        infos = [entry_info(entry, i) for i, entry in enumerate(managed.entries)]
        self._info.write(infos, touched=touched, active=active, fresh=fresh)


def _unknown_account(path: Path, account: str, keys: list[str], *, hint: str) -> NoAccount:
    available = ", ".join(keys) or "none"
    return NoAccount(
        f"{path} does not contain Codex account {account!r} (available: {available}); {hint}"
    )
