"""Kiro's stream events (CRC-checked frames) -> `ir.Event`s.

Sits after `EventStreamParser`: `KiroDecoder.feed` takes one frame, `KiroStreamDecoder.feed`
one upstream read. Choices that the protocol leaves open:

- `Started` goes out just before the first content, so a refusal that arrives first (an
  exception frame, a context-overflow stop) is raised before any event: the frontend can still
  answer with the right HTTP status.
- A tool call is held until it is known complete (`stop`, or its input parses as a JSON object
  when the next call or the end comes), then sent whole. Kiro cuts long tool inputs short
  without `stop` (kiro-2026-update §4, protocols §4 item 4), and a started block could not be
  taken back: a broken call would reach the client as `Write {}` or half a file. Such a call is
  dropped, a text block says what happened, and the turn ends with `max_tokens`.
  Text and thinking stream as they arrive.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, Literal, TypeGuard

import orjson

from codex2claudecode import errors, ir, tokens
from codex2claudecode.backends.kiro.eventstream import MAX_FRAME_BYTES, EventStreamParser, Frame
from codex2claudecode.backends.kiro.models import ReasoningShown
from codex2claudecode.backends.kiro.stream_errors import frame_error, kiro_error
from codex2claudecode.backends.kiro.thinking_tags import TagSplitter
from codex2claudecode.backends.kiro.tool_input import PendingToolCall
from codex2claudecode.backends.kiro.usage import answer_usage

_STOP_REASONS: dict[str, ir.StopReason] = {
    "END_TURN": "end_turn",
    "TOOL_USE": "tool_use",
    "MAX_TOKENS": "max_tokens",
    "MODEL_CONTEXT_WINDOW_EXCEEDED": "model_context_window_exceeded",
    "CONTENT_FILTERED": "refusal",
    "PAUSE_TURN": "pause_turn",
}

SKIPPED_EVENTS = frozenset(
    {
        # Kiro IDE features with no counterpart in the client dialects (kiro-2026-update §4).
        "citationEvent",
        "codeReferenceEvent",
        "dryRunSucceedEvent",
        "followupPromptEvent",
        "intentsEvent",
        "interactionComponentsEvent",
        "supplementaryWebLinksEvent",
        "toolResultEvent",
        # The conversation id: we keep no server-side conversation.
        "messageMetadataEvent",
    }
)
"""Events skipped on purpose; any other unknown event is skipped too, and noted in
`KiroDecoder.unknown_events` for the log."""

_EMPTY_SENTINEL = "(empty)"
"""Kiro sends this exact content before tool calls; it is not text (original-kiro §4.3)."""

Block = Literal["text", "thinking"]
Handler = Callable[["KiroDecoder", dict[str, Any], list[ir.Event]], None]


class KiroDecoder:
    """Turns one Kiro answer into ir events; blocks never interleave, `Stop` comes last.

    `feed` and `finish` raise `errors.GatewayError` subclasses for upstream failures.
    """

    _handlers: ClassVar[dict[str, Handler]]

    def __init__(
        self,
        *,
        response_id: str,
        model: str,
        context_window: int,
        estimated_input_tokens: int,
        thinking_tags: bool = False,
        on_metering: Callable[[float], None] | None = None,
        announced: bool = False,
        reasoning: ReasoningShown = "summarized",
    ) -> None:
        """
        Args:
            response_id, model: for `ir.Started`.
            context_window: the model's input-token window, to turn `contextUsagePercentage`
                into input tokens when Kiro reports no token usage.
            estimated_input_tokens: the local estimate, used when Kiro reports neither.
            thinking_tags: the request asked an older model to think in `<thinking>` tags.
            on_metering: gets the credits each `meteringEvent` reports.
            announced: the caller sent `ir.Started` already (with its own first blocks).
            reasoning: how thinking reaches the client: as text, as empty signed blocks
                (`omitted`), or not at all (`off`: the client did not ask for it).
        """
        self._shown = reasoning
        self._started_event = ir.Started(response_id=response_id, model=model)
        self._context_window = context_window
        self._estimate = estimated_input_tokens
        self._tags = TagSplitter() if thinking_tags else None
        self._on_metering = on_metering
        self._started = announced
        self._done = False
        self._open: Block | None = None
        self._last_content: str | None = None
        self._call: PendingToolCall | None = None
        self._calls = 0
        self._produced: list[str] = []
        """Everything the model wrote, for a local output count when Kiro reports none."""
        self._token_usage: dict[str, float] = {}
        self._percentage: float | None = None
        self._kiro_stop: str | None = None
        self.truncated_tool: str | None = None
        """The name of a tool call Kiro cut short (and that was not sent), for the log."""
        self.unknown_events: set[str] = set()

    @property
    def done(self) -> bool:
        """True once `finish` has emitted the `Stop`."""
        return self._done

    def feed(self, frame: Frame) -> list[ir.Event]:
        """The events for one frame."""
        if self._done:
            return []
        headers = frame.headers
        message_type = headers.get(":message-type", "event")
        if message_type != "event":
            if message_type in ("error", "exception"):
                raise frame_error(frame)
            raise errors.UpstreamFailed(
                f"Kiro sent an event-stream message of unknown type {message_type!r}"
            )
        event_type = headers.get(":event-type")
        handler = self._handlers.get(event_type) if isinstance(event_type, str) else None
        if handler is None:
            if event_type not in SKIPPED_EVENTS:
                self.unknown_events.add(str(event_type))
            return []
        out: list[ir.Event] = []
        handler(self, _payload(frame.payload, str(event_type)), out)
        return out

    def finish(self) -> list[ir.Event]:
        """Call at the end of the upstream body: closes blocks, then `Usage` and the `Stop`."""
        if self._done:
            return []
        out: list[ir.Event] = []
        if self._call is not None:
            self._complete_call(self._call, stopped=False, out=out)
        if self._tags is not None:
            self._emit_pieces(self._tags.flush(), out)
        if self._kiro_stop == "MODEL_CONTEXT_WINDOW_EXCEEDED" and not self._started:
            raise errors.ContextTooLong(
                "Input is too long for the model's context window: Kiro stopped with "
                "MODEL_CONTEXT_WINDOW_EXCEEDED before answering. Compact or shorten the "
                "conversation and try again."
            )
        self._ensure_started(out)
        if self.truncated_tool is not None:
            self._close(out)
            note = (
                f"[The {self.truncated_tool} tool call was cut off by Kiro before its input was "
                "complete, so it was not run. Kiro limits how long one answer can be: write "
                "large content in several smaller steps.]"
            )
            out += (ir.TextStart(), ir.TextDelta(note), ir.TextEnd())
        self._close(out)
        out.append(self._usage())
        out.append(ir.Stop(self._stop_reason()))
        self._done = True
        return out

    # ------------------------------------------------------------------ content

    def _content(self, payload: dict[str, Any], out: list[ir.Event]) -> None:
        content = payload.get("content")
        if not isinstance(content, str) or not content or content == _EMPTY_SENTINEL:
            return
        # Kiro repeats content events verbatim; peers drop the repeat (original-kiro §4.2).
        if content == self._last_content:
            return
        self._last_content = content
        if self._tags is None:
            self._emit("text", content, out)
        else:
            self._emit_pieces(self._tags.feed(content), out)

    def _reasoning(self, payload: dict[str, Any], out: list[ir.Event]) -> None:
        if self._shown == "off":
            return
        text, signature = payload.get("text"), payload.get("signature")
        redacted = payload.get("redactedContent")
        if isinstance(text, str) and text:
            self._emit("thinking", text, out)
        if isinstance(signature, str) and signature:
            # Kiro's own signature, passed through (kiro-2026-update §3).
            if self._open != "thinking":
                self._open_block("thinking", out)
            self._open = None
            out.append(ir.ThinkingEnd(signature=signature))
        if isinstance(redacted, str) and redacted:
            self._ensure_started(out)
            self._close(out)
            out.append(ir.RedactedThinking(data=redacted))

    def _tool_use(self, payload: dict[str, Any], out: list[ir.Event]) -> None:
        call_id, call = payload.get("toolUseId"), self._call
        if isinstance(call_id, str) and call_id and (call is None or call.id != call_id):
            if call is not None:
                self._complete_call(call, stopped=False, out=out)
            name = payload.get("name")
            call = self._call = PendingToolCall(call_id, name if isinstance(name, str) else "")
        elif call is None:
            return  # a fragment or stop with no call to belong to
        call.add(payload.get("input"))
        if payload.get("stop") is True:
            self._complete_call(call, stopped=True, out=out)

    def _complete_call(self, call: PendingToolCall, *, stopped: bool, out: list[ir.Event]) -> None:
        self._call = None
        arguments = call.arguments(stopped=stopped)
        self._produced.append(call.raw())
        if arguments is None:
            if self.truncated_tool is None:
                self.truncated_tool = call.name or "unnamed"
            return
        self._ensure_started(out)
        self._close(out)
        self._calls += 1
        out += (ir.ToolCallStart(id=call.id, name=call.name), ir.ToolCallDelta(arguments))
        out.append(ir.ToolCallEnd())

    # ------------------------------------------------------------------ accounting

    def _metadata(self, payload: dict[str, Any], out: list[ir.Event]) -> None:
        usage = payload.get("tokenUsage")
        if isinstance(usage, dict):
            for key, value in usage.items():
                if _is_number(value):
                    self._token_usage[key] = value
        stop = payload.get("stopReason")
        if isinstance(stop, str):
            self._kiro_stop = stop

    def _context_usage(self, payload: dict[str, Any], out: list[ir.Event]) -> None:
        percentage = payload.get("contextUsagePercentage")
        if _is_number(percentage):
            self._percentage = float(percentage)

    def _metering(self, payload: dict[str, Any], out: list[ir.Event]) -> None:
        credits = payload.get("usage")
        if self._on_metering is not None and _is_number(credits):
            self._on_metering(float(credits))

    def _invalid_state(self, payload: dict[str, Any], out: list[ir.Event]) -> None:
        message, reason = payload.get("message"), payload.get("reason")
        raise kiro_error(
            "invalidStateEvent",
            message if isinstance(message, str) else "",
            reason=reason if isinstance(reason, str) else "",
        )

    def _usage(self) -> ir.Usage:
        return answer_usage(
            self._token_usage,
            percentage=self._percentage,
            context_window=self._context_window,
            estimated_input_tokens=self._estimate,
            count_output=self._count_output,
        )

    def _count_output(self) -> int:
        text = "".join(self._produced)
        return tokens.count_text(text) if text else 0

    def _stop_reason(self) -> ir.StopReason:
        if self.truncated_tool is not None:
            return "max_tokens"
        reason = _STOP_REASONS.get(self._kiro_stop or "")
        if reason is None or reason in ("end_turn", "tool_use"):
            # Trust what was sent: a tool_use stop with no call would leave clients waiting.
            return "tool_use" if self._calls else "end_turn"
        return reason

    # ------------------------------------------------------------------ blocks

    def _emit_pieces(self, pieces: list[tuple[bool, str]], out: list[ir.Event]) -> None:
        for thinking, text in pieces:
            self._emit("thinking" if thinking else "text", text, out)

    def _emit(self, kind: Block, text: str, out: list[ir.Event]) -> None:
        if kind == "thinking" and self._shown != "summarized":
            # Unasked or `display: omitted`: no text. Tag thinking has no signature to keep.
            self._produced.append(text)
            return
        if self._open != kind:
            self._open_block(kind, out)
        self._produced.append(text)
        out.append(ir.TextDelta(text) if kind == "text" else ir.ThinkingDelta(text))

    def _ensure_started(self, out: list[ir.Event]) -> None:
        if not self._started:
            self._started = True
            out.append(self._started_event)

    def _open_block(self, kind: Block, out: list[ir.Event]) -> None:
        self._ensure_started(out)
        self._close(out)
        self._open = kind
        out.append(ir.TextStart() if kind == "text" else ir.ThinkingStart())

    def _close(self, out: list[ir.Event]) -> None:
        match self._open:
            case None:
                return
            case "text":
                out.append(ir.TextEnd())
            case "thinking":
                # Tag thinking has no signature; native thinking cut short lost its own.
                out.append(ir.ThinkingEnd(signature=""))
        self._open = None


KiroDecoder._handlers = {
    "assistantResponseEvent": KiroDecoder._content,
    "codeEvent": KiroDecoder._content,
    "reasoningContentEvent": KiroDecoder._reasoning,
    "toolUseEvent": KiroDecoder._tool_use,
    "metadataEvent": KiroDecoder._metadata,
    "contextUsageEvent": KiroDecoder._context_usage,
    "meteringEvent": KiroDecoder._metering,
    "invalidStateEvent": KiroDecoder._invalid_state,
}


class KiroStreamDecoder:
    """Upstream reads in, ir events out: `EventStreamParser` then `KiroDecoder`."""

    __slots__ = ("_frames", "decoder")

    def __init__(self, decoder: KiroDecoder, *, max_frame_bytes: int = MAX_FRAME_BYTES) -> None:
        self.decoder = decoder
        self._frames = EventStreamParser(max_frame_bytes=max_frame_bytes)

    def feed(self, chunk: bytes) -> list[ir.Event]:
        """The events completed by one upstream read (one batch for the frontend)."""
        out: list[ir.Event] = []
        for frame in self._frames.feed(chunk):
            out += self.decoder.feed(frame)
        return out

    def finish(self) -> list[ir.Event]:
        """At the end of the body; raises if it ended inside a frame."""
        self._frames.flush()
        return self.decoder.finish()


def _payload(data: bytes, event_type: str) -> dict[str, Any]:
    """The event's JSON object; some Kiro versions nest it under the event type's name."""
    try:
        payload = orjson.loads(data)
    except orjson.JSONDecodeError:
        payload = None
    if isinstance(payload, dict):
        inner = payload.get(event_type)
        return inner if isinstance(inner, dict) else payload
    raise errors.UpstreamFailed(f"Kiro sent a {event_type} whose payload is not a JSON object")


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)
