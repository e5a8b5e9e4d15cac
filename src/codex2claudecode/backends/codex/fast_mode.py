"""Codex fast mode: `{"fastMode": {"enabled": true}}` in `.codex-config.json` (spec §2.6).

When on, Codex requests ask for the priority service tier (original-app spec §3.3). The backend
calls `service_tier()` per request; the file is re-read only when it changes, so a toggle from
another process (the CLI, the TUI) takes effect on the next request without a restart. A missing
file (the usual case) is remembered by its directory's identity, which creating the file in any
way changes (our writers rename a temporary file into place).
"""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import orjson

from codex2claudecode.accounts.files import InvalidJSONFile, atomic_write, locked, read_json
from codex2claudecode.config import Config

CONFIG_FILE = ".codex-config.json"
PRIORITY_TIER = "priority"
SETTLED_NS = 2_000_000_000
"""A directory changed this long ago cannot change again within the same timestamp: file
systems stamp with a coarse clock (one kernel tick; two seconds on FAT), so a change within the
tick of the last one could leave its mtime and ctime as they were."""

Identity = tuple[int, int, int, int]
"""(mtime, ctime, size, inode) of a file or directory, in ns where a time."""


class FastMode:
    """The fast-mode switch in one `.codex-config.json`, cached by the file's identity."""

    __slots__ = ("_absent", "_directory", "_enabled", "_seen", "_settle_ns", "path")

    def __init__(self, path: Path, *, settle_ns: int = SETTLED_NS) -> None:
        """
        Args:
            settle_ns: how long ago the directory must have last changed for its identity to
                vouch for the file's absence.
        """
        self.path = path
        self._settle_ns = settle_ns
        self._directory = str(path.parent)
        self._seen: tuple[int, int, int] | None = None
        self._enabled = False
        self._absent: Identity | None = None
        """The directory as it was when the file was found missing."""

    @classmethod
    def from_config(cls, config: Config) -> FastMode:
        return cls(config.codex_state_dir / CONFIG_FILE)

    def enabled(self) -> bool:
        """Whether fast mode is on; a missing, unreadable or malformed file means off."""
        directory: Identity | None = None
        now = 0
        if self._seen is None:  # missing last time
            # The clock, then the directory, then the file: a file created after this stat
            # changes the directory after it, so its identity can vouch for the file's absence.
            now = time.time_ns()
            directory = _identity(self._directory)
            if directory is not None and directory == self._absent:
                return False  # spares the failing stat: raising costs three times this one
        try:
            st = os.stat(self.path)
        except OSError:
            self._seen, self._enabled = None, False
            settled = directory is not None and now - max(directory[:2]) > self._settle_ns
            self._absent = directory if settled else None
            return False
        self._absent = None
        # Size and inode too: an atomic rewrite within one mtime tick still changes one of them.
        seen = (st.st_mtime_ns, st.st_size, st.st_ino)
        if seen != self._seen:
            self._seen, self._enabled = seen, _read_enabled(self.path)
        return self._enabled

    def service_tier(self) -> str | None:
        """`"priority"` when fast mode is on, else None: the Codex backend's `service_tier`."""
        return PRIORITY_TIER if self.enabled() else None

    def set_enabled(self, enabled: bool) -> None:
        """Switch fast mode, keeping every other key of the file.

        Raises:
            InvalidJSONFile: the file holds something other than a JSON object (left as it is).
        """
        with locked(self.path):
            raw = read_json(self.path)
            if raw is not None and not isinstance(raw, dict):
                raise InvalidJSONFile(self.path, "expected a JSON object")
            data = raw or {}
            fast = data.get("fastMode")
            data["fastMode"] = {**(fast if isinstance(fast, dict) else {}), "enabled": enabled}
            body = orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n"
            atomic_write(self.path, body, mode=_mode_of(self.path))


def _identity(path: str) -> Identity | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino)


def _read_enabled(path: Path) -> bool:
    try:
        raw = read_json(path)
    except (OSError, InvalidJSONFile):
        return False
    fast = raw.get("fastMode") if isinstance(raw, dict) else None
    return isinstance(fast, dict) and fast.get("enabled") is True


def _mode_of(path: Path) -> int:
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return 0o600
