"""Credential files on disk: atomic writes, advisory cross-process locks, JSON reads.

Every credential store (ours and the foreign Codex CLI / Kiro files) writes through
`atomic_write` and serialises read-modify-write cycles with `locked` (DESIGN §4 item 2).
"""

from __future__ import annotations

import contextlib
import glob
import logging
import os
import re
import shlex
import stat
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType

import orjson

log = logging.getLogger(__name__)

_DIR_MODE = 0o700
_PROBE_PREFIX = ".write-probe."
_STALE_TEMP_AGE = 60.0
"""Seconds after which a temp file beside a credential file is a leftover of a killed write."""
_MKSTEMP_RANDOM = re.compile(r"[a-z0-9_]{8}")
"""The part `tempfile.mkstemp` puts between our prefix and suffix (`atomic_write`'s names)."""


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


HOLD_WAIT = 30.0
"""Seconds `with FileLock(...)` waits for another holder: every holder keeps the lock for a
read and a write (a refresh grant at most, bounded by its timeout), so a longer wait means a
stuck program, better named in an error than waited on for ever."""


class FileLock:
    """An advisory lock on `<path>.lock`, exclusive across processes and threads.

    Each acquisition opens its own descriptor, so two holders in one process exclude each
    other too. Blocking; not re-entrant. Acquire and release may happen on different threads.
    As a context manager it waits at most `wait` seconds, then raises `LockBusy`.
    """

    __slots__ = ("_fd", "lock_path", "path", "wait")

    def __init__(self, path: Path, *, wait: float = HOLD_WAIT) -> None:
        self.path = path
        """The file the lock guards."""
        self.lock_path = path.with_name(path.name + ".lock")
        self.wait = wait
        """Seconds `with` waits for the lock before `LockBusy`."""
        self._fd: int | None = None

    def acquire(self, timeout: float | None = None) -> None:
        """Take the lock, waiting for it at most `timeout` seconds (None: as long as it takes).

        Raises:
            LockBusy: another holder kept it for the whole `timeout`.
        """
        if self._fd is not None:
            raise RuntimeError(f"{self.lock_path} is already held by this FileLock")
        make_private_dir(self.lock_path.parent)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if timeout is None:
                _lock_fd(fd)
            else:
                _lock_fd_within(fd, self.lock_path, timeout)
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
        self.acquire(self.wait)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


class LockBusy(OSError):
    """Another process held a lock for longer than we could wait."""

    def __init__(self, lock_path: Path, waited: float) -> None:
        super().__init__(
            f"another program has held {lock_path} for more than {waited:g} s; if none is "
            "running (a Codex CLI, a Kiro IDE, another codex2claudecode), it may be stuck"
        )
        self.lock_path = lock_path


def _lock_fd_within(fd: int, lock_path: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not _try_lock_fd(fd):
        if time.monotonic() >= deadline:
            raise LockBusy(lock_path, timeout)
        time.sleep(0.02)


def locked(path: Path, *, wait: float = HOLD_WAIT) -> FileLock:
    """A context manager holding the advisory lock of `path` (on the sibling `<name>.lock`),
    raising `LockBusy` once another holder kept it for `wait` seconds."""
    return FileLock(path, wait=wait)


if sys.platform == "win32":
    import msvcrt

    def _try_lock_fd(fd: int) -> bool:
        os.lseek(fd, 0, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

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

    def _try_lock_fd(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock_fd(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


def signature(path: Path) -> tuple[int, int, int] | None:
    """What changes when a file is rewritten (mtime, size, inode); None if it is missing."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def probe_writable(directory: Path, size: int) -> None:
    """Check that `size` bytes can be written and synced to a new file in `directory`.

    Raises:
        OSError: they cannot (a read-only directory or file system, a full disk, a quota).
    """
    make_private_dir(directory)
    fd, name = tempfile.mkstemp(prefix=_PROBE_PREFIX, suffix=".tmp", dir=directory)
    try:
        remaining = size
        while remaining > 0:
            remaining -= os.write(fd, b"\0" * min(remaining, 65536))
        os.fsync(fd)
    finally:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(name)


def write_rescue(path: Path, data: bytes, *, now: float) -> Path | None:
    """Write `data` (credentials that could not be saved to `path`) to a new 0600 file.

    Tries beside `path`, then the home directory, then the temp directory. Returns the file
    written, or None when none of them took it.
    """
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    name = f"{path.name}.rescue-{stamp}.json"
    for directory in (path.parent, Path.home(), Path(tempfile.gettempdir())):
        target = directory / name
        try:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError:
            continue
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(target)
            continue
        return target
    return None


def tidy(path: Path, *, now: float, owner: str | None = None) -> None:
    """Start-up care for a credential file we write: remove the temp files a killed write (or
    write probe) left beside it, and close a file or directory left open to other users.

    `owner` names the program whose file it is when it is not ours (e.g. "the Kiro IDE"): its
    directory is shared, so only our own atomic writes' leftovers go, and a loose mode is
    warned about once (with the `chmod` that closes it), never changed. Our own file and
    directory are set to 0600 / 0700.
    """
    directory = path.parent
    try:
        leftovers = [
            p for p in directory.glob(f".{glob.escape(path.name)}.*.tmp") if _temp_of(path, p)
        ]
        if owner is None:  # probes go to our own directories only
            leftovers += directory.glob(f"{_PROBE_PREFIX}*.tmp")
    except OSError:
        return
    for leftover in leftovers:
        with contextlib.suppress(OSError):
            if now - leftover.stat().st_mtime > _STALE_TEMP_AGE:
                leftover.unlink()
                log.warning("removed %s, left over from an interrupted write", leftover)
    if sys.platform == "win32":
        return
    if owner is not None:
        _warn_if_open(path, owner)
        return
    with contextlib.suppress(OSError):
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            path.chmod(0o600)
            log.warning("%s was readable by others (mode %o); it is now 0600", path, mode)
    with contextlib.suppress(OSError):
        st = directory.stat()
        mode = stat.S_IMODE(st.st_mode)
        if not mode & 0o077:
            return
        if st.st_uid == os.geteuid():
            directory.chmod(_DIR_MODE)
            log.warning("%s was open to other users (mode %o); it is now 0700", directory, mode)
        else:
            log.warning(
                "%s is open to other users (mode %o) and not yours to fix; ask its owner to "
                "`chmod 700` it: your tokens are stored there",
                directory,
                mode,
            )


def _temp_of(path: Path, candidate: Path) -> bool:
    """Whether `candidate` is named as `atomic_write(path)` names its temp files."""
    random = candidate.name[len(path.name) + 2 : -len(".tmp")]
    return _MKSTEMP_RANDOM.fullmatch(random) is not None


_warned_open: set[Path] = set()
"""Other programs' files already warned about in this process (once is enough)."""


def _warn_if_open(path: Path, owner: str) -> None:
    try:
        st = path.stat()
    except OSError:
        return
    mode = stat.S_IMODE(st.st_mode)
    if not stat.S_ISREG(st.st_mode) or not mode & 0o077 or path in _warned_open:
        return  # not a token file (a directory in its place is reported by its reader)
    _warned_open.add(path)
    log.warning(
        "%s holds %s's login tokens and is open to other users (mode %o). It is %s's file, "
        "so it is left as it is; to close it, run: chmod 600 %s",
        path,
        owner,
        mode,
        owner,
        shlex.quote(str(path)),
    )
