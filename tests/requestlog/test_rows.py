from __future__ import annotations

from typing import Any

from codex2claudecode.requestlog.rows import to_row
from codex2claudecode.requestlog.schema import COLUMNS
from tests.requestlog.records import make_exchange, make_record


def row_of(**overrides: Any) -> dict[str, object]:
    record = make_record(**overrides)
    return dict(zip(COLUMNS, to_row(record, 64), strict=True))


def test_a_row_has_every_column_in_order() -> None:
    row = row_of(id="req-1", error="boom")
    assert (row["id"], row["method"], row["path"], row["status"]) == (
        "req-1",
        "POST",
        "/v1/messages",
        200,
    )
    assert row["error"] == "boom" and row["model_used"] == "gpt-5.4"
    assert row["request_headers"] == '[["content-type","application/json"]]'


def test_a_secret_cut_by_the_cap_is_redacted_whole() -> None:
    record = make_record()
    record.set_request_body(b'{"pad":"' + b"x" * 40 + b'","refresh_token":"rt-cut-by-the-cap"}')
    row = dict(zip(COLUMNS, to_row(record, 64), strict=True))
    body = row["request_body"]
    assert isinstance(body, str) and len(body) == 64 and row["request_body_truncated"]
    assert "rt-cut" not in body and "rt-c" not in body


def test_pause_is_called_while_redacting_bodies() -> None:
    calls: list[None] = []
    record = make_record()
    record.set_request_body(b'{"a":"Bearer abcdefghijkl","b":"sk-abcdefghijklmnopqrst"}')
    to_row(record, 64, lambda: calls.append(None))
    # After the request body's field passes, and before the one shape pass that could match;
    # the short response body, which no pass could match, is returned without a pass.
    assert len(calls) == 2


def test_no_body_limit_means_no_bodies() -> None:
    row = dict(zip(COLUMNS, to_row(make_record(), 0), strict=True))
    assert row["request_body"] is None and row["response_body"] is None


def test_a_passthrough_body_is_the_same_in_both_columns() -> None:
    body = b'{"pad":"' + b"x" * 40 + b'","refresh_token":"rt-cut-by-the-cap"}'
    record = make_record()
    record.set_request_body(body)
    record.set_upstream(make_exchange(request_body=bytes(body)))  # equal bytes, another object
    row = dict(zip(COLUMNS, to_row(record, 64), strict=True))
    assert row["upstream_request_body"] == row["request_body"]
    assert row["upstream_request_body_truncated"] == row["request_body_truncated"] is True
    assert "rt-c" not in str(row["upstream_request_body"])
