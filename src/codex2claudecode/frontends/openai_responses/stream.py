"""Renders an `ir.Event` stream as OpenAI Responses SSE bytes (protocols-and-pitfalls §5b).

One `ResponsesStreamRenderer` per response: `response.created` and `response.in_progress`, then
each block as an output item (added, its parts and deltas, done), then exactly one of
`response.completed`, `response.incomplete` or `response.failed`. Every event carries the next
`sequence_number`; there is no `[DONE]`. Deltas are byte templates (perf-notes).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final, Literal, assert_never

import orjson

from codex2claudecode import ir
from codex2claudecode.errors import GatewayError
from codex2claudecode.frontends.openai_responses import response as shape
from codex2claudecode.frontends.openai_responses.errors import failed_error

_Kind = Literal["text", "thinking", "tool"]
_END: Final = b"}\n\n"


def _event(event_type: str, sequence_number: int, payload: shape.Json) -> bytes:
    body = {"type": event_type, "sequence_number": sequence_number, **payload}
    return b"event: " + event_type.encode() + b"\ndata: " + orjson.dumps(body) + b"\n\n"


class ResponsesStreamRenderer:
    """Turns the events of one answer into SSE bytes; `render` returns b"" for silent events.

    Blocks must not interleave (ir contract); if one starts while another is open, the open one
    is closed first so the client always sees a well-formed grammar.
    """

    __slots__ = (
        "_citations",
        "_clock",
        "_created_at",
        "_delta_prefix",
        "_estimate",
        "_include_state",
        "_item",
        "_open",
        "_output",
        "_parts",
        "_request",
        "_response_id",
        "_searching",
        "_sequence",
        "_summary_open",
        "_usage",
        "finished",
        "started",
    )

    def __init__(
        self,
        request: ir.Request,
        *,
        response_id: str,
        clock: Callable[[], int],
        input_tokens_estimate: int,
    ) -> None:
        """
        Args:
            request: the parsed request, whose settings the response snapshots echo.
            response_id: the `resp_…` id the frontend chose.
            clock: the current Unix time in seconds (`created_at` now, `completed_at` at the end).
            input_tokens_estimate: used as `input_tokens` when the upstream reported none.
        """
        self._request = request
        self._response_id = response_id
        self._clock = clock
        self._created_at = clock()
        self._estimate = input_tokens_estimate
        self._include_state = shape.ENCRYPTED_REASONING in request.include
        self._sequence = 0
        self._output: list[shape.Json] = []
        self._open: _Kind | None = None
        self._item: shape.Json = {}
        self._parts: list[str] = []
        self._delta_prefix = b""
        self._summary_open = False
        self._citations: list[ir.Citation] = []
        self._searching: dict[str, shape.Json] = {}
        """`web_search_call` items added and not yet done, by server tool call id."""
        self._usage: ir.Usage | None = None
        self.started = False
        self.finished = False

    def render(self, event: ir.Event) -> bytes:
        """The SSE bytes for one event (b"" when it produces none, or after the end)."""
        # Hot path first: a delta for the item that is open.
        match event:
            case ir.TextDelta(text=text) if self._open == "text":
                return self._delta(text) if text else b""
            case ir.ToolCallDelta(arguments_json=fragment) if self._open == "tool":
                return self._delta(fragment) if fragment else b""
            case ir.ThinkingDelta(text=text) if self._open == "thinking" and self._summary_open:
                return self._delta(text) if text else b""
        if self.finished:
            return b""
        head = b"" if self.started else self._head()
        return head + self._render_slow(event)

    def ping(self) -> bytes:
        """A keep-alive for long upstream silences: an SSE comment, which clients ignore."""
        return b": keep-alive\n\n"

    def error(self, exc: GatewayError) -> bytes:
        """The `response.failed` event that ends the stream after a mid-stream failure."""
        if self.finished:
            return b""
        head = b"" if self.started else self._head()
        self.finished = True
        self._open = None
        snapshot = self._snapshot("failed", error=failed_error(exc))
        return head + self._emit("response.failed", {"response": snapshot})

    # ------------------------------------------------------------------ internals

    def _render_slow(self, event: ir.Event) -> bytes:
        match event:
            case ir.Started():
                return b""
            case ir.TextStart():
                return self._start_text()
            case ir.TextDelta():
                return self._start_text() + self.render(event)
            case ir.TextEnd():
                return self._close() if self._open == "text" else b""
            case ir.ThinkingStart():
                return self._start_thinking()
            case ir.ThinkingDelta(text=text):
                if not text:
                    return b""
                head = b"" if self._open == "thinking" else self._start_thinking()
                return head + self._open_summary() + self.render(event)
            case ir.ThinkingEnd(signature=signature):
                return self._close(signature) if self._open == "thinking" else b""
            case ir.RedactedThinking(data=data):
                return self._start_thinking() + self._close(data)
            case ir.ToolCallStart(id=call_id, name=name):
                return self._start_tool(call_id, name)
            case ir.ToolCallDelta():
                return b""  # no call is open: nothing to attach the fragment to
            case ir.ToolCallEnd():
                return self._close() if self._open == "tool" else b""
            case ir.ServerToolCall():
                return self._start_search(event)
            case ir.WebResult():
                return self._end_search(event)
            case ir.Citation():
                return self._annotate(event) if self._open == "text" else b""
            case ir.Usage():
                self._usage = event
                return b""
            case ir.Stop():
                closed = self._close()
                for call_id in list(self._searching):
                    closed += self._end_search(ir.WebResult(call_id, "web_search"))
                self.finished = True
                status, incomplete = shape.terminal_status(event)
                completed_at = self._clock() if status == "completed" else None
                snapshot = self._snapshot(status, incomplete, completed_at=completed_at)
                return closed + self._emit(f"response.{status}", {"response": snapshot})
            case _:
                assert_never(event)

    def _emit(self, event_type: str, payload: shape.Json) -> bytes:
        frame = _event(event_type, self._sequence, payload)
        self._sequence += 1
        return frame

    def _delta(self, text: str) -> bytes:
        self._parts.append(text)
        sequence = self._sequence
        self._sequence += 1
        return self._delta_prefix + orjson.dumps(text) + b',"sequence_number":%d' % sequence + _END

    def _head(self) -> bytes:
        self.started = True
        snapshot = self._snapshot("in_progress")
        created = self._emit("response.created", {"response": snapshot})
        return created + self._emit("response.in_progress", {"response": snapshot})

    def _snapshot(
        self,
        status: shape.Status,
        incomplete: shape.Json | None = None,
        *,
        error: shape.Json | None = None,
        completed_at: int | None = None,
    ) -> shape.Json:
        in_progress = status == "in_progress"
        return shape.response_object(
            self._request,
            response_id=self._response_id,
            created_at=self._created_at,
            status=status,
            output=list(self._output),
            usage=None if in_progress else shape.usage_json(self._usage, self._estimate),
            incomplete_details=incomplete,
            error=error,
            completed_at=completed_at,
        )

    def _add_item(self, kind: _Kind, item: shape.Json) -> bytes:
        closed = self._close()
        self._open = kind
        self._item = item
        self._parts = []
        self._citations = []
        added = {"output_index": len(self._output), "item": item}
        return closed + self._emit("response.output_item.added", added)

    def _prefix(self, event_type: str, extra: bytes = b"") -> bytes:
        return b'event: %s\ndata: {"type":"%s","item_id":%s,"output_index":%d,%s"delta":' % (
            event_type.encode(),
            event_type.encode(),
            orjson.dumps(self._item["id"]),
            len(self._output),
            extra,
        )

    def _start_text(self) -> bytes:
        item_id = shape.item_id("msg", self._response_id, len(self._output))
        added = self._add_item("text", shape.message_item(item_id, None, "in_progress"))
        part = {**self._where(), "content_index": 0, "part": shape.output_text("")}
        # OpenAI sends `logprobs` on text deltas even when none were asked for.
        self._delta_prefix = self._prefix(
            "response.output_text.delta", b'"content_index":0,"logprobs":[],'
        )
        return added + self._emit("response.content_part.added", part)

    def _start_thinking(self) -> bytes:
        item_id = shape.item_id("rs", self._response_id, len(self._output))
        item = shape.reasoning_item(item_id, "", None)
        self._summary_open = False
        return self._add_item("thinking", item)

    def _open_summary(self) -> bytes:
        if self._summary_open:
            return b""
        self._summary_open = True
        part = {"type": "summary_text", "text": ""}
        added = {**self._where(), "summary_index": 0, "part": part}
        self._delta_prefix = self._prefix(
            "response.reasoning_summary_text.delta", b'"summary_index":0,'
        )
        return self._emit("response.reasoning_summary_part.added", added)

    def _start_tool(self, call_id: str, name: str) -> bytes:
        item_id = shape.item_id("fc", self._response_id, len(self._output))
        item = shape.function_call_item(item_id, call_id, name, "", "in_progress")
        added = self._add_item("tool", item)
        self._delta_prefix = self._prefix("response.function_call_arguments.delta")
        return added

    def _start_search(self, call: ir.ServerToolCall) -> bytes:
        closed = self._close()
        item = shape.web_search_item(call, "in_progress")
        self._searching[call.id] = item
        where = {"output_index": len(self._output), "item_id": item["id"]}
        return (
            closed
            + self._emit(
                "response.output_item.added", {"output_index": len(self._output), "item": item}
            )
            + self._emit("response.web_search_call.in_progress", where)
            + self._emit("response.web_search_call.searching", where)
        )

    def _end_search(self, result: ir.WebResult) -> bytes:
        started = self._searching.pop(result.call_id, None)
        if started is None:
            return b""
        item = {
            **started,
            "status": "completed",
            "action": shape.web_action(started["action"], result),
        }
        where = {"output_index": len(self._output), "item_id": item["id"]}
        frames = self._emit("response.web_search_call.completed", where)
        frames += self._emit(
            "response.output_item.done", {"output_index": len(self._output), "item": item}
        )
        self._output.append(item)
        return frames

    def _annotate(self, citation: ir.Citation) -> bytes:
        self._citations.append(citation)
        added = {
            **self._where(),
            "content_index": 0,
            "annotation_index": len(self._citations) - 1,
            "annotation": shape.url_citation(citation),
        }
        return self._emit("response.output_text.annotation.added", added)

    def _where(self) -> shape.Json:
        return {"item_id": self._item["id"], "output_index": len(self._output)}

    def _close(self, state: str | None = None) -> bytes:
        kind = self._open
        if kind is None:
            return b""
        self._open = None
        text = "".join(self._parts)
        where = self._where()
        frames = b""
        match kind:
            case "text":
                done = {**where, "content_index": 0, "text": text, "logprobs": []}
                output_text = shape.output_text(text, self._citations)
                part = {**where, "content_index": 0, "part": output_text}
                frames = self._emit("response.output_text.done", done)
                frames += self._emit("response.content_part.done", part)
                item = shape.message_item(str(self._item["id"]), text, "completed", self._citations)
            case "thinking":
                if self._summary_open:
                    summary = {"type": "summary_text", "text": text}
                    frames = self._emit(
                        "response.reasoning_summary_text.done",
                        {**where, "summary_index": 0, "text": text},
                    )
                    frames += self._emit(
                        "response.reasoning_summary_part.done",
                        {**where, "summary_index": 0, "part": summary},
                    )
                    self._summary_open = False
                kept = state if self._include_state and state else None
                item = shape.reasoning_item(str(self._item["id"]), text, kept)
            case "tool":
                arguments = text or "{}"
                frames = self._emit(
                    "response.function_call_arguments.done", {**where, "arguments": arguments}
                )
                item = {**self._item, "arguments": arguments, "status": "completed"}
            case _:
                assert_never(kind)
        done_item = {"output_index": len(self._output), "item": item}
        frames += self._emit("response.output_item.done", done_item)
        self._output.append(item)
        return frames
