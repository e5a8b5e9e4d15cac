"""`RequestRecord`: what the pipeline learns about one request, filled in as it goes.

The server creates one per request (`RequestLog.start`), the frontend and backend set the facts
they know (model, account, usage, stop reason), and the server submits it when the response
ends. Everything here is a plain attribute store or a reference grab: no copying, decoding or
redaction happens on the request path (the writer thread does that).
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from codex2claudecode import ir
from codex2claudecode.config import LOG_BODY_LIMIT

Headers = Sequence[tuple[bytes, bytes]]
"""ASGI-style raw headers, kept by reference and decoded by the writer."""

DEFAULT_BODY_LIMIT = LOG_BODY_LIMIT


class RequestRecord:
    """One request, mutable until submitted; after `RequestLog.submit` nobody touches it."""

    __slots__ = (
        "_response_chunks",
        "_response_size",
        "_started",
        "account",
        "body_limit",
        "cached_tokens",
        "dialect",
        "duration_ms",
        "error",
        "id",
        "input_tokens",
        "method",
        "model_requested",
        "model_used",
        "output_tokens",
        "path",
        "provider",
        "reasoning_tokens",
        "request_body",
        "request_headers",
        "response_headers",
        "started_at",
        "status",
        "stop_reason",
        "ttfb_ms",
        "upstream",
        "upstream_request_id",
        "upstream_status",
        "upstream_url",
    )

    def __init__(
        self,
        request_id: str,
        method: str,
        path: str,
        *,
        started_at: float | None = None,
        body_limit: int = DEFAULT_BODY_LIMIT,
    ) -> None:
        """
        Args:
            request_id: the id the client sees (the `request-id` response header).
            path: path and query string, as received.
            started_at: epoch seconds (default: now).
            body_limit: bytes kept of each body; 0 keeps none (LOG_BODY=0).
        """
        self.id = request_id
        self.method = method
        self.path = path
        self.started_at = time.time() if started_at is None else started_at
        self._started = time.perf_counter()
        self.body_limit = body_limit
        self.dialect: str | None = None
        """`anthropic`, `openai_responses` or `openai_chat`; None for non-model routes."""
        self.model_requested: str | None = None
        self.model_used: str | None = None
        """The model the upstream answered with (`ir.Started.model`)."""
        self.provider: str | None = None
        self.account: str | None = None
        """The account's display key (email or id), never a credential."""
        self.status = 0
        """The status sent to the client; 0 if the response never started."""
        self.upstream_status: int | None = None
        self.upstream_url: str | None = None
        self.upstream_request_id: str | None = None
        self.upstream: ir.UpstreamExchange | None = None
        """Headers and bodies of the exchange with the upstream (read by the writer only)."""
        self.duration_ms: float | None = None
        self.ttfb_ms: float | None = None
        self.input_tokens: int | None = None
        """All prompt tokens, cached ones included (as `ir.Usage`)."""
        self.cached_tokens: int | None = None
        self.output_tokens: int | None = None
        self.reasoning_tokens: int | None = None
        self.stop_reason: str | None = None
        self.error: str | None = None
        self.request_headers: Headers | None = None
        self.response_headers: Headers | None = None
        self.request_body: bytes | None = None
        self._response_chunks: list[bytes] = []
        self._response_size = 0

    # ------------------------------------------------------------------ filled in as it goes

    def set_request_body(self, body: bytes) -> None:
        """Keep the client's request body (by reference; capped when written)."""
        if self.body_limit:
            self.request_body = body

    def add_response_chunk(self, chunk: bytes) -> None:
        """Keep one piece of the client's response body, until `body_limit` bytes are kept."""
        if self._response_size < self.body_limit:
            self._response_chunks.append(chunk)
        self._response_size += len(chunk)

    def set_upstream(self, exchange: ir.UpstreamExchange) -> None:
        """Note the upstream exchange that answers (by reference, as all else here)."""
        self.upstream = exchange
        self.upstream_url = exchange.url
        self.upstream_request_id = exchange.request_id
        self.upstream_status = exchange.status

    def set_usage(self, usage: ir.Usage) -> None:
        self.input_tokens = usage.input_tokens
        self.cached_tokens = usage.cached_tokens
        self.output_tokens = usage.output_tokens
        self.reasoning_tokens = usage.reasoning_tokens

    def mark_first_byte(self) -> None:
        """The first response body byte went to the client; later calls change nothing."""
        if self.ttfb_ms is None:
            self.ttfb_ms = (time.perf_counter() - self._started) * 1000

    def finish(self, status: int) -> None:
        """The response ended (or failed) with `status`; sets the duration."""
        self.status = status
        self.duration_ms = (time.perf_counter() - self._started) * 1000

    # ------------------------------------------------------------------ read by the writer

    @property
    def response_body(self) -> bytes | None:
        """The kept response bytes, or None if none were kept.

        Whole chunks are kept until `body_limit` is reached, so this may run past the limit by
        part of a chunk: the writer redacts that much before it cuts at the limit.
        """
        if not self._response_chunks:
            return None
        return b"".join(self._response_chunks)

    @property
    def response_size(self) -> int:
        """Bytes of response body sent in all, kept or not."""
        return self._response_size
