"""Whether the state directory can keep a new login, asked before a token is issued or spent."""

from __future__ import annotations

from pathlib import Path

from codex2claudecode.accounts.files import probe_writable

PROBE_BYTES = 64 * 1024
"""What the directory must take before a sign-in starts: far more than an account."""


def unwritable(
    directory: Path, *, failing: str = "cannot sign in", again: str = "login"
) -> str | None:
    """Why a new login could not be saved in `directory`, None if it can.

    Args:
        failing: opens the message ("cannot sign in").
        again: the command to run once the directory is fixed ("login").
    """
    try:
        probe_writable(directory, PROBE_BYTES)
    except OSError as exc:
        return (
            f"{failing}: {directory} does not take new files ({exc.strerror or exc}), "
            "so the new login could not be saved there. Free disk space or make it writable "
            "(or point CODEX2CLAUDECODE_HOME elsewhere), then run "
            f"`codex2claudecode {again}` again."
        )
    return None
