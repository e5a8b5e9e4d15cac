"""The request log's SQLite schema, shared by the writer and the readers.

One table, `requests`, one row per request. `seq` orders rows by commit (SQLite serialises
writers, so a follower never misses a row); bodies come last so that listing queries do not
read their overflow pages. `PRAGMA user_version` holds `SCHEMA_VERSION`; `MIGRATIONS[v]`
brings a version-`v` file to `v + 1`.

Version 2 added the upstream exchange: the headers and body sent upstream, and the
upstream's response headers and body (for Kiro's binary stream, its frames as text).
"""

from __future__ import annotations

SCHEMA_VERSION = 2

BROKEN_SUFFIX = ".broken-"
"""A corrupt log is renamed `requests.db.broken-<UTC time>` (its -wal and -shm likewise)."""
_CORRUPT = frozenset({"SQLITE_CORRUPT", "SQLITE_NOTADB"})


def is_corrupt(exc: BaseException) -> bool:
    """Whether SQLite found the file damaged, or no database at all."""
    return getattr(exc, "sqlite_errorname", None) in _CORRUPT


COLUMNS = (
    "id",
    "started_at",
    "dialect",
    "method",
    "path",
    "model_requested",
    "model_used",
    "provider",
    "account",
    "status",
    "upstream_status",
    "upstream_url",
    "upstream_request_id",
    "duration_ms",
    "ttfb_ms",
    "input_tokens",
    "cached_tokens",
    "output_tokens",
    "reasoning_tokens",
    "stop_reason",
    "error",
    "request_headers",
    "response_headers",
    "request_body",
    "request_body_truncated",
    "response_body",
    "response_body_truncated",
    "upstream_request_headers",
    "upstream_request_body",
    "upstream_request_body_truncated",
    "upstream_response_headers",
    "upstream_response_body",
    "upstream_response_body_truncated",
)

SUMMARY_COLUMNS = COLUMNS[: COLUMNS.index("request_headers")]
"""Everything but headers and bodies: what listings read."""
DETAIL_COLUMNS = COLUMNS[len(SUMMARY_COLUMNS) :]
"""Headers and bodies, the client's then the upstream's: what the detail view adds."""

CREATE = """
CREATE TABLE IF NOT EXISTS requests (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL,
    started_at REAL NOT NULL,
    dialect TEXT,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    model_requested TEXT,
    model_used TEXT,
    provider TEXT,
    account TEXT,
    status INTEGER NOT NULL,
    upstream_status INTEGER,
    upstream_url TEXT,
    upstream_request_id TEXT,
    duration_ms REAL,
    ttfb_ms REAL,
    input_tokens INTEGER,
    cached_tokens INTEGER,
    output_tokens INTEGER,
    reasoning_tokens INTEGER,
    stop_reason TEXT,
    error TEXT,
    request_headers TEXT,
    response_headers TEXT,
    request_body TEXT,
    request_body_truncated INTEGER NOT NULL DEFAULT 0,
    response_body TEXT,
    response_body_truncated INTEGER NOT NULL DEFAULT 0,
    upstream_request_headers TEXT,
    upstream_request_body TEXT,
    upstream_request_body_truncated INTEGER NOT NULL DEFAULT 0,
    upstream_response_headers TEXT,
    upstream_response_body TEXT,
    upstream_response_body_truncated INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS requests_started_at ON requests(started_at);
CREATE INDEX IF NOT EXISTS requests_id ON requests(id);
"""

MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        "ALTER TABLE requests ADD COLUMN upstream_request_headers TEXT",
        "ALTER TABLE requests ADD COLUMN upstream_request_body TEXT",
        "ALTER TABLE requests ADD COLUMN "
        "upstream_request_body_truncated INTEGER NOT NULL DEFAULT 0",
        "ALTER TABLE requests ADD COLUMN upstream_response_headers TEXT",
        "ALTER TABLE requests ADD COLUMN upstream_response_body TEXT",
        "ALTER TABLE requests ADD COLUMN "
        "upstream_response_body_truncated INTEGER NOT NULL DEFAULT 0",
    ),
}

INSERT = f"INSERT INTO requests ({', '.join(COLUMNS)}) VALUES ({', '.join('?' for _ in COLUMNS)})"
