"""Test data for the request log: records built the way the pipeline fills them."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path
from typing import Any

from codex2claudecode import ir
from codex2claudecode.requestlog import RequestLog, RequestRecord


def make_record(log: RequestLog | None = None, **overrides: Any) -> RequestRecord:
    """A finished streaming `/v1/messages` request; `overrides` set any attribute."""
    request_id = overrides.pop("id", "req_test")
    record = (
        log.start("POST", "/v1/messages", request_id=request_id)
        if log is not None
        else RequestRecord(request_id, "POST", "/v1/messages")
    )
    record.dialect = "anthropic"
    record.provider = "codex"
    record.account = "me@example.com"
    record.model_requested = "claude-sonnet-4-5"
    record.model_used = "gpt-5.4"
    record.request_headers = [(b"content-type", b"application/json")]
    record.set_request_body(b'{"model":"claude-sonnet-4-5","stream":true}')
    record.add_response_chunk(b"event: message_start\ndata: {}\n\n")
    record.set_usage(ir.Usage(input_tokens=120, cached_tokens=20, output_tokens=30))
    record.stop_reason = "end_turn"
    record.upstream_status = 200
    record.mark_first_byte()
    record.finish(200)
    for name, value in overrides.items():
        setattr(record, name, value)
    return record


def make_exchange(**overrides: Any) -> ir.UpstreamExchange:
    """A Codex exchange as the backend reports it, its whole answer kept (64 KiB cap)."""
    body = ir.UpstreamBody(overrides.pop("limit", 64 * 1024), overrides.pop("render", None))
    for chunk in overrides.pop("chunks", [b"event: response.created\ndata: {}\n\n"]):
        body.add(chunk)
    fields: dict[str, Any] = {
        "url": "https://chatgpt.example/backend-api/codex/responses",
        "status": 200,
        "request_id": "req_up_1",
        "request_headers": {"authorization": "Bearer at-1", "originator": "codex_cli_rs"},
        "request_body": b'{"model":"gpt-5.4","stream":true}',
        "response_headers": ((b"content-type", b"text/event-stream"),),
        "response_body": body,
    }
    return ir.UpstreamExchange(**{**fields, **overrides})


def rows(path: Path, sql: str = "SELECT id FROM requests ORDER BY seq") -> list[Any]:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return conn.execute(sql).fetchall()


def ids(path: Path) -> list[str]:
    return [row[0] for row in rows(path)]
