"""The generated local API key, for shared machines: `claude-env set --with-key` creates it and
writes it into Claude Code's settings; the gateway, finding it at start, requires it.

It lives in the state directory (`local-api-key`, mode 0600, one line). A password given with
`--password` or API_PASSWORD wins over it. Delete the file (and restart the gateway) to stop
requiring it.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from codex2claudecode.accounts.files import atomic_write, locked

_PREFIX = "c2cc-"


def read_local_key(path: Path) -> str | None:
    """The key in `path`, or None if there is none (no file, or an empty one).

    Raises:
        OSError: the file exists but cannot be read.
    """
    try:
        key = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return key or None


def ensure_local_key(path: Path) -> tuple[str, bool]:
    """The key in `path`, made first if there is none; returns `(key, created)`."""
    with locked(path):
        key = read_local_key(path)
        if key is not None:
            return key, False
        key = _PREFIX + secrets.token_urlsafe(32)
        atomic_write(path, key.encode() + b"\n", mode=0o600)
        return key, True


def gateway_key(password: str | None, key_path: Path) -> str | None:
    """The API key the gateway requires: the password if one is set, else the local key."""
    return password or read_local_key(key_path)
