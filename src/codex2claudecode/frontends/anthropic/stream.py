"""Renders an `ir.Event` stream as Anthropic Messages SSE bytes (protocols-and-pitfalls §5a).

One `SSERenderer` per response: `message_start`, then each block as start / deltas / stop with
indices from 0, then `message_delta` and `message_stop`. Deltas are byte templates (perf-notes).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Literal, assert_never

import orjson

from codex2claudecode import ir
from codex2claudecode.errors import GatewayError
from codex2claudecode.frontends.anthropic.errors import render_stream_error
from codex2claudecode.frontends.anthropic.response import (
    citation_json,
    server_tool_use_block,
    usage_json,
    web_result_block,
)

_Kind = Literal["text", "thinking", "tool"]

_DELTA_HEAD: Final = (
    b'event: content_block_delta\ndata: {"type":"content_block_delta","index":%d,"delta":'
)
_DELTA_PREFIX: Final[dict[_Kind, bytes]] = {
    "text": _DELTA_HEAD + b'{"type":"text_delta","text":',
    "thinking": _DELTA_HEAD + b'{"type":"thinking_delta","thinking":',
    "tool": _DELTA_HEAD + b'{"type":"input_json_delta","partial_json":',
}
_DELTA_SUFFIX: Final = b"}}\n\n"
_STOP: Final = b'event: content_block_stop\ndata: {"type":"content_block_stop","index":%d}\n\n'
_PING: Final = b'event: ping\ndata: {"type": "ping"}\n\n'
_MESSAGE_STOP: Final = b'event: message_stop\ndata: {"type":"message_stop"}\n\n'
_TEXT_BLOCK: Final[Mapping[str, object]] = {"type": "text", "text": ""}
_THINKING_BLOCK: Final[Mapping[str, object]] = {"type": "thinking", "thinking": "", "signature": ""}


def _frame(event_type: str, payload: Mapping[str, object]) -> bytes:
    return b"event: " + event_type.encode() + b"\ndata: " + orjson.dumps(payload) + b"\n\n"


class SSERenderer:
    """Turns the events of one answer into SSE bytes; `render` returns b"" for silent events.

    Blocks must not interleave (ir contract); if one starts while another is open, the open one
    is closed first so the client always sees a well-formed grammar.
    """

    __slots__ = (
        "_args_sent",
        "_delta_prefix",
        "_delta_template",
        "_estimate",
        "_index",
        "_message_id",
        "_model",
        "_open",
        "_searches",
        "_usage",
        "finished",
        "started",
    )

    def __init__(self, *, message_id: str, model: str, input_tokens_estimate: int) -> None:
        self._message_id = message_id
        self._model = model
        self._estimate = input_tokens_estimate
        self._index = -1
        self._open: _Kind | None = None
        self._delta_prefix = b""
        self._delta_template = b""
        """`_delta_prefix`, `%b` for the delta's JSON string, and the frame's end."""
        self._args_sent = False
        self._usage: ir.Usage | None = None
        self._searches = [0, 0]
        """Web searches and fetches run so far."""
        self.started = False
        self.finished = False

    def render(self, event: ir.Event) -> bytes:
        """The SSE bytes for one event (b"" when it produces none, or after the end)."""
        # Hot path first: a delta for the block that is open (by type identity: ir event
        # classes are final, and a class pattern costs more).
        if type(event) is ir.TextDelta:
            if self._open == "text":
                text = event.text
                return self._delta_template % orjson.dumps(text) if text else b""
        elif type(event) is ir.ThinkingDelta:
            if self._open == "thinking":
                text = event.text
                return self._delta_template % orjson.dumps(text) if text else b""
        elif type(event) is ir.ToolCallDelta and self._open == "tool":
            fragment = event.arguments_json
            if not fragment:
                return b""
            self._args_sent = True
            return self._delta_template % orjson.dumps(fragment)
        if self.finished:
            return b""
        head = b"" if self.started else self._message_start()
        return head + self._render_slow(event)

    def ping(self) -> bytes:
        """A keep-alive frame; valid anywhere in the stream."""
        return _PING

    def error(self, exc: GatewayError) -> bytes:
        """The in-band error frame that ends the stream (no `message_stop` follows)."""
        if self.finished:
            return b""
        self.finished = True
        self._open = None
        return render_stream_error(exc)

    # ------------------------------------------------------------------ internals

    def _render_slow(self, event: ir.Event) -> bytes:
        match event:
            case ir.Started():
                return b""
            case ir.TextStart():
                return self._start("text", _TEXT_BLOCK)
            case ir.TextDelta():
                return self._start("text", _TEXT_BLOCK) + self.render(event)
            case ir.TextEnd():
                return self._close() if self._open == "text" else b""
            case ir.ThinkingStart():
                return self._start("thinking", _THINKING_BLOCK)
            case ir.ThinkingDelta():
                return self._start("thinking", _THINKING_BLOCK) + self.render(event)
            case ir.ThinkingEnd(signature=signature):
                if self._open != "thinking":
                    return b""
                signature_delta = {"type": "signature_delta", "signature": signature}
                return self._delta(signature_delta) + self._close()
            case ir.RedactedThinking(data=data):
                redacted = {"type": "redacted_thinking", "data": data}
                return self._start(None, redacted) + _STOP % self._index
            case ir.ToolCallStart(id=call_id, name=name):
                self._args_sent = False
                tool_block: dict[str, object] = {
                    "type": "tool_use",
                    "id": call_id,
                    "name": name,
                    "input": {},
                }
                return self._start("tool", tool_block)
            case ir.ToolCallDelta():
                return b""  # no call is open: nothing to attach the fragment to
            case ir.ToolCallEnd():
                return self._close() if self._open == "tool" else b""
            case ir.ServerToolCall(name=name, input_json=input_json):
                self._searches[name == "web_fetch"] += 1
                block = {**server_tool_use_block(event), "input": {}}
                start = self._start(None, block)
                arguments = {"type": "input_json_delta", "partial_json": input_json}
                return start + self._delta(arguments) + _STOP % self._index
            case ir.WebResult():
                return self._start(None, web_result_block(event)) + _STOP % self._index
            case ir.Citation():
                if self._open != "text":
                    return b""
                return self._delta({"type": "citations_delta", "citation": citation_json(event)})
            case ir.Usage():
                self._usage = event
                return b""
            case ir.Stop(reason=reason, stop_sequence=stop_sequence):
                self.finished = True
                delta: dict[str, object] = {"stop_reason": reason, "stop_sequence": stop_sequence}
                searches, fetches = self._searches
                usage = usage_json(self._usage, self._estimate, (searches, fetches))
                message_delta = {"type": "message_delta", "delta": delta, "usage": usage}
                return self._close() + _frame("message_delta", message_delta) + _MESSAGE_STOP
            case _:
                assert_never(event)

    def _message_start(self) -> bytes:
        self.started = True
        # The shape a real server sends (recorded streams), minus fields that are never ours
        # (`cache_creation` breakdown, `inference_geo`); the final numbers come in message_delta.
        message: dict[str, object] = {
            "id": self._message_id,
            "type": "message",
            "role": "assistant",
            "model": self._model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {
                "input_tokens": self._estimate,
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": 0,
                "output_tokens": 0,
                "service_tier": "standard",
            },
        }
        return _frame("message_start", {"type": "message_start", "message": message})

    def _start(self, kind: _Kind | None, block: Mapping[str, object]) -> bytes:
        closed = self._close()
        self._index += 1
        self._open = kind
        if kind is not None:
            self._delta_prefix = _DELTA_PREFIX[kind] % self._index
            self._delta_template = self._delta_prefix + b"%b" + _DELTA_SUFFIX
        start = {"type": "content_block_start", "index": self._index, "content_block": block}
        return closed + _frame("content_block_start", start)

    def _delta(self, delta: Mapping[str, object]) -> bytes:
        payload = {"type": "content_block_delta", "index": self._index, "delta": delta}
        return _frame("content_block_delta", payload)

    def _close(self) -> bytes:
        kind = self._open
        if kind is None:
            return b""
        self._open = None
        if kind == "tool" and not self._args_sent:
            # The real API sends `partial_json: ""` here; "{}" parses in every accumulator
            # (some, e.g. the Java SDK's, fail on an empty argument text).
            empty = self._delta_prefix + b'"{}"' + _DELTA_SUFFIX
            return empty + _STOP % self._index
        return _STOP % self._index
