"""Stream or accumulate: the plumbing every frontend shares between `ir.Generate` and its
renderer.

An upstream refusal before the first event is raised (the route answers with an HTTP error);
once the stream has begun, a failure becomes the dialect's in-band error and ends the stream.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from typing import Protocol

from starlette.requests import Request

from codex2claudecode import errors, ir
from codex2claudecode.accumulator import Accumulator, Answer
from codex2claudecode.asgi import SSE_HEADERS, EventStreamResponse, Headers, Outcome
from codex2claudecode.requestlog.record import RequestRecord

log = logging.getLogger("codex2claudecode.frontends")


class StreamRenderer(Protocol):
    """Renders one response's events into a dialect's stream bytes."""

    def render(self, event: ir.Event) -> bytes: ...
    def ping(self) -> bytes:
        """A keep-alive frame for long upstream silences."""

    def error(self, exc: errors.GatewayError) -> bytes:
        """The in-band error that ends a stream which has already begun."""


def observe(record: RequestRecord | None, batch: list[ir.Event]) -> None:
    """Note in the request log what a batch says about the answer (model, usage, stop)."""
    if record is None:
        return
    for event in batch:
        if type(event) is ir.TextDelta:  # most of every batch: skipped at the cheapest test
            continue
        if isinstance(event, ir.Started):
            record.model_used = event.model
            record.provider = event.provider or record.provider
            record.account = event.account or record.account
            if event.upstream is None:
                record.upstream_status = 200
            else:
                record.set_upstream(event.upstream)
        elif isinstance(event, ir.Usage):
            record.set_usage(event)
        elif isinstance(event, ir.Stop):
            record.stop_reason = event.reason


def failed(record: RequestRecord | None, exc: errors.GatewayError, outcome: str = "") -> None:
    """Note a failure in the request log; `outcome` says how a begun stream ended."""
    if record is not None:
        record.error = outcome or exc.message
        record.account = exc.account or record.account
        # A refusal's exchange is noted as `observe` notes an answer's (`errors` cannot name
        # the type: hence the check).
        if isinstance(exc.upstream, ir.UpstreamExchange):
            record.set_upstream(exc.upstream)
        elif exc.upstream_status is not None:
            record.upstream_status = exc.upstream_status


async def parse(
    http: Request,
    record: RequestRecord | None,
    dialect: str,
    parse_body: Callable[[bytes], ir.Request],
) -> tuple[ir.Request, bytes]:
    """Read and parse a route's body, noting the dialect, body and model in the request log.

    Raises:
        InvalidRequest: the body is not a valid request of the dialect.
    """
    body = await http.body()
    if record is not None:
        record.dialect = dialect
        record.set_request_body(body)
    request = parse_body(body)
    if record is not None:
        record.model_requested = request.model
    return request, body


async def accumulate(
    generate: ir.Generate, request: ir.Request, record: RequestRecord | None = None
) -> Answer:
    """The whole answer to `request`, for a non-streaming client."""
    accumulator = Accumulator()
    async for batch in generate(request):
        observe(record, batch)
        for event in batch:
            accumulator.add(event)
    return accumulator.answer


async def stream(
    generate: ir.Generate,
    request: ir.Request,
    renderer_for: Callable[[str], StreamRenderer],
    *,
    headers: Headers,
    ping_interval: float,
    record: RequestRecord | None = None,
) -> EventStreamResponse:
    """A streaming response; waits for the first batch so a refusal is still an HTTP error.

    Args:
        renderer_for: builds the renderer from the upstream response id ("" if none came).
        headers: extra response headers besides the event-stream ones.
    """
    batches = generate(request)
    try:
        first = await anext(batches)
    except StopAsyncIteration:
        raise errors.UpstreamFailed("the upstream ended the stream before it began") from None
    observe(record, first)
    response_id = next((e.response_id for e in first if isinstance(e, ir.Started)), "")
    renderer = renderer_for(response_id)
    outcome = Outcome()
    return EventStreamResponse(
        b"".join(map(renderer.render, first)),
        _render_rest(renderer, batches, outcome, record),
        headers=[*SSE_HEADERS, *headers],
        ping=renderer.ping(),
        ping_interval=ping_interval,
        outcome=outcome,
        stop_frame=lambda: renderer.error(errors.ShuttingDown()),
    )


async def _render_rest(
    renderer: StreamRenderer,
    batches: ir.EventBatches,
    outcome: Outcome,
    record: RequestRecord | None,
) -> AsyncIterator[bytes]:
    try:
        async for batch in batches:
            observe(record, batch)
            yield b"".join(map(renderer.render, batch))
        outcome.text = "completed"
    except errors.GatewayError as exc:
        outcome.text = f"upstream error: {exc.message}"
        failed(record, exc, outcome.text)
        yield renderer.error(exc)
    except Exception as exc:  # a bug must still end the stream in-dialect, not hang it
        log.exception("stream translation failed")
        bug = errors.GatewayError(f"internal error: {exc.__class__.__name__}")
        outcome.text = bug.message
        failed(record, bug)
        yield renderer.error(bug)
    finally:
        await batches.aclose()  # type: ignore[attr-defined]  # async generators have aclose
