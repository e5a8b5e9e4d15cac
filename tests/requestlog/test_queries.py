from __future__ import annotations

from pathlib import Path

import pytest

from codex2claudecode import ir
from codex2claudecode.requestlog import LogReader, LogUnreadable, RequestLog
from tests.requestlog.records import make_record

NOW = 1_800_000_000.0


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "requests.db"
    log = RequestLog(path, flush_interval=3600.0, clock=lambda: NOW)
    for n, (model, usage, age) in enumerate(
        [
            ("gpt-5.4", ir.Usage(100, 10, 20, 5), 3600 * 30),
            ("gpt-5.4-mini", ir.Usage(50, 0, 5), 3600),
            ("gpt-5.4", ir.Usage(200, 100, 40, 0), 30),
            (None, ir.Usage(0), 10),
        ]
    ):
        record = make_record(log, id=f"req-{n}", model_used=model, started_at=NOW - age)
        record.set_usage(usage)
        if model is None:
            record.model_requested = None
        log.submit(record)
    log.close()
    return path


def test_recent_is_the_newest_oldest_first(db: Path) -> None:
    with LogReader(db) as reader:
        assert [e.id for e in reader.recent(2)] == ["req-2", "req-3"]
        assert [e.id for e in reader.recent(100)] == ["req-0", "req-1", "req-2", "req-3"]


def test_after_follows_by_seq(db: Path) -> None:
    with LogReader(db) as reader:
        first = reader.recent(1)[0]
        assert reader.after(first.seq) == []
        entries = reader.after(0)
        assert [e.id for e in entries] == ["req-0", "req-1", "req-2", "req-3"]
        assert [e.id for e in reader.after(entries[1].seq, limit=1)] == ["req-2"]


def test_get_by_id_or_seq(db: Path) -> None:
    with LogReader(db) as reader:
        by_id = reader.get("req-1")
        assert by_id is not None
        assert reader.get(str(by_id.entry.seq)) == by_id
        assert reader.get("req-404") is None


def test_token_totals_per_model(db: Path) -> None:
    with LogReader(db) as reader:
        totals = reader.token_totals()
        assert [(t.model, t.requests, t.input_tokens, t.cached_tokens) for t in totals] == [
            ("gpt-5.4", 2, 300, 110),
            ("gpt-5.4-mini", 1, 50, 0),
            ("", 1, 0, 0),
        ]
        assert (totals[0].output_tokens, totals[0].reasoning_tokens) == (60, 5)
        today = reader.token_totals(since=NOW - 86_400)
        assert [(t.model, t.input_tokens) for t in today] == [
            ("gpt-5.4", 200),
            ("gpt-5.4-mini", 50),
            ("", 0),
        ]


def test_requests_since(db: Path) -> None:
    with LogReader(db) as reader:
        assert reader.requests_since(NOW - 60) == 2
        assert reader.requests_since(NOW + 1) == 0


def test_a_missing_log_reads_as_empty(tmp_path: Path) -> None:
    with LogReader(tmp_path / "nothing.db") as reader:
        assert not reader.exists
        assert reader.recent(10) == [] and reader.get("x") is None
        assert reader.token_totals() == [] and reader.requests_since(0) == 0


def test_an_empty_file_reads_as_empty(tmp_path: Path) -> None:
    path = tmp_path / "requests.db"
    path.touch()
    with LogReader(path) as reader:
        assert reader.exists and reader.recent(10) == []


def test_a_file_that_is_not_a_database_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "requests.db"
    path.write_bytes(b"this is not sqlite, just some text long enough to have a header" * 100)
    with LogReader(path) as reader, pytest.raises(LogUnreadable, match=r"requests\.db") as info:
        reader.recent(10)
    # What happens next, since the writer moves such a file aside by itself.
    assert "keeps a damaged log as requests.db.broken-<time>" in str(info.value)
