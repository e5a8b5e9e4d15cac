from __future__ import annotations

import logging
import os
import re
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from codex2claudecode.requestlog import LogReader, RequestLog
from tests.requestlog.records import ids, make_exchange, make_record, rows

ROOT = Path(__file__).resolve().parents[2]
NOW = 1_800_000_000.0
DAY = 86_400.0


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "state" / "requests.db"


@pytest.fixture
def open_logs() -> Iterator[list[RequestLog]]:
    """Logs to close at the end of a test, whatever its outcome."""
    logs: list[RequestLog] = []
    yield logs
    for log in logs:
        log.close()


def new_log(open_logs: list[RequestLog], db: Path, **options: object) -> RequestLog:
    options.setdefault("flush_interval", 3600.0)  # only flush(), close() or a full batch write
    log = RequestLog(db, **options)  # type: ignore[arg-type]
    open_logs.append(log)
    return log


def warnings_from_the_log(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "codex2claudecode.requestlog" and r.levelno >= logging.WARNING
    ]


# ---------------------------------------------------------------------- writing


def test_submit_leaves_the_writing_to_the_writer(db: Path, open_logs: list[RequestLog]) -> None:
    log = new_log(open_logs, db)
    for n in range(3):
        log.submit(make_record(log, id=f"req-{n}"))
    assert not db.exists()  # nothing written on the request path
    assert log.flush()
    assert ids(db) == ["req-0", "req-1", "req-2"]


def test_a_full_batch_is_written_without_waiting_for_the_interval(
    db: Path, open_logs: list[RequestLog]
) -> None:
    log = new_log(open_logs, db, batch_size=5)
    for n in range(5):
        log.submit(make_record(log, id=f"req-{n}"))
    with LogReader(db) as reader:
        while len(reader.recent(10)) < 5:  # the per-test timeout fails a writer that never wakes
            log._wake.wait(0.01)
    assert ids(db) == [f"req-{n}" for n in range(5)]


def test_close_writes_what_is_pending(db: Path) -> None:
    log = RequestLog(db, flush_interval=3600.0)
    log.submit(make_record(log, id="last"))
    log.close()
    log.close()  # idempotent
    assert ids(db) == ["last"]


def test_a_closed_log_still_takes_records_without_complaint(db: Path) -> None:
    log = RequestLog(db, flush_interval=3600.0)
    log.close()
    log.submit(make_record(log, id="late"))  # a request finishing during shutdown
    assert not log.flush()
    assert not db.exists()


def test_every_fact_is_stored(db: Path, open_logs: list[RequestLog]) -> None:
    log = new_log(open_logs, db)
    record = make_record(
        log,
        id="req-1",
        error="upstream failed",
        upstream_url="https://chatgpt.com/backend-api/codex/responses",
        upstream_request_id="up-1",
    )
    record.response_headers = [(b"content-type", b"text/event-stream")]
    log.submit(record)
    log.flush()
    with LogReader(db) as reader:
        detail = reader.get("req-1")
    assert detail is not None
    entry = detail.entry
    assert (entry.method, entry.path, entry.dialect, entry.provider, entry.account) == (
        "POST",
        "/v1/messages",
        "anthropic",
        "codex",
        "me@example.com",
    )
    assert (entry.model_requested, entry.model_used) == ("claude-sonnet-4-5", "gpt-5.4")
    assert (entry.status, entry.upstream_status, entry.stop_reason) == (200, 200, "end_turn")
    assert (entry.input_tokens, entry.cached_tokens, entry.output_tokens) == (120, 20, 30)
    assert entry.reasoning_tokens == 0
    assert entry.error == "upstream failed"
    assert entry.upstream_request_id == "up-1"
    assert entry.duration_ms is not None and entry.ttfb_ms is not None
    assert 0 <= entry.ttfb_ms <= entry.duration_ms
    assert entry.started_at == record.started_at
    assert detail.request_headers == [("content-type", "application/json")]
    assert detail.response_headers == [("content-type", "text/event-stream")]
    assert detail.request_body == '{"model":"claude-sonnet-4-5","stream":true}'
    assert detail.response_body == "event: message_start\ndata: {}\n\n"
    assert not detail.request_body_truncated and not detail.response_body_truncated


def test_bodies_are_capped_and_flagged(db: Path, open_logs: list[RequestLog]) -> None:
    log = new_log(open_logs, db, body_limit=100)
    record = make_record(log, id="big")
    record.set_request_body(b"a" * 1000)
    for _ in range(50):
        record.add_response_chunk(b"b" * 30)
    log.submit(record)
    log.flush()
    with LogReader(db) as reader:
        detail = reader.get("big")
    assert detail is not None
    assert detail.request_body == "a" * 100 and detail.request_body_truncated
    assert detail.response_body is not None
    assert detail.response_body.endswith("b" * 30)
    assert len(detail.response_body) == 100 and detail.response_body_truncated


def test_log_body_off_keeps_no_bodies(db: Path, open_logs: list[RequestLog]) -> None:
    log = new_log(open_logs, db, log_body=False)
    log.submit(make_record(log, id="quiet"))
    log.flush()
    assert rows(db, "SELECT request_body, response_body, request_headers FROM requests") == [
        (None, None, '[["content-type","application/json"]]')
    ]


def test_the_file_is_private_and_versioned(db: Path, open_logs: list[RequestLog]) -> None:
    log = new_log(open_logs, db)
    log.submit(make_record(log))
    log.flush()
    for path in db.parent.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert stat.S_IMODE(db.parent.stat().st_mode) == 0o700
    assert rows(db, "PRAGMA user_version") == [(2,)]
    assert rows(db, "PRAGMA journal_mode") == [("wal",)]


# ---------------------------------------------------------------------- secrets

SECRETS = {
    "authorization": b"Bearer local-gateway-password-123",
    "x-api-key": b"sk-ant-api03-PLANTEDkeyPLANTEDkey",
    "cookie": b"session=planted-cookie-value",
}
BODY_SECRETS = [
    b"planted-refresh-token-456",
    b"planted-access-token-789",
    b"eyJhbGciOiJSUzI1NiJ9.eyJwbGFudGVkIjoidG9rZW4ifQ.cGxhbnRlZC1zaWc",
    b"sk-proj-PLANTEDprojectKEY0000",
]


def test_secrets_never_reach_the_database_file(db: Path) -> None:
    log = RequestLog(db, flush_interval=3600.0)
    record = make_record(log, id="secret-1", error="refused Bearer planted-error-token")
    record.path = "/v1/messages?api_key=planted-query-key"
    record.request_headers = [(name.encode(), value) for name, value in SECRETS.items()]
    record.response_headers = [(b"set-cookie", b"planted-set-cookie")]
    record.set_request_body(
        b'{"refresh_token":"planted-refresh-token-456","messages":[{"role":"user","content":'
        b'"my key is sk-proj-PLANTEDprojectKEY0000 and {\\"access_token\\":'
        b'\\"planted-access-token-789\\"}"}],"metadata":{"jwt":"eyJhbGciOiJSUzI1NiJ9.'
        b'eyJwbGFudGVkIjoidG9rZW4ifQ.cGxhbnRlZC1zaWc"}}'
    )
    record.add_response_chunk(b'data: {"echo":"Bearer planted-echoed-bearer"}\n\n')
    record.set_upstream(
        make_exchange(
            url="https://q.example/generate?X-Amz-Signature=planted0signature0hex",
            request_headers={
                "authorization": "Bearer planted-upstream-access",
                "x-api-key": "planted-upstream-key",
                "x-amz-security-token": "planted-session-token",
                "cookie": "cf=planted-upstream-cookie",
                "chatgpt-account-id": "acct-kept-1",
            },
            request_body=b'{"input":"hi","auth":{"accessToken":"planted-body-access",'
            b'"sessionToken":"planted-body-session"},"url":"https://s3.example/o?'
            b'X-Amz-Credential=AKIAPLANTED&X-Amz-Signature=planted1signature"}',
            response_headers=[(b"set-cookie", b"__cf_bm=planted-upstream-set-cookie")],
            chunks=[
                b'event: response.created\ndata: {"refresh_token":"planted-sse-refresh"',
                b',"x":"Bearer planted-sse-bearer"}\n\n',
            ],
        )
    )
    log.submit(record)
    log.close()
    planted = [
        b"planted0signature0hex",
        b"planted-upstream-access",
        b"planted-upstream-key",
        b"planted-session-token",
        b"planted-upstream-cookie",
        b"planted-body-access",
        b"planted-body-session",
        b"planted1signature",
        b"planted-upstream-set-cookie",
        b"planted-sse-refresh",
        b"planted-sse-bearer",
        *SECRETS.values(),
        b"local-gateway-password-123",
        b"PLANTEDkeyPLANTEDkey",
        b"planted-cookie-value",
        *BODY_SECRETS,
        b"planted-error-token",
        b"planted-query-key",
        b"planted-set-cookie",
        b"planted-echoed-bearer",
    ]
    files = list(db.parent.iterdir())
    assert db in files
    for path in files:  # the database, its WAL and shared-memory files
        data = path.read_bytes()
        for secret in planted:
            assert secret not in data, (path.name, secret)
    with LogReader(db) as reader:
        detail = reader.get("secret-1")
    assert detail is not None and detail.request_body is not None
    assert '"refresh_token":"[redacted]"' in detail.request_body
    assert ("chatgpt-account-id", "acct-kept-1") in detail.upstream_request_headers
    assert (
        detail.upstream_request_body is not None and '"input":"hi"' in detail.upstream_request_body
    )
    assert detail.upstream_response_body is not None
    assert detail.upstream_response_body.startswith("event: response.created")


# ---------------------------------------------------------------------- retention


def test_retention_keeps_the_newest_rows(db: Path, open_logs: list[RequestLog]) -> None:
    log = new_log(open_logs, db, max_rows=3, prune_interval=0)
    for n in range(5):
        log.submit(make_record(log, id=f"req-{n}"))
    log.flush()
    assert ids(db) == ["req-2", "req-3", "req-4"]
    log.submit(make_record(log, id="req-5"))
    log.flush()
    assert ids(db) == ["req-3", "req-4", "req-5"]


def test_retention_forgets_old_requests(db: Path, open_logs: list[RequestLog]) -> None:
    log = new_log(open_logs, db, max_age_days=7, prune_interval=0, clock=lambda: NOW)
    for name, age_days in [("ancient", 30), ("last-week", 7.5), ("yesterday", 1), ("now", 0)]:
        log.submit(make_record(log, id=name, started_at=NOW - age_days * DAY))
    log.flush()
    assert ids(db) == ["yesterday", "now"]


def test_retention_runs_only_every_prune_interval(db: Path, open_logs: list[RequestLog]) -> None:
    now = [NOW]
    log = new_log(open_logs, db, max_rows=2, prune_interval=60, clock=lambda: now[0])
    for n in range(4):  # the first write prunes (one row), the next three do not
        log.submit(make_record(log, id=f"req-{n}", started_at=now[0]))
        log.flush()
    assert ids(db) == ["req-0", "req-1", "req-2", "req-3"]
    now[0] += 61
    log.submit(make_record(log, id="req-4", started_at=now[0]))
    log.flush()
    assert ids(db) == ["req-3", "req-4"]


# ---------------------------------------------------------------------- sharing and failures


def run_writer(db: Path, count: int, tag: str, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.requestlog.writer_process", str(db), str(count), tag, *extra],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_processes_write_the_same_log(db: Path) -> None:
    writers = [run_writer(db, 300, tag) for tag in ("alpha", "beta")]
    for writer in writers:
        out, err = writer.communicate()
        assert (writer.returncode, out.strip(), err) == (0, "done", "")
    written = ids(db)
    for tag in ("alpha", "beta"):
        assert [i for i in written if i.startswith(tag)] == [f"{tag}-{n}" for n in range(300)]
    assert rows(db, "PRAGMA integrity_check") == [("ok",)]


def test_a_full_disk_is_one_warning_and_no_failure(tmp_path: Path) -> None:
    db = tmp_path / "requests.db"
    writer = run_writer(db, 200, "full", str(256 * 1024))
    out, err = writer.communicate()
    assert (writer.returncode, out.strip()) == (0, "done")
    warnings = [line for line in err.splitlines() if line.startswith("WARNING")]
    assert len(warnings) == 1, err
    assert "cannot write to" in warnings[0] and "not recorded" in warnings[0]


def test_a_locked_database_degrades_then_recovers(
    db: Path, open_logs: list[RequestLog], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="codex2claudecode.requestlog")
    log = new_log(open_logs, db, busy_timeout=0.05, retry_interval=0)
    log.submit(make_record(log, id="before"))
    log.flush()
    blocker = sqlite3.connect(db, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another process holding the write lock
    for n in range(3):
        log.submit(make_record(log, id=f"blocked-{n}"))
        log.flush()
    blocker.execute("ROLLBACK")
    blocker.close()
    log.submit(make_record(log, id="after"))
    log.flush()
    assert ids(db) == ["before", "after"]
    warnings = warnings_from_the_log(caplog)
    assert len(warnings) == 1 and "locked" in warnings[0]
    assert any(
        "writing to" in r.getMessage() and "3 requests" in r.getMessage() for r in caplog.records
    )


@pytest.mark.parametrize("broken", ["parent is a file", "path is a directory"])
def test_a_path_that_cannot_be_opened_is_one_warning(
    tmp_path: Path, broken: str, caplog: pytest.LogCaptureFixture
) -> None:
    if broken == "parent is a file":
        (tmp_path / "state").write_text("not a directory")
        db = tmp_path / "state" / "requests.db"
    else:
        db = tmp_path / "requests.db"
        db.mkdir()
    log = RequestLog(db, flush_interval=3600.0, retry_interval=0)
    for n in range(3):
        log.submit(make_record(log, id=f"req-{n}"))
        assert log.flush()
    log.close()
    warnings = warnings_from_the_log(caplog)
    assert len(warnings) == 1
    assert str(db) in warnings[0] and "not recorded" in warnings[0]


def _can_write_anyway(directory: Path) -> bool:
    probe = directory / "probe"
    try:
        probe.touch()
    except PermissionError:
        return False
    probe.unlink()
    return True


def test_a_read_only_state_directory_is_one_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    state = tmp_path / "state"
    state.mkdir()
    state.chmod(0o500)
    try:
        if _can_write_anyway(state):
            pytest.skip("this user (root?) can write to a read-only directory")
        log = RequestLog(state / "requests.db", flush_interval=3600.0, retry_interval=0)
        for n in range(3):
            log.submit(make_record(log, id=f"req-{n}"))
            assert log.flush()
        log.close()
    finally:
        state.chmod(0o700)
    assert len(warnings_from_the_log(caplog)) == 1
    assert not (state / "requests.db").exists()


def test_a_log_from_a_newer_version_is_left_alone(
    db: Path, open_logs: list[RequestLog], caplog: pytest.LogCaptureFixture
) -> None:
    db.parent.mkdir()
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA user_version = 99")
    log = new_log(open_logs, db)
    log.submit(make_record(log))
    log.flush()
    (warning,) = warnings_from_the_log(caplog)
    assert "schema version 99" in warning and "newer codex2claudecode" in warning
    assert "disk has space" not in warning  # no advice that does not fit the cause
    assert rows(db, "SELECT name FROM sqlite_master") == []
    os.chmod(db, 0o600)


def test_a_file_that_is_no_database_is_kept_aside_and_a_new_log_begins(
    db: Path, open_logs: list[RequestLog], caplog: pytest.LogCaptureFixture
) -> None:
    db.parent.mkdir()
    garbage = os.urandom(4096)
    db.write_bytes(garbage)
    log = new_log(open_logs, db)
    log.submit(make_record(log, id="first"))
    log.flush()

    assert ids(db) == ["first"]
    (kept,) = db.parent.glob("requests.db.broken-*")
    assert re.fullmatch(r"requests\.db\.broken-\d{8}-\d{6}", kept.name)  # when, in UTC
    assert kept.read_bytes() == garbage  # the user's file is moved, never lost
    (warning,) = warnings_from_the_log(caplog)
    assert "not a usable SQLite database" in warning and kept.name in warning
    assert "not recorded" not in warning  # nothing was lost


def test_a_log_damaged_inside_is_kept_aside_at_the_next_write(
    db: Path, open_logs: list[RequestLog], caplog: pytest.LogCaptureFixture
) -> None:
    log = new_log(open_logs, db, retry_interval=3600)
    log.submit(make_record(log, id="before"))
    log.flush()
    log.close()
    data = bytearray(db.read_bytes())
    data[4096:] = os.urandom(len(data) - 4096)  # the header page holds, the tables do not
    db.write_bytes(bytes(data))
    log = new_log(open_logs, db, retry_interval=3600)
    log.submit(make_record(log, id="now"))
    log.flush()

    assert ids(db) == ["now"]  # written to the new log, in the same attempt
    (kept,) = db.parent.glob("requests.db.broken-*")
    assert kept.read_bytes() == bytes(data)
    (warning,) = warnings_from_the_log(caplog)
    assert "started a new log" in warning


# ---------------------------------------------------------------------- the upstream exchange


def test_the_upstream_exchange_is_stored(db: Path, open_logs: list[RequestLog]) -> None:
    log = new_log(open_logs, db)
    record = make_record(log, id="up-1")
    record.set_upstream(make_exchange())
    log.submit(record)
    log.flush()
    with LogReader(db) as reader:
        detail = reader.get("up-1")
    assert detail is not None
    entry = detail.entry
    assert entry.upstream_url == "https://chatgpt.example/backend-api/codex/responses"
    assert (entry.upstream_request_id, entry.upstream_status) == ("req_up_1", 200)
    assert detail.upstream_request_headers == [
        ("authorization", "[redacted]"),
        ("originator", "codex_cli_rs"),
    ]
    assert detail.upstream_request_body == '{"model":"gpt-5.4","stream":true}'
    assert detail.upstream_response_headers == [("content-type", "text/event-stream")]
    assert detail.upstream_response_body == "event: response.created\ndata: {}\n\n"
    assert not detail.upstream_request_body_truncated
    assert not detail.upstream_response_body_truncated


def test_upstream_bodies_are_capped_rendered_and_flagged(
    db: Path, open_logs: list[RequestLog]
) -> None:
    log = new_log(open_logs, db, body_limit=100)
    record = make_record(log, id="up-cap")
    kept = [b"x" * 60, b"y" * 60, b"z" * 60]  # the third read comes after the cap
    record.set_upstream(
        make_exchange(
            limit=100,
            chunks=kept,
            render=lambda data: data.decode().upper(),
            request_body=b"b" * 150,
        )
    )
    log.submit(record)
    log.flush()
    with LogReader(db) as reader:
        detail = reader.get("up-cap")
    assert detail is not None
    assert detail.upstream_response_body == "X" * 60 + "Y" * 40
    assert detail.upstream_response_body_truncated
    assert detail.upstream_request_body == "b" * 100 and detail.upstream_request_body_truncated


def test_without_log_body_the_upstream_bodies_are_not_kept(
    db: Path, open_logs: list[RequestLog]
) -> None:
    log = new_log(open_logs, db, log_body=False)
    record = make_record(log, id="up-none")
    record.set_upstream(make_exchange(limit=0))
    log.submit(record)
    log.flush()
    assert rows(db, "SELECT upstream_request_body, upstream_response_body FROM requests") == [
        (None, None)
    ]


SCHEMA_1 = """
CREATE TABLE requests (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL, started_at REAL NOT NULL,
    dialect TEXT, method TEXT NOT NULL, path TEXT NOT NULL, model_requested TEXT,
    model_used TEXT, provider TEXT, account TEXT, status INTEGER NOT NULL,
    upstream_status INTEGER, upstream_url TEXT, upstream_request_id TEXT, duration_ms REAL,
    ttfb_ms REAL, input_tokens INTEGER, cached_tokens INTEGER, output_tokens INTEGER,
    reasoning_tokens INTEGER, stop_reason TEXT, error TEXT, request_headers TEXT,
    response_headers TEXT, request_body TEXT,
    request_body_truncated INTEGER NOT NULL DEFAULT 0, response_body TEXT,
    response_body_truncated INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX requests_started_at ON requests(started_at);
CREATE INDEX requests_id ON requests(id);
INSERT INTO requests (id, started_at, method, path, status, request_headers, request_body,
    response_body) VALUES ('old-1', 1700000000.5, 'POST', '/v1/messages', 200,
    '[["content-type","application/json"]]', '{"model":"m"}', 'event: x');
PRAGMA user_version = 1;
"""
"""The request log as version 1 of the gateway created it, with one request in it."""


def test_a_version_1_log_is_migrated_and_keeps_its_rows(
    db: Path, open_logs: list[RequestLog]
) -> None:
    db.parent.mkdir()
    with sqlite3.connect(db) as conn:
        conn.executescript(SCHEMA_1)
    with LogReader(db) as reader:  # read before any gateway migrated it
        old = reader.get("old-1")
    assert old is not None and old.request_body == '{"model":"m"}'
    assert old.upstream_request_body is None and old.upstream_request_headers == []

    log = new_log(open_logs, db, max_age_days=1e6)
    record = make_record(log, id="new-1")
    record.set_upstream(make_exchange())
    log.submit(record)
    log.flush()
    assert rows(db, "PRAGMA user_version") == [(2,)]
    assert ids(db) == ["old-1", "new-1"]
    with LogReader(db) as reader:
        old = reader.get("old-1")
        new = reader.get("new-1")
    assert old is not None and new is not None
    assert (old.entry.started_at, old.request_body, old.response_body) == (
        1700000000.5,
        '{"model":"m"}',
        "event: x",
    )
    assert old.upstream_request_body is None and not old.upstream_response_body_truncated
    assert new.upstream_request_body == '{"model":"gpt-5.4","stream":true}'
    log.close()
    reopened = new_log(open_logs, db, max_age_days=1e6)  # opening a v2 file changes nothing
    reopened.submit(make_record(reopened, id="new-2"))
    reopened.flush()
    assert ids(db) == ["old-1", "new-1", "new-2"]
