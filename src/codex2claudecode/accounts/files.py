"""Credential files on disk: atomic writes, advisory cross-process locks, JSON reads.

Every credential store (ours and the foreign Codex CLI / Kiro files) writes through
`atomic_write` and serialises read-modify-write cycles with `locked` (DESIGN §4 item 2).
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from pathlib import Path
from types import TracebackType

import orjson

_DIR_MODE = 0o700


class InvalidJSONFile(ValueError):
    """A file that should hold JSON does not; the message names the file."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path} is not valid JSON ({reason})")
        self.path = path


def read_json(path: Path) -> object | None:
    """The parsed JSON content of `path`, or None if the file does not exist.

    Raises:
        InvalidJSONFile: the file exists but does not hold valid JSON.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    try:
        parsed: object = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise InvalidJSONFile(path, str(exc)) from exc
    return parsed


def atomic_write(path: Path, data: bytes, *, mode: int = 0o600) -> None:
    """Replace `path` with `data` so that readers see the old or the new file, never a mix.

    The data goes to a temporary file in the same directory, is flushed to disk, then renamed
    over `path`; the final file has `mode` whatever the previous file had. Missing parent
    directories are created with mode 0700.
    """
    make_private_dir(path.parent)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as tmp:
            _chmod_open_file(tmp.fileno(), tmp_name, mode)
            tmp.write(data)
            tmp.flush()
            os.fsync(tmp.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
    _fsync_dir(path.parent)


def make_private_dir(directory: Path) -> None:
    """Create `directory` and any missing parents with mode 0700 (existing ones are untouched)."""
    missing: list[Path] = []
    current = directory
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for entry in reversed(missing):
        with contextlib.suppress(FileExistsError):
            entry.mkdir(mode=_DIR_MODE)


def _chmod_open_file(fd: int, name: str, mode: int) -> None:
    if sys.platform == "win32":
        os.chmod(name, mode)
    else:
        os.fchmod(fd, mode)


def _fsync_dir(directory: Path) -> None:
    # Makes the rename itself durable; directories cannot be opened for fsync on Windows.
    if sys.platform == "win32":
        return
    try:
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        # Some file systems refuse fsync on directories; the file data itself is synced.
        with contextlib.suppress(OSError):
            os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


class FileLock:
    """An advisory lock on `<path>.lock`, exclusive across processes and threads.

    Each acquisition opens its own descriptor, so two holders in one process exclude each
    other too. Blocking; not re-entrant. Acquire and release may happen on different threads.
    """

    __slots__ = ("_fd", "lock_path")

    def __init__(self, path: Path) -> None:
        self.lock_path = path.with_name(path.name + ".lock")
        self._fd: int | None = None

    def acquire(self) -> None:
        if self._fd is not None:
            raise RuntimeError(f"{self.lock_path} is already held by this FileLock")
        make_private_dir(self.lock_path.parent)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            _lock_fd(fd)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            _unlock_fd(fd)
        finally:
            os.close(fd)

    def __enter__(self) -> None:
        self.acquire()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def locked(path: Path) -> FileLock:
    """A context manager holding the advisory lock of `path` (on the sibling `<name>.lock`)."""
    return FileLock(path)


if sys.platform == "win32":
    import msvcrt
    import time

    def _lock_fd(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        while True:
            try:
                # LK_LOCK itself gives up after ten one-second tries; keep waiting.
                msvcrt.locking(fd, msvcrt.LK_LOCK, 1)
                return
            except OSError:
                time.sleep(0.05)

    def _unlock_fd(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock_fd(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX)

    def _unlock_fd(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


def signature(path: Path) -> tuple[int, int, int] | None:
    """What changes when a file is rewritten (mtime, size, inode); None if it is missing."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)
