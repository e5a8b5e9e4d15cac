"""The Kiro account store: our managed `kiro-state.json`, else the Kiro IDE's token cache
(original-kiro §2.2). It selects one account (§2.3: `KIRO_AUTH_ACCOUNT`, else the active one,
else the first), saves refreshed tokens under its lock and writes them back to the IDE file an
account was imported from only when that file still holds the same account (§2.7, §2.8,
DESIGN §4.2); it adopts tokens the IDE refreshed, and adds, lists, activates and removes accounts.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from codex2claudecode.accounts.files import FileLock, locked, signature, tidy
from codex2claudecode.backends.kiro.accounts.credentials import (
    SOURCE_FIELDS,
    InvalidEntry,
    KiroCredentials,
    entry_aliases,
    entry_credentials,
    entry_key,
    merged_entry,
    parse_expiry,
    text,
)
from codex2claudecode.backends.kiro.accounts.ide import (
    Registrations,
    locate_source,
    read_profile_arn,
)
from codex2claudecode.backends.kiro.accounts.summary import (
    NEEDS_LOGIN,
    KiroAccountSummary,
    needs_login_mark,
    needs_login_reason,
)
from codex2claudecode.backends.kiro.accounts.token_file import (
    TokenFile,
    read_token_file,
    write_token_file,
)
from codex2claudecode.config import Config
from codex2claudecode.errors import NoAccount

log = logging.getLogger(__name__)

LOGIN_HINT = (
    "Sign in with the Kiro IDE, then run `codex2claudecode accounts import --provider kiro`"
)
IDE_FIX = (
    "Sign in again with the Kiro IDE (it rewrites the file), then run `codex2claudecode "
    "accounts import --provider kiro`; or add an account from its tokens with "
    "`codex2claudecode accounts add --provider kiro --region REGION`."
)
"""What to do about a Kiro IDE token file that holds no usable login."""
_SELECT_HINT = (
    "run `codex2claudecode accounts list --provider kiro` to see them, and set KIRO_AUTH_ACCOUNT "
    "to one of them or unset it."
)
IDE = "the Kiro IDE"
"""Who owns the token files an account is imported from (and written back to)."""
_OPTIONAL_SOURCE_FIELDS = ("profileArn", "clientIdHash", "clientId", "clientSecret", "accountId")
"""Fields a pull from the IDE file removes from the managed entry when the IDE has none (§2.8)."""

Fingerprint = tuple[tuple[int, int, int] | None, ...]


class KiroAccountStore:
    """The Kiro accounts of one managed file, one of them selected by `account`.

    When the managed file does not exist, the IDE token cache is the store (headless use
    reads and refreshes the IDE's login in place). `*_locked` methods expect `lock()` held.
    """

    def __init__(
        self,
        path: Path,
        *,
        ide_path: Path,
        account: str | None = None,
        profile_path: Path | None = None,
        default_region: str = "us-east-1",
        clock: Callable[[], float] = time.time,
    ) -> None:
        """
        Args:
            path: our managed file, `$CODEX2CLAUDECODE_HOME/kiro-state.json`.
            ide_path: the Kiro IDE token cache (KIRO_AUTH_FILE).
            account: a selector (key, label, e-mail, ARN...) naming the account to serve.
            profile_path: the IDE's profile.json, for IdC and external-IdP profile ARNs.
            default_region: the region of an external-IdP login whose file names none.
        """
        self.path = path
        self.ide_path = ide_path
        self.account = account
        self.profile_path = profile_path
        self._default_region = default_region
        self._clock = clock
        self._registrations = Registrations([ide_path.parent])
        self._tidied = False

    @classmethod
    def from_config(cls, config: Config, account: str | None = None) -> KiroAccountStore:
        """The store `config` describes, serving `account` (default KIRO_AUTH_ACCOUNT)."""
        return cls(
            config.home / "kiro-state.json",
            ide_path=config.kiro_auth_file,
            account=account if account is not None else config.kiro_auth_account,
            profile_path=config.kiro_profile_file,
            default_region=config.kiro_api_region,
        )

    def lock(self) -> FileLock:
        """The cross-process lock serialising refreshes and saves (on the managed file's
        sibling, even while only the IDE file exists: we never create files beside it)."""
        return locked(self.path)

    def fingerprint(self) -> Fingerprint:
        """Changes whenever the managed file, the IDE file or profile.json changes."""
        profile = signature(self.profile_path) if self.profile_path else None
        return (signature(self.path), signature(self.ide_path), profile)

    # ------------------------------------------------------------------ reading

    def load(self) -> KiroCredentials:
        """The selected account's credentials.

        Raises:
            NoAccount: no file holds a usable account, or `account` names none of them.
        """
        token_file = self._store_file()
        index = token_file.select(self.account, hint=_SELECT_HINT)
        return self._credentials(token_file, index)

    def keys(self) -> list[str]:
        """The keys of every account of the store, in file order ([] when there is none).

        A Kiro IDE file with no usable login is skipped (see `foreign_problem`).
        """
        token_file = self._managed() or self._usable_ide_file()
        return [] if token_file is None else token_file.keys()

    def name_of(self, selector: str) -> str:
        """The short name of the account `selector` names (see `names`), else `selector`."""
        token_file = self._managed() or self._usable_ide_file()
        index = None if token_file is None else token_file.find(selector)
        return selector if token_file is None or index is None else token_file.names()[index]

    def summaries(self) -> list[KiroAccountSummary]:
        """Every account of the store, in file order, as `accounts list` shows them.

        A Kiro IDE file with no usable login is skipped (see `foreign_problem`).

        Raises:
            NoAccount: our own file cannot be read or holds no account list.
        """
        token_file = self._managed() or self._usable_ide_file()
        if token_file is None:
            return []
        try:
            active: int | None = token_file.select(self.account, hint=_SELECT_HINT)
        except NoAccount:
            active = None
        return [
            self._summary(token_file, i, active=i == active) for i in range(len(token_file.entries))
        ]

    def foreign_problem(self) -> str | None:
        """Why the Kiro IDE's token file is skipped, when it exists but holds no usable login
        (unreadable, not JSON, another shape, or no entry with the fields a login needs).

        Only our own file's accounts are used then; the message names the file and the fix.
        """
        try:
            token_file = read_token_file(self.ide_path)
        except NoAccount as exc:
            return f"{exc.message} {IDE_FIX}"
        if token_file is None:
            return None
        if not token_file.entries:
            return f"The Kiro token file {self.ide_path} holds no login. {IDE_FIX}"
        problems = []
        for index in range(len(token_file.entries)):
            try:
                self._credentials(token_file, index)
            except NoAccount as exc:
                problems.append(exc.message)
        if len(problems) < len(token_file.entries):
            return None  # the usable logins are listed, the others marked unusable
        return f"{problems[0]} {IDE_FIX}"

    def _usable_ide_file(self) -> TokenFile | None:
        """The Kiro IDE's token file, or None when there is none or it holds no usable login."""
        return None if self.foreign_problem() else read_token_file(self.ide_path)

    def _summary(self, token_file: TokenFile, index: int, *, active: bool) -> KiroAccountSummary:
        entry = token_file.entries[index]
        source = text(entry.get("sourceAuthFile"))
        try:
            creds: KiroCredentials | None = self._credentials(token_file, index)
            problem = needs_login_reason(entry)
        except NoAccount as exc:
            creds, problem = None, exc.message
        return KiroAccountSummary(
            key=entry_key(entry, index),
            label=text(entry.get("label")) or text(entry.get("name")),
            email=text(entry.get("email")),
            kind=creds.kind if creds else None,
            region=creds.region if creds else text(entry.get("region")),
            profile_arn=creds.profile_arn if creds else None,
            expires_at=creds.expires_at if creds else None,
            active=active,
            source=Path(source) if source else None,
            problem=problem,
            needs_login=creds is not None and problem is not None,
            name=token_file.names()[index],
        )

    def _store_file(self) -> TokenFile:
        managed = self._managed()
        if managed is None and (problem := self.foreign_problem()) is not None:
            raise NoAccount(f"No usable Kiro account: {problem}")
        token_file = managed or read_token_file(self.ide_path)
        if token_file is None:
            raise NoAccount(
                f"No Kiro account found (looked for {self.path} and {self.ide_path}). "
                f"{LOGIN_HINT}, or point KIRO_AUTH_FILE at the Kiro IDE's kiro-auth-token.json."
            )
        return token_file

    def _ide_store(self, selector: str) -> TokenFile:
        """The Kiro IDE's file as the store when ours does not exist, for `selector`."""
        if self.foreign_problem() is not None:
            raise NoAccount(
                f"There is no Kiro account {selector!r}: the Kiro IDE's login is skipped (see "
                "the warning) and this tool has none of its own yet."
            )
        return self._store_file()

    def _managed(self) -> TokenFile | None:
        try:
            managed = read_token_file(self.path)
        except NoAccount as exc:
            raise NoAccount(
                f"{exc.message} It holds this tool's Kiro accounts: fix it, or move it away "
                "to start again."
            ) from exc
        if not self._tidied:
            self._tidied = True
            self._tidy(managed)
        return managed

    def _tidy(self, managed: TokenFile | None) -> None:
        """Start-up care (`files.tidy`) for every file this store writes: ours, the IDE's token
        file (the store when ours is missing) and each file an account was imported from
        (refreshed tokens are written back there)."""
        now = self._clock()
        tidy(self.path, now=now)
        sources = {self.ide_path}
        for entry in managed.entries if managed else []:
            linked = text(entry.get("sourceAuthFile"))
            if linked is not None:
                sources.add(Path(linked).expanduser())
        for source in sorted(sources):
            tidy(source, now=now, owner=IDE)

    def _credentials(self, token_file: TokenFile, index: int) -> KiroCredentials:
        entry = token_file.entries[index]
        linked = token_file.path == self.ide_path or text(entry.get("sourceAuthFile")) is not None
        name = token_file.names()[index]
        try:
            creds = entry_credentials(
                entry,
                index,
                registration=self._registrations.for_entry(entry),
                # The IDE's profile.json describes the IDE's own login only.
                profile_arn=read_profile_arn(self.profile_path) if linked else None,
                default_region=self._default_region,
            )
        except InvalidEntry as exc:
            raise NoAccount(
                f"The Kiro token file {token_file.path} holds an unusable account {name} ({exc})."
            ) from exc
        return replace(creds, name=name)

    def _index_of(self, token_file: TokenFile, creds: KiroCredentials) -> int:
        for index, entry in enumerate(token_file.entries):
            if entry_key(entry, index) == creds.key:
                return index
        return token_file.select(self.account, hint=_SELECT_HINT)

    # ------------------------------------------------------------------ refreshing

    def save(self, creds: KiroCredentials) -> KiroCredentials:
        """Store refreshed `creds` for their account; see `save_locked`."""
        with self.lock():
            return self.save_locked(creds)

    def save_locked(self, creds: KiroCredentials) -> KiroCredentials:
        """Store `creds` over their account's entry, re-read first (other entries and unknown
        fields kept), and write them back to the IDE file the account was imported from when
        it still holds that account. Returns the credentials as now stored."""
        token_file = self._store_file()
        index = self._index_of(token_file, creds)
        old = token_file.entries[index]
        new = merged_entry(old, creds)
        token_file.entries[index] = new
        _follow_rename(token_file, entry_key(old, index), entry_key(new, index))
        write_token_file(token_file)
        if token_file.path == self.path:
            self._write_back(old, creds)
        self._follow_key(entry_key(old, index), entry_key(new, index))
        return self._credentials(token_file, index)

    def adopt_foreign_locked(self, current: KiroCredentials) -> KiroCredentials | None:
        """Take newer tokens for `current`'s account from the IDE file it was imported from.

        Newer means other tokens that expire no earlier than ours (spec §2.8 "pull"). They are
        saved in the managed file and returned; otherwise None.
        """
        managed = self._managed()
        if managed is None:
            return None  # `load` reads the IDE file itself
        index = self._index_of(managed, current)
        entry = managed.entries[index]
        source = self._source_of(entry)
        if source is None:
            return None
        found = locate_source(source.entries, entry)
        if found is None:
            return None
        theirs = source.entries[found]
        if _tokens(theirs) == _tokens(entry) or parse_expiry(theirs.get("expiresAt")) < (
            current.expires_at
        ):
            return None
        pulled = {k: v for k, v in entry.items() if k not in _OPTIONAL_SOURCE_FIELDS}
        pulled.update({k: v for k, v in theirs.items() if k not in SOURCE_FIELDS})
        pulled.pop(NEEDS_LOGIN, None)
        pulled["sourceAccountIndex"] = found
        pulled["sourceAccountKey"] = entry_key(theirs, found)
        managed.entries[index] = pulled
        _follow_rename(managed, entry_key(entry, index), entry_key(pulled, index))
        write_token_file(managed)
        self._follow_key(entry_key(entry, index), entry_key(pulled, index))
        return self._credentials(managed, index)

    def mark_needs_login_locked(self, creds: KiroCredentials, reason: str) -> None:
        """Mark a managed entry whose refresh token was refused, for `accounts list`; the IDE's
        own file is never marked."""
        managed = self._managed()
        if managed is None:
            return
        index = self._index_of(managed, creds)
        managed.entries[index][NEEDS_LOGIN] = needs_login_mark(
            reason, creds.refresh_token, self._clock()
        )
        write_token_file(managed)

    def _source_of(self, entry: dict[str, object]) -> TokenFile | None:
        path = text(entry.get("sourceAuthFile"))
        if path is None:
            return None
        try:
            return read_token_file(Path(path).expanduser())
        except NoAccount:
            return None

    def _write_back(self, old: dict[str, object], creds: KiroCredentials) -> None:
        """Give the IDE file the account was imported from its new tokens (spec §2.8 step 4):
        only the entry that still holds this account, only token fields; a failure is logged."""
        source = self._source_of(old)
        found = None if source is None else locate_source(source.entries, old)
        if source is None or found is None:
            return
        theirs = source.entries[found]
        if _tokens(theirs) != _tokens(old) and parse_expiry(theirs.get("expiresAt")) > (
            creds.expires_at
        ):
            return  # the IDE holds a newer login of its own: leave it
        updated = merged_entry(theirs, creds)
        source.entries[found] = updated
        _follow_rename(source, entry_key(theirs, found), entry_key(updated, found))
        try:
            write_token_file(source)
        except OSError as exc:
            log.warning("could not update the Kiro IDE token file %s: %s", source.path, exc)

    def _follow_key(self, old_key: str, new_key: str) -> None:
        # A refresh can change the key (a new profile ARN): keep serving the same account.
        if self.account == old_key:
            self.account = new_key

    # ------------------------------------------------------------------ managing accounts

    def import_ide(self, source: Path | None = None) -> KiroCredentials:
        """Add the Kiro IDE's login (`source`, default KIRO_AUTH_FILE; a `source` directory means
        the file of KIRO_AUTH_FILE's name in it) as a linked account.

        No network: the tokens are taken as they are and stay in sync with that file (§2.8).
        The account becomes the active one; returns it as stored.

        Raises:
            NoAccount: the file is missing or holds no usable login.
        """
        path = (source or self.ide_path).expanduser().absolute()
        if source is not None and path.is_dir():
            path = path / self.ide_path.name
        try:
            token_file = read_token_file(path)
        except NoAccount as exc:
            raise NoAccount(f"{exc.message} {IDE_FIX}") from exc
        if token_file is None or not token_file.entries:
            raise NoAccount(f"There is no Kiro IDE login in {path}. {LOGIN_HINT}.")
        index = token_file.select(None, hint=_SELECT_HINT)
        try:
            self._credentials(token_file, index)  # refused here, naming the file it is in
        except NoAccount as exc:
            raise NoAccount(f"{exc.message} {IDE_FIX}") from exc
        original = token_file.entries[index]
        entry = {k: v for k, v in original.items() if k not in SOURCE_FIELDS and k != NEEDS_LOGIN}
        entry["sourceAuthFile"] = str(path)
        entry["sourceAccountIndex"] = index
        entry["sourceAccountKey"] = entry_key(original, index)
        return self.upsert(entry)

    def upsert(self, entry: dict[str, object]) -> KiroCredentials:
        """Add `entry` as an account, or merge it into the entry of the same account; the file
        becomes the managed shape and the account the active one. Returns it as stored.

        The same account means: the same IDE login slot, an equal accountId, e-mail, label or
        name, or the same refresh token. (Not the profile ARN alone: social logins share one.)

        Raises:
            NoAccount: the entry is not usable (a required field is missing or malformed).
        """
        with self.lock():
            managed = self._managed() or TokenFile(self.path, [], "managed")
            managed.shape = "managed"
            index = _same_entry(managed.entries, entry)
            if index is None:
                index = len(managed.entries)
                managed.entries.append(entry)
            else:
                merged = {**managed.entries[index], **entry}
                merged.pop(NEEDS_LOGIN, None)
                managed.entries[index] = merged
            creds = self._credentials(managed, index)
            managed.document["activeAccount"] = _active_name(managed, index)
            write_token_file(managed)
            return creds

    def set_active(self, selector: str) -> str:
        """Make the account `selector` names the active one; returns its key.

        Raises:
            NoAccount: no account matches (or there is only the IDE's own login).
        """
        with self.lock():
            managed = self._managed()
            if managed is None:
                ide = self._ide_store(selector)
                index = ide.find(selector)
                if index is None:
                    raise _unknown(ide, selector)
                return entry_key(ide.entries[index], index)  # the only login there is
            index = managed.find(selector)
            if index is None:
                raise _unknown(managed, selector)
            managed.shape = "managed"
            managed.document["activeAccount"] = _active_name(managed, index)
            write_token_file(managed)
            return entry_key(managed.entries[index], index)

    def remove(self, selector: str) -> str:
        """Delete the account `selector` names from the managed file; returns its key. The IDE
        file is never touched. When the active account goes, the first one left is active.

        Raises:
            NoAccount: no account matches, or the only account is the IDE's own login.
        """
        with self.lock():
            managed = self._managed()
            if managed is None:
                ide = self._ide_store(selector)
                if ide.find(selector) is None:
                    raise _unknown(ide, selector)
                raise NoAccount(
                    f"That account is the Kiro IDE's own login in {self.ide_path}, which this "
                    "tool never deletes; sign out in the Kiro IDE instead."
                )
            index = managed.find(selector)
            if index is None:
                raise _unknown(managed, selector)
            key = entry_key(managed.entries[index], index)
            was_active = (
                managed.active in (None, key) or managed.find(managed.active or "") == index
            )
            del managed.entries[index]
            managed.shape = "managed"
            if was_active:
                left = managed.entries
                managed.document["activeAccount"] = _active_name(managed, 0) if left else None
            write_token_file(managed)
            return key


def _tokens(entry: dict[str, object]) -> tuple[object, object]:
    return entry.get("accessToken"), entry.get("refreshToken")


def _follow_rename(token_file: TokenFile, old_key: str, new_key: str) -> None:
    """Keep a managed file's `activeAccount` on an entry whose key changed."""
    if token_file.shape == "managed" and old_key != new_key and token_file.active == old_key:
        token_file.document["activeAccount"] = new_key


def _active_name(token_file: TokenFile, index: int) -> str:
    """The entry's key for `activeAccount`, unless an earlier entry shares it (social logins
    share a profile ARN): then the first of its names that points at it alone."""
    entry = token_file.entries[index]
    key = entry_key(entry, index)
    region = text(entry.get("region")) or "unknown"
    names = (key, *(text(entry.get(f)) for f in ("label", "name", "email", "accountId")))
    for name in (*names, f"{region}:account-{index + 1}"):
        if name is not None and _names_only(token_file, name, index):
            return name
    return key


def _names_only(token_file: TokenFile, name: str, index: int) -> bool:
    return all(
        (name in entry_aliases(entry, i)) == (i == index)
        for i, entry in enumerate(token_file.entries)
    )


def _same_entry(entries: list[dict[str, object]], new: dict[str, object]) -> int | None:
    ids = ("accountId", "email", "label", "name")
    slot = (text(new.get("sourceAuthFile")), text(new.get("sourceAccountKey")))
    for index, entry in enumerate(entries):
        for name in (*ids, "refreshToken"):
            value = text(new.get(name))
            if value is not None and value == text(entry.get(name)):
                return index
        # The same IDE login slot is the same account, unless a name says otherwise.
        differs = any(
            text(new.get(n)) and text(entry.get(n)) and text(new.get(n)) != text(entry.get(n))
            for n in ids
        )
        linked = (text(entry.get("sourceAuthFile")), text(entry.get("sourceAccountKey")))
        if slot[0] and not differs and slot == linked:
            return index
    return None


def _unknown(token_file: TokenFile, selector: str) -> NoAccount:
    available = ", ".join(token_file.names()) or "none"
    return NoAccount(
        f"{token_file.path} holds no Kiro account {selector!r} (available: {available}); "
        "run `codex2claudecode accounts list --provider kiro` to see them."
    )
