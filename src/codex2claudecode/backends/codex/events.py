"""Responses API stream events (as the Codex backend sends them) -> `ir.Event`s.

Sits after `SSEParser`: one `feed` per SSE event, or `feed_all` per read. Only the events we
translate are JSON-decoded; `response.created` and `response.completed` echo the instructions
and tools (tens of KB), so the few fields we need are cut out of their bytes (perf-notes §4).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar, Literal
from urllib.parse import quote

import orjson

from codex2claudecode import errors, ir
from codex2claudecode.backends.codex.payload import ReasoningShown
from codex2claudecode.backends.codex.signature import pack_reasoning

_CONTEXT_OVERFLOW = re.compile(
    r"context[-_ ]?(?:limit|length|window)|context window|input (?:exceeds|is too long)"
    r"|prompt is too long|maximum (?:context|length)|too many tokens|token limit"
    r"|request[-_ ]?(?:too[-_ ]?large|exceeds)"
    r"|exceed(?:s|ed) (?:the )?(?:maximum )?(?:token|context)",
    re.IGNORECASE,
)
"""Messages that mean the prompt does not fit the model's window (spec §8.2)."""

_DIGITS = r"\d[\d,]*"
_TOKENS_OVER = re.compile(rf"(?P<tokens>{_DIGITS})\s*tokens?\s*>\s*(?P<limit>{_DIGITS})", re.I)
_MAXIMUM = re.compile(rf"maximum context length is ({_DIGITS})", re.I)
_RESULTED = re.compile(rf"(?:resulted in|requested) ({_DIGITS})", re.I)

_NOT_ALNUM = re.compile(r"[^A-Za-z0-9]")

_RATE_LIMIT_CODES = frozenset({"rate_limit_exceeded", "usage_limit_reached", "usage_not_included"})
_OVERLOAD_CODES = frozenset({"server_is_overloaded", "slow_down"})

_STRING_VALUE = re.compile(rb'\s*:\s*"([^"\\]*)"')
# A JSON object with at most one level of nesting, strings skipped whole: enough for `usage`
# and `incomplete_details`, and cheap next to decoding the whole echoed response.
_STR = rb'"(?:[^"\\]|\\.)*"'
_SHALLOW_OBJECT = rb"\{(?:[^{}\"]|" + _STR + rb"|\{(?:[^{}\"]|" + _STR + rb")*\})*\}"
_OBJECT_VALUE = re.compile(rb"\s*:\s*(null|" + _SHALLOW_OBJECT + rb")")

_TEXT_DELTA = b"response.output_text.delta"

Block = Literal["text", "thinking", "tool"]
Handler = Callable[["ResponsesDecoder", bytes, list[ir.Event]], None]


class ResponsesDecoder:
    """Turns one response's stream into ir events; blocks never interleave, `Stop` comes last.

    `feed` and `finish` raise `errors.GatewayError` subclasses for upstream failures.
    """

    _handlers: ClassVar[dict[bytes, Handler]]

    def __init__(
        self,
        *,
        on_rate_limits: Callable[[dict[str, Any]], None] | None = None,
        reasoning: ReasoningShown = "summarized",
    ) -> None:
        """
        Args:
            on_rate_limits: gets each `codex.rate_limits` event (protocols §5c), decoded.
            reasoning: how reasoning reaches the client: summaries as thinking blocks,
                thinking blocks without text (`omitted`), or nothing (`off`).
        """
        self._reasoning = reasoning
        self.done = False
        """True once the response completed (or stopped incomplete); later events are ignored."""
        self._started = False
        self._open: Block | None = None
        self._open_item = ""
        """The upstream item id of the open block."""
        self._streamed: set[str] = set()
        """Items whose content was streamed as deltas, so their `done` must not repeat it."""
        self._summary_break = False
        self._calls: set[str] = set()
        """Function-call items whose `ToolCallStart` went out."""
        self._searches: set[str] = set()
        """Web search items already sent (the completed output may list them again)."""
        self._text: list[str] = []
        """The open text block's text so far (pieces), to quote what an annotation cites."""
        self._cited = 0
        """Annotations of the open text block already sent as citations."""
        self._on_rate_limits = on_rate_limits

    def feed_all(self, messages: Iterable[tuple[bytes, bytes]]) -> list[ir.Event]:
        """The events for several SSE events, in order: `feed` for each, into one list."""
        out: list[ir.Event] = []
        for name, data in messages:
            if name == _TEXT_DELTA and self._open == "text":
                # `_text_delta` inline for the open block, the bulk of every answer: with the
                # block open its item id does not matter, and the item is already `_streamed`.
                try:
                    event = orjson.loads(data)
                except orjson.JSONDecodeError:
                    continue
                if type(event) is dict:
                    text = event.get("delta")
                    if text:
                        self._text.append(text)
                        out.append(ir.TextDelta(text))
                    continue
            out += self.feed(name, data)
        return out

    def feed(self, name: bytes, data: bytes) -> list[ir.Event]:
        """The events for one SSE event; `name` may be b"" (then the JSON `type` decides)."""
        if self.done:
            return []
        if not name:
            try:
                kind = _loads(data).get("type")
            except orjson.JSONDecodeError:
                return []
            name = kind.encode() if isinstance(kind, str) else b""
        if name == b"codex.rate_limits":
            # A reading about the account, not about the answer: it starts no message.
            if self._on_rate_limits is not None:
                with contextlib.suppress(orjson.JSONDecodeError):
                    self._on_rate_limits(_loads(data))
            return []
        handler = self._handlers.get(name)
        if handler is None:
            return []
        out: list[ir.Event] = []
        if not self._started and name != b"response.created":
            self._started = True
            out.append(ir.Started(response_id="", model=""))
        # A malformed event is skipped; a missing terminal event still fails the stream.
        # (try, not contextlib.suppress: this runs for every event, and suppress is an object.)
        try:  # noqa: SIM105
            handler(self, data, out)
        except orjson.JSONDecodeError:
            pass
        return out

    def finish(self) -> list[ir.Event]:
        """Call at the end of the upstream body."""
        if not self.done:
            raise errors.UpstreamFailed("upstream stream ended before the response completed")
        return []

    # ------------------------------------------------------------------ lifecycle

    def _created(self, data: bytes, out: list[ir.Event]) -> None:
        if self._started:
            return
        self._started = True
        out.append(
            ir.Started(
                response_id=_string_field(data, b'"id"'), model=_string_field(data, b'"model"')
            )
        )

    def _completed(self, data: bytes, out: list[ir.Event]) -> None:
        fields = _completed_fields(data)
        if fields is None:  # an unusual layout: decode it all
            response = _loads(data).get("response") or {}
            fields = response.get("usage"), response.get("incomplete_details")
        usage, incomplete = fields
        self._close(out)
        self._finish(out, usage)
        if self._calls:
            out.append(ir.Stop("tool_use"))
        elif isinstance(incomplete, dict) and incomplete.get("reason") == "max_output_tokens":
            out.append(ir.Stop("max_tokens"))
        else:
            out.append(ir.Stop("end_turn"))

    def _incomplete(self, data: bytes, out: list[ir.Event]) -> None:
        response = _loads(data).get("response") or {}
        reason = (response.get("incomplete_details") or {}).get("reason")
        self._close(out)
        self._finish(out, response.get("usage"))
        out.append(ir.Stop("refusal" if reason == "content_filter" else "max_tokens"))

    def _failed(self, data: bytes, out: list[ir.Event]) -> None:
        error = (_loads(data).get("response") or {}).get("error") or {}
        raise upstream_error(error if isinstance(error, dict) else {"message": str(error)})

    def _error(self, data: bytes, out: list[ir.Event]) -> None:
        event = _loads(data)
        inner = event.get("error")
        raise upstream_error(inner if isinstance(inner, dict) else event)

    def _finish(self, out: list[ir.Event], usage: Any) -> None:
        self.done = True
        if isinstance(usage, dict):
            out.append(_usage(usage))

    # ------------------------------------------------------------------ items

    def _item_added(self, data: bytes, out: list[ir.Event]) -> None:
        item = _loads(data).get("item") or {}
        if item.get("type") == "function_call":
            self._start_call(item, out)

    def _item_done(self, data: bytes, out: list[ir.Event]) -> None:
        item = _loads(data).get("item") or {}
        match item.get("type"):
            case "message":
                self._message_done(item, out)
            case "reasoning":
                self._reasoning_done(item, out)
            case "function_call":
                self._call_done(item, out)
            case "web_search_call":
                self._search_done(item, out)

    def _message_done(self, item: dict[str, Any], out: list[ir.Event]) -> None:
        item_id = item.get("id") or ""
        if self._open != "text" and item_id not in self._streamed:
            # Nothing was streamed: the finished item carries the whole text.
            text = "".join(
                part.get("text") or part.get("refusal") or ""
                for part in item.get("content") or ()
                if part.get("type") in ("output_text", "refusal")
            )
            if not text:
                return
            self._open_block("text", item_id, out)
            self._text = [text]
            out.append(ir.TextDelta(text))
        if self._open == "text":
            # Annotations the stream did not announce one by one come with the whole item.
            annotations = [
                annotation
                for part in item.get("content") or ()
                for annotation in part.get("annotations") or ()
            ]
            for annotation in annotations[self._cited :]:
                self._cite(annotation, out)
            self._open = None
            out.append(ir.TextEnd())

    def _reasoning_done(self, item: dict[str, Any], out: list[ir.Event]) -> None:
        item_id = item.get("id") or ""
        encrypted = item.get("encrypted_content") or ""
        if self._reasoning != "summarized":
            if self._reasoning == "omitted" and encrypted:
                self._close(out)
                out += [ir.ThinkingStart(), ir.ThinkingEnd(pack_reasoning(item_id, encrypted))]
            return
        if self._open != "thinking" and item_id not in self._streamed:
            text = "\n\n".join(
                part["text"] for part in item.get("summary") or () if part.get("text")
            )
            if text:
                self._open_block("thinking", item_id, out)
                out.append(ir.ThinkingDelta(text))
        if self._open == "thinking":
            self._open = None
            out.append(ir.ThinkingEnd(signature=pack_reasoning(item_id, encrypted)))
        elif encrypted:
            # No readable summary, or its block was cut short: keep the state as a whole block.
            self._close(out)
            out.append(ir.RedactedThinking(data=pack_reasoning(item_id, encrypted)))

    def _start_call(self, item: dict[str, Any], out: list[ir.Event]) -> None:
        item_id = item.get("id") or ""
        self._open_block("tool", item_id, out)
        self._calls.add(item_id)
        out.append(ir.ToolCallStart(id=item.get("call_id") or "", name=item.get("name") or ""))

    def _call_done(self, item: dict[str, Any], out: list[ir.Event]) -> None:
        item_id = item.get("id") or ""
        if item_id not in self._calls:  # never announced by output_item.added
            self._start_call(item, out)
        if self._open == "tool" and self._open_item == item_id:
            arguments = item.get("arguments") or ""
            if item_id not in self._streamed and arguments:
                out.append(ir.ToolCallDelta(arguments))
            self._open = None
            out.append(ir.ToolCallEnd())

    def _search_done(self, item: dict[str, Any], out: list[ir.Event]) -> None:
        item_id = item.get("id") or ""
        if item_id in self._searches:
            return
        self._searches.add(item_id)
        self._close(out)
        action = item.get("action") or {}
        call_id = server_tool_id(item_id)
        if action.get("type") == "open_page":
            url = str(action.get("url") or "")
            out.append(ir.ServerToolCall(call_id, "web_fetch", _json({"url": url})))
            out.append(ir.WebResult(call_id, "web_fetch", (ir.WebSource(url, url),) if url else ()))
            return
        query = (
            action.get("query") or "\n".join(action.get("queries") or ()) or action.get("pattern")
        )
        sources = tuple(
            source for raw in action.get("sources") or () if (source := _source(raw, query))
        )
        out.append(ir.ServerToolCall(call_id, "web_search", _json({"query": query or ""})))
        out.append(ir.WebResult(call_id, "web_search", sources))

    # ------------------------------------------------------------------ deltas

    def _text_delta(self, data: bytes, out: list[ir.Event]) -> None:
        event = _loads(data)
        text = event.get("delta")
        if not text:
            return
        if self._open != "text":
            self._open_block("text", event.get("item_id") or "", out)
        self._streamed.add(self._open_item)
        self._text.append(text)  # joined only if cited: `+=` on an attribute is quadratic
        out.append(ir.TextDelta(text))

    def _annotation_added(self, data: bytes, out: list[ir.Event]) -> None:
        event = _loads(data)
        annotation = event.get("annotation")
        if self._open == "text" and self._open_item == event.get("item_id") and annotation:
            self._cite(annotation, out)

    def _cite(self, annotation: dict[str, Any], out: list[ir.Event]) -> None:
        self._cited += 1
        if annotation.get("type") != "url_citation" or not annotation.get("url"):
            return
        start, end = annotation.get("start_index"), annotation.get("end_index")
        start = start if isinstance(start, int) else 0
        end = end if isinstance(end, int) else start
        url = str(annotation["url"])
        title = str(annotation.get("title") or url)
        text = "".join(self._text)
        self._text = [text]
        out.append(ir.Citation(url, title, text[start:end], start, end))

    def _summary_part_added(self, data: bytes, out: list[ir.Event]) -> None:
        self._summary_break = True

    def _summary_delta(self, data: bytes, out: list[ir.Event]) -> None:
        event = _loads(data)
        text = event.get("delta")
        if not text or self._reasoning != "summarized":
            return
        item_id = event.get("item_id") or ""
        if self._open != "thinking" or self._open_item != item_id:
            self._open_block("thinking", item_id, out)
        elif self._summary_break:
            out.append(ir.ThinkingDelta("\n\n"))
        self._summary_break = False
        self._streamed.add(item_id)
        out.append(ir.ThinkingDelta(text))

    def _arguments_delta(self, data: bytes, out: list[ir.Event]) -> None:
        event = _loads(data)
        fragment = event.get("delta")
        if not fragment or self._open != "tool" or self._open_item != event.get("item_id"):
            return
        self._streamed.add(self._open_item)
        out.append(ir.ToolCallDelta(fragment))

    # ------------------------------------------------------------------ blocks

    def _open_block(self, kind: Block, item_id: str, out: list[ir.Event]) -> None:
        self._close(out)
        self._open, self._open_item = kind, item_id
        self._summary_break = False
        self._text, self._cited = [], 0
        match kind:
            case "text":
                out.append(ir.TextStart())
            case "thinking":
                out.append(ir.ThinkingStart())
            case "tool":
                pass  # the caller emits ToolCallStart, which carries the call's id and name

    def _close(self, out: list[ir.Event]) -> None:
        match self._open:
            case None:
                return
            case "text":
                out.append(ir.TextEnd())
            case "thinking":
                # Closed before its item finished, so the encrypted state is not known yet;
                # `_reasoning_done` then sends it as a redacted block.
                out.append(ir.ThinkingEnd(signature=""))
            case "tool":
                out.append(ir.ToolCallEnd())
        self._open = None


ResponsesDecoder._handlers = {
    b"response.created": ResponsesDecoder._created,
    b"response.output_item.added": ResponsesDecoder._item_added,
    b"response.output_item.done": ResponsesDecoder._item_done,
    b"response.output_text.delta": ResponsesDecoder._text_delta,
    b"response.output_text.annotation.added": ResponsesDecoder._annotation_added,
    b"response.refusal.delta": ResponsesDecoder._text_delta,
    b"response.reasoning_summary_part.added": ResponsesDecoder._summary_part_added,
    b"response.reasoning_summary_text.delta": ResponsesDecoder._summary_delta,
    b"response.function_call_arguments.delta": ResponsesDecoder._arguments_delta,
    b"response.completed": ResponsesDecoder._completed,
    b"response.incomplete": ResponsesDecoder._incomplete,
    b"response.failed": ResponsesDecoder._failed,
    b"error": ResponsesDecoder._error,
}


def server_tool_id(item_id: str) -> str:
    """The Anthropic `srvtoolu_…` id for a web search item id (`ws_abc-1` → `srvtoolu_wsabc1`)."""
    if item_id.startswith("srvtoolu_"):
        return item_id
    return "srvtoolu_" + _NOT_ALNUM.sub("", item_id)


def _source(raw: object, query: str | None) -> ir.WebSource | None:
    """A search source: a page (`url`), or an API the search asked (`api`, e.g. finance data),
    which gets the URL of a page showing the same (spec original-codex §3.10)."""
    if not isinstance(raw, dict):
        return None
    if raw.get("type") == "url" and raw.get("url"):
        url = str(raw["url"])
        return ir.WebSource(url, str(raw.get("title") or url))
    if raw.get("type") == "api":
        name = str(raw.get("name") or "")
        symbol = (query or "").removeprefix("finance:").strip()
        if name == "oai-finance" and symbol and (query or "").startswith("finance:"):
            url = f"https://www.google.com/finance/quote/{quote(symbol)}-USD"
        else:
            url = "https://www.google.com/search?q=" + quote(query or name)
        return ir.WebSource(url, name or url)
    return None


def _json(value: dict[str, str]) -> str:
    return orjson.dumps(value).decode()


def upstream_error(error: Mapping[str, Any]) -> errors.GatewayError:
    """The gateway error for an upstream error object (`{code|type, message, ...}`)."""
    code = error.get("code") or error.get("type")
    message = str(error.get("message") or "")
    if code == "context_length_exceeded":
        return context_too_long(message or "The conversation is too long for the model")
    if code in _RATE_LIMIT_CODES:
        resets = error.get("resets_in_seconds")
        return errors.RateLimited(
            message or "The ChatGPT usage limit has been reached",
            retry_after=max(0, int(resets)) if isinstance(resets, int | float) else None,
            usage_limit=code != "rate_limit_exceeded",
        )
    if code in _OVERLOAD_CODES:
        return errors.UpstreamUnavailable(message or "The ChatGPT backend is overloaded")
    if message and is_context_overflow(message):
        return context_too_long(message)
    return errors.UpstreamFailed(message or "Upstream generation failed")


def context_too_long(message: str) -> errors.ContextTooLong:
    """The overflow error for an upstream message, with its token numbers when it gives them.

    OpenAI words it "maximum context length is M tokens. However, your messages resulted in N
    tokens"; Anthropic-style upstreams "N tokens > M maximum".
    """
    tokens = _TOKENS_OVER.search(message)
    if tokens is not None:
        return errors.ContextTooLong(
            message, tokens=_number(tokens["tokens"]), limit=_number(tokens["limit"])
        )
    limit, used = _MAXIMUM.search(message), _RESULTED.search(message)
    if limit is not None and used is not None:
        return errors.ContextTooLong(message, tokens=_number(used[1]), limit=_number(limit[1]))
    return errors.ContextTooLong(message)


def _number(digits: str) -> int:
    return int(digits.replace(",", ""))


def is_context_overflow(message: str) -> bool:
    """Whether an upstream error message says the prompt exceeds the context window."""
    return _CONTEXT_OVERFLOW.search(message) is not None


def _usage(usage: Mapping[str, Any]) -> ir.Usage:
    input_details = usage.get("input_tokens_details") or {}
    output_details = usage.get("output_tokens_details") or {}
    return ir.Usage(
        input_tokens=usage.get("input_tokens") or 0,
        cached_tokens=input_details.get("cached_tokens") or 0,
        output_tokens=usage.get("output_tokens") or 0,
        reasoning_tokens=output_details.get("reasoning_tokens") or 0,
    )


def _string_field(data: bytes, key: bytes) -> str:
    """The first string value under `key` (quoted) in raw JSON, "" if none.

    A quoted key cannot occur inside a JSON string (its quotes would be escaped), so the first
    hit is a real key; in the Responses object `id` comes first and `model` follows the
    instructions string, before any nested object.
    """
    pos = data.find(key)
    while pos >= 0:
        match = _STRING_VALUE.match(data, pos + len(key))
        if match:
            return match[1].decode()
        pos = data.find(key, pos + 1)
    return ""


def _completed_fields(data: bytes) -> tuple[object, object] | None:
    """`(usage, incomplete_details)` cut from a `response.completed` event, None if unsure.

    `usage` comes after the echoed tools in the Responses object, hence the search from the end.
    """
    pos = data.rfind(b'"usage"')
    match = _OBJECT_VALUE.match(data, pos + 7) if pos >= 0 else None
    if match is None:
        return None
    usage = orjson.loads(match[1])
    if not isinstance(usage, dict) or "input_tokens" not in usage:
        return None
    pos = data.find(b'"incomplete_details"')
    if pos < 0:
        return usage, None
    match = _OBJECT_VALUE.match(data, pos + 20)
    return (usage, orjson.loads(match[1])) if match else None


def _loads(data: bytes) -> dict[str, Any]:
    value = orjson.loads(data)
    if not isinstance(value, dict):
        raise orjson.JSONDecodeError("expected a JSON object", data.decode("utf-8", "replace"), 0)
    return value
