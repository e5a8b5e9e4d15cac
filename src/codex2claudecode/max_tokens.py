"""Anthropic `max_tokens` enforced by the gateway on an `ir.Event` stream.

The Codex backend rejects `max_output_tokens` (protocols §5c), so the answer is cut here: the
step sits between a backend's events and the frontend, next to `stop_sequences`, counts the
output as it streams (text, thinking text and tool-call arguments, with the o200k tokenizer)
and ends the stream with `Stop("max_tokens")` once the budget is spent, as the real API does.
The count is per delta, so it can run a token or two above the upstream's own count, never below.
A token is at least one byte, so deltas are only counted once their bytes could reach the budget:
most answers never load the tokenizer's vocabulary (~50 MiB, DESIGN §2).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
from typing import assert_never

from codex2claudecode import ir
from codex2claudecode.tokens import count_text, head_tokens


class MaxTokensFilter:
    """Feed events in order; each `feed` returns the events to pass on.

    Once the budget is spent, `cut` is True and every further event is dropped: the caller
    should stop reading upstream.
    """

    def __init__(
        self,
        max_tokens: int,
        *,
        count: Callable[[str], int] = count_text,
        head: Callable[[str, int], str] = head_tokens,
    ) -> None:
        self._left = max_tokens
        self._spent = 0
        self._count = count
        self._head = head
        self._open: ir.Event | None = None
        """The start event of the open block, to close it when the cut falls inside it."""
        self._uncounted: list[str] = []
        """Deltas passed on without counting: their bytes fit in what was left."""
        self._uncounted_bytes = 0
        self.cut = False

    def feed_batch(self, batch: list[ir.Event]) -> list[ir.Event]:
        """`feed` for every event of `batch`: the batch itself while no count is needed."""
        if self.cut:
            return []
        for i, event in enumerate(batch):
            kind = type(event)
            if kind is ir.TextDelta or kind is ir.ThinkingDelta:
                piece = event.text  # type: ignore[union-attr]
            elif kind is ir.ToolCallDelta:
                piece = event.arguments_json  # type: ignore[union-attr]
            elif kind in _OPENS:
                self._open = event
                continue
            elif kind in _CLOSES:
                self._open = None
                continue
            else:
                continue
            size = len(piece) if piece.isascii() else len(piece.encode())
            if self._uncounted_bytes + size > self._left:
                # This delta may need counting: the careful path from here on.
                out = batch[:i]
                for rest in batch[i:]:
                    out += self.feed(rest)
                return out
            self._uncounted.append(piece)
            self._uncounted_bytes += size
        return batch

    def feed(self, event: ir.Event) -> list[ir.Event]:
        if self.cut:
            return []
        match event:
            case ir.TextDelta(text=piece) | ir.ThinkingDelta(text=piece):
                return self._output(event, piece)
            case ir.ToolCallDelta(arguments_json=piece):
                return self._output(event, piece)
            case ir.TextStart() | ir.ThinkingStart() | ir.ToolCallStart():
                self._open = event
                return [event]
            case ir.TextEnd() | ir.ThinkingEnd() | ir.ToolCallEnd():
                self._open = None
                return [event]
            case ir.ServerToolCall() | ir.WebResult():
                self._open = None  # a whole block: whatever was open is closed now
                return [event]
            case ir.Started() | ir.RedactedThinking() | ir.Citation() | ir.Usage() | ir.Stop():
                return [event]
            case _:
                assert_never(event)

    def _output(self, event: ir.Event, piece: str) -> list[ir.Event]:
        size = len(piece) if piece.isascii() else len(piece.encode())
        if self._uncounted_bytes + size <= self._left:
            # Fewer tokens than bytes: it fits whatever its count; count it only if needed.
            self._uncounted.append(piece)
            self._uncounted_bytes += size
            return [event]
        for earlier in self._uncounted:
            tokens = self._count(earlier)
            self._left -= tokens
            self._spent += tokens
        self._uncounted.clear()
        self._uncounted_bytes = 0
        tokens = self._count(piece)
        if tokens <= self._left:
            self._left -= tokens
            self._spent += tokens
            return [event]
        head = self._head(piece, self._left)
        self._spent += self._left
        self.cut = True
        out: list[ir.Event] = [_with_text(event, head)] if head else []
        if self._open is None and isinstance(event, ir.TextDelta):
            self._open = ir.TextStart()  # a delta may open its text block implicitly
        out += _close(self._open)
        # The upstream's usage never arrives now; report what was sent (input stays unknown).
        return [*out, ir.Usage(input_tokens=0, output_tokens=self._spent), ir.Stop("max_tokens")]


_OPENS = frozenset({ir.TextStart, ir.ThinkingStart, ir.ToolCallStart})
_CLOSES = frozenset({ir.TextEnd, ir.ThinkingEnd, ir.ToolCallEnd, ir.ServerToolCall, ir.WebResult})


def _with_text(event: ir.Event, text: str) -> ir.Event:
    match event:
        case ir.TextDelta():
            return ir.TextDelta(text)
        case ir.ThinkingDelta():
            return ir.ThinkingDelta(text)
        case _:
            return ir.ToolCallDelta(text)


def _close(start: ir.Event | None) -> list[ir.Event]:
    match start:
        case ir.TextStart():
            return [ir.TextEnd()]
        case ir.ThinkingStart():
            # Cut short, the reasoning has no state to restore: an empty signature says so.
            return [ir.ThinkingEnd(signature="")]
        case ir.ToolCallStart():
            return [ir.ToolCallEnd()]
        case _:
            return []


def apply_max_tokens_to_batches(
    batches: ir.EventBatches, max_tokens: int | None
) -> ir.EventBatches:
    """`batches` cut after `max_tokens` output tokens; `batches` itself when there is no limit.

    A batch cut by the limit ends with the `Stop`; the source is then closed (`aclose`), which
    cancels the upstream request.
    """
    if max_tokens is None:
        return batches
    return _limited(batches, MaxTokensFilter(max_tokens))


async def _limited(batches: ir.EventBatches, limit: MaxTokensFilter) -> ir.EventBatches:
    try:
        async for batch in batches:
            passed = limit.feed_batch(batch)
            if passed:
                yield passed
            if limit.cut:
                return
    finally:
        if isinstance(batches, AsyncGenerator):
            await batches.aclose()
