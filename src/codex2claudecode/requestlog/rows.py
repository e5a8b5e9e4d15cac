"""A finished `RequestRecord` as the row the writer inserts: redacted, capped, encoded.

Runs in the writer thread only; everything costly about a record (decoding, redaction,
JSON-encoding the headers) happens here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

import orjson

from codex2claudecode import ir
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
    upstream = _upstream(
        record.upstream, limit, pause, (record.request_body, (request_body, request_cut))
    )
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
        *upstream,
    )


def _upstream(
    exchange: ir.UpstreamExchange | None,
    limit: int,
    pause: Callable[[], object] | None,
    client: tuple[bytes | None, tuple[str | None, bool]],
) -> tuple[object, ...]:
    """The six upstream columns: request headers, body, cut; response headers, body, cut.

    Args:
        client: the client's request body and its column values, reused when the same bytes
            went upstream (a passthrough) rather than redacted twice.
    """
    if exchange is None:
        return (None, None, False, None, None, False)
    sent = exchange.request_body
    if sent and sent == client[0]:
        request_body, request_cut = client[1]
    else:
        request_body, request_cut = _body(sent, len(sent), limit, pause)
    kept = exchange.response_body
    response_body, response_cut = _body(b"".join(kept.chunks), kept.size, limit, pause, kept.render)
    return (
        _headers(_encoded(exchange.request_headers)),
        request_body,
        request_cut,
        _headers(exchange.response_headers),
        response_body,
        response_cut,
    )


def _encoded(headers: Mapping[str, str]) -> list[tuple[bytes, bytes]]:
    return [
        (name.encode("latin-1", "replace"), value.encode("latin-1", "replace"))
        for name, value in headers.items()
    ]


def _body(
    body: bytes | None,
    size: int,
    limit: int,
    pause: Callable[[], object] | None,
    render: Callable[[bytes], str] | None = None,
) -> tuple[str | None, bool]:
    """Redacted text of at most `limit` characters, and whether anything was cut.

    Args:
        render: makes a binary body readable first (it sees all the kept bytes).
    """
    if not body or not limit:
        return None, False
    if render is not None:
        body = render(body).encode("utf-8", "surrogatepass")
        size = max(size, len(body))
    text = redact_body(body[: limit + _REDACT_MARGIN], pause)
    return text[:limit], size > limit or len(text) > limit


def _headers(headers: Iterable[tuple[bytes, bytes]] | None) -> str | None:
    if headers is None:
        return None
    return orjson.dumps(redact_headers(headers)).decode()
