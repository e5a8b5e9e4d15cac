"""`POST /v1/chat/completions`: parse, generate, render in the Chat Completions dialect."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

from starlette.requests import Request

from codex2claudecode import errors, ir
from codex2claudecode.asgi import BodyResponse, EventStreamResponse
from codex2claudecode.frontends import pipeline
from codex2claudecode.frontends.dialect import Dialect, Route, record_of, request_id_of
from codex2claudecode.frontends.openai_chat.request import parse_chat
from codex2claudecode.frontends.openai_chat.response import render_completion
from codex2claudecode.frontends.openai_chat.stream import ChatStreamRenderer
from codex2claudecode.frontends.openai_responses.routes import (
    OPENAI_PATHS,
    failure,
    render_openai_error,
)


class ChatRoutes:
    def __init__(
        self,
        generate: ir.Generate,
        *,
        estimate_tokens: Callable[[ir.Request], int],
        ping_interval: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._generate = generate
        self._estimate_tokens = estimate_tokens
        self._ping_interval = ping_interval
        self._clock = clock

    def dialect(self) -> Dialect:
        return Dialect(
            name="openai-chat",
            routes=(
                Route("POST", "/v1/chat/completions", self.completions),
                Route("POST", "/chat/completions", self.completions),
            ),
            render_error=render_openai_error,
            path_prefixes=OPENAI_PATHS,
        )

    async def completions(self, http: Request) -> BodyResponse | EventStreamResponse:
        request_id = request_id_of(http)
        record = record_of(http)
        try:
            request, _ = await pipeline.parse(http, record, "openai_chat", parse_chat)
            completion_id = "chatcmpl-" + uuid.uuid4().hex[:29]
            created = int(self._clock())
            estimate = self._estimate_tokens(request)
            if request.stream:
                return await pipeline.stream(
                    self._generate,
                    request,
                    lambda _: ChatStreamRenderer(
                        request,
                        completion_id=completion_id,
                        created=created,
                        input_tokens_estimate=estimate,
                    ),
                    headers=[(b"x-request-id", request_id.encode())],
                    ping_interval=self._ping_interval,
                    record=record,
                )
            answer = await pipeline.accumulate(self._generate, request, record)
            completion = render_completion(
                answer,
                completion_id=completion_id,
                created=created,
                model=request.model,
                input_tokens_estimate=estimate,
            )
            return BodyResponse(200, completion, [(b"content-type", b"application/json")])
        except errors.GatewayError as exc:
            return failure(record, exc, request_id)
