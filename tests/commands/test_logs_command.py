from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from codex2claudecode.cli import main
from codex2claudecode.commands import logs
from codex2claudecode.requestlog import LogEntry, RequestLog
from tests.requestlog.records import make_exchange, make_record

T0 = datetime(2026, 3, 2, 9, 30, 5, tzinfo=UTC).timestamp()
RECENT = time.time() - 600  # within the log's retention


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The state directory the CLI reads, via the environment as a user would set it."""
    monkeypatch.setenv("CODEX2CLAUDECODE_HOME", str(tmp_path))
    monkeypatch.delenv("CODEX_AUTH_FILE", raising=False)
    return tmp_path


def write(home: Path, *records: dict[str, object]) -> None:
    log = RequestLog(home / "requests.db", flush_interval=3600.0)
    for n, fields in enumerate(records):
        fields = {"id": f"req-{n}", "started_at": RECENT + n, **fields}
        log.submit(make_record(log, **fields))
    log.close()


def test_a_missing_log_says_how_to_fill_it(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["logs"]) == 0
    out = capsys.readouterr().out
    assert f"No requests logged: {home / 'requests.db'} does not exist yet." in out
    assert "Start the gateway" in out


def test_the_table(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(home, {}, {"status": 429, "error": "rate limited", "model_used": None}, {})
    assert main(["logs", "-n", "2"]) == 0
    header, first, second = capsys.readouterr().out.splitlines()
    assert header.split()[:3] == ["TIME", "STATUS", "METHOD"]
    assert "429" in first and "rate limited" in first
    assert "claude-sonnet-4-5 -> gpt-5.4" in second and "end_turn" in second
    for column in ("STATUS", "PATH", "ACCOUNT", "TOKENS"):
        at = header.index(column)
        assert first[at - 2 : at] == second[at - 2 : at] == "  "  # aligned under the title


def test_render_row() -> None:
    record = make_record(id="req-1", started_at=T0)
    record.duration_ms, record.ttfb_ms = 12_345.0, 87.4
    fields = {name: getattr(record, name) for name in LogEntry.__slots__ if name != "seq"}
    row = logs.render_row(LogEntry(seq=1, **fields), UTC)
    assert row == (
        "03-02 09:30:05  200     POST    /v1/messages              "
        "claude-sonnet-4-5 -> gpt-5.4        me@example.com          "
        "12.3s     87ms      120/20/30             end_turn"
    )


def test_json_lines(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(home, {}, {})
    assert main(["logs", "--json"]) == 0
    lines = [orjson.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["id"] for line in lines] == ["req-0", "req-1"]
    assert lines[0]["input_tokens"] == 120 and lines[0]["model_used"] == "gpt-5.4"
    assert "request_body" not in lines[0]


def test_one_request_in_full(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(home, {"request_headers": [(b"authorization", b"Bearer planted-secret")]})
    assert main(["logs", "--id", "req-0"]) == 0
    out = capsys.readouterr().out
    assert "Request:        req-0 (#1)" in out
    assert "Model:          claude-sonnet-4-5 -> gpt-5.4" in out
    assert "  authorization: [redacted]" in out and "planted-secret" not in out
    assert '{\n  "model": "claude-sonnet-4-5",\n  "stream": true\n}' in out  # pretty JSON
    assert "event: message_start" in out
    assert main(["logs", "--id", "1", "--json"]) == 0
    detail = orjson.loads(capsys.readouterr().out)
    assert detail["entry"]["id"] == "req-0"
    assert detail["request_body"] == '{"model":"claude-sonnet-4-5","stream":true}'


def test_one_request_with_its_upstream_exchange(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = RequestLog(home / "requests.db", flush_interval=3600.0)
    record = make_record(log, id="req-up", started_at=RECENT)
    record.set_upstream(make_exchange())
    log.submit(record)
    log.close()
    assert main(["logs", "--json"]) == 0
    [listed] = [orjson.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert listed["upstream_url"] == "https://chatgpt.example/backend-api/codex/responses"
    assert listed["upstream_request_id"] == "req_up_1" and listed["upstream_status"] == 200
    assert main(["logs", "--id", "req-up", "--json"]) == 0
    detail = orjson.loads(capsys.readouterr().out)
    assert detail["upstream_request_headers"] == [
        ["authorization", "[redacted]"],
        ["originator", "codex_cli_rs"],
    ]
    assert detail["upstream_request_body"] == '{"model":"gpt-5.4","stream":true}'
    assert detail["upstream_response_headers"] == [["content-type", "text/event-stream"]]
    assert detail["upstream_response_body"].startswith("event: response.created")
    assert detail["upstream_request_body_truncated"] is False
    assert detail["request_body"] == '{"model":"claude-sonnet-4-5","stream":true}'  # kept too
    assert main(["logs", "--id", "req-up"]) == 0
    out = capsys.readouterr().out
    assert "Upstream:       https://chatgpt.example/backend-api/codex/responses req_up_1" in out
    assert "Upstream request headers:\n  authorization: [redacted]" in out
    assert 'Upstream request body:\n{\n  "model": "gpt-5.4",' in out
    assert "Upstream response body:\nevent: response.created" in out


def test_an_unknown_id(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(home, {})
    assert main(["logs", "--id", "req-404"]) == 1
    assert "no request 'req-404'" in capsys.readouterr().err


def test_a_log_that_is_not_a_database(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (home / "requests.db").write_bytes(b"not a database at all, only text" * 200)
    assert main(["logs"]) == 1
    assert "cannot read the request log" in capsys.readouterr().err


def test_n_must_be_positive(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["logs", "-n", "0"])
    assert exit_info.value.code == 2
    assert "N must be a positive whole number" in capsys.readouterr().err


def test_follow_prints_new_requests_and_ends_cleanly_on_ctrl_c(home: Path) -> None:
    write(home, {})
    follower = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from codex2claudecode.cli import main; raise SystemExit(main())",
            "logs",
            "-f",
            "--json",
        ],
        env={**os.environ, "CODEX2CLAUDECODE_HOME": str(home)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert follower.stdout is not None
        assert orjson.loads(follower.stdout.readline())["id"] == "req-0"
        log = RequestLog(home / "requests.db", flush_interval=3600.0)
        log.submit(make_record(log, id="req-new"))
        log.close()
        assert orjson.loads(follower.stdout.readline())["id"] == "req-new"
        follower.send_signal(signal.SIGINT)
        _, err = follower.communicate()
    finally:
        follower.kill()
    assert follower.returncode == 0
    assert "Traceback" not in err
