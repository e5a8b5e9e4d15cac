"""Reading the request log: listings, one request in full, token totals.

`LogReader` opens its own read-only connection (WAL lets it read while a gateway writes). A
log that does not exist yet reads as empty. Times are epoch seconds and are always passed in.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import orjson

from codex2claudecode.requestlog.schema import (
    BROKEN_SUFFIX,
    DETAIL_COLUMNS,
    SUMMARY_COLUMNS,
    is_corrupt,
)

_SUMMARY = ", ".join(("seq", *SUMMARY_COLUMNS))


class LogUnreadable(Exception):
    """The log file exists but cannot be read; the message says which and why."""


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One request, without headers or bodies."""

    seq: int
    """Position in the log; increases with every row written, by any process."""
    id: str
    started_at: float
    dialect: str | None
    method: str
    path: str
    model_requested: str | None
    model_used: str | None
    provider: str | None
    account: str | None
    status: int
    upstream_status: int | None
    upstream_url: str | None
    upstream_request_id: str | None
    duration_ms: float | None
    ttfb_ms: float | None
    input_tokens: int | None
    """All prompt tokens, cached ones included."""
    cached_tokens: int | None
    output_tokens: int | None
    reasoning_tokens: int | None
    stop_reason: str | None
    error: str | None


@dataclass(frozen=True, slots=True)
class LogDetail:
    """One request in full: its entry plus redacted headers and capped bodies."""

    entry: LogEntry
    request_headers: list[tuple[str, str]]
    response_headers: list[tuple[str, str]]
    request_body: str | None
    request_body_truncated: bool
    response_body: str | None
    response_body_truncated: bool
    upstream_request_headers: list[tuple[str, str]] = field(default_factory=list)
    """What the gateway sent the upstream (credentials redacted); empty: no upstream call
    reached an answer, or the log predates schema 2."""
    upstream_request_body: str | None = None
    upstream_request_body_truncated: bool = False
    upstream_response_headers: list[tuple[str, str]] = field(default_factory=list)
    upstream_response_body: str | None = None
    """As the upstream sent it: SSE text from Codex, one line per event-stream frame from Kiro."""
    upstream_response_body_truncated: bool = False


@dataclass(frozen=True, slots=True)
class TokenTotals:
    model: str
    """The model used (else the one asked for); `""` if neither is known."""
    requests: int
    input_tokens: int
    cached_tokens: int
    output_tokens: int
    reasoning_tokens: int


class LogReader:
    """Queries over one request-log file; use as a context manager or call `close`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None

    @property
    def exists(self) -> bool:
        return self.path.exists()

    def recent(self, n: int) -> list[LogEntry]:
        """The last `n` requests, oldest first."""
        rows = self._query(f"SELECT {_SUMMARY} FROM requests ORDER BY seq DESC LIMIT ?", (n,))
        return [LogEntry(*row) for row in reversed(rows)]

    def after(self, seq: int, limit: int = 1000) -> list[LogEntry]:
        """Requests written after the one at `seq`, oldest first (for following the log)."""
        rows = self._query(
            f"SELECT {_SUMMARY} FROM requests WHERE seq > ? ORDER BY seq LIMIT ?", (seq, limit)
        )
        return [LogEntry(*row) for row in rows]

    def get(self, request_id: str) -> LogDetail | None:
        """One request by its id (or by its `seq` number), with headers and bodies."""
        # A version-1 file (no gateway has opened it for writing since) lacks the upstream
        # columns: read what it has, the rest reads as not recorded.
        detail = DETAIL_COLUMNS if self._version() >= 2 else DETAIL_COLUMNS[:6]
        columns = f"{_SUMMARY}, {', '.join(detail)}"
        key = "seq" if request_id.isdigit() else "id"
        rows = self._query(
            f"SELECT {columns} FROM requests WHERE {key} = ? ORDER BY seq DESC LIMIT 1",
            (int(request_id) if key == "seq" else request_id,),
        )
        if not rows:
            return None
        row = (*rows[0], *(None,) * (len(DETAIL_COLUMNS) - len(detail)))
        n = len(SUMMARY_COLUMNS) + 1
        return LogDetail(
            entry=LogEntry(*row[:n]),
            request_headers=_pairs(row[n]),
            response_headers=_pairs(row[n + 1]),
            request_body=row[n + 2],
            request_body_truncated=bool(row[n + 3]),
            response_body=row[n + 4],
            response_body_truncated=bool(row[n + 5]),
            upstream_request_headers=_pairs(row[n + 6]),
            upstream_request_body=row[n + 7],
            upstream_request_body_truncated=bool(row[n + 8]),
            upstream_response_headers=_pairs(row[n + 9]),
            upstream_response_body=row[n + 10],
            upstream_response_body_truncated=bool(row[n + 11]),
        )

    def token_totals(self, since: float | None = None) -> list[TokenTotals]:
        """Tokens per model (most used first), over requests started at or after `since`."""
        rows = self._query(
            "SELECT COALESCE(model_used, model_requested, ''), COUNT(*), "
            "TOTAL(input_tokens), TOTAL(cached_tokens), TOTAL(output_tokens), "
            "TOTAL(reasoning_tokens) FROM requests WHERE started_at >= ? "
            "GROUP BY 1 ORDER BY TOTAL(input_tokens) + TOTAL(output_tokens) DESC, 1",
            (since if since is not None else float("-inf"),),
        )
        return [TokenTotals(row[0], row[1], *(int(n) for n in row[2:])) for row in rows]

    def requests_since(self, since: float) -> int:
        """How many requests started at or after `since` (e.g. now - 60: requests per minute)."""
        rows = self._query("SELECT COUNT(*) FROM requests WHERE started_at >= ?", (since,))
        return int(rows[0][0]) if rows else 0

    def _version(self) -> int:
        rows = self._query("PRAGMA user_version", ())
        return int(rows[0][0]) if rows else 0

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> LogReader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _query(self, sql: str, args: tuple[object, ...]) -> list[tuple[Any, ...]]:
        # SQLite rows are untyped; the column lists above fix their shape.
        conn = self._connect()
        if conn is None:
            return []
        try:
            return conn.execute(sql, args).fetchall()
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):  # created, schema not written yet
                return []
            raise LogUnreadable(f"cannot read the request log {self.path}: {exc}") from exc
        except sqlite3.DatabaseError as exc:
            raise LogUnreadable(
                f"cannot read the request log {self.path}: {exc}{_set_aside(exc, self.path)}"
            ) from exc

    def _connect(self) -> sqlite3.Connection | None:
        if self._conn is None:
            if not self.path.exists():
                return None
            try:
                self._conn = sqlite3.connect(
                    self.path.resolve().as_uri() + "?mode=ro", uri=True, timeout=5.0
                )
            except sqlite3.Error as exc:
                raise LogUnreadable(
                    f"cannot open the request log {self.path}: {exc}{_set_aside(exc, self.path)}"
                ) from exc
        return self._conn


def _set_aside(exc: BaseException, path: Path) -> str:
    if not is_corrupt(exc):
        return ""
    return (
        f". The gateway keeps a damaged log as {path.name}{BROKEN_SUFFIX}<time> and starts a "
        "new one when it next records a request"
    )


def _pairs(text: object) -> list[tuple[str, str]]:
    if not isinstance(text, str | bytes):
        return []
    return [(str(name), str(value)) for name, value in orjson.loads(text)]
