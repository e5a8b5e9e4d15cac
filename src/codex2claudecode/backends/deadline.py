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
    watch = _Watchdog(loop, min(start + limits.first if limits.first else math.inf, end))
    began = progressed = False
    try:
        while True:
            # Whoever pulls this batch waits: the task may change (a stream's pump takes over).
            task = asyncio.current_task()
            assert task is not None
            if progressed:
                # Idle time is time spent waiting on the upstream, not on a slow client.
                watch.deadline = min(loop.time() + limits.idle, end) if limits.idle else end
                progressed = False
            watch.waiting(task)
            try:
                batch = await anext(batches)
            except StopAsyncIteration:
                return
            except asyncio.CancelledError:
                if watch.fired and task.uncancel() == 0:
                    overall = watch.deadline == end
                    raise _stalled(upstream, limits, began=began, overall=overall) from None
                raise
            finally:
                watch.busy()
            if batch:  # an empty batch (keep-alives, events not translated) is no progress
                began = progressed = True
            yield batch
    finally:
        watch.stop()
        await batches.aclose()  # type: ignore[attr-defined]  # async generators have aclose


class _Watchdog:
    """Cancels the waiting task once `deadline` has passed while it waits on the upstream.

    One timer for the whole answer, moved lazily: progress only writes `deadline`, and the
    timer, when it fires early, re-arms itself at the new one. (A timeout context per batch
    costs a timer and a heap entry for every upstream read.) The cancel only lands while the
    task waits on the upstream, never inside the consumer's own work.
    """

    __slots__ = ("_armed", "_handle", "_loop", "_task", "_waiting", "deadline", "fired")

    def __init__(self, loop: asyncio.AbstractEventLoop, deadline: float) -> None:
        self._loop = loop
        self._task: asyncio.Task[object] | None = None
        self.deadline = deadline
        self._handle: asyncio.TimerHandle | None = None
        self._armed = math.inf
        self._waiting = False
        self.fired = False

    def waiting(self, task: asyncio.Task[object]) -> None:
        """`task` is about to wait on the upstream."""
        self._task = task
        self._waiting = True
        if self.deadline == math.inf:
            return
        if self._loop.time() >= self.deadline:
            self._loop.call_soon(self._check)
        elif self._handle is None or self._armed > self.deadline:
            self._arm()

    def busy(self) -> None:
        """The wait on the upstream is over (an answer, an error or a cancel)."""
        self._waiting = False

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _arm(self) -> None:
        self.stop()
        self._armed = self.deadline
        # (uvloop hands back a plain Handle, without `when()`, for a time already past.)
        self._handle = self._loop.call_at(self.deadline, self._fire)

    def _fire(self) -> None:
        self._handle = None
        self._check()

    def _check(self) -> None:
        if self.fired or not self._waiting or self.deadline == math.inf:
            return
        if self._loop.time() < self.deadline:
            if self._handle is None:
                self._arm()
            return
        if self._task is not None:
            self.fired = True
            self._task.cancel()


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
