"""A Codex account from a pasted refresh token, for `accounts add` and the TUI's `/connect`.

The token is checked by redeeming it, which spends it: so the state directory is checked first,
and a save that still fails afterwards keeps the new login in a 0600 rescue file.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace

import orjson

from codex2claudecode.accounts.files import probe_writable, write_rescue
from codex2claudecode.backends.codex.accounts import jwt
from codex2claudecode.backends.codex.accounts.credentials import CodexCredentials
from codex2claudecode.backends.codex.accounts.store import CodexAccountStore
from codex2claudecode.config import Config
from codex2claudecode.errors import InvalidRequest

PROBE_BYTES = 64 * 1024
"""What the directory must take before a token is issued or spent: far more than an account."""


class StateUnwritable(OSError):
    """The directory takes no new files; nothing was issued or spent."""

    def __init__(self, directory: object, cause: OSError) -> None:
        super().__init__(
            f"{directory} does not take new files ({cause.strerror or cause}), so a new login "
            "could not be saved there. Free disk space or make it writable (or point "
            "CODEX2CLAUDECODE_HOME elsewhere)"
        )


class UnsavedLogin(OSError):
    """The token was spent but its replacement could not be saved; the message says where it
    went instead."""


def check_state_dir(store: CodexAccountStore) -> None:
    """Raise `StateUnwritable` unless the store's directory takes new files."""
    directory = store.path.parent
    try:
        probe_writable(directory, PROBE_BYTES)
    except OSError as exc:
        raise StateUnwritable(directory, exc) from exc


async def add_pasted(
    config: Config, refresh_token: str, *, account_id: str | None, access_token: str | None
) -> CodexCredentials:
    """Redeem `refresh_token` and save the login it gives as the active account.

    Raises:
        StateUnwritable: before the token is spent. UnsavedLogin: after (rescue file named).
        InvalidRequest: the account cannot be told. GatewayError: the token was refused.
    """
    # The network only here: `accounts list` and friends import this module's checks.
    import aiohttp

    from codex2claudecode.backends.codex.accounts.oauth import redeem_refresh_token

    store = CodexAccountStore.from_config(config)
    check_state_dir(store)
    url = config.openai_token_url
    async with aiohttp.ClientSession(trust_env=False) as session:
        creds = await redeem_refresh_token(
            session, token_url=url, refresh_token=refresh_token, proxy=config.proxies.for_url(url)
        )
    chosen = (
        account_id
        or creds.account_id
        or jwt.chatgpt_account_id(None, access_token or creds.access_token)
    )
    if not chosen:
        raise InvalidRequest(
            "Cannot tell which ChatGPT account these tokens belong to; give its account id."
        )
    creds = replace(creds, account_id=chosen, key=chosen)
    try:
        # In a thread the exit waits for: Ctrl+C meanwhile cannot drop the new tokens.
        return await asyncio.to_thread(store.upsert, creds, write_back=True)
    except OSError as exc:
        raise _unsaved(store, creds, exc) from exc


def _unsaved(store: CodexAccountStore, creds: CodexCredentials, exc: OSError) -> UnsavedLogin:
    data = orjson.dumps(creds, default=str, option=orjson.OPT_INDENT_2)
    rescue = write_rescue(store.path, data, now=time.time())
    where = (
        f"It was written to {rescue} (mode 0600): copy its tokens into {store.path} once it "
        "can be written, or sign in again with `codex2claudecode login`."
        if rescue is not None
        else "No rescue file could be written either: sign in again with "
        "`codex2claudecode login` once the disk is fixed."
    )
    return UnsavedLogin(
        f"the new login could NOT be saved to {store.path} ({exc.strerror or exc}); the pasted "
        f"refresh token is spent. {where}"
    )
