"""Anthropic `stop_sequences` applied by the gateway to an `ir.Event` stream.

Codex has no stop parameter (spec original-codex §3.8 drops it), so the text is cut here: the
filter sits between a backend's events and the frontend, and ends the stream with
`Stop("stop_sequence")` at the first match.

Which match wins: the one that *completes* first in the text, as a model checking its output
after each token would stop there; when several complete at the same point, the longest (it
starts earliest, so the least text is emitted). This needs no more look-ahead than the longest
partial match, and the result does not depend on how the text is split into deltas.
Only text blocks are searched; thinking and tool-call arguments pass through unchanged.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from typing import assert_never

from codex2claudecode import ir


class StopSequenceFilter:
    """Feed events in order; each `feed` returns the events to pass on (possibly none).

    Once a sequence matched, `matched` holds it and every further event is dropped: the caller
    should stop reading upstream.
    """

    def __init__(self, stop_sequences: tuple[str, ...]) -> None:
        # An empty sequence would match before any text; it is ignored, not honoured.
        self._sequences = tuple(sorted({s for s in stop_sequences if s}, key=len, reverse=True))
        self.matched: str | None = None
        self._held = ""  # tail of the current text block that may begin a sequence

    def feed(self, event: ir.Event) -> list[ir.Event]:
        if self.matched is not None:
            return []
        match event:
            case ir.TextDelta(text=text):
                return self._text(self._held + text)
            case ir.TextEnd():
                held, self._held = self._held, ""
                return [ir.TextDelta(held), event] if held else [event]
            case (
                ir.Started()
                | ir.TextStart()
                | ir.ThinkingStart()
                | ir.ThinkingDelta()
                | ir.ThinkingEnd()
                | ir.RedactedThinking()
                | ir.ToolCallStart()
                | ir.ToolCallDelta()
                | ir.ToolCallEnd()
                | ir.ServerToolCall()
                | ir.WebResult()
                | ir.Citation()
                | ir.Usage()
                | ir.Stop()
            ):
                return [event]
            case _:
                assert_never(event)

    def _text(self, text: str) -> list[ir.Event]:
        found = self._first_match(text)
        if found is not None:
            start, sequence = found
            self.matched = sequence
            self._held = ""
            before: list[ir.Event] = [ir.TextDelta(text[:start])] if start else []
            return [*before, ir.TextEnd(), ir.Stop("stop_sequence", stop_sequence=sequence)]
        keep = self._partial_tail(text)
        self._held = text[len(text) - keep :]
        return [ir.TextDelta(text[: len(text) - keep])] if keep < len(text) else []

    def _first_match(self, text: str) -> tuple[int, str] | None:
        best: tuple[int, str] | None = None
        best_end = len(text) + 1
        for sequence in self._sequences:  # longest first, so a tie on the end keeps the longest
            start = text.find(sequence)
            if start >= 0 and start + len(sequence) < best_end:
                best, best_end = (start, sequence), start + len(sequence)
        return best

    def _partial_tail(self, text: str) -> int:
        """Length of the longest suffix of `text` that is a proper prefix of some sequence."""
        longest = 0
        for sequence in self._sequences:
            for size in range(min(len(sequence) - 1, len(text)), longest, -1):
                if text.endswith(sequence[:size]):
                    longest = size
                    break
        return longest


def apply_stop_sequences(
    events: AsyncIterator[ir.Event], stop_sequences: tuple[str, ...]
) -> AsyncIterator[ir.Event]:
    """`events` cut at the first stop sequence; `events` itself when there are none.

    On a match, or when the consumer stops early, the source is closed (`aclose`), which cancels
    the upstream request.
    """
    if not any(stop_sequences):
        return events
    return _filtered(events, StopSequenceFilter(stop_sequences))


async def _filtered(
    events: AsyncIterator[ir.Event], stop: StopSequenceFilter
) -> AsyncIterator[ir.Event]:
    try:
        async for event in events:
            for passed in stop.feed(event):
                yield passed
            if stop.matched is not None:
                return
    finally:
        if isinstance(events, AsyncGenerator):
            await events.aclose()


def apply_stop_sequences_to_batches(
    batches: ir.EventBatches, stop_sequences: tuple[str, ...]
) -> ir.EventBatches:
    """`apply_stop_sequences` for a backend's batched stream; `batches` itself when there are none.

    A batch cut by a match ends with the `Stop`; an emptied batch is not yielded.
    """
    if not any(stop_sequences):
        return batches
    return _filtered_batches(batches, StopSequenceFilter(stop_sequences))


async def _filtered_batches(batches: ir.EventBatches, stop: StopSequenceFilter) -> ir.EventBatches:
    try:
        async for batch in batches:
            passed = [out for event in batch for out in stop.feed(event)]
            if passed:
                yield passed
            if stop.matched is not None:
                return
    finally:
        if isinstance(batches, AsyncGenerator):
            await batches.aclose()
