"""Renders an `ir.Event` stream as OpenAI Chat Completions SSE chunks (protocols-and-pitfalls §5b).

One `ChatStreamRenderer` per completion: a first chunk with `role: "assistant"`, then content,
`reasoning_content` and `tool_calls` deltas, a last choice chunk with `finish_reason`, the usage
chunk (`choices: []`) when the client asked for it, and `data: [DONE]`. Chunks are byte
templates (perf-notes).
"""

from __future__ import annotations

from typing import Final, assert_never

import orjson

from codex2claudecode import ir
from codex2claudecode.errors import GatewayError
from codex2claudecode.frontends.openai_chat.errors import render_stream_error
from codex2claudecode.frontends.openai_chat.response import finish_reason, usage_json

_DONE: Final = b"data: [DONE]\n\n"
_FIRST_DELTA: Final = b'{"role":"assistant","content":"","refusal":null}'


class ChatStreamRenderer:
    """Turns the events of one answer into chunk bytes; `render` returns b"" for silent events.

    Chat has no blocks: text and reasoning are plain deltas, and each tool call is an entry of
    `tool_calls` numbered from 0. Thinking signatures and redacted reasoning have no Chat form.
    """

    __slots__ = (
        "_estimate",
        "_head",
        "_include_usage",
        "_tail",
        "_tool_index",
        "_usage",
        "finished",
        "started",
    )

    def __init__(
        self,
        request: ir.Request,
        *,
        completion_id: str,
        created: int,
        input_tokens_estimate: int,
        system_fingerprint: str | None = None,
    ) -> None:
        """
        Args:
            request: the parsed request (its model is reported; `stream_usage` adds usage).
            completion_id: the `chatcmpl-…` id the frontend chose, the same on every chunk.
            created: when the request arrived, in Unix seconds.
            input_tokens_estimate: used as `prompt_tokens` when the upstream reported none.
            system_fingerprint: reported on every chunk, as OpenAI does.
        """
        envelope = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": request.model,
            "service_tier": "default",
            "system_fingerprint": system_fingerprint,
        }
        # `{...envelope, "choices":[{"index":0,"delta":` + delta + tail
        self._head = b"data: " + orjson.dumps(envelope)[:-1] + b',"choices":[{"index":0,"delta":'
        self._include_usage = request.stream_usage
        # With include_usage OpenAI sends `"usage": null` on every chunk but the last.
        usage_null = b',"usage":null' if self._include_usage else b""
        self._tail = b',"logprobs":null,"finish_reason":null}]' + usage_null + b"}\n\n"
        self._estimate = input_tokens_estimate
        self._tool_index = -1
        self._usage: ir.Usage | None = None
        self.started = False
        self.finished = False

    def render(self, event: ir.Event) -> bytes:
        """The chunk bytes for one event (b"" when it produces none, or after the end)."""
        if self.finished:
            return b""
        head = b"" if self.started else self._first()
        match event:
            case ir.TextDelta(text=text):
                return head + (
                    self._chunk(b'{"content":' + orjson.dumps(text) + b"}") if text else b""
                )
            case ir.ThinkingDelta(text=text):
                if not text:
                    return head
                return head + self._chunk(b'{"reasoning_content":' + orjson.dumps(text) + b"}")
            case ir.ToolCallDelta(arguments_json=fragment):
                if not fragment or self._tool_index < 0:
                    return head
                call = {"index": self._tool_index, "function": {"arguments": fragment}}
                return head + self._chunk(orjson.dumps({"tool_calls": [call]}))
            case ir.ToolCallStart(id=call_id, name=name):
                self._tool_index += 1
                call = {
                    "index": self._tool_index,
                    "id": call_id,
                    "type": "function",
                    "function": {"name": name, "arguments": ""},
                }
                return head + self._chunk(orjson.dumps({"tool_calls": [call]}))
            case (
                ir.Started()
                | ir.TextStart()
                | ir.TextEnd()
                | ir.ThinkingStart()
                | ir.ThinkingEnd()
                | ir.RedactedThinking()
                | ir.ToolCallEnd()
                | ir.ServerToolCall()
                | ir.WebResult()
                | ir.Citation()
            ):
                # Chat Completions has no server tools; what they found reaches the client
                # through the answer's text.
                return head
            case ir.Usage():
                self._usage = event
                return head
            case ir.Stop():
                self.finished = True
                return head + self._finish(event)
            case _:
                assert_never(event)

    def ping(self) -> bytes:
        """A keep-alive for long upstream silences: an SSE comment, which clients ignore."""
        return b": keep-alive\n\n"

    def error(self, exc: GatewayError) -> bytes:
        """The in-band error line that ends the stream (no `[DONE]` follows)."""
        if self.finished:
            return b""
        self.finished = True
        return render_stream_error(exc)

    # ------------------------------------------------------------------ internals

    def _first(self) -> bytes:
        self.started = True
        return self._chunk(_FIRST_DELTA)

    def _chunk(self, delta: bytes) -> bytes:
        return self._head + delta + self._tail

    def _finish(self, stop: ir.Stop) -> bytes:
        reason = finish_reason(stop, self._tool_index >= 0)
        usage_null = b',"usage":null' if self._include_usage else b""
        last = (
            self._head
            + b'{},"logprobs":null,"finish_reason":"'
            + reason.encode()
            + b'"}]'
            + usage_null
            + b"}\n\n"
        )
        if not self._include_usage:
            return last + _DONE
        usage = orjson.dumps(usage_json(self._usage, self._estimate))
        # The usage chunk has the envelope and no choices.
        envelope = self._head[: self._head.index(b',"choices":')]
        return last + envelope + b',"choices":[],"usage":' + usage + b"}\n\n" + _DONE
