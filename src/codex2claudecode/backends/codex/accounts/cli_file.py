"""The Codex CLI's own login file, `$CODEX_HOME/auth.json` (protocols §5c): the store's fallback
source when there is no managed file, the origin of imported accounts, and a foreign file we
write back to only when it holds the same account as our refreshed tokens (DESIGN §4.2).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import orjson

from codex2claudecode.accounts.files import atomic_write, read_json
from codex2claudecode.backends.codex.accounts import jwt
from codex2claudecode.backends.codex.accounts.credentials import CodexCredentials, clean_token
from codex2claudecode.errors import NoAccount

log = logging.getLogger(__name__)

RELOGIN = " Sign in with `codex2claudecode login` (this tool does not need the Codex CLI)."


def read_codex_cli(path: Path) -> CodexCredentials | None:
    """The account in a Codex CLI `auth.json` (protocols §5c), or None if there is no file.

    Raises:
        NoAccount: the file exists but holds no usable ChatGPT login.
    """
    try:
        raw = read_json(path)
    except ValueError as exc:
        raise NoAccount(f"The Codex CLI auth file {exc}.{RELOGIN}") from exc
    except OSError as exc:
        raise NoAccount(
            f"The Codex CLI auth file {path} cannot be read ({exc.strerror}).{RELOGIN}"
        ) from exc
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise NoAccount(f"The Codex CLI auth file {path} is not a JSON object.{RELOGIN}")
    mode = raw.get("auth_mode")
    if mode not in (None, "chatgpt"):
        raise NoAccount(
            f"The Codex CLI auth file {path} holds an API-key login (auth_mode {mode!r}); only a "
            f"ChatGPT sign-in works here.{RELOGIN}"
        )
    tokens = raw.get("tokens")
    tokens = tokens if isinstance(tokens, dict) else {}
    access, refresh = (
        clean_token(tokens.get("access_token")),
        clean_token(tokens.get("refresh_token")),
    )
    if not access or not refresh:
        raise NoAccount(f"The Codex CLI auth file {path} has no ChatGPT tokens.{RELOGIN}")
    id_token = clean_token(tokens.get("id_token"))
    account_id = _account_id(tokens)
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


def read_codex_cli_for_import(path: Path) -> CodexCredentials:
    """The login in the Codex CLI file at `path` (or `path`/auth.json for a directory), to add
    as one of our accounts.

    Raises:
        NoAccount: the file is missing, holds no usable ChatGPT login or names no account id.
    """
    if path.is_dir():
        path = path / "auth.json"
    cli = read_codex_cli(path)
    if cli is None:
        raise NoAccount(
            f"There is no Codex CLI login in {path}. Sign in there with `codex login`, or "
            "sign in here with `codex2claudecode login`."
        )
    if cli.account_id is None:
        raise NoAccount(f"The Codex CLI login in {path} names no ChatGPT account id.{RELOGIN}")
    return cli


def write_codex_cli(
    path: Path, creds: CodexCredentials, *, owner: str | None, clock: Callable[[], float]
) -> None:
    """Put `creds`' tokens in the Codex CLI file at `path` if it holds the account `owner`.

    Every other key of the file is kept, and `last_refresh` set from `clock` (epoch seconds).
    A missing, unreadable or foreign file is left alone; a failed write is only logged.
    """
    try:
        raw = read_json(path)
    except (OSError, ValueError):
        return
    if owner is None or not isinstance(raw, dict):
        return
    tokens = raw.get("tokens")
    if raw.get("auth_mode") not in (None, "chatgpt") or not isinstance(tokens, dict):
        return
    if _account_id(tokens) != owner:
        return
    tokens["access_token"] = creds.access_token
    tokens["refresh_token"] = creds.refresh_token
    if creds.id_token:
        tokens["id_token"] = creds.id_token
    if creds.account_id:
        tokens["account_id"] = creds.account_id
    now = datetime.fromtimestamp(clock(), UTC)
    raw["last_refresh"] = now.isoformat(timespec="microseconds").replace("+00:00", "Z")
    try:
        atomic_write(path, orjson.dumps(raw, option=orjson.OPT_INDENT_2) + b"\n")
    except OSError as exc:
        log.warning("could not update the Codex CLI auth file %s: %s", path, exc)


def _account_id(tokens: dict[str, object]) -> str | None:
    account_id = tokens.get("account_id")
    if isinstance(account_id, str) and account_id:
        return account_id
    return jwt.chatgpt_account_id(
        clean_token(tokens.get("id_token")), clean_token(tokens.get("access_token"))
    )
