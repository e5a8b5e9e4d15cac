"""Realistic Responses API stream events, as the ChatGPT Codex backend sends them.

`ResponseScript` builds one response's events in order, numbering them: chain the output items,
end with a terminal method, and hand the list to the fake server or to a decoder test:

    events = ResponseScript().reasoning("Plan", encrypted_content="enc").text("Hi").completed()

The shortcuts at the bottom cover the common answers. `encode_sse` frames events as SSE bytes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

Event = dict[str, Any]

CREATED_AT = 1_795_000_000
INSTRUCTIONS = "You are a helpful assistant."


def make_usage(
    input_tokens: int = 12,
    cached_tokens: int = 0,
    output_tokens: int = 5,
    reasoning_tokens: int = 0,
) -> dict[str, Any]:
    return {
        "input_tokens": input_tokens,
        "input_tokens_details": {"cached_tokens": cached_tokens},
        "output_tokens": output_tokens,
        "output_tokens_details": {"reasoning_tokens": reasoning_tokens},
        "total_tokens": input_tokens + output_tokens,
    }


class ResponseScript:
    """The events of one response; every item method returns the script for chaining."""

    def __init__(
        self,
        *,
        response_id: str = "resp_0001",
        model: str = "gpt-5.4",
        instructions: str = INSTRUCTIONS,
        tools: Sequence[dict[str, Any]] = (),
        created: bool = True,
    ) -> None:
        self.response_id = response_id
        self.model = model
        self.instructions = instructions
        self.tools = list(tools)
        self.events: list[Event] = []
        self.output: list[dict[str, Any]] = []
        self._items = 0
        if created:
            self._emit("response.created", response=self._response("in_progress"))
            self._emit("response.in_progress", response=self._response("in_progress"))

    # ------------------------------------------------------------------ output items

    def reasoning(
        self,
        *summary: str,
        encrypted_content: str | None = "gAAAAABenc",
        item_id: str | None = None,
        chunks: int = 2,
    ) -> ResponseScript:
        """A reasoning item with one summary part per `summary` string, each streamed in chunks."""
        item_id = item_id or self._next_id("rs")
        index = len(self.output)
        added = {"id": item_id, "type": "reasoning", "summary": []}
        self._emit("response.output_item.added", output_index=index, item=added)
        where = {"item_id": item_id, "output_index": index}
        for n, text in enumerate(summary):
            part = {"type": "summary_text", "text": ""}
            self._emit("response.reasoning_summary_part.added", **where, summary_index=n, part=part)
            for piece in _split(text, chunks):
                self._emit(
                    "response.reasoning_summary_text.delta", **where, summary_index=n, delta=piece
                )
            self._emit("response.reasoning_summary_text.done", **where, summary_index=n, text=text)
            part = {"type": "summary_text", "text": text}
            self._emit("response.reasoning_summary_part.done", **where, summary_index=n, part=part)
        item = {
            "id": item_id,
            "type": "reasoning",
            "encrypted_content": encrypted_content,
            "summary": [{"type": "summary_text", "text": text} for text in summary],
        }
        return self._item_done(index, item)

    def text(
        self,
        *deltas: str,
        item_id: str | None = None,
        stream: bool = True,
        annotations: Sequence[dict[str, Any]] = (),
    ) -> ResponseScript:
        """An assistant message streamed as `deltas` (or, with `stream=False`, only its done).

        `annotations` (e.g. from `url_citation`) are announced after the deltas, as the API
        does once the cited text is out, and listed in the finished part.
        """
        item_id = item_id or self._next_id("msg")
        index = len(self.output)
        added = {
            "id": item_id,
            "type": "message",
            "status": "in_progress",
            "content": [],
            "role": "assistant",
        }
        self._emit("response.output_item.added", output_index=index, item=added)
        text = "".join(deltas)
        where = {"item_id": item_id, "output_index": index, "content_index": 0}
        if stream:
            empty = {"type": "output_text", "annotations": [], "logprobs": [], "text": ""}
            self._emit("response.content_part.added", **where, part=empty)
            for delta in deltas:
                self._emit("response.output_text.delta", **where, delta=delta, logprobs=[])
            for n, annotation in enumerate(annotations):
                self._emit(
                    "response.output_text.annotation.added",
                    **where,
                    annotation_index=n,
                    annotation=annotation,
                )
            self._emit("response.output_text.done", **where, text=text, logprobs=[])
        part = {
            "type": "output_text",
            "annotations": list(annotations),
            "logprobs": [],
            "text": text,
        }
        if stream:
            self._emit("response.content_part.done", **where, part=part)
        item = {
            "id": item_id,
            "type": "message",
            "status": "completed",
            "content": [part],
            "role": "assistant",
        }
        return self._item_done(index, item)

    def function_call(
        self,
        name: str,
        arguments: str | dict[str, Any],
        *,
        call_id: str | None = None,
        item_id: str | None = None,
        chunks: int = 2,
    ) -> ResponseScript:
        """A function call whose arguments stream in `chunks` deltas (0: no deltas at all)."""
        if not isinstance(arguments, str):
            arguments = json.dumps(arguments, separators=(",", ":"))
        n = self._items + 1
        item_id = item_id or f"fc_{n:04d}"
        call_id = call_id or f"call_{n:04d}"
        self._items = n
        index = len(self.output)
        item = {
            "id": item_id,
            "type": "function_call",
            "status": "in_progress",
            "arguments": "",
            "call_id": call_id,
            "name": name,
        }
        self._emit("response.output_item.added", output_index=index, item=item)
        where = {"item_id": item_id, "output_index": index}
        if chunks:
            for piece in _split(arguments, chunks):
                self._emit("response.function_call_arguments.delta", **where, delta=piece)
        self._emit("response.function_call_arguments.done", **where, arguments=arguments)
        return self._item_done(index, {**item, "status": "completed", "arguments": arguments})

    def web_search(
        self, query: str, *urls: str, item_id: str | None = None, api: str | None = None
    ) -> ResponseScript:
        """A hosted web search call whose `action.sources` (asked for by `include`) are `urls`,
        plus an `api` source when given (e.g. `oai-finance`)."""
        sources: list[dict[str, Any]] = [{"type": "url", "url": url} for url in urls]
        if api:
            sources.append({"type": "api", "name": api})
        action = {"type": "search", "query": query, "sources": sources}
        return self._web_call(action, item_id)

    def open_page(self, url: str, *, item_id: str | None = None) -> ResponseScript:
        """A hosted web search call that opened one page."""
        return self._web_call({"type": "open_page", "url": url}, item_id)

    def _web_call(self, action: dict[str, Any], item_id: str | None) -> ResponseScript:
        item_id = item_id or self._next_id("ws")
        index = len(self.output)
        added = {"id": item_id, "type": "web_search_call", "status": "in_progress"}
        self._emit("response.output_item.added", output_index=index, item=added)
        where = {"item_id": item_id, "output_index": index}
        self._emit("response.web_search_call.in_progress", **where)
        self._emit("response.web_search_call.searching", **where)
        self._emit("response.web_search_call.completed", **where)
        item = {"id": item_id, "type": "web_search_call", "status": "completed", "action": action}
        return self._item_done(index, item)

    def rate_limits(self, used_percent: float = 12.0) -> ResponseScript:
        """The Codex-specific snapshot event the backend interleaves (protocols §5c)."""
        window = {"used_percent": used_percent, "window_minutes": 300, "reset_at": CREATED_AT}
        self.events.append(
            {
                "type": "codex.rate_limits",
                "plan_type": "plus",
                "rate_limits": {"primary": window, "secondary": None},
            }
        )
        return self

    # ------------------------------------------------------------------ terminal events

    def completed(self, usage: dict[str, Any] | None = None) -> list[Event]:
        response = self._response("completed", usage=usage or make_usage())
        self._emit("response.completed", response=response)
        return self.events

    def incomplete(
        self, reason: str = "max_output_tokens", usage: dict[str, Any] | None = None
    ) -> list[Event]:
        response = self._response(
            "incomplete",
            usage=usage or make_usage(),
            incomplete_details={"reason": reason},
        )
        self._emit("response.incomplete", response=response)
        return self.events

    def failed(self, code: str = "server_error", message: str = "Something broke") -> list[Event]:
        response = self._response("failed", error={"code": code, "message": message})
        self._emit("response.failed", response=response)
        return self.events

    def error(self, code: str, message: str, **extra: Any) -> list[Event]:
        """A top-level `error` event (the stream then just ends)."""
        self._emit("error", code=code, message=message, param=None, **extra)
        return self.events

    # ------------------------------------------------------------------ internals

    def _emit(self, kind: str, **fields: Any) -> None:
        self.events.append({"type": kind, "sequence_number": len(self.events), **fields})

    def _item_done(self, index: int, item: dict[str, Any]) -> ResponseScript:
        self.output.append(item)
        self._emit("response.output_item.done", output_index=index, item=item)
        return self

    def _next_id(self, prefix: str) -> str:
        self._items += 1
        return f"{prefix}_{self._items:04d}"

    def _response(
        self,
        status: str,
        *,
        usage: dict[str, Any] | None = None,
        error: dict[str, Any] | None = None,
        incomplete_details: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        # Key order as the real API sends it: the echoed instructions and tools come early,
        # the usage near the end.
        return {
            "id": self.response_id,
            "object": "response",
            "created_at": CREATED_AT,
            "status": status,
            "background": False,
            "error": error,
            "incomplete_details": incomplete_details,
            "instructions": self.instructions,
            "max_output_tokens": None,
            "max_tool_calls": None,
            "model": self.model,
            "output": list(self.output) if status != "in_progress" else [],
            "parallel_tool_calls": True,
            "previous_response_id": None,
            "prompt_cache_key": None,
            "reasoning": {"effort": "medium", "summary": "auto"},
            "service_tier": "auto",
            "store": False,
            "temperature": 1.0,
            "text": {"format": {"type": "text"}, "verbosity": "medium"},
            "tool_choice": "auto",
            "tools": self.tools,
            "top_logprobs": 0,
            "top_p": 1.0,
            "truncation": "disabled",
            "usage": usage,
            "user": None,
            "metadata": {},
        }


def _split(text: str, chunks: int) -> list[str]:
    """`text` in about `chunks` non-empty pieces (one piece for short text)."""
    if chunks <= 1 or len(text) < 2:
        return [text] if text else []
    size = -(-len(text) // chunks)
    return [text[i : i + size] for i in range(0, len(text), size)]


# ---------------------------------------------------------------------- shortcuts


def text_answer(*deltas: str, **script: Any) -> list[Event]:
    return ResponseScript(**script).text(*deltas).completed()


def reasoning_answer(
    summary: str, text: str, *, encrypted_content: str = "gAAAAABenc", **script: Any
) -> list[Event]:
    return (
        ResponseScript(**script)
        .reasoning(summary, encrypted_content=encrypted_content)
        .text(text)
        .completed(make_usage(reasoning_tokens=7))
    )


def tool_calls_answer(
    *calls: tuple[str, str | dict[str, Any]], text: str | None = None, **script: Any
) -> list[Event]:
    """Optional preamble text, then one function call per `(name, arguments)`."""
    built = ResponseScript(**script)
    if text:
        built.text(text)
    for name, arguments in calls:
        built.function_call(name, arguments)
    return built.completed()


def url_citation(text: str, cited: str, url: str, title: str) -> dict[str, Any]:
    """A `url_citation` annotation on the first occurrence of `cited` in `text`."""
    start = text.index(cited)
    return {
        "type": "url_citation",
        "start_index": start,
        "end_index": start + len(cited),
        "url": url,
        "title": title,
    }


def web_search_answer(
    query: str = "latest python release",
    urls: Sequence[str] = ("https://www.python.org/downloads/", "https://docs.python.org/3/"),
    *,
    text: str = "Python 3.14 is the latest release.",
    cited: str = "Python 3.14",
    title: str = "Download Python",
    **script: Any,
) -> list[Event]:
    """A search, then an answer citing its first source."""
    citation = url_citation(text, cited, urls[0], title)
    return (
        ResponseScript(**script)
        .web_search(query, *urls)
        .text(text, annotations=[citation])
        .completed()
    )


def failed_answer(code: str = "server_error", message: str = "Something broke") -> list[Event]:
    return ResponseScript().failed(code, message)


def incomplete_answer(text: str = "Partial", reason: str = "max_output_tokens") -> list[Event]:
    return ResponseScript().text(text).incomplete(reason)


def encode_sse(events: Iterable[Event]) -> bytes:
    """SSE framing as the backend writes it: `event: <type>` then one compact `data:` line."""
    return b"".join(
        f"event: {event['type']}\ndata: {json.dumps(event, separators=(',', ':'))}\n\n".encode()
        for event in events
    )
