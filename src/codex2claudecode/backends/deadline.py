"""Time limits on an upstream answer, for every provider (issue 10, "Upstream faults").

The first event must come within `first` seconds, each later event within `idle` seconds of
the one before, and the whole answer within `total`. Only real events count as progress: an
upstream that sends keep-alive comments or events we do not translate for ever is still
stalled. The client keeps getting its own pings meanwhile (`asgi.EventStreamResponse`).
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass

from codex2claudecode import errors, ir
from codex2claudecode.config import Config


@dataclass(frozen=True, slots=True)
class StreamLimits:
    """Seconds; 0 disables a limit."""

    first: float = 90.0
    idle: float = 300.0
    total: float = 3600.0

    @classmethod
    def from_config(cls, config: Config) -> StreamLimits:
        return cls(
            first=config.stream_first_event_timeout,
            idle=config.stream_idle_timeout,
            total=config.stream_deadline,
        )


async def within_limits(
    batches: ir.EventBatches, limits: StreamLimits, *, upstream: str
) -> ir.EventBatches:
    """`batches` as they come, failed with an `errors.GatewayError` when a limit passes.

    A stall before the first event raises `UpstreamUnavailable` (nothing was sent yet: the
    client may retry); a stall later, or the whole answer taking too long, `UpstreamFailed`.
    The upstream request is closed either way.
    """
    loop = asyncio.get_running_loop()
    start = loop.time()
    end = start + limits.total if limits.total else math.inf
    progress_by = start + limits.first if limits.first else math.inf
    began = False
    try:
        while True:
            deadline = min(progress_by, end)
            timer = asyncio.timeout_at(None if deadline == math.inf else deadline)
            try:
                async with timer:
                    batch = await anext(batches)
            except StopAsyncIteration:
                return
            except TimeoutError:
                if not timer.expired():
                    raise
                raise _stalled(upstream, limits, began=began, overall=deadline == end) from None
            if batch:
                began = True
                progress_by = loop.time() + limits.idle if limits.idle else math.inf
            yield batch
    finally:
        await batches.aclose()  # type: ignore[attr-defined]  # async generators have aclose


def _stalled(
    upstream: str, limits: StreamLimits, *, began: bool, overall: bool
) -> errors.GatewayError:
    if overall:
        return errors.UpstreamFailed(
            f"{upstream} was still answering after {limits.total:g} s, the longest an answer "
            "may take (STREAM_MAX_DURATION_MS); the stream was aborted"
        )
    if not began:
        return errors.UpstreamUnavailable(
            f"{upstream} sent no event within {limits.first:g} s "
            "(STREAM_FIRST_EVENT_TIMEOUT_MS); try again"
        )
    return errors.UpstreamFailed(
        f"{upstream} sent no event for {limits.idle:g} s (keep-alives do not count; "
        "STREAM_IDLE_TIMEOUT_MS); the stream was aborted"
    )
