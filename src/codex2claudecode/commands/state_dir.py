"""What to tell a user whose state directory cannot keep a new login, asked before a token is
issued or spent (`backends.codex.accounts.pasted.check_state_dir`)."""

from __future__ import annotations

from codex2claudecode.backends.codex.accounts.pasted import StateUnwritable, check_state_dir
from codex2claudecode.backends.codex.accounts.store import CodexAccountStore


def unwritable(
    store: CodexAccountStore, *, failing: str = "cannot sign in", again: str = "login"
) -> str | None:
    """Why a new login could not be saved in `store`'s directory, None if it can."""
    try:
        check_state_dir(store)
    except StateUnwritable as exc:
        return said(exc, failing, again)
    return None


def said(exc: StateUnwritable, failing: str, again: str) -> str:
    """The message: `failing` opens it, `again` is the command to run once it is fixed."""
    return f"{failing}: {exc}, then run `codex2claudecode {again}` again."
