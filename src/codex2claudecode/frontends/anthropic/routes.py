"""`POST /v1/messages` and `POST /v1/messages/count_tokens`: parse, generate, render.

An upstream refusal before the first event becomes an HTTP error; once the stream has begun,
failures become an SSE `error` event (the status line has already gone out).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable

import orjson
from starlette.requests import Request

from codex2claudecode import errors, ir
from codex2claudecode.asgi import BodyResponse, EventStreamResponse
from codex2claudecode.frontends import pipeline
from codex2claudecode.frontends.anthropic.errors import render_error
from codex2claudecode.frontends.anthropic.request import parse_count_tokens, parse_messages
from codex2claudecode.frontends.anthropic.response import render_message
from codex2claudecode.frontends.anthropic.stream import SSERenderer
from codex2claudecode.frontends.dialect import Dialect, Route, record_of, request_id_of
from codex2claudecode.requestlog.record import RequestRecord

SESSION_HEADER = "x-claude-code-session-id"


def error_response(exc: errors.GatewayError, request_id: str) -> BodyResponse:
    status, headers, body = render_error(exc, request_id=request_id)
    return BodyResponse(status, body, headers)


def _render_error(
    exc: errors.GatewayError, request_id: str
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    return render_error(exc, request_id=request_id)


class AnthropicRoutes:
    def __init__(
        self,
        generate: ir.Generate,
        *,
        count_tokens: Callable[[ir.Request], int],
        estimate_tokens: Callable[[ir.Request], int],
        ping_interval: float,
    ) -> None:
        """
        Args:
            generate: runs a request upstream.
            count_tokens: the exact local count (may load a vocabulary; runs in a thread).
            estimate_tokens: a cheap count for `message_start`, refined by the final usage.
            ping_interval: seconds of upstream silence before a keep-alive `ping`.
        """
        self._generate = generate
        self._count_tokens = count_tokens
        self._estimate_tokens = estimate_tokens
        self._ping_interval = ping_interval

    def dialect(self) -> Dialect:
        """The routes and error shape of the Anthropic Messages API."""
        return Dialect(
            name="anthropic",
            routes=(
                Route("POST", "/v1/messages", self.messages),
                Route("POST", "/v1/message", self.messages),
                Route("POST", "/v1/messages/count_tokens", self.count_tokens),
            ),
            render_error=_render_error,
        )

    async def messages(self, http: Request) -> BodyResponse | EventStreamResponse:
        request_id = request_id_of(http)
        record = record_of(http)
        try:
            session = http.headers.get(SESSION_HEADER)
            request, _ = await pipeline.parse(
                http, record, "anthropic", lambda raw: parse_messages(raw, session_header=session)
            )
            http.state.model = request.model  # for the console line (server.middleware)
            if request.stream:
                return await self._stream(request, request_id, record)
            return await self._complete(request, record)
        except errors.GatewayError as exc:
            pipeline.failed(record, exc)
            http.state.error = exc.message
            return error_response(exc, request_id)

    async def count_tokens(self, http: Request) -> BodyResponse:
        request_id = request_id_of(http)
        try:
            request = parse_count_tokens(
                await http.body(), session_header=http.headers.get(SESSION_HEADER)
            )
            # tiktoken releases the GIL, so a big count does not stall other streams.
            count = await asyncio.to_thread(self._count_tokens, request)
        except errors.GatewayError as exc:
            http.state.error = exc.message
            return error_response(exc, request_id)
        return BodyResponse(200, orjson.dumps({"input_tokens": count}))

    async def _complete(self, request: ir.Request, record: RequestRecord | None) -> BodyResponse:
        answer = await pipeline.accumulate(self._generate, request, record)
        estimate = (
            0 if answer.usage.input_tokens else await asyncio.to_thread(self._count_tokens, request)
        )
        body = render_message(
            answer,
            message_id=_message_id(answer.response_id),
            model=request.model,
            input_tokens_estimate=estimate,
        )
        return BodyResponse(200, body, [(b"content-type", b"application/json")])

    async def _stream(
        self, request: ir.Request, request_id: str, record: RequestRecord | None
    ) -> EventStreamResponse:
        def renderer_for(response_id: str) -> SSERenderer:
            return SSERenderer(
                message_id=_message_id(response_id),
                model=request.model,
                input_tokens_estimate=self._estimate_tokens(request),
            )

        return await pipeline.stream(
            self._generate,
            request,
            renderer_for,
            headers=[(b"request-id", request_id.encode())],
            ping_interval=self._ping_interval,
            record=record,
        )


def _message_id(response_id: str) -> str:
    if response_id.startswith("resp_"):
        return "msg_" + response_id[5:]
    if response_id.startswith("msg_"):
        return response_id
    return "msg_" + (response_id or uuid.uuid4().hex)
