from __future__ import annotations

from codex2claudecode import ir
from codex2claudecode.requestlog import RequestRecord


def test_a_new_record_knows_only_the_request_line() -> None:
    record = RequestRecord("req-1", "GET", "/health", started_at=12.5)
    assert (record.id, record.method, record.path, record.started_at) == (
        "req-1",
        "GET",
        "/health",
        12.5,
    )
    assert record.status == 0 and record.duration_ms is None and record.ttfb_ms is None
    assert record.request_body is None and record.response_body is None


def test_bodies_are_kept_up_to_the_limit_by_reference() -> None:
    record = RequestRecord("req-1", "POST", "/v1/messages", body_limit=10)
    body = b"0123456789abcdef"
    record.set_request_body(body)
    assert record.request_body is body  # no copy on the request path; the writer caps it
    for chunk in (b"abcd", b"efgh", b"ijkl", b"mnop"):
        record.add_response_chunk(chunk)
    assert record.response_body == b"abcdefghijkl"  # whole chunks; the writer cuts at 10
    assert record.response_size == 16


def test_a_zero_limit_keeps_no_body() -> None:
    record = RequestRecord("req-1", "POST", "/v1/messages", body_limit=0)
    record.set_request_body(b"{}")
    record.add_response_chunk(b"data")
    assert record.request_body is None and record.response_body is None
    assert record.response_size == 4


def test_usage_first_byte_and_finish() -> None:
    record = RequestRecord("req-1", "POST", "/v1/messages")
    record.set_usage(
        ir.Usage(input_tokens=10, cached_tokens=4, output_tokens=3, reasoning_tokens=2)
    )
    assert (
        record.input_tokens,
        record.cached_tokens,
        record.output_tokens,
        record.reasoning_tokens,
    ) == (10, 4, 3, 2)
    record.mark_first_byte()
    first = record.ttfb_ms
    record.mark_first_byte()
    assert record.ttfb_ms == first
    record.finish(529)
    assert record.status == 529
    assert first is not None and record.duration_ms is not None and record.duration_ms >= first
