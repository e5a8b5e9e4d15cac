"""`POST /v1/messages` and `POST /v1/messages/count_tokens`: parse, generate, render.

An upstream refusal before the first event becomes an HTTP error; once the stream has begun,
failures become an SSE `error` event (the status line has already gone out).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Callable

import orjson
from starlette.requests import Request

from codex2claudecode import errors, ir
from codex2claudecode.accumulator import Accumulator
from codex2claudecode.asgi import SSE_HEADERS, BodyResponse, EventStreamResponse
from codex2claudecode.frontends.anthropic.errors import render_error, render_stream_error
from codex2claudecode.frontends.anthropic.request import parse_count_tokens, parse_messages
from codex2claudecode.frontends.anthropic.response import render_message
from codex2claudecode.frontends.anthropic.stream import SSERenderer

log = logging.getLogger("codex2claudecode.anthropic")

SESSION_HEADER = "x-claude-code-session-id"


def request_id_of(request: Request) -> str:
    state = request.scope.get("state") or {}
    rid = state.get("request_id")
    return rid if isinstance(rid, str) else "req_" + uuid.uuid4().hex[:24]


def error_response(exc: errors.GatewayError, request_id: str) -> BodyResponse:
    status, headers, body = render_error(exc, request_id=request_id)
    return BodyResponse(status, body, headers)


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

    async def messages(self, http: Request) -> BodyResponse | EventStreamResponse:
        request_id = request_id_of(http)
        try:
            request = parse_messages(
                await http.body(), session_header=http.headers.get(SESSION_HEADER)
            )
            if request.stream:
                return await self._stream(request, request_id)
            return await self._complete(request, request_id)
        except errors.GatewayError as exc:
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
            return error_response(exc, request_id)
        return BodyResponse(200, orjson.dumps({"input_tokens": count}))

    async def _complete(self, request: ir.Request, request_id: str) -> BodyResponse:
        accumulator = Accumulator()
        async for batch in self._generate(request):
            for event in batch:
                accumulator.add(event)
        answer = accumulator.answer
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

    async def _stream(self, request: ir.Request, request_id: str) -> EventStreamResponse:
        batches = self._generate(request)
        try:
            first = await anext(batches)
        except StopAsyncIteration:
            raise errors.UpstreamFailed("the upstream ended the stream before it began") from None
        response_id = next((e.response_id for e in first if isinstance(e, ir.Started)), "")
        renderer = SSERenderer(
            message_id=_message_id(response_id),
            model=request.model,
            input_tokens_estimate=self._estimate_tokens(request),
        )
        return EventStreamResponse(
            b"".join(map(renderer.render, first)),
            _render_rest(renderer, batches),
            headers=[*SSE_HEADERS, (b"request-id", request_id.encode())],
            ping=renderer.ping(),
            ping_interval=self._ping_interval,
        )


async def _render_rest(renderer: SSERenderer, batches: ir.EventBatches) -> AsyncIterator[bytes]:
    try:
        async for batch in batches:
            yield b"".join(map(renderer.render, batch))
    except errors.GatewayError as exc:
        yield render_stream_error(exc)
    except Exception as exc:  # a bug must still end the stream in-dialect, not hang it
        log.exception("stream translation failed")
        yield render_stream_error(errors.GatewayError(f"internal error: {exc.__class__.__name__}"))
    finally:
        await batches.aclose()  # type: ignore[attr-defined]  # async generators have aclose


def _message_id(response_id: str) -> str:
    if response_id.startswith("resp_"):
        return "msg_" + response_id[5:]
    return "msg_" + (response_id or uuid.uuid4().hex)
