"""`RequestLog`: the request path hands records over, one thread writes them to SQLite.

`submit` only appends to a deque. The writer thread wakes every `flush_interval` seconds (or
when a batch is full), redacts and caps the records, inserts them in one transaction, and
prunes old rows now and then. WAL lets readers (`logs`, `/usage`, the TUI) read meanwhile, and
`busy_timeout` lets two gateways share one file. Any failure to write (read-only directory, full
disk, locked or foreign database) logs one warning per outage and drops records until a later
attempt works: the log never fails or slows a request. A file SQLite finds corrupt or not a
database at all is moved aside (kept, renamed) and a new log started in its place.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path

from codex2claudecode.config import Config
from codex2claudecode.requestlog.record import DEFAULT_BODY_LIMIT, RequestRecord
from codex2claudecode.requestlog.rows import to_row
from codex2claudecode.requestlog.schema import (
    BROKEN_SUFFIX,
    CREATE,
    INSERT,
    MIGRATIONS,
    SCHEMA_VERSION,
    is_corrupt,
)

log = logging.getLogger("codex2claudecode.requestlog")

_STORAGE = frozenset({"SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_FULL", "SQLITE_IOERR"})

MAX_PENDING = 50_000
"""Records waiting for the writer beyond this are dropped, oldest first (a stuck disk)."""


_HOLD = 50e-6
"""Seconds the writer may hold the GIL before a pause hands it over. Each redaction pass between
pauses takes at most ~0.25 ms on 64 KiB, so no stretch is longer than a pass plus this, while a
record of small bodies no longer pays a sleep (a syscall and a wake-up) per pass."""


class _Pacer:
    """The writer's `pause`: hands the GIL to the event loop once held for `_HOLD` seconds."""

    __slots__ = ("_since",)

    def __init__(self) -> None:
        self._since = time.perf_counter()

    def __call__(self) -> None:
        if time.perf_counter() - self._since >= _HOLD:
            # A sleep releases the GIL: the event loop waiting for it gets it now, not after
            # the interpreter's 5 ms switch interval.
            time.sleep(0)
            self._since = time.perf_counter()


class _Unusable(Exception):
    """The database is there but not one we may write to; the message says why."""


class RequestLog:
    """The request log's writer; one per process, closed at shutdown."""

    def __init__(
        self,
        path: Path,
        *,
        max_rows: int = 10_000,
        max_age_days: float = 7.0,
        log_body: bool = True,
        body_limit: int = DEFAULT_BODY_LIMIT,
        flush_interval: float = 0.1,
        batch_size: int = 256,
        prune_interval: float = 60.0,
        retry_interval: float = 30.0,
        busy_timeout: float = 5.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """
        Args:
            max_rows, max_age_days: retention; older or surplus rows are deleted.
            log_body: keep request and response bodies (capped at `body_limit` bytes each).
            flush_interval: seconds between writes; `batch_size` pending records write sooner.
            prune_interval: seconds between retention passes (0: after every write).
            retry_interval: seconds to wait after a failure before trying the file again.
            busy_timeout: seconds to wait for another process's write lock.
            clock: epoch seconds, for retention by age.
        """
        self.path = path
        self._max_rows = max_rows
        self._max_age = max_age_days * 86_400
        self._body_limit = body_limit if log_body else 0
        self._flush_interval = flush_interval
        self._batch_size = batch_size
        self._prune_interval = prune_interval
        self._retry_interval = retry_interval
        self._busy_timeout = busy_timeout
        self._clock = clock
        self._queue: deque[RequestRecord | threading.Event] = deque(maxlen=MAX_PENDING)
        self._wake = threading.Event()
        self._closing = False
        self._conn: sqlite3.Connection | None = None
        self._retry_at = 0.0
        self._next_prune = 0.0
        self._failing = False
        self._dropped = 0
        self._thread = threading.Thread(target=self._run, name="requestlog-writer", daemon=True)
        self._thread.start()

    @classmethod
    def from_config(cls, config: Config) -> RequestLog:
        return cls(
            config.request_log_path,
            max_rows=config.request_log_max_rows,
            max_age_days=config.request_log_max_days,
            log_body=config.log_body,
        )

    # ------------------------------------------------------------------ the request path

    def start(self, method: str, path: str, *, request_id: str) -> RequestRecord:
        """A new record for a request that starts now, with this log's body cap."""
        return RequestRecord(request_id, method, path, body_limit=self._body_limit)

    def submit(self, record: RequestRecord) -> None:
        """Hand a finished record to the writer. O(1); never blocks, never raises."""
        queue = self._queue
        queue.append(record)
        if len(queue) >= self._batch_size:
            self._wake.set()

    # ------------------------------------------------------------------ shutdown

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every record submitted so far is written (or dropped); False on timeout."""
        if not self._thread.is_alive():
            return not self._queue
        done = threading.Event()
        self._queue.append(done)
        self._wake.set()
        return done.wait(timeout)

    def close(self, timeout: float = 10.0) -> None:
        """Write what is pending, then stop the writer and close the file. Idempotent."""
        self._closing = True
        self._wake.set()
        self._thread.join(timeout)

    # ------------------------------------------------------------------ the writer thread

    def _run(self) -> None:
        while True:
            self._wake.wait(self._flush_interval)
            self._wake.clear()
            closing = self._closing
            try:
                self._drain()
            except Exception:  # a bug here must not end request logging for the process
                log.exception("request log: a batch could not be written")
            if closing:
                break
        if self._conn is not None:
            self._conn.close()

    def _drain(self) -> None:
        batch: list[RequestRecord] = []
        flushed: list[threading.Event] = []
        queue = self._queue
        while queue:
            item = queue.popleft()
            if isinstance(item, RequestRecord):
                batch.append(item)
                if len(batch) >= 1000:
                    self._write(batch)
                    batch = []
            else:
                flushed.append(item)
        self._write(batch)
        for done in flushed:
            done.set()

    def _write(self, batch: Sequence[RequestRecord]) -> None:
        now = self._clock()
        if self._conn is None and (not batch or time.monotonic() < self._retry_at):
            self._dropped += len(batch)
            return
        rows: list[tuple[object, ...]] | None = None
        for attempt in (1, 2):
            try:
                if self._conn is None:
                    self._conn = self._open()
                conn = self._conn
                if rows is None:  # once the file opened: no work for a log that cannot
                    pause = _Pacer()
                    rows = []
                    for record in batch:
                        rows.append(to_row(record, self._body_limit, pause))
                        pause()
                if rows:
                    conn.execute("BEGIN IMMEDIATE")
                    conn.executemany(INSERT, rows)
                    conn.execute("COMMIT")
                if now >= self._next_prune:
                    self._prune(conn, now)
                    self._next_prune = now + self._prune_interval
            except (sqlite3.Error, OSError, _Unusable) as exc:
                if attempt == 1 and is_corrupt(exc):
                    self._disconnect()
                    if self._set_aside(exc):
                        continue
                self._fail(exc, len(batch))
                return
            break
        if self._failing:
            self._failing = False
            log.info(
                "request log: writing to %s again (%d requests were not recorded)",
                self.path,
                self._dropped,
            )
            self._dropped = 0

    def _open(self) -> sqlite3.Connection:
        # Switching to WAL and creating the schema can answer "locked" at once (no busy wait)
        # while another process does the same: try again for as long as the busy timeout.
        deadline = time.monotonic() + self._busy_timeout
        while True:
            try:
                return self._open_once()
            except sqlite3.OperationalError as exc:
                transient = "locked" in str(exc) or "busy" in str(exc)
                if not transient or time.monotonic() >= deadline:
                    raise
                time.sleep(0.05)

    def _open_once(self) -> sqlite3.Connection:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            os.fchmod(fd, 0o600)
        finally:
            os.close(fd)
        conn = sqlite3.connect(self.path, timeout=self._busy_timeout, isolation_level=None)
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout * 1000)}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            _migrate(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    def _prune(self, conn: sqlite3.Connection, now: float) -> None:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("DELETE FROM requests WHERE started_at < ?", (now - self._max_age,))
        conn.execute(
            "DELETE FROM requests WHERE seq <= "
            "(SELECT seq FROM requests ORDER BY seq DESC LIMIT 1 OFFSET ?)",
            (self._max_rows,),
        )
        conn.execute("COMMIT")

    def _set_aside(self, exc: BaseException) -> bool:
        """Rename the corrupt log (and its -wal, -shm) out of the way; False if that failed."""
        stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(self._clock()))
        broken = self.path.with_name(self.path.name + BROKEN_SUFFIX + stamp)
        try:
            os.replace(self.path, broken)
        except OSError as error:
            log.warning(
                "request log: %s is not a usable SQLite database (%s) and could not be moved "
                "aside (%s); requests are served but not recorded. Move it away yourself.",
                self.path,
                exc,
                error.strerror or error,
            )
            self._failing = True
            return False
        for journal in ("-wal", "-shm"):
            with contextlib.suppress(OSError):
                os.replace(f"{self.path}{journal}", f"{broken}{journal}")
        log.warning(
            "request log: %s was not a usable SQLite database (%s); kept it as %s and started "
            "a new log.",
            self.path,
            exc,
            broken.name,
        )
        return True

    def _disconnect(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(sqlite3.Error):
                self._conn.close()
            self._conn = None

    def _fail(self, exc: BaseException, lost: int) -> None:
        self._disconnect()
        self._dropped += lost
        self._retry_at = time.monotonic() + self._retry_interval
        if not self._failing:
            self._failing = True
            log.warning(
                "request log: cannot write to %s (%s); requests are served but not recorded. "
                "%sRetrying every %gs.",
                self.path,
                exc,
                _advice(exc),
                self._retry_interval,
            )


def _advice(exc: BaseException) -> str:
    """What to check, for the causes a user can fix; "" when the message says it already."""
    if isinstance(exc, _Unusable):
        return ""
    if isinstance(exc, OSError) or getattr(exc, "sqlite_errorname", None) in _STORAGE:
        return "Check that the directory is writable and the disk has space. "
    if "locked" in str(exc) or "busy" in str(exc):
        return "Another program holds the file locked. "
    return ""


def _migrate(conn: sqlite3.Connection) -> None:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version == SCHEMA_VERSION:
        return
    if version > SCHEMA_VERSION:
        raise _Unusable(
            f"it has schema version {version}, written by a newer codex2claudecode; "
            "upgrade, or move the file away to start a new log"
        )
    conn.execute("BEGIN IMMEDIATE")
    try:
        # Read again under the write lock: another process may have migrated meanwhile.
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version == 0:
            statements = tuple(s for s in CREATE.split(";") if s.strip())
        else:
            statements = tuple(s for v in range(version, SCHEMA_VERSION) for s in MIGRATIONS[v])
        for statement in statements:
            conn.execute(statement)
        if version < SCHEMA_VERSION:
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
