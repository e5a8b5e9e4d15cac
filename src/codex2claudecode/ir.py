"""The intermediate representation: one request type and one event stream.

Frontends parse their dialect into `Request` and render `Event`s; backends encode a `Request`
for their provider and decode its answer into `Event`s. Non-streaming answers are built by
`Accumulator` from the same events, so every frontend x backend pair shares one code path.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, TypeAlias

Effort: TypeAlias = Literal["none", "minimal", "low", "medium", "high", "xhigh"]
Role: TypeAlias = Literal["user", "assistant", "system"]
StopReason: TypeAlias = Literal[
    "end_turn",
    "tool_use",
    "max_tokens",
    "stop_sequence",
    "refusal",
    "pause_turn",
    "model_context_window_exceeded",
]
"""Anthropic's stop reasons; `model_context_window_exceeded`: the answer was cut because the
context window filled up (output tokens counted), not by `max_tokens`."""

# --------------------------------------------------------------------------- request parts


@dataclass(frozen=True, slots=True)
class TextPart:
    text: str


@dataclass(frozen=True, slots=True)
class ImagePart:
    media_type: str | None
    data: str | None
    """Base64 payload (no `data:` prefix); None when the image is given by `url`."""
    url: str | None = None


@dataclass(frozen=True, slots=True)
class DocumentPart:
    source: Literal["base64", "url", "text", "file"]
    title: str | None = None
    media_type: str | None = None
    data: str | None = None
    """Base64 payload for `base64`, the plain text for `text`."""
    url: str | None = None
    file_id: str | None = None


@dataclass(frozen=True, slots=True)
class ToolCallPart:
    id: str
    """The client-visible call id (Anthropic `tool_use.id`, Responses `call_id`)."""
    name: str
    arguments_json: str
    """The call's arguments as a JSON object text."""


@dataclass(frozen=True, slots=True)
class ToolResultPart:
    call_id: str
    content: tuple[TextPart | ImagePart, ...]
    is_error: bool = False


@dataclass(frozen=True, slots=True)
class ThinkingPart:
    text: str
    signature: str | None
    """Opaque; a backend may have packed provider state into it (Codex: encrypted reasoning)."""


@dataclass(frozen=True, slots=True)
class RedactedThinkingPart:
    data: str
    """Opaque provider state, echoed back by the client unchanged."""


Part: TypeAlias = (
    TextPart
    | ImagePart
    | DocumentPart
    | ToolCallPart
    | ToolResultPart
    | ThinkingPart
    | RedactedThinkingPart
)


@dataclass(frozen=True, slots=True)
class Message:
    role: Role
    """`system` marks an instruction given mid-conversation (Claude Code sends such messages)."""
    parts: tuple[Part, ...]


@dataclass(frozen=True, slots=True)
class Tool:
    name: str
    description: str | None
    input_schema: dict[str, object]
    strict: bool = False


@dataclass(frozen=True, slots=True)
class ToolChoice:
    mode: Literal["auto", "any", "none", "tool"]
    name: str | None = None
    """The forced tool's name when `mode` is `tool`."""
    parallel: bool = True
    """False when the client asked for at most one tool call per turn."""


@dataclass(frozen=True, slots=True)
class OutputFormat:
    """Structured output: the answer text must be JSON matching `schema`."""

    schema: dict[str, object]
    name: str | None = None
    strict: bool = True


@dataclass(frozen=True, slots=True)
class Thinking:
    mode: Literal["enabled", "adaptive", "disabled"]
    budget_tokens: int | None = None
    display: Literal["summarized", "omitted"] = "summarized"
    """`omitted`: thinking blocks come back with empty text, their signature kept."""

    @property
    def on(self) -> bool:
        """Whether the client asked for thinking (blocks may come back)."""
        return self.mode != "disabled"


@dataclass(frozen=True, slots=True)
class UserLocation:
    """Where the user roughly is, to localise web search results."""

    city: str | None = None
    region: str | None = None
    country: str | None = None
    timezone: str | None = None


@dataclass(frozen=True, slots=True)
class WebTool:
    """A web tool the gateway runs on the provider's side (Anthropic `web_search_*` /
    `web_fetch_*` server tools, OpenAI `web_search`): the client sees its calls and results,
    it never runs them itself."""

    name: str
    """The client's name for it (`tool_choice` may name it)."""
    kind: Literal["search", "fetch"]
    allowed_domains: tuple[str, ...] = ()
    blocked_domains: tuple[str, ...] = ()
    user_location: UserLocation | None = None
    max_uses: int | None = None


@dataclass(frozen=True, slots=True)
class Request:
    model: str
    messages: tuple[Message, ...]
    system: str = ""
    """System prompt text, blocks joined with a blank line; empty when none was given."""
    tools: tuple[Tool, ...] = ()
    tool_choice: ToolChoice | None = None
    thinking: Thinking | None = None
    effort: Effort | None = None
    """The client's explicit effort (Anthropic `output_config.effort`), already mapped to ours."""
    output_format: OutputFormat | None = None
    max_tokens: int | None = None
    stop_sequences: tuple[str, ...] = ()
    stream: bool = False
    session_key: str | None = None
    """Stable per client conversation; used for prompt caching and account affinity."""
    metadata: dict[str, str] = field(default_factory=dict)
    reasoning_summary: Literal["auto", "concise", "detailed"] | None = None
    """OpenAI `reasoning.summary`: how much reasoning summary the client wants to see."""
    verbosity: Literal["low", "medium", "high"] | None = None
    """OpenAI `text.verbosity`: how long the model's answer should be."""
    include: tuple[str, ...] = ()
    """OpenAI Responses `include` values, e.g. `reasoning.encrypted_content`."""
    stream_usage: bool = False
    """The client wants usage in its stream (Chat `stream_options.include_usage`)."""
    on_overflow: Literal["error", "trim"] = "error"
    """Over a provider's size limit: answer the context-overflow error (Claude Code compacts
    on it), or drop the oldest turns with a warning (clients that cannot compact)."""
    web_tools: tuple[WebTool, ...] = ()
    """Server-side web tools; `tools` holds only the client's function tools."""

    def web_tool(self, name: str | None) -> WebTool | None:
        """The web tool called `name`, if the request has one."""
        return next((tool for tool in self.web_tools if tool.name == name), None)


# --------------------------------------------------------------------------- models


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """One model a client may ask for."""

    id: str
    display_name: str
    created: int = 0
    """Epoch seconds; 0 when the provider does not say."""
    context_window: int | None = None
    """Input tokens the model accepts; None when unknown."""
    max_output_tokens: int | None = None
    owned_by: str = ""


# --------------------------------------------------------------------------- events


@dataclass(frozen=True, slots=True)
class Started:
    """The upstream accepted the request; no client byte has been sent before this."""

    response_id: str
    model: str
    provider: str = ""
    """Which provider answers (`codex`, `kiro`): for the request log."""
    account: str = ""
    """Which account answers, as users name it (never a credential): for the request log."""
    upstream: UpstreamExchange | None = None
    """The HTTP exchange with the upstream that answers: for the request log's detail view."""


class UpstreamBody:
    """The upstream's response body as the backend reads it, kept by reference (for the log).

    `add` keeps whole reads until `limit` bytes are kept (0 keeps none: LOG_BODY=0) and counts
    every byte; nothing is joined, decoded or copied until the log's writer reads `chunks`.
    """

    __slots__ = ("chunks", "limit", "render", "size")

    def __init__(self, limit: int, render: Callable[[bytes], str] | None = None) -> None:
        """
        Args:
            render: makes the kept bytes readable (a binary stream as text); None: UTF-8.
        """
        self.chunks: list[bytes] = []
        self.limit = limit
        self.size = 0
        """Bytes read in all, kept or not."""
        self.render = render

    def add(self, chunk: bytes) -> None:
        if self.size < self.limit:
            self.chunks.append(chunk)
        self.size += len(chunk)


@dataclass(frozen=True, slots=True)
class UpstreamExchange:
    """What the gateway sent the upstream and what came back, all kept by reference."""

    url: str
    """The URL actually used (after a fallback to another host)."""
    status: int
    request_id: str | None
    """The upstream's own id for the request (a response header), for its support."""
    request_headers: Mapping[str, str]
    """As sent, credentials included: only the log's writer reads them, and redacts them."""
    request_body: bytes
    """The exact bytes sent."""
    response_headers: Sequence[tuple[bytes, bytes]]
    response_body: UpstreamBody


@dataclass(frozen=True, slots=True)
class TextStart:
    pass


@dataclass(frozen=True, slots=True)
class TextDelta:
    text: str


@dataclass(frozen=True, slots=True)
class TextEnd:
    pass


@dataclass(frozen=True, slots=True)
class ThinkingStart:
    pass


@dataclass(frozen=True, slots=True)
class ThinkingDelta:
    text: str


@dataclass(frozen=True, slots=True)
class ThinkingEnd:
    signature: str
    """Opaque state; echoed back in a `ThinkingPart`, it lets the backend restore the reasoning."""


@dataclass(frozen=True, slots=True)
class RedactedThinking:
    """A reasoning step with no readable text, only opaque state (a whole block)."""

    data: str


@dataclass(frozen=True, slots=True)
class ToolCallStart:
    id: str
    name: str


@dataclass(frozen=True, slots=True)
class ToolCallDelta:
    arguments_json: str
    """A fragment; the fragments of one call, joined in order, are its JSON arguments."""


@dataclass(frozen=True, slots=True)
class ToolCallEnd:
    pass


@dataclass(frozen=True, slots=True)
class ServerToolCall:
    """The provider ran one of the request's web tools (a whole block); its result follows."""

    id: str
    """`srvtoolu_…`: the result's `call_id` points back to it."""
    name: Literal["web_search", "web_fetch"]
    input_json: str
    """`{"query": …}` for a search, `{"url": …}` for a fetch."""


@dataclass(frozen=True, slots=True)
class WebSource:
    url: str
    title: str
    snippet: str = ""
    """Page text the search returned (Anthropic carries it as opaque `encrypted_content`)."""
    page_age: str | None = None


@dataclass(frozen=True, slots=True)
class WebResult:
    """What a `ServerToolCall` found (a whole block): sources, or an error code."""

    call_id: str
    name: Literal["web_search", "web_fetch"]
    sources: tuple[WebSource, ...] = ()
    error_code: str | None = None
    """Anthropic's code (`unavailable`, `max_uses_exceeded`, ...) when the tool failed."""


@dataclass(frozen=True, slots=True)
class Citation:
    """A source for the open text block's text (Responses `url_citation`)."""

    url: str
    title: str
    cited_text: str
    """The cited span of the block's text."""
    start_index: int = 0
    end_index: int = 0
    """The span's character offsets within the text block, end exclusive."""


@dataclass(frozen=True, slots=True)
class Usage:
    input_tokens: int
    """All prompt tokens, cached ones included."""
    cached_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0


@dataclass(frozen=True, slots=True)
class Stop:
    reason: StopReason
    stop_sequence: str | None = None


Event: TypeAlias = (
    Started
    | TextStart
    | TextDelta
    | TextEnd
    | ThinkingStart
    | ThinkingDelta
    | ThinkingEnd
    | RedactedThinking
    | ToolCallStart
    | ToolCallDelta
    | ToolCallEnd
    | ServerToolCall
    | WebResult
    | Citation
    | Usage
    | Stop
)
"""Blocks never interleave: a `*Start` is always closed by its `*End` before the next starts.
`ServerToolCall` and `WebResult` are whole blocks; a `Citation` belongs to the open text block.

A stream is `Started`, then blocks, then `Usage` (optional) and exactly one `Stop` as the last
event. A failure is raised from the iterator as an `errors.GatewayError`, never yielded.
"""


EventBatches: TypeAlias = AsyncIterator[list[Event]]
"""What a backend yields: the events decoded from one upstream read, so a frontend can answer each
read with one socket write (perf-notes: the write is the largest per-event cost)."""

Generate: TypeAlias = Callable[[Request], EventBatches]
"""Runs a request on some provider. Errors before the first batch are the upstream's refusal
(answer with an HTTP error); errors later are mid-stream failures."""

Passthrough: TypeAlias = Callable[[Request, bytes], EventBatches]
"""Runs a Responses client's own body (with its parsed `Request`) through the provider's
near-passthrough path, or translated where the provider has none (issue 7)."""
