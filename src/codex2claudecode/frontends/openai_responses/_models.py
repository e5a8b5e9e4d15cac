"""The Responses request as msgspec Structs: the wire schema, decoded in C.

Only the fields we use are declared; msgspec ignores the rest. Items and content parts are one
lenient Struct each (a message item may omit `type`), checked per type in `_input.py`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

import msgspec

from codex2claudecode import ir
from codex2claudecode.frontends.openai._decode import TokenCount

Role = Literal["user", "assistant", "system", "developer"]
Summary = Literal["auto", "concise", "detailed"]
Verbosity = Literal["low", "medium", "high"]
ChoiceMode = Literal["none", "auto", "required"]
FormatType = Literal["text", "json_schema", "json_object"]


class ContentPart(msgspec.Struct):
    type: str
    text: str | None = None
    refusal: str | None = None
    image_url: str | None = None
    file_id: str | None = None
    file_data: str | None = None
    file_url: str | None = None
    filename: str | None = None


class SummaryText(msgspec.Struct):
    text: str
    type: str = "summary_text"


class Item(msgspec.Struct):
    type: str = "message"
    role: Role | None = None
    content: str | list[ContentPart] | None = None
    call_id: str | None = None
    name: str | None = None
    arguments: str | dict[str, Any] | None = None
    output: str | list[ContentPart] | None = None
    summary: list[SummaryText] | None = None
    encrypted_content: str | None = None


class FunctionTool(msgspec.Struct):
    type: str
    name: str | None = None
    description: str | None = None
    parameters: dict[str, Any] | None = None
    strict: bool | None = None


class WebFilters(msgspec.Struct):
    allowed_domains: list[str] | None = None


class UserLocation(msgspec.Struct):
    city: str | None = None
    region: str | None = None
    country: str | None = None
    timezone: str | None = None


class Tool(FunctionTool):
    tools: list[FunctionTool] | None = None
    """A `namespace` tool's members."""
    filters: WebFilters | None = None
    """A `web_search` tool's options (as is `user_location`)."""
    user_location: UserLocation | None = None


class ToolChoiceObject(msgspec.Struct):
    type: str
    name: str | None = None
    mode: Literal["auto", "required"] | None = None


class Reasoning(msgspec.Struct):
    effort: ir.Effort | None = None
    summary: Summary | None = None
    generate_summary: Summary | None = None
    """The deprecated spelling of `summary`."""


class TextFormat(msgspec.Struct):
    type: FormatType
    name: str | None = None
    schema: dict[str, Any] | None = None
    strict: bool | None = None


class Text(msgspec.Struct):
    format: TextFormat | None = None
    verbosity: Verbosity | None = None


class Request(msgspec.Struct):
    model: Annotated[str, msgspec.Meta(min_length=1)]
    input: str | list[Item] | None = None
    instructions: str | None = None
    tools: list[Tool] | None = None
    tool_choice: ChoiceMode | ToolChoiceObject | None = None
    parallel_tool_calls: bool | None = None
    reasoning: Reasoning | None = None
    text: Text | None = None
    max_output_tokens: TokenCount | None = None
    stream: bool | None = None
    prompt_cache_key: str | None = None
    metadata: dict[str, str] | None = None
    include: list[str] | None = None
    previous_response_id: str | None = None
    conversation: Any | None = None
    background: bool | None = None
    messages: Any | None = None
    response_format: Any | None = None


DECODER = msgspec.json.Decoder(Request)
CHOICES: dict[str, tuple[str, ...]] = {
    "input.*.role": get_args(Role),
    "tool_choice": get_args(ChoiceMode),
    "tool_choice.mode": ("auto", "required"),
    "reasoning.effort": get_args(ir.Effort),
    "reasoning.summary": get_args(Summary),
    "reasoning.generate_summary": get_args(Summary),
    "text.format.type": get_args(FormatType),
    "text.verbosity": get_args(Verbosity),
}
