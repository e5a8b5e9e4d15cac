"""`POST /v1/responses`: parse, generate, render in the Responses dialect."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

from starlette.requests import Request

from codex2claudecode import errors, ir
from codex2claudecode.asgi import BodyResponse, EventStreamResponse, Headers
from codex2claudecode.frontends import pipeline
from codex2claudecode.frontends.dialect import Dialect, Route, record_of, request_id_of
from codex2claudecode.frontends.openai.errors import render_error
from codex2claudecode.frontends.openai_responses.request import SESSION_HEADER, parse_responses
from codex2claudecode.frontends.openai_responses.response import render_response
from codex2claudecode.frontends.openai_responses.stream import ResponsesStreamRenderer
from codex2claudecode.requestlog.record import RequestRecord

OPENAI_PATHS = ("/v1/responses", "/v1/chat/", "/v1/completions", "/v1/embeddings", "/v1/models")
"""Paths an OpenAI client calls: errors there take OpenAI's shape, even for routes we lack."""


def render_openai_error(exc: errors.GatewayError, request_id: str) -> tuple[int, Headers, bytes]:
    return render_error(exc, request_id=request_id)


def failure(
    record: RequestRecord | None, exc: errors.GatewayError, request_id: str
) -> BodyResponse:
    """An OpenAI route's error answer, noted in the request log."""
    pipeline.failed(record, exc)
    status, headers, body = render_error(exc, request_id=request_id)
    return BodyResponse(status, body, headers)


class ResponsesRoutes:
    def __init__(
        self,
        generate: ir.Generate,
        *,
        estimate_tokens: Callable[[ir.Request], int],
        ping_interval: float,
        clock: Callable[[], float] = time.time,
        passthrough: ir.Passthrough | None = None,
    ) -> None:
        """
        Args:
            passthrough: runs the client's own body where the provider speaks Responses
                (issue 7); without it every request is translated through `generate`.
        """
        self._generate = generate
        self._passthrough = passthrough
        self._estimate_tokens = estimate_tokens
        self._ping_interval = ping_interval
        self._clock = clock

    def dialect(self) -> Dialect:
        return Dialect(
            name="openai-responses",
            routes=(
                Route("POST", "/v1/responses", self.responses),
                Route("POST", "/responses", self.responses),
            ),
            render_error=render_openai_error,
            path_prefixes=OPENAI_PATHS,
        )

    def _generator(self, body: bytes) -> ir.Generate:
        """How this body is run: as sent, through the provider's passthrough, or translated."""
        passthrough = self._passthrough
        if passthrough is None:
            return self._generate
        return lambda request: passthrough(request, body)

    def _now(self) -> int:
        return int(self._clock())

    async def responses(self, http: Request) -> BodyResponse | EventStreamResponse:
        request_id = request_id_of(http)
        record = record_of(http)
        try:
            session = http.headers.get(SESSION_HEADER) or http.headers.get("session-id")
            request, body = await pipeline.parse(
                http,
                record,
                "openai_responses",
                lambda raw: parse_responses(raw, session_header=session),
            )
            response_id = "resp_" + uuid.uuid4().hex
            estimate = self._estimate_tokens(request)
            generate = self._generator(body)
            if request.stream:
                return await pipeline.stream(
                    generate,
                    request,
                    lambda _: ResponsesStreamRenderer(
                        request,
                        response_id=response_id,
                        clock=self._now,
                        input_tokens_estimate=estimate,
                    ),
                    headers=[(b"x-request-id", request_id.encode())],
                    ping_interval=self._ping_interval,
                    record=record,
                )
            created = self._now()
            answer = await pipeline.accumulate(generate, request, record)
            rendered = render_response(
                answer,
                request,
                response_id=response_id,
                created_at=created,
                completed_at=self._now(),
                input_tokens_estimate=estimate,
            )
            return BodyResponse(200, rendered, [(b"content-type", b"application/json")])
        except errors.GatewayError as exc:
            return failure(record, exc, request_id)
