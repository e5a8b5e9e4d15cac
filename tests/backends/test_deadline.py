"""`within_limits`: the first-event, idle and overall limits on an upstream answer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from codex2claudecode import errors, ir
from codex2claudecode.backends.deadline import StreamLimits, within_limits

pytestmark = pytest.mark.asyncio


async def _batches(*delays: float) -> AsyncIterator[list[ir.Event]]:
    """One text delta after each delay (seconds)."""
    for delay in delays:
        await asyncio.sleep(delay)
        yield [ir.TextDelta("x")]


async def _drain(batches: ir.EventBatches) -> int:
    return sum([len(batch) async for batch in batches])


async def test_an_answer_within_every_limit_passes_whole() -> None:
    limits = StreamLimits(first=0.5, idle=0.5, total=5)
    assert await _drain(within_limits(_batches(0.01, 0.02, 0.01), limits, upstream="U")) == 3


async def test_no_first_event_is_unavailable_so_the_client_may_retry() -> None:
    limits = StreamLimits(first=0.05, idle=5, total=5)
    with pytest.raises(errors.UpstreamUnavailable, match=r"no event within 0\.05 s"):
        await _drain(within_limits(_batches(1.0), limits, upstream="U"))


async def test_a_stall_after_the_first_event_fails_the_stream() -> None:
    limits = StreamLimits(first=5, idle=0.05, total=5)
    with pytest.raises(errors.UpstreamFailed, match=r"no event for 0\.05 s"):
        await _drain(within_limits(_batches(0, 0.01, 1.0), limits, upstream="U"))


async def test_steady_progress_still_ends_at_the_overall_deadline() -> None:
    limits = StreamLimits(first=5, idle=0.5, total=0.1)
    with pytest.raises(errors.UpstreamFailed, match=r"still answering after 0\.1 s"):
        await _drain(within_limits(_batches(*[0.02] * 50), limits, upstream="U"))


async def test_a_slow_consumer_is_never_cancelled_in_its_own_work() -> None:
    limits = StreamLimits(first=5, idle=0.05, total=5)
    seen = 0
    async for _ in within_limits(_batches(0, 0, 0), limits, upstream="U"):
        await asyncio.sleep(0.12)  # longer than the idle limit, outside the upstream wait
        seen += 1
    assert seen == 3


async def test_the_limit_follows_whichever_task_pulls_the_batches() -> None:
    # A stream's first batch is pulled by the handler, the rest by the response's pump task.
    limits = StreamLimits(first=5, idle=0.05, total=5)
    batches = within_limits(_batches(0, 1.0), limits, upstream="U")
    assert await anext(batches) == [ir.TextDelta("x")]
    pump = asyncio.ensure_future(_drain(batches))
    with pytest.raises(errors.UpstreamFailed):
        await pump
    assert not asyncio.current_task().cancelling()  # type: ignore[union-attr]


async def test_an_outside_cancel_passes_through_as_a_cancel() -> None:
    limits = StreamLimits(first=0.05, idle=5, total=5)
    task = asyncio.ensure_future(_drain(within_limits(_batches(1.0), limits, upstream="U")))
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_without_an_idle_limit_only_the_overall_deadline_applies_after_the_start() -> None:
    limits = StreamLimits(first=0.05, idle=0, total=5)
    assert await _drain(within_limits(_batches(0, 0.1, 0.1), limits, upstream="U")) == 3


async def test_empty_batches_are_no_progress() -> None:
    async def keepalives() -> AsyncIterator[list[ir.Event]]:
        yield [ir.TextDelta("x")]
        while True:
            await asyncio.sleep(0.01)
            yield []

    limits = StreamLimits(first=5, idle=0.1, total=5)
    with pytest.raises(errors.UpstreamFailed, match=r"no event for 0\.1 s"):
        await _drain(within_limits(keepalives(), limits, upstream="U"))


async def test_a_timer_uvloop_rounds_to_none_still_fires() -> None:
    # uvloop answers call_at() under half a millisecond away with a plain Handle (no `when()`):
    # the watchdog must not depend on the handle's type.
    uvloop = pytest.importorskip("uvloop")

    async def stalled() -> AsyncIterator[list[ir.Event]]:
        yield [ir.TextDelta("x")]
        await asyncio.sleep(10)
        yield []

    async def run() -> None:
        # Under half a millisecond: uvloop rounds the delay to none.
        limits = StreamLimits(first=5, idle=0.0004, total=5)
        with pytest.raises(errors.UpstreamFailed):
            await asyncio.wait_for(_drain(within_limits(stalled(), limits, upstream="U")), 5)

    for _ in range(20):
        await asyncio.to_thread(uvloop.run, run())
