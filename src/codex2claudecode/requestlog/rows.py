"""A finished `RequestRecord` as the row the writer inserts: redacted, capped, encoded.

Runs in the writer thread only; everything costly about a record (decoding, redaction,
JSON-encoding the headers) happens here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import orjson

from codex2claudecode.requestlog.record import RequestRecord
from codex2claudecode.requestlog.redact import redact_body, redact_headers, redact_text

_REDACT_MARGIN = 4096
"""Bytes past the cap still redacted, so a secret cut by the cap is caught whole."""


def to_row(
    record: RequestRecord, limit: int, pause: Callable[[], object] | None = None
) -> tuple[object, ...]:
    """The values to insert (in `schema.COLUMNS` order): redacted, bodies cut to `limit`.

    Args:
        pause: called between the expensive steps (the writer yields the GIL there).
    """
    request_body, request_cut = _body(
        record.request_body, len(record.request_body or b""), limit, pause
    )
    response_body, response_cut = _body(record.response_body, record.response_size, limit, pause)
    return (
        record.id,
        record.started_at,
        record.dialect,
        record.method,
        redact_text(record.path),
        record.model_requested,
        record.model_used,
        record.provider,
        record.account,
        record.status,
        record.upstream_status,
        redact_text(record.upstream_url) if record.upstream_url else None,
        record.upstream_request_id,
        record.duration_ms,
        record.ttfb_ms,
        record.input_tokens,
        record.cached_tokens,
        record.output_tokens,
        record.reasoning_tokens,
        record.stop_reason,
        redact_text(record.error) if record.error else None,
        _headers(record.request_headers),
        _headers(record.response_headers),
        request_body,
        request_cut,
        response_body,
        response_cut,
    )


def _body(
    body: bytes | None, size: int, limit: int, pause: Callable[[], object] | None
) -> tuple[str | None, bool]:
    """Redacted text of at most `limit` characters, and whether anything was cut."""
    if not body or not limit:
        return None, False
    text = redact_body(body[: limit + _REDACT_MARGIN], pause)
    return text[:limit], size > limit or len(text) > limit


def _headers(headers: Sequence[tuple[bytes, bytes]] | None) -> str | None:
    if headers is None:
        return None
    return orjson.dumps(redact_headers(headers)).decode()
